"""``pinglass generate`` and ``pinglass report`` end to end on the offline mock provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
ONLY = "studio-grey,office-window,boardroom"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("COLUMNS", "120")
    return CliRunner()


def generate(runner: CliRunner, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["generate", str(SAMPLE_REFS), "--provider", "mock", "--out", str(out), *extra]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def report_of(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "report.json").read_text())


def test_generate_writes_images_report_sheet_and_journal(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, stdout, stderr = generate(runner, out, "--only", ONLY, "--yes", "--json")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc == report_of(out)
    assert doc["schema_version"] == 1 and doc["status"] == "completed"
    assert doc["provider_chain"] == ["mock/mock-portrait"]
    assert doc["totals"]["succeeded"] == 3 and doc["totals"]["failed"] == 0
    images = {i["prompt_id"]: i for i in doc["images"]}
    assert set(images) == set(ONLY.split(","))
    for entry in images.values():
        assert entry["status"] == "succeeded"
        assert entry["file"].startswith("images/") and (out / entry["file"]).is_file()
        assert entry["reference"] in {r["file"] for r in doc["references"] if r["used"]}
        assert entry["cost_source"] == "catalog" and entry["attempts"] >= 1
    assert images["boardroom"]["file"] == "images/09-boardroom.jpg"
    assert (out / "contact-sheet.jpg").stat().st_size > 10_000
    journal = (out / "journal.jsonl").read_text().splitlines()
    assert journal and all(json.loads(line) for line in journal)
    rejected = {r["file"]: r["rejected_reason"] for r in doc["references"] if not r["usable"]}
    assert rejected  # sample_refs holds deliberately bad photos
    assert "Traceback" not in stderr


def test_rerun_into_the_same_folder_reuses_every_image(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert generate(runner, out, "--only", ONLY, "--yes")[0] == 0
    first = {p.name: p.stat().st_mtime_ns for p in (out / "images").iterdir()}
    code, _, stderr = generate(runner, out, "--only", ONLY, "--yes")
    assert code == 0, stderr
    doc = report_of(out)
    assert [i["status"] for i in doc["images"]] == ["reused"] * 3
    assert doc["totals"]["reused"] == 3 and doc["totals"]["cost_usd"] == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "images").iterdir()} == first


def test_fresh_keeps_the_earlier_run_aside(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert generate(runner, out, "--only", "studio-grey", "--yes")[0] == 0
    assert generate(runner, out, "--only", "studio-grey", "--yes", "--fresh")[0] == 0
    assert report_of(out)["images"][0]["status"] == "succeeded"
    assert any(p.name.startswith("images.before-") for p in out.iterdir())


def test_dry_run_prices_and_plans_but_sends_nothing(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, stdout, stderr = generate(runner, out, "--dry-run", "--json")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["dry_run"] is True and doc["estimate"]["images"] == 23
    assert len(doc["jobs"]) == 23 and all(len(j["references"]) == 1 for j in doc["jobs"])
    # One reference per prompt, rotated across the chosen top K (default 5).
    assert len({j["references"][0] for j in doc["jobs"]}) == 5
    assert not (out / "images").exists() and not (out / "report.json").exists()


def _priced(tmp_path: Path, price: str) -> None:
    (tmp_path / "pinglass.toml").write_text(f'[prices]\n"mock/mock-portrait" = {price}\n')


def test_estimate_over_max_cost_is_refused_before_any_request(
    runner: CliRunner, tmp_path: Path
) -> None:
    _priced(tmp_path, "0.5")
    out = tmp_path / "run"
    code, _, stderr = generate(runner, out, "--only", ONLY, "--yes", "--max-cost", "1")
    assert code == 3
    assert "$1.5000 for" in stderr and "exceeds --max-cost $1.0000;" in stderr
    doc = report_of(out)
    assert doc["status"] == "refused" and doc["budget"]["estimated_cost_usd"] == 1.5
    assert not (out / "images").exists()


def test_paid_run_without_yes_and_without_a_terminal_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    _priced(tmp_path, "0.01")
    code, _, stderr = generate(runner, tmp_path / "run", "--only", ONLY)
    assert code == 3
    assert "--yes" in stderr and "$0.0300" in stderr
    assert not (tmp_path / "run" / "images").exists()


def test_paid_run_records_catalog_cost_and_folder_cost(runner: CliRunner, tmp_path: Path) -> None:
    _priced(tmp_path, "0.01")
    out = tmp_path / "run"
    assert generate(runner, out, "--only", ONLY, "--yes", "--max-cost", "0.05")[0] == 0
    totals = report_of(out)["totals"]
    assert totals["cost_usd"] == 0.03 and totals["folder_cost_usd"] == 0.03
    assert generate(runner, out, "--only", f"{ONLY},city-park", "--yes")[0] == 0
    totals = report_of(out)["totals"]
    assert totals["cost_usd"] == 0.01 and totals["folder_cost_usd"] == 0.04


def test_failures_exit_1_and_are_reported_per_image(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGLASS_MOCK_FAIL_RATE", "1")
    out = tmp_path / "run"
    code, _, stderr = generate(runner, out, "--only", "studio-grey", "--yes")
    assert code == 1, stderr
    doc = report_of(out)
    assert doc["status"] == "failed" and doc["totals"]["failed"] == 1  # nothing was made
    error = doc["images"][0]["error"]
    assert (
        error["kind"] in {"transient", "provider_down"} and "simulated outage" in error["message"]
    )
    assert doc["totals"]["retries"] >= 1


def test_flaky_provider_is_retried_to_success(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGLASS_MOCK_FAIL_RATE", "0.3")
    monkeypatch.setenv("PINGLASS_MOCK_SEED", "7")
    out = tmp_path / "run"
    code, _, stderr = generate(runner, out, "--only", ONLY, "--yes")
    doc = report_of(out)
    assert code == 0, stderr
    assert doc["totals"]["succeeded"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "no-such-prompt"], "unknown prompt id 'no-such-prompt'"),
        (["--provider", "nope"], "unknown provider 'nope'"),
        (["--model", "nope"], "unknown model 'nope' for mock"),
        (["--max-cost", "-1"], "--max-cost"),
        (["--max-cost", "lots"], "not a number"),
        (["--concurrency", "0"], "--concurrency"),
        (["--preset", "nope"], "nope"),
    ],
)
def test_bad_flags_exit_2_with_one_line(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    code, stdout, stderr = generate(runner, tmp_path / "run", "--yes", *args)
    assert code == 2
    assert message in stderr and stderr.count("\n") == 1
    assert stdout == ""


def test_paid_provider_without_a_key_exits_4(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(SAMPLE_REFS), "--provider", "replicate", "--yes"])
    assert result.exit_code == 4
    assert "REPLICATE_API_TOKEN" in result.stderr


def test_report_command_summarises_and_rebuilds_the_sheet(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert generate(runner, out, "--only", ONLY, "--yes")[0] == 0
    (out / "contact-sheet.jpg").unlink()
    result = runner.invoke(app, ["report", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == report_of(out)
    assert "3 made" in result.stderr and (out / "contact-sheet.jpg").is_file()
    assert "3 made" not in result.stdout  # with --json, stdout holds only the document


def test_report_on_a_folder_without_a_run_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "no report here" in result.stderr
