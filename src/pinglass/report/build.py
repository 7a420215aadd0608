"""``report.json`` from what a run knows: its fixed facts and the attempts made so far.

Small pure functions, each one rule: which attempt a prompt's row shows (:func:`best_attempt`),
what a row says (:func:`image_entry`), what the run spent (:func:`spent`) and holds against
its budget (:func:`committed`), the totals, and the identity summary. :func:`build_report` puts
them together; the session calls it as the run goes (through
:class:`~pinglass.report.write.ReportWriter`, at most about once a second), with a
:class:`~pinglass.report.rows.RowCache` so unchanged rows are not built again. Nothing here
touches the disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from pinglass.money import ZERO, to_json
from pinglass.report import models as rm
from pinglass.report.rows import RowCache
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageResult, RunOutcome

if TYPE_CHECKING:
    from pinglass.identity import Likeness
    from pinglass.identity.outputs import IdentitySetup

__all__ = [
    "RunInfo",
    "RunState",
    "best_attempt",
    "build_report",
    "committed",
    "count_totals",
    "final_status",
    "identity_summary",
    "image_entry",
    "image_rows",
    "spent",
]

WEAKEST = 5
"""How many lowest-likeness images the identity summary lists."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What ``report.json`` says about a run that does not change while it goes."""

    run_id: str
    started_at: datetime
    preset: rm.PresetInfo
    provider_chain: tuple[str, ...]
    """``provider/model`` in fallback order."""
    references: tuple[rm.ReferenceEntry, ...]
    budget: rm.Budget
    jobs: tuple[Job, ...]
    """One row per job, in this order."""
    prior_folder_cost: Decimal = ZERO
    """USD earlier runs into the same folder paid (the folder's ledger when this run began)."""
    identity: IdentitySetup | None = None
    """The run's identity checks; ``None``: not set up (the report says skipped)."""
    min_likeness: float | None = None
    """``--min-likeness``, when given."""


@dataclass(slots=True)
class RunState:
    """What a run has made so far; filled while it goes, read by every report rewrite."""

    results: dict[int, ImageResult] = field(default_factory=dict)
    """Job index -> the prompt's first attempt (made now, reused, failed or not run)."""
    rerolls: dict[int, list[ImageResult]] = field(default_factory=dict)
    """Job index -> its ``--reroll`` attempts, in the order they were made."""
    likeness: dict[str, Likeness | None] = field(default_factory=dict)
    """Image file -> likeness (``None``: no face found); files not yet scored are absent."""

    def attempts(self, job: Job) -> list[ImageResult]:
        """Every attempt at ``job``: the first (``not_run`` when none yet), then its re-rolls."""
        first = self.results.get(job.index) or ImageResult(
            index=job.index,
            prompt_id=job.prompt_id,
            prompt=job.prompt,
            status="not_run",
            seed=job.seed,  # from the first rewrite on, so a re-run can restore a random draw
        )
        return [first, *self.rerolls.get(job.index, [])]


def best_attempt(
    attempts: Sequence[ImageResult], likeness: Mapping[str, Likeness | None]
) -> ImageResult:
    """The attempt with the best likeness; the first attempt wins ties and unscored cases."""

    def rank(pair: tuple[int, ImageResult]) -> tuple[float, int]:
        i, r = pair
        lk = likeness.get(r.file) if r.file and r.status in ("succeeded", "reused") else None
        return (lk.score if lk is not None else -1.0, -i)

    return max(enumerate(attempts), key=rank)[1]


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
        earlier_cost_usd=to_json(r.earlier_cost_usd) or 0.0,
        remote_id=r.remote_id,
        error=rm.ImageErrorEntry(kind=r.error.kind, message=r.error.message) if r.error else None,
        likeness=None if lk is None else rm.Likeness(score=lk.score, distance=lk.distance),
    )


def image_rows(
    jobs: Iterable[Job],
    state: RunState,
    cache: RowCache | None = None,
    *,
    meant_for: str | None = None,
) -> list[rm.ImageEntry]:
    """``report.json``'s ``images``: per job the best-likeness attempt, the others under
    ``rerolls``. The row always carries the prompt's own id, whichever attempt it shows.

    With ``cache``, a row whose attempts and scores are the same objects as last time is the
    same row object: rows are built once per change, not once per rewrite. A failed row that
    no provider answered (the provider was down before its turn) names the ``provider/model``
    it was meant for, ``meant_for`` (the first of the chain).
    """
    cache = cache or RowCache()
    rows = []
    for job in jobs:
        first = state.results.get(job.index)
        again = state.rerolls.get(job.index, [])
        made = [a.file for a in (first, *again) if a is not None and a.file]
        inputs = (first, *again, *(state.likeness.get(f, _UNSCORED) for f in made))
        rows.append(cache.row(job.index, inputs, partial(_row, job, state, meant_for)))
    return rows


_UNSCORED = object()
"""Stands for "no likeness yet" among a row's inputs (``None`` is "no face found")."""


def _row(job: Job, state: RunState, meant_for: str | None = None) -> rm.ImageEntry:
    attempts = state.attempts(job)
    best = best_attempt(attempts, state.likeness)
    row = image_entry(best, state.likeness)
    row.prompt_id = attempts[0].prompt_id  # a re-roll's own id is ``<id>~rK``
    row.rerolls = [image_entry(a, state.likeness) for a in attempts if a is not best]
    if meant_for and row.status == "failed" and row.provider is None:
        row.provider, _, model = meant_for.partition("/")
        row.model = model or None
    return row


