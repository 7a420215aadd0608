"""The preset document as pydantic models: ``[preset]``, ``[defaults]``, ``[[prompts]]``.

Also the resolved form of a prompt (defaults merged, seed chosen) and the limits every preset
obeys (slug ids, pixel sizes, prompt length, seed range).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pinglass.errors import UsageError

__all__ = [
    "MAX_PROMPT_CHARS",
    "SEED_MODULUS",
    "SLUG_PATTERN",
    "Preset",
    "PresetDefaults",
    "PresetFile",
    "PresetMeta",
    "PromptSpec",
    "ResolvedPrompt",
    "SeedPolicy",
]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PROMPT_CHARS = 2000
"""Longest prompt or negative prompt, in characters after whitespace is collapsed."""
SEED_MODULUS = 2**31
"""Seeds are taken modulo this, so they fit every provider's signed 32-bit seed field."""
_MAX_FILE_BYTES = 1_000_000

SeedPolicy = Literal["random", "fixed", "per-prompt"]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
# Multiples of 16: FLUX-family models need it, and every other catalogued model accepts it.
Pixels = Annotated[int, Field(ge=256, le=2048, multiple_of=16)]
Guidance = Annotated[float, Field(gt=0, le=30)]
Steps = Annotated[int, Field(ge=1, le=150)]
IdentityWeight = Annotated[float, Field(ge=0, le=3)]
Seed = Annotated[int, Field(ge=0, lt=SEED_MODULUS)]

# strict: TOML already gives typed values, so "28" for steps is a mistake worth reporting.
_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)


def _clean_text(value: str | None) -> str | None:
    """Collapse whitespace (authors wrap long prompts) and enforce the length limit."""
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > MAX_PROMPT_CHARS:
        raise ValueError(f"is {len(value)} characters; the limit is {MAX_PROMPT_CHARS}")
    return value


class PresetMeta(BaseModel):
    """The ``[preset]`` table."""

    model_config = _MODEL_CONFIG

    name: Slug
    """Short kebab-case name; used in output folder names."""
    description: str = Field(default="", max_length=300)
    """One line shown by ``pinglass presets list``."""
    version: str = "1"
    """The preset's own version, recorded in report.json."""


class PresetDefaults(BaseModel):
    """The ``[defaults]`` table: values every prompt uses unless it overrides them."""

    model_config = _MODEL_CONFIG

    width: Pixels = 896
    """Output width in pixels (multiple of 16, 256-2048)."""
    height: Pixels = 1152
    """Output height in pixels (multiple of 16, 256-2048)."""
    negative_prompt: str = ""
    """What the image must not show; ignored by models without negative prompts."""
    guidance: Guidance | None = None
    """Classifier-free guidance scale; None leaves the model's default."""
    steps: Steps | None = None
    """Sampler steps; None leaves the model's default."""
    identity_weight: IdentityWeight | None = None
    """How strongly the reference face is kept (0-3); None leaves the model's default."""
    seed: SeedPolicy = "per-prompt"
    """Seed policy: "per-prompt", "fixed" or "random" (module docstring)."""
    base_seed: Seed | None = None
    """Base of "per-prompt" and the seed of "fixed" (default 0); not allowed with "random"."""

    _clean_negative = field_validator("negative_prompt")(_clean_text)

    @field_validator("base_seed")
    @classmethod
    def _base_seed_used(cls, value: int | None, info: Any) -> int | None:
        if value is not None and info.data.get("seed") == "random":
            raise ValueError('is not used with seed = "random"; remove it or use "per-prompt"')
        return value


class PromptSpec(BaseModel):
    """One ``[[prompts]]`` table: an image to make. Unset overrides fall back to defaults."""

    model_config = _MODEL_CONFIG

    id: Slug
    """Unique kebab-case id; names the output file ``NN-<id>.png``."""
    text: str
    """The prompt (whitespace collapsed, at most MAX_PROMPT_CHARS characters)."""
    negative_prompt: str | None = None
    """Replaces the default negative prompt for this image."""
    width: Pixels | None = None
    """Overrides the default width (pixels)."""
    height: Pixels | None = None
    """Overrides the default height (pixels)."""
    guidance: Guidance | None = None
    """Overrides the default guidance."""
    steps: Steps | None = None
    """Overrides the default steps."""
    identity_weight: IdentityWeight | None = None
    """Overrides the default identity weight."""
    seed: Seed | None = None
    """Pins this image's seed, whatever the policy and ``--seed``."""

    _clean_negative = field_validator("negative_prompt")(_clean_text)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        cleaned = _clean_text(value)
        if not cleaned:
            raise ValueError("is empty")
        return cleaned


class PresetFile(BaseModel):
    """The whole TOML document."""

    model_config = _MODEL_CONFIG

    preset: PresetMeta
    defaults: PresetDefaults = PresetDefaults()
    prompts: list[PromptSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class ResolvedPrompt:
    """A prompt with the defaults merged in and a concrete seed. ``index`` is 1-based."""

    index: int
    id: str
    text: str
    negative_prompt: str
    width: int
    height: int
    guidance: float | None
    steps: int | None
    identity_weight: float | None
    seed: int


class Preset(BaseModel):
    """A validated preset file. Build it with :func:`load_preset` or :func:`validate_preset`."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    """The ``[preset] name``."""
    description: str
    """The ``[preset] description``."""
    version: str
    """The ``[preset] version``."""
    path: Path
    """The file it was read from."""
    sha256: str
    """SHA-256 of the file's bytes (hex), so a report can tell which text was used."""
    defaults: PresetDefaults
    """The ``[defaults]`` table."""
    prompts: list[PromptSpec] = Field(min_length=1)
    """The prompts, in file order."""

    def resolve(self, seed: int | None = None) -> list[ResolvedPrompt]:
        """Every prompt with defaults merged and a seed chosen by the policy.

        ``seed`` is the run's ``--seed``; with it the result is deterministic (so is any
        policy but "random" without it). Raises UsageError for a seed outside 0..2**31-1.
        """
        if seed is not None and not 0 <= seed < SEED_MODULUS:
            raise UsageError(f"--seed must be between 0 and {SEED_MODULUS - 1}, not {seed}")
        d = self.defaults
        if seed is None:
            seed = secrets.randbelow(SEED_MODULUS) if d.seed == "random" else d.base_seed or 0
        resolved = []
        for index, p in enumerate(self.prompts, start=1):
            chosen = seed if d.seed == "fixed" else (seed + index - 1) % SEED_MODULUS
            chosen = chosen if p.seed is None else p.seed
            merged = {f: getattr(d, f) if getattr(p, f) is None else getattr(p, f) for f in _MERGED}
            resolved.append(
                ResolvedPrompt(index=index, id=p.id, text=p.text, seed=chosen, **merged)
            )
        return resolved


_MERGED = ("negative_prompt", "width", "height", "guidance", "steps", "identity_weight")
