"""The seam for extra face analysis (the identity extra: dlib landmarks and embeddings).

:func:`pinglass.refs.score_folder` takes an optional :class:`FaceCheck`. It is called once per
folder, after every photo has been scored and before near-duplicates are removed, with the photos
that are still usable; it may reject some (for example ``not_same_person``: a face that does not
match the consensus of the others) and add penalties and metrics. Without a check those photos are
simply kept, and nothing else changes.

A check sees file paths and face boxes in upright original pixels, so it can decode what it needs
at the resolution it needs. This module implements no check itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pinglass.refs.models import MetricValue, RejectedReason
from pinglass.refs.scoring import Penalty

__all__ = ["CheckOutcome", "FaceCheck", "FacePhoto"]


@dataclass(frozen=True, slots=True)
class FacePhoto:
    """A usable photo handed to a :class:`FaceCheck`.

    ``face_box`` is (left, top, width, height) in upright original pixels; ``score`` is 0-100.
    """

    file: str
    path: Path
    face_box: tuple[int, int, int, int]
    score: float


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What a check says about one photo: a rejection, extra penalties, extra metrics."""

    reason: RejectedReason | None = None
    detail: str | None = None
    penalties: tuple[Penalty, ...] = ()
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)
    judged: frozenset[str] = frozenset()
    """Penalty kinds (``Penalty.kind``, e.g. ``pose``) this check measured itself: reference
    scoring's own penalties of those kinds are dropped, also when the check found nothing to
    penalise (a better judge of the same thing that says "fine" overrules a worse one)."""


class FaceCheck(Protocol):
    """Extra face analysis over a whole folder's usable photos.

    Returns an outcome per file name it has something to say about; files it leaves out are
    unchanged. It must not raise for one bad photo (return an outcome instead).
    """

    def __call__(self, photos: Sequence[FacePhoto]) -> Mapping[str, CheckOutcome]: ...
