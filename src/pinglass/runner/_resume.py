"""A job an earlier run into the folder left unfinished: re-attach to it, never pay twice.

What the journal holds for the job decides (see :class:`~pinglass.runner.journal.JobState`):

=====================================  =====================================================
journal                                what the job does
=====================================  =====================================================
a remote job (``submit``, no result)   poll it (money reserved again if it fits; it is
                                       committed either way), then deliver as usual
… that we cancelled, provider agreed   poll it once: it finished after all, or it is over
                                       and the job is made anew
… on a provider without a key now      failed ``no_key``, still pending for a later run
a create cut off while sending         free model: make it anew. Provider that can list
(``intent``, nothing after it)         its jobs: find it and continue, or make it anew if it
                                       never arrived. Otherwise failed ``ambiguous``
=====================================  =====================================================

The money of a remote job an earlier run created was spent by that run: the row shows what the
image cost, with that part as ``earlier_cost_usd``, which this run's ``cost_usd`` leaves out
(the folder's ledger counts the remote job once).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pinglass.errors import ProviderError
from pinglass.money import ZERO
from pinglass.runner._context import RunContext
from pinglass.runner._job import JobRunner
from pinglass.runner._remote import Attempt, find_created
from pinglass.runner.events import JobPolling, JobStarted
from pinglass.runner.journal import IntentRecord, SubmittedRecord, Target
from pinglass.runner.keys import shown_key
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult

__all__ = ["ResumedJob"]


class ResumedJob(JobRunner):
    """A :class:`JobRunner` for a job with journal history; see the module table."""

    def __init__(self, ctx: RunContext, job: Job) -> None:
        super().__init__(ctx, job)
        self.earlier = ZERO
        """USD this job counted for an earlier run's remote job (settled, or cut off)."""

    async def resume(self) -> ImageResult | None:
        """The result of the earlier run's remote job or create, or ``None`` to start afresh."""
        state = self.ctx.states.get(self.job.index)
        if state is not None and state.pending is not None:
            return await self._resume_pending(state.pending, cancelled=state.cancelled)
        if state is not None and state.intent is not None:
            return await self._resume_intent(state.intent)
        return None

    async def _resume_pending(self, rec: SubmittedRecord, *, cancelled: bool) -> ImageResult | None:
        att = self._attempt_from(rec.target)
        if att is None:
            msg = f"remote job {rec.remote_id} is pending on {rec.target.provider}"
            err = ImageError("no_key", msg + ", which has no usable key in this run")
            return self.finish(self.result("failed", None, error=err), recoverable=True)
        att.remote_id = rec.remote_id
        self.res = self.ctx.budget.reserve_committed(att.price)
        self.ctx.in_flight.add(self.job.index)
        self.started = self.ctx.clock()
        key = shown_key(att.key)
        self.ctx.emit(JobStarted(self.job.index, self.job.prompt_id, att.provider, att.model, key))
        self.ctx.emit(JobPolling(self.job.index, att.remote_id))
        self.live = att
        try:
            # A job we cancelled is looked at once: it finished after all, or it is over.
            outcome = await self.poll(att, attempts=1 if cancelled else None)
        except ProviderError as exc:
            if cancelled:  # over; a canceled job still bills the time it ran, where billed
                self.live = None
                self.carry(self.count_failed(att, exc))
                return None
            step = self.poll_failed(att, exc)
            return step if isinstance(step, ImageResult) else None
        done = await self.deliver(att, outcome)
        return done if isinstance(done, ImageResult) else None

    async def _resume_intent(self, rec: IntentRecord) -> ImageResult | None:
        att = self._attempt_from(rec.target)
        price = rec.target.price
        if price == ZERO:
            return None
        if att is None or att.req is None or not att.prov.can_reattach:
            err = ImageError(
                "ambiguous",
                f"an earlier run was stopped while sending this image to {rec.target.provider};"
                f" it may have been billed (about ${price}); not sent again in this run"
                " (run again to request it anew)",
            )
            return self.finish(self.result("failed", att, error=err))
        self.res = self.ctx.budget.reserve_committed(att.price)
        self.started = self.ctx.clock()
        try:
            found = await find_created(
                self.ctx, self.job, att, rec.at - self.ctx.config.reattach_slack
            )
        except ProviderError as exc:
            self.res.keep()  # it may exist and be billed: a later run looks again
            return self.finish(self.failed(att, exc), recoverable=True)
        if found is None:
            self.release()  # it never reached the provider: a fresh create is safe
            return None
        step = await self.complete(att, found)
        return step if isinstance(step, ImageResult) else None

    def settle(self, att: Attempt, billed: Decimal | None) -> Decimal:
        """:meth:`JobRunner.settle`, noting what an earlier run's remote job cost."""
        cost = super().settle(att, billed)
        if att.by_earlier_run:
            self.earlier += cost
        return cost

    def _cut_off(self, att: Attempt, why: str) -> None:
        if att.by_earlier_run:
            self.earlier += att.price  # counted at the catalog price, as the row says
        super()._cut_off(att, why)

    def finish(self, result: ImageResult, *, recoverable: bool = False) -> ImageResult:
        """:meth:`JobRunner.finish` with the row's ``earlier_cost_usd`` set."""
        if self.earlier:
            result = replace(result, earlier_cost_usd=self.earlier)
        return super().finish(result, recoverable=recoverable)

    def _attempt_from(self, target: Target) -> Attempt | None:
        """An attempt at the journaled ``target`` with a usable key (the same one if active)."""
        lane = self.ctx.providers.get(target.provider)
        if lane is None:
            return None
        key = lane.keys.find(target.key_id) or lane.keys.take()
        if key is None:
            return None
        entry = self.ctx.entry_for(target.provider, target.model)
        req = self.ctx.request_for(self.job, entry) if entry is not None else None
        return Attempt(
            target.provider, target.model, lane, key, target.price, req, by_earlier_run=True
        )
