"""Each measure on synthetic variants of one real face whose answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from refs_helpers import blurred, clean_image, darkened, save, shrunk_into, side_lit

from pinglass.refs import dedupe, faces, metrics
from pinglass.refs.analysis import Analysis, FaceMeasures, analyse_photo
from pinglass.refs.decode import Header
from pinglass.refs.scoring import MIN_FACE_PX, evaluate


def _analyse(img: Image.Image, tmp_path: Path, name: str) -> Analysis:
    analysis = analyse_photo(save(img, tmp_path / name, quality=92))
    assert analysis.measures is not None, f"{name}: no face found"
    return analysis


def _measures(a: Analysis) -> FaceMeasures:
    assert a.measures is not None
    return a.measures


def _penalties(a: Analysis) -> str:
    return " | ".join(p.text for p in evaluate(a).penalties)


@pytest.fixture(scope="module")
def clean_face() -> np.ndarray:
    """The normalised grey face crop of the clean sample."""
    gray = np.asarray(ImageOps.grayscale(clean_image(600)))
    box = faces.find_faces(gray).boxes[0]
    return faces.crop_normalised(gray, box, metrics.FACE_SIZE)


def test_blurred_copy_is_less_sharp(tmp_path: Path) -> None:
    sharp = _analyse(clean_image(), tmp_path, "sharp.jpg")
    soft = _analyse(blurred(clean_image()), tmp_path, "soft.jpg")

    assert _measures(soft).sharpness < _measures(sharp).sharpness * 0.6
    assert _measures(soft).laplacian < _measures(sharp).laplacian / 5
    assert "blurred" in _penalties(soft)
    assert "blurred" not in _penalties(sharp)
    assert evaluate(soft).score < evaluate(sharp).score - 15


def test_darkened_copy_is_penalised_for_exposure(tmp_path: Path) -> None:
    clean = _analyse(clean_image(), tmp_path, "clean.jpg")
    dark = _analyse(darkened(clean_image(), 0.25), tmp_path, "dark.jpg")

    assert _measures(dark).exposure.mean < 0.25 < _measures(clean).exposure.mean
    assert "too dark" in _penalties(dark)
    assert "blurred" not in _penalties(dark)  # dim is not blurred: the detail ratio is a ratio
    assert evaluate(dark).score < evaluate(clean).score - 10


def test_side_lit_copy_is_penalised_for_uniformity(tmp_path: Path) -> None:
    clean = _analyse(clean_image(), tmp_path, "clean.jpg")
    harsh = _analyse(side_lit(clean_image()), tmp_path, "harsh.jpg")

    assert _measures(harsh).uniformity < 0.4 < _measures(clean).uniformity
    assert "uneven light" in _penalties(harsh)
    assert "uneven light" not in _penalties(clean)


def test_shrunken_face_is_small(tmp_path: Path) -> None:
    big = _analyse(clean_image(900), tmp_path, "big.jpg")
    mid = _analyse(shrunk_into(clean_image(900), 0.6, (1400, 1400)), tmp_path, "mid.jpg")
    tiny = _analyse(shrunk_into(clean_image(900), 0.3, (2400, 1800)), tmp_path, "tiny.jpg")

    assert _measures(tiny).face_px < MIN_FACE_PX < _measures(mid).face_px < _measures(big).face_px
    assert _measures(mid).face_share < _measures(big).face_share
    assert "small face" in _penalties(mid)
    assert evaluate(tiny).reason == "face_too_small"
    assert evaluate(big).reason is None


def test_flat_copy_has_less_contrast(clean_face: np.ndarray) -> None:
    flat = (clean_face.astype(np.float32) * 0.2 + 100).astype(np.uint8)
    assert metrics.contrast(flat).std < metrics.contrast(clean_face).std / 4


def test_clipped_shares(clean_face: np.ndarray) -> None:
    white = np.full_like(clean_face, 255)
    black = np.zeros_like(clean_face)
    assert metrics.exposure(white).bright_share == 1.0
    assert metrics.exposure(black).dark_share == 1.0
    assert metrics.exposure(clean_face).bright_share < 0.01


def test_uniform_face_has_full_histogram_intersection(clean_face: np.ndarray) -> None:
    mirrored = np.ascontiguousarray(np.hstack([clean_face[:, :64], clean_face[:, :64][:, ::-1]]))
    assert metrics.lighting_uniformity(mirrored) == pytest.approx(1.0, abs=0.02)


def _measured(**changes: object) -> Analysis:
    """A clean analysis with some measures replaced: scoring curves with known answers."""
    base = FaceMeasures(
        face_px=400,
        face_share=0.4,
        sharpness=0.75,
        laplacian=3000,
        exposure=metrics.Exposure(mean=0.5, dark_share=0.0, bright_share=0.0, low=0.1, high=0.9),
        uniformity=0.7,
        contrast=metrics.Contrast(std=0.15, spread=0.45),
        eyes=faces.Eyes((0.3, 0.4), (0.7, 0.4)),
        measured_at_px=200,
    )
    fields = {name: getattr(base, name) for name in FaceMeasures.__slots__}
    m = FaceMeasures(**(fields | changes))  # type: ignore[arg-type]
    return Analysis("x.jpg", Header("JPEG", 1200, 1600, 1), face_count=1, measures=m, phash=1)


def test_a_perfect_face_scores_100() -> None:
    verdict = evaluate(_measured())
    assert verdict.score == 100.0
    assert verdict.penalties == ()


def test_over_exposure_halves_quality_at_one_percent_clipped_past_highlights() -> None:
    exposure = metrics.Exposure(mean=0.5, dark_share=0.0, bright_share=0.015, low=0.1, high=1.0)
    verdict = evaluate(_measured(exposure=exposure))
    assert [p.points for p in verdict.penalties] == [7.5]  # weight 15, quality 0.5
    assert "1.5% of the face clipped white" in verdict.penalties[0].text


@pytest.mark.parametrize("mean", [0.22, 0.35, 0.5, 0.75])
def test_a_well_exposed_face_of_any_tone_costs_nothing(mean: float) -> None:
    # A dark and a pale skin: the mean moves, the face still spans shadows to highlights.
    exposure = metrics.Exposure(
        mean=mean, dark_share=0.01, bright_share=0.002, low=mean / 4, high=min(1.0, mean + 0.3)
    )
    assert evaluate(_measured(exposure=exposure)).penalties == ()


def test_underexposure_is_judged_by_the_brightest_parts() -> None:
    exposure = metrics.Exposure(mean=0.1, dark_share=0.0, bright_share=0.0, low=0.02, high=0.375)
    verdict = evaluate(_measured(exposure=exposure))
    assert verdict.penalties[0].points == 10.0  # weight 20, quality 0.5
    assert "too dark (underexposed)" in verdict.penalties[0].text


def test_missing_eyes_are_no_evidence_of_pose() -> None:
    assert evaluate(_measured(eyes=faces.Eyes((0.3, 0.4), None))).score == 100.0
    assert evaluate(_measured(eyes=faces.Eyes(None, None))).score == 100.0
    turned = evaluate(_measured(eyes=faces.Eyes((0.45, 0.4), (0.85, 0.4))))
    assert [p.kind for p in turned.penalties] == ["pose"]
    assert "head turned to one side" in turned.penalties[0].text


def test_sharpness_is_relative_to_the_set() -> None:
    soft = _measured(sharpness=0.55)
    assert evaluate(soft, sharpness_reference=0.55).penalties == ()  # as sharp as the set
    relative = evaluate(soft, sharpness_reference=0.75).penalties
    assert "73% of the detail of the sharpest photos in this set" in relative[0].text
    absolute = evaluate(soft).penalties  # a set of one or two: the absolute floor
    assert "detail 0.55 (in focus >= 0.62)" in absolute[0].text


def test_cut_off_face_outranks_multiple_faces() -> None:
    analysis = _measured()
    cut = Analysis(
        "x.jpg",
        analysis.header,
        face_count=2,
        second_face_ratio=0.9,
        cut_off=0.4,
        measures=analysis.measures,
    )
    assert evaluate(cut).reason == "face_cut_off"


def test_second_large_face_rejects() -> None:
    analysis = _measured()
    crowded = Analysis(
        "x.jpg", analysis.header, face_count=2, second_face_ratio=0.3, measures=analysis.measures
    )
    small_extra = Analysis(
        "x.jpg", analysis.header, face_count=2, second_face_ratio=0.1, measures=analysis.measures
    )
    assert evaluate(crowded).reason == "multiple_faces"
    assert evaluate(small_extra).reason is None


def test_phash_matches_a_resaved_copy_not_a_mirror(clean_face: np.ndarray) -> None:
    brighter = np.clip(clean_face.astype(np.int16) + 20, 0, 255).astype(np.uint8)
    h = dedupe.phash(clean_face)
    assert dedupe.hamming(h, dedupe.phash(brighter)) <= dedupe.DUPLICATE_DISTANCE
    mirrored = np.ascontiguousarray(clean_face[:, ::-1])
    assert dedupe.hamming(h, dedupe.phash(mirrored)) > dedupe.DUPLICATE_DISTANCE
