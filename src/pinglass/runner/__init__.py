"""The batch runner: plan, engine, events, results (``docs/architecture.md``, "runner").

The library entry points are :func:`run_batch` (run a plan into an output folder) and
:func:`previous_results` (what an earlier run into that folder already finished).
"""

from __future__ import annotations

from pinglass.runner.engine import EngineConfig, make_client, previous_results, run_batch

__all__ = ["EngineConfig", "make_client", "previous_results", "run_batch"]
