"""The main job as one library call: refs + preset + providers → plan → estimate → run → report.

The CLI's ``generate`` command parses flags into a :class:`GenerateRequest`, calls
:func:`prepare` (everything that costs nothing and writes nothing), shows the estimate, asks,
and calls :func:`run`. ``report.json`` is a view of the run (:mod:`pinglass.report.build`),
rewritten atomically at most about once a second (:class:`~pinglass.report.write.ReportWriter`)
and always at the end, so a crash at any point leaves a valid report; the journal lets a re-run
into the same folder resume. The output folder is a
:class:`~pinglass.run_folder.RunFolder`; it is created by the first file written, and
``--fresh`` moves an earlier run aside only once :func:`run` starts.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass._likeness import LikenessTracker
from pinglass.catalog import Catalog, load_catalog
from pinglass.chain import resolve_chain
from pinglass.errors import BudgetRefused, RefsError, UsageError
from pinglass.folder_lock import FolderLock
from pinglass.history import (
    FolderHistory,
    check_run_files,
    check_same_preset,
    folder_paid,
    hold_folder,
    keep_paid_images,
    read_history,
)
from pinglass.jobs import preset_jobs
from pinglass.money import ZERO, to_json, usd
from pinglass.presets import Preset, load_preset
from pinglass.report import models as rm
from pinglass.report.build import RunInfo, RunState, build_report, final_status
from pinglass.report.gallery import write_gallery
from pinglass.report.rows import RowCache
from pinglass.report.write import ReportWriter, WriteTrouble, write_report
from pinglass.rerolls import RerollState, run_rerolls
from pinglass.run_folder import RunFolder
from pinglass.run_seeds import earlier_base_seed
from pinglass.runner.events import Event, JobFinished, NullObserver, Observer
from pinglass.runner.plan import Estimate, Job, Plan
from pinglass.runner.results import ImageResult, RunOutcome
from pinglass.stop_signals import stop_on_signals
from pinglass.training.generation import record_subject_session, subject_run, with_subject

if TYPE_CHECKING:
    from pinglass.identity.outputs import IdentitySetup
    from pinglass.refs import RefScore, RefsReport
    from pinglass.runner import SharedEngine
    from pinglass.secrets import ApiKey
    from pinglass.settings import Settings

__all__ = [
    "GenerateRequest",
    "Session",
    "check_budget",
    "claim_folder",
    "prepare",
    "run",
    "run_async",
]


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """What the user asked for; mirrors ``pinglass generate``'s flags."""

    refs_dir: Path | None
    preset: str = "business"
    providers: tuple[str, ...] = ()
    """``name`` or ``name/model`` in fallback order; empty picks the first configured one."""
    model: str | None = None
    """Model of the first provider (short name or vendor id)."""
    out: Path | None = None
    concurrency: int | None = None
    max_cost: Decimal | None = None
    refs_top: int = 5
    only: tuple[str, ...] = ()
    seed: int | None = None
    fresh: bool = False
    min_likeness: float | None = None
    """Re-roll images whose likeness (0-1) is below this (identity extra)."""
    reroll: int = 0
    """At most this many extra images in total for ``min_likeness``."""
    no_identity: bool = False
    """Skip the identity checks even when the extra is installed (``--no-identity``)."""
    subject: str | None = None
    """A subject from ``pinglass train`` (then ``refs_dir`` may be ``None``: its crops)."""

    def __post_init__(self) -> None:
        if self.min_likeness is not None and not 0 <= self.min_likeness <= 1:
            raise UsageError(f"--min-likeness {self.min_likeness}: must be between 0 and 1")
        if self.reroll < 0:
            raise UsageError(f"--reroll {self.reroll}: must be 0 or more (extra images)")
        if self.reroll and self.min_likeness is None:
            raise UsageError("--reroll needs --min-likeness X (the likeness bar, 0-1)")
        if self.max_cost is not None and self.max_cost < 0:
            raise UsageError("--max-cost must be 0 or more (USD)")
        if self.concurrency is not None and not 1 <= self.concurrency <= 64:
            raise UsageError("--concurrency must be between 1 and 64")
        if not 1 <= self.refs_top <= 20:
            raise UsageError("--refs-top must be between 1 and 20")


