"""LikenessScorer: score saved outputs in a worker thread so the batch never waits on it.

Usage from the asyncio batch engine::

    with LikenessScorer(analyzer, reference_embeddings) as scorer:
        future = scorer.submit(path_of_saved_image)       # returns at once
        ...
        result = await asyncio.wrap_future(future)        # Likeness | None

Each submitted image is decoded, its largest face detected on a downscaled copy, embedded, and
compared with the references' centroid (see :mod:`pinglass.identity.likeness`). One worker
thread by default: the analyzer serialises dlib calls anyway, and the second core stays free
for the batch. dlib's embedding network holds the GIL for about 75 ms per image (see
:mod:`pinglass.identity.analyzer`), which is the longest the event loop can be held up.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

from pinglass.identity._decode import decode_rgb
from pinglass.identity.consistency import distance
from pinglass.identity.geometry import Box
from pinglass.identity.likeness import Likeness, centroid, likeness_score

__all__ = ["Embedder", "LikenessScorer"]


class Embedder(Protocol):
    """Anything that turns an RGB image into a face embedding (``FaceAnalyzer``, or a fake)."""

    def embedding(self, rgb: np.ndarray, box: Box | None = None) -> np.ndarray | None:
        """Return the largest face's embedding, or ``None`` when there is no face."""
        ...


class LikenessScorer:
    """Scores output images against fixed references, off the caller's thread."""

    def __init__(
        self,
        analyzer: Embedder,
        reference_embeddings: Iterable[np.ndarray],
        *,
        executor: Executor | None = None,
    ) -> None:
        """Remember the references' centroid; start a one-thread pool unless given ``executor``.

        An injected executor is not shut down by :meth:`close`.

        Raises:
            ValueError: no reference embeddings.
        """
        self._analyzer = analyzer
        self._centre = centroid(reference_embeddings)
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pinglass-likeness"
        )

    def submit(self, image: bytes | Path) -> Future[Likeness | None]:
        """Queue one image (encoded bytes or a file path) and return its future at once.

        The future gives ``None`` when the image has no detectable face or cannot be decoded;
        it raises ``OSError`` when a path cannot be read.

        Raises:
            RuntimeError: the scorer is closed.
        """
        return self._executor.submit(self.score, image)

    def score(self, image: bytes | Path) -> Likeness | None:
        """Score one image in the calling thread (what :meth:`submit` runs in the worker)."""
        rgb = decode_rgb(image)
        if rgb is None:
            return None
        vector = self._analyzer.embedding(rgb)
        if vector is None:
            return None
        d = distance(vector, self._centre)
        return Likeness(score=likeness_score(d), distance=d)

    def close(self, *, wait: bool = True) -> None:
        """Stop accepting images. With ``wait`` (the default) finish the queued ones first;
        without it, cancel those not started. Idempotent.
        """
        if self._owns_executor:
            self._executor.shutdown(wait=wait, cancel_futures=not wait)

    def __enter__(self) -> LikenessScorer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=exc_type is None)
