"""Money: Decimal USD rounding and the budget's reserve/settle/release bookkeeping."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from pinglass.money import ZERO, Budget, BudgetExceeded, Reservation, to_json, usd


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.0000005"), Decimal("0.000001")),  # half-up, not banker's
        (Decimal("0.0000015"), Decimal("0.000002")),
        (Decimal("0.0000025"), Decimal("0.000003")),  # banker's rounding would give ...2
        (Decimal("0.00000049"), Decimal("0.000000")),
        (Decimal("-0.0000005"), Decimal("-0.000001")),  # half away from zero
        ("0.0333", Decimal("0.033300")),
        (3, Decimal("3.000000")),
        (0.1, Decimal("0.100000")),
        (0.0000005, Decimal("0.000001")),  # float via repr: '5e-07', not 4.99999...e-07
        (1.0000025, Decimal("1.000003")),  # binary expansion is 1.00000249999..., repr is exact
    ],
)
def test_usd_rounds_half_up_to_six_places(
    value: Decimal | int | float | str, expected: Decimal
) -> None:
    result = usd(value)
    assert result == expected
    assert result.as_tuple().exponent == -6


def test_usd_float_uses_repr_not_binary_expansion() -> None:
    assert Decimal(0.1) != Decimal("0.1")
    assert str(usd(0.1)) == "0.100000"


def test_to_json() -> None:
    assert to_json(None) is None
    assert to_json(Decimal("0.0333333333")) == 0.033333
    assert isinstance(to_json(Decimal(1)), float)
    assert to_json(Decimal("1.2345675")) == 1.234568


def test_reserve_then_settle_at_reserved_amount() -> None:
    b = Budget(cap=Decimal("1"))
    res = b.reserve(Decimal("0.3"))
    assert isinstance(res, Reservation)
    assert res.open
    assert b.reserved == Decimal("0.3")
    assert b.spent == ZERO
    assert b.committed == Decimal("0.3")
    assert res.settle() == Decimal("0.3")
    assert not res.open
    assert (b.spent, b.reserved, b.committed) == (Decimal("0.3"), ZERO, Decimal("0.3"))


def test_settle_with_billed_figure() -> None:
    b = Budget(cap=Decimal("1"))
    res = b.reserve(Decimal("0.3"))
    assert res.settle(billed=Decimal("0.1234567")) == Decimal("0.123457")
    assert b.spent == Decimal("0.123457")
    assert b.reserved == ZERO


def test_release_gives_reservation_back() -> None:
    b = Budget(cap=Decimal("1"))
    res = b.reserve(Decimal("0.6"))
    res.release()
    assert not res.open
    assert b.committed == ZERO
    b.reserve(Decimal("1"))  # the whole cap is free again
    assert b.committed == Decimal("1")


def test_reserve_rounds_amount() -> None:
    b = Budget()
    res = b.reserve(Decimal("0.12345649"))
    assert res.amount == Decimal("0.123456")
    assert b.reserved == Decimal("0.123456")


def test_budget_exceeded_when_over_cap() -> None:
    b = Budget(cap=Decimal("1.00"))
    b.reserve(Decimal("0.70"))
    assert b.can_reserve(Decimal("0.30"))
    assert not b.can_reserve(Decimal("0.31"))
    with pytest.raises(BudgetExceeded) as info:
        b.reserve(Decimal("0.31"))
    exc = info.value
    assert exc.amount == Decimal("0.31")
    assert exc.committed == Decimal("0.70")
    assert exc.cap == Decimal("1.00")
    assert "0.31" in str(exc)
    assert "1.00" in str(exc)
    # Nothing was held by the refused reservation.
    assert b.reserved == Decimal("0.70")
    b.reserve(Decimal("0.30"))  # exactly up to the cap is fine
    assert b.committed == b.cap


def test_spent_counts_against_cap() -> None:
    b = Budget(cap=Decimal("0.5"))
    b.reserve(Decimal("0.4")).settle()
    with pytest.raises(BudgetExceeded):
        b.reserve(Decimal("0.2"))


def test_zero_cap_refuses_any_paid_request_but_allows_free() -> None:
    b = Budget(cap=ZERO)
    b.reserve(ZERO)
    with pytest.raises(BudgetExceeded):
        b.reserve(Decimal("0.000001"))


def test_unlimited_budget_tracks_but_never_refuses() -> None:
    b = Budget()
    assert b.cap is None
    for _ in range(100):
        b.reserve(Decimal("1000"))
    assert b.can_reserve(Decimal("1e12"))
    assert b.committed == Decimal("100000")


@pytest.mark.parametrize("second", ["settle", "release", "keep"])
@pytest.mark.parametrize("first", ["settle", "release", "keep"])
def test_ending_twice_is_a_programming_error(first: str, second: str) -> None:
    b = Budget(cap=Decimal("1"))
    res = b.reserve(Decimal("0.5"))
    getattr(res, first)()
    before = (b.spent, b.reserved)
    with pytest.raises(RuntimeError, match="already"):
        getattr(res, second)()
    assert (b.spent, b.reserved) == before
    ended = {"settle": "settled", "release": "released", "keep": "kept"}[first]
    assert not res.open and res.state == ended


def test_keep_leaves_the_money_reserved_for_the_run() -> None:
    b = Budget(cap=Decimal("1"))
    res = b.reserve(Decimal("0.6"))
    res.keep()  # it may be billed: nobody can tell
    assert (b.spent, b.reserved) == (ZERO, Decimal("0.6"))
    with pytest.raises(BudgetExceeded):
        b.reserve(Decimal("0.5"))


def test_reserve_committed_never_refuses_and_holds_only_what_fits() -> None:
    changes: list[Decimal] = []
    b = Budget(cap=Decimal("1"))
    b.on_change = lambda: changes.append(b.committed)
    held = b.reserve_committed(Decimal("0.7"))
    unheld = b.reserve_committed(Decimal("0.5"))  # already sent by an earlier run
    assert (held.state, unheld.state) == ("open", "unheld") and not unheld.open
    assert b.reserved == Decimal("0.7")
    unheld.keep()
    unheld.release()
    assert unheld.settle(Decimal("0.45")) == Decimal("0.45")  # reported, not spent
    assert unheld.settle() == Decimal("0.5")
    assert held.settle() == Decimal("0.7")
    assert (b.spent, b.reserved) == (Decimal("0.7"), ZERO)
    assert changes == [Decimal("0.7"), Decimal("0.7"), Decimal("0.7")]


def test_committed_never_exceeds_cap_over_random_sequences() -> None:
    rng = random.Random(20261123)
    for _trial in range(200):
        cap = usd(rng.uniform(0, 5))
        b = Budget(cap=cap)
        open_res: list[Reservation] = []
        expected_spent = ZERO
        for _step in range(60):
            action = rng.random()
            if action < 0.5 or not open_res:
                amount = usd(rng.uniform(0, 1.5))
                fits = b.committed + amount <= cap
                try:
                    open_res.append(b.reserve(amount))
                except BudgetExceeded:
                    assert not fits
                else:
                    assert fits
            else:
                res = open_res.pop(rng.randrange(len(open_res)))
                if action < 0.8:
                    # Providers may bill less than the estimate; never more than reserved here.
                    billed = usd(rng.uniform(0, float(res.amount))) if rng.random() < 0.5 else None
                    expected_spent += res.settle(billed)
                else:
                    res.release()
            assert b.committed <= cap
            assert b.committed == b.spent + b.reserved
            assert b.reserved == sum((r.amount for r in open_res), ZERO)
            assert b.spent == expected_spent
            assert b.reserved >= ZERO


async def _changes(budget: Budget, seen: list[str]) -> None:
    await budget.changed()
    seen.append("moved")


@pytest.mark.anyio
async def test_changed_wakes_a_waiter_when_money_moves_and_holding_counts_open() -> None:
    """A job waiting for room wakes when any reservation of the (shared) budget ends."""
    import asyncio

    budget = Budget(cap=Decimal("1"))
    first = budget.reserve(Decimal("0.6"))
    assert budget.holding == 1
    seen: list[str] = []
    waiter = asyncio.create_task(_changes(budget, seen))
    await asyncio.sleep(0)
    assert seen == []
    first.settle(Decimal("0.2"))
    await waiter
    assert seen == ["moved"] and budget.holding == 0 and budget.spent == Decimal("0.2")
