"""The identity extra as reference scoring's :class:`~pinglass.refs.checks.FaceCheck`.

:class:`IdentityCheck` is handed to :func:`pinglass.refs.score_folder`. For every usable photo it
decodes the file (reduced, upright), fits dlib's 5 landmarks in the face box reference scoring
found, and computes the 128-d embedding there. Then:

* **Size.** Inter-eye distance in original pixels and its OFIQ quality
  (:func:`~pinglass.identity.geometry.inter_eye_score`: 50 at 70 px, 73 at 90 px) are reported
  as metrics. They cost nothing: reference scoring's face-size penalty already judges the same
  thing, and one cause should not cost twice.
* **Pose.** Landmark roll beyond 8 deg costs up to 6 points (linear to 20 deg) and estimated yaw
  beyond 12 deg up to 10 (linear to 35 deg). The landmarks are better evidence than the Haar
  eye finder, so these replace reference scoring's eye-based pose penalties (kind ``pose``)
  instead of adding to them.
* **One person.** The embeddings go to :func:`~pinglass.identity.consistency.consistency` (best
  photo first); a photo farther than ``threshold`` from the set's medoid is rejected as
  ``not_same_person`` with the distance in the reason.

A deduction under half a point is dropped, as in reference scoring. The embeddings stay on the
check (:attr:`IdentityCheck.embeddings`) so a run can score its outputs against the references it
actually used without computing them again. A photo that cannot be decoded is left unchanged.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pinglass.identity._decode import decode_rgb
from pinglass.identity.consistency import DEFAULT_THRESHOLD, consistency
from pinglass.identity.geometry import Box, Landmarks, inter_eye_score
from pinglass.refs.checks import CheckOutcome, FacePhoto
from pinglass.refs.decode import Unreadable, read_header
from pinglass.refs.scoring import Penalty

if TYPE_CHECKING:
    from pinglass.identity.analyzer import FaceAnalyzer
    from pinglass.refs.models import MetricValue

__all__ = ["IdentityCheck", "landmark_penalties"]

_MIN_POINTS = 0.5
FACE_PX = 120
"""Face width, in px, the photo is decoded to at least for dlib (its face chip is 150 px with
a margin: a face of 120 px is not upsampled much; more detail than that changes nothing)."""
DETECT_FACE_PX = 110
"""Face width, in px, dlib's detector looks at around the Haar face (it finds faces from 80)."""
_WORKER_CHECK: IdentityCheck | None = None  # the check a forked worker measures for


Measured = tuple[Landmarks, float, np.ndarray] | None
"""Landmarks, scale (analysed px per original px) and embedding of one photo, or None."""

_POOL_GRACE_S = 20.0
_PHOTO_BUDGET_S = 2.0  # a photo takes 0.1-0.2 s of CPU; ten times that is a stuck worker


def _init_worker() -> None:
    """OpenCV's thread pool is not copied by fork: a worker runs OpenCV on its own thread."""
    cv2.setNumThreads(0)


def _measure_in_worker(photo: FacePhoto) -> Measured:
    check = _WORKER_CHECK
    return None if check is None else check._measure(photo)  # noqa: SLF001 - our own worker