@dataclass(slots=True)
class Session:
    """Everything decided before any money is spent."""

    request: GenerateRequest
    settings: Settings
    preset: Preset
    refs: RefsReport
    chosen: list[RefScore]
    plan: Plan
    keys: dict[str, list[ApiKey]]
    folder: RunFolder
    estimate: Estimate
    previous: dict[int, ImageResult]
    """Job index -> image an earlier run into the folder made (``reused``); empty with --fresh."""
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)
    prior_folder_cost: Decimal = ZERO
    identity: IdentitySetup | None = None
    """Identity checks for this run (``None``: not set up; the report says skipped)."""
    folder_extra: tuple[tuple[Job, ImageResult], ...] = ()
    """Images an earlier run into the folder made for prompts outside this run's ``--only``:
    the report lists them too (``reused``), so it covers every image in the folder."""
    lock: FolderLock | None = None
    """This process's hold on the folder; :meth:`close` (or the end of :func:`run`) frees it."""

    def lock_folder(self) -> None:
        """Hold the output folder for this process (creating it); no-op when already held.

        Raises :class:`~pinglass.folder_lock.FolderBusy` (exit 2) while another live run uses it.
        """
        if self.lock is None:
            self.lock = hold_folder(self.folder)

    def close(self) -> None:
        """Give the output folder back to other runs. Safe to call twice."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    @property
    def out_dir(self) -> Path:
        """The output folder's path (``--out``); it may not exist yet."""
        return self.folder.path

    @property
    def needs_confirmation(self) -> bool:
        """True when the run will spend money (anything above $0)."""
        return self.estimate.total_usd + self.reroll_max_usd > 0

    @property
    def reroll_max_usd(self) -> Decimal:
        """Most ``--reroll`` can add on the first model (USD); the budget caps it too."""
        if self.request.min_likeness is None or not self.plan.jobs:
            return ZERO
        dearest = max(j.price_on(self.plan.chain[0]) for j in self.plan.jobs)
        return usd(dearest * self.request.reroll)

    def report_info(self) -> RunInfo:
        """What report.json says about this run that does not change while it goes."""
        used = {r.file for r in self.chosen}
        return RunInfo(
            run_id=self.run_id,
            started_at=self.started_at,
            preset=rm.PresetInfo(
                name=self.preset.name, path=str(self.preset.path), sha256=self.preset.sha256
            ),
            provider_chain=tuple(e.key for e in self.plan.chain),
            references=tuple(
                rm.ReferenceEntry(**r.model_dump(), used=r.file in used)
                for r in self.refs.references
            ),
            budget=rm.Budget(
                max_cost_usd=to_json(self.request.max_cost),
                estimated_cost_usd=to_json(self.estimate.total_usd) or 0.0,
                worst_case_usd=to_json(self.estimate.worst_case_usd),
            ),
            jobs=tuple(
                sorted([*self.plan.jobs, *(j for j, _ in self.folder_extra)], key=_by_index)
            ),
            prior_folder_cost=self.prior_folder_cost,
            identity=self.identity,
            min_likeness=self.request.min_likeness,
        )


