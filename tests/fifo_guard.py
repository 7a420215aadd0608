"""A FIFO where pinglass reads a user's file, and a guard that turns a hang into a failure.

A reader that regresses to ``Path.read_text`` waits on the FIFO for a writer forever; the guard
runs the call on a thread, and when it is still blocked after ``timeout`` seconds it opens the
FIFO's writing end once (the blocked reader then sees end of file and its thread ends) and
fails the test, so CI reports the regression instead of hanging.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["call_with_timeout", "make_fifo"]


def make_fifo(path: Path) -> Path:
    """A FIFO at ``path`` (the test is skipped where the platform has none)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("this platform has no FIFOs (os.mkfifo)")
    os.mkfifo(path)
    return path


def call_with_timeout(
    fifo: Path, call: Callable[..., Any], *args: Any, timeout: float = 20.0, **kwargs: Any
) -> Any:
    """``call(*args, **kwargs)``, re-raising what it raises; fails when it blocks on ``fifo``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="fifo-reader")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _unblock(fifo)
        thread.join(5)
        pytest.fail(f"blocked reading the FIFO {fifo} for {timeout} s instead of refusing it")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _unblock(fifo: Path) -> None:
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # succeeds while a reader waits
    except OSError:
        return
    os.close(fd)
