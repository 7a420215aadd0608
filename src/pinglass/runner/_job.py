"""One job's life: reserve, send once, journal, poll, download, write; fall back on failure.

How each failure is handled (the money column is how the job's :class:`Reservation` ends):

==================================  ============================================  ==========
failure                             what the job does                             money
==================================  ============================================  ==========
AuthError / QuotaError (create)     retire the key for the run, next key, then    release
                                    the next provider of the chain
RateLimited, Transient not accepted retried by policy A (whole provider paused     release
(retries exhausted), ProviderDown   on 429); then the next provider               after
Transient maybe_accepted (create)   never re-sent blindly: re-attach with         keep
                                    ``find_submitted``; nothing found → sent once
                                    more; cannot look up → failed ``ambiguous``
ContentRejected / InvalidRequest    final for this image (a failure about the     release
                                    input or the prompt)                          (settle when
                                                                                  billed)
RemoteJobFailed (a model error, a   made again as a new job on the same model at   release,
deadline; Replicate ``canceled``)   most ``--retry-failed`` times, then on the     or settle
                                    next provider; every attempt's cost is         when billed
                                    counted in the row, and every attempt
                                    reserves within ``--max-cost``
output the provider's safety        billed: counted, the image kept under         settle
checker flagged (``filtered``)      ``filtered/``; the prompt made once more
                                    with another seed; a second flag is final
poll unreachable / timed out        failed, remote id stays pending in the        keep
                                    journal: a re-run re-attaches to it
download failed / not an image      failed (``invalid_response`` for non-images); settle
                                    a transient one is re-fetched on a re-run
image cannot be written (OSError)   failed ``io``; re-fetched on a re-run         settle
stop set (first Ctrl-C)             no new create or fallback; ``not_run``        release
cancelled (second Ctrl-C)           remote job cancelled where possible; a        release
                                    re-run polls it once, else makes it anew
… while its create was in flight    reported ``interrupted``, possibly billed at   keep
(sent, no answer yet)               the catalog price; a re-run looks for it
==================================  ============================================  ==========

Money is reserved at the most an attempt can cost: a per-second model's rate × the deadline it
is sent with (Replicate ``Cancel-After``), so committed plus in-flight worst cases never pass
``--max-cost``; settling books the billed figure (or the estimate) and frees the rest.

How a create is sent once is :mod:`._remote`'s rule; a job an earlier run left unfinished starts
from the journal instead (:mod:`._resume`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from decimal import Decimal

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
from pinglass.pricing import CostSource, billed_cost
from pinglass.providers.base import Finished, Pending
from pinglass.run_folder import RunFolder
from pinglass.runner._billing import failure_charge
from pinglass.runner._context import ProviderRun, RunContext
from pinglass.runner._remote import Attempt, cancel_remote, create_once, poll_until_done
from pinglass.runner.events import JobFinished, JobPolling, JobStarted
from pinglass.runner.files import image_extension, keep_aside, write_atomic
from pinglass.runner.keys import shown_key
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult, ImageStatus
from pinglass.secrets import ApiKey, redact

__all__ = ["JobRunner", "Step"]

FILTERED_SEED_STEP = 1_000_003
"""Added to the seed when a flagged output's prompt is made once more (a prime), so a model
that is deterministic for a seed does not return the same flagged image."""


class Step(enum.Enum):
    """What the fallback loop does after an attempt that produced no final result."""

    NEXT_KEY = "next_key"
    NEXT_PROVIDER = "next_provider"
    AGAIN = "again"


class JobRunner:
    """Runs one :class:`Job` to an :class:`ImageResult`; see the module table for failures."""

    def __init__(self, ctx: RunContext, job: Job) -> None:
        self.ctx, self.job = ctx, job
        self.sent = 0
        """Create requests actually sent for this job in this run."""
        self.remote_failures = 0
        self.filtered = 0
        """Outputs of this job the provider's safety checker flagged in this run."""
        self.carried = ZERO
        """USD of this job's earlier attempts in this run (billed failures, flagged outputs):
        the row counts every attempt, not only the last."""
        self.carried_row: ImageResult | None = None
        """The row of the last attempt carried into the next one (its error note included)."""
        self.creating: Attempt | None = None
        """The attempt whose create request is out with no answer yet."""
        self.started: float | None = None
        self.last_error: ProviderError | None = None
        self.res = Reservation(None, ZERO)
        """The money held for the current attempt (none yet)."""
        self.live: Attempt | None = None
        """The attempt whose remote job is running (cancelled on a second Ctrl-C)."""

    async def run(self) -> ImageResult:
        """Run the job inside the concurrency window. Cancellation cancels the remote job."""
        try:
            async with self.ctx.semaphore:
                if self.ctx.stop.is_set():
                    return self._stopped()
                result = await self.resume()
                return result if result is not None else await self._fresh()
        except asyncio.CancelledError:
            if self.live is not None:
                live = self.live
                await cancel_remote(self.ctx, self.job, live)
                self._cut_off(live, f"its job {live.remote_id} on {live.provider} was cancelled")
            elif self.creating is not None:
                why = f"the create was being sent to {self.creating.provider}"
                self._cut_off(self.creating, why)
            raise
        finally:
            self.release()
            self.ctx.in_flight.discard(self.job.index)

    async def resume(self) -> ImageResult | None:
        """The result of what an earlier run left, or ``None`` to start afresh (always here)."""
        return None

    async def _fresh(self) -> ImageResult:
        for entry in self.ctx.plan.chain:
            lane = self.ctx.providers.get(entry.provider)
            if lane is None:
                continue
            while not lane.breaker.is_open and (key := lane.keys.take()) is not None:
                step = await self._attempt(entry, lane, key)
                if isinstance(step, ImageResult):
                    return step
                if step is Step.NEXT_KEY:
                    lane.keys.retire(key)
                elif step is Step.NEXT_PROVIDER:
                    break
            if lane.breaker.is_open and self.last_error is None:
                self.last_error = lane.breaker.down(entry.provider)
        return self._give_up()

    async def _attempt(
        self, entry: ModelEntry, lane: ProviderRun, key: ApiKey
    ) -> ImageResult | Step:
        job = self.job
        if self.ctx.stop.is_set():
            return self._stopped()
        price, req = job.price_on(entry), self.ctx.request_for(job, entry)
        if self.filtered and req.seed is not None:  # made once more: not the same image
            req = dataclasses.replace(req, seed=(req.seed + FILTERED_SEED_STEP) % 2**31)
        att = Attempt(entry.provider, entry.model, lane, key, price, req)
        refused = await self._reserve(entry, att)
        if refused is not None:
            return refused
        self.ctx.emit(JobStarted(job.index, job.prompt_id, att.provider, att.model, shown_key(key)))
        try:
            outcome = await self._submit(att)
        except (AuthError, QuotaError) as exc:
            self._drop(exc)
            return Step.NEXT_KEY
        except AmbiguousCreate as exc:
            self.res.keep()  # it may be billed
            return self.finish(self.failed(att, exc))
        except (ProviderDown, RateLimited, Transient) as exc:
            self._drop(exc)
            return Step.NEXT_PROVIDER
        except ProviderError as exc:
            return self.job_failed(att, exc)
        return await self.complete(att, outcome)

    async def _reserve(self, entry: ModelEntry, att: Attempt) -> ImageResult | None:
        """Reserve the most ``att`` can cost; ``None`` once held, else the refusal's row.

        A per-second model is bounded by its deadline: rate × deadline is reserved, and the
        difference comes back when the job settles. While other jobs hold money this job waits
        for it to move; with nothing else held, a per-second job whose worst case no longer fits
        is sent with a shorter deadline that fits what is left, if that is still twice its
        typical time. So committed plus in-flight worst cases never pass ``--max-cost``.
        """
        ctx, budget = self.ctx, self.ctx.budget
        worst = self.job.worst_price_on(entry)
        while True:
            amount = worst
            if budget.cap is not None and not budget.holding and entry.unit == "second":
                room = budget.cap - budget.committed
                fits = int(room / entry.price) if entry.price > 0 else 0
                typical = entry.typical_seconds or Decimal(10)
                # only a deadline with room over the typical time: one that ends at the typical
                # time is likely cancelled after billing it all, with no image
                if room < worst and fits >= max(Decimal(5), 2 * typical) and att.req is not None:
                    amount = usd(entry.price * fits)
                    att.req = dataclasses.replace(att.req, deadline_s=fits)
            try:
                self.res = budget.reserve(amount)
            except BudgetExceeded as exc:
                if budget.holding and not ctx.stop.is_set():
                    await budget.changed()  # others in flight: their money may come back
                    continue
                status: ImageStatus = "not_run" if self.sent == 0 else "failed"
                return self.finish(self.result(status, att, error=ImageError("budget", str(exc))))
            return None

    async def _submit(self, att: Attempt) -> Pending | Finished:
        self.ctx.in_flight.add(self.job.index)
        if self.started is None:
            self.started = self.ctx.clock()

        def sent() -> None:
            self.sent += 1
            self.creating = att

        try:
            outcome = await create_once(self.ctx, self.job, att, on_send=sent)
        except ProviderError:
            self.creating = None
            raise
        # Cancelled while it was out, ``creating`` stays set: run() reports it possibly billed.
        self.creating = None
        return outcome

    async def complete(self, att: Attempt, outcome: Pending | Finished) -> ImageResult | Step:
        """Journal the remote id, poll a pending job, and deliver its image."""
        if isinstance(outcome, Pending):
            att.remote_id = outcome.remote_id
            self.ctx.record_submitted(self.job, att.target(), att.remote_id)
            self.ctx.emit(JobPolling(self.job.index, outcome.remote_id))
            self.live = att
            try:
                outcome = await self.poll(att)
            except ProviderError as exc:
                return self.poll_failed(att, exc)
        elif outcome.remote_id and att.prov.can_poll:
            # Journaled so a crash before the file lands re-polls instead of paying again;
            # a synchronous provider cannot be polled, so its intent record stands instead.
            att.remote_id = outcome.remote_id
            self.ctx.record_submitted(self.job, att.target(), att.remote_id)
        return await self.deliver(att, outcome)

    async def poll(self, att: Attempt, *, attempts: int | None = None) -> Finished:
        """Poll ``att``'s remote job until it finishes (see :func:`poll_until_done`)."""
        outcome = await poll_until_done(self.ctx, self.job, att, attempts=attempts)
        self.live = None
        return outcome

    def poll_failed(self, att: Attempt, exc: ProviderError) -> ImageResult | Step:
        """The result (or the next step) after ``att``'s remote job could not be collected."""
        self.live = None
        if isinstance(exc, RemoteJobFailed | ContentRejected | InvalidRequest):
            return self.job_failed(att, exc)
        self.res.keep()  # its fate is unknown: it may still run and bill
        note = "; it may still finish: run again into the same folder to collect it"
        return self.finish(self.failed(att, exc, note=note), recoverable=True)

    def job_failed(self, att: Attempt, exc: ProviderError) -> ImageResult | Step:
        """The provider answered that ``att`` failed: count it where billed, then decide.

        Only a failure about the input (``InvalidRequest``) or the prompt (``ContentRejected``)
        is final at once. A job that failed on the provider's side (``RemoteJobFailed``) is made
        again on the same model up to ``--retry-failed`` times, then on the next provider of the
        chain; the reservation of each new attempt keeps the total under ``--max-cost``.
        """
        self.live = None
        if att.remote_id is None and isinstance(exc, RemoteJobFailed):
            att.remote_id = exc.request_id  # a create that answered with a failed job
        failed = self.count_failed(att, exc)
        self.last_error = exc
        if not isinstance(exc, RemoteJobFailed) or self.ctx.stop.is_set():
            return self.finish(failed)
        self.carry(failed)
        if self.remote_failures < self.ctx.retry_failed:
            self.remote_failures += 1
            return Step.AGAIN
        self.remote_failures = 0  # the next provider gets its own tries
        return Step.NEXT_PROVIDER

    def count_failed(self, att: Attempt, exc: ProviderError) -> ImageResult:
        """The failed row for ``att``: settled at what it cost where billed, else released."""
        entry = self.ctx.entry_for(att.provider, att.model)
        charge = failure_charge(exc, att.prov, entry)
        if charge is None:
            self._drop(exc)  # the provider answered: the job failed and made no image
            return self.failed(att, exc)
        cost = self.settle(att, charge.amount)
        return self.failed(att, exc, cost=cost, cost_source=charge.source, note=charge.note)

    def carry(self, attempt: ImageResult) -> None:
        """Journal an attempt that another one follows; its cost goes into the final row."""
        self.ctx.record_result(self.job, attempt)
        self.carried += attempt.cost_usd
        self.carried_row = attempt

    async def deliver(self, att: Attempt, outcome: Finished) -> ImageResult | Step:
        """Download the first image, settle the money and write the file atomically."""
        ctx = self.ctx
        # Priced with the entry the estimate used ([prices] overrides included).
        billed, source = billed_cost(ctx.entry_for(att.provider, att.model), outcome.billed)
        max_bytes = int(ctx.settings.max_download_mb * 1024 * 1024)
        try:
            if not outcome.images:
                raise InvalidResponse("the provider returned no image", provider=att.provider)
            first = outcome.images[0]
            deadline = ctx.settings.download_timeout

            image = await ctx.call(
                self.job.index,
                att.provider,
                lambda: att.prov.download(first, att.key, max_bytes=max_bytes, deadline=deadline),
            )
            data = image.data or b""
            ext = image_extension(data, provider=att.provider)
        except ProviderError as exc:
            cost = self.settle(att, billed)  # the image was made, so it was billed
            recoverable = att.remote_id is not None and not isinstance(exc, InvalidRequest)
            failed = self.failed(att, exc, cost=cost, cost_source=source)
            return self.finish(failed, recoverable=recoverable)
        if outcome.filtered is not None:
            return self._filtered(att, outcome.filtered, data, ext, billed, source)
        rel = RunFolder.image_file(self.job.stem, ext)
        cost = self.settle(att, billed)
        try:
            keep_aside(ctx.out_dir / rel, data)  # an earlier run's paid image is never overwritten
            write_atomic(ctx.out_dir / rel, data)
        except OSError as exc:  # disk full, permissions: paid for, so keep it re-fetchable
            err = ImageError("io", f"could not write {rel}: {exc.strerror or exc}")
            failed = self.result("failed", att, error=err, cost=cost, cost_source=source)
            return self.finish(failed, recoverable=att.remote_id is not None)
        seed = outcome.seed if outcome.seed is not None else None
        ok = self.result("succeeded", att, file=rel, cost=cost, cost_source=source, seed=seed)
        return self.finish(ok)

    def _filtered(
        self,
        att: Attempt,
        why: str,
        data: bytes,
        ext: str,
        billed: Decimal | None,
        source: CostSource,
    ) -> ImageResult | Step:
        """A billed output the provider's safety checker flagged: count it, keep it aside.

        It is never delivered as the portrait. The prompt is made once more with another seed
        (reserved within the budget, like every attempt); a second flagged output is final.
        """
        cost = self.settle(att, billed)
        self.filtered += 1
        stem = self.job.stem + (f"~{self.filtered}" if self.filtered > 1 else "")
        rel = f"{RunFolder.FILTERED}/{stem}.{ext}"
        try:
            keep_aside(self.ctx.out_dir / rel, data)  # an earlier run's, also paid for
            write_atomic(self.ctx.out_dir / rel, data)
            kept = f"; kept as {rel}"
        except OSError as exc:
            kept = f"; could not keep it ({exc.strerror or exc})"
        err = ImageError("content_filtered", redact(f"{why}; billed and counted{kept}"))
        failed = self.result("failed", att, error=err, cost=cost, cost_source=source)
        if self.filtered > 1 or self.ctx.stop.is_set():
            return self.finish(failed)
        self.carry(failed)
        return Step.AGAIN

    # -- money and results --------------------------------------------------------------

    def release(self) -> None:
        """Give back the money still held: nothing was billed for it."""
        if self.res.open:
            self.res.release()

    def settle(self, att: Attempt, billed: Decimal | None) -> Decimal:
        """Count ``att`` as paid: at ``billed`` when the provider said, else at its estimate,
        and journal the charge (the folder's ledger: ``folder_cost_usd`` is its sum).

        The reservation may hold more (a per-second model's deadline); the rest comes back.
        """
        cost = self.res.settle(billed if billed is not None else att.price)
        self.ctx.record_charge(self.job, att.provider, att.remote_id, cost)
        return cost

    def _drop(self, exc: ProviderError) -> None:
        self.last_error = exc
        self.release()

    def _cut_off(self, att: Attempt, why: str) -> None:
        """A second Ctrl-C stopped ``att`` after its create was sent: possibly billed.

        Either nobody knows whether the provider took the create, or its job was cancelled
        after it had run a while (Replicate bills a cancelled prediction for its time). So it
        is reported at the catalog price with a note (not ``not_run`` at $0), the money stays
        reserved, and the job stays open in the journal: a re-run looks it up and books what
        the provider says it cost in place of this estimate.
        """
        if att.price == ZERO:
            return  # a free model: nothing to count, and a re-run simply sends it again
        if self.res.open:
            self.res.keep()
        self.ctx.record_charge(self.job, att.provider, att.remote_id, att.price, possible=True)
        err = ImageError(
            "interrupted",
            f"stopped by a second Ctrl-C ({why}): it may have been billed, counted at the"
            f" catalog price (about ${att.price})",
        )
        row = self.result("failed", att, error=err, cost=att.price, cost_source="catalog")
        self.finish(row, recoverable=True)

    def finish(self, result: ImageResult, *, recoverable: bool = False) -> ImageResult:
        """Journal ``result`` (with every earlier attempt's cost), tell the observer, return it."""
        if self.carried:
            result = dataclasses.replace(result, cost_usd=result.cost_usd + self.carried)
        self.ctx.record_result(self.job, result, recoverable=recoverable)
        self.ctx.emit(JobFinished(result))
        return result

    def _stopped(self) -> ImageResult:
        if self.sent == 0 and self.last_error is None:
            err = ImageError("interrupted", "not sent: the run was stopped")
            return self.finish(self.result("not_run", None, error=err))
        return self._give_up()

    def _give_up(self) -> ImageResult:
        exc = self.last_error
        if exc is None:
            err = ImageError("no_provider", "no provider in the chain has a usable key")
        else:
            last = self.carried_row
            if last is not None and last.error is not None and last.error.kind == exc.kind:
                # No attempt followed the last one that failed: its row (provider, key, remote
                # id, what it counted and why) is the result; finish() adds every attempt's cost.
                row = dataclasses.replace(last, cost_usd=ZERO, attempts=self.sent)
                return self.finish(row)
            err = ImageError(exc.kind, redact(exc.message))
        return self.finish(self.result("failed", None, error=err))

    def failed(
        self,
        att: Attempt,
        exc: ProviderError,
        *,
        cost: Decimal = ZERO,
        cost_source: CostSource = "catalog",
        note: str = "",
    ) -> ImageResult:
        """The failed report row for ``exc`` on ``att`` (message redacted)."""
        error = ImageError(exc.kind, redact(exc.message + note))
        return self.result("failed", att, error=error, cost=cost, cost_source=cost_source)

    def result(
        self,
        status: ImageStatus,
        att: Attempt | None,
        *,
        file: str | None = None,
        cost: Decimal = ZERO,
        cost_source: CostSource = "catalog",
        error: ImageError | None = None,
        seed: int | None = None,
    ) -> ImageResult:
        """The report row for this job (keys masked; USD)."""
        job = self.job
        latency = None if self.started is None else round(self.ctx.clock() - self.started, 3)
        refs = tuple(r.name for r in att.req.references) if att and att.req else ()
        return ImageResult(
            index=job.index,
            prompt_id=job.prompt_id,
            prompt=job.prompt,
            status=status,
            file=file,
            provider=att.provider if att else None,
            model=att.model if att else None,
            key=shown_key(att.key) if att else None,
            reference=refs[0] if refs else None,
            seed=seed if seed is not None else att.req.seed if att and att.req else job.seed,
            attempts=self.sent,
            latency_s=latency,
            cost_usd=cost,
            cost_source=cost_source,
            remote_id=att.remote_id if att else None,
            error=error,
            estimated_cost_usd=att.price if att else None,
            references=refs,
        )
