"""``run_batch(..., engine=SharedEngine)``: several batches at once are one engine."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from fakes import FakeClock, FakeProvider, entry, keys_for, make_plan
from pinglass.runner import EngineConfig, run_batch, shared_engine
from pinglass.runner.events import CostUpdated, Event
from pinglass.runner.plan import Plan
from pinglass.runner.results import RunOutcome
from pinglass.settings import Settings

pytestmark = pytest.mark.anyio

KEYS = keys_for(fake=["fk_key_aaaaaaaaaaaa"])


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, poll_interval=1.0, poll_timeout=60.0)  # type: ignore[call-arg]


async def _together(
    plans: dict[str, Plan],
    fake: FakeProvider,
    settings: Settings,
    tmp_path: Path,
    *,
    max_cost: str | None,
    concurrency: int,
    events: list[Event] | None = None,
) -> tuple[dict[str, RunOutcome], Decimal]:
    clock = FakeClock()
    async with shared_engine(
        settings, concurrency=concurrency, max_cost=None if max_cost is None else Decimal(max_cost)
    ) as engine:
        if events is not None:
            budget = engine.budget
            budget.on_change = lambda: events.append(CostUpdated(budget.spent, budget.reserved))
        runs = {
            name: run_batch(
                plan,
                keys=KEYS,
                settings=settings,
                out_dir=tmp_path / name,
                sleep=clock.sleep,
                clock=clock,
                wall=clock.wall,
                providers={"fake": fake},
                config=EngineConfig(breaker_threshold=50),
                engine=engine,
            )
            for name, plan in plans.items()
        }
        outcomes = await asyncio.gather(*runs.values())
        assert list(engine.lanes) == ["fake"]  # one limiter, key pool and breaker for all
        spent = engine.budget.spent
    return dict(zip(runs, outcomes, strict=True)), spent


async def test_one_budget_caps_the_sum_of_every_batch(settings: Settings, tmp_path: Path) -> None:
    # Three people of 3 images at $0.03, one cap of $0.15: each alone would fit, all do not.
    fake = FakeProvider()
    plans = {name: make_plan(3, (entry(price="0.03"),)) for name in ("ana", "ben", "cleo")}
    events: list[Event] = []
    outcomes, spent = await _together(
        plans, fake, settings, tmp_path, max_cost="0.15", concurrency=4, events=events
    )
    statuses = [r.status for o in outcomes.values() for r in o.results]
    assert statuses.count("succeeded") == 5 and statuses.count("not_run") == 4
    assert sum(o.cost_usd for o in outcomes.values()) == spent == Decimal("0.15")
    assert sum(fake.creates.values()) == 5  # nothing was sent beyond the cap
    assert max(e.spent + e.reserved for e in events if isinstance(e, CostUpdated)) <= Decimal(
        "0.15"
    )
    for name in plans:  # each batch still writes into its own folder, with its own journal
        assert (tmp_path / name / "journal.jsonl").is_file()


async def test_one_window_of_requests_in_flight_across_batches(
    settings: Settings, tmp_path: Path
) -> None:
    fake = FakeProvider(polls_before_done=3)
    plans = {name: make_plan(4, (entry(concurrency=8),)) for name in ("ana", "ben")}
    outcomes, _ = await _together(plans, fake, settings, tmp_path, max_cost=None, concurrency=3)
    assert all(r.status == "succeeded" for o in outcomes.values() for r in o.results)
    assert fake.max_in_flight == 3  # without the shared window: up to 8 (4 per batch)
    assert sum(fake.creates.values()) == 8
