"""Progress as data: events the runner emits and the Observer protocol that receives them.

The runner never imports rich; the CLI renders these events (``cli/_progress.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pinglass.runner.results import ImageResult

__all__ = [
    "CostUpdated",
    "Event",
    "JobFinished",
    "JobPolling",
    "JobRetrying",
    "JobStarted",
    "NullObserver",
    "Observer",
    "RunStopping",
]


@dataclass(frozen=True, slots=True)
class JobStarted:
    """A job was sent (or re-attached) to ``provider`` with the key shown masked."""

    index: int
    prompt_id: str
    provider: str
    model: str
    key: str | None
    """The masked key (:func:`~pinglass.runner.keys.shown_key`); ``None`` when none is needed."""


@dataclass(frozen=True, slots=True)
class JobPolling:
    """The provider accepted the job as ``remote_id``; waiting for it."""

    index: int
    remote_id: str


@dataclass(frozen=True, slots=True)
class JobRetrying:
    """An attempt failed with ``kind`` and will be retried after ``wait_s`` seconds."""

    index: int
    kind: str
    message: str
    wait_s: float
    attempt: int


@dataclass(frozen=True, slots=True)
class JobFinished:
    """A job ended (succeeded, reused, failed or not run); ``result`` is its report row."""

    result: ImageResult


@dataclass(frozen=True, slots=True)
class CostUpdated:
    """Money so far, USD: spent (settled) and reserved for requests in flight."""

    spent: Decimal
    reserved: Decimal


@dataclass(frozen=True, slots=True)
class RunStopping:
    """Ctrl-C: no new submissions; ``in_flight`` jobs are being waited for."""

    in_flight: int


Event = JobStarted | JobPolling | JobRetrying | JobFinished | CostUpdated | RunStopping


class Observer(Protocol):
    """Receives runner events; must not block (it runs on the event loop)."""

    def __call__(self, event: Event) -> None: ...


class NullObserver:
    """Ignores every event."""

    def __call__(self, event: Event) -> None:
        return None
