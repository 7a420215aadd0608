"""The batch engine: a sliding window of jobs over one shared ``httpx.AsyncClient``.

::

    run_batch(plan, keys=…, settings=…, out_dir=…)
      previous_results()               images an earlier run into out_dir finished → "reused"
      async with asyncio.TaskGroup():  one task per remaining job, Semaphore(concurrency)
        JobRunner.run()                key rotation + provider fallback, budget reservation,
                                       rate limit, retry policies, journal, poll, download
      RunOutcome                       every job, sorted by index

Ctrl-C: the caller sets ``stop`` on the first press (no new creates; in-flight jobs finish; the
outcome says ``interrupted``) and cancels the task on the second (each job cancels its remote
job where the provider can, releases its reservation, and ``CancelledError`` propagates).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import httpx

from pinglass import __version__
from pinglass.errors import NoUsableProvider
from pinglass.money import Budget
from pinglass.providers.base import Provider
from pinglass.runner._context import EngineConfig, ProviderRun, RunContext
from pinglass.runner._job import JobRunner
from pinglass.runner._resume import ResumedJob
from pinglass.runner.events import Event, JobFinished, NullObserver, Observer, RunStopping
from pinglass.runner.files import is_image_file
from pinglass.runner.image_index import add_image, find_image, read_image_index
from pinglass.runner.journal import JOURNAL_NAME, JobState, Journal, job_states, read_records
from pinglass.runner.keys import NO_KEY, Breaker, KeyPool
from pinglass.runner.limiter import RateLimiter
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageError, ImageResult, RunOutcome
from pinglass.runner.shared import SharedEngine
from pinglass.secrets import ApiKey
from pinglass.settings import Settings

__all__ = ["EngineConfig", "make_client", "previous_results", "run_batch"]


def make_client(settings: Settings, *, concurrency: int = 8) -> httpx.AsyncClient:
    """The run's one HTTP client: explicit timeouts, bounded pool, User-Agent, no redirects."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=settings.request_timeout, write=60.0, pool=30.0),
        limits=httpx.Limits(
            max_connections=max(16, 2 * concurrency + 4),
            max_keepalive_connections=max(8, concurrency),
        ),
        headers={"User-Agent": f"pinglass/{__version__}"},
        follow_redirects=False,
    )


def previous_results(out_dir: Path, plan: Plan) -> dict[int, ImageResult]:
    """Images an earlier run into ``out_dir`` finished: journaled, file present and decodable,
    or, failing the journal, recorded in the image index with the same bytes.

    Keyed by job index, each with status ``reused`` and the cost it had when it was made. Reads
    only; used for the estimate before a run and by :func:`run_batch` itself.
    """
    states = job_states(read_records(out_dir / JOURNAL_NAME), plan.jobs)
    return _reused(out_dir, plan, states)


def _reused(out_dir: Path, plan: Plan, states: Mapping[int, JobState]) -> dict[int, ImageResult]:
    found: dict[int, ImageResult] = {}
    for job in plan.jobs:
        state = states.get(job.index)
        row = state.done.row if state is not None and state.done is not None else None
        if row is None or row.file is None or not is_image_file(out_dir / row.file):
            continue
        found[job.index] = replace(
            row,
            index=job.index,
            prompt_id=job.prompt_id,
            prompt=job.prompt,
            status="reused",
            attempts=0,
            latency_s=None,
            error=None,
        )
    left = [job for job in plan.jobs if job.index not in found]
    index = read_image_index(out_dir) if left else []
    for job in left if index else ():
        entry = find_image(index, job, out_dir)
        if entry is not None and is_image_file(out_dir / entry.file):
            found[job.index] = entry.result(job)
    return found


def _indexing(observer: Observer, out_dir: Path, plan: Plan) -> Observer:
    """``observer``, after recording each image made in the image index (best effort: the
    journal has it already; an index that cannot be written only weakens a lost-journal
    re-run)."""
    jobs = {job.index: job for job in plan.jobs}

    def observe(event: Event) -> None:
        result = event.result if isinstance(event, JobFinished) else None
        if result is not None and result.status == "succeeded" and result.index in jobs:
            with contextlib.suppress(OSError):
                add_image(out_dir, jobs[result.index], result)
        observer(event)

    return observe


