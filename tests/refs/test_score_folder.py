"""score_folder on the committed sample_refs (ground truth), on broken folders, and its seams."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from refs_helpers import SAMPLE_REFS

from pinglass.errors import RefsError
from pinglass.refs import (
    CheckOutcome,
    FacePhoto,
    RefScore,
    RefsReport,
    score_folder,
    select,
)

CLEAN = {
    "IMG_0412.jpg",
    "IMG_0415.jpg",
    "IMG_0419.jpg",
    "IMG_0423.jpg",
    "IMG_0427.jpg",
    "IMG_0450.jpg",
}
# degraded but usable photo -> the words its penalty must contain
PENALISED = {
    "IMG_0431.jpg": "blurred",
    "IMG_0436.jpg": "too dark",
    "IMG_0438.jpg": "uneven light",
}
REJECTED = {
    "IMG_0441.jpg": "face_too_small",
    "IMG_0444.jpg": "duplicate",
    "IMG_0447.jpg": "no_face",
    "IMG_0453.jpg": "multiple_faces",
}


@pytest.fixture(scope="module")
def report() -> RefsReport:
    return score_folder(SAMPLE_REFS)


def _by_file(report: RefsReport) -> dict[str, RefScore]:
    return {ref.file: ref for ref in report.references}


def test_every_sample_is_reported(report: RefsReport) -> None:
    assert {r.file for r in report.references} == CLEAN | set(PENALISED) | set(REJECTED)


def test_clean_photos_rank_above_degraded_ones(report: RefsReport) -> None:
    refs = _by_file(report)
    worst_clean = max(refs[f].rank or 99 for f in CLEAN)
    best_degraded = min(refs[f].rank or 99 for f in PENALISED)
    assert worst_clean < best_degraded
    assert min(refs[f].score for f in CLEAN) > max(refs[f].score for f in PENALISED)


@pytest.mark.parametrize(("file", "words"), sorted(PENALISED.items()))
def test_degraded_photo_is_penalised_for_the_right_reason(
    report: RefsReport, file: str, words: str
) -> None:
    ref = _by_file(report)[file]
    assert ref.usable
    assert words in ref.penalties[0], ref.penalties  # the biggest penalty names the problem


@pytest.mark.parametrize(("file", "code"), sorted(REJECTED.items()))
def test_bad_photo_is_rejected_for_the_right_reason(
    report: RefsReport, file: str, code: str
) -> None:
    ref = _by_file(report)[file]
    assert (ref.usable, ref.rank, ref.rejected_reason) == (False, None, code)
    assert ref.detail


def test_duplicate_names_the_better_photo(report: RefsReport) -> None:
    assert "IMG_0412.jpg" in (_by_file(report)["IMG_0444.jpg"].detail or "")


def test_order_and_ranks(report: RefsReport) -> None:
    usable = [r for r in report.references if r.usable]
    assert report.references[: len(usable)] == usable  # rejected last
    assert [r.rank for r in usable] == list(range(1, len(usable) + 1))
    assert [r.score for r in usable] == sorted((r.score for r in usable), reverse=True)


def test_penalties_say_how_many_points(report: RefsReport) -> None:
    for ref in report.usable:
        deducted = sum(float(p.rsplit("(-", 1)[1].rstrip(")")) for p in ref.penalties)
        assert ref.score == pytest.approx(100 - deducted, abs=0.2)


def test_json_keeps_internal_data_out(report: RefsReport) -> None:
    entry = report.model_dump(mode="json")["references"][0]
    assert set(entry) == {
        "file", "usable", "score", "rank", "rejected_reason", "detail", "penalties", "metrics"
    }  # fmt: skip
    assert report.references[0].face_box is not None


def test_select_takes_the_top_k(report: RefsReport) -> None:
    top = select(report, 3)
    assert [r.rank for r in top] == [1, 2, 3]
    assert len(select(report, 50)) == len(report.usable)


def test_bad_files_are_unreadable_and_the_run_goes_on(tmp_path: Path) -> None:
    for name in ("IMG_0412.jpg", "IMG_0447.jpg"):
        shutil.copy(SAMPLE_REFS / name, tmp_path / name)
    (tmp_path / "zero.jpg").write_bytes(b"")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "notes.txt").write_text("ignored: not an image name")

    refs = _by_file(score_folder(tmp_path, workers=1))

    assert set(refs) == {"IMG_0412.jpg", "IMG_0447.jpg", "zero.jpg", "junk.png"}
    assert refs["IMG_0412.jpg"].rank == 1
    assert refs["zero.jpg"].rejected_reason == "unreadable"
    assert "empty" in (refs["zero.jpg"].detail or "")
    assert refs["junk.png"].rejected_reason == "unreadable"


@pytest.mark.parametrize("case", ["missing", "file", "empty", "no-images"])
def test_unusable_folder_raises_one_line(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "refs"
    if case == "file":
        folder.write_text("x")
    elif case == "empty":
        folder.mkdir()
    elif case == "no-images":
        folder.mkdir()
        (folder / "readme.txt").write_text("x")
    with pytest.raises(RefsError) as info:
        score_folder(folder)
    assert str(folder) in str(info.value)
    assert "\n" not in str(info.value)


class RejectFirst:
    """A fake identity check: says the lowest-scoring photo is someone else."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, photos: Sequence[FacePhoto]) -> Mapping[str, CheckOutcome]:
        self.seen = [p.file for p in photos]
        worst = min(photos, key=lambda p: p.score)
        return {worst.file: CheckOutcome(reason="not_same_person", detail="different face")}


def test_face_check_seam_can_reject(tmp_path: Path) -> None:
    for name in ("IMG_0412.jpg", "IMG_0419.jpg", "IMG_0447.jpg"):
        shutil.copy(SAMPLE_REFS / name, tmp_path / name)
    check = RejectFirst()

    refs = _by_file(score_folder(tmp_path, face_check=check))

    assert sorted(check.seen) == ["IMG_0412.jpg", "IMG_0419.jpg"]  # only photos with a face
    assert refs["IMG_0419.jpg"].rejected_reason == "not_same_person"
    assert refs["IMG_0412.jpg"].rank == 1


class PoseIsFine:
    """A fake landmark check: measured the pose of every photo and found nothing to penalise."""

    def __call__(self, photos: Sequence[FacePhoto]) -> Mapping[str, CheckOutcome]:
        return {p.file: CheckOutcome(judged=frozenset({"pose"})) for p in photos}


def test_a_check_that_judged_the_pose_overrules_the_eye_cascade(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_REFS / "IMG_0419.jpg", tmp_path / "IMG_0419.jpg")  # eyes 12 deg off level
    alone = _by_file(score_folder(tmp_path))["IMG_0419.jpg"]
    assert any("head tilted" in p for p in alone.penalties)

    judged = _by_file(score_folder(tmp_path, face_check=PoseIsFine()))["IMG_0419.jpg"]

    assert not any("head tilted" in p for p in judged.penalties)
    assert judged.score > alone.score
