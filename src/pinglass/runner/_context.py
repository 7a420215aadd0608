"""The state one run shares between its jobs: providers, budget, journal, and how calls retry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from pinglass.catalog import ModelEntry
from pinglass.errors import ProviderError, RateLimited, Transient
from pinglass.money import Budget
from pinglass.providers.base import GenerationRequest, Provider
from pinglass.runner.events import CostUpdated, Event, JobRetrying, Observer
from pinglass.runner.journal import (
    CancelledRecord,
    ChargeRecord,
    FinishedRecord,
    IntentRecord,
    JobRef,
    JobState,
    Journal,
    SubmittedRecord,
    Target,
)
from pinglass.runner.keys import Breaker, KeyPool
from pinglass.runner.limiter import RateLimiter
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult
from pinglass.runner.retry import OnRetry, poll_policy, submit_policy
from pinglass.secrets import redact
from pinglass.settings import Settings

__all__ = ["EngineConfig", "ProviderRun", "RunContext"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Engine knobs; the defaults are the production values."""

    submit_attempts: int = 4
    """Policy A: most sends of one create (only while certainly not accepted)."""
    poll_attempts: int = 6
    """Policy B: most tries of one poll, download or look-up."""
    retry_initial: float = 1.0
    """Backoff scale in seconds (full jitter, doubling)."""
    retry_max: float = 30.0
    """Longest backoff between two tries, in seconds."""
    breaker_threshold: int = 8
    """Consecutive transient create failures that mark a provider down for the run."""
    remote_failures: int | None = None
    """Times a job the provider failed is made again on one model before the next provider of
    the chain (``--retry-failed``); ``None``: the ``retry_failed`` setting."""
    cancel_timeout: float = 5.0
    """Seconds a best-effort remote cancel may take on a second Ctrl-C."""
    reattach_slack: float = 120.0
    """Seconds before an ambiguous create's send time that a look-up searches from."""


@dataclass(slots=True)
class ProviderRun:
    """One provider's share of a run: its adapter, keys, rate limiter and circuit breaker."""

    adapter: Provider
    keys: KeyPool
    limiter: RateLimiter
    breaker: Breaker


@dataclass(slots=True)
class RunContext:
    """Everything jobs share. Single event loop: no locks."""

    plan: Plan
    settings: Settings
    out_dir: Path
    providers: dict[str, ProviderRun]
    """Per provider name, the providers that have keys in this run."""
    budget: Budget
    journal: Journal
    observer: Observer
    sleep: Callable[[float], Awaitable[None]]
    clock: Callable[[], float]
    stop: asyncio.Event
    semaphore: asyncio.Semaphore
    states: Mapping[int, JobState] = field(default_factory=dict)
    config: EngineConfig = field(default_factory=EngineConfig)
    wall: Callable[[], float] = time.time
    retries: int = 0
    in_flight: set[int] = field(default_factory=set)

    @property
    def retry_failed(self) -> int:
        """Times a failed job is made again on one model (``--retry-failed``)."""
        configured = self.config.remote_failures
        return self.settings.retry_failed if configured is None else configured

    def request_for(self, job: Job, entry: ModelEntry) -> GenerationRequest:
        """``job``'s request on ``entry`` with the run's settings (the safety checker switch)."""
        return job.request_for(entry, safety_checker=self.settings.safety_checker)

    def emit(self, event: Event) -> None:
        """Send ``event`` to the observer."""
        self.observer(event)

    def cost_updated(self) -> None:
        """Tell the observer what is spent and reserved now."""
        self.emit(CostUpdated(spent=self.budget.spent, reserved=self.budget.reserved))

    def on_retry(self, index: int, provider: str) -> OnRetry:
        """A retry callback for job ``index``: counts it, pauses the provider on a 429."""

        def callback(exc: BaseException, wait_s: float, attempt: int) -> None:
            self.retries += 1
            if isinstance(exc, RateLimited) and provider in self.providers:
                # One 429 slows the whole provider, not only this request.
                self.providers[provider].limiter.pause(wait_s)
            kind = exc.kind if isinstance(exc, ProviderError) else type(exc).__name__
            self.emit(JobRetrying(index, kind, redact(str(exc)), wait_s, attempt))

        return callback

    async def call(
        self,
        index: int,
        provider: str,
        fn: Callable[[], Awaitable[T]],
        *,
        create: bool = False,
        attempts: int | None = None,
    ) -> T:
        """Run ``fn`` for job ``index`` under policy A (``create``) or B, and return its value.

        A create first checks ``provider``'s circuit breaker and then feeds it: only creates
        count, since the breaker exists to stop sending new work to a provider that cannot take
        it, and a poll of a cancelled or expired job says nothing about that. Every other call
        (poll, download, look-up) waits out the provider's shared 429 pause first; a create
        waits for it inside its own rate limiter. Raises what ``fn`` raised last.
        """
        lane, cfg = self.providers[provider], self.config

        async def once() -> T:
            if not create:
                await lane.limiter.wait_pause()
                return await fn()
            if lane.breaker.is_open:
                raise lane.breaker.down(provider)
            try:
                value = await fn()
            except Transient as exc:
                lane.breaker.failure(str(exc))
                raise
            lane.breaker.success()
            return value

        policy = (submit_policy if create else poll_policy)(
            attempts=attempts or (cfg.submit_attempts if create else cfg.poll_attempts),
            sleep=self.sleep,
            on_retry=self.on_retry(index, provider),
            initial=cfg.retry_initial,
            max_wait=cfg.retry_max,
        )
        result: T = await policy(once)
        return result

    def entry_for(self, provider: str, model: str) -> ModelEntry | None:
        """The chain's entry for ``provider``/``model`` (journaled names), if still in the plan."""
        for entry in self.plan.chain:
            if entry.provider == provider and model in (entry.model, entry.vendor_id):
                return entry
        return None

    # -- the journal (fsynced per record) -------------------------------------------------

    def record_intent(self, job: Job, target: Target) -> None:
        """Journal that a billable create for ``job`` is about to be sent to ``target``."""
        self.journal.append(IntentRecord(JobRef.of(job), self.wall(), target))

    def record_submitted(self, job: Job, target: Target, remote_id: str) -> None:
        """Journal that ``target`` accepted ``job``'s create as ``remote_id``."""
        self.journal.append(SubmittedRecord(JobRef.of(job), self.wall(), target, remote_id))

    def record_cancelled(self, job: Job, remote_id: str, *, accepted: bool) -> None:
        """Journal that ``job``'s remote job was cancelled (``accepted`` by the provider)."""
        self.journal.append(CancelledRecord(JobRef.of(job), self.wall(), remote_id, accepted))

    def record_charge(
        self,
        job: Job,
        provider: str,
        remote_id: str | None,
        usd: Decimal,
        *,
        possible: bool = False,
    ) -> None:
        """Journal that an attempt at ``job`` was counted as paid (``usd``): the folder's ledger.

        ``possible``: it may have been billed (a create cut off mid-send); a later charge for the
        same job replaces it.
        """
        charge = ChargeRecord(JobRef.of(job), self.wall(), provider, remote_id, usd, possible)
        self.journal.append(charge)

    def record_result(self, job: Job, result: ImageResult, *, recoverable: bool = False) -> None:
        """Journal ``result`` (the report row's essentials)."""
        ref = JobRef.of(job)
        self.journal.append(FinishedRecord.of(ref, self.wall(), result, recoverable=recoverable))
