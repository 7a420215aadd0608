"""A commented starter preset, written with tomli-w: ``pinglass presets new``."""

from __future__ import annotations

import re
from pathlib import Path

import tomli_w

from pinglass.errors import UsageError
from pinglass.presets.models import SLUG_PATTERN

__all__ = ["scaffold_text", "write_scaffold"]


# tomli-w writes no comments, so each chunk of keys is dumped by tomli-w (correct quoting) and
# the comments are interleaved here.
_SCAFFOLD = """\
# pinglass preset: {name}
#
# Check it with `pinglass presets validate FILE`; use it with
# `pinglass generate REFS --preset FILE`. Say "the person": who it is comes from the
# reference photos. Describe framing, lens and light, wardrobe, setting and mood.

[preset]
# Short kebab-case name, used in output folder names.
{meta}
[defaults]
# Output size in pixels: multiples of 16 between 256 and 2048.
{size}# What no image should show (models without negative prompts ignore it).
{negative}# Guidance scale, sampler steps and how strongly the reference face is kept (0-3).
# Delete a line to keep the model's own default.
{tuning}# Seed policy: "per-prompt" (base_seed + N - 1 for prompt N), "fixed" (base_seed for
# every prompt) or "random" (new each run; no base_seed). `--seed` replaces base_seed.
{seed}
# One [[prompts]] table per image. The id names the output file (kebab-case, unique).
# Any default can be overridden for one prompt, e.g. `steps = 40` or `seed = 42`.
{prompts}"""

_SCAFFOLD_PROMPTS = {
    "studio-headshot": "Head-and-shoulders studio portrait of the person, 85mm lens at f/4, soft "
    "key light from a large softbox, seamless mid-grey backdrop, navy blazer, relaxed smile.",
    "window-light": "Portrait of the person beside a tall window, soft daylight from the side, "
    "50mm lens at f/2, cream knit sweater, calm thoughtful expression, warm colours.",
}


def scaffold_text(name: str) -> str:
    """The commented TOML text of a new preset called ``name`` (it loads with load_preset)."""
    dump = tomli_w.dumps
    return _SCAFFOLD.format(
        name=name,
        meta=dump({"name": name, "description": "My own portrait set.", "version": "1.0.0"}),
        size=dump({"width": 896, "height": 1152}),
        negative=dump({"negative_prompt": "blurry, low resolution, distorted face, text"}),
        tuning=dump({"guidance": 3.5, "steps": 28, "identity_weight": 1.0}),
        seed=dump({"seed": "per-prompt", "base_seed": 1000}),
        prompts=dump({"prompts": [{"id": k, "text": v} for k, v in _SCAFFOLD_PROMPTS.items()]}),
    )


def write_scaffold(name: str, path: Path) -> Path:
    """Write a commented starter preset called ``name`` to ``path`` and return ``path``.

    Never overwrites: raises UsageError if ``path`` exists, its folder is missing, or ``name``
    is not kebab-case.
    """
    if not re.fullmatch(SLUG_PATTERN, name) or len(name) > 64:
        raise UsageError(f"preset name {name!r} must be kebab-case, like 'team-headshots'")
    text = scaffold_text(name)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{path}: already exists; choose another --out or remove it") from None
    except FileNotFoundError:
        raise UsageError(f"{path.parent}: no such folder") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path
