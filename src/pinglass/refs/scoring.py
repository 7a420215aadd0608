"""From raw measures to a 0-100 score with every penalty in words, or a rejection.

The score starts at 100. Each measure maps to a quality ``q`` in 0-1 and costs ``weight * (1 - q)``
points; a deduction under half a point is dropped (and not subtracted), so every point taken is
explained. Curves and thresholds, and where they come from:

* **Sharpness** (weight 35), relative to the set. The detail ratio measured at a fixed face scale
  (:func:`pinglass.refs.metrics.sharpness`) over the set's reference: the median of the sharper
  half of the set's faces. Linear from 55 % of the reference (q = 0) to 92 % (q = 1): scale, JPEG
  quality, grain and exposure moved the ratio by under 5 % on the evaluation matrix
  (``tests/refs/quality_matrix.py``), a blur of 1 % of the face width took 20-26 % off. In a set
  of one or two photos there is no set to compare with, so the absolute floor applies: linear
  from 0.40 to :data:`IN_FOCUS_DETAIL`.
* **Exposure**, fair to every skin tone: no band of "right" mean luminance (a well-lit dark face
  has a low mean and a well-lit pale face a high one). Instead: the brightest part of the face
  (99th percentile) below 0.50 means nothing reaches mid-grey, underexposed, linear down to 0.25
  (weight 20); the darkest part (1st percentile) above 0.45 means the face is washed out,
  overexposed, linear up to 0.70 (weight 20); bright clipping (>= 247) past the first 0.5 % (eye
  and skin highlights) halves quality at every further 1 %, OFIQ's over-exposure rule (weight
  15); dark clipping (<= 25) past the first 2 % (pupils, nostrils) halves it at every further 5 %
  (weight 10).
* **Lighting uniformity** (weight 25). Left/right histogram intersection, linear from 0.25 (one
  half in shadow) to 0.60 (studio-even faces read 0.65-0.75).
* **Contrast** (weight 10). Luminance standard deviation, linear from 0.03 to 0.09 (a flat face).
* **Face size.** Rejected under :data:`MIN_FACE_PX` px across: the head-and-shoulders crop sent to
  a provider (about 2.6 face widths) would be under 330 px. Linear up to 320 px (weight 15) and a
  small cost when the face is under a fifth of the frame (weight 5).
* **Pose**, only from positive evidence: both eyes found and their line tilted beyond 8 deg, or
  their midpoint more than 6 % of the face width off the face centre (a turned head), cost up to
  6 and 10. An eye the cascade does not find says nothing about the pose and costs nothing. With
  the identity extra, dlib's landmarks judge the pose instead (see :mod:`pinglass.refs.checks`).
* **Resolution** (weight 5). Linear from 0.3 to 1 megapixel.

Rejections, in this order: ``unreadable``, ``no_face``, ``face_cut_off`` (the face box reaches
past the frame edge by more than :data:`~pinglass.refs.faces.CUT_MARGIN` of its width),
``multiple_faces`` (a second face at least :data:`SECOND_FACE_SHARE` of the largest one's area:
the provider cannot know who to keep), ``face_too_small``; then, over the set,
``not_same_person`` (identity extra) and ``duplicate``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from pinglass.refs.analysis import Analysis, FaceMeasures
from pinglass.refs.faces import CUT_MARGIN
from pinglass.refs.models import MetricValue, RejectedReason

__all__ = [
    "IN_FOCUS_DETAIL",
    "MIN_FACE_PX",
    "SECOND_FACE_SHARE",
    "Penalty",
    "Verdict",
    "evaluate",
    "set_sharpness",
]

MIN_FACE_PX = 128
"""Smallest usable face width, in original pixels."""

SECOND_FACE_SHARE = 0.25
"""A second face this large (share of the largest face's area) means several people."""

IN_FOCUS_DETAIL = 0.62
"""Detail ratio of an in-focus face, the absolute floor used in sets of one or two photos."""

SET_FOR_RELATIVE = 3
"""Smallest set whose own sharpest photos are the sharpness reference."""


@dataclass(frozen=True, slots=True)
class Penalty:
    """Points taken off and why."""

    points: float
    text: str
    kind: str = ""
    """What it is about (``sharpness``, ``exposure``, ``pose``, ...), so a better judge of the
    same thing (landmarks for the pose) can replace it."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A photo's score, penalties, rejection (if any) and raw metrics."""

    score: float
    penalties: tuple[Penalty, ...] = ()
    reason: RejectedReason | None = None
    detail: str | None = None
    metrics: dict[str, MetricValue] = field(default_factory=dict)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _linear(value: float, low: float, high: float) -> float:
    return _clamp((value - low) / (high - low))


def _cost(weight: float, quality: float, text: str, kind: str) -> Penalty:
    points = round(weight * (1.0 - quality), 1)
    return Penalty(points, f"{text} (-{points:g})", kind)


def set_sharpness(analyses: list[Analysis]) -> float | None:
    """The set's sharpness reference: median detail of the sharper half of its faces.

    ``None`` for a set with fewer than :data:`SET_FOR_RELATIVE` measured faces.
    """
    values = sorted(
        (a.measures.sharpness for a in analyses if a.measures is not None), reverse=True
    )
    if len(values) < SET_FOR_RELATIVE:
        return None
    return statistics.median(values[: max(1, (len(values) + 1) // 2)])


def _sharpness(m: FaceMeasures, reference: float | None) -> list[Penalty]:
    if reference is None:
        quality = _linear(m.sharpness, 0.40, IN_FOCUS_DETAIL)
        text = f"soft or blurred face: detail {m.sharpness:.2f} (in focus >= {IN_FOCUS_DETAIL})"
    else:
        share = m.sharpness / reference
        quality = _linear(share, 0.55, 0.92)
        text = f"soft or blurred face: {share:.0%} of the detail of the sharpest photos in this set"
    return [_cost(35, quality, text, "sharpness")]


def _exposure(m: FaceMeasures) -> list[Penalty]:
    e = m.exposure
    return [
        _cost(
            20,
            _linear(e.high, 0.25, 0.50),
            f"face too dark (underexposed): its brightest parts reach only {e.high:.0%} of white",
            "exposure",
        ),
        _cost(
            20,
            1 - _linear(e.low, 0.45, 0.70),
            f"face too bright (overexposed, washed out): its darkest parts are at {e.low:.0%} "
            "of white",
            "exposure",
        ),
        _cost(
            15,
            0.5 ** (max(0.0, e.bright_share - 0.005) / 0.01),
            f"too bright in places: {e.bright_share:.1%} of the face clipped white",
            "exposure",
        ),
        _cost(
            10,
            0.5 ** (max(0.0, e.dark_share - 0.02) / 0.05),
            f"too dark in places: {e.dark_share:.1%} of the face clipped black",
            "exposure",
        ),
    ]


def _light(m: FaceMeasures) -> list[Penalty]:
    u, c = m.uniformity, m.contrast
    return [
        _cost(
            25,
            _linear(u, 0.25, 0.60),
            f"uneven light: one side of the face in shadow (left/right match {u:.2f}, "
            "even >= 0.60)",
            "light",
        ),
        _cost(
            10, _linear(c.std, 0.03, 0.09), f"flat, low-contrast face: spread {c.std:.3f}", "light"
        ),
    ]


def _size(m: FaceMeasures, megapixels: float) -> list[Penalty]:
    return [
        _cost(
            15,
            _linear(m.face_px, MIN_FACE_PX, 320),
            f"small face: {m.face_px:.0f} px across",
            "size",
        ),
        _cost(5, _linear(m.face_share, 0, 0.2), f"face is {m.face_share:.0%} of the frame", "size"),
        _cost(5, _linear(megapixels, 0.3, 1.0), f"low resolution: {megapixels:.2f} MP", "size"),
    ]


def _pose(m: FaceMeasures) -> list[Penalty]:
    eyes = m.eyes
    if eyes.left is None or eyes.right is None:
        return []  # an eye the cascade missed is no evidence of a turned head
    roll = math.degrees(math.atan2(eyes.right[1] - eyes.left[1], eyes.right[0] - eyes.left[0]))
    offset = abs((eyes.left[0] + eyes.right[0]) / 2 - 0.5)
    return [
        _cost(
            6,
            1 - _linear(abs(roll), 8, 20),
            f"head tilted: eyes {abs(roll):.0f} deg off level",
            "pose",
        ),
        _cost(
            10,
            1 - _linear(offset, 0.06, 0.16),
            f"head turned to one side: eyes {offset:.0%} of the face width off centre",
            "pose",
        ),
    ]


def _metrics(a: Analysis, m: FaceMeasures, reference: float | None) -> dict[str, MetricValue]:
    return {
        "faces": a.face_count,
        "face_px": round(m.face_px),
        "face_share": round(m.face_share, 3),
        "sharpness": round(m.sharpness, 3),
        "sharpness_vs_set": round(m.sharpness / reference, 3) if reference else None,
        "laplacian_var": round(m.laplacian, 1),
        "luminance_mean": round(m.exposure.mean, 3),
        "luminance_low": round(m.exposure.low, 3),
        "luminance_high": round(m.exposure.high, 3),
        "clipped_dark": round(m.exposure.dark_share, 4),
        "clipped_bright": round(m.exposure.bright_share, 4),
        "lighting_uniformity": round(m.uniformity, 3),
        "contrast": round(m.contrast.std, 3),
        "eyes_found": m.eyes.count,
        "measured_face_px": round(m.measured_at_px),
        "phash": f"{a.phash:016x}" if a.phash is not None else None,
    }


def evaluate(a: Analysis, sharpness_reference: float | None = None) -> Verdict:
    """Score one analysed photo, or reject it with a code and the reason in words.

    ``sharpness_reference`` is the set's (:func:`set_sharpness`); ``None`` applies the absolute
    floor.
    """
    if a.error is not None or a.header is None:
        return Verdict(0.0, reason="unreadable", detail=a.error or "unreadable")
    h = a.header
    base: dict[str, MetricValue] = {"width": h.width, "height": h.height, "format": h.format}
    m = a.measures
    if m is None:
        detail = (
            "no face found, also on a second, slower look for small, turned or cut-off faces "
            "(faces from about 2.5% of the long side)"
        )
        return Verdict(0.0, reason="no_face", detail=detail, metrics=base)
    metrics = base | _metrics(a, m, sharpness_reference)
    megapixels = h.width * h.height / 1e6
    found = (
        _sharpness(m, sharpness_reference)
        + _exposure(m)
        + _light(m)
        + _size(m, megapixels)
        + _pose(m)
    )
    penalties = tuple(sorted((p for p in found if p.points >= 0.5), key=lambda p: -p.points))
    score = round(max(0.0, 100.0 - sum(p.points for p in penalties)), 1)
    verdict = Verdict(score, penalties, metrics=metrics)
    if a.cut_off > CUT_MARGIN:
        detail = (
            f"the face is cut off by the frame edge (about {min(a.cut_off, 1.0):.0%} of its width "
            "is outside): use a photo with the whole face in the frame"
        )
        return Verdict(score, penalties, "face_cut_off", detail, metrics)
    if a.second_face_ratio >= SECOND_FACE_SHARE:
        detail = (
            f"{a.face_count} faces: the second is {a.second_face_ratio:.0%} the size of the "
            "largest, so the provider cannot tell who to keep"
        )
        return Verdict(score, penalties, "multiple_faces", detail, metrics)
    if m.face_px < MIN_FACE_PX:
        detail = (
            f"there is a face, but only {m.face_px:.0f} px across (need >= {MIN_FACE_PX}): "
            "crop closer or move nearer the camera"
        )
        return Verdict(score, penalties, "face_too_small", detail, metrics)
    return verdict
