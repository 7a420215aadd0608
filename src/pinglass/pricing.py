"""Price a preset on catalogued models, side by side, before anything is spent.

:func:`compare` is the library behind ``pinglass estimate``: one row per model with the run's
cost (USD) for the preset's prompts at the preset's sizes, the per-image price and its unit,
reference support, whether the model keeps identity and whether a key is configured. Rows put
identity-keeping models first, then the cheapest. A model that cannot take a reference carries a
warning: its portraits will not look like the person.

A per-second model's run cost is priced at its typical run time, but ``generate`` reserves each
image's worst case against ``--max-cost`` (the rate × the deadline the job is sent with). Each
row carries that worst case too, from the same :class:`~pinglass.runner.plan.Job` methods the
run's estimate and its reservations use, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

from pinglass.errors import UsageError
from pinglass.money import ZERO, usd

if TYPE_CHECKING:
    from pinglass.catalog import Catalog, ModelEntry
    from pinglass.presets import Preset
    from pinglass.providers.base import Billed
    from pinglass.runner.plan import Job

__all__ = [
    "NO_REFERENCE_WARNING",
    "CatalogRow",
    "CostSource",
    "PriceRow",
    "billed_cost",
    "catalog_rows",
    "compare",
]

CostSource = Literal["catalog", "computed", "provider"]
"""How a report's cost is known: ``provider`` the vendor reported money; ``computed`` the vendor
reported seconds or units, priced at the catalog rate; ``catalog`` the estimate only."""

USD = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
"""Decimal in Python, a JSON number in ``--json`` output (money is a JSON number in USD)."""

NO_REFERENCE_WARNING = "cannot take a reference photo: the portraits will not look like the person"


class PriceRow(BaseModel):
    """One model priced for one preset (the ``estimate --json`` row)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    provider: str
    """Provider name."""
    model: str
    """Catalog short name."""
    vendor_id: str
    """The provider's model id."""
    images: int
    """Images the preset asks for."""
    run_usd: USD
    """Estimated USD for the whole run."""
    per_image_usd: USD
    """Estimated USD for one image at the preset's default size."""
    worst_case_usd: USD
    """The most the whole run can cost, which is what ``generate`` reserves against
    ``--max-cost`` (as its ``worst_case_usd``): a per-second model billed to each image's
    deadline. Equal to ``run_usd`` for models priced per image or megapixel."""
    worst_per_image_usd: USD
    """The most one image at the preset's default size can cost (USD): what each attempt
    reserves before it is sent."""
    deadline_s: int | None = None
    """For per-second models, the longest one image may run (seconds; the deadline each job is
    sent with); ``None`` for other units."""
    price: USD
    """Catalog price in USD per ``unit``."""
    unit: str
    """``image``, ``megapixel`` or ``second`` (hardware time)."""
    references: str
    """``none``, ``one`` or ``many``."""
    identity: bool
    """True when the model is built to keep the person's identity."""
    key_configured: bool
    """True when a key for the provider is configured."""
    price_checked: str
    """ISO date the price was last checked."""
    warning: str | None = None
    """Set when the model cannot take a reference photo."""
    notes: str = ""
    """Catalog notes."""


def billed_cost(
    entry: ModelEntry | None, billed: Billed | None
) -> tuple[Decimal | None, CostSource]:
    """USD a finished job cost on ``entry`` given what the provider ``billed``, and its source.

    ``entry`` must be the one the estimate priced (``[prices]`` overrides included), so the
    settled figure uses the same rate. Money the vendor reported is taken as it is; seconds or
    units are priced at ``entry.price`` when they are in ``entry.unit``. ``(None, "catalog")``
    means nothing usable was reported: settle at the estimate.
    """
    if billed is None:
        return None, "catalog"
    if billed.unit == "usd":
        return billed.amount, "provider"
    if entry is not None and billed.unit == entry.unit:
        return entry.price * billed.amount, "computed"
    return None, "catalog"


