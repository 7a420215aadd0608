"""Runs that fail, and re-runs into one folder, as ``pinglass generate`` reports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
TINY = """\
[preset]
name = "tiny"

[defaults]
width = 512
height = 512
{prompts}"""


def _preset(folder: Path, ids: tuple[str, ...], name: str = "tiny") -> Path:
    prompts = "".join(f'\n[[prompts]]\nid = "{i}"\ntext = "portrait {i}"\n' for i in ids)
    path = folder / f"{name}.toml"
    path.write_text(TINY.format(prompts=prompts).replace('"tiny"', f'"{name}"'), "utf-8")
    return path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")
    return CliRunner()


def _generate(runner: CliRunner, preset: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["generate", str(SAMPLE_REFS), "--preset", str(preset), "--provider", "mock"]
    result = runner.invoke(app, [*args, "--out", str(out), "--yes", *extra])
    return result.exit_code, result.stdout, result.stderr


def test_a_run_that_makes_nothing_is_failed_and_names_the_cause_once(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGLASS_MOCK_FAIL_RATE", "1")
    ids = tuple(f"p{i}" for i in range(1, 7))
    code, stdout, stderr = _generate(runner, _preset(tmp_path, ids), tmp_path / "out")
    assert code == 1
    doc = json.loads((tmp_path / "out/report.json").read_text())
    assert doc["status"] == "failed" and doc["totals"]["failed"] == 6
    for row in doc["images"]:  # each failed row says where it was meant to go
        assert (row["provider"], row["model"]) == ("mock", "mock-portrait"), row
        assert "simulated outage" in row["error"]["message"]  # provider_down keeps the cause
    failed_lines = [line for line in stderr.splitlines() if line.lstrip().startswith("failed")]
    assert len(failed_lines) <= 3, stderr  # the cause once (per distinct error), then a count
    assert "simulated outage" in stderr or "more images the same way" in stderr
    assert stdout.startswith("failed: 0 made")


def test_the_report_covers_every_image_in_the_folder(runner: CliRunner, tmp_path: Path) -> None:
    preset = _preset(tmp_path, ("a", "b", "c"))
    out = tmp_path / "out"
    assert _generate(runner, preset, out, "--only", "a,b")[0] == 0
    code, stdout, stderr = _generate(runner, preset, out, "--only", "c")
    assert code == 0, stderr
    doc = json.loads((out / "report.json").read_text())
    assert [(i["prompt_id"], i["status"]) for i in doc["images"]] == [
        ("a", "reused"),
        ("b", "reused"),
        ("c", "succeeded"),
    ]
    assert doc["status"] == "completed" and "1 made, 2 reused" in stdout
    report = runner.invoke(app, ["report", str(out), "-q"])
    assert report.stdout.startswith("completed: 1 made, 2 reused")


def test_another_preset_into_the_same_folder_is_refused_offering_fresh(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert _generate(runner, _preset(tmp_path, ("a",)), out)[0] == 0
    other = _preset(tmp_path, ("a",), name="other")
    code, _, stderr = _generate(runner, other, out)
    assert code == 2
    assert "holds a run of preset 'tiny', not 'other'" in stderr and "--fresh" in stderr
    assert _generate(runner, other, out, "--fresh")[0] == 0


def test_unknown_only_id_hint_names_the_preset_file(runner: CliRunner, tmp_path: Path) -> None:
    preset = _preset(tmp_path, ("a",))
    code, _, stderr = _generate(runner, preset, tmp_path / "out", "--only", "zzz")
    assert code == 2
    assert f"see `pinglass presets show {preset}`" in stderr


def test_progress_counts_reused_images_on_both_sides(runner: CliRunner, tmp_path: Path) -> None:
    preset = _preset(tmp_path, ("a", "b", "c"))
    out = tmp_path / "out"
    assert _generate(runner, preset, out, "--only", "a")[0] == 0
    _, _, stderr = _generate(runner, preset, out)  # a reused, b and c made
    assert "3/3" in stderr and "3/2" not in stderr
    _, _, stderr = _generate(runner, preset, out)  # every image reused
    assert "3/3" in stderr and "3/0" not in stderr
