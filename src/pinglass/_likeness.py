"""Likeness of a run's saved images, scored off the event loop while the batch goes on.

:class:`LikenessTracker` hands each saved image to the identity worker thread the moment its
``JobFinished`` event arrives and records the score when it completes, back on the event loop
(``add_done_callback`` → ``loop.call_soon_threadsafe``), so the batch never waits on dlib.

Scoring an image takes dlib about 0.3 s, so every score is also kept in
``images/.likeness.jsonl`` (:class:`LikenessRecord`) under what it depends on: the image's
sha256, and a key of the references it was scored against (their embeddings, which change with
the photos and with the face model) and of the scoring itself (the score's threshold and width,
pinglass's version). A re-run into the folder takes a reused image's likeness from there, and
scores it again only when any of these changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from pinglass.jsonl import append_object, read_objects
from pinglass.regular_file import read_regular_file
from pinglass.run_folder import RunFolder
from pinglass.runner.results import ImageResult

if TYPE_CHECKING:
    from pinglass.identity.likeness import Likeness
    from pinglass.identity.outputs import IdentitySetup

__all__ = ["LikenessRecord", "LikenessTracker", "Scorer", "references_key"]

_RECORD_VERSION = "likeness-1"
"""Part of every key: bump it when what a score means changes without the version."""


class Scorer(Protocol):
    """What scores saved images: :class:`~pinglass.identity.outputs.RunLikeness`, or a fake."""

    def submit(self, image: Path, used: Sequence[str]) -> Future[Likeness | None]:
        """Queue ``image`` against the references named in ``used``; returns at once."""
        ...

    def close(self, *, wait: bool = True) -> None:
        """Stop scoring (finish queued images when ``wait``)."""
        ...


def references_key(embeddings: Sequence[Any]) -> str:
    """A short hash of the reference embeddings an image is scored against and of the scoring.

    Embeddings are rounded to 4 decimals first, so a re-run that measures the same photos with
    the same model gets the same key even if the last bits of a float differ.
    """
    import numpy as np

    from pinglass import __version__
    from pinglass.identity.consistency import DEFAULT_THRESHOLD
    from pinglass.identity.likeness import SCORE_WIDTH

    h = hashlib.sha256(
        f"{_RECORD_VERSION}|{__version__}|{DEFAULT_THRESHOLD}|{SCORE_WIDTH}".encode()
    )
    for vector in embeddings:
        h.update(b"\0")
        h.update((np.round(np.asarray(vector, dtype=np.float64), 4) + 0.0).tobytes())
    return h.hexdigest()[:32]


class LikenessRecord:
    """``images/.likeness.jsonl``: likeness already measured, by image sha256 and references key.

    A cache, not a record of money: a line torn by a crash or one that cannot be written only
    means the image is scored again. ``None`` (no face found) is kept like a score.
    """

    def __init__(self, folder: Path) -> None:
        """Read what ``folder``'s record holds (nothing when it has none)."""
        self._path = folder / RunFolder.LIKENESS
        self._known: dict[tuple[str, str, str], Likeness | None] = {}
        for raw in read_objects(self._path):
            found = _entry(raw)
            if found is not None:
                self._known[found[0]] = found[1]

    def get(self, file: str, sha256: str, key: str) -> tuple[bool, Likeness | None]:
        """``(True, likeness)`` when ``file`` with these bytes was scored under ``key``."""
        where = (file, sha256, key)
        return (where in self._known), self._known.get(where)

    def add(self, file: str, sha256: str, key: str, likeness: Likeness | None) -> None:
        """Remember ``likeness`` for ``file`` (appended to the record; a failed write is let go)."""
        self._known[(file, sha256, key)] = likeness
        line = {
            "file": file,
            "sha256": sha256,
            "references": key,
            "score": None if likeness is None else likeness.score,
            "distance": None if likeness is None else likeness.distance,
        }
        with contextlib.suppress(OSError):
            append_object(self._path, line)


