"""``pinglass test-keys``: JSON contract, masked keys, exit codes 0 / 1 / 4."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from typer.testing import CliRunner

from pinglass.cli import app

GOOD = "r8_GOODGOODGOODGOOD1111"
BAD = "r8_BADBADBADBADBADB2222"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    return CliRunner()


def mount_replicate(router: respx.MockRouter) -> respx.Route:
    return router.get("https://api.replicate.com/v1/account").mock(
        side_effect=lambda request: (
            httpx.Response(200, json={"username": "me"})
            if request.headers["Authorization"] == f"Bearer {GOOD}"
            else httpx.Response(401, json={"detail": "Invalid token."})
        )
    )


def test_json_contract_and_exit_1_when_a_key_fails(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, no_network: respx.MockRouter
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", GOOD)
    monkeypatch.setenv("REPLICATE_API_TOKEN_2", BAD)
    route = mount_replicate(no_network)
    result = runner.invoke(app, ["test-keys", "--json"])
    assert result.exit_code == 1
    assert route.call_count == 2
    doc = json.loads(result.stdout)
    assert list(doc) == ["keys"]
    first, second = doc["keys"]
    assert {"provider", "key", "ok", "error", "latency_ms", "balance"} <= set(first)
    assert first["provider"] == "replicate" and first["ok"] is True and first["error"] is None
    assert second["ok"] is False and "Invalid token" in second["error"]
    assert first["key"] == "r8_…1111"
    for secret in (GOOD, BAD):
        assert secret not in result.stdout and secret not in result.stderr


def test_all_good_exits_0_with_a_table_on_stdout(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, no_network: respx.MockRouter
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", GOOD)
    monkeypatch.setenv("STABILITY_API_KEY", "sk-STABSTABSTABSTAB3333")
    mount_replicate(no_network)
    no_network.get("https://api.stability.ai/v1/user/balance").respond(json={"credits": 12})
    result = runner.invoke(app, ["test-keys"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "replicate" in result.stdout and "stability" in result.stdout
    assert "12 credits" in result.stdout
    assert result.stdout.endswith("2 keys: 2 ok, 0 failed\n")
    assert GOOD not in result.stdout


def test_provider_filter(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, no_network: respx.MockRouter
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", BAD)
    monkeypatch.setenv("STABILITY_API_KEY", "sk-STABSTABSTABSTAB3333")
    no_network.get("https://api.stability.ai/v1/user/balance").respond(json={"credits": 1})
    result = runner.invoke(app, ["test-keys", "--provider", "stability", "--json"])
    assert result.exit_code == 0
    assert [k["provider"] for k in json.loads(result.stdout)["keys"]] == ["stability"]


def test_no_key_configured_exits_4_naming_the_variables(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test-keys"])
    assert result.exit_code == 4
    assert "REPLICATE_API_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    as_json = runner.invoke(app, ["test-keys", "--json"])
    assert as_json.exit_code == 4
    assert json.loads(as_json.stdout)["error"]["kind"] == "no_usable_provider"


def test_mock_needs_no_key_and_is_ok(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test-keys", "--provider", "mock", "--json"])
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)["keys"]
    assert (row["provider"], row["ok"], row["key"]) == ("mock", True, "none needed")


def test_fal_hint_names_its_own_numbered_variables(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test-keys", "--provider", "fal"])
    assert result.exit_code == 4
    assert "FAL_KEY (or FAL_KEY_1..N for several keys)" in result.stderr


def test_unknown_provider_exits_2(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", GOOD)
    result = runner.invoke(app, ["test-keys", "--provider", "nope"])
    assert result.exit_code == 2
    assert "unknown provider" in result.stderr
