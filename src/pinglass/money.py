"""Money in ``Decimal`` USD, and the run budget.

Floats appear only when a figure is serialised to JSON (:func:`to_json`). The :class:`Budget`
reserves each paid request's price *before* the request is sent, so no level of concurrency can
spend past ``--max-cost``; the :class:`Reservation` is then settled with the billed figure,
released when the provider did not bill, or kept when nobody can tell yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = ["ZERO", "Budget", "BudgetExceeded", "Reservation", "ReservationState", "to_json", "usd"]

ZERO = Decimal(0)
_SIX_DP = Decimal("0.000001")

ReservationState = Literal["open", "kept", "released", "settled", "unheld"]


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


class Reservation:
    """Money held against the budget for one paid request, in USD.

    It ends exactly once, with a name for what happened to the request:

    - :meth:`settle`: the provider billed it (at ``billed`` when it said so) → spent;
    - :meth:`release`: it was certainly not billed → the amount is free again;
    - :meth:`keep`: it may have been billed and nobody can tell yet (an ambiguous create, a job
      that may still run) → the amount stays reserved for the rest of the run.

    Ending it a second time is a programming error (``RuntimeError``). A reservation made by
    :meth:`Budget.reserve_committed` that did not fit is *unheld*: it holds nothing, so keeping or
    releasing it changes nothing and settling it reports the figure without spending it.
    """

    __slots__ = ("_budget", "amount", "state")

    def __init__(self, budget: Budget | None, amount: Decimal) -> None:
        self._budget = budget
        self.amount = amount
        self.state: ReservationState = "open" if budget is not None else "unheld"

    def __repr__(self) -> str:
        return f"Reservation(amount={self.amount}, state={self.state!r})"

    @property
    def open(self) -> bool:
        """True until the reservation is kept, released or settled."""
        return self.state == "open"

    def keep(self) -> None:
        """Leave the amount reserved for the rest of the run: the request may be billed."""
        self._end("kept")

    def release(self) -> None:
        """Give the amount back to the budget: the provider did not bill the request."""
        self._end("released")

    def settle(self, billed: Decimal | None = None) -> Decimal:
        """Count the request as spent, at ``billed`` when the provider reported it.

        Returns the amount recorded as spent (USD), or for an unheld reservation the amount it
        would have been.
        """
        amount = self.amount if billed is None else usd(billed)
        self._end("settled", spent=amount)
        return amount

    def _end(self, state: ReservationState, *, spent: Decimal = ZERO) -> None:
        if self.state == "unheld":
            return
        if self._budget is None or self.state != "open":
            raise RuntimeError(f"reservation already {self.state}")
        self.state = state
        self._budget._close(self, spent=spent, keep=state == "kept")


@dataclass(slots=True)
class Budget:
    """Spend cap for one run: ``reserve`` before a paid request, then end the reservation.

    ``cap`` is ``None`` for an unlimited run (reservations are still tracked so the report can
    say what was committed). ``on_change`` is called after every change of ``spent`` or
    ``reserved``. The budget is used from one event loop and needs no lock.
    """

    cap: Decimal | None = None
    on_change: Callable[[], None] | None = None
    spent: Decimal = ZERO
    reserved: Decimal = ZERO
    _open: list[Reservation] = field(default_factory=list)
    _moved: asyncio.Event | None = None

    @property
    def committed(self) -> Decimal:
        """Spent plus reserved: what the run may already owe, in USD."""
        return self.spent + self.reserved

    @property
    def holding(self) -> int:
        """Open reservations: requests whose money may still come back (settled or released)."""
        return len(self._open)

    def can_reserve(self, amount: Decimal) -> bool:
        """True when ``amount`` fits under the cap next to what is committed."""
        return self.cap is None or self.committed + amount <= self.cap

    def reserve(self, amount: Decimal) -> Reservation:
        """Hold ``amount`` USD; raises :class:`BudgetExceeded` when it does not fit."""
        amount = usd(amount)
        if not self.can_reserve(amount):
            assert self.cap is not None  # noqa: S101 - can_reserve is true without a cap
            raise BudgetExceeded(amount, self.committed, self.cap)
        res = Reservation(self, amount)
        self.reserved += amount
        self._open.append(res)
        self._changed()
        return res

    def reserve_committed(self, amount: Decimal) -> Reservation:
        """Hold ``amount`` for a request an earlier run already sent, if it fits.

        The money is committed remotely either way, so this never refuses: when it does not fit
        the reservation is unheld (see :class:`Reservation`).
        """
        try:
            return self.reserve(amount)
        except BudgetExceeded:
            self._changed()
            return Reservation(None, usd(amount))

    def _close(self, res: Reservation, *, spent: Decimal, keep: bool) -> None:
        self._open.remove(res)
        if not keep:
            self.reserved -= res.amount
            self.spent += spent
        self._changed()

    async def changed(self) -> None:
        """Wait until ``spent`` or ``reserved`` changes next (a job waiting for room).

        Lives on the budget, not on a run, so batches that share one budget wake each other.
        """
        if self._moved is None:
            self._moved = asyncio.Event()
        await self._moved.wait()

    def _changed(self) -> None:
        if self._moved is not None:
            self._moved.set()
            self._moved = None
        if self.on_change is not None:
            self.on_change()
