"""Every image asked for, and every billed attempt counted (issue 12), over the real CLI.

Real CLI processes against the loopback Replicate stand-in: ``server.creates`` counts what
Replicate would bill, so "23 of 23", "the failed attempt's cost is counted" and "creates in
flight at a second Ctrl-C are counted" are measured, not inferred.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_support import (
    FLUX_DEV_PRICE,
    STANDIN_TOKEN,
    clean_env,
    run_cli,
    standin_env,
    standin_generate,
    wait_for,
    write_tiny_preset,
)

from standin import StandIn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]


def test_one_failed_prediction_still_ends_23_of_23_with_its_cost_counted(tmp_path: Path) -> None:
    """The failed prediction is made again (--retry-failed 1 by default), and paid for."""
    out = tmp_path / "run"
    with StandIn(latency=0.05, faults=["fail"], max_life=300) as server:
        result = run_cli(
            tmp_path,
            *standin_generate(tmp_path, "business", out),
            env=standin_env(server.base_url),
            timeout=300,
        )
    assert result.code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "completed"
    assert [i["status"] for i in report["images"]] == ["succeeded"] * 23
    assert sum(server.creates.values()) == 24  # 23 images and the one that failed
    [twice] = [i for i in report["images"] if i["attempts"] == 2]
    assert twice["cost_usd"] == pytest.approx(2 * FLUX_DEV_PRICE)
    assert report["totals"]["cost_usd"] == pytest.approx(24 * FLUX_DEV_PRICE)
    journal = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]
    [failed] = [r for r in journal if r["ev"] == "result" and r["status"] == "failed"]
    assert "CUDA out of memory" in failed["error"]["message"]
    assert "possibly billed" in failed["error"]["message"]  # flux-dev: Replicate does not say
    assert float(failed["cost_usd"]) == pytest.approx(FLUX_DEV_PRICE)


def test_retry_failed_zero_leaves_the_failed_image_failed_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "0")
    with StandIn(latency=0.05, faults=["fail"]) as server:
        result = run_cli(tmp_path, *args, env=standin_env(server.base_url), timeout=300)
    assert result.code == 1, result.output
    report = json.loads(result.stdout)
    [failed] = [i for i in report["images"] if i["status"] == "failed"]
    assert failed["error"]["kind"] == "remote_failed" and failed["cost_usd"] == FLUX_DEV_PRICE
    assert failed["cost_source"] == "catalog" and "possibly billed" in failed["error"]["message"]
    assert sum(server.creates.values()) == 3
    assert report["totals"]["cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)


def test_a_failure_that_says_the_input_is_invalid_is_final(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "3")
    with StandIn(latency=0.05, faults=["noimage"] * 10) as server:
        result = run_cli(tmp_path, *args, env=standin_env(server.base_url), timeout=300)
    assert result.code == 1, result.output
    report = json.loads(result.stdout)
    assert {i["error"]["kind"] for i in report["images"]} == {"invalid_request"}
    assert sorted(server.creates.values()) == [1, 1, 1]


def test_retry_failed_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out, "--retry-failed", "9")
    result = run_cli(tmp_path, *args, env=clean_env(REPLICATE_API_TOKEN=STANDIN_TOKEN))
    assert result.code == 2, result.output
    assert "--retry-failed 9: must be between 0 and 5" in result.output
    assert not (out / "report.json").exists()


def test_a_second_ctrl_c_counts_the_creates_in_flight_then_a_rerun_pays_nothing_twice(
    tmp_path: Path,
) -> None:
    """Row 4: creates sent with no answer yet are possibly billed, not ``not_run`` at $0."""
    out = tmp_path / "run"
    args = standin_generate(tmp_path, write_tiny_preset(tmp_path), out, "--concurrency", "3")
    with StandIn(latency=60, max_life=180) as server:  # each create is held (Prefer: wait)
        env = standin_env(server.base_url)
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "pinglass", *args],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: sum(server.creates.values()) >= 3, "the run never sent its creates")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, stderr[-2000:]
        report = json.loads((out / "report.json").read_text())
        rows = report["images"]
        assert [r["status"] for r in rows] == ["failed"] * 3
        assert {r["error"]["kind"] for r in rows} == {"interrupted"}
        assert all("may have been billed" in r["error"]["message"] for r in rows)
        assert [(r["cost_usd"], r["cost_source"]) for r in rows] == [
            (FLUX_DEV_PRICE, "catalog")
        ] * 3
        assert report["totals"]["cost_usd"] == pytest.approx(3 * FLUX_DEV_PRICE)
        server.latency = 0.05  # the three predictions have finished at the provider
        again = run_cli(tmp_path, *args, env=env, timeout=300)
    assert again.code == 0, again.output
    assert [r["status"] for r in json.loads(again.stdout)["images"]] == ["succeeded"] * 3
    assert sorted(server.creates.values()) == [1, 1, 1]  # found again, never paid twice
