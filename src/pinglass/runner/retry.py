"""The two retry policies, built once from the error taxonomy (tenacity).

========  =====================================================  ===============================
policy    retries on                                             never retries
========  =====================================================  ===============================
A submit  ``RateLimited``; ``Transient(maybe_accepted=False)``   ``Transient(maybe_accepted=True)``
          (connect failure, 5xx/429 answered)                    (ambiguous: reconciled instead)
B poll,   ``RateLimited``; every ``Transient``                  ``AuthError``, ``QuotaError``,
download                                                         ``ContentRejected``,
probe                                                            ``InvalidRequest``,
                                                                 ``RemoteJobFailed``
========  =====================================================  ===============================

A :class:`~pinglass.errors.RemoteJobFailed` is never retried as a request: the provider answered,
and asking again returns the same failed job. The runner decides whether to make a new one.

Waits are exponential with full jitter (``wait_random_exponential``), except that a
``RateLimited`` carrying ``retry_after`` waits exactly that long, capped at 60 s so one header
cannot stall a run. (replicate-python's ``RetryTransport`` uses the same 60 s
``MAX_BACKOFF_WAIT`` for its own backoff and for a date-form ``Retry-After``, but honours a
seconds value uncapped:
https://github.com/replicate/replicate-python/blob/0110c2c5639763a44e73d69011eaec28a15334f7/replicate/client.py#L271-L290.)
Attempts are bounded, ``sleep`` is injected, and
``reraise=True`` so callers see the taxonomy, never ``tenacity.RetryError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.wait import wait_base

from pinglass.errors import (
    ContentRejected,
    InvalidRequest,
    RateLimited,
    RemoteJobFailed,
    Transient,
)

if TYPE_CHECKING:
    from pinglass.providers.base import Provider

__all__ = [
    "is_billed_failure",
    "RETRY_AFTER_CAP",
    "OnRetry",
    "Sleep",
    "WaitRetryAfterOr",
    "build_policy",
    "poll_policy",
    "retryable_poll",
    "retryable_submit",
    "submit_policy",
]

RETRY_AFTER_CAP = 60.0
"""Longest wait, in seconds, a ``Retry-After`` header can impose (seconds or date form alike)."""

Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[BaseException, float, int], None]
"""Called before each retry sleep with the error, the wait in seconds and the attempt number."""


def is_billed_failure(exc: BaseException, provider: Provider) -> bool:
    """True for a final failure of a job the provider accepted and ran and may have billed.

    That is a :class:`RemoteJobFailed` marked ``billed``, or a refusal (``ContentRejected``,
    ``InvalidRequest``) answered with a 2xx status, i.e. by a job that ran, on a provider that
    bills compute time for failed jobs. The reservation is then settled, not released.
    """
    if isinstance(exc, RemoteJobFailed):
        return exc.billed
    return (
        isinstance(exc, ContentRejected | InvalidRequest)
        and exc.status_code is not None
        and 200 <= exc.status_code < 300
        and provider.bills_failed_jobs
    )


def retryable_submit(exc: BaseException) -> bool:
    """Policy A: the billable create was certainly not accepted and may be sent again."""
    if isinstance(exc, RateLimited):
        return True
    return isinstance(exc, Transient) and not exc.maybe_accepted


def retryable_poll(exc: BaseException) -> bool:
    """Policy B: idempotent requests retry on every ``RateLimited`` and ``Transient``."""
    if isinstance(exc, RateLimited):
        return True
    return isinstance(exc, Transient)


class WaitRetryAfterOr(wait_base):
    """Wait ``retry_after`` for a ``RateLimited`` that carries one, else ``fallback``."""

    def __init__(self, fallback: wait_base, *, cap: float = RETRY_AFTER_CAP) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.cap)
        return float(self.fallback(retry_state))


def build_policy(
    retryable: Callable[[BaseException], bool],
    *,
    attempts: int,
    sleep: Sleep,
    on_retry: OnRetry | None = None,
    initial: float = 1.0,
    max_wait: float = 30.0,
) -> AsyncRetrying:
    """A fresh ``AsyncRetrying`` that retries errors ``retryable`` accepts.

    At most ``attempts`` tries in all; waits (seconds) grow from ``initial`` up to ``max_wait``
    with full jitter, or follow a ``RateLimited.retry_after`` (capped at ``RETRY_AFTER_CAP``).
    ``sleep`` is awaited for each wait; ``on_retry`` is told before it. Never raises itself;
    the returned policy re-raises the last error as it is.
    """

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is None or state.outcome is None or state.next_action is None:
            return
        exc = state.outcome.exception()
        if exc is not None:
            on_retry(exc, float(state.next_action.sleep), state.attempt_number)

    return AsyncRetrying(
        retry=retry_if_exception(retryable),
        wait=WaitRetryAfterOr(wait_random_exponential(multiplier=initial, max=max_wait)),
        stop=stop_after_attempt(attempts),
        sleep=sleep,
        reraise=True,
        before_sleep=before_sleep,
    )


# The two policies differ only in what they retry and how often; both take the keywords of
# build_policy (attempts may be overridden): ``(*, attempts, sleep, on_retry, initial, max_wait)``.
submit_policy = partial(build_policy, retryable_submit, attempts=4)
"""Policy A for a billable create: retried only when it was certainly not accepted."""

poll_policy = partial(build_policy, retryable_poll, attempts=6)
"""Policy B for polls, downloads, probes and re-attach look-ups (all idempotent)."""
