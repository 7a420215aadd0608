"""A studio run: each person prepared as a single-person session, all run through one engine.

::

    prepare_studio(request, settings)   per person: session.prepare() into OUT/<person>/
                                        (scored refs, plan, estimate, earlier run found);
                                        too few usable photos -> skipped with the reason
    check_studio_budget(studio)         the sum of the estimates against the one --max-cost
    run_studio(studio, observer)        one SharedEngine (client, keys, limiter, window,
                                        budget); each person's session.run_async() at once;
                                        OUT/studio-report.json and OUT/index.html

Each person keeps everything a single run has: their own report.json, journal (so a re-run of
the same command resumes every person), folder lock, contact sheets and gallery page. One
person's failure (no usable provider, say) is their entry's ``failed``; the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pinglass.errors import (
    BudgetRefused,
    ExitCode,
    NoUsableProvider,
    PinglassError,
    RefsError,
    UsageError,
)
from pinglass.folder_lock import FolderLock
from pinglass.money import ZERO, to_json, usd
from pinglass.runner.events import CostUpdated, Event
from pinglass.studio.models import (
    STUDIO_REPORT_NAME,
    Counts,
    PersonEntry,
    PersonStatus,
    StudioBudget,
    StudioReport,
    StudioStatus,
    StudioTotals,
)
from pinglass.studio.people import Person

if TYPE_CHECKING:
    from pinglass.report.models import Report
    from pinglass.runner import SharedEngine
    from pinglass.session import GenerateRequest, Session
    from pinglass.settings import Settings

__all__ = [
    "MIN_USABLE_REFS",
    "Member",
    "Studio",
    "StudioObserver",
    "StudioRequest",
    "check_studio_budget",
    "exit_code",
    "prepare_studio",
    "run_studio",
    "write_studio_report",
]

MIN_USABLE_REFS = 3
"""A person with fewer usable reference photos than this is skipped (a single run warns)."""

StudioObserver = Callable[[str | None, Event], None]
"""Receives ``(person, event)`` for each person's runner events, and ``(None, CostUpdated)``
for the shared budget. Must not block (it runs on the event loop)."""


@dataclass(frozen=True, slots=True)
class StudioRequest:
    """The people, where they came from, and the flags every person's run shares.

    ``base`` is ``pinglass generate``'s request; its ``out`` is the studio's output folder and
    its ``max_cost`` the one budget over every person.
    """

    people: tuple[Person, ...]
    source: Literal["folder", "manifest"]
    base: GenerateRequest

    def __post_init__(self) -> None:
        if self.base.min_likeness is not None or self.base.reroll:
            raise UsageError(
                "--min-likeness and --reroll are not available in studio mode yet; run one "
                "person at a time for re-rolls"
            )
        if self.base.subject is not None:
            raise UsageError("--subject names one person; it does not go with a people folder")


@dataclass(slots=True)
class Member:
    """One person of the run: their prepared session, or why they are skipped."""

    person: Person
    preset: str
    out_name: str
    session: Session | None = None
    skipped: str | None = None
    refs_usable: int = 0


@dataclass(slots=True)
class Studio:
    """Everything decided before any money is spent, for every person."""

    request: StudioRequest
    settings: Settings
    out: Path
    members: list[Member]
    studio_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def runnable(self) -> list[Member]:
        """The members that will run (prepared and not skipped)."""
        return [m for m in self.members if m.session is not None]

    @property
    def estimated_usd(self) -> Decimal:
        """The whole run's estimate: every person's images still to make."""
        return usd(sum((s.estimate.total_usd for s in self._sessions()), ZERO))

    @property
    def worst_case_usd(self) -> Decimal:
        """If every person's images fell back to the dearest model of their chain."""
        return usd(sum((s.estimate.worst_case_usd for s in self._sessions()), ZERO))

    @property
    def images(self) -> int:
        """Images the run will request (reused ones excluded)."""
        return sum(s.estimate.images for s in self._sessions())

    @property
    def concurrency(self) -> int:
        """The one window of requests in flight: ``--concurrency``, or the smallest of the
        people's first models' own limits."""
        given = self.request.base.concurrency
        if given is not None:
            return given
        limits = [s.plan.chain[0].concurrency for s in self._sessions()]
        return min(limits) if limits else 1

    def _sessions(self) -> list[Session]:
        return [m.session for m in self.members if m.session is not None]

    def close(self) -> None:
        """Give every person's output folder back. Safe to call twice."""
        for m in self.members:
            if m.session is not None:
                m.session.close()


