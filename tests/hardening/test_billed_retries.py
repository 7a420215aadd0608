"""Every image the user asked for (issue 12): real CLI runs against the loopback Replicate stand-in.

``server.creates`` counts what Replicate would bill, so "23 of 23" and "the failed attempt's
cost is counted" are measured, not inferred.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from hardening_support import clean_env, copy_good_refs, run_cli, write_tiny_preset

from standin import StandIn

pytestmark = pytest.mark.slow

TOKEN = "r8_standin_token_000000001"
PRICE = 0.025  # replicate/flux-dev, per image


@pytest.fixture(autouse=True)
def loopback(no_network: respx.MockRouter) -> Iterator[None]:
    no_network.route(host="127.0.0.1").pass_through()
    yield


def _env(server: StandIn) -> dict[str, str]:
    return clean_env(
        REPLICATE_API_TOKEN=TOKEN,
        PINGLASS_REPLICATE_BASE_URL=server.base_url,
        PINGLASS_POLL_INTERVAL="0.05",
    )


def _generate(tmp: Path, preset: Path | str, out: Path, *extra: str) -> list[str]:
    refs = copy_good_refs(tmp / "refs")
    return [
        "generate", str(refs), "--preset", str(preset), "--provider", "replicate/flux-dev",
        "--out", str(out), "--yes", "--json", *extra,
    ]  # fmt: skip


def test_one_failed_prediction_still_ends_23_of_23_with_its_cost_counted(tmp_path: Path) -> None:
    """The failed prediction is made again (--retry-failed 1 by default), and paid for."""
    out = tmp_path / "run"
    with StandIn(latency=0.05, faults=["fail"], max_life=300) as server:
        result = run_cli(
            tmp_path, *_generate(tmp_path, "business", out), env=_env(server), timeout=300
        )
    assert result.code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "completed"
    assert [i["status"] for i in report["images"]] == ["succeeded"] * 23
    assert sum(server.creates.values()) == 24  # 23 images and the one that failed
    [twice] = [i for i in report["images"] if i["attempts"] == 2]
    assert twice["cost_usd"] == pytest.approx(2 * PRICE)
    assert report["totals"]["cost_usd"] == pytest.approx(24 * PRICE)
    journal = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]
    [failed] = [r for r in journal if r["ev"] == "result" and r["status"] == "failed"]
    assert "CUDA out of memory" in failed["error"]["message"]
    assert "possibly billed" in failed["error"]["message"]  # flux-dev: Replicate does not say
    assert float(failed["cost_usd"]) == pytest.approx(PRICE)


def test_retry_failed_zero_leaves_the_failed_image_failed_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "0")
    with StandIn(latency=0.05, faults=["fail"]) as server:
        result = run_cli(tmp_path, *args, env=_env(server), timeout=300)
    assert result.code == 1, result.output
    report = json.loads(result.stdout)
    [failed] = [i for i in report["images"] if i["status"] == "failed"]
    assert failed["error"]["kind"] == "remote_failed" and failed["cost_usd"] == PRICE
    assert failed["cost_source"] == "catalog" and "possibly billed" in failed["error"]["message"]
    assert sum(server.creates.values()) == 3
    assert report["totals"]["cost_usd"] == pytest.approx(3 * PRICE)


def test_a_failure_that_says_the_input_is_invalid_is_final(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "3")
    with StandIn(latency=0.05, faults=["noimage"] * 10) as server:
        result = run_cli(tmp_path, *args, env=_env(server), timeout=300)
    assert result.code == 1, result.output
    report = json.loads(result.stdout)
    assert {i["error"]["kind"] for i in report["images"]} == {"invalid_request"}
    assert sorted(server.creates.values()) == [1, 1, 1]


def test_retry_failed_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "9")
    result = run_cli(tmp_path, *args, env=clean_env(REPLICATE_API_TOKEN=TOKEN))
    assert result.code == 2, result.output
    assert "--retry-failed 9: must be between 0 and 5" in result.output
    assert not (out / "report.json").exists()
