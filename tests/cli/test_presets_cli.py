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


TWO_PROBLEMS = """\
[preset]
name = "two"

[[prompts]]
id = "a"
text = "fine"
steps = "many"

[[prompts]]
id = "Bad Id"
text = "x"
"""


def test_validate_lists_every_problem_with_its_line(runner: CliRunner) -> None:
    Path("two.toml").write_text(TWO_PROBLEMS, encoding="utf-8")
    result = runner.invoke(app, ["presets", "validate", "two.toml"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: two.toml:7: prompt 1 (id 'a'): steps:")
    assert lines[1].startswith("error: two.toml:10: prompt 2 (id 'Bad Id'): id: must be kebab")
    # Elsewhere (generate, show) the first problem is named with the count, in good grammar.
    shown = runner.invoke(app, ["presets", "show", "two.toml"])
    assert "(and 1 more problem: `pinglass presets validate two.toml` lists them)" in shown.stderr


def test_new_with_a_folder_ending_in_a_slash_writes_name_toml_inside(runner: CliRunner) -> None:
    result = runner.invoke(app, ["presets", "new", "team", "--out", "sub/"])
    assert result.exit_code == 0, result.stderr
    assert Path("sub/team.toml").is_file() and not Path("sub").is_file()
    assert runner.invoke(app, ["presets", "validate", "sub/team.toml"]).exit_code == 0


def test_show_keeps_a_random_seed_random(runner: CliRunner) -> None:
    text = '[preset]\nname = "rnd"\n[defaults]\nseed = "random"\n'
    text += '[[prompts]]\nid = "a"\ntext = "one"\n[[prompts]]\nid = "b"\ntext = "two"\nseed = 5\n'
    Path("rnd.toml").write_text(text, encoding="utf-8")
    first = runner.invoke(app, ["presets", "show", "rnd.toml", "--json"])
    second = runner.invoke(app, ["presets", "show", "rnd.toml", "--json"])
    assert first.stdout == second.stdout  # nothing drawn
    assert [p["seed"] for p in json.loads(first.stdout)["prompts"]] == [None, 5]
    table = runner.invoke(app, ["presets", "show", "rnd.toml"])
    assert "random" in table.stdout and "2 prompts" in table.stdout
    one = Path("one.toml")
    one.write_text('[preset]\nname = "one"\n[[prompts]]\nid = "a"\ntext = "x"\n', "utf-8")
    assert "1 prompt," in runner.invoke(app, ["presets", "validate", "one.toml"]).stdout