def _entry(raw: Mapping[str, Any]) -> tuple[tuple[str, str, str], Likeness | None] | None:
    from pinglass.identity.likeness import Likeness

    file, digest, key = raw.get("file"), raw.get("sha256"), raw.get("references")
    if not all(isinstance(v, str) for v in (file, digest, key)):
        return None
    score, dist = raw.get("score"), raw.get("distance")
    where = (str(file), str(digest), str(key))
    if score is None and dist is None:
        return where, None
    if not (_is_number(score) and _is_number(dist)):
        return None
    return where, Likeness(score=float(score), distance=float(dist))


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


class LikenessTracker:
    """Scores saved images on the identity worker and records them in ``scores``."""

    def __init__(
        self,
        setup: IdentitySetup | None,
        folder: Path,
        scores: dict[str, Likeness | None],
        on_update: Callable[[], None],
        *,
        scorer: Scorer | None = None,
    ) -> None:
        """Start the worker when identity is available with embedded references; else a no-op.

        ``scores`` maps an image file (relative to ``folder``) to its likeness and is filled in
        place. ``on_update`` runs on the event loop after each recorded score. ``scorer``
        replaces the dlib worker (tests); the keys still come from ``setup``'s references.
        """
        self._folder = folder
        self._scores = scores
        self._on_update = on_update
        self._pending: dict[str, Future[Likeness | None]] = {}
        self._measured: dict[str, tuple[str, str]] = {}
        self._references = setup.references if setup is not None else {}
        self._keys: dict[tuple[str, ...], str] = {}
        self._scorer = scorer
        if scorer is None and setup is not None and setup.available and setup.references:
            from pinglass.identity.outputs import RunLikeness

            self._scorer = RunLikeness(setup)
        self._record = LikenessRecord(folder) if self._scorer is not None else None

    def submit(self, result: ImageResult) -> None:
        """Queue a saved image (succeeded or reused, with a file) once; returns at once.

        An image whose bytes were already scored against the same references takes the
        recorded likeness instead.
        """
        if self._scorer is None or result.file is None:
            return
        if result.status not in ("succeeded", "reused"):
            return
        if result.file in self._pending or result.file in self._scores:
            return
        file = result.file
        used = result.references or ((result.reference,) if result.reference else ())
        measured = self._measure_key(file, used)
        if measured is not None and self._record is not None:
            known, likeness = self._record.get(file, *measured)
            if known:
                self._scores[file] = likeness
                self._on_update()
                return
        future = self._scorer.submit(self._folder / file, used)
        self._pending[file] = future
        if measured is not None:
            self._measured[file] = measured
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(self._record_score, file, f))

    def _measure_key(self, file: str, used: Sequence[str]) -> tuple[str, str] | None:
        """``(image sha256, references key)`` for ``file``, or ``None`` when it cannot be read."""
        from pinglass.identity.outputs import references_used

        try:
            # a FIFO swapped in for the image is refused, never waited on (on the event loop)
            digest = hashlib.sha256(read_regular_file(self._folder / file)).hexdigest()
        except OSError:
            return None
        names = references_used(self._references, used)
        key = self._keys.get(names)
        if key is None:
            key = self._keys[names] = references_key([self._references[n] for n in names])
        return digest, key

    def _record_score(self, file: str, future: Future[Likeness | None]) -> None:
        if self._pending.pop(file, None) is None:
            return
        self._keep(file, future)
        self._on_update()

    def _keep(self, file: str, future: Future[Likeness | None]) -> None:
        """Put a finished score in ``scores`` and, when it was measured, in the record."""
        self._scores[file] = _outcome(future)
        measured = self._measured.pop(file, None)
        done = not future.cancelled() and future.exception() is None
        if done and measured is not None and self._record is not None:
            self._record.add(file, *measured, future.result())

    async def drain(self) -> None:
        """Wait for every queued image and record its score (idempotent)."""
        while self._pending:
            pending = dict(self._pending)
            await asyncio.gather(
                *(asyncio.wrap_future(f) for f in pending.values()), return_exceptions=True
            )
            for file, future in pending.items():
                if self._pending.pop(file, None) is not None:
                    self._keep(file, future)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker (cancelling queued images unless ``wait``). Idempotent."""
        if self._scorer is not None:
            self._scorer.close(wait=wait)


def _outcome(future: Future[Likeness | None]) -> Likeness | None:
    if future.cancelled() or future.exception() is not None:
        return None
    return future.result()
