"""``pinglass presets``: exit codes, JSON on stdout, one-line errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinglass.cli import app

BROKEN = """\
[preset]
name = "broken"

[[prompts]]
id = "a"
text = "fine"

[[prompts]]
id = "b"
steps = "many"
text = "x"
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # A wide, plain terminal so one-line messages stay on one line.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    return CliRunner()


def test_list_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "list", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [p["name"] for p in doc["presets"]] == ["business", "casual", "creative"]
    assert {p["prompt_count"] for p in doc["presets"]} == {23}


def test_list_table_goes_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "list"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "business" in result.stdout and "23" in result.stdout
    quiet = runner.invoke(app, ["presets", "list", "-q"])
    assert quiet.stdout == "3 stock presets: business, casual, creative\n"


def test_show_json_is_the_resolved_preset(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "show", "business", "--seed", "7", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["name"] == "business"
    assert doc["defaults"]["seed"] == "per-prompt"
    assert [p["seed"] for p in doc["prompts"]] == list(range(7, 30))
    assert doc["prompts"][0]["id"] == "studio-grey"
    assert doc["prompts"][0]["width"] == 896


def test_show_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "show", "creative"])
    assert result.exit_code == 0
    assert "film-noir" in result.stdout and "23 prompts" in result.stdout


def test_show_unknown_name_is_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "show", "nope"])
    assert result.exit_code == 2
    assert "unknown preset 'nope'" in result.stderr
    assert "Traceback" not in result.output


def test_validate_ok(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "validate", "casual"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok ") and "23 prompts" in result.stdout


def test_validate_broken_file_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    Path("broken.toml").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["presets", "validate", "broken.toml"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: broken.toml:10: prompt 2 (id 'b'): steps: Input should be a valid integer"
        " (got 'many')"
    ]
    assert "Traceback" not in result.output


def test_validate_json(runner: CliRunner) -> None:
    Path("broken.toml").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["presets", "validate", "broken.toml", "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"]["message"].startswith("broken.toml:10: prompt 2")
    assert doc["error"]["exit_code"] == 2 and doc["error"]["kind"] == "preset"
    assert doc["problems"] == [
        {
            "file": "broken.toml",
            "line": 10,
            "message": "prompt 2 (id 'b'): steps: Input should be a valid integer (got 'many')",
        }
    ]
    result = runner.invoke(app, ["presets", "validate", "business", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) | {"ok": True, "error": None} == json.loads(result.stdout)


def test_validate_syntax_error(runner: CliRunner) -> None:
    Path("bad.toml").write_text('[preset]\nname = "x" y\n', encoding="utf-8")
    result = runner.invoke(app, ["presets", "validate", "bad.toml"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: bad.toml:2:12: TOML syntax error")
    assert "Traceback" not in result.output


def test_new_writes_a_scaffold_that_validates(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "new", "team-shots", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"path": "team-shots.toml"}
    assert runner.invoke(app, ["presets", "validate", "team-shots.toml"]).exit_code == 0
    again = runner.invoke(app, ["presets", "new", "team-shots"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr


def test_new_into_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    result = runner.invoke(app, ["presets", "new", "solo", "--out", "mine"])
    assert result.exit_code == 0
    assert (tmp_path / "mine" / "solo.toml").is_file()
    assert "wrote mine/solo.toml" in result.stdout