def prepare_studio(
    request: StudioRequest, settings: Settings, *, environ: Mapping[str, str] | None = None
) -> Studio:
    """Prepare every person (sends nothing): score, plan, price, find earlier runs.

    A person whose folder has fewer than :data:`MIN_USABLE_REFS` usable photos, or whose
    providers have no key, is skipped with the reason. Raises ``NoUsableProvider`` (exit 4)
    when nobody has a usable provider, ``RefsError`` (exit 2) when nobody is left to run for
    another reason, and whatever a person's :func:`~pinglass.session.prepare` raises otherwise
    (a folder holding another preset's run, a busy folder: exit 2), after freeing the folders
    it held.
    """
    from pinglass.catalog import load_catalog
    from pinglass.session import prepare

    out = _studio_out(request.base.out)
    catalog = load_catalog(settings.prices)
    members: list[Member] = []
    no_key: list[NoUsableProvider] = []
    studio = Studio(request=request, settings=settings, out=out, members=members)
    try:
        for person in request.people:
            preset = person.preset or request.base.preset
            member = Member(person=person, preset=preset, out_name=person.name)
            members.append(member)
            single = replace(
                request.base,
                refs_dir=person.refs_dir,
                preset=preset,
                providers=person.providers or request.base.providers,
                model=None if person.providers else request.base.model,
                out=out / person.name,
                max_cost=None,  # the studio's one budget holds the cap
            )
            try:
                session = prepare(single, settings, environ=environ, catalog=catalog)
            except (RefsError, NoUsableProvider) as exc:  # this person only; the others go on
                member.skipped = exc.message
                if isinstance(exc, NoUsableProvider):
                    no_key.append(exc)
                continue
            member.refs_usable = sum(r.usable for r in session.refs.references)
            if member.refs_usable < MIN_USABLE_REFS:
                member.skipped = _too_few(session)
                session.close()
                continue
            member.session = session
        if not studio.runnable:
            if len(no_key) == len(members):  # nobody has a usable provider: exit 4, as one run
                raise no_key[0]
            reasons = "; ".join(f"{m.person.name}: {m.skipped}" for m in members)
            raise RefsError(f"no person can run ({reasons})")
    except BaseException:
        studio.close()
        raise
    return studio


def _too_few(session: Session) -> str:
    refs = session.refs.references
    usable = sum(r.usable for r in refs)
    rejected = sorted({r.rejected_reason for r in refs if r.rejected_reason})
    why = f"; rejected: {', '.join(rejected)}" if rejected else ""
    return (
        f"only {usable} usable reference photo{'s' if usable != 1 else ''} of {len(refs)} "
        f"(need {MIN_USABLE_REFS}){why}"
    )


def _studio_out(out: Path | None) -> Path:
    """``--out``, or ``pinglass-out/studio-<local time>``."""
    if out is not None:
        return out
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 - local time in a name
    return Path("pinglass-out") / f"studio-{stamp}"


def check_studio_budget(studio: Studio) -> None:
    """Refuse (exit 3) when the whole run's estimate exceeds ``--max-cost``; the refusal is
    written to ``studio-report.json`` (no person's folder is touched)."""
    cap = studio.request.base.max_cost
    total = studio.estimated_usd
    if cap is None or total <= cap:
        return
    report = _report(studio, [_planned_entry(m, status="refused") for m in studio.members])
    report.status = "refused"
    with contextlib.suppress(OSError):
        studio.out.mkdir(parents=True, exist_ok=True)
        write_studio_report(report, studio.out)
    raise BudgetRefused(
        f"estimated ${total:.4f} for {studio.images} images over "
        f"{len(studio.runnable)} people exceeds --max-cost ${usd(cap):.4f}; raise --max-cost "
        "or use --only/--model to spend less",
        estimated_usd=total,
        max_cost_usd=cap,
    )


def run_studio(studio: Studio, observer: StudioObserver) -> StudioReport:
    """Run every runnable person through one engine; write and return ``studio-report.json``.

    Holds the studio folder and every person's folder for the whole run. The first Ctrl-C
    stops new images for everyone (in-flight ones finish); the second cancels them. With
    ``--fresh`` each person's earlier run is moved aside first.
    """
    try:
        studio.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {studio.out}: cannot write there ({exc.strerror})") from None
    from pinglass.session import claim_folder

    lock = FolderLock.acquire(studio.out)
    try:
        for m in studio.runnable:
            assert m.session is not None  # noqa: S101 - runnable means prepared
            claim_folder(m.session)
        report = asyncio.run(_run_all(studio, observer))
        _write_gallery(report, studio.out)
        return report
    finally:
        studio.close()
        lock.release()


async def _run_all(studio: Studio, observer: StudioObserver) -> StudioReport:
    from pinglass.runner import shared_engine
    from pinglass.stop_signals import stop_on_signals

    running = _report(studio, [_planned_entry(m) for m in studio.members])
    write_studio_report(running, studio.out)
    loop = asyncio.get_running_loop()
    started = loop.time()
    stop = asyncio.Event()
    tasks: dict[str, asyncio.Task[PersonEntry]] = {}

    def cancel_all() -> None:
        for task in tasks.values():
            task.cancel()

    cap = studio.request.base.max_cost
    async with shared_engine(
        studio.settings, concurrency=studio.concurrency, max_cost=cap
    ) as engine:
        budget = engine.budget
        budget.on_change = lambda: observer(None, CostUpdated(budget.spent, budget.reserved))
        with stop_on_signals(stop, cancel=cancel_all):
            for m in studio.runnable:
                tasks[m.person.name] = asyncio.create_task(_run_person(m, engine, stop, observer))
            await asyncio.wait(tasks.values())
    entries = []
    for m in studio.members:
        task = tasks.get(m.person.name)
        if task is None:
            entries.append(_planned_entry(m))
        elif task.cancelled():
            entries.append(_planned_entry(m, status="aborted", reason="cancelled (Ctrl-C)"))
        else:
            entries.append(task.result())
    report = _report(studio, entries, wall_s=loop.time() - started)
    report.finished_at = datetime.now(UTC)
    report.status = _status(report, interrupted=stop.is_set())
    write_studio_report(report, studio.out)
    return report


