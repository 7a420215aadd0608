"""Likeness of a run's saved images, scored off the event loop while the batch goes on.

:class:`LikenessTracker` hands each saved image to the identity worker thread the moment its
``JobFinished`` event arrives and records the score when it completes, back on the event loop
(``add_done_callback`` → ``loop.call_soon_threadsafe``), so the batch never waits on dlib.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.runner.results import ImageResult

if TYPE_CHECKING:
    from pinglass.identity import Likeness
    from pinglass.identity.outputs import IdentitySetup, RunLikeness

__all__ = ["LikenessTracker"]


class LikenessTracker:
    """Scores saved images on the identity worker and records them in ``scores``."""

    def __init__(
        self,
        setup: IdentitySetup | None,
        folder: Path,
        scores: dict[str, Likeness | None],
        on_update: Callable[[], None],
    ) -> None:
        """Start the worker when identity is available with embedded references; else a no-op.

        ``scores`` maps an image file (relative to ``folder``) to its likeness and is filled in
        place. ``on_update`` runs on the event loop after each recorded score.
        """
        self._folder = folder
        self._scores = scores
        self._on_update = on_update
        self._pending: dict[str, Future[Likeness | None]] = {}
        self._scorer: RunLikeness | None = None
        if setup is not None and setup.available and setup.references:
            from pinglass.identity.outputs import RunLikeness

            self._scorer = RunLikeness(setup)

    def submit(self, result: ImageResult) -> None:
        """Queue a saved image (succeeded or reused, with a file) once; returns at once."""
        if self._scorer is None or result.file is None:
            return
        if result.status not in ("succeeded", "reused"):
            return
        if result.file in self._pending or result.file in self._scores:
            return
        used = result.references or ((result.reference,) if result.reference else ())
        future = self._scorer.submit(self._folder / result.file, used)
        self._pending[result.file] = future
        loop = asyncio.get_running_loop()
        file = result.file
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._record, file, f))

    def _record(self, file: str, future: Future[Likeness | None]) -> None:
        if self._pending.pop(file, None) is None:
            return
        self._scores[file] = _outcome(future)
        self._on_update()

    async def drain(self) -> None:
        """Wait for every queued image and record its score (idempotent)."""
        while self._pending:
            pending = dict(self._pending)
            await asyncio.gather(
                *(asyncio.wrap_future(f) for f in pending.values()), return_exceptions=True
            )
            for file, future in pending.items():
                if self._pending.pop(file, None) is not None:
                    self._scores[file] = _outcome(future)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker (cancelling queued images unless ``wait``). Idempotent."""
        if self._scorer is not None:
            self._scorer.close(wait=wait)


def _outcome(future: Future[Likeness | None]) -> Likeness | None:
    if future.cancelled() or future.exception() is not None:
        return None
    return future.result()
