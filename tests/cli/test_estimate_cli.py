"""``pinglass estimate``: the comparison, one model, the no-reference warning, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pinglass.cli import app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    return CliRunner()


def test_comparison_json_identity_first_cheapest_first(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_0000000000000000abcd")
    result = runner.invoke(app, ["estimate", "--preset", "business", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["preset"] == "business" and doc["images"] == 23 and doc["size"] == "896x1152"
    models = doc["models"]
    assert models[0]["identity"] is True
    identity_runs = [m["run_usd"] for m in models if m["identity"]]
    assert identity_runs == sorted(identity_runs)
    assert all(m["warning"] for m in models if m["references"] == "none")
    assert {m["key_configured"] for m in models if m["provider"] == "replicate"} == {True}


def test_default_preset_and_table_with_warning_footnote(runner: CliRunner) -> None:
    result = runner.invoke(app, ["estimate"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "business: 23 images at 896x1152" in result.stdout
    assert "will not look like the person" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("business: 23 images; cheapest")


def test_one_model_without_references_warns(runner: CliRunner) -> None:
    result = runner.invoke(app, ["estimate", "--provider", "fal", "--model", "flux-dev"])
    assert result.exit_code == 0
    assert "warning:" in result.stderr
    assert "the portraits will not look like the person" in result.stderr


def test_one_identity_model_does_not_warn(runner: CliRunner) -> None:
    result = runner.invoke(app, ["estimate", "--provider", "replicate", "--json"])
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)["models"]
    assert row["model"] == "flux-pulid" and row["warning"] is None
    assert "warning:" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nope"], "unknown provider"),
        (["--provider", "fal", "--model", "nope"], "unknown model"),
        (["--preset", "no-such-preset"], "no-such-preset"),
    ],
)
def test_bad_input_exits_2_with_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["estimate", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_provider_list_and_provider_model_as_generate_takes_them(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["estimate", "--provider", "replicate,fal/flux-pulid,fal/photomaker", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    keys = [f"{m['provider']}/{m['model']}" for m in json.loads(result.stdout)["models"]]
    assert sorted(keys) == ["fal/flux-pulid", "fal/photomaker", "replicate/flux-pulid"]
    quiet = runner.invoke(app, ["estimate", "--provider", "fal/flux-pulid", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == "business: 23 images on fal/flux-pulid: $0.7906\n"


@pytest.mark.parametrize(
    ("args", "replacement"),
    [
        (["--model", "gpt-image-1"], "gpt-image-2"),
        (["--provider", "google", "--model", "imagen-4"], "gemini-3.1-flash-image"),
    ],
)
def test_retired_model_is_refused_with_its_replacement(
    runner: CliRunner, args: list[str], replacement: str
) -> None:
    result = runner.invoke(app, ["estimate", *args, "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert "is retired" in error["message"] and f"--model {replacement}" in error["message"]


def test_json_keeps_the_typical_run_and_adds_the_worst_case(runner: CliRunner) -> None:
    result = runner.invoke(app, ["estimate", "--provider", "replicate,fal/flux-pulid", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {m["provider"]: m for m in json.loads(result.stdout)["models"]}
    pulid = rows["replicate"]  # $0.0014/s, 16 s typical, 64 s deadline
    assert (pulid["run_usd"], pulid["per_image_usd"]) == (0.5152, 0.0224)
    assert (pulid["worst_case_usd"], pulid["worst_per_image_usd"]) == (2.0608, 0.0896)
    assert pulid["deadline_s"] == 64
    fal = rows["fal"]  # per megapixel: the worst case is the run's price
    assert fal["deadline_s"] is None and fal["worst_case_usd"] == fal["run_usd"]


def test_one_per_second_model_says_typical_and_worst_case(runner: CliRunner) -> None:
    result = runner.invoke(app, ["estimate", "--provider", "replicate", "-q"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "business: 23 images on replicate/flux-pulid: $0.5152 typical, worst case $2.0608\n"
    )


def test_comparison_at_80_columns_is_one_table_with_the_worst_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "dumb")
    result = CliRunner().invoke(app, ["estimate"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    rule = next(line for line in lines if "──" in line)
    assert len(rule) <= 80
    header = lines[lines.index(rule) - 1].split()
    assert header[:3] == ["provider/model", "run", "worst"]
    pulid = next(line for line in lines if line.startswith("replicate/flux-pulid "))
    assert pulid.split()[1:3] == ["$0.5152", "$2.0608"]
    fal = next(line for line in lines if line.startswith("fal/flux-pulid "))
    assert fal.split()[1:3] == ["$0.7906", "one"]  # per megapixel: no separate worst case
    assert "worst: what generate reserves against --max-cost" in " ".join(result.stdout.split())
