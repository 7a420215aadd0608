"""dlib on real public-domain portraits: landmarks, same vs different person, likeness.

Images: tests/data/identity/ (sources and licences in tests/identity/README.md). The fixtures
live here, not in a conftest.py, because other test modules do ``from conftest import ...``.

Measured distances (dlib 20.0.1, these crops) are in tests/identity/README.md; the bounds here
leave wide margins: same-person copies measured 0.05-0.34, the cameraman 0.74-0.82.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pinglass.identity import (
    EMBEDDING_SIZE,
    NOT_SAME_PERSON,
    Box,
    FaceAnalyzer,
    LikenessScorer,
    available,
    consistency,
    decode_rgb,
    distance,
    likeness,
    unavailable_reason,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "identity"
CAMERAMAN_BOX = (106, 90, 158, 142)
"""The photographer's face in cameraman.jpg (dlib's HOG finds it only below its default
threshold: the head is turned and half hidden by the camera), as reference scoring would pass it."""


def _load(name: str) -> np.ndarray:
    rgb = decode_rgb(DATA / name)
    assert rgb is not None, name
    return rgb


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """Eileen Collins, 330x330 RGB; her eyes are about 43 px apart."""
    return _load("astronaut.jpg")


@pytest.fixture(scope="module")
def cameraman() -> np.ndarray:
    """A different person, 260x260 RGB (greyscale content)."""
    return _load("cameraman.jpg")


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    """One analyzer for the whole module: loading the models takes about 0.2 s."""
    pytest.importorskip("dlib")
    if not available():
        pytest.skip(unavailable_reason() or "identity extra missing")
    return FaceAnalyzer()


@pytest.fixture(scope="module")
def cameraman_box() -> tuple[int, int, int, int]:
    """See :data:`CAMERAMAN_BOX`."""
    return CAMERAMAN_BOX


@pytest.fixture(scope="module")
def variants(astronaut: np.ndarray) -> dict[str, np.ndarray]:
    """Copies of the astronaut portrait that still show the same person (name -> RGB)."""
    return same_person_variants(astronaut)


def same_person_variants(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Copies of one portrait that still show the same person (name -> RGB)."""
    height, width = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 10, 1.0)
    ramp = np.linspace(0.35, 1.25, width)[None, :, None]
    ok, jpeg = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 25])
    assert ok
    variants = {
        "mirror": rgb[:, ::-1],
        "tight crop": rgb[40:260, 60:300],
        "darkened": (rgb * 0.5).astype(np.uint8),
        "side-lit": np.clip(rgb * ramp, 0, 255).astype(np.uint8),
        "greyscale": np.repeat(rgb.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2),
        "upscaled to 1024": cv2.resize(rgb, (1024, 1024), interpolation=cv2.INTER_CUBIC),
        "rotated 10 degrees": cv2.warpAffine(
            rgb, turn, (width, height), borderMode=cv2.BORDER_REFLECT
        ),
        "JPEG quality 25": cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED),
    }
    return {name: np.ascontiguousarray(img) for name, img in variants.items()}


SAME_BELOW = 0.45
DIFFERENT_ABOVE = 0.65