def prepare(
    request: GenerateRequest,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
) -> Session:
    """Score refs, load the preset, pick the provider chain and keys, plan and price the run.

    Sends nothing and writes nothing: the output folder is only checked for writing (see
    :meth:`RunFolder.check_writable`), and ``--fresh`` only makes the plan ignore an earlier run
    there (:func:`run` moves it aside). Raises ``UsageError``/``RefsError`` (exit 2) or
    ``NoUsableProvider`` (4).
    """
    from pinglass.identity.outputs import setup as identity_setup
    from pinglass.refs import prepare as prepare_reference
    from pinglass.refs import score_folder, select
    from pinglass.settings import collect_keys, merged_environ

    catalog = catalog or load_catalog(settings.prices)
    preset = load_preset(request.preset)
    keys = collect_keys(merged_environ() if environ is None else environ)
    warnings: list[str] = []
    subject, refs_dir, chain = subject_run(request, settings, catalog, keys)
    chain = chain or resolve_chain(request.providers, request.model, catalog, keys, warnings)
    folder = RunFolder(request.out) if request.out else RunFolder.default(preset.name)
    folder.check_writable()

    enabled = not (request.no_identity or settings.no_identity)
    identity = identity_setup(settings.identity_threshold, enabled=enabled)
    if request.min_likeness is not None and not identity.available:
        raise UsageError(
            "--min-likeness needs the identity extra: pip install 'pinglass[identity]' "
            f"({identity.reason})"
        )
    refs = score_folder(
        refs_dir,
        workers=min(4, os.cpu_count() or 2),
        face_check=identity.check,
        detector=identity.detector,
    )
    chosen = select(refs, k=request.refs_top)
    if not chosen:
        reasons = sorted({r.rejected_reason or "low score" for r in refs.references})
        raise RefsError(
            f"no usable reference photo ({', '.join(reasons)}); "
            "run `pinglass refs` to see why each was rejected",
            file=refs_dir,
        )
    if len(chosen) < 3:
        warnings.append(
            f"only {len(chosen)} usable reference photo(s): add sharp, well-lit, front-facing "
            "selfies for better likeness"
        )
    if subject is None and all(e.references == "none" for e in chain):
        warnings.append(
            f"{chain[0].key} cannot take a reference photo: the portraits will not look like "
            "the person"
        )
    references = tuple(prepare_reference(refs_dir, r) for r in chosen)
    identity.embed_references((r.name, r.data) for r in references)
    seed = request.seed
    if seed is None and not request.fresh:  # a random-seed preset keeps its earlier draw
        seed = earlier_base_seed(folder, preset)
    jobs = with_subject(
        preset_jobs(preset, references, seed=seed, only=request.only, preset_arg=request.preset),
        subject,
    )
    plan = Plan(
        jobs=tuple(jobs),
        chain=tuple(chain),
        max_cost=request.max_cost,
        concurrency=request.concurrency,
    )
    earlier = folder.path.is_dir() and not request.fresh
    # An earlier run's folder is held before its files are read; a new one when run() starts.
    lock = hold_folder(folder) if folder.path.is_dir() else None
    try:
        history = FolderHistory()
        if earlier:
            check_run_files(folder)
            check_same_preset(folder, preset)
            planned = {j.index for j in jobs}
            everything = preset_jobs(preset, references, seed=seed) if request.only else []
            history = read_history(folder, plan, [j for j in everything if j.index not in planned])
        return Session(
            request=request,
            settings=settings,
            preset=preset,
            refs=refs,
            chosen=chosen,
            plan=plan,
            keys=keys,
            folder=folder,
            estimate=plan.estimate(skip=list(history.previous)),
            previous=history.previous,
            warnings=warnings,
            prior_folder_cost=folder_paid(folder) if folder.path.is_dir() else ZERO,
            identity=identity,
            folder_extra=history.extra,
            lock=lock,
        )
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _by_index(job: Job) -> int:
    return job.index


def check_budget(session: Session) -> None:
    """Refuse (exit 3, ``report.json`` status ``refused``) when the estimate exceeds the cap.

    With ``--fresh`` over an earlier run, the refusal writes nothing: the earlier run's report
    stays, since this run never started.
    """
    cap = session.request.max_cost
    est = session.estimate
    if cap is not None and est.total_usd > cap:
        if not (session.request.fresh and session.folder.has_run()):
            # Only this run was refused: what earlier runs made stays in the report.
            state = RunState(results=_earlier_rows(session))
            report = build_report(session.report_info(), state, status="refused")
            write_report(report, session.folder.path)
        raise BudgetRefused(
            f"estimated ${est.total_usd:.4f} for {est.images} images on {est.entry.key} exceeds "
            f"--max-cost ${usd(cap):.4f}; raise --max-cost or use --only/--model to spend less",
            estimated_usd=est.total_usd,
            max_cost_usd=cap,
        )


def _earlier_rows(session: Session) -> dict[int, ImageResult]:
    """Job index -> the image an earlier run into the folder made (planned now or not)."""
    return {**session.previous, **{j.index: r for j, r in session.folder_extra}}


def run(session: Session, *, observer: Observer | None = None) -> tuple[rm.Report, RunOutcome]:
    """Run the batch, rewriting ``report.json`` as it goes (about once a second); return the
    final report.

    The first Ctrl-C (or SIGTERM) stops new submissions and waits for what is in flight (the
    observer gets ``RunStopping``); the second cancels in-flight jobs (the runner cancels remote
    jobs where the provider can) and the report says ``aborted``. The folder is held for the
    whole run (:func:`claim_folder`).
    """
    try:
        claim_folder(session)
        return asyncio.run(_run(session, observer or NullObserver()))
    finally:
        session.close()


def claim_folder(session: Session) -> None:
    """Hold the folder; with ``--fresh`` move the earlier run aside, else rename a paid image
    the folder's history does not vouch for to ``<stem>.before-N`` (never paid over)."""
    session.lock_folder()
    if session.request.fresh:
        session.folder.set_aside()
    else:
        keep_paid_images(session.folder, session.plan.jobs, session.previous)


