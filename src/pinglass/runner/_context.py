"""The state one run shares between its jobs: providers, keys, limits, budget, journal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinglass.catalog import ModelEntry
from pinglass.errors import ProviderError, RateLimited
from pinglass.money import Budget
from pinglass.providers.base import Provider
from pinglass.runner.events import CostUpdated, Event, JobRetrying, Observer
from pinglass.runner.journal import JobState, Journal, job_key
from pinglass.runner.keys import Breaker, KeyPool
from pinglass.runner.limiter import RateLimiter
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult
from pinglass.runner.retry import OnRetry
from pinglass.secrets import redact
from pinglass.settings import Settings

__all__ = ["EngineConfig", "RunContext"]


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
    remote_failures: int = 2
    """Jobs the provider reports as failed that may be re-created, per image."""
    cancel_timeout: float = 5.0
    """Seconds a best-effort remote cancel may take on a second Ctrl-C."""
    reattach_slack: float = 120.0
    """Seconds before an ambiguous create's send time that a look-up searches from."""


@dataclass(slots=True)
class RunContext:
    """Everything jobs share. Single event loop: no locks."""

    plan: Plan
    settings: Settings
    out_dir: Path
    providers: dict[str, Provider]
    pools: dict[str, KeyPool]
    limiters: dict[str, RateLimiter]
    breakers: dict[str, Breaker]
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
            if isinstance(exc, RateLimited) and provider in self.limiters:
                # One 429 slows the whole provider, not only this request.
                self.limiters[provider].pause(wait_s)
            kind = exc.kind if isinstance(exc, ProviderError) else type(exc).__name__
            self.emit(JobRetrying(index, kind, redact(str(exc)), wait_s, attempt))

        return callback

    def entry_for(self, provider: str, model: str) -> ModelEntry | None:
        """The chain's entry for ``provider``/``model`` (journaled names), if still in the plan."""
        for entry in self.plan.chain:
            if entry.provider == provider and model in (entry.model, entry.vendor_id):
                return entry
        return None

    def record(self, job: Job, ev: str, **fields: Any) -> None:
        """Append one journal record for ``job``.

        An ``intent`` is fsynced before this returns (its create is sent next); other records
        are group-committed within a few milliseconds (see :class:`Journal`).
        """
        self.journal.write(
            {"ev": ev, "job": job_key(job), "index": job.index, "prompt_id": job.prompt_id}
            | {"at": round(self.wall(), 3)}
            | fields,
            durable=ev == "intent",
        )

    def record_result(self, job: Job, result: ImageResult, *, recoverable: bool = False) -> None:
        """Journal ``result`` (the report row's essentials)."""
        error = result.error
        self.record(
            job,
            "result",
            status=result.status,
            file=result.file,
            provider=result.provider,
            model=result.model,
            key=result.key,
            reference=result.reference,
            seed=result.seed,
            attempts=result.attempts,
            latency_s=result.latency_s,
            cost_usd=str(result.cost_usd),
            cost_source=result.cost_source,
            remote_id=result.remote_id,
            error=None if error is None else {"kind": error.kind, "message": error.message},
            recoverable=recoverable,
        )
