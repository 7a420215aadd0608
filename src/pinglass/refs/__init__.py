"""Reference scoring: rank a folder of selfies, reject unusable ones with reasons, prepare crops.

Entry points:

* :func:`score_folder` — every photo in a folder scored 0-100 or rejected, best first.
* :func:`select` — the top K usable photos for a run.
* :func:`prepare` — the face-centred head-and-shoulders crop that may leave the machine (JPEG,
  no EXIF, at most 1024 px).

Parts: :mod:`.decode` (reduced decode, EXIF orientation, bomb guard), :mod:`.faces` (Haar
cascades), :mod:`.metrics` (measures on the face crop), :mod:`.dedupe` (pHash),
:mod:`.scoring` (penalties and verdicts), :mod:`.checks` (the seam for the identity extra),
:mod:`.prepare`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinglass.errors import RefsError
from pinglass.refs.analysis import Analysis, Detector, analyse_photo
from pinglass.refs.decode import IMAGE_SUFFIXES
from pinglass.refs.dedupe import DUPLICATE_DISTANCE, hamming
from pinglass.refs.prepare import prepare

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from pinglass.refs.checks import CheckOutcome, FaceCheck, FacePhoto
    from pinglass.refs.faces import Box
    from pinglass.refs.models import RefScore, RefsReport, RejectedReason
    from pinglass.refs.scoring import Verdict

__all__ = [
    "CheckOutcome",
    "Detector",
    "FaceCheck",
    "FacePhoto",
    "RefScore",
    "RefsReport",
    "RejectedReason",
    "Scoring",
    "list_photos",
    "prepare",
    "score_folder",
    "select",
]

# The pydantic models (and the modules built on them) load on first use, not with the package:
# building the model classes takes longer than decoding a photo, so `pinglass refs` starts the
# photos first (see Scoring) and lets the models load meanwhile.
_LAZY = {
    "CheckOutcome": "pinglass.refs.checks",
    "FaceCheck": "pinglass.refs.checks",
    "FacePhoto": "pinglass.refs.checks",
    "RefScore": "pinglass.refs.models",
    "RefsReport": "pinglass.refs.models",
    "RejectedReason": "pinglass.refs.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def list_photos(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (by name ending), sorted by name.

    Hidden files are skipped. Raises :class:`~pinglass.errors.RefsError` when the folder is
    missing, is a file, is empty or holds no image file.
    """
    if not folder.exists():
        raise RefsError("no such folder", file=folder)
    if not folder.is_dir():
        raise RefsError("is a file, not a folder of photos", file=folder)
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if not entries:
        raise RefsError("the folder is empty: add 10-20 photos of one person", file=folder)
    photos = [p for p in entries if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not photos:
        kinds = ", ".join(sorted(IMAGE_SUFFIXES))
        raise RefsError(f"no photos here (looked for {kinds})", file=folder)
    return photos


@contextmanager
def _single_threaded_cv2(workers: int) -> Iterator[None]:
    """Our pool already uses the cores: OpenCV's own threads would only contend with it."""
    import cv2

    previous = cv2.getNumThreads()
    if workers > 1:
        cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def score_folder(
    folder: Path,
    *,
    workers: int = 2,
    face_check: FaceCheck | None = None,
    detector: Detector | None = None,
) -> RefsReport:
    """Score every photo in ``folder``: usable ones best first (ranked), rejected ones last.

    Photos are decoded at reduced size on ``workers`` threads (OpenCV releases the GIL), one
    photo per thread at a time. ``face_check`` is optional extra analysis (see
    :mod:`pinglass.refs.checks`); ``detector`` is a second-opinion face detector asked when the
    cascades find no face (the identity extra's dlib detector). A bad photo never stops the
    run: it is rejected as ``unreadable`` with the reason. Reads only; idempotent.

    Raises :class:`~pinglass.errors.RefsError` when the folder itself cannot be used.
    """
    with Scoring(folder, workers=workers) as scoring:
        return scoring.finish(face_check=face_check, detector=detector)


class Scoring:
    """Scoring a folder, started at once: :func:`score_folder` in two steps.

    The worker threads begin decoding and measuring when it is built, so the caller can load
    what the end needs meanwhile (settings, the identity extra's models); :meth:`finish` hands
    over the second-opinion detector and the face check and waits for the report. A photo with
    no face found by the cascades waits for :meth:`finish` to know whether there is a detector.
    Use as a context manager (or call :meth:`close`): leaving early cancels the photos not
    started.

    Raises :class:`~pinglass.errors.RefsError` when the folder itself cannot be used.
    """

    def __init__(self, folder: Path, *, workers: int = 2) -> None:
        self.folder = folder
        photos = list_photos(folder)
        self._detector: Future[Detector | None] = Future()
        self._stack = ExitStack()
        self._stack.enter_context(_single_threaded_cv2(workers))
        self._pool = self._stack.enter_context(
            ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pinglass-refs")
        )
        analyse = partial(analyse_photo, fallback=self._fallback)
        self._futures = [self._pool.submit(analyse, path) for path in photos]

    def _fallback(self, gray: npt.NDArray[np.uint8]) -> list[Box]:
        detector = self._detector.result()
        return [] if detector is None else detector(gray)

    def finish(
        self, *, face_check: FaceCheck | None = None, detector: Detector | None = None
    ) -> RefsReport:
        """Wait for every photo, judge the set and return the report (see :func:`score_folder`)."""
        from pinglass.refs.scoring import evaluate, set_sharpness

        if not self._detector.done():
            self._detector.set_result(detector)
        analyses = [future.result() for future in self._futures]
        # The threads end before the check runs: the identity extra forks worker processes,
        # and a fork must not copy threads that may hold a lock.
        self._stack.close()
        reference = set_sharpness(analyses)
        verdicts = {a.file: evaluate(a, reference) for a in analyses}
        if face_check is not None:
            _apply_check(self.folder, analyses, verdicts, face_check)
        _mark_duplicates(analyses, verdicts)
        return _report(analyses, verdicts)

    def close(self) -> None:
        """Cancel the photos not started and wait for the running ones. Idempotent."""
        if not self._detector.done():
            self._detector.set_result(None)
        for future in self._futures:
            future.cancel()
        self._stack.close()

    def __enter__(self) -> Scoring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply_check(
    folder: Path, analyses: list[Analysis], verdicts: dict[str, Verdict], check: FaceCheck
) -> None:
    from pinglass.refs.checks import FacePhoto
    from pinglass.refs.scoring import Verdict

    candidates = [
        FacePhoto(a.file, folder / a.file, a.face_box, verdicts[a.file].score)
        for a in analyses
        if a.face_box is not None and verdicts[a.file].reason is None
    ]
    outcomes: Mapping[str, CheckOutcome] = check(candidates) if candidates else {}
    for file, outcome in outcomes.items():
        old = verdicts[file]
        # a better judge of the same thing
        replaced = {p.kind for p in outcome.penalties if p.kind} | outcome.judged
        kept = tuple(p for p in old.penalties if not (p.kind and p.kind in replaced))
        penalties = tuple(sorted(kept + outcome.penalties, key=lambda p: -p.points))
        score = round(max(0.0, 100.0 - sum(p.points for p in penalties)), 1)
        metrics = old.metrics | dict(outcome.metrics)
        verdicts[file] = Verdict(score, penalties, outcome.reason, outcome.detail, metrics)


def _mark_duplicates(analyses: list[Analysis], verdicts: dict[str, Verdict]) -> None:
    """Reject a photo whose face or frame hash matches a better-scoring usable photo's."""
    from pinglass.refs.scoring import Verdict

    usable = [a for a in analyses if a.phash is not None and verdicts[a.file].reason is None]
    usable.sort(key=lambda a: (-verdicts[a.file].score, a.file))
    kept: list[tuple[str, int]] = []
    frames: list[tuple[str, int]] = []
    for a in usable:
        match, what = _closest(a.phash, kept), "face"
        if match is None:
            match, what = _closest(a.frame_hash, frames), "whole-photo"
        if match is None:
            kept.append((a.file, a.phash or 0))
            if a.frame_hash is not None:
                frames.append((a.file, a.frame_hash))
            continue
        old = verdicts[a.file]
        detail = (
            f"near-duplicate of {match[0]}, which scores higher "
            f"({what} hashes differ in {match[1]} of 63 bits)"
        )
        verdicts[a.file] = Verdict(old.score, old.penalties, "duplicate", detail, old.metrics)


def _closest(phash: int | None, kept: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The first kept photo whose hash is within the duplicate distance, with the distance."""
    if phash is None:
        return None
    for file, other in kept:
        distance = hamming(phash, other)
        if distance <= DUPLICATE_DISTANCE:
            return file, distance
    return None


def _report(analyses: list[Analysis], verdicts: dict[str, Verdict]) -> RefsReport:
    from pinglass.refs.models import RefScore, RefsReport

    boxes = {a.file: a.face_box for a in analyses}
    order = sorted(verdicts, key=lambda f: (verdicts[f].reason is not None, -verdicts[f].score, f))
    refs: list[RefScore] = []
    rank = 0
    for file in order:
        v = verdicts[file]
        usable = v.reason is None
        rank += usable
        refs.append(
            RefScore(
                file=file,
                usable=usable,
                score=v.score,
                rank=rank if usable else None,
                rejected_reason=v.reason,
                detail=v.detail,
                penalties=[p.text for p in v.penalties],
                metrics=v.metrics,
                face_box=boxes[file],
            )
        )
    return RefsReport(references=refs)


def select(report: RefsReport, k: int = 5) -> list[RefScore]:
    """The best ``k`` usable photos, best first (fewer when fewer are usable)."""
    return report.usable[: max(0, k)]
