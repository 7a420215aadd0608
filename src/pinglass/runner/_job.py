"""One job's life: reserve, send once, journal, poll, download, write; fall back on failure.

How each failure is handled (the budget column is what happens to the reservation):

==================================  ============================================  ==========
failure                             what the job does                             budget
==================================  ============================================  ==========
AuthError / QuotaError (create)     retire the key for the run, next key, then    release
                                    the next provider of the chain
RateLimited, Transient not accepted retried by policy A (whole provider paused     release
(retries exhausted), ProviderDown   on 429); then the next provider               after
Transient maybe_accepted (create)   never re-sent blindly: re-attach with         keep
                                    ``find_submitted``; nothing found → sent once  (may be
                                    more; cannot look up → failed ``ambiguous``   billed)
ContentRejected / InvalidRequest    final for this image                          release
                                    (settle when the provider bills failed jobs)
RemoteJobFailed, not billed         re-created as a new job, at most              release
                                    ``remote_failures`` times, then failed
RemoteJobFailed, billed             final for this image                          settle
poll unreachable / timed out        failed, remote id stays pending in the        keep
                                    journal: a re-run re-attaches to it
download failed / not an image      failed (``invalid_response`` for non-images); settle
                                    a transient one is re-fetched on a re-run
image cannot be written (OSError)   failed ``io``; re-fetched on a re-run         settle
stop set (first Ctrl-C)             no new create or fallback; ``not_run``        release
cancelled (second Ctrl-C)           remote job cancelled where possible; a        release
                                    re-run polls it once, else makes it anew
==================================  ============================================  ==========

:class:`~pinglass.errors.RemoteJobFailed` means the provider answered with the failure of a job it
had accepted; the adapter says whether that failure may be billed. An adapter that reports a
failed job as ``InvalidRequest``/``ContentRejected`` makes it final instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from tenacity import AsyncRetrying

from pinglass.catalog import ModelEntry
from pinglass.errors import (
    AmbiguousCreate,
    AuthError,
    ContentRejected,
    InvalidRequest,
    InvalidResponse,
    ProviderDown,
    ProviderError,
    QuotaError,
    RateLimited,
    RemoteJobFailed,
    Transient,
)
from pinglass.money import ZERO, BudgetExceeded, Reservation, usd
from pinglass.pricing import billed_cost
from pinglass.providers.base import Finished, Pending, Provider
from pinglass.run_folder import RunFolder
from pinglass.runner._attempt import (
    Attempt,
    Step,
    ambiguous,
    down,
    make_result,
    show,
    where,
)
from pinglass.runner._context import RunContext
from pinglass.runner.events import JobFinished, JobPolling, JobStarted
from pinglass.runner.files import image_extension, write_atomic
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult, ImageStatus
from pinglass.runner.retry import (
    is_billed_failure,
    poll_policy,
    submit_policy,
)
from pinglass.secrets import ApiKey, redact

__all__ = ["JobRunner"]

T = TypeVar("T")


class JobRunner:
    """Runs one :class:`Job` to an :class:`ImageResult`; see the module table for failures."""

    def __init__(self, ctx: RunContext, job: Job) -> None:
        self.ctx, self.job = ctx, job
        self.sent = 0
        """Create requests actually sent for this job in this run."""
        self.remote_failures = 0
        self.started: float | None = None
        self.last_error: ProviderError | None = None
        self.res: Reservation | None = None
        self.live: Attempt | None = None
        """The attempt whose remote job is running (cancelled on a second Ctrl-C)."""

    async def run(self) -> ImageResult:
        """Run the job inside the concurrency window. Cancellation cancels the remote job."""
        try:
            async with self.ctx.semaphore:
                if self.ctx.stop.is_set():
                    return self._stopped()
                return await self._run()
        except asyncio.CancelledError:
            await self._cancel_remote()
            raise
        finally:
            self._release()
            self.ctx.in_flight.discard(self.job.index)

    async def _run(self) -> ImageResult:
        state = self.ctx.states.get(self.job.index)
        result: ImageResult | None = None
        if state is not None and state.pending is not None:
            result = await self._resume_pending(state.pending, cancelled=state.cancelled)
        elif state is not None and state.intent is not None:
            result = await self._resume_intent(state.intent)
        return result if result is not None else await self._fresh()

    async def _fresh(self) -> ImageResult:
        ctx = self.ctx
        for entry in ctx.plan.chain:
            prov, pool = ctx.providers.get(entry.provider), ctx.pools.get(entry.provider)
            if prov is None or pool is None:
                continue
            while not ctx.breakers[entry.provider].is_open and (key := pool.take()) is not None:
                step = await self._attempt(entry, prov, key)
                if isinstance(step, ImageResult):
                    return step
                if step is Step.NEXT_KEY:
                    pool.retire(key)
                elif step is Step.NEXT_PROVIDER:
                    break
            if ctx.breakers[entry.provider].is_open and self.last_error is None:
                self.last_error = down(entry.provider, ctx.breakers[entry.provider].last_cause)
        return self._give_up()

    async def _attempt(self, entry: ModelEntry, prov: Provider, key: ApiKey) -> ImageResult | Step:
        ctx, job = self.ctx, self.job
        if ctx.stop.is_set():
            return self._stopped()
        att = Attempt(entry.provider, entry.model, prov, key, job.price_on(entry), None)
        att.req = job.request_for(entry)
        try:
            self.res = ctx.budget.reserve(att.price)
        except BudgetExceeded as exc:
            status: ImageStatus = "not_run" if self.sent == 0 else "failed"
            return self._finish(self._result(status, att, error=ImageError("budget", str(exc))))
        ctx.cost_updated()
        ctx.emit(JobStarted(job.index, job.prompt_id, att.provider, att.model, show(key)))
        try:
            outcome = await self._submit(att)
        except (AuthError, QuotaError) as exc:
            self._drop(exc)
            return Step.NEXT_KEY
        except AmbiguousCreate as exc:
            self.res = None  # keep the reservation: it may be billed
            return self._finish(self._failed(att, exc))
        except (ProviderDown, RateLimited, Transient) as exc:
            self._drop(exc)
            return Step.NEXT_PROVIDER
        except ProviderError as exc:
            if is_billed_failure(exc, prov):
                return self._finish(self._billed_failure(att, exc))
            self._drop(exc)
            if isinstance(exc, RemoteJobFailed):
                return Step.NEXT_PROVIDER
            return self._finish(self._failed(att, exc))
        return await self._complete(att, outcome)

    async def _submit(self, att: Attempt) -> Pending | Finished:
        """Send the create (policy A); an ambiguous send is reconciled, never repeated blindly."""
        for sends in (1, 2):
            since = self.ctx.wall()
            self.ctx.record(self.job, "intent", **where(att))
            self.ctx.in_flight.add(self.job.index)
            if self.started is None:
                self.started = self.ctx.clock()
            try:
                return await self._retrying(
                    submit_policy, att, lambda: self._send(att), create=True
                )
            except Transient as exc:
                if not exc.maybe_accepted:
                    raise
                try:
                    found = await self._reconcile(att, since, exc)
                except AmbiguousCreate:
                    raise
                except ProviderError as err:  # the look-up failed: still ambiguous
                    raise ambiguous(att, exc) from err
                if found is not None:
                    return found
                if sends == 2:
                    raise ambiguous(att, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, att: Attempt) -> Pending | Finished:
        assert att.req is not None  # noqa: S101 - fresh attempts always carry a request
        await self.ctx.limiters[att.provider].acquire()
        self.sent += 1
        return await att.prov.submit(att.req, att.key)

    async def _reconcile(
        self, att: Attempt, since: float, exc: Transient
    ) -> Pending | Finished | None:
        """After an ambiguous create: the job it made, or ``None`` when it is safe to resend."""
        if att.price == ZERO:
            return None  # a free model: sending again costs nothing
        if not att.prov.can_reattach or att.req is None:
            raise ambiguous(att, exc) from exc
        req, since = att.req, since - self.ctx.config.reattach_slack
        return await self._retrying(
            poll_policy, att, lambda: att.prov.find_submitted(req, att.key, since=since)
        )

    async def _complete(self, att: Attempt, outcome: Pending | Finished) -> ImageResult | Step:
        if isinstance(outcome, Pending):
            att.remote_id = outcome.remote_id
            self.ctx.record(self.job, "submit", remote_id=att.remote_id, **where(att))
            self.ctx.emit(JobPolling(self.job.index, outcome.remote_id))
            self.live = att
            try:
                outcome = await self._poll(att)
            except ProviderError as exc:
                return self._poll_failed(att, exc)
        elif outcome.remote_id and type(att.prov).poll is not Provider.poll:
            # Journaled so a crash before the file lands re-polls instead of paying again;
            # a synchronous provider cannot be polled, so its intent record stands instead.
            att.remote_id = outcome.remote_id
            self.ctx.record(self.job, "submit", remote_id=att.remote_id, **where(att))
        return await self._deliver(att, outcome)

    async def _poll(self, att: Attempt, *, attempts: int | None = None) -> Finished:
        ctx, remote_id = self.ctx, att.remote_id
        assert remote_id is not None  # noqa: S101
        deadline = ctx.clock() + ctx.settings.poll_timeout
        while True:
            await ctx.sleep(ctx.settings.poll_interval)
            outcome = await self._retrying(
                poll_policy, att, lambda: att.prov.poll(remote_id, att.key), attempts=attempts
            )
            if isinstance(outcome, Finished):
                self.live = None
                return outcome
            if ctx.clock() >= deadline:
                raise Transient(
                    f"job {remote_id} still running after {ctx.settings.poll_timeout:.0f} s",
                    provider=att.provider,
                    model=att.model,
                )

    def _poll_failed(self, att: Attempt, exc: ProviderError) -> ImageResult | Step:
        self.live = None
        if isinstance(exc, RemoteJobFailed | ContentRejected | InvalidRequest):
            if is_billed_failure(exc, att.prov):
                return self._finish(self._billed_failure(att, exc))
            self._drop(exc)  # the provider answered: the job failed and made no image
            remade = self.remote_failures < self.ctx.config.remote_failures
            if isinstance(exc, RemoteJobFailed) and remade:
                self.remote_failures += 1
                self.ctx.record_result(self.job, self._failed(att, exc))
                return Step.AGAIN
            return self._finish(self._failed(att, exc))
        self.res = None  # its fate is unknown: it may still run and bill
        note = "; it may still finish: run again into the same folder to collect it"
        return self._finish(self._failed(att, exc, note=note), recoverable=True)

    async def _deliver(self, att: Attempt, outcome: Finished) -> ImageResult:
        ctx = self.ctx
        # Priced with the entry the estimate used ([prices] overrides included).
        billed, source = billed_cost(ctx.entry_for(att.provider, att.model), outcome.billed)
        max_bytes = int(ctx.settings.max_download_mb * 1024 * 1024)
        try:
            if not outcome.images:
                raise InvalidResponse("the provider returned no image", provider=att.provider)
            first = outcome.images[0]
            image = await self._retrying(
                poll_policy, att, lambda: att.prov.download(first, att.key, max_bytes=max_bytes)
            )
            data = image.data or b""
            ext = image_extension(data, provider=att.provider)
        except ProviderError as exc:
            cost = self._settle(att, billed)  # the image was made, so it was billed
            recoverable = att.remote_id is not None and not isinstance(exc, InvalidRequest)
            failed = self._failed(att, exc, cost=cost, cost_source=source)
            return self._finish(failed, recoverable=recoverable)
        rel = RunFolder.image_file(self.job.stem, ext)
        cost = self._settle(att, billed)
        try:
            write_atomic(ctx.out_dir / rel, data)
        except OSError as exc:  # disk full, permissions: paid for, so keep it re-fetchable
            err = ImageError("io", f"could not write {rel}: {exc.strerror or exc}")
            failed = self._result("failed", att, error=err, cost=cost, cost_source=source)
            return self._finish(failed, recoverable=att.remote_id is not None)
        seed = outcome.seed if outcome.seed is not None else self.job.seed
        ok = self._result("succeeded", att, file=rel, cost=cost, cost_source=source, seed=seed)
        return self._finish(ok)

    async def _resume_pending(
        self, rec: dict[str, Any] | Any, *, cancelled: bool = False
    ) -> ImageResult | None:
        """A remote job an earlier run created: poll it, never create it again.

        If that run cancelled it (second Ctrl-C) and it did not finish after all, the job is
        over: ``None`` tells the caller to create it anew.
        """
        att = self._attempt_from(rec)
        if att is None:
            msg = f"remote job {rec.get('remote_id')} is pending on {rec.get('provider')}"
            err = ImageError("no_key", msg + ", which has no usable key in this run")
            return self._finish(self._result("failed", None, error=err), recoverable=True)
        att.remote_id = str(rec["remote_id"])
        self._reserve_committed(att)
        self.ctx.in_flight.add(self.job.index)
        self.started = self.ctx.clock()
        self.ctx.emit(
            JobStarted(self.job.index, self.job.prompt_id, att.provider, att.model, show(att.key))
        )
        self.ctx.emit(JobPolling(self.job.index, att.remote_id))
        self.live = att
        try:
            # A job we cancelled is looked at once: it finished after all, or it is over.
            outcome = await self._poll(att, attempts=1 if cancelled else None)
        except ProviderError as exc:
            if cancelled:
                self.live = None
                self._release()
                self.ctx.record_result(self.job, self._failed(att, exc))
                return None
            step = self._poll_failed(att, exc)
            return step if isinstance(step, ImageResult) else None
        return await self._deliver(att, outcome)

    async def _resume_intent(self, rec: dict[str, Any] | Any) -> ImageResult | None:
        """An earlier run died while sending a create: find the job, else decide to resend."""
        att = self._attempt_from(rec)
        price = usd(rec.get("price", "0"))
        if price == ZERO:
            return None
        if att is None or att.req is None or not att.prov.can_reattach:
            err = ImageError(
                "ambiguous",
                f"an earlier run was stopped while sending this image to {rec.get('provider')};"
                f" it may have been billed (about ${price}); not sent again in this run"
                " (run again to request it anew)",
            )
            return self._finish(self._result("failed", att, error=err))
        self._reserve_committed(att)
        self.started = self.ctx.clock()
        req, since = att.req, float(rec.get("at", 0)) - self.ctx.config.reattach_slack
        try:
            found = await self._retrying(
                poll_policy, att, lambda: att.prov.find_submitted(req, att.key, since=since)
            )
        except ProviderError as exc:
            self.res = None
            return self._finish(self._failed(att, exc), recoverable=True)
        if found is None:
            self._release()  # it never reached the provider: a fresh create is safe
            return None
        step = await self._complete(att, found)
        return step if isinstance(step, ImageResult) else None

    def _attempt_from(self, rec: Any) -> Attempt | None:
        name, model = str(rec.get("provider")), str(rec.get("model"))
        prov, pool = self.ctx.providers.get(name), self.ctx.pools.get(name)
        if prov is None or pool is None:
            return None
        key = pool.find(str(rec.get("key_id", ""))) or pool.take()
        if key is None:
            return None
        entry = self.ctx.entry_for(name, model)
        req = self.job.request_for(entry) if entry is not None else None
        return Attempt(name, model, prov, key, usd(rec.get("price", "0")), req)

    def _reserve_committed(self, att: Attempt) -> None:
        """Reserve money already committed remotely; polling proceeds even if it won't fit."""
        try:
            self.res = self.ctx.budget.reserve(att.price)
        except BudgetExceeded:
            self.res = None
        self.ctx.cost_updated()

    async def _retrying(
        self,
        factory: Callable[..., AsyncRetrying],
        att: Attempt,
        fn: Callable[[], Awaitable[T]],
        *,
        create: bool = False,
        attempts: int | None = None,
    ) -> T:
        """Run ``fn`` under a retry policy; creates feed the provider's circuit breaker.

        Only creates count: the breaker exists to stop paying attention to a provider that
        cannot take new work, and a poll of a cancelled or expired job says nothing about that.
        """
        ctx, breaker = self.ctx, self.ctx.breakers[att.provider]

        async def once() -> T:
            if not create:
                await ctx.limiters[att.provider].wait_pause()
                return await fn()
            if breaker.is_open:
                raise down(att.provider, breaker.last_cause)
            try:
                value = await fn()
            except Transient as exc:
                breaker.failure(str(exc))
                raise
            breaker.success()
            return value

        cfg = ctx.config
        policy = factory(
            attempts=attempts or (cfg.submit_attempts if create else cfg.poll_attempts),
            sleep=ctx.sleep,
            on_retry=ctx.on_retry(self.job.index, att.provider),
            initial=cfg.retry_initial,
            max_wait=cfg.retry_max,
        )
        result: T = await policy(once)
        return result

    async def _cancel_remote(self) -> None:
        """Second Ctrl-C: best-effort, shielded, short cancel of the running remote job."""
        att = self.live
        if att is None or att.remote_id is None or not att.prov.can_cancel:
            return
        task = asyncio.ensure_future(att.prov.cancel(att.remote_id, att.key))
        accepted = False
        try:
            accepted = await asyncio.wait_for(asyncio.shield(task), self.ctx.config.cancel_timeout)
        except (ProviderError, TimeoutError, asyncio.CancelledError, NotImplementedError):
            accepted = False
        self.ctx.record(self.job, "cancel", remote_id=att.remote_id, accepted=accepted)

    # -- money and results --------------------------------------------------------------

    def _drop(self, exc: ProviderError) -> None:
        self.last_error = exc
        self._release()

    def _billed_failure(self, att: Attempt, exc: ProviderError) -> ImageResult:
        """A job that ran and failed where the provider bills compute time: count it."""
        self.last_error = exc
        cost = self._settle(att, None)
        note = f" ({att.provider} bills failed jobs: counted at the catalog estimate)"
        return self._failed(att, exc, cost=cost, note=note)

    def _release(self) -> None:
        if self.res is not None and self.res.open:
            self.ctx.budget.release(self.res)
            self.ctx.cost_updated()
        self.res = None

    def _settle(self, att: Attempt, billed: Decimal | None) -> Decimal:
        if self.res is None or not self.res.open:
            return usd(billed) if billed is not None else att.price
        amount = self.ctx.budget.settle(self.res, billed)
        self.res = None
        self.ctx.cost_updated()
        return amount

    def _finish(self, result: ImageResult, *, recoverable: bool = False) -> ImageResult:
        self.ctx.record_result(self.job, result, recoverable=recoverable)
        self.ctx.emit(JobFinished(result))
        return result

    def _stopped(self) -> ImageResult:
        if self.sent == 0 and self.last_error is None:
            err = ImageError("interrupted", "not sent: the run was stopped")
            return self._finish(self._result("not_run", None, error=err))
        return self._give_up()

    def _give_up(self) -> ImageResult:
        exc = self.last_error
        if exc is None:
            err = ImageError("no_provider", "no provider in the chain has a usable key")
        else:
            err = ImageError(exc.kind, redact(exc.message))
        return self._finish(self._result("failed", None, error=err))

    def _failed(
        self,
        att: Attempt,
        exc: ProviderError,
        *,
        cost: Decimal = ZERO,
        cost_source: Literal["catalog", "computed", "provider"] = "catalog",
        note: str = "",
    ) -> ImageResult:
        error = ImageError(exc.kind, redact(exc.message + note))
        return self._result("failed", att, error=error, cost=cost, cost_source=cost_source)

    def _result(self, status: ImageStatus, att: Attempt | None, **fields: Any) -> ImageResult:
        latency = None if self.started is None else round(self.ctx.clock() - self.started, 3)
        return make_result(self.job, status, att, attempts=self.sent, latency_s=latency, **fields)
