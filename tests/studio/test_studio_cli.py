"""``pinglass generate PEOPLE_DIR`` / ``--manifest`` end to end on the offline mock provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from studio_support import ONLY, PEOPLE, TOO_FEW, make_people
from typer.testing import CliRunner

from pinglass.cli import app
from pinglass.studio.models import StudioReport

pytestmark = pytest.mark.slow


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PINGLASS_MOCK_LATENCY", "0")
    monkeypatch.setenv("PINGLASS_NO_IDENTITY", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return CliRunner()


def studio(runner: CliRunner, source: Path | None, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["generate", *([str(source)] if source else []), "--provider", "mock"]
    args += ["--out", str(out), "--only", ONLY, *extra]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def studio_report(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "studio-report.json").read_text())


def test_a_folder_of_folders_runs_each_person_into_their_own_folder(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = make_people(tmp_path / "people")
    out = tmp_path / "out"
    code, stdout, stderr = studio(runner, people, out, "--yes", "--json")
    assert code == 0, stderr
    assert "studio mode:" in stderr and "folder of 3 folders and no photos" in stderr
    doc = json.loads(stdout)  # one document: studio-report.json
    assert doc == studio_report(out)
    StudioReport.model_validate(doc)
    assert doc["schema_version"] == 1 and doc["status"] == "completed"
    assert doc["source"] == "folder"
    assert [p["person"] for p in doc["people"]] == list(PEOPLE)
    for entry in doc["people"]:
        name = entry["person"]
        assert entry["status"] == "completed" and entry["reason"] is None
        assert entry["counts"] == {"succeeded": 3, "reused": 0, "failed": 0, "not_run": 0}
        assert entry["report"] == f"{name}/report.json" and entry["gallery"] == f"{name}/index.html"
        assert entry["refs_usable"] == 3
        report = json.loads((out / name / "report.json").read_text())
        assert report["status"] == "completed" and len(report["images"]) == 3
        used = {r["file"] for r in report["references"] if r["used"]}
        assert used and used <= {f"{s}.jpg" for s in PEOPLE[name]}  # their own references
        for rel in ("journal.jsonl", "contact-sheet.jpg", "index.html"):
            assert (out / name / rel).is_file()
    assert doc["totals"]["people"] == 3 and doc["totals"]["completed"] == 3
    assert doc["totals"]["counts"]["succeeded"] == 9
    html = (out / "index.html").read_text()
    for name in PEOPLE:
        assert f'href="{name}/index.html"' in html and f'src="{name}/thumbs/' in html


def test_rerunning_the_same_command_resumes_every_person(runner: CliRunner, tmp_path: Path) -> None:
    people = make_people(tmp_path / "people")
    out = tmp_path / "out"
    assert studio(runner, people, out, "--yes")[0] == 0
    images = {p: p.stat().st_mtime_ns for p in out.glob("*/images/*")}
    code, stdout, stderr = studio(runner, people, out, "--yes")
    assert code == 0, stderr
    doc = studio_report(out)
    assert doc["totals"]["counts"] == {"succeeded": 0, "reused": 9, "failed": 0, "not_run": 0}
    assert all(p["counts"]["reused"] == 3 for p in doc["people"])
    assert "0 made, 9 reused" in stdout
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/images/*")} == images


def test_a_person_with_too_few_usable_photos_is_skipped_and_the_others_run(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = make_people(tmp_path / "people", {"ana": PEOPLE["ana"], "dora": TOO_FEW})
    out = tmp_path / "out"
    code, stdout, stderr = studio(runner, people, out, "--yes")
    assert code == 1, stderr  # the run did not make everything asked for
    assert "skipping dora: only 2 usable reference photos of 4 (need 3)" in stderr
    doc = studio_report(out)
    assert doc["status"] == "partial"
    ana, dora = doc["people"]
    assert ana["status"] == "completed" and ana["counts"]["succeeded"] == 3
    assert dora["status"] == "skipped" and "no_face" in dora["reason"]
    assert dora["report"] is None and not (out / "dora").exists()
    assert doc["totals"]["skipped"] == 1 and doc["totals"]["completed"] == 1
    assert 'data-person="dora" data-status="skipped"' in (out / "index.html").read_text()


def test_nobody_to_run_is_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    people = make_people(tmp_path / "people", {"dora": TOO_FEW})
    code, _, stderr = studio(runner, people, tmp_path / "out", "--yes")
    assert code == 2 and "no person can run (dora: only 2 usable" in stderr


def test_the_estimate_covers_everyone_and_one_cap_refuses_the_sum(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "pinglass.toml").write_text('[prices]\n"mock/mock-portrait" = 0.01\n')
    people = make_people(tmp_path / "people")
    out = tmp_path / "out"
    # Each person alone ($0.03) fits under $0.05; the three together ($0.09) do not.
    code, stdout, stderr = studio(runner, people, out, "--max-cost", "0.05", "--yes")
    assert code == 3, stderr
    assert "estimated $0.0900 for 9 images over 3 people exceeds --max-cost $0.0500" in stderr
    for name in PEOPLE:  # a row per person, then the total, on stdout
        assert any(line.startswith(name) and "$0.0300" in line for line in stdout.splitlines())
    assert any(line.startswith("total") and "$0.0900" in line for line in stdout.splitlines())
    doc = studio_report(out)
    assert doc["status"] == "refused" and doc["budget"]["estimated_cost_usd"] == 0.09
    assert not any((out / name).exists() for name in PEOPLE)


def test_the_budget_is_spent_over_everyone(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "pinglass.toml").write_text('[prices]\n"mock/mock-portrait" = 0.01\n')
    people = make_people(tmp_path / "people")
    out = tmp_path / "out"
    code, _, stderr = studio(runner, people, out, "--max-cost", "0.09", "--yes")
    assert code == 0, stderr
    doc = studio_report(out)
    assert doc["totals"]["cost_usd"] == 0.09 and doc["budget"]["max_cost_usd"] == 0.09
    assert [p["cost_usd"] for p in doc["people"]] == [0.03, 0.03, 0.03]


def test_a_manifest_runs_its_people(runner: CliRunner, tmp_path: Path) -> None:
    make_people(tmp_path / "sets")
    manifest = tmp_path / "people.csv"
    manifest.write_text("person,refs,preset\nAna Lima,sets/ana,business\nben,sets/ben,\n")
    out = tmp_path / "out"
    code, stdout, stderr = studio(runner, None, out, "--manifest", str(manifest), "--yes")
    assert code == 0, stderr
    assert "manifest" in stderr and "lists 2 people" in stderr
    doc = studio_report(out)
    assert doc["source"] == "manifest"
    assert [p["person"] for p in doc["people"]] == ["Ana Lima", "ben"]
    assert (out / "Ana Lima" / "report.json").is_file()
    assert 'href="Ana%20Lima/index.html"' in (out / "index.html").read_text()


def test_a_bad_manifest_is_one_line_and_exit_2_also_in_json(
    runner: CliRunner, tmp_path: Path
) -> None:
    manifest = tmp_path / "people.csv"
    manifest.write_text("person,refs,preset\nana,nowhere,business\n")
    code, stdout, stderr = studio(runner, None, tmp_path / "out", "--manifest", str(manifest))
    assert code == 2
    assert f"{manifest}:2: refs 'nowhere' is not a folder" in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    code, stdout, _ = studio(runner, None, tmp_path / "out", "--manifest", str(manifest), "--json")
    assert code == 2
    assert json.loads(stdout)["error"]["kind"] == "usage"


def test_a_dry_run_prices_everyone_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    people = make_people(tmp_path / "people")
    out = tmp_path / "out"
    code, stdout, stderr = studio(runner, people, out, "--dry-run", "--json")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["dry_run"] and doc["studio"] and doc["estimate"]["images"] == 9
    assert [p["person"] for p in doc["people"]] == list(PEOPLE)
    assert not out.exists()


def test_a_person_whose_provider_has_no_key_is_skipped_and_the_others_run(
    runner: CliRunner, tmp_path: Path
) -> None:
    make_people(tmp_path / "sets")
    manifest = tmp_path / "people.csv"
    manifest.write_text("person,refs,preset,provider\nana,sets/ana,,\nben,sets/ben,,replicate\n")
    out = tmp_path / "out"
    code, _, stderr = studio(runner, None, out, "--manifest", str(manifest), "--yes")
    assert code == 1, stderr
    assert "skipping ben: no key for replicate" in stderr
    ana, ben = studio_report(out)["people"]
    assert ana["status"] == "completed" and ana["counts"]["succeeded"] == 3
    assert ben["status"] == "skipped" and "REPLICATE_API_TOKEN" in ben["reason"]


def test_nobody_with_a_key_exits_4_as_a_single_run_would(runner: CliRunner, tmp_path: Path) -> None:
    people = make_people(tmp_path / "people")
    result = runner.invoke(
        app, ["generate", str(people), "--provider", "replicate", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 4 and "no key for replicate" in result.stderr


def test_ctrl_c_stops_everyone_and_a_rerun_resumes(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    people = make_people(tmp_path / "people")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGLASS_")}
    env |= {"PINGLASS_MOCK_LATENCY": "0.5", "PINGLASS_NO_IDENTITY": "1"}
    args = [sys.executable, "-m", "pinglass", "generate", str(people), "--provider", "mock"]
    args += ["--yes", "--concurrency", "2", "--out", "out"]
    proc = subprocess.Popen(  # noqa: S603 - our own CLI under this interpreter
        args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    report = tmp_path / "out/ana/report.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = sum(i["status"] == "succeeded" for i in json.loads(report.read_text())["images"])
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "stopping: no new images for anyone" in stderr
    doc = studio_report(tmp_path / "out")
    assert doc["status"] == "aborted"
    made = doc["totals"]["counts"]["succeeded"]
    assert 2 <= made < 69 and doc["totals"]["counts"]["not_run"] == 69 - made
    rerun = subprocess.run(  # noqa: S603
        [*args[:-2], "--out", "out", "--only", ONLY],
        cwd=tmp_path,
        env=env | {"PINGLASS_MOCK_LATENCY": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    ana = studio_report(tmp_path / "out")["people"][0]
    assert ana["counts"]["reused"] >= 1  # what the stopped run made in ana's folder is kept
