"""One photo from file to measures: decode, find the face, measure it. No scoring here.

:func:`analyse_photo` is what the worker threads run. It holds one reduced image at a time and
returns only small values (numbers, a 64-bit hash, a box), so scoring a folder never keeps the
pixels of more than ``workers`` photos alive.

When the face is smaller than :data:`~pinglass.refs.metrics.FACE_SIZE` px in the reduced decode,
the photo is decoded once more with less DCT reduction, so a small face in a large photo is
measured at its own detail instead of being upsampled (which would read as blur). When no face is
found at all, it is decoded finer once more (long side up to :data:`SMALL_FACE_SIDE` px) and
searched for small faces only, so a face too small to use is reported as such, not as absent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.refs import dedupe, faces, metrics
from pinglass.refs.decode import Decoded, Header, Unreadable, decode_gray, read_header

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["WORK_SIDE", "Analysis", "Detector", "FaceMeasures", "analyse_photo"]

WORK_SIDE = 400
"""Smallest long side, in px, of the reduced decode (a 12 MP JPEG decodes at 1/8: 500 px)."""

SMALL_FACE_SIDE = 960
"""Long side, in px, of the last look for small faces: from 2.5 % of the long side (24 px)."""


@dataclass(frozen=True, slots=True)
class FaceMeasures:
    """Raw measures of the largest face. Sizes are in original (displayed) pixels."""

    face_px: float
    face_share: float
    sharpness: float
    """Detail ratio at the fixed face scale (see :func:`pinglass.refs.metrics.sharpness`)."""
    laplacian: float
    exposure: metrics.Exposure
    uniformity: float
    contrast: metrics.Contrast
    eyes: faces.Eyes
    measured_at_px: float


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything learned about one photo; ``error`` is set when it could not be read."""

    file: str
    header: Header | None = None
    error: str | None = None
    face_count: int = 0
    second_face_ratio: float = 0.0
    cut_off: float = 0.0
    """Share of the face's width outside the frame (0 when the face is whole)."""
    face_box: tuple[int, int, int, int] | None = None
    measures: FaceMeasures | None = None
    phash: int | None = None
    frame_hash: int | None = None
    """pHash of the whole upright frame: a re-saved or resized copy of the shot matches it even
    when the face box lands a few pixels apart (which moves the face hash)."""


Detector = Callable[["npt.NDArray[np.uint8]"], list[faces.Box]]
"""A second-opinion face detector: faces in a grey working image, largest first."""


def analyse_photo(path: Path, fallback: Detector | None = None) -> Analysis:
    """Decode ``path`` at reduced size and measure its largest face.

    ``fallback`` (the identity extra's dlib detector) is asked when the cascades find no face.
    Never raises for a bad file: the reason lands in :attr:`Analysis.error`.
    """
    try:
        header = read_header(path)
        decoded = decode_gray(path, header, min_side=WORK_SIDE)
        found = faces.find_faces(decoded.gray)
        boxes = found.boxes
        if not boxes and fallback is not None:
            boxes = fallback(decoded.gray)
        if not boxes:
            decoded, boxes = _small_faces(path, decoded)
        if not boxes:
            return Analysis(file=path.name, header=header)
        largest = boxes[0]
        second = boxes[1].area / largest.area if len(boxes) > 1 else 0.0
        decoded, largest = _sharpen_view(path, decoded, largest)
    except Unreadable as exc:
        return Analysis(file=path.name, error=str(exc))
    face = faces.crop_normalised(decoded.gray, largest, metrics.FACE_SIZE)
    inv = 1.0 / decoded.scale
    box = largest.scaled(inv)
    return Analysis(
        file=path.name,
        header=header,
        face_count=len(boxes),
        second_face_ratio=second,
        cut_off=found.cut_off,
        face_box=(round(box.x), round(box.y), round(box.w), round(box.h)),
        measures=_measure(face, box, header, largest.w),
        phash=dedupe.phash(face),
        frame_hash=dedupe.phash(decoded.gray),
    )


def _sharpen_view(path: Path, decoded: Decoded, box: faces.Box) -> tuple[Decoded, faces.Box]:
    """Re-decode with less reduction when the face is below the normalised size."""
    if box.w >= metrics.FACE_SIZE or decoded.scale >= 1.0:
        return decoded, box
    header = decoded.header
    need = math.ceil(max(header.width, header.height) * decoded.scale * metrics.FACE_SIZE / box.w)
    finer = decode_gray(path, header, min_side=need)
    if finer.scale <= decoded.scale:
        return decoded, box
    return finer, box.scaled(finer.scale / decoded.scale)


def _small_faces(path: Path, decoded: Decoded) -> tuple[Decoded, list[faces.Box]]:
    """The last look: a finer decode searched for faces too small for the first passes."""
    header = decoded.header
    long_side = max(header.width, header.height)
    if decoded.scale >= 1.0 and max(decoded.gray.shape) >= long_side:
        finer = decoded
    else:
        finer = decode_gray(path, header, min_side=min(long_side, SMALL_FACE_SIDE))
    small = faces.find_small_faces(
        finer.gray, max_size=max(48, round(0.08 * max(finer.gray.shape)))
    )
    return (finer, small) if small else (decoded, [])


def _measure(
    face: npt.NDArray[np.uint8], box: faces.Box, header: Header, measured_at: float
) -> FaceMeasures:
    detail, laplacian = metrics.sharpness(face)
    return FaceMeasures(
        face_px=box.w,
        face_share=math.sqrt(box.area / (header.width * header.height)),
        sharpness=detail,
        laplacian=laplacian,
        exposure=metrics.exposure(face),
        uniformity=metrics.lighting_uniformity(face),
        contrast=metrics.contrast(face),
        eyes=faces.find_eyes(face),
        measured_at_px=measured_at,
    )
