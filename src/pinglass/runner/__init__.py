"""The batch runner: plan, engine, events, results (``docs/architecture.md``, "runner").

The library entry points are :func:`run_batch` (run a plan into an output folder) and
:func:`previous_results` (what an earlier run into that folder already finished);
:func:`shared_engine` makes one engine of several batches running at once (studio mode).
"""

from __future__ import annotations

from pinglass.runner.engine import EngineConfig, make_client, previous_results, run_batch
from pinglass.runner.shared import SharedEngine, shared_engine

__all__ = [
    "EngineConfig",
    "SharedEngine",
    "make_client",
    "previous_results",
    "run_batch",
    "shared_engine",
]
