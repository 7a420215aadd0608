"""The model catalog: data, not code (``models/<provider>.toml`` beside this file).

Each entry says which provider serves a model, its short name and vendor id, how it takes
reference photos, what it costs and in which unit, its default size, its concurrency and rate
limits, and the date the price was checked. ``[prices]`` in ``pinglass.toml`` overrides prices.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pinglass.errors import ConfigError, UsageError

__all__ = ["Catalog", "ModelEntry", "load_catalog"]

PriceUnit = Literal["image", "megapixel", "second"]

FailedBilling = Literal["billed", "free", "unstated"]

DEADLINE_FACTOR = Decimal(4)
"""A per-second job's default deadline, in multiples of its typical time."""


class ModelEntry(BaseModel):
    """One model of one provider, as the catalog describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    provider: str
    """Provider name (``replicate``)."""
    model: str
    """Short name users type (``flux-pulid``)."""
    vendor_id: str
    """The provider's own model id (``bytedance/flux-pulid``)."""
    references: Literal["none", "one", "many"] = "none"
    """How many reference photos the model takes."""
    reference_field: str | None = None
    """The input that carries the reference (``main_face_image``, ``image[]``)."""
    max_references: int = Field(default=1, ge=1)
    """Most references sent when ``references`` is ``many``."""
    identity: bool = False
    """True when the model is built to keep the reference person's identity."""
    price: Decimal = Field(ge=0)
    """USD per ``unit``."""
    unit: PriceUnit = "image"
    """What ``price`` is per: an image, a megapixel of output, or a second of hardware."""
    typical_seconds: Decimal | None = None
    """For per-second prices: typical seconds per image, used for estimates."""
    max_seconds: Decimal | None = Field(default=None, gt=0, le=3600)
    """For per-second prices: the deadline each job is sent with (Replicate ``Cancel-After``),
    so one image costs at most ``price × max_seconds``. Default: four times the typical time."""
    timeout_s: float | None = Field(default=None, gt=0, le=3600)
    """Read timeout for this model's synchronous create, seconds (default: the run's setting)."""
    failed_billing: FailedBilling | None = None
    """Whether a job of this model that the provider ran and then failed is billed: ``billed``,
    ``free``, or ``unstated`` (the vendor says nothing: counted as possibly billed at the
    catalog price, with a note). ``None``: the provider's rule (``bills_failed_jobs``)."""
    safety_checker_input: str | None = None
    """The model input that switches its own safety checker (``disable_safety_checker``), set
    from ``--safety-checker/--no-safety-checker``; ``None`` when the model has none here."""
    price_checked: dt.date
    """When the price was last checked against the provider's page."""
    price_source: str = ""
    """Where the price came from: the vendor's pricing or model page, and what it says."""
    width: int = 1024
    """Default output width in pixels."""
    height: int = 1024
    """Default output height in pixels."""
    concurrency: int = Field(default=4, ge=1)
    """Default number of images in flight at once."""
    rpm: int = Field(default=60, ge=1)
    """Create requests per minute the provider allows."""
    default: bool = False
    """The provider's default model when ``--model`` is not given."""
    retired: bool = False
    """Listed for reference only; never a default, and refused when asked for by name."""
    replaced_by: str | None = None
    """For a retired model: the short name of the model to use instead (same provider)."""
    max_prompt_chars: int | None = Field(default=None, ge=1)
    """Longest prompt (and negative prompt) the model accepts, in characters; None when the
    provider documents no limit. Checked when a run is planned, before anything is sent."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Fixed model inputs sent with every request."""
    notes: str = ""
    """Anything a user should know when choosing it."""

    def retired_error(self) -> UsageError:
        """The refusal for naming a retired model, with its replacement."""
        instead = f"; use --model {self.replaced_by} instead" if self.replaced_by else ""
        return UsageError(
            f"{self.key} is retired (the vendor no longer serves it, so every image would fail)"
            f"{instead}; `pinglass providers` lists the current models"
        )

    @property
    def key(self) -> str:
        """``provider/model``, the name used in price overrides and reports."""
        return f"{self.provider}/{self.model}"

    def price_per_image(self, width: int | None = None, height: int | None = None) -> Decimal:
        """Estimated USD for one image at ``width``×``height`` (defaults: the model's size)."""
        if self.unit == "image":
            return self.price
        if self.unit == "megapixel":
            w, h = width or self.width, height or self.height
            return self.price * Decimal(w * h) / Decimal(1_000_000)
        return self.price * (self.typical_seconds or Decimal(10))

    @property
    def deadline_seconds(self) -> Decimal | None:
        """For a per-second model, the longest one job may run (seconds); else ``None``."""
        if self.unit != "second":
            return None
        return self.max_seconds or DEADLINE_FACTOR * (self.typical_seconds or Decimal(10))

    def worst_price_per_image(self, width: int | None = None, height: int | None = None) -> Decimal:
        """The most one image can cost (USD): a per-second model's rate × its deadline."""
        deadline = self.deadline_seconds
        if deadline is None:
            return self.price_per_image(width, height)
        return self.price * deadline


