"""``pinglass providers``: the catalog table and its JSON."""

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


def test_json_lists_models_with_key_variables_and_configured(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "fal-key-0000000000000000")
    result = runner.invoke(app, ["providers", "--json"])
    assert result.exit_code == 0
    rows = {f"{m['provider']}/{m['model']}": m for m in json.loads(result.stdout)["models"]}
    pulid = rows["replicate/flux-pulid"]
    assert pulid["vendor_id"] == "bytedance/flux-pulid"
    assert pulid["references"] == "one" and pulid["identity"] is True and pulid["default"]
    assert pulid["key_env_vars"] == ["REPLICATE_API_TOKEN"] and pulid["configured"] is False
    assert rows["fal/flux-pulid"]["configured"] is True
    assert rows["openai/gpt-image-2"]["default"] is True
    assert "openai/gpt-image-1" not in rows
    assert "fal-key-0000000000000000" not in result.stdout


def test_table_on_stdout_with_retired_on_request(runner: CliRunner) -> None:
    result = runner.invoke(app, ["providers", "--retired"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "replicate/flux-pulid *" in result.stdout
    assert "gpt-image-1 (retired)" in result.stdout
    assert "STABILITY_API_KEY or STABILITY_KEY" in result.stdout
    assert "Prices checked 2026-" in result.stdout
