"""Per-provider client-side rate limiting, with a shared pause for 429s.

One :class:`RateLimiter` per provider per run. Creates take a token from a bucket refilled at
the catalog's ``rpm`` (requests per minute); the bucket holds a few seconds' worth so a short
burst (the first window of a run) is not spaced out, as Replicate allows "short bursts"
(https://replicate.com/docs/topics/predictions/rate-limits). A 429 anywhere pauses the whole
provider: :meth:`pause` pushes a shared "not before" time that every create and poll of that
provider waits for, so one throttled request slows all of them instead of each one hammering
the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]

_BURST_SECONDS = 6.0


class RateLimiter:
    """Token bucket (``rpm`` per minute, burst of ~6 s worth) plus a shared pause.

    ``clock`` is monotonic seconds and ``sleep`` an awaitable sleep; both are injected so tests
    never really wait. Used from one event loop; no lock needed because a token is taken with no
    ``await`` between reading and writing the bucket.
    """

    def __init__(
        self,
        rpm: int,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        if rpm < 1:
            raise ValueError("rpm must be at least 1")
        self.rate = rpm / 60.0
        self.capacity = max(1.0, self.rate * _BURST_SECONDS)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = 0.0
        self.waited = 0.0
        """Total seconds spent waiting in this limiter (for diagnostics)."""

    def pause(self, seconds: float) -> None:
        """Hold every request of this provider for ``seconds`` from now (a 429's Retry-After)."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def paused_for(self) -> float:
        """Seconds left of the current shared pause (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock())

    async def wait_pause(self) -> None:
        """Wait out the shared pause only (polls and downloads: they use no create token)."""
        while (left := self.paused_for) > 0:
            self.waited += left
            await self._sleep(left)

    async def acquire(self) -> None:
        """Wait for the pause and for a create token, then take the token."""
        while True:
            await self.wait_pause()
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            need = (1.0 - self._tokens) / self.rate
            self.waited += need
            await self._sleep(need)
