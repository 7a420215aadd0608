"""``pinglass train`` and ``pinglass subjects`` end to end (mock trainer; refusals before spend)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app
from pinglass.identity import available

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
CLEAN = ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg", "IMG_0427.jpg", "IMG_0450.jpg")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    folder = tmp_path / "alex-selfies"
    folder.mkdir()
    for name in CLEAN:
        shutil.copy(SAMPLE_REFS / name, folder / name)
    return folder


def test_mock_training_writes_subject_crops_and_lists_it(
    runner: CliRunner, refs: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["train", str(refs), "--provider", "mock", "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    folder = tmp_path / "subjects" / "alex-selfies"  # the name defaults to the folder's
    assert doc == json.loads((folder / "subject.json").read_text())
    assert doc["schema_version"] == 1 and doc["provider"] == "mock"
    assert doc["trigger_phrase"] == f"{doc['trigger_word']} person"
    assert doc["generation_model"] == "mock/mock-portrait" and doc["cost_usd"] == 0
    assert {r["file"] for r in doc["refs"]} == set(CLEAN)
    for ref in doc["refs"]:
        crop = folder / ref["crop"]
        assert crop.is_file() and len(ref["sha256"]) == 64
    assert f"only {len(CLEAN)} usable photo(s)" in result.stderr  # fewer than 8: said so
    assert "per run" in result.stderr and "23-image session" in result.stderr

    listed = runner.invoke(app, ["subjects", "--json"])
    assert listed.exit_code == 0, listed.stderr
    [row] = json.loads(listed.stdout)["subjects"]
    assert row["name"] == "alex-selfies" and row["status"] == "trained"
    assert row["cost_so_far_usd"] == 0 and row["provider"] == "mock"

    again = runner.invoke(app, ["train", str(refs), "--provider", "mock", "--json"])
    assert again.exit_code == 2
    assert json.loads(again.stdout)["error"]["exit_code"] == 2
    assert "already trained" in again.stderr


def test_training_over_max_cost_is_refused_before_anything_is_sent(
    runner: CliRunner, refs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "fal-not-used-00000001")
    args = ["train", str(refs), "--provider", "fal", "--name", "alex", "--max-cost", "1"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 3 and "over --max-cost $1.00" in error["message"]
    assert "$6.0000" in result.stderr  # 2500 steps x $0.0024 per step, shown before asking
    assert not (Path("subjects") / "alex" / "training.jsonl").exists()


def test_an_unconfirmed_paid_training_is_refused_without_a_tty(
    runner: CliRunner, refs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_not_used_000000001")
    result = runner.invoke(app, ["train", str(refs), "--provider", "replicate", "--name", "al"])
    assert result.exit_code == 3
    assert "needs confirmation" in result.stderr and "per GPU second" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--provider", "fal"], 4, "no key for fal: set FAL_KEY"),
        (["--provider", "openai"], 2, "cannot train"),
        (["--provider", "mock", "--name", "Bad Name"], 2, "--name 'Bad Name'"),
        (["--provider", "mock", "--steps", "0"], 2, "--steps 0"),
        (["--provider", "mock", "--max-cost", "abc"], 2, "--max-cost 'abc'"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(
    runner: CliRunner, refs: Path, args: list[str], code: int, text: str
) -> None:
    result = runner.invoke(app, ["train", str(refs), *args])
    assert result.exit_code == code
    assert text in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not available(), reason="needs the identity extra")
def test_train_refuses_refs_that_fail_not_same_person(
    runner: CliRunner, refs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A threshold this strict puts her relit copies beyond it: they count as someone else.
    monkeypatch.setenv("PINGLASS_IDENTITY_THRESHOLD", "0.05")
    result = runner.invoke(app, ["train", str(refs), "--provider", "mock", "--name", "x"])
    assert result.exit_code == 2
    assert "not_same_person" in result.stderr and "refusing to train" in result.stderr
    assert not Path("subjects/x").exists()


def test_subjects_without_any(runner: CliRunner) -> None:
    result = runner.invoke(app, ["subjects"])
    assert result.exit_code == 0 and "no subjects" in result.stdout  # the result, on stdout
    shown = runner.invoke(app, ["subjects", "--show", "nobody"])
    assert shown.exit_code == 2 and "no such subject" in shown.stderr
