"""A preset's prompts as a run's jobs: each prompt resolved (text, size, seed) with the chosen
references."""

from __future__ import annotations

from collections.abc import Sequence

from pinglass.errors import UsageError
from pinglass.presets import Preset
from pinglass.providers.base import Reference
from pinglass.runner.plan import Job

__all__ = ["preset_jobs"]


def preset_jobs(
    preset: Preset,
    references: tuple[Reference, ...],
    *,
    seed: int | None = None,
    only: Sequence[str] = (),
    preset_arg: str = "",
) -> list[Job]:
    """One :class:`Job` per prompt of ``preset`` (only the ids in ``only``, when given).

    ``seed`` is the base seed of a random-seed preset (``None``: the preset's own policy).
    Raises :class:`UsageError` for an ``--only`` id the preset lacks, naming ``preset_arg``
    (how the user named the preset) for ``pinglass presets show``.
    """
    prompts = preset.resolve(seed)
    if only:
        ids = {p.id for p in prompts}
        unknown = [i for i in only if i not in ids]
        if unknown:
            raise UsageError(
                f"--only: unknown prompt id {unknown[0]!r} in preset {preset.name}; "
                f"see `pinglass presets show {_preset_arg(preset_arg, preset)}`"
            )
        prompts = [p for p in prompts if p.id in set(only)]
    return [
        Job(
            index=p.index,
            prompt_id=p.id,
            prompt=p.text,
            negative_prompt=p.negative_prompt,
            width=p.width,
            height=p.height,
            seed=p.seed,
            guidance=p.guidance,
            steps=p.steps,
            identity_weight=p.identity_weight,
            references=references,
        )
        for p in prompts
    ]


def _preset_arg(given: str, preset: Preset) -> str:
    """How to name ``preset`` on a command line: its stock name, or the file it came from."""
    from pinglass.presets import stock_preset_names

    return given if given in stock_preset_names() else str(preset.path)
