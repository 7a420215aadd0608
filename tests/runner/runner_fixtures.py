"""Fixtures for runner tests: settings, a fake clock, and a one-call ``run`` helper.

Not a ``conftest.py``: other test modules do ``from conftest import CANARY``, and a second
conftest would shadow the suite's. Test modules here use ``from runner_fixtures import *``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeClock, FakeProvider, RunFn
from pinglass.runner import EngineConfig, run_batch
from pinglass.runner.events import Event
from pinglass.runner.plan import Plan
from pinglass.runner.results import RunOutcome
from pinglass.secrets import ApiKey
from pinglass.settings import Settings

__all__ = ["clock", "events", "out_dir", "run", "settings"]


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, poll_interval=1.0, poll_timeout=60.0)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def run(settings: Settings, clock: FakeClock, events: list[Event], out_dir: Path) -> RunFn:
    """``await run(plan, providers, keys)`` with the fake clock, recording events."""

    async def _run(
        plan: Plan,
        providers: Sequence[FakeProvider] | Mapping[str, FakeProvider],
        keys: Mapping[str, Sequence[ApiKey]] | None = None,
        *,
        stop: asyncio.Event | None = None,
        config: EngineConfig | None = None,
        **kw: Any,
    ) -> RunOutcome:
        provs = providers if isinstance(providers, Mapping) else {p.name: p for p in providers}
        return await run_batch(
            plan,
            keys=keys or {},
            settings=kw.pop("settings", settings),
            out_dir=kw.pop("out_dir", out_dir),
            observer=kw.pop("observer", events.append),
            sleep=clock.sleep,
            clock=clock,
            wall=clock.wall,
            stop=stop,
            providers=dict(provs),
            config=config or EngineConfig(breaker_threshold=50),
            **kw,
        )

    return _run
