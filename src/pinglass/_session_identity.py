"""The session's identity work during a run: likeness of saved images, and ``--reroll``.

:class:`LikenessTracker` hands each saved image to the identity worker thread the moment its
``JobFinished`` event arrives and records the score when it completes, back on the event loop
(``add_done_callback`` → ``loop.call_soon_threadsafe``), so the batch never waits on dlib.
:func:`run_rerolls` regenerates prompts whose best likeness is under ``--min-likeness``: at most
``--reroll`` extra images in total and never beyond what ``--max-cost`` leaves. A re-roll is a new
job to the engine and its journal: prompt id ``<id>~rK`` (so its own file, ``NN-<id>~rK.png``)
and a different seed, so it is never mistaken for (or reused as) the first attempt.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from decimal import Decimal
from typing import TYPE_CHECKING

from pinglass.money import ZERO, to_json, usd
from pinglass.report import models as rm
from pinglass.runner.events import Event, JobFinished
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult

if TYPE_CHECKING:
    from pinglass.identity import Likeness
    from pinglass.identity.outputs import RunLikeness
    from pinglass.session import Session

__all__ = [
    "REROLL_SEED_STEP",
    "LikenessTracker",
    "best_attempt",
    "identity_block",
    "image_entry",
    "image_rows",
    "reroll_plan",
    "run_rerolls",
    "spent",
]

REROLL_SEED_STEP = 7919
"""Added to a prompt's seed for each re-roll (a prime, so re-rolls do not repeat seeds)."""


class LikenessTracker:
    """Scores saved images off the event loop and records them in ``session.likeness``."""

    def __init__(self, session: Session, on_update: Callable[[], None]) -> None:
        """Start the worker when identity is available with embedded references; else a no-op.

        ``on_update`` runs on the event loop after each recorded score (rewrite report.json).
        """
        self._session = session
        self._on_update = on_update
        self._pending: dict[str, Future[Likeness | None]] = {}
        self._scorer: RunLikeness | None = None
        setup = session.identity
        if setup is not None and setup.available and setup.references:
            from pinglass.identity.outputs import RunLikeness

            self._scorer = RunLikeness(setup)

    def submit(self, result: ImageResult) -> None:
        """Queue a saved image (succeeded or reused, with a file) once; returns at once."""
        if self._scorer is None or result.file is None:
            return
        if result.status not in ("succeeded", "reused"):
            return
        if result.file in self._pending or result.file in self._session.likeness:
            return
        used = result.references or ((result.reference,) if result.reference else ())
        future = self._scorer.submit(self._session.out_dir / result.file, used)
        self._pending[result.file] = future
        loop = asyncio.get_running_loop()
        file = result.file
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._record, file, f))

    def _record(self, file: str, future: Future[Likeness | None]) -> None:
        if self._pending.pop(file, None) is None:
            return
        self._session.likeness[file] = _outcome(future)
        self._on_update()

    async def drain(self) -> None:
        """Wait for every queued image and record its score (idempotent)."""
        while self._pending:
            pending = dict(self._pending)
            await asyncio.gather(
                *(asyncio.wrap_future(f) for f in pending.values()), return_exceptions=True
            )
            for file, future in pending.items():
                if self._pending.pop(file, None) is not None:
                    self._session.likeness[file] = _outcome(future)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker (cancelling queued images unless ``wait``). Idempotent."""
        if self._scorer is not None:
            self._scorer.close(wait=wait)


def _outcome(future: Future[Likeness | None]) -> Likeness | None:
    if future.cancelled() or future.exception() is not None:
        return None
    return future.result()


def best_attempt(attempts: list[ImageResult], likeness: dict[str, Likeness | None]) -> ImageResult:
    """The attempt with the best likeness; the first attempt wins ties and unscored cases."""

    def rank(pair: tuple[int, ImageResult]) -> tuple[float, int]:
        i, r = pair
        lk = likeness.get(r.file) if r.file and r.status in ("succeeded", "reused") else None
        return (lk.score if lk is not None else -1.0, -i)

    return max(enumerate(attempts), key=rank)[1]


def reroll_plan(session: Session, results: dict[int, ImageResult], left: int) -> Plan | None:
    """The next round of re-rolls, or ``None``: weakest first, within ``left`` and the budget."""
    req = session.request
    if req.min_likeness is None or left <= 0:
        return None
    chain = session.plan.chain
    room = None if req.max_cost is None else usd(req.max_cost) - spent(session, results)
    jobs: list[Job] = []
    cost = ZERO
    ranked = sorted((_weakness(session, results, j), j) for j in session.plan.jobs)
    for (score, _), job in ranked:
        if score >= req.min_likeness or len(jobs) >= left:
            break
        price = job.price_on(chain[0])
        if room is not None and cost + price > room:
            break
        cost += price
        jobs.append(_reroll_job(job, len(session.rerolls.get(job.index, [])) + 1))
    if not jobs:
        return None
    return dataclasses.replace(session.plan, jobs=tuple(jobs), max_cost=room)


def _weakness(session: Session, results: dict[int, ImageResult], job: Job) -> tuple[float, int]:
    """(best likeness so far, index); 2.0 when unscored, so it is never re-rolled."""
    res = results.get(job.index)
    if res is None or res.file is None:
        return (2.0, job.index)
    best = best_attempt([res, *session.rerolls.get(job.index, [])], session.likeness)
    lk = session.likeness.get(best.file or "")
    return (lk.score if lk is not None else 2.0, job.index)


def _reroll_job(job: Job, k: int) -> Job:
    seed = ((job.seed or 0) + REROLL_SEED_STEP * k) % 2**31
    return dataclasses.replace(job, prompt_id=f"{job.prompt_id}~r{k}", seed=seed)


def spent(session: Session, results: Mapping[int, ImageResult]) -> Decimal:
    """USD this run has spent so far, re-rolls included.

    Reused images cost nothing now (their row keeps what they cost when made); a failed image
    counts when it carries a cost (a provider that bills failed jobs, see the runner).
    """
    attempts = list(results.values()) + [r for rs in session.rerolls.values() for r in rs]
    return sum((r.cost_usd for r in attempts if r.status != "reused"), ZERO)


async def run_rerolls(
    session: Session,
    results: dict[int, ImageResult],
    tracker: LikenessTracker,
    observe: Callable[[Event], None],
    stop: asyncio.Event,
) -> int:
    """Re-roll weak images round by round until none is weak, ``--reroll`` or the budget runs
    out; returns the retries the engine made. Each round's images are scored before the next."""
    from pinglass.runner import run_batch

    left = session.request.reroll
    retries = 0
    await tracker.drain()
    while not stop.is_set():
        plan = reroll_plan(session, results, left)
        if plan is None:
            break
        left -= len(plan.jobs)

        def on_event(event: Event) -> None:
            if isinstance(event, JobFinished):
                session.rerolls.setdefault(event.result.index, []).append(event.result)
                tracker.submit(event.result)
            observe(event)

        outcome = await run_batch(
            plan,
            keys=session.keys,
            settings=session.settings,
            out_dir=session.out_dir,
            observer=on_event,
            stop=stop,
        )
        retries += outcome.retries
        await tracker.drain()
    return retries


