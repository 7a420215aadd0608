"""The secrets canary end to end: real CLI processes, a provider that echoes keys back.

The stand-in quotes the request's Authorization header in every error body. The first key is
the canary and is refused (401); the second works but meets rate limits, server errors, failed
predictions and malformed answers. Neither key may appear in stdout, stderr (the only log
output pinglass has), ``report.json``, ``journal.jsonl`` or any other file of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_support import clean_env, copy_good_refs, run_cli, write_tiny_preset

from canary import CANARY
from pinglass.secrets import mask
from standin import StandIn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

# A second key that looks like no vendor's: only the known-keys half of the filter can hide it.
SECOND = "zzCANARYzz0second0key0value7"
FAULTS = ["429", "500", "fail", "nonjson", "noimage"]


def _env(server: StandIn) -> dict[str, str]:
    return clean_env(
        REPLICATE_API_TOKEN_1=CANARY,
        REPLICATE_API_TOKEN_2=SECOND,
        PINGLASS_REPLICATE_BASE_URL=server.base_url,
        PINGLASS_POLL_INTERVAL="0.05",
        PINGLASS_DEBUG="1",
    )


def _everything_written(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_bytes().decode("utf-8", "replace")
        for p in out.rglob("*")
        if p.is_file()
    }


def test_no_key_leaks_from_a_run_full_of_errors(tmp_path: Path) -> None:
    refs = copy_good_refs(tmp_path / "refs")
    out = tmp_path / "run"
    args = ["generate", str(refs), "--preset", str(write_tiny_preset(tmp_path))]
    args += ["--provider", "replicate", "--out", str(out), "--concurrency", "1"]
    args += ["--retry-failed", "0"]  # the failed prediction stays failed: its row is reported
    with StandIn(latency=0.1, faults=FAULTS, dead=[CANARY], echo_auth=True) as server:
        result = run_cli(tmp_path, *args, "--yes", "--verbose", "--json", env=_env(server))
    assert server.echoes >= 3  # the 401s, the 429 and the 500 all quoted a key
    assert "Traceback" not in result.output
    assert result.code == 1, result.output  # images failed; the run itself finished
    report = json.loads(result.stdout)
    kinds = sorted(i["error"]["kind"] for i in report["images"] if i["error"])
    # the failed prediction is billed by Replicate (remote_failed); the malformed answers are ours
    assert kinds == ["invalid_request", "invalid_request", "remote_failed"]
    files = _everything_written(out)
    assert {"report.json", "journal.jsonl"} <= set(files)
    for where, text in {"stdout": result.stdout, "stderr": result.stderr, **files}.items():
        assert "CANARY" not in text, where
    assert {i["key"] for i in report["images"]} == {mask(SECOND)}


def test_test_keys_masks_the_echoed_canary(tmp_path: Path) -> None:
    with StandIn(dead=[CANARY], echo_auth=True) as server:
        result = run_cli(tmp_path, "test-keys", "--json", "--verbose", env=_env(server))
    assert server.echoes >= 1
    assert "Traceback" not in result.output
    assert result.code == 1, result.output  # one key was refused
    doc = json.loads(result.stdout)
    by_key = {k["key"]: k for k in doc["keys"]}
    assert set(by_key) == {mask(CANARY), mask(SECOND)}
    assert by_key[mask(CANARY)]["ok"] is False and "401" in by_key[mask(CANARY)]["error"]
    assert by_key[mask(SECOND)]["ok"] is True
    assert mask(CANARY) in result.stderr  # --verbose names the keys, masked
    assert "CANARY" not in result.output
