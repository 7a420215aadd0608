"""Ctrl-C and SIGTERM for a run on an event loop: the first press stops, the second cancels."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

__all__ = ["STOP_SIGNALS", "stop_on_signals"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""SIGTERM (a service manager, ``kill``) counts as a Ctrl-C press."""


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event, *, cancel: Callable[[], object]) -> Iterator[None]:
    """While inside: the first Ctrl-C (or SIGTERM) sets ``stop``, the second calls ``cancel``.

    Must be entered on the running event loop.
    """
    presses = 0

    def on_signal() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            stop.set()
        else:
            cancel()

    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
