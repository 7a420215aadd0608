"""From raw measures to a 0-100 score with every penalty in words, or a rejection.

The score starts at 100. Each measure maps to a quality ``q`` in 0-1 and costs ``weight * (1 - q)``
points; a deduction under half a point is dropped (and not subtracted), so every point taken is
explained. Curves and thresholds, and where they come from:

* **Sharpness** (weight 35). Laplacian variance on the 128 px face crop, scaled by ``(0.5 / mean
  luminance)^2`` (mean floored at 0.15) so a dark face is not also called blurred: the Laplacian
  grows with brightness.
  Log-linear between 50 and 500 (fine scale) and 400 and 4000 (coarse scale); the worse of the
  two counts. Calibrated on ``sample_refs/``: in-focus faces read 900-1600 and 5000-8000, the
  blurred one about 75 and 480.
* **Exposure.** Mean face luminance through OFIQ's double sigmoid, rising at 0.2 and falling at
  0.8 (slope 0.04) (weight 20); bright clipping (>= 247) halves quality at every 1 % of the face,
  OFIQ's over-exposure rule (weight 15); dark clipping (<= 25) halves it at every 5 %: shadows
  under the brows and in the hair are normal (weight 10).
* **Lighting uniformity** (weight 25). Left/right histogram intersection, linear from 0.25 (one
  half in shadow) to 0.60 (studio-even faces read 0.65-0.75).
* **Contrast** (weight 10). Luminance standard deviation, linear from 0.03 to 0.09 (a flat face).
* **Face size.** Rejected under :data:`MIN_FACE_PX` px across: the head-and-shoulders crop sent to
  a provider (about 2.6 face widths) would be under 330 px. Linear up to 320 px (weight 15) and a
  small cost when the face is under a fifth of the frame (weight 5).
* **Pose** (eyes). Both eyes found: none; one: 8 points; none: 15. Eye line tilted beyond 8 deg
  and eye midpoint more than 6 % off the face centre (a turned head) cost up to 6 and 10.
* **Resolution** (weight 5). Linear from 0.3 to 1 megapixel.

A second face at least :data:`SECOND_FACE_SHARE` of the largest one's area rejects the photo as
``multiple_faces``: the provider cannot know who to keep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pinglass.refs.analysis import Analysis, FaceMeasures
from pinglass.refs.models import MetricValue, RejectedReason

__all__ = ["MIN_FACE_PX", "SECOND_FACE_SHARE", "Penalty", "Verdict", "evaluate"]

MIN_FACE_PX = 128
"""Smallest usable face width, in original pixels."""

SECOND_FACE_SHARE = 0.25
"""A second face this large (share of the largest face's area) means several people."""


@dataclass(frozen=True, slots=True)
class Penalty:
    """Points taken off and why."""

    points: float
    text: str


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


def _loglinear(value: float, low: float, high: float) -> float:
    return _clamp(math.log(max(value, 1e-9) / low) / math.log(high / low))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _cost(weight: float, quality: float, text: str) -> Penalty:
    points = round(weight * (1.0 - quality), 1)
    return Penalty(points, f"{text} (-{points:g})")


def _adjusted_sharpness(m: FaceMeasures) -> tuple[float, float]:
    """Laplacian variances (fine, coarse) as if the face's mean luminance were 0.5."""
    gain = (0.5 / max(m.exposure.mean, 0.15)) ** 2  # at most 11x: beyond, it is noise
    return m.sharpness * gain, m.sharpness_coarse * gain


def _sharpness(m: FaceMeasures) -> list[Penalty]:
    fine, coarse = _adjusted_sharpness(m)
    quality = min(_loglinear(fine, 50, 500), _loglinear(coarse, 400, 4000))
    return [_cost(35, quality, f"soft or blurred face: sharpness {fine:.0f} (in focus >= 500)")]


def _exposure(m: FaceMeasures) -> list[Penalty]:
    e = m.exposure
    mean_q = _sigmoid((e.mean - 0.2) / 0.04) * _sigmoid((0.8 - e.mean) / 0.04)
    side = "dark" if e.mean < 0.5 else "bright"
    return [
        _cost(20, mean_q, f"face too {side}: mean luminance {e.mean:.2f} (best 0.3-0.65)"),
        _cost(
            15,
            0.5 ** (e.bright_share / 0.01),
            f"blown highlights: {e.bright_share:.1%} of the face clipped white",
        ),
        _cost(
            10,
            0.5 ** (e.dark_share / 0.05),
            f"crushed shadows: {e.dark_share:.1%} of the face clipped black",
        ),
    ]


def _light(m: FaceMeasures) -> list[Penalty]:
    u, c = m.uniformity, m.contrast
    return [
        _cost(
            25,
            _linear(u, 0.25, 0.60),
            f"uneven light: left/right face match {u:.2f} (even >= 0.60), one side in shadow",
        ),
        _cost(10, _linear(c.std, 0.03, 0.09), f"flat, low-contrast face: spread {c.std:.3f}"),
    ]


def _size(m: FaceMeasures, megapixels: float) -> list[Penalty]:
    return [
        _cost(15, _linear(m.face_px, MIN_FACE_PX, 320), f"small face: {m.face_px:.0f} px across"),
        _cost(5, _linear(m.face_share, 0, 0.2), f"face is {m.face_share:.0%} of the frame"),
        _cost(5, _linear(megapixels, 0.3, 1.0), f"low resolution: {megapixels:.2f} MP"),
    ]


def _pose(m: FaceMeasures) -> list[Penalty]:
    eyes = m.eyes
    if eyes.left is None or eyes.right is None:
        points = 8.0 if eyes.count == 1 else 15.0
        found = "only one eye" if eyes.count == 1 else "no eyes"
        return [Penalty(points, f"not frontal: {found} found (-{points:g})")]
    roll = math.degrees(math.atan2(eyes.right[1] - eyes.left[1], eyes.right[0] - eyes.left[0]))
    offset = abs((eyes.left[0] + eyes.right[0]) / 2 - 0.5)
    return [
        _cost(6, 1 - _linear(abs(roll), 8, 20), f"head tilted {abs(roll):.0f} deg"),
        _cost(10, 1 - _linear(offset, 0.06, 0.16), f"head turned: eyes {offset:.0%} off centre"),
    ]


def _metrics(a: Analysis, m: FaceMeasures) -> dict[str, MetricValue]:
    fine, coarse = _adjusted_sharpness(m)
    return {
        "faces": a.face_count,
        "face_px": round(m.face_px),
        "face_share": round(m.face_share, 3),
        "sharpness": round(fine, 1),
        "sharpness_coarse": round(coarse, 1),
        "laplacian_var": round(m.sharpness, 1),
        "luminance_mean": round(m.exposure.mean, 3),
        "clipped_dark": round(m.exposure.dark_share, 4),
        "clipped_bright": round(m.exposure.bright_share, 4),
        "lighting_uniformity": round(m.uniformity, 3),
        "contrast": round(m.contrast.std, 3),
        "eyes_found": m.eyes.count,
        "measured_face_px": round(m.measured_at_px),
        "phash": f"{a.phash:016x}" if a.phash is not None else None,
    }


def evaluate(a: Analysis) -> Verdict:
    """Score one analysed photo, or reject it with a code and the reason in words."""
    if a.error is not None or a.header is None:
        return Verdict(0.0, reason="unreadable", detail=a.error or "unreadable")
    h = a.header
    base: dict[str, MetricValue] = {"width": h.width, "height": h.height, "format": h.format}
    m = a.measures
    if m is None:
        detail = "no face found (frontal face detector, faces down to about 4% of the long side)"
        return Verdict(0.0, reason="no_face", detail=detail, metrics=base)
    metrics = base | _metrics(a, m)
    megapixels = h.width * h.height / 1e6
    found = _sharpness(m) + _exposure(m) + _light(m) + _size(m, megapixels) + _pose(m)
    penalties = tuple(sorted((p for p in found if p.points >= 0.5), key=lambda p: -p.points))
    score = round(max(0.0, 100.0 - sum(p.points for p in penalties)), 1)
    verdict = Verdict(score, penalties, metrics=metrics)
    if a.second_face_ratio >= SECOND_FACE_SHARE:
        detail = (
            f"{a.face_count} faces: the second is {a.second_face_ratio:.0%} the size of the "
            "largest, so the provider cannot tell who to keep"
        )
        return Verdict(score, penalties, "multiple_faces", detail, metrics)
    if m.face_px < MIN_FACE_PX:
        detail = f"face only {m.face_px:.0f} px across (need >= {MIN_FACE_PX}): crop closer"
        return Verdict(score, penalties, "face_too_small", detail, metrics)
    return verdict
