"""Trainer entries: which provider fine-tunes a LoRA, with what, and what it costs.

Data, not code: ``pinglass/catalog/trainers.toml``. Each price declares its unit: a whole
``run``, one training ``step``, or one ``second`` of GPU time (with ``seconds_per_step`` to turn
a step count into an estimate). Price overrides use the same ``[prices]`` table as models, keyed
``provider/trainer``.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pinglass.errors import UsageError
from pinglass.money import usd

__all__ = ["TrainerEntry", "TrainingUnit", "get_trainer", "load_trainers"]

TrainingUnit = Literal["run", "step", "second"]


class TrainerEntry(BaseModel):
    """One trainer of one provider."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    provider: str
    """Provider name (``fal``)."""
    trainer: str
    """Short name users type with ``--trainer`` (``flux-lora-portrait``)."""
    vendor_id: str
    """The provider's own id (``fal-ai/flux-lora-portrait-trainer``)."""
    price: Decimal = Field(ge=0)
    """USD per ``unit``."""
    unit: TrainingUnit
    """What ``price`` is per: a run, a step, or a second of GPU time."""
    seconds_per_step: Decimal | None = None
    """For per-second prices: typical GPU seconds per step, for estimates."""
    default_steps: int = Field(ge=1)
    """Steps when ``--steps`` is not given."""
    min_steps: int = Field(default=1, ge=1)
    """Fewest steps the trainer accepts."""
    max_steps: int = Field(default=10000, ge=1)
    """Most steps the trainer accepts."""
    resolution: int = Field(ge=64)
    """Side of the square face crops sent, in pixels."""
    images_field: str
    """The input that carries the zip of crops."""
    trigger_field: str
    """The input that carries the trigger word."""
    generation_model: str
    """What generates from the result (a catalog short name of the same provider)."""
    generation_price_per_image: Decimal = Field(ge=0)
    """Estimated USD per generated image with the trained result."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Fixed trainer inputs sent with every training."""
    price_checked: dt.date
    """When the price was last checked."""
    price_source: str = ""
    """Where the price came from (a vendor URL)."""
    default: bool = False
    """The provider's default trainer."""
    notes: str = ""
    """Anything a user should know when choosing it."""

    @property
    def key(self) -> str:
        """``provider/trainer``: the name used in price overrides and reports."""
        return f"{self.provider}/{self.trainer}"

    def estimate(self, steps: int) -> Decimal:
        """Estimated USD for a training of ``steps`` steps."""
        if self.unit == "run":
            return usd(self.price)
        if self.unit == "step":
            return usd(self.price * steps)
        per_step = self.seconds_per_step or Decimal(1)
        return usd(self.price * per_step * steps)

    def check_steps(self, steps: int) -> None:
        """Raise ``UsageError`` when ``steps`` is outside what the trainer accepts."""
        if not self.min_steps <= steps <= self.max_steps:
            raise UsageError(
                f"--steps {steps}: {self.vendor_id} takes {self.min_steps}-{self.max_steps} steps"
            )


class _TrainersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trainers: list[TrainerEntry]


@cache
def _packaged() -> tuple[TrainerEntry, ...]:
    text = resources.files("pinglass.catalog").joinpath("trainers.toml").read_text("utf-8")
    try:
        return tuple(_TrainersFile.model_validate(tomllib.loads(text)).trainers)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:  # a packaging bug
        raise RuntimeError(f"the packaged catalog trainers.toml is invalid: {exc}") from exc


def load_trainers(price_overrides: Mapping[str, Decimal] | None = None) -> list[TrainerEntry]:
    """Every packaged trainer, with ``provider/trainer = price`` overrides applied.

    Overrides naming something else (a generation model) are left for the model catalog.
    """
    overrides = dict(price_overrides or {})
    return [
        e.model_copy(update={"price": overrides[e.key]}) if e.key in overrides else e
        for e in _packaged()
    ]


def get_trainer(
    provider: str,
    trainer: str | None = None,
    *,
    price_overrides: Mapping[str, Decimal] | None = None,
) -> TrainerEntry:
    """The trainer of ``provider`` by short name or vendor id (its default when ``None``).

    Raises ``UsageError`` naming the valid choices.
    """
    entries = [e for e in load_trainers(price_overrides) if e.provider == provider]
    if not entries:
        names = sorted({e.provider for e in _packaged()})
        raise UsageError(f"{provider!r} cannot train; choose one of: {', '.join(names)}")
    if trainer is None:
        return next((e for e in entries if e.default), entries[0])
    for e in entries:
        if trainer in (e.trainer, e.vendor_id):
            return e
    choices = ", ".join(e.trainer for e in entries)
    raise UsageError(f"unknown trainer {trainer!r} for {provider}; choose one of: {choices}")
