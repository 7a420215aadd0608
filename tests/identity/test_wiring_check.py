"""The identity extra as reference scoring's face check: landmarks penalties, not_same_person.

Uses sample_refs/ (crops and relit copies of scikit-image's public-domain astronaut photo, so one
person) and tests/data/identity/cameraman.jpg (CC0, a different person; licences in README.md).
Reference scoring's Haar cascade does not find the cameraman's half-hidden face, so his photo is
handed to the check with his face box, exactly as score_folder would hand a found face.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from pinglass.identity import FaceAnalyzer, available, landmarks_from_points, unavailable_reason
from pinglass.identity.refcheck import IdentityCheck, landmark_penalties
from pinglass.refs import FacePhoto, score_folder

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_REFS = ROOT / "sample_refs"
CAMERAMAN = ROOT / "tests" / "data" / "identity" / "cameraman.jpg"
CLEAN = ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg", "IMG_0427.jpg", "IMG_0450.jpg")
CAMERAMAN_SCALE = 3
CAMERAMAN_BOX = (106, 90, 52, 52)
"""(left, top, width, height) of the photographer's face in the 260 px cameraman.jpg."""


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    if not available():
        pytest.skip(unavailable_reason() or "identity extra missing")
    return FaceAnalyzer()


@pytest.fixture(scope="module")
def refs_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("refs")
    for name in CLEAN:
        shutil.copy(SAMPLE_REFS / name, folder / name)
    with Image.open(CAMERAMAN) as img:
        side = img.width * CAMERAMAN_SCALE
        img.convert("RGB").resize((side, side), Image.Resampling.LANCZOS).save(
            folder / "cameraman.jpg", quality=92
        )
    yield folder


def _photos(folder: Path) -> list[FacePhoto]:
    plain = score_folder(folder, workers=1)
    photos = [
        FacePhoto(r.file, folder / r.file, r.face_box, r.score)
        for r in plain.references
        if r.usable and r.face_box is not None
    ]
    box = tuple(v * CAMERAMAN_SCALE for v in CAMERAMAN_BOX)
    photos.append(FacePhoto("cameraman.jpg", folder / "cameraman.jpg", box, 90.0))  # type: ignore[arg-type]
    return photos


def test_a_different_person_is_rejected_with_the_distance(
    analyzer: FaceAnalyzer, refs_folder: Path
) -> None:
    check = IdentityCheck(analyzer)
    outcomes = check(_photos(refs_folder))
    him = outcomes["cameraman.jpg"]
    assert him.reason == "not_same_person"
    assert him.detail is not None
    measured = him.metrics["identity_distance"]
    assert isinstance(measured, float) and measured > 0.6
    shown = re.search(r"face distance (\d\.\d\d)", him.detail)
    assert shown is not None and abs(float(shown.group(1)) - measured) < 0.006
    kept = {f: o for f, o in outcomes.items() if f != "cameraman.jpg"}
    assert set(kept) == set(CLEAN)
    assert all(o.reason is None for o in kept.values())
    assert all(float(o.metrics["identity_distance"] or 0) < 0.5 for o in kept.values())
    assert set(check.embeddings) == {*CLEAN, "cameraman.jpg"}


def test_the_threshold_is_configurable(analyzer: FaceAnalyzer, refs_folder: Path) -> None:
    strict = IdentityCheck(analyzer, threshold=0.05)(_photos(refs_folder))
    rejected = {f for f, o in strict.items() if o.reason == "not_same_person"}
    assert "cameraman.jpg" in rejected
    assert len(rejected) > 1  # her relit copies sit 0.18-0.29 from the medoid
    with pytest.raises(ValueError, match="positive"):
        IdentityCheck(analyzer, threshold=0)


def test_score_folder_gains_landmark_metrics(analyzer: FaceAnalyzer, refs_folder: Path) -> None:
    report = score_folder(refs_folder, workers=1, face_check=IdentityCheck(analyzer))
    ref = next(r for r in report.references if r.file == "IMG_0415.jpg")
    assert ref.usable
    assert float(ref.metrics["inter_eye_px"] or 0) > 150  # a 507 px face
    assert abs(float(ref.metrics["roll_deg"] or 0)) < 8
    assert abs(float(ref.metrics["yaw_deg"] or 0)) < 12
    assert ref.metrics["identity_distance"] is not None


def _marks(eye_gap: float, roll_deg: float = 0.0, nose_dx: float = 0.0) -> object:
    """dlib's 5 points (one eye's two corners, the other's, nose base) of a face rotated on
    screen by ``roll_deg``; ``nose_dx`` moves the nose along the eye line (a head turn)."""
    half = eye_gap / 2
    frontal = [
        (-half - 5, 0),
        (-half + 5, 0),
        (half - 5, 0),
        (half + 5, 0),
        (nose_dx, eye_gap * 0.6),
    ]
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    points = [(200 + x * c - y * s, 200 + x * s + y * c) for x, y in frontal]
    return landmarks_from_points(points, (0, 0, 400, 400))


def test_landmarks_feed_pose_penalties_in_plain_words() -> None:
    assert landmark_penalties(_marks(200.0)) == ()  # type: ignore[arg-type]
    # A small face costs nothing here: reference scoring's face-size penalty judges it.
    assert landmark_penalties(_marks(50.0)) == ()  # type: ignore[arg-type]
    tilted = landmark_penalties(_marks(200.0, roll_deg=20.0))  # type: ignore[arg-type]
    assert [p.text.split(" (")[0] for p in tilted] == ["head tilted: eyes 20 deg off level"]
    assert tilted[0].points == pytest.approx(6.0, abs=0.3)
    assert tilted[0].kind == "pose"  # replaces the Haar-eye pose penalty, never adds to it
    turned = landmark_penalties(_marks(200.0, nose_dx=200.0 * 0.4 * 0.5))  # type: ignore[arg-type]
    assert len(turned) == 1
    assert "head turned about 27 deg to the right of the picture" in turned[0].text
    assert f"(-{turned[0].points:g})" in turned[0].text
    assert not any("OFIQ" in p.text for p in tilted + turned)