def _jpeg(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_landmarks_on_the_astronaut(analyzer: FaceAnalyzer, astronaut: np.ndarray) -> None:
    lm = analyzer.landmarks(astronaut)
    assert lm is not None
    assert 38 < lm.inter_eye_px < 48
    assert abs(lm.roll_deg) < 8
    assert abs(lm.yaw_deg) < 10
    left, top, right, bottom = lm.box
    assert left < lm.left_eye[0] < lm.right_eye[0] < right
    assert top < lm.nose[1] < bottom


def test_rotating_the_photo_turns_the_roll(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, variants: dict[str, np.ndarray]
) -> None:
    upright = analyzer.landmarks(astronaut)
    turned = analyzer.landmarks(variants["rotated 10 degrees"])
    assert upright is not None
    assert turned is not None
    # OpenCV's positive angle turns the picture anticlockwise: the right eye rises.
    assert turned.roll_deg - upright.roll_deg == pytest.approx(-10, abs=3)


def test_upscaling_grows_the_inter_eye_distance(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, variants: dict[str, np.ndarray]
) -> None:
    small = analyzer.landmarks(astronaut)
    large = analyzer.landmarks(variants["upscaled to 1024"])
    assert small is not None
    assert large is not None
    assert large.inter_eye_px / small.inter_eye_px == pytest.approx(1024 / 330, rel=0.08)
    assert large.inter_eye_score > 90 > 30 > small.inter_eye_score


def test_copies_of_one_person_stay_close(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, variants: dict[str, np.ndarray]
) -> None:
    base = analyzer.embedding(astronaut)
    assert base is not None
    assert base.shape == (EMBEDDING_SIZE,)
    for name, variant in variants.items():
        other = analyzer.embedding(variant)
        assert other is not None, name
        assert distance(base, other) < SAME_BELOW, name


def test_a_different_person_is_told_apart(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, cameraman: np.ndarray, cameraman_box: Box
) -> None:
    her = analyzer.embedding(astronaut)
    him = analyzer.embedding(cameraman, box=cameraman_box)
    assert her is not None
    assert him is not None
    assert distance(her, him) > DIFFERENT_ABOVE


def test_consistency_rejects_the_cameraman_among_her_photos(
    analyzer: FaceAnalyzer,
    astronaut: np.ndarray,
    cameraman: np.ndarray,
    cameraman_box: Box,
    variants: dict[str, np.ndarray],
) -> None:
    refs = {"astronaut.jpg": analyzer.embedding(astronaut)}
    refs |= {f"{name}.jpg": analyzer.embedding(variants[name]) for name in ("mirror", "darkened")}
    refs["cameraman.jpg"] = analyzer.embedding(cameraman, box=cameraman_box)
    embeddings = {name: vec for name, vec in refs.items() if vec is not None}
    assert len(embeddings) == 4
    verdicts = consistency(embeddings)
    assert [n for n, v in verdicts.items() if not v.is_same_person] == ["cameraman.jpg"]
    assert verdicts["cameraman.jpg"].rejected_reason == NOT_SAME_PERSON
    assert f"{verdicts['cameraman.jpg'].distance:.2f}" in (verdicts["cameraman.jpg"].reason or "")


def test_likeness_of_outputs_against_the_references(
    analyzer: FaceAnalyzer,
    astronaut: np.ndarray,
    cameraman: np.ndarray,
    cameraman_box: Box,
    variants: dict[str, np.ndarray],
) -> None:
    refs = [analyzer.embedding(astronaut), analyzer.embedding(variants["side-lit"])]
    references = [r for r in refs if r is not None]
    output = analyzer.embedding(variants["tight crop"])
    stranger = analyzer.embedding(cameraman, box=cameraman_box)
    assert output is not None
    assert stranger is not None
    assert likeness(output, references).score > 0.9
    assert likeness(stranger, references).score < 0.3


def test_scorer_runs_the_real_analyzer_on_encoded_outputs(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, variants: dict[str, np.ndarray]
) -> None:
    reference = analyzer.embedding(astronaut)
    assert reference is not None
    big = variants["upscaled to 1024"]
    blank = np.full((256, 256, 3), 128, dtype=np.uint8)
    with LikenessScorer(analyzer, [reference]) as scorer:
        portrait, empty = scorer.submit(_jpeg(big)), scorer.submit(_jpeg(blank))
        result = portrait.result(timeout=60)
        assert empty.result(timeout=60) is None
    assert result is not None
    assert result.distance < SAME_BELOW


def test_measure_is_landmarks_and_embedding_in_one_fit(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, cameraman: np.ndarray, cameraman_box: Box
) -> None:
    box = analyzer.detect(astronaut)
    assert box is not None
    for rgb, face in ((astronaut, box), (cameraman, cameraman_box)):
        marks, vector = analyzer.measure(rgb, face)
        assert marks == analyzer.landmarks(rgb, face)
        expected = analyzer.embedding(rgb, face)
        assert expected is not None
        assert np.array_equal(vector, expected)
    with pytest.raises(ValueError, match="empty face box"):
        analyzer.measure(astronaut, (50, 50, 50, 90))


def test_no_face_gives_none(analyzer: FaceAnalyzer) -> None:
    noise = np.random.default_rng(7).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    assert analyzer.detect(noise) is None
    assert analyzer.landmarks(noise) is None
    assert analyzer.embedding(noise) is None


def test_bad_images_and_boxes_are_refused(analyzer: FaceAnalyzer, astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="uint8"):
        analyzer.detect(astronaut.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        analyzer.detect(np.zeros((4, 4, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="empty face box"):
        analyzer.embedding(astronaut, box=(50, 50, 50, 90))
    with pytest.raises(ValueError, match="detect_side"):
        FaceAnalyzer(detect_side=10)