def spent(state: RunState) -> Decimal:
    """USD this run has spent so far, re-rolls included.

    Reused images cost nothing now (their row keeps what they cost when made), nor does a
    remote job an earlier run created and this run collected (``earlier_cost_usd``: that run
    paid); a failed image counts when it carries a cost (a provider that bills failed jobs).
    """
    return sum((r.spent_usd for r in _attempts(state)), ZERO)


def committed(state: RunState) -> Decimal:
    """USD this run holds against ``--max-cost``: :func:`spent` plus what it collected of
    earlier runs' remote jobs (the runner's budget counts those as committed too)."""
    return sum((r.cost_usd for r in _attempts(state) if r.status != "reused"), ZERO)


def _attempts(state: RunState) -> list[ImageResult]:
    return [*state.results.values(), *(r for rs in state.rerolls.values() for r in rs)]


def count_totals(
    images: Sequence[rm.ImageEntry],
    state: RunState,
    *,
    prior_folder_cost: Decimal = ZERO,
    outcome: RunOutcome | None = None,
    folder_cost: Decimal | None = None,
) -> rm.Totals:
    """``report.json``'s ``totals``: counts of the rows' statuses, money, retries, time.

    ``folder_cost_usd`` is ``folder_cost`` (the folder's ledger, at the end of a run) when
    given, else what earlier runs paid plus what this run has spent so far.
    """
    cost = spent(state)
    reroll_cost = sum((r.cost_usd for rs in state.rerolls.values() for r in rs), ZERO)
    return rm.Totals(
        succeeded=sum(1 for i in images if i.status == "succeeded"),
        reused=sum(1 for i in images if i.status == "reused"),
        failed=sum(1 for i in images if i.status == "failed"),
        not_run=sum(1 for i in images if i.status == "not_run"),
        cost_usd=to_json(cost) or 0.0,
        folder_cost_usd=to_json(prior_folder_cost + cost if folder_cost is None else folder_cost)
        or 0.0,
        retries=outcome.retries if outcome else 0,
        wall_s=round(outcome.wall_s, 3) if outcome else 0.0,
        rerolls=sum(len(rs) for rs in state.rerolls.values()),
        reroll_cost_usd=to_json(reroll_cost) or 0.0,
    )


def identity_summary(
    setup: IdentitySetup | None,
    likeness: Mapping[str, Likeness | None],
    images: Sequence[rm.ImageEntry],
    *,
    min_likeness: float | None = None,
) -> rm.IdentitySummary:
    """``report.json``'s ``identity``: available or why not, and the likeness of the images the
    rows show (failed rows have no image to measure)."""
    if setup is None:
        return rm.IdentitySummary(reason="identity checks skipped: not set up")
    if not setup.available:
        return rm.IdentitySummary(reason=setup.reason)
    from pinglass.identity.likeness import below, summarize

    shown = {i.file: i.prompt_id for i in images if i.file and i.status != "failed"}
    scored = {f: likeness[f] for f in shown if f in likeness}
    s = summarize(scored, weakest=WEAKEST)
    return rm.IdentitySummary(
        available=True,
        reason=None if setup.references else "no face found in the chosen references",
        threshold=setup.threshold,
        references_embedded=len(setup.references),
        scored=s.scored,
        unscored=list(s.unscored),
        mean_likeness=_round(s.mean_score),
        min_likeness=_round(s.min_score),
        mean_distance=_round(s.mean_distance),
        weakest=[
            rm.WeakImage(
                prompt_id=shown.get(name),
                file=name,
                score=round(lk.score, 4),
                distance=round(lk.distance, 4),
            )
            for name, lk in s.weakest
        ],
        min_likeness_required=min_likeness,
        below_min=None if min_likeness is None else below(scored, min_likeness),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def final_status(outcome: RunOutcome, planned: int) -> rm.Status:
    """The run's status when it ends: ``aborted`` when interrupted, else by images done of
    ``planned`` (reused ones count as done)."""
    if outcome.interrupted:
        return "aborted"
    done = outcome.count("succeeded") + outcome.count("reused")
    if done == planned:
        return "completed"
    return "failed" if done == 0 else "partial"


def build_report(
    info: RunInfo,
    state: RunState,
    *,
    status: rm.Status,
    outcome: RunOutcome | None = None,
    now: datetime | None = None,
    rows: RowCache | None = None,
    folder_cost: Decimal | None = None,
) -> rm.Report:
    """The whole ``report.json`` for ``info`` with what ``state`` holds now.

    ``finished_at`` is ``now`` (default: the current UTC time) unless ``status`` is ``running``.
    ``rows`` keeps rows between calls (see :func:`image_rows`); ``folder_cost`` is the
    folder's ledger when the run has ended (see :func:`count_totals`).
    """
    chain = info.provider_chain
    images = image_rows(info.jobs, state, rows, meant_for=chain[0] if chain else None)
    return rm.Report(
        run_id=info.run_id,
        started_at=info.started_at,
        finished_at=None if status == "running" else (now or datetime.now(UTC)),
        status=status,
        preset=info.preset,
        provider_chain=list(info.provider_chain),
        references=list(info.references),
        budget=info.budget,
        images=images,
        totals=count_totals(
            images,
            state,
            prior_folder_cost=info.prior_folder_cost,
            outcome=outcome,
            folder_cost=folder_cost,
        ),
        identity=identity_summary(
            info.identity, state.likeness, images, min_likeness=info.min_likeness
        ),
    )