async def _run_person(
    member: Member, engine: SharedEngine, stop: asyncio.Event, observer: StudioObserver
) -> PersonEntry:
    from pinglass.session import run_async

    session = member.session
    assert session is not None  # noqa: S101 - only prepared members run
    name = member.person.name

    def tagged(event: Event) -> None:
        observer(name, event)

    try:
        report, _ = await run_async(session, tagged, stop=stop, engine=engine)
    except PinglassError as exc:  # this person only (no usable provider, say); others go on
        return _planned_entry(member, status="failed", reason=exc.message)
    return _entry_from_report(member, report)


def _planned_entry(
    member: Member, *, status: PersonStatus | None = None, reason: str | None = None
) -> PersonEntry:
    """A person's entry before (or without) their run: skipped, refused, aborted or failed."""
    session = member.session
    return PersonEntry(
        person=member.person.name,
        status=status or ("skipped" if member.skipped else "aborted"),
        reason=reason or member.skipped,
        preset=session.preset.name if session is not None else member.preset,
        provider_chain=[e.key for e in session.plan.chain] if session is not None else [],
        refs_usable=member.refs_usable,
        out=member.out_name,
        estimated_cost_usd=(to_json(session.estimate.total_usd) or 0.0) if session else 0.0,
        counts=Counts(
            reused=len(session.previous) if session is not None and status == "refused" else 0
        ),
        folder_cost_usd=(to_json(session.prior_folder_cost) or 0.0) if session else 0.0,
    )


def _entry_from_report(member: Member, report: Report) -> PersonEntry:
    entry = _planned_entry(member, status="failed")
    t = report.totals
    status = report.status if report.status != "running" else "aborted"
    return entry.model_copy(
        update={
            "status": status,
            "reason": None,
            "report": f"{member.out_name}/report.json",
            "gallery": f"{member.out_name}/index.html",
            "counts": Counts(
                succeeded=t.succeeded, reused=t.reused, failed=t.failed, not_run=t.not_run
            ),
            "cost_usd": t.cost_usd,
            "folder_cost_usd": t.folder_cost_usd,
        }
    )


def _report(studio: Studio, entries: list[PersonEntry], *, wall_s: float = 0.0) -> StudioReport:
    totals = StudioTotals(people=len(entries), wall_s=round(wall_s, 3))
    for e in entries:
        if e.status in ("completed", "partial", "failed", "aborted", "skipped"):
            setattr(totals, e.status, getattr(totals, e.status) + 1)
        for name in ("succeeded", "reused", "failed", "not_run"):
            setattr(totals.counts, name, getattr(totals.counts, name) + getattr(e.counts, name))
    totals.cost_usd = float(usd(sum((usd(e.cost_usd) for e in entries), ZERO)))
    totals.folder_cost_usd = float(usd(sum((usd(e.folder_cost_usd) for e in entries), ZERO)))
    return StudioReport(
        studio_id=studio.studio_id,
        started_at=studio.started_at,
        status="running",
        source=studio.request.source,
        budget=StudioBudget(
            max_cost_usd=to_json(studio.request.base.max_cost),
            estimated_cost_usd=to_json(studio.estimated_usd) or 0.0,
        ),
        people=entries,
        totals=totals,
    )


def _status(report: StudioReport, *, interrupted: bool) -> StudioStatus:
    t = report.totals
    if interrupted or t.aborted:
        return "aborted"
    if t.completed == t.people:
        return "completed"
    return "failed" if t.counts.succeeded + t.counts.reused == 0 else "partial"


def exit_code(report: StudioReport) -> ExitCode:
    """The whole run's exit code: 0 when every person completed; 130 when interrupted; 1 when
    any person was skipped, failed, or has failed or not-run images."""
    if report.status == "aborted":
        return ExitCode.INTERRUPTED
    return ExitCode.OK if report.status == "completed" else ExitCode.IMAGES_FAILED


def write_studio_report(report: StudioReport, out: Path) -> Path:
    """Write ``out/studio-report.json`` atomically, through the redaction filter."""
    from pinglass.runner.files import write_atomic
    from pinglass.secrets import redact

    path = out / STUDIO_REPORT_NAME
    write_atomic(path, (redact(report.model_dump_json(indent=2)) + "\n").encode("utf-8"))
    return path


def _write_gallery(report: StudioReport, out: Path) -> None:
    from pinglass.studio.gallery import write_studio_gallery

    write_studio_gallery(report, out)
