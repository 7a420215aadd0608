"""One run per output folder, SIGTERM as a first Ctrl-C, and short keys (issue 12 rows 2, 11).

Real CLI processes against the loopback Replicate stand-in: ``server.creates`` counts what
Replicate would bill, so "paid twice" is measured, not inferred.
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
    PROMPT_IDS,
    clean_env,
    copy_good_refs,
    run_cli,
    standin_env,
    wait_for,
    write_tiny_preset,
)

from standin import StandIn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

LOCK_NAME = ".pinglass.lock"  # the README names it


def _args(tmp: Path, out: Path, *extra: str) -> list[str]:
    refs = copy_good_refs(tmp / "refs")
    preset = write_tiny_preset(tmp)
    return [
        "generate", str(refs), "--preset", str(preset), "--provider", "replicate/flux-dev",
        "--out", str(out), "--concurrency", "1", "--yes", *extra,
    ]  # fmt: skip


def _spawn(tmp: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "pinglass", *args],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_run_into_a_busy_folder_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _args(tmp_path, out)
    with StandIn(latency=60, hold=False, max_life=120) as server:
        first = _spawn(tmp_path, args, standin_env(server.base_url))
        wait_for(lambda: sum(server.creates.values()) >= 1, "the first run never got that far")
        second = run_cli(tmp_path, *args, env=standin_env(server.base_url))
        server.latency = 0.1  # the first run's prediction may finish now
        first_out, first_err = first.communicate(timeout=60)
    assert first.returncode == 0, first_err[-2000:]
    assert second.code == 2, second.output
    assert "Traceback" not in second.output
    [error] = second.error_lines()
    assert f"PID {first.pid}" in error and "pinglass generate" in error, error
    assert str(out) in error and "--out" in error
    # Replicate billed each prompt once: the second run sent nothing.
    assert sorted(server.creates.values()) == [1, 1, 1]
    report = json.loads((out / "report.json").read_text())
    assert [i["status"] for i in report["images"]] == ["succeeded"] * 3
    assert not (out / LOCK_NAME).exists()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = _args(tmp_path, out)
    with StandIn(latency=0.5, hold=False, max_life=60) as server:
        first = _spawn(tmp_path, args, standin_env(server.base_url))
        wait_for(
            lambda: sum(server.creates.values()) >= 1 and (out / LOCK_NAME).exists(),
            "the first run never got that far",
        )
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        assert json.loads((out / LOCK_NAME).read_text())["pid"] == first.pid  # left behind
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url))
    assert again.code == 0, again.output
    assert sorted(server.creates.values()) == [1, 1, 1]  # the resume paid nothing twice
    assert not (out / LOCK_NAME).exists()


def test_sigterm_stops_like_a_first_ctrl_c(tmp_path: Path) -> None:
    """In-flight work finishes and is reported; nothing new is sent; exit 130."""
    out = tmp_path / "run"
    with StandIn(latency=60, hold=False, max_life=120) as server:
        proc = _spawn(tmp_path, _args(tmp_path, out, "--json"), standin_env(server.base_url))
        wait_for(lambda: sum(server.creates.values()) >= 1, "the first run never got that far")
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the run has seen the signal before its prediction can finish
        server.latency = 0.1
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    assert json.loads(stdout) == report
    assert report["status"] == "aborted"
    statuses = {i["prompt_id"]: i["status"] for i in report["images"]}
    assert statuses == {PROMPT_IDS[0]: "succeeded"} | dict.fromkeys(PROMPT_IDS[1:], "not_run")
    assert sum(server.creates.values()) == 1
    assert report["totals"]["cost_usd"] > 0


@pytest.mark.parametrize("value", ["null", "e", "a"])
def test_a_short_key_value_does_not_corrupt_any_output(tmp_path: Path, value: str) -> None:
    """Issue 12 row 11: a one-letter or word-like key must not be masked inside the JSON."""
    out = tmp_path / "run"
    refs = copy_good_refs(tmp_path / "refs")
    args = ["generate", str(refs), "--preset", str(write_tiny_preset(tmp_path))]
    args += ["--provider", "mock", "--out", str(out), "--yes", "--json"]
    result = run_cli(tmp_path, *args, env=clean_env(FAL_KEY=value, STABILITY_API_KEY=value))
    assert result.code == 0, result.output
    report = json.loads(result.stdout)
    assert report == json.loads((out / "report.json").read_text())
    assert [i["status"] for i in report["images"]] == ["succeeded"] * 3
    assert all(i["error"] is None for i in report["images"])
    assert "…" not in result.output


def test_a_random_seed_preset_resumes_with_its_earlier_seeds(tmp_path: Path) -> None:
    """Issue 12 row 1: stock `casual` (seed = "random"), Ctrl-C, then the same command."""
    out = tmp_path / "run"
    refs = copy_good_refs(tmp_path / "refs")
    args = ["generate", str(refs), "--preset", "casual", "--only", "cafe-window,cafe-counter"]
    args += ["--provider", "replicate/flux-dev", "--out", str(out), "--concurrency", "1"]
    args += ["--yes", "--json"]
    with StandIn(latency=60, hold=False, max_life=240) as server:
        first = _spawn(tmp_path, args, standin_env(server.base_url))
        wait_for(lambda: sum(server.creates.values()) >= 1, "the first run never got that far")
        first.send_signal(signal.SIGINT)
        time.sleep(0.5)  # the run has seen the Ctrl-C before its prediction can finish
        server.latency = 0.1
        first.communicate(timeout=120)
        assert first.returncode == 130
        made = {p.name: p.read_bytes() for p in (out / "images").glob("*.png")}
        again = run_cli(tmp_path, *args, env=standin_env(server.base_url), timeout=300)
    assert again.code == 0, again.output
    report = json.loads(again.stdout)
    assert [i["status"] for i in report["images"]] == ["reused", "succeeded"]
    assert sorted(server.creates.values()) == [1, 1]  # nothing paid twice
    assert {n: (out / "images" / n).read_bytes() for n in made} == made
    assert not list((out / "images").glob("*.before-*"))  # nothing had to be set aside
