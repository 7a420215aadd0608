"""Key rotation and the per-provider circuit breaker.

A :class:`KeyPool` hands out a provider's keys round-robin and forgets a key retired for the
run (``AuthError``/``QuotaError``). A :class:`Breaker` opens after ``threshold`` consecutive
``Transient`` failures of one provider, so the remaining jobs fall back at once instead of each
burning its retries on a provider that is down.
"""

from __future__ import annotations

from collections.abc import Sequence

from pinglass.errors import ProviderDown
from pinglass.secrets import ApiKey

__all__ = ["NO_KEY", "Breaker", "KeyPool", "shown_key"]

NO_KEY = ApiKey.of("", "")
"""The key handed to a provider that needs none (the mock). Shown as ``None`` in results."""


def shown_key(key: ApiKey) -> str | None:
    """The masked key for a result or event; ``None`` for :data:`NO_KEY`."""
    return None if key == NO_KEY else key.mask()


class KeyPool:
    """One provider's keys, round-robin, minus the ones retired for this run."""

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self.keys: list[ApiKey] = list(keys)
        self.retired: set[str] = set()
        self._next = 0

    @property
    def active(self) -> list[ApiKey]:
        """Keys not retired, in order."""
        return [k for k in self.keys if k.fingerprint not in self.retired]

    def take(self) -> ApiKey | None:
        """The next usable key in rotation, or ``None`` when every key is retired."""
        for _ in range(len(self.keys)):
            key = self.keys[self._next % len(self.keys)]
            self._next += 1
            if key.fingerprint not in self.retired:
                return key
        return None

    def retire(self, key: ApiKey) -> None:
        """Stop handing out ``key`` for the rest of the run (idempotent)."""
        self.retired.add(key.fingerprint)

    def is_retired(self, key: ApiKey) -> bool:
        """True once ``key`` was retired."""
        return key.fingerprint in self.retired

    def find(self, fingerprint: str) -> ApiKey | None:
        """The active key with this journaled fingerprint (``source:mask``), if any."""
        for key in self.active:
            if key.fingerprint == fingerprint:
                return key
        return None


class Breaker:
    """Counts consecutive ``Transient`` failures of one provider; open means "provider down"."""

    def __init__(self, threshold: int) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.failures = 0
        self.is_open = False
        self.last_cause: str | None = None
        """The last failure's message, so "provider down" can say why (no network, ...)."""

    def failure(self, cause: str | None = None) -> None:
        """Record one transient failure; opens the breaker at ``threshold``."""
        self.failures += 1
        self.last_cause = cause or self.last_cause
        if self.failures >= self.threshold:
            self.is_open = True

    def down(self, provider: str) -> ProviderDown:
        """The error a job of ``provider`` sees once this breaker is open, naming the last
        failure's cause (a connection error, a 5xx): one message for every image it stops."""
        cause = self.last_cause
        why = f": {cause.removeprefix(provider + ': ')}" if cause else ""
        return ProviderDown(
            f"failing repeatedly, so no more images are sent to it (circuit breaker open){why}",
            provider=provider,
        )

    def success(self) -> None:
        """A request got through: the run of failures is broken (an open breaker stays open)."""
        self.failures = 0