async def run_batch(
    plan: Plan,
    *,
    keys: Mapping[str, Sequence[ApiKey]],
    settings: Settings,
    out_dir: Path,
    observer: Observer | None = None,
    client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    stop: asyncio.Event | None = None,
    providers: Mapping[str, Provider] | None = None,
    config: EngineConfig | None = None,
    wall: Callable[[], float] = time.time,
    engine: SharedEngine | None = None,
) -> RunOutcome:
    """Run every job of ``plan`` into ``out_dir`` and return the outcome, sorted by index.

    Writes ``images/NN-<prompt-id>.<ext>`` atomically and appends to ``journal.jsonl`` (fsync
    per line; each create's remote id before its first poll). Jobs already done in ``out_dir``
    come back ``reused`` and are never requested again; jobs an earlier run left running are
    re-attached, not re-created. ``--max-cost`` (``plan.max_cost``) is never exceeded: every
    create reserves its price first. Emits events to ``observer``; report.json is the caller's.

    Raises :class:`NoUsableProvider` (before any request) when no provider of the chain has a
    key. Image failures never raise; they are results. Cancellation propagates after each job
    has released its reservation and cancelled its remote job where the provider can.

    With ``engine`` (studio mode: several batches at once) the HTTP client, the window of
    requests in flight, each provider's lane and the budget are the engine's, shared with every
    other batch given it; ``plan.max_cost`` and ``plan.concurrency`` are then the engine's
    business, and cost events come from whoever watches ``engine.budget``.
    """
    observer = _indexing(observer or NullObserver(), out_dir, plan)
    started = clock()
    stop = stop or asyncio.Event()
    out_dir.mkdir(parents=True, exist_ok=True)
    states = job_states(read_records(out_dir / JOURNAL_NAME), plan.jobs)
    reused = _reused(out_dir, plan, states)
    todo = [j for j in plan.jobs if j.index not in reused]
    owns_client = client is None and engine is None
    concurrency = plan.concurrency or plan.chain[0].concurrency
    http = client or (engine.client if engine else make_client(settings, concurrency=concurrency))
    try:
        built = _build_providers(plan, keys, settings, http, providers, states)
        if todo and not any(e.provider in built for e in plan.chain):
            names = ", ".join(dict.fromkeys(e.provider for e in plan.chain))
            raise NoUsableProvider(f"no key configured for any provider of the chain ({names})")
        for result in sorted(reused.values(), key=lambda r: r.index):
            observer(JobFinished(result))
        journal = Journal(out_dir / JOURNAL_NAME)
        config = config or EngineConfig()
        try:
            rpm = _rpm(plan)
            lanes = {
                name: ProviderRun(
                    adapter=prov,
                    keys=KeyPool(keys_of),
                    limiter=RateLimiter(rpm.get(name, 60), clock=clock, sleep=sleep),
                    breaker=Breaker(config.breaker_threshold),
                )
                for name, (prov, keys_of) in built.items()
            }
            ctx = RunContext(
                plan=plan,
                settings=settings,
                out_dir=out_dir,
                providers=engine.share(lanes) if engine else lanes,
                budget=engine.budget if engine else Budget(cap=plan.max_cost),
                journal=journal,
                observer=observer,
                sleep=sleep,
                clock=clock,
                stop=stop,
                semaphore=engine.semaphore if engine else asyncio.Semaphore(max(1, concurrency)),
                states=states,
                config=config,
                wall=wall,
            )
            if engine is None:
                ctx.budget.on_change = ctx.cost_updated
            results = await _run_jobs(ctx, todo)
        finally:
            journal.close()
    finally:
        if owns_client:
            await http.aclose()
    return RunOutcome(
        results=sorted([*reused.values(), *results], key=lambda r: r.index),
        retries=ctx.retries,
        wall_s=round(clock() - started, 3),
        interrupted=stop.is_set(),
    )


def _build_providers(
    plan: Plan,
    keys: Mapping[str, Sequence[ApiKey]],
    settings: Settings,
    client: httpx.AsyncClient,
    injected: Mapping[str, Provider] | None,
    states: Mapping[int, JobState],
) -> dict[str, tuple[Provider, list[ApiKey]]]:
    """One adapter per provider of the chain (and of pending remote jobs) that has keys."""
    names = [e.provider for e in plan.chain]
    names += [s.pending.target.provider for s in states.values() if s.pending is not None]
    built: dict[str, tuple[Provider, list[ApiKey]]] = {}
    for name in dict.fromkeys(names):
        if injected is not None and name in injected:
            prov = injected[name]
        else:
            prov = settings.make_provider(name, client)
        provider_keys = [NO_KEY] if not prov.key_env_vars else list(keys.get(name, ()))
        if provider_keys:
            built[name] = (prov, provider_keys)
    return built


def _rpm(plan: Plan) -> dict[str, int]:
    """Per provider, the strictest ``rpm`` of its chain entries (a provider not in the chain,
    only re-attached to, gets 60)."""
    rpm: dict[str, int] = {}
    for entry in plan.chain:
        rpm[entry.provider] = min(rpm.get(entry.provider, entry.rpm), entry.rpm)
    return rpm


async def _run_jobs(ctx: RunContext, todo: Sequence[Job]) -> list[ImageResult]:
    """The sliding window: every job is a task; the semaphore lets ``concurrency`` run."""
    watcher = asyncio.create_task(_watch_stop(ctx))
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(_guarded(ctx, job)) for job in todo]
    finally:
        watcher.cancel()
    return [t.result() for t in tasks]


async def _guarded(ctx: RunContext, job: Job) -> ImageResult:
    """Run ``job``; a journal or file the disk refuses (full) fails it ``io`` and stops the run.

    Nothing new is sent once the journal cannot record it; what is in flight finishes, and the
    remote jobs the journal did record are collected by the next run.
    """
    try:
        return await _runner(ctx, job).run()
    except OSError as exc:
        ctx.stop.set()
        what = Path(exc.filename).name if exc.filename else "the output folder"
        err = ImageError("io", f"could not write {what}: {exc.strerror or exc}")
        result = ImageResult(
            job.index, job.prompt_id, job.prompt, "failed", seed=job.seed, error=err
        )
        ctx.emit(JobFinished(result))  # not journaled: the journal is what failed
        return result


def _runner(ctx: RunContext, job: Job) -> JobRunner:
    """A job with journal history starts from it; any other job starts afresh."""
    return ResumedJob(ctx, job) if job.index in ctx.states else JobRunner(ctx, job)


async def _watch_stop(ctx: RunContext) -> None:
    await ctx.stop.wait()
    ctx.emit(RunStopping(in_flight=len(ctx.in_flight)))
