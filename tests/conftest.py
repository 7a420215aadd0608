"""Suite-wide fixtures: a clean environment, no network, asyncio for anyio tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx

from canary import CANARY
from pinglass.providers import PROVIDERS

__all__ = ["CANARY"]

_VENDOR_VARS = {var for entry in PROVIDERS.values() for var in entry.key_env_vars}


def _is_ours(name: str) -> bool:
    if name.startswith("PINGLASS_"):
        return True
    base = name.rstrip("0123456789").rstrip("_") if name[-1:].isdigit() else name
    return name in _VENDOR_VARS or base in _VENDOR_VARS


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Remove every PINGLASS_* and vendor key variable; work in tmp_path (no stray .env)."""
    for name in list(os.environ):
        if _is_ours(name):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("PINGLASS_DEBUG", "1")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture(autouse=True)
def no_network() -> Iterator[respx.MockRouter]:
    """Any request that escapes an injected transport fails instead of reaching the network."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def loopback(no_network: respx.MockRouter) -> respx.MockRouter:
    """Let requests to a loopback stand-in (127.0.0.1 only) through the network guard; a module
    of stand-in tests says ``pytestmark = pytest.mark.usefixtures("loopback")``."""
    no_network.route(host="127.0.0.1").pass_through()
    return no_network


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