def compare(
    catalog: Catalog,
    preset: Preset,
    *,
    configured: Collection[str] = (),
    provider: str | None = None,
    model: str | None = None,
) -> list[PriceRow]:
    """Rows for every non-retired model (or the one chosen), identity first, cheapest first.

    ``configured`` names the providers with a key. ``provider`` alone picks its default model;
    ``model`` alone matches that short name (or vendor id) at every provider. The mock provider
    is left out unless asked for. Raises ``UsageError`` for an unknown provider or model.
    """
    # The run's own jobs (runner.plan's Job prices them): the typical price the run's estimate
    # sums and the worst case each attempt reserves. Imported here: pinglass.runner imports
    # this module.
    from pinglass.jobs import preset_jobs
    from pinglass.runner.plan import Job

    d = preset.defaults
    jobs = preset_jobs(preset, ())
    one = Job(index=1, prompt_id="", prompt="", width=d.width, height=d.height)
    entries = _select(catalog, provider, model)
    rows = [_row(e, preset, jobs, one, has_key=e.provider in configured) for e in entries]
    rows.sort(key=lambda r: (not r.identity, r.references == "none", r.run_usd, r.provider))
    return rows


def _select(catalog: Catalog, provider: str | None, model: str | None) -> list[ModelEntry]:
    if provider is not None:
        return [catalog.get(provider, model)]
    if model is not None:
        found = [e for e in catalog.models() if model in (e.model, e.vendor_id)]
        retired = [
            e for e in catalog.models(include_retired=True) if model in (e.model, e.vendor_id)
        ]
        if not found and retired:
            raise retired[0].retired_error()
        if not found:
            names = sorted({e.model for e in catalog.models()})
            raise UsageError(f"unknown model {model!r}; choose one of: {', '.join(names)}")
        return found
    return [e for e in catalog.models() if e.provider != "mock"]


def _row(
    entry: ModelEntry, preset: Preset, jobs: Sequence[Job], one: Job, *, has_key: bool
) -> PriceRow:
    """``entry``'s row: ``jobs`` are the preset's, ``one`` an image at its default size."""
    deadline = entry.deadline_seconds
    return PriceRow(
        provider=entry.provider,
        model=entry.model,
        vendor_id=entry.vendor_id,
        images=len(preset.prompts),
        run_usd=usd(sum((j.price_on(entry) for j in jobs), ZERO)),
        per_image_usd=one.price_on(entry),
        worst_case_usd=usd(sum((j.worst_price_on(entry) for j in jobs), ZERO)),
        worst_per_image_usd=one.worst_price_on(entry),
        deadline_s=None if deadline is None else int(deadline),
        price=entry.price,
        unit=entry.unit,
        references=entry.references,
        identity=entry.identity,
        key_configured=has_key,
        price_checked=entry.price_checked.isoformat(),
        warning=NO_REFERENCE_WARNING if entry.references == "none" else None,
        notes=entry.notes,
    )


class CatalogRow(BaseModel):
    """One catalog model as ``pinglass providers`` lists it."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    provider: str
    """Provider name."""
    model: str
    """Catalog short name."""
    vendor_id: str
    """The provider's model id."""
    price: USD
    """USD per ``unit``."""
    unit: str
    """``image``, ``megapixel`` or ``second``."""
    per_image_usd: USD
    """Estimated USD per image at the model's default size."""
    references: str
    """``none``, ``one`` or ``many``."""
    max_references: int
    """Most references sent when ``references`` is ``many``."""
    identity: bool
    """True when the model is built to keep the person's identity."""
    default: bool
    """The provider's default model."""
    retired: bool
    """Listed for reference only."""
    key_env_vars: list[str]
    """Variables that hold this provider's keys (each also as ``NAME_1``…)."""
    configured: bool
    """True when a key is configured (always true for the keyless mock)."""
    price_checked: str
    """ISO date the price was last checked."""
    price_source: str
    """Where the price came from."""
    notes: str = ""
    """Catalog notes."""


def catalog_rows(
    catalog: Catalog, *, configured: Collection[str] = (), include_retired: bool = False
) -> list[CatalogRow]:
    """Every catalog model in catalog order, with its provider's key variables and status."""
    from pinglass.providers import PROVIDERS

    rows = []
    for e in catalog.models(include_retired=include_retired):
        variables = list(PROVIDERS[e.provider].key_env_vars) if e.provider in PROVIDERS else []
        rows.append(
            CatalogRow(
                provider=e.provider,
                model=e.model,
                vendor_id=e.vendor_id,
                price=e.price,
                unit=e.unit,
                per_image_usd=usd(e.price_per_image()),
                references=e.references,
                max_references=e.max_references,
                identity=e.identity,
                default=e.default,
                retired=e.retired,
                key_env_vars=variables,
                configured=e.provider in configured or not variables,
                price_checked=e.price_checked.isoformat(),
                price_source=e.price_source,
                notes=e.notes,
            )
        )
    return rows
