"""``train`` → ``generate --subject`` → ``subjects``: the whole path on the mock, and the prices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
CLEAN = ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg", "IMG_0427.jpg")
ONLY = "studio-grey,office-window"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


@pytest.fixture
def demo(runner: CliRunner, tmp_path: Path) -> dict[str, object]:
    refs = tmp_path / "refs"
    refs.mkdir()
    for name in CLEAN:
        shutil.copy(SAMPLE_REFS / name, refs / name)
    result = runner.invoke(
        app, ["train", str(refs), "--provider", "mock", "--name", "demo", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_generate_with_a_subject_uses_its_crops_and_trigger_and_counts_its_cost(
    runner: CliRunner, demo: dict[str, object], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = ["generate", "--subject", "demo", "--provider", "mock", "--out", str(out)]
    result = runner.invoke(app, [*args, "--only", ONLY, "--yes", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "completed" and report["provider_chain"] == ["mock/mock-portrait"]
    phrase = str(demo["trigger_phrase"])
    assert all(phrase in image["prompt"] for image in report["images"])
    assert all("the person" not in image["prompt"].lower() for image in report["images"])
    crops = {Path(str(r["crop"])).name for r in demo["refs"]}  # type: ignore[attr-defined]
    assert {r["file"] for r in report["references"] if r["used"]} <= crops
    assert (out / "contact-sheet.jpg").is_file()

    listed = json.loads(runner.invoke(app, ["subjects", "--json"]).stdout)["subjects"]
    assert listed[0]["name"] == "demo" and listed[0]["sessions"] == 1


def test_generate_with_a_subject_refuses_another_provider(
    runner: CliRunner, demo: dict[str, object]
) -> None:
    result = runner.invoke(app, ["generate", "--subject", "demo", "--provider", "fal", "--yes"])
    assert result.exit_code == 2
    assert "trained on mock" in result.stderr


def test_generate_needs_refs_or_a_subject(runner: CliRunner) -> None:
    result = runner.invoke(app, ["generate", "--provider", "mock"])
    assert result.exit_code == 2 and "REFS" in result.stderr


def test_estimate_prices_a_subject(runner: CliRunner, demo: dict[str, object]) -> None:
    result = runner.invoke(app, ["estimate", "--subject", "demo", "--json"])
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)["models"]
    assert (row["provider"], row["model"]) == ("mock", "mock-portrait")
    assert row["run_usd"] == 0
    missing = runner.invoke(app, ["estimate", "--subject", "nobody"])
    assert missing.exit_code == 2 and "no such subject" in missing.stderr