class _CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[ModelEntry]


class Catalog:
    """Lookup over the catalog entries; prices already overridden from settings."""

    def __init__(self, entries: Iterable[ModelEntry]) -> None:
        self.entries: list[ModelEntry] = list(entries)

    def models(
        self, provider: str | None = None, *, include_retired: bool = False
    ) -> list[ModelEntry]:
        """Entries of ``provider`` (all providers when ``None``), in catalog order."""
        return [
            e
            for e in self.entries
            if (provider is None or e.provider == provider) and (include_retired or not e.retired)
        ]

    def providers(self) -> list[str]:
        """Provider names that have at least one entry, in catalog order."""
        return list(dict.fromkeys(e.provider for e in self.entries))

    def get(self, provider: str, model: str | None = None) -> ModelEntry:
        """The entry for ``provider`` and a short name or vendor id (default model if ``None``).

        Raises ``UsageError`` naming the valid choices.
        """
        entries = [e for e in self.entries if e.provider == provider]
        if not entries:
            raise UsageError(
                f"unknown provider {provider!r}; choose one of: {', '.join(self.providers())}"
            )
        if model is None:
            for e in entries:
                if e.default and not e.retired:
                    return e
            current = [e for e in entries if not e.retired]
            if not current:
                raise UsageError(f"{provider} has only retired models; name one with --model")
            return current[0]
        for e in entries:
            if model in (e.model, e.vendor_id):
                # A retired model's endpoint is shut down: every image would fail, so it is
                # refused before anything is sent, naming what replaced it.
                if e.retired:
                    raise e.retired_error()
                return e
        names = ", ".join(e.model for e in entries if not e.retired)
        raise UsageError(f"unknown model {model!r} for {provider}; choose one of: {names}")


def load_catalog(price_overrides: Mapping[str, Decimal] | None = None) -> Catalog:
    """Read the packaged catalog and apply ``provider/model = price`` overrides.

    Entries come from ``models/<provider>.toml``, one file per provider, in registry order.
    """
    from pinglass.providers import PROVIDERS

    folder = resources.files(__package__).joinpath("models")
    files = {f.name.removesuffix(".toml"): f for f in folder.iterdir() if f.name.endswith(".toml")}
    order = [p for p in PROVIDERS if p in files] + sorted(set(files) - set(PROVIDERS))
    entries: list[ModelEntry] = []
    for name in order:
        try:
            parsed = _CatalogFile.model_validate(tomllib.loads(files[name].read_text("utf-8")))
        except (tomllib.TOMLDecodeError, ValidationError) as exc:  # a packaging bug
            raise RuntimeError(
                f"the packaged catalog models/{name}.toml is invalid: {exc}"
            ) from exc
        if any(e.provider != name for e in parsed.models):
            raise RuntimeError(f"catalog models/{name}.toml lists another provider's model")
        entries.extend(parsed.models)
    overrides = dict(price_overrides or {})
    if overrides:
        known = {e.key for e in entries}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(
                f"[prices] names unknown model {unknown[0]!r}; use provider/model, e.g. "
                "'replicate/flux-pulid'"
            )
        entries = [
            e.model_copy(update={"price": overrides[e.key]}) if e.key in overrides else e
            for e in entries
        ]
    return Catalog(entries)