def image_rows(
    session: Session, results: Mapping[int, ImageResult]
) -> tuple[list[rm.ImageEntry], Decimal, Decimal]:
    """report.json's ``images`` (each prompt's best-likeness attempt, the others under
    ``rerolls``), USD spent by this run and the part of it spent on re-rolls."""
    images: list[rm.ImageEntry] = []
    for job in session.plan.jobs:
        res = results.get(job.index) or ImageResult(
            index=job.index, prompt_id=job.prompt_id, prompt=job.prompt, status="not_run"
        )
        attempts = [res, *session.rerolls.get(job.index, [])]
        best = best_attempt(attempts, session.likeness)
        entry = image_entry(best, session.likeness)
        if best is not res:  # the prompt's row keeps the prompt's id
            entry = entry.model_copy(update={"prompt_id": res.prompt_id})
        entry.rerolls = [image_entry(a, session.likeness) for a in attempts if a is not best]
        images.append(entry)
    reroll_cost = sum((r.cost_usd for rs in session.rerolls.values() for r in rs), ZERO)
    return images, spent(session, results), reroll_cost


def identity_block(session: Session, images: list[rm.ImageEntry]) -> dict[str, object]:
    """report.json's ``identity``: available or why not, and the likeness summary."""
    from pinglass.identity.outputs import IdentitySetup, summary

    setup = session.identity or IdentitySetup(reason="identity checks skipped: not set up")
    shown = {i.file: i.prompt_id for i in images if i.file and i.status != "failed"}
    scored = {f: session.likeness[f] for f in shown if f in session.likeness}
    return summary(
        setup, scored, labels=shown, min_likeness=session.request.min_likeness, weakest=5
    )


def image_entry(r: ImageResult, likeness: Mapping[str, Likeness | None]) -> rm.ImageEntry:
    """One attempt's ``report.json`` row, with its likeness when scored."""
    lk = likeness.get(r.file) if r.file else None
    return rm.ImageEntry(
        index=r.index,
        prompt_id=r.prompt_id,
        prompt=r.prompt,
        status=r.status,
        file=r.file,
        provider=r.provider,
        model=r.model,
        key=r.key,
        reference=r.reference,
        references=list(r.references),
        seed=r.seed,
        attempts=r.attempts,
        latency_s=None if r.latency_s is None else round(r.latency_s, 3),
        cost_usd=to_json(r.cost_usd) or 0.0,
        cost_source=r.cost_source,
        estimated_cost_usd=to_json(r.estimated_cost_usd),
        remote_id=r.remote_id,
        error=rm.ImageErrorEntry(kind=r.error.kind, message=r.error.message) if r.error else None,
        likeness=None if lk is None else rm.Likeness(score=lk.score, distance=lk.distance),
    )
