"""What a failed job cost: the provider's rule, refined per catalog model.

A failure the provider may have billed (:func:`~pinglass.runner.retry.is_billed_failure`) is
counted; the catalog entry's ``failed_billing`` then decides per model: ``free`` is never
counted, ``unstated`` (the vendor says nothing) is counted as possibly billed at the catalog
price with a note, ``billed`` or no rule follows the provider. Where the provider reported what
it billed (a failed or canceled Replicate prediction's ``predict_time``), those seconds are
priced with the catalog rate (docs/providers.md, Billing rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from pinglass.errors import ProviderError, RemoteJobFailed
from pinglass.pricing import CostSource, billed_cost
from pinglass.providers.base import Billed, BilledUnit
from pinglass.runner.retry import is_billed_failure

if TYPE_CHECKING:
    from pinglass.catalog import ModelEntry
    from pinglass.providers.base import Provider

__all__ = ["FailureCharge", "failure_charge"]

_UNITS: dict[str, BilledUnit] = {
    "usd": "usd",
    "second": "second",
    "image": "image",
    "megapixel": "megapixel",
}


@dataclass(frozen=True, slots=True)
class FailureCharge:
    """How a billed failure is counted: ``amount`` USD (``None``: the estimate), its source."""

    amount: Decimal | None
    source: CostSource
    note: str
    """Appended to the row's error message: why it was counted, and at what."""


def failure_charge(
    exc: ProviderError, provider: Provider, entry: ModelEntry | None
) -> FailureCharge | None:
    """The charge for failure ``exc`` of a job on ``entry``, or ``None`` when it is not billed."""
    if not is_billed_failure(exc, provider):
        return None
    rule = entry.failed_billing if entry is not None else None
    if rule == "free":
        return None
    name = provider.name
    if rule == "unstated":
        model = entry.model if entry is not None else "this model"
        note = (
            f" ({name} does not say whether a failed {model} job is billed:"
            " counted as possibly billed at the catalog price)"
        )
        return FailureCharge(None, "catalog", note)
    quantity = exc.quantity if isinstance(exc, RemoteJobFailed) else None
    unit = _UNITS.get(quantity[1]) if quantity is not None else None
    if quantity is not None and unit is not None:
        amount, source = billed_cost(entry, Billed(quantity[0], unit))
        if amount is not None:
            return FailureCharge(amount, source, f" ({name} bills the time it ran: counted)")
    note = f" ({name} may bill failed jobs: counted at the catalog estimate)"
    return FailureCharge(None, "catalog", note)
