"""``--reroll`` decisions on a small run state, with a fake round runner instead of the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest

from pinglass.catalog import load_catalog
from pinglass.identity.likeness import Likeness
from pinglass.report.build import RunState
from pinglass.rerolls import REROLL_SEED_STEP, RerollState, reroll_plan, run_rerolls
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult, RunOutcome

PRICE = Decimal("0.01")
JOBS = tuple(Job(index=i, prompt_id=f"p{i}", prompt=f"prompt {i}", seed=i) for i in (1, 2, 3))


def _plan() -> Plan:
    entry = load_catalog({"mock/mock-portrait": PRICE}).get("mock", None)
    return Plan(jobs=JOBS, chain=(entry,))


def _made(job: Job, prompt_id: str | None = None) -> ImageResult:
    pid = prompt_id or job.prompt_id
    return ImageResult(
        index=job.index,
        prompt_id=pid,
        prompt=job.prompt,
        status="succeeded",
        file=f"images/{job.index:02d}-{pid}.png",
        cost_usd=PRICE,
    )


def _state(scores: dict[int, float | None], **kw: object) -> RerollState:
    made = RunState(results={j.index: _made(j) for j in JOBS})
    for index, score in scores.items():
        made.likeness[f"images/{index:02d}-p{index}.png"] = (
            None if score is None else Likeness(score=score, distance=1 - score)
        )
    fields: dict[str, object] = {"plan": _plan(), "min_likeness": 0.5, "left": 5, "made": made}
    fields.update(kw)
    return RerollState(**fields)  # type: ignore[arg-type]


def test_weak_prompts_are_rerolled_weakest_first_as_new_jobs() -> None:
    plan = reroll_plan(_state({1: 0.45, 2: 0.9, 3: 0.2}))
    assert plan is not None
    assert [(j.index, j.prompt_id) for j in plan.jobs] == [(3, "p3~r1"), (1, "p1~r1")]
    assert [j.seed for j in plan.jobs] == [3 + REROLL_SEED_STEP, 1 + REROLL_SEED_STEP]


def test_unscored_images_and_images_without_a_face_are_never_rerolled() -> None:
    assert reroll_plan(_state({1: None})) is None
    assert reroll_plan(_state({})) is None


def test_the_allowance_and_the_budget_bound_a_round() -> None:
    weak = {1: 0.1, 2: 0.2, 3: 0.3}
    one_left = reroll_plan(_state(weak, left=1))
    assert one_left is not None and [j.prompt_id for j in one_left.jobs] == ["p1~r1"]
    # $0.03 spent on the first images; $0.05 leaves room for two more, and the round's plan
    # carries the room as its cap so the engine can never go past it either
    capped = reroll_plan(_state(weak, max_cost=Decimal("0.05")))
    assert capped is not None and len(capped.jobs) == 2 and capped.max_cost == Decimal("0.02")
    assert reroll_plan(_state(weak, max_cost=Decimal("0.03"))) is None
    assert reroll_plan(_state(weak, left=0)) is None


def test_a_second_reroll_of_the_same_prompt_is_numbered_and_seeded_apart() -> None:
    state = _state({1: 0.1})
    r1 = _made(JOBS[0], "p1~r1")
    state.made.rerolls[1] = [r1]
    state.made.likeness[r1.file or ""] = Likeness(score=0.2, distance=0.8)
    plan = reroll_plan(state)
    assert plan is not None and [j.prompt_id for j in plan.jobs] == ["p1~r2"]
    assert plan.jobs[0].seed == 1 + 2 * REROLL_SEED_STEP


@pytest.mark.anyio
async def test_rounds_go_on_until_nothing_is_weak_and_record_every_attempt() -> None:
    state = _state({1: 0.1, 2: 0.9, 3: 0.3}, left=5)
    rounds: list[list[str]] = []
    # the fake "engine": round 1 lifts p3 over the bar but not p1; round 2 lifts p1
    scores = iter([{"p1~r1": 0.2, "p3~r1": 0.7}, {"p1~r2": 0.8}])

    async def run_round(plan: Plan, record: Callable[[ImageResult], None]) -> RunOutcome:
        rounds.append([j.prompt_id for j in plan.jobs])
        results = []
        given = next(scores)
        for job in plan.jobs:
            result = _made(job)
            record(result)
            state.made.likeness[result.file or ""] = Likeness(given[job.prompt_id], 0.5)
            results.append(result)
        return RunOutcome(results=results, retries=1)

    async def settle() -> None:
        return None

    retries = await run_rerolls(state, run_round, settle, asyncio.Event())
    assert rounds == [["p1~r1", "p3~r1"], ["p1~r2"]]
    assert retries == 2 and state.left == 2
    assert [r.prompt_id for r in state.made.rerolls[1]] == ["p1~r1", "p1~r2"]
    assert [r.prompt_id for r in state.made.rerolls[3]] == ["p3~r1"]


@pytest.mark.anyio
async def test_a_stop_request_ends_the_rerolls_before_the_next_round() -> None:
    state = _state({1: 0.1})
    stop = asyncio.Event()

    async def run_round(plan: Plan, record: Callable[[ImageResult], None]) -> RunOutcome:
        stop.set()  # Ctrl-C during the first round
        return RunOutcome()

    async def settle() -> None:
        return None

    assert await run_rerolls(state, run_round, settle, stop) == 0
    assert state.left == 4  # one round was planned, none after the stop
