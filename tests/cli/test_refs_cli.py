"""``pinglass refs``: the table on stderr, the JSON contract on stdout, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
CODES = {None, "unreadable", "no_face", "multiple_faces", "face_too_small", "duplicate"}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    return CliRunner()


@pytest.fixture
def few_refs(tmp_path: Path) -> Path:
    folder = tmp_path / "refs"
    folder.mkdir()
    for name in ("IMG_0412.jpg", "IMG_0444.jpg", "IMG_0447.jpg"):
        shutil.copy(SAMPLE_REFS / name, folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    return folder


def test_json_shape(runner: CliRunner, few_refs: Path) -> None:
    result = runner.invoke(app, ["refs", str(few_refs), "--json"])

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == ["references"]
    refs = doc["references"]
    for entry in refs:
        assert {
            "file",
            "usable",
            "score",
            "rank",
            "rejected_reason",
            "penalties",
            "metrics",
        } <= set(entry)
        assert "face_box" not in entry
        assert 0 <= entry["score"] <= 100
        assert entry["rejected_reason"] in CODES
        assert all(isinstance(p, str) for p in entry["penalties"])
    best = refs[0]
    assert (best["file"], best["usable"], best["rank"], best["rejected_reason"]) == (
        "IMG_0412.jpg",
        True,
        1,
        None,
    )
    assert best["metrics"]["face_px"] > 128
    reasons = {e["file"]: e["rejected_reason"] for e in refs}
    assert reasons["broken.jpg"] == "unreadable"
    assert reasons["IMG_0444.jpg"] == "duplicate"
    assert reasons["IMG_0447.jpg"] == "no_face"


def test_few_usable_photos_warn_with_advice(runner: CliRunner, few_refs: Path) -> None:
    result = runner.invoke(app, ["refs", str(few_refs)])

    assert result.exit_code == 0
    assert "only 1 usable photo" in result.stderr
    assert "well-lit" in result.stderr
    assert "well-lit" not in result.stdout  # the warning is not part of the result
    assert result.stdout.endswith("1 usable of 4.\n")
    quiet = runner.invoke(app, ["refs", str(few_refs), "-q"])
    assert (quiet.stdout, quiet.stderr) == ("1 usable of 4.\n", "")


def test_table_lists_every_photo_with_its_verdict(runner: CliRunner) -> None:
    result = runner.invoke(app, ["refs", str(SAMPLE_REFS)])

    assert result.exit_code == 0
    for name in ("IMG_0412.jpg", "IMG_0447.jpg", "no_face", "duplicate", "face px", "lighting"):
        assert name in result.stdout
    assert "warning" not in result.stderr


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_unusable_folder_exits_2_with_one_line(
    runner: CliRunner, tmp_path: Path, make: str
) -> None:
    folder = tmp_path / "selfies"
    if make == "empty":
        folder.mkdir()

    result = runner.invoke(app, ["refs", str(folder), "--json"])

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2
    assert json.loads(result.stdout)["error"]["kind"] == "refs"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error:")
    assert "selfies" in lines[0]
