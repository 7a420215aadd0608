"""``pinglass generate --min-likeness X --reroll N`` and the likeness it reports, on the mock."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app
from pinglass.identity import available, unavailable_reason

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
ONLY = "studio-grey,boardroom"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


def _generate(runner: CliRunner, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["generate", str(SAMPLE_REFS), "--provider", "mock", "--out", str(out), "--yes"]
    result = runner.invoke(app, [*args, "--only", ONLY, *extra])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--min-likeness", "1.5"), "--min-likeness 1.5: must be between 0 and 1"),
        (("--min-likeness", "0.5", "--reroll", "-1"), "--reroll -1: must be 0 or more"),
        (("--reroll", "2"), "--reroll needs --min-likeness"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    runner: CliRunner, tmp_path: Path, flags: tuple[str, ...], message: str
) -> None:
    code, stdout, stderr = _generate(runner, tmp_path / "out", *flags)
    assert code == 2
    assert message in stderr and "Traceback" not in stderr
    assert stdout == ""


def test_min_likeness_without_the_extra_says_how_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)
    code, _, stderr = _generate(runner, tmp_path / "out", "--min-likeness", "0.5")
    assert code == 2
    assert "pinglass[identity]" in stderr and "Traceback" not in stderr


@pytest.mark.skipif(not available(), reason=unavailable_reason() or "identity extra missing")
def test_json_report_carries_likeness_and_rerolls(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _generate(runner, out, "--json", "--min-likeness", "1", "--reroll", "1")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["totals"]["rerolls"] == 1
    assert all(i["likeness"]["score"] > 0.9 for i in doc["images"])
    assert doc["identity"]["scored"] == 2
    assert "likeness: mean" in stderr and "1 re-roll " in stderr
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0
    assert "weakest likeness" in report.stderr + report.stdout


@pytest.mark.skipif(not available(), reason=unavailable_reason() or "identity extra missing")
def test_rerun_takes_the_reused_images_likeness_from_the_record(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert _generate(runner, out)[0] == 0
    record = out / "images" / ".likeness.jsonl"
    scored = record.read_text()
    assert len(scored.splitlines()) == 2  # one line per image scored
    first = json.loads((out / "report.json").read_text())

    code, _, stderr = _generate(runner, out)
    assert code == 0, stderr
    again = json.loads((out / "report.json").read_text())
    assert [i["status"] for i in again["images"]] == ["reused", "reused"]
    assert record.read_text() == scored  # neither image was scored again
    assert [i["likeness"] for i in again["images"]] == [i["likeness"] for i in first["images"]]
    assert again["identity"]["scored"] == 2
