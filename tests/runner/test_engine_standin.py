"""The engine with the real Replicate adapter over a loopback stand-in server.

Real HTTP on 127.0.0.1 (the suite's network guard lets loopback through here only), real
``make_client``, fault injection on the server side, and a SIGKILL mid-run then a resume.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pinglass
from pinglass.catalog import load_catalog
from pinglass.runner import EngineConfig, run_batch
from pinglass.runner.files import is_image_file
from pinglass.runner.plan import Plan
from pinglass.secrets import ApiKey
from pinglass.settings import Settings
from standin import StandIn
from standin_run import TOKEN, plan_of

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

TESTS = Path(__file__).resolve().parents[1]


async def _fast_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.05))


async def _run(server: StandIn, plan: Plan, out: Path, tokens: list[str]):  # type: ignore[no-untyped-def]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, base_urls={"replicate": server.base_url}, poll_interval=0.05, mock_latency=0
    )
    keys = {"replicate": [ApiKey.of(t, f"REPLICATE_API_TOKEN_{i}") for i, t in enumerate(tokens)]}
    return await run_batch(
        plan,
        keys=keys,
        settings=settings,
        out_dir=out,
        sleep=_fast_sleep,
        config=EngineConfig(retry_initial=0.01, retry_max=0.05),
    )


FAULTS = [
    # fault injected on the first create to arrive → creates in all, images made
    (["429"], 3, 3),
    (["500", "500"], 3, 3),
    (["drop"], 3, 3),
    (["fail"], 4, 3),  # the failed prediction is made again (--retry-failed 1)
]


@pytest.mark.anyio
@pytest.mark.parametrize(("faults", "creates", "made"), FAULTS, ids=lambda v: str(v))
async def test_faults_over_the_wire(
    tmp_path: Path, faults: list[str], creates: int, made: int
) -> None:
    with StandIn(latency=0.1, faults=faults) as server:
        outcome = await _run(server, plan_of(3, concurrency=3), tmp_path / "out", [TOKEN])
    assert sum(server.creates.values()) == creates
    # never twice for one prompt, except a prediction Replicate reported failed
    assert sorted(server.creates.values()) == [1, 1, creates - 2]
    assert outcome.count("succeeded") == made
    for r in outcome.results:
        assert r.file is None or is_image_file(tmp_path / "out" / r.file)
    if "fail" in faults:
        # Replicate bills compute time: the failed prediction is counted in its prompt's row.
        plan = plan_of(3)
        price = plan.jobs[0].price_on(plan.chain[0])
        assert sorted(r.cost_usd for r in outcome.results) == [price, price, 2 * price]


@pytest.mark.anyio
async def test_dead_and_broke_keys_rotate_then_fall_back_to_the_mock(tmp_path: Path) -> None:
    dead, broke = "r8_dead_token_0000000001", "r8_broke_token_000000002"
    replicate = plan_of(4, concurrency=2)
    mock = load_catalog().get("mock")
    plan = Plan(jobs=replicate.jobs, chain=(replicate.chain[0], mock), concurrency=2)
    with StandIn(latency=0.1, dead=[dead], broke=[broke]) as server:
        outcome = await _run(server, plan, tmp_path / "out", [dead, broke])
    assert [r.status for r in outcome.results] == ["succeeded"] * 4
    assert {r.provider for r in outcome.results} == {"mock"}
    assert sum(server.creates.values()) == 0


def _spawn(base_url: str, out: Path, n: int) -> subprocess.Popen[str]:
    # The child imports the same pinglass as this test (a worktree's src, not the installed one).
    src = Path(pinglass.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(src)])}
    return subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(TESTS / "standin_run.py"), base_url, str(out), str(n)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _unfinished(out: Path) -> set[int]:
    recs = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines() if x]
    sent = {r["index"] for r in recs if r["ev"] in ("intent", "submit")}
    return sent - {r["index"] for r in recs if r["ev"] == "result"}


@pytest.mark.parametrize("hold", [True, False], ids=["prefer-wait", "create-then-poll"])
def test_sigkill_mid_run_then_resume_pays_once_and_recovers_everything(
    tmp_path: Path, hold: bool
) -> None:
    n, out = 8, tmp_path / "out"
    with StandIn(latency=0.4, hold=hold, max_life=30) as server:
        proc = _spawn(server.base_url, out, n)
        deadline = time.monotonic() + 15
        while sum(server.creates.values()) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        killed_at = dict(server.creates)
        unfinished = _unfinished(out)

        again = _spawn(server.base_url, out, n)
        stdout, stderr = again.communicate(timeout=20)
        assert again.returncode == 0, stderr[-2000:]

    statuses = json.loads(stdout.strip().splitlines()[-1])
    assert 6 <= sum(killed_at.values()) < 2 * n
    assert unfinished  # the kill left creates without a result: the resume had work to do
    assert {k: v for k, v in statuses.items() if k != "_retries"}.keys() == {
        f"shot{i}" for i in range(1, n + 1)
    }
    assert all(server.creates[f"studio portrait {i}"] == 1 for i in range(1, n + 1))
    images = sorted(p.name for p in (out / "images").iterdir() if not p.name.startswith("."))
    assert images == [f"{i:02d}-shot{i}.png" for i in range(1, n + 1)]
    assert all(is_image_file(out / "images" / name) for name in images)


@pytest.mark.anyio
async def test_second_ctrl_c_cancels_remote_predictions_then_resume_makes_them(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with StandIn(latency=30.0, hold=False) as server:
        task = asyncio.create_task(_run(server, plan_of(2, concurrency=2), out, [TOKEN]))
        for _ in range(400):
            if sum(server.creates.values()) == 2 and (out / "journal.jsonl").exists():
                if (out / "journal.jsonl").read_text().count('"ev":"submit"') == 2:
                    break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert {p["status"] for p in server.predictions.values()} == {"canceled"}

        server.latency = 0.1
        outcome = await _run(server, plan_of(2, concurrency=2), out, [TOKEN])
    assert outcome.count("succeeded") == 2
    assert set(server.creates.values()) == {2}  # cancelled ones made nothing; made once more
