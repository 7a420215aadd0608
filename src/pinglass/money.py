"""Money in ``Decimal`` USD, and the run budget.

Floats appear only when a figure is serialised to JSON (:func:`to_json`). The :class:`Budget`
reserves each paid request's price *before* the request is sent, so no level of concurrency can
spend past ``--max-cost``; the reservation is settled with the billed figure or released when the
provider does not bill the failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["ZERO", "Budget", "BudgetExceeded", "Reservation", "to_json", "usd"]

ZERO = Decimal(0)
_SIX_DP = Decimal("0.000001")


def usd(value: Decimal | int | float | str) -> Decimal:
    """Return ``value`` as a ``Decimal`` of USD rounded half-up to 6 decimal places.

    Floats go through ``str`` so ``0.1`` becomes ``Decimal("0.1")``, not its binary expansion.
    """
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(_SIX_DP, rounding=ROUND_HALF_UP)


def to_json(value: Decimal | None) -> float | None:
    """Return a USD amount as a JSON number with 6 decimals (``None`` stays ``None``)."""
    return None if value is None else float(usd(value))


class BudgetExceeded(Exception):  # noqa: N818 - an outcome, caught by the runner
    """Reserving this amount would take committed spend past the cap."""

    def __init__(self, amount: Decimal, committed: Decimal, cap: Decimal) -> None:
        self.amount, self.committed, self.cap = amount, committed, cap
        super().__init__(
            f"reserving ${amount} would exceed the budget: ${committed} committed of ${cap}"
        )


@dataclass(slots=True)
class Reservation:
    """An amount held against the budget for one paid request."""

    amount: Decimal
    open: bool = True


@dataclass(slots=True)
class Budget:
    """Spend cap for one run: ``reserve`` before a paid request, then ``settle`` or ``release``.

    ``cap`` is ``None`` for an unlimited run (reservations are still tracked so the report can
    say what was committed). The budget is used from one event loop and needs no lock.
    """

    cap: Decimal | None = None
    spent: Decimal = ZERO
    reserved: Decimal = ZERO
    _open: list[Reservation] = field(default_factory=list)

    @property
    def committed(self) -> Decimal:
        """Spent plus reserved: what the run may already owe, in USD."""
        return self.spent + self.reserved

    def can_reserve(self, amount: Decimal) -> bool:
        """True when ``amount`` fits under the cap next to what is committed."""
        return self.cap is None or self.committed + amount <= self.cap

    def reserve(self, amount: Decimal) -> Reservation:
        """Hold ``amount`` USD; raises :class:`BudgetExceeded` when it does not fit."""
        amount = usd(amount)
        if not self.can_reserve(amount):
            assert self.cap is not None  # noqa: S101 - can_reserve is true without a cap
            raise BudgetExceeded(amount, self.committed, self.cap)
        res = Reservation(amount)
        self.reserved += amount
        self._open.append(res)
        return res

    def settle(self, res: Reservation, billed: Decimal | None = None) -> Decimal:
        """Turn a reservation into spend, at ``billed`` when the provider reported it.

        Returns the amount recorded as spent. Settling twice is a programming error.
        """
        self._close(res)
        amount = res.amount if billed is None else usd(billed)
        self.spent += amount
        return amount

    def release(self, res: Reservation) -> None:
        """Give a reservation back: the provider did not bill the failed request."""
        self._close(res)

    def _close(self, res: Reservation) -> None:
        if not res.open:
            raise RuntimeError("reservation already settled or released")
        res.open = False
        self.reserved -= res.amount
        self._open.remove(res)
