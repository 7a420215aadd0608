"""``--min-likeness X --reroll N``: make new attempts at the prompts whose likeness is weakest.

Round by round, each prompt whose best likeness so far is under ``X`` gets one more attempt,
weakest first, until none is weak, ``N`` extra images are made, or ``--max-cost`` leaves no room
for the next one. Each round's images are scored before the next round is planned.

A re-roll is a new job to the engine and its journal: prompt id ``<id>~rK`` (so its own file,
``NN-<id>~rK.png``) and a different seed, so it is never mistaken for, or reused as, the first
attempt. This module decides what to re-roll; running a round is the caller's (``run_round``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from pinglass.money import ZERO, usd
from pinglass.report.build import RunState, best_attempt, committed
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult, RunOutcome

__all__ = ["REROLL_SEED_STEP", "RerollState", "RoundRunner", "reroll_plan", "run_rerolls"]

REROLL_SEED_STEP = 7919
"""Added to a prompt's seed for each re-roll (a prime, so re-rolls do not repeat seeds)."""

RoundRunner = Callable[[Plan, Callable[[ImageResult], None]], Awaitable[RunOutcome]]
"""Runs one round's plan, calling back with each finished attempt as it finishes."""


@dataclass(slots=True)
class RerollState:
    """What re-rolling needs from a run: its plan, the bar, what is left, what is made."""

    plan: Plan
    """The run's plan: its jobs are the prompts, its chain's first model prices a re-roll."""
    min_likeness: float
    """Re-roll while a prompt's best likeness (0-1) is below this."""
    left: int
    """Re-rolls still allowed (``--reroll`` minus those made)."""
    made: RunState
    """The run's attempts and likeness so far; re-rolls are added to ``made.rerolls``."""
    max_cost: Decimal | None = None
    """``--max-cost`` for the whole run, re-rolls included (USD)."""


def reroll_plan(state: RerollState) -> Plan | None:
    """The next round of re-rolls, or ``None``: weakest first, within ``left`` and the budget."""
    if state.left <= 0:
        return None
    made = state.made
    room = None if state.max_cost is None else usd(state.max_cost) - committed(made)
    jobs: list[Job] = []
    cost = ZERO
    for (score, _), job in sorted((_weakness(made, j), j) for j in state.plan.jobs):
        if score >= state.min_likeness or len(jobs) >= state.left:
            break
        price = job.price_on(state.plan.chain[0])
        if room is not None and cost + price > room:
            break
        cost += price
        jobs.append(_reroll_job(job, len(made.rerolls.get(job.index, [])) + 1))
    if not jobs:
        return None
    return dataclasses.replace(state.plan, jobs=tuple(jobs), max_cost=room)


def _weakness(made: RunState, job: Job) -> tuple[float, int]:
    """(best likeness so far, index); 2.0 when unscored, so it is never re-rolled."""
    first = made.results.get(job.index)
    if first is None or first.file is None:
        return (2.0, job.index)
    best = best_attempt(made.attempts(job), made.likeness)
    lk = made.likeness.get(best.file or "")
    return (lk.score if lk is not None else 2.0, job.index)


def _reroll_job(job: Job, k: int) -> Job:
    seed = ((job.seed or 0) + REROLL_SEED_STEP * k) % 2**31
    return dataclasses.replace(job, prompt_id=f"{job.prompt_id}~r{k}", seed=seed)


async def run_rerolls(
    state: RerollState,
    run_round: RoundRunner,
    settle: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
) -> int:
    """Re-roll round by round until nothing is weak, ``left`` or the budget runs out, or
    ``stop`` is set; return the retries the rounds made.

    ``settle`` waits until every image made so far has its likeness in ``state.made``; it runs
    before each round is planned.
    """

    def record(result: ImageResult) -> None:
        state.made.rerolls.setdefault(result.index, []).append(result)

    retries = 0
    await settle()
    while not stop.is_set():
        plan = reroll_plan(state)
        if plan is None:
            break
        state.left -= len(plan.jobs)
        outcome = await run_round(plan, record)
        retries += outcome.retries
        await settle()
    return retries
