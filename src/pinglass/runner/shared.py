"""What several batches running at once in one process share: :class:`SharedEngine`.

Studio mode runs one batch per person (each with its own plan, output folder and journal) on one
event loop. Handing each :func:`~pinglass.runner.run_batch` call the same ``SharedEngine`` makes
them one engine: one HTTP client, one window of ``concurrency`` requests in flight, one lane per
provider (adapter, key pool, rate limiter, circuit breaker) and one :class:`~pinglass.money.Budget`
whose cap holds over the sum of every batch. A batch without one builds its own, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from pinglass.money import Budget
from pinglass.runner._context import ProviderRun
from pinglass.settings import Settings

__all__ = ["SharedEngine", "shared_engine"]


@dataclass(slots=True)
class SharedEngine:
    """The resources batches share; single event loop, no locks.

    The first batch that needs a provider brings its lane; later batches get that same lane
    (its rate limiter, key rotation and breaker), whatever lane they built themselves.
    """

    client: httpx.AsyncClient
    budget: Budget
    semaphore: asyncio.Semaphore
    lanes: dict[str, ProviderRun] = field(default_factory=dict)

    def share(self, lanes: dict[str, ProviderRun]) -> dict[str, ProviderRun]:
        """The shared lane for each provider of ``lanes`` (the first one offered wins)."""
        for name, lane in lanes.items():
            self.lanes.setdefault(name, lane)
        return {name: self.lanes[name] for name in lanes}


@asynccontextmanager
async def shared_engine(
    settings: Settings, *, concurrency: int, max_cost: Decimal | None
) -> AsyncIterator[SharedEngine]:
    """A :class:`SharedEngine` with its own HTTP client, closed on the way out."""
    from pinglass.runner.engine import make_client

    async with make_client(settings, concurrency=concurrency) as client:
        yield SharedEngine(
            client=client,
            budget=Budget(cap=max_cost),
            semaphore=asyncio.Semaphore(max(1, concurrency)),
        )
