"""Face geometry from dlib's 5 landmarks, and the OFIQ-style inter-eye-distance quality curve.

Pure arithmetic (no dlib), so reference scoring and the tests can use it anywhere.

dlib's 5-point model marks, in this order: the two corners of one eye (outer, inner), the two
corners of the other eye (outer, inner) and the base of the nose (subnasale). An eye centre is the
mean of its two corners; "left" and "right" below mean the eye on the left and right of the
*image*, whatever the order dlib returned them in, so a mirrored photo gives mirrored numbers.

Angles, in degrees:

- **roll** is the angle of the eye line, ``atan2(right.y - left.y, right.x - left.x)``: 0 for level
  eyes, positive when the image-right eye is lower (the head tilts clockwise on screen).
- **yaw** is an estimate from one photo. The eye midpoint and the nose base both lie on the face's
  mid-plane; turning the head by ``yaw`` moves the nose base sideways by ``D·sin(yaw)`` relative to
  the eye midpoint (``D`` = how far the nose base stands in front of the eye centres) while the
  inter-eye distance ``E`` shrinks to ``E·cos(yaw)``. So ``offset / observed_E = (D/E)·tan(yaw)``
  and ``yaw = atan(offset / observed_E / NOSE_DEPTH_RATIO)``. ``D/E`` ≈ 0.4 (about 25 mm of nose
  depth over about 62 mm between eye centres in adult anthropometric tables). Orthographic
  projection is assumed and pitch leaks in a little, so treat it as ±10° accurate: good enough to
  tell a frontal photo from a three-quarter one. Positive yaw: the nose points to the image right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "INTER_EYE_MIDPOINT_PX",
    "INTER_EYE_WIDTH_PX",
    "NOSE_DEPTH_RATIO",
    "Box",
    "Landmarks",
    "Point",
    "inter_eye_score",
    "landmarks_from_points",
]

Point = tuple[float, float]
"""(x, y) in pixels of the analysed image."""
Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in pixels, right and bottom exclusive."""

NOSE_DEPTH_RATIO = 0.4
"""Depth of the nose base in front of the eye centres over the distance between the eye centres."""

INTER_EYE_MIDPOINT_PX = 70.0
"""Inter-eye distance (px) scoring 50, as in OFIQ's inter-eye-distance measure."""
INTER_EYE_WIDTH_PX = 20.0
"""Logistic width (px) of the curve; with the midpoint it puts 90 px at 73.1."""


@dataclass(frozen=True, slots=True)
class Landmarks:
    """Where the eyes and nose are, and what that says about size and pose."""

    points: tuple[Point, ...]
    """The five landmarks in dlib's order (one eye's corners, the other's, nose base)."""
    left_eye: Point
    """Centre of the eye on the image's left."""
    right_eye: Point
    """Centre of the eye on the image's right."""
    nose: Point
    """Base of the nose."""
    box: Box
    """The face box the landmarks were fitted in."""
    inter_eye_px: float
    """Distance between the eye centres, in pixels of the analysed image."""
    roll_deg: float
    """Eye-line angle in degrees; positive when the image-right eye is lower."""
    yaw_deg: float
    """Estimated head turn in degrees (see the module docstring); positive: nose to image right."""

    @property
    def inter_eye_score(self) -> float:
        """The OFIQ-style 0–100 quality of :attr:`inter_eye_px` (see :func:`inter_eye_score`)."""
        return inter_eye_score(self.inter_eye_px)


def inter_eye_score(px: float) -> float:
    """Map an inter-eye distance in pixels to a 0–100 quality score.

    A logistic ``100 / (1 + exp(-(px - 70) / 20))``: 50 at 70 px, 73.1 at 90 px, 88 at 110 px,
    27 at 50 px. The two anchors (50 at 70 px, 73 at 90 px) are OFIQ's (ISO/IEC 29794-5)
    inter-eye-distance quality mapping; a logistic through them has exactly these parameters
    (solving ``73 = 100/(1+exp(-20/w))`` gives ``w`` = 20.1, rounded to OFIQ's 20).
    Negative or NaN input scores 0.
    """
    if not px > 0:
        return 0.0
    z = -(px - INTER_EYE_MIDPOINT_PX) / INTER_EYE_WIDTH_PX
    return 100.0 / (1.0 + math.exp(min(z, 700.0)))


def landmarks_from_points(points: Sequence[Point], box: Box) -> Landmarks:
    """Build :class:`Landmarks` from dlib's five points (see the module docstring for the angles).

    Raises:
        ValueError: ``points`` does not hold exactly five points.
    """
    if len(points) != 5:
        raise ValueError(f"expected dlib's 5 landmarks, got {len(points)}")
    pts = tuple((float(x), float(y)) for x, y in points)
    eye_a = _mean(pts[0], pts[1])
    eye_b = _mean(pts[2], pts[3])
    left, right = (eye_a, eye_b) if eye_a[0] <= eye_b[0] else (eye_b, eye_a)
    nose = pts[4]
    dx, dy = right[0] - left[0], right[1] - left[1]
    inter_eye = math.hypot(dx, dy)
    roll = math.degrees(math.atan2(dy, dx))
    yaw = 0.0
    if inter_eye > 0:
        mid = _mean(left, right)
        # Signed offset of the nose along the eye line, so roll does not read as yaw.
        offset = ((nose[0] - mid[0]) * dx + (nose[1] - mid[1]) * dy) / inter_eye
        yaw = math.degrees(math.atan(offset / inter_eye / NOSE_DEPTH_RATIO))
    return Landmarks(
        points=pts,
        left_eye=left,
        right_eye=right,
        nose=nose,
        box=box,
        inter_eye_px=inter_eye,
        roll_deg=roll,
        yaw_deg=yaw,
    )


def _mean(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