async def _run(session: Session, observer: Observer) -> tuple[rm.Report, RunOutcome]:
    stop = asyncio.Event()
    task = asyncio.current_task()
    with stop_on_signals(stop, cancel=task.cancel if task is not None else lambda: None):
        return await run_async(session, observer, stop=stop)


async def run_async(
    session: Session,
    observer: Observer,
    *,
    stop: asyncio.Event,
    engine: SharedEngine | None = None,
) -> tuple[rm.Report, RunOutcome]:
    """:func:`run`'s body on a running loop, for a caller that holds the folder and owns the
    signals: ``stop`` is the first Ctrl-C, cancelling the task the second. ``engine`` shares
    one engine with other sessions running at once (studio mode; no ``--reroll`` there)."""
    from pinglass.runner import run_batch

    info = session.report_info()
    state = RunState(results=_earlier_rows(session))
    folder = session.folder

    rows = RowCache()
    trouble = WriteTrouble(folder.path, stop.set)  # a full disk stops the run like a Ctrl-C
    writer = ReportWriter(
        folder.path,
        lambda: build_report(info, state, status="running", rows=rows),
        on_error=trouble.report_failed,
    )
    writer.changed()
    tracker = LikenessTracker(
        session.identity, folder.path, state.likeness, on_update=writer.changed
    )

    def observe(event: Event) -> None:
        if isinstance(event, JobFinished):
            state.results[event.result.index] = event.result
            tracker.submit(event.result)
            trouble.check(event.result)
            writer.changed()
        observer(event)

    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        outcome = await run_batch(
            session.plan,
            keys=session.keys,
            settings=session.settings,
            out_dir=folder.path,
            observer=observe,
            stop=stop,
            engine=engine,
        )
        for r in outcome.results:
            state.results[r.index] = r
        if not outcome.interrupted and session.request.reroll:
            outcome.retries += await _rerolls(session, state, tracker, observer, stop)
            outcome.interrupted = stop.is_set()
        await tracker.drain()
    except asyncio.CancelledError:  # second Ctrl-C: the runner has cancelled what it could
        tracker.close(wait=False)
        outcome = RunOutcome(results=list(state.results.values()), interrupted=True)
    finally:
        tracker.close()
        writer.close()
    outcome.wall_s = loop.time() - started
    status = final_status(outcome, len(session.plan.jobs))
    paid = folder_paid(folder)  # the ledger, now holding this run's charges too
    report = build_report(info, state, status=status, outcome=outcome, rows=rows, folder_cost=paid)
    try:
        if trouble.message is None:
            _write_outputs(report, folder, writer)
            crops = {r.name: r.data for job in session.plan.jobs for r in job.references}
            write_gallery(report, folder.path, references=crops)  # interrupted runs too
    except OSError as exc:
        trouble.add(f"could not write the run's report and pages: {exc.strerror or exc}")
    trouble.end(lambda: writer.write(report))  # after a refused write: one line, exit 2
    record_subject_session(session.request, session.settings, report, folder.path)
    return report, outcome


async def _rerolls(
    session: Session,
    state: RunState,
    tracker: LikenessTracker,
    observer: Observer,
    stop: asyncio.Event,
) -> int:
    """``--reroll``: rounds of new attempts through the same engine; returns their retries."""
    from pinglass.runner import run_batch

    async def run_round(plan: Plan, record: Callable[[ImageResult], None]) -> RunOutcome:
        def on_event(event: Event) -> None:
            if isinstance(event, JobFinished):
                record(event.result)
                tracker.submit(event.result)
            observer(event)

        return await run_batch(
            plan,
            keys=session.keys,
            settings=session.settings,
            out_dir=session.folder.path,
            observer=on_event,
            stop=stop,
        )

    bar = session.request.min_likeness
    if bar is None:  # GenerateRequest refuses --reroll without --min-likeness
        return 0
    rerolls = RerollState(
        plan=session.plan,
        min_likeness=bar,
        left=session.request.reroll,
        made=state,
        max_cost=session.request.max_cost,
    )
    return await run_rerolls(rerolls, run_round, tracker.drain, stop)


def _write_outputs(report: rm.Report, folder: RunFolder, writer: ReportWriter) -> None:
    """The final report.json (naming its contact sheets), then the sheets drawn from it."""
    from pinglass.report.contact_sheet import build_contact_sheets, sheet_names

    report.contact_sheets = sheet_names(len(report.images))
    writer.write(report)
    build_contact_sheets(report, folder.path)
