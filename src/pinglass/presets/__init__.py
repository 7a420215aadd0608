"""Style presets: a TOML file of portrait prompts plus shared defaults, validated with pydantic.

A preset is ``[preset]`` (name, description, version), ``[defaults]`` (size, negative prompt,
guidance, steps, identity weight, seed policy) and one ``[[prompts]]`` table per image (``id``,
``text`` and optional overrides of any default). The stock presets live in the repository's
top-level ``presets/`` folder, shipped in the wheel as ``pinglass/_presets``.

Every problem with a preset file is a :class:`~pinglass.errors.PresetError` whose one-line
message starts with ``file:line`` (``file:line:col`` for TOML syntax) and names the prompt
(index and id) and the field, so a user can go straight to it.

Seed policies (``[defaults] seed``); ``base`` is the run's ``--seed`` if given, else ``base_seed``
(default 0). Prompt N (1-based) gets: ``"per-prompt"`` base + N - 1 (deterministic, different
per prompt); ``"fixed"`` base for every prompt; ``"random"`` a base drawn afresh per run, then
base + N - 1 (with ``--seed`` it is "per-prompt"; ``base_seed`` is refused, as it would do
nothing). A prompt's own ``seed`` wins over all of these. Seeds wrap into 0..2**31-1.

The package: :mod:`.models` (the pydantic models), :mod:`.loading` (finding and validating
files), :mod:`._lines` (line-precise errors) and :mod:`.scaffold` (``presets new``).
"""

from __future__ import annotations

from pinglass.presets.loading import (
    list_stock_presets,
    load_preset,
    preset_problems,
    stock_preset_names,
    stock_presets_dir,
    validate_preset,
)
from pinglass.presets.models import (
    MAX_PROMPT_CHARS,
    SEED_MODULUS,
    Preset,
    PresetDefaults,
    PresetMeta,
    PromptSpec,
    ResolvedPrompt,
    SeedPolicy,
)
from pinglass.presets.scaffold import scaffold_text, write_scaffold

__all__ = [
    "MAX_PROMPT_CHARS",
    "SEED_MODULUS",
    "Preset",
    "PresetDefaults",
    "PresetMeta",
    "PromptSpec",
    "ResolvedPrompt",
    "SeedPolicy",
    "list_stock_presets",
    "load_preset",
    "preset_problems",
    "scaffold_text",
    "stock_preset_names",
    "stock_presets_dir",
    "validate_preset",
    "write_scaffold",
]