def _linear(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def landmark_penalties(marks: Landmarks, scale: float = 1.0) -> tuple[Penalty, ...]:
    """Pose penalties (kind ``pose``), in plain words with the numbers, from the landmarks.

    ``scale`` is analysed pixels per original pixel; it is kept for callers that pass it (the
    size of the face is judged by reference scoring). Deductions under half a point are left
    out.
    """
    del scale
    found = [
        (
            round(6 * _linear(abs(marks.roll_deg), 8, 20), 1),
            f"head tilted: eyes {abs(marks.roll_deg):.0f} deg off level",
        ),
        (
            round(10 * _linear(abs(marks.yaw_deg), 12, 35), 1),
            f"head turned about {abs(marks.yaw_deg):.0f} deg {_side(marks.yaw_deg)}",
        ),
    ]
    return tuple(Penalty(p, f"{text} (-{p:g})", "pose") for p, text in found if p >= _MIN_POINTS)


def _side(yaw: float) -> str:
    return "to the right of the picture" if yaw > 0 else "to the left of the picture"


class IdentityCheck:
    """Landmark penalties and the one-person check over a folder (a ``FaceCheck``).

    Not thread-safe across calls (it keeps the last folder's embeddings); one call per folder.
    """

    def __init__(
        self, analyzer: FaceAnalyzer, *, threshold: float = DEFAULT_THRESHOLD, workers: int = 2
    ) -> None:
        """Use ``analyzer`` (models loaded once), reject beyond ``threshold``, measure on
        ``workers`` processes.

        Raises:
            ValueError: ``threshold`` is not positive.
        """
        if not threshold > 0:
            raise ValueError(f"threshold must be positive, got {threshold}")
        self.analyzer = analyzer
        self.threshold = threshold
        self.workers = workers
        self.embeddings: dict[str, np.ndarray] = {}
        """File name -> embedding of every photo measured by the last call."""

    def __call__(self, photos: Sequence[FacePhoto]) -> Mapping[str, CheckOutcome]:
        """Measure every photo, then judge the set; see the module docstring. Never raises for
        one bad photo."""
        ordered = sorted(photos, key=lambda p: (-p.score, p.file))
        penalties: dict[str, tuple[Penalty, ...]] = {}
        metrics: dict[str, dict[str, MetricValue]] = {}
        self.embeddings = {}
        for photo, measured in zip(ordered, self._measure_all(ordered), strict=True):
            if measured is None:
                continue
            marks, scale, vector = measured
            self.embeddings[photo.file] = vector
            penalties[photo.file] = landmark_penalties(marks, scale)
            metrics[photo.file] = {
                "inter_eye_px": round(marks.inter_eye_px / scale, 1),
                "inter_eye_score": round(inter_eye_score(marks.inter_eye_px / scale), 1),
                "roll_deg": round(marks.roll_deg, 1),
                "yaw_deg": round(marks.yaw_deg, 1),
            }
        verdicts = consistency(self.embeddings, self.threshold)
        outcomes: dict[str, CheckOutcome] = {}
        for file, verdict in verdicts.items():
            metrics[file]["identity_distance"] = round(verdict.distance, 3)
            outcomes[file] = CheckOutcome(
                reason="not_same_person" if verdict.rejected_reason else None,
                detail=verdict.reason,
                penalties=penalties[file],
                metrics=metrics[file],
                judged=frozenset({"pose"}),
            )
        return outcomes

    def _measure_all(
        self, photos: Sequence[FacePhoto]
    ) -> list[tuple[Landmarks, float, np.ndarray] | None]:
        """Measure every photo, on both cores when there are several.

        dlib's embedding network holds the GIL for its whole forward pass, so threads would
        take turns; forked worker processes share the models the parent already loaded (copy
        on write) and run truly in parallel. Where fork is not available, or other threads are
        alive (a fork copies only this one, and a lock another thread held stays held in the
        child: a test runner, an embedding host), one at a time. ``pinglass refs`` and
        ``generate`` reach this point with the main thread only.
        """
        if (
            len(photos) < 2
            or self.workers < 2
            or "fork" not in mp.get_all_start_methods()
            or threading.active_count() > 1
        ):
            return [self._measure(photo) for photo in photos]
        self.analyzer.ready()  # fork only once the models are in memory (no loader thread mid-way)
        global _WORKER_CHECK  # noqa: PLW0603 - read by the forked workers
        _WORKER_CHECK = self
        try:
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("fork"),
                initializer=_init_worker,
            )
        except OSError:
            _WORKER_CHECK = None
            return [self._measure(photo) for photo in photos]
        late: set[Future[Measured]] = set()
        try:
            # Longest first (the smallest face is decoded finest, up to the whole photo), so
            # one slow photo does not end the check on one core while the other waits.
            longest_first = sorted(range(len(photos)), key=lambda i: photos[i].face_box[2])
            submitted = {i: pool.submit(_measure_in_worker, photos[i]) for i in longest_first}
            futures = [submitted[i] for i in range(len(photos))]
            # A fork copies only the calling thread; in a process that had others (a test
            # runner, an embedding host) a worker can wait forever on a lock copied held. Past
            # a generous budget the photos left are measured here instead of hanging the run.
            _done, late = wait(futures, timeout=_POOL_GRACE_S + _PHOTO_BUDGET_S * len(photos))
            return [
                self._finished(future) if future not in late else self._measure(photo)
                for photo, future in zip(photos, futures, strict=True)
            ]
        except (OSError, BrokenProcessPool):
            return [self._measure(photo) for photo in photos]
        finally:
            _WORKER_CHECK = None
            if late:
                for process in list(pool._processes.values()):  # noqa: SLF001 - stuck workers
                    process.terminate()
            pool.shutdown(wait=not late, cancel_futures=True)

    @staticmethod
    def _finished(future: Future[Measured]) -> Measured:
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            raise exc
        return None if exc is not None else future.result()

    def _measure(self, photo: FacePhoto) -> tuple[Landmarks, float, np.ndarray] | None:
        """Landmarks, scale (analysed px per original px) and embedding, or None."""
        try:
            header = read_header(photo.path)
            # Decoded only as finely as the face needs (about FACE_PX across): on a 12 MP
            # selfie that is 1/8 or 1/4 of the size, a fraction of the full decode's cost.
            face_w = max(1, photo.face_box[2])
            side = math.ceil(max(header.width, header.height) * FACE_PX / face_w)
            rgb = decode_rgb(photo.path, working_side=side)
        except (OSError, Unreadable):
            return None
        if rgb is None or header.width <= 0:
            return None
        scale = rgb.shape[1] / header.width
        box = self._box(rgb, photo.face_box, scale)
        if box is None:
            return None
        marks, vector = self.analyzer.measure(rgb, box)
        return marks, scale, vector

    def _box(self, rgb: np.ndarray, face: tuple[int, int, int, int], scale: float) -> Box | None:
        """dlib's own box when it finds the same face (its landmark model was trained on those
        boxes), else reference scoring's Haar box scaled to the decoded image."""
        left, top, w, h = face
        haar = (
            max(0, math.floor(left * scale)),
            max(0, math.floor(top * scale)),
            min(rgb.shape[1], math.ceil((left + w) * scale)),
            min(rgb.shape[0], math.ceil((top + h) * scale)),
        )
        if haar[2] <= haar[0] or haar[3] <= haar[1]:
            return None
        # dlib's own box around the Haar face: detection on that region only, shrunk so the
        # face is about DETECT_FACE_PX across (HOG's window is 80 px; its cost grows with the
        # pixels), and the box scaled back.
        width = haar[2] - haar[0]
        grow = width // 2
        x0, y0 = max(0, haar[0] - grow), max(0, haar[1] - grow)
        x1, y1 = min(rgb.shape[1], haar[2] + grow), min(rgb.shape[0], haar[3] + grow)
        region = rgb[y0:y1, x0:x1]
        shrink = min(1.0, DETECT_FACE_PX / width)
        if shrink < 1.0:
            region = cv2.resize(region, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        found = self.analyzer.detect(np.ascontiguousarray(region))
        if found is not None:
            found = (
                round(found[0] / shrink) + x0,
                round(found[1] / shrink) + y0,
                round(found[2] / shrink) + x0,
                round(found[3] / shrink) + y0,
            )
            cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
            if haar[0] <= cx <= haar[2] and haar[1] <= cy <= haar[3]:
                return found
        return haar
