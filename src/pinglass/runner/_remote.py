"""One remote job's life at the provider: created once, found again, polled, cancelled.

An :class:`Attempt` is one try of a job on one provider, model and key.

**A billable create is sent once unless the failure proves it was refused.** :func:`create_once`
journals the intent (fsynced) *before* the request, sends it under retry policy A, and when a
send may have been accepted (``Transient(maybe_accepted=True)``) never repeats it blindly:

- a free model is simply sent again (it costs nothing);
- a provider that can list its jobs (``can_reattach``) is asked for the job the send made
  (:func:`find_created`); if it has none, the create is sent once more, and only once;
- otherwise the job fails as :class:`~pinglass.errors.AmbiguousCreate` (maybe billed).

This is replicate-python's rule (its ``RetryTransport`` never retries a POST:
https://github.com/replicate/replicate-python/blob/0110c2c5639763a44e73d69011eaec28a15334f7/replicate/client.py#L228)
made precise.

**Polls are idempotent** and retried freely (policy B) until the job finishes or the poll
timeout passes (:func:`poll_until_done`). **A second Ctrl-C cancels the remote job** where the
provider can, briefly and shielded, and journals whether the provider accepted
(:func:`cancel_remote`): a re-run trusts only an accepted cancel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pinglass.errors import AmbiguousCreate, ProviderError, Transient
from pinglass.money import ZERO
from pinglass.providers.base import Finished, GenerationRequest, Pending, Provider
from pinglass.runner._context import ProviderRun, RunContext
from pinglass.runner.journal import Target
from pinglass.runner.plan import Job
from pinglass.secrets import ApiKey

__all__ = ["Attempt", "cancel_remote", "create_once", "find_created", "poll_until_done"]


@dataclass(slots=True)
class Attempt:
    """One try of a job on one provider, model and key; ``price`` is the reserved USD."""

    provider: str
    model: str
    lane: ProviderRun
    key: ApiKey
    price: Decimal
    req: GenerationRequest | None
    remote_id: str | None = None
    by_earlier_run: bool = False
    """The remote job (or the create) is an earlier run's, which paid for it; this run only
    collects it (:mod:`._resume`)."""

    @property
    def prov(self) -> Provider:
        """The provider's adapter."""
        return self.lane.adapter

    def target(self) -> Target:
        """Where this attempt went, as the journal records it (key masked, request hashed)."""
        fingerprint = self.req.fingerprint() if self.req is not None else None
        return Target(self.provider, self.model, self.key.fingerprint, fingerprint, self.price)

    def ambiguous(self, exc: Transient) -> AmbiguousCreate:
        """The error for this create when it may have been accepted and cannot be found."""
        return AmbiguousCreate(
            f"the create was cut off after it was sent ({exc.message}); it may have been"
            f" billed (about ${self.price}), so it was not sent again",
            provider=self.provider,
            model=self.model,
        )


async def create_once(
    ctx: RunContext, job: Job, att: Attempt, *, on_send: Callable[[], None]
) -> Pending | Finished:
    """Send ``att``'s create for ``job`` and return what the provider answered.

    ``on_send`` is called before each request that really leaves (at most twice in all, and
    the second only after a look-up found nothing). Raises the last ``ProviderError``, or
    :class:`~pinglass.errors.AmbiguousCreate` when the create may have been accepted and
    cannot be found again.
    """

    async def send() -> Pending | Finished:
        assert att.req is not None  # noqa: S101 - fresh attempts always carry a request
        await att.lane.limiter.acquire()
        on_send()
        return await att.prov.submit(att.req, att.key)

    for sends in (1, 2):
        since = ctx.wall()
        ctx.record_intent(job, att.target())
        try:
            return await ctx.call(job.index, att.provider, send, create=True)
        except Transient as exc:
            if not exc.maybe_accepted:
                raise
            try:
                found = await _reconcile(ctx, job, att, since, exc)
            except AmbiguousCreate:
                raise
            except ProviderError as err:  # the look-up failed: still ambiguous
                raise att.ambiguous(exc) from err
            if found is not None:
                return found
            if sends == 2:
                raise att.ambiguous(exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


async def _reconcile(
    ctx: RunContext, job: Job, att: Attempt, since: float, exc: Transient
) -> Pending | Finished | None:
    """After an ambiguous create: the job it made, or ``None`` when it is safe to resend."""
    if att.price == ZERO:
        return None  # a free model: sending again costs nothing
    if not att.prov.can_reattach or att.req is None:
        raise att.ambiguous(exc) from exc
    return await find_created(ctx, job, att, since - ctx.config.reattach_slack)


async def find_created(
    ctx: RunContext, job: Job, att: Attempt, since: float
) -> Pending | Finished | None:
    """The remote job ``att``'s request made after ``since`` (epoch s), if the provider has one.

    Policy B (a look-up is free and idempotent); raises its last ``ProviderError``.
    """
    req = att.req
    assert req is not None  # noqa: S101 - only called with a request to match
    return await ctx.call(
        job.index, att.provider, lambda: att.prov.find_submitted(req, att.key, since=since)
    )


async def poll_until_done(
    ctx: RunContext, job: Job, att: Attempt, *, attempts: int | None = None
) -> Finished:
    """Poll ``att``'s remote job every ``poll_interval`` seconds until it has finished.

    Each poll runs under policy B (``attempts`` tries at most). Raises ``Transient`` once the
    job is still running after ``poll_timeout`` seconds, or the poll's last ``ProviderError``.
    """
    remote_id = att.remote_id
    assert remote_id is not None  # noqa: S101 - only a created job is polled
    deadline = ctx.clock() + ctx.settings.poll_timeout
    while True:
        await ctx.sleep(ctx.settings.poll_interval)
        outcome = await ctx.call(
            job.index, att.provider, lambda: att.prov.poll(remote_id, att.key), attempts=attempts
        )
        if isinstance(outcome, Finished):
            return outcome
        if ctx.clock() >= deadline:
            raise Transient(
                f"job {remote_id} still running after {ctx.settings.poll_timeout:.0f} s",
                provider=att.provider,
                model=att.model,
            )


async def cancel_remote(ctx: RunContext, job: Job, att: Attempt) -> None:
    """Ask the provider to stop ``att``'s remote job (best effort, at most ``cancel_timeout``).

    Shielded so the run's own cancellation cannot cut the request short; journals the answer.
    Never raises a ``ProviderError``.
    """
    if att.remote_id is None or not att.prov.can_cancel:
        return
    task = asyncio.ensure_future(att.prov.cancel(att.remote_id, att.key))
    accepted = False
    try:
        accepted = await asyncio.wait_for(asyncio.shield(task), ctx.config.cancel_timeout)
    except (ProviderError, TimeoutError, asyncio.CancelledError, NotImplementedError):
        accepted = False
    ctx.record_cancelled(job, att.remote_id, accepted=accepted)
