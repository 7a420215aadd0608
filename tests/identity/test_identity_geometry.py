"""Inter-eye quality curve and landmark geometry: pure arithmetic, no dlib needed."""

from __future__ import annotations

import math

import pytest

from pinglass.identity import inter_eye_score, landmarks_from_points

BOX = (0, 0, 200, 200)


def _points(
    left: tuple[float, float], right: tuple[float, float], nose: tuple[float, float]
) -> list[tuple[float, float]]:
    """dlib order: one eye's two corners, the other's, nose base (eyes 20 px wide)."""
    return [
        (right[0] + 10, right[1]),
        (right[0] - 10, right[1]),
        (left[0] - 10, left[1]),
        (left[0] + 10, left[1]),
        nose,
    ]


def test_inter_eye_curve_passes_through_the_ofiq_anchors() -> None:
    assert inter_eye_score(70) == pytest.approx(50.0)
    assert inter_eye_score(90) == pytest.approx(73.1, abs=0.05)


def test_inter_eye_curve_rises_and_stays_within_0_to_100() -> None:
    values = [inter_eye_score(px) for px in (1, 20, 43, 70, 90, 133, 400, 1e6)]
    assert values == sorted(values)
    assert all(0 <= v <= 100 for v in values)
    assert inter_eye_score(0) == 0.0
    assert inter_eye_score(-5) == 0.0
    assert inter_eye_score(math.nan) == 0.0


def test_level_eyes_with_a_centred_nose_are_frontal() -> None:
    lm = landmarks_from_points(_points((80, 100), (140, 100), (110, 130)), BOX)
    assert lm.inter_eye_px == pytest.approx(60.0)
    assert lm.roll_deg == pytest.approx(0.0)
    assert lm.yaw_deg == pytest.approx(0.0)
    assert lm.left_eye == (80.0, 100.0)
    assert lm.right_eye == (140.0, 100.0)
    assert lm.inter_eye_score == pytest.approx(inter_eye_score(60.0))


def test_eye_order_from_dlib_does_not_matter() -> None:
    pts = _points((80, 100), (140, 100), (110, 130))
    swapped = [pts[2], pts[3], pts[0], pts[1], pts[4]]
    assert landmarks_from_points(swapped, BOX).left_eye == (80.0, 100.0)


def test_a_lower_right_eye_is_positive_roll() -> None:
    lm = landmarks_from_points(_points((80, 100), (140, 160), (100, 150)), BOX)
    assert lm.roll_deg == pytest.approx(45.0)


def test_nose_offset_gives_yaw_through_the_depth_ratio() -> None:
    # Offset 0.4 x inter-eye distance = tan(yaw) x NOSE_DEPTH_RATIO (0.4): yaw 45 degrees.
    lm = landmarks_from_points(_points((80, 100), (140, 100), (134, 130)), BOX)
    assert lm.yaw_deg == pytest.approx(45.0)


def test_rolled_face_with_centred_nose_reads_as_no_yaw() -> None:
    # Eyes on a 30 degree line; nose straight "below" the midpoint in the face's own frame.
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    left, right = (100 - 30 * c, 100 - 30 * s), (100 + 30 * c, 100 + 30 * s)
    nose = (100 - 30 * s, 100 + 30 * c)
    lm = landmarks_from_points(_points(left, right, nose), BOX)
    assert lm.roll_deg == pytest.approx(30.0, abs=0.01)
    assert lm.yaw_deg == pytest.approx(0.0, abs=0.01)


def test_a_mirrored_face_mirrors_roll_and_yaw() -> None:
    pts = _points((80, 100), (140, 110), (125, 135))
    mirrored = [(200 - x, y) for x, y in pts]
    a, b = landmarks_from_points(pts, BOX), landmarks_from_points(mirrored, BOX)
    assert b.roll_deg == pytest.approx(-a.roll_deg)
    assert b.yaw_deg == pytest.approx(-a.yaw_deg)
    assert b.inter_eye_px == pytest.approx(a.inter_eye_px)


def test_anything_but_five_points_is_refused() -> None:
    with pytest.raises(ValueError, match="5 landmarks"):
        landmarks_from_points([(0.0, 0.0)] * 68, BOX)
