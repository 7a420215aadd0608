"""Training over real HTTP against the loopback stand-in: fal queue and Replicate trainings.

Every case ends by counting the trainings the stand-in created, which is what the vendor bills:
submit, progress, success, failure, a dropped create answer, a create refused then retried, a
looked-up intent on a re-run, a per-second training stopped at --max-cost, and a SIGKILL
mid-training followed by a re-run, each with exactly one training billed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from train_run import KEYS, settings_for
from trainer_standin import TrainingStandIn

from conftest import jpeg
from pinglass.errors import TrainingFailed
from pinglass.secrets import ApiKey
from pinglass.training import TrainRequest, list_subjects, plan_training, read_subject
from pinglass.training.catalog import get_trainer
from pinglass.training.dataset import Crop, zip_crops
from pinglass.training.journal import TrainingJournal, ledger
from pinglass.training.run import TrainingEvent, TrainingPlan, run_training, trigger_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

HERE = Path(__file__).resolve().parent
PROVIDERS = ["fal", "replicate"]
_KEY_VAR = {"fal": "FAL_KEY", "replicate": "REPLICATE_API_TOKEN"}


def wire_plan(subjects: Path, provider: str, *, max_cost: Decimal | None = None) -> TrainingPlan:
    """A plan with three synthetic crops (no scoring): what the wire tests send."""
    entry = get_trainer(provider)
    name = "alex"
    folder = subjects / name
    crops = [
        Crop(f"p{i}.jpg", f"{i:064x}", f"{i:02d}-p{i}.jpg", jpeg(c), 90.0)
        for i, c in enumerate(("teal", "navy", "olive"), 1)
    ]
    request = TrainRequest(subjects, provider, name=name, steps=100, max_cost=max_cost)
    key = ApiKey.of(KEYS[_KEY_VAR[provider]], _KEY_VAR[provider])
    plan = TrainingPlan(request, entry, name, folder, trigger_for(name), 100, key, ledger(folder))
    plan.crops, plan.dataset = crops, zip_crops(crops)
    plan.estimate_usd = entry.estimate(100)
    return plan


async def _fast(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.05))


def _train(
    server: TrainingStandIn, plan: TrainingPlan, subjects: Path, events: list[TrainingEvent]
):  # type: ignore[no-untyped-def]
    settings = settings_for(server.root, subjects)
    return run_training(plan, settings, observer=events.append, sleep=_fast)


def _journal(subjects: Path) -> list[str]:
    lines = (subjects / "alex" / "training.jsonl").read_text().splitlines()
    return [json.loads(line)["ev"] for line in lines]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_submit_progress_success_writes_the_subject(tmp_path: Path, provider: str) -> None:
    events: list[TrainingEvent] = []
    with TrainingStandIn(queue_s=0.3, run_s=0.4) as server:
        subject = _train(server, wire_plan(tmp_path, provider), tmp_path, events)
        requests = list(server.requests)
    assert server.creates == 1
    states = [e.status.state for e in events if e.status is not None]
    assert states[0] == "queued" and "running" in states and states[-1] == "succeeded"
    running = [e.status for e in events if e.status is not None and e.status.state == "running"]
    assert all(s.log for s in running)  # the vendor's log line reaches the progress display
    if provider == "fal":
        assert any(e.status and e.status.queue_position == 2 for e in events)
        assert subject.lora_url and subject.lora_url.endswith(".safetensors")
        assert subject.generation_model == "fal/flux-lora"
        assert subject.cost_source == "catalog" and subject.cost_usd == pytest.approx(0.24)
    else:
        assert subject.model_version == f"standin/pinglass-alex:{'ab' * 32}"
        assert subject.generation_model == f"replicate/{subject.model_version}"
        assert subject.cost_source == "computed" and 0 < subject.cost_usd < 0.01
        creates = [p for m, p, _ in requests if m == "POST" and p.endswith("/trainings")]
        assert creates == [
            "/v1/models/ostris/flux-dev-lora-trainer/versions/"
            "e440909d3512c31646ee2e0c7d6f6f4923224863a6a10c494606e79fb5844497/trainings"
        ]
        assert ("POST", "/v1/models") in [(m, p) for m, p, _ in requests]  # destination made
    assert read_subject(tmp_path, "alex") == subject
    assert _journal(tmp_path) == ["intent", "submit", "result"]
    assert sorted(p.name for p in (tmp_path / "alex" / "crops").iterdir()) == [
        "01-p1.jpg",
        "02-p2.jpg",
        "03-p3.jpg",
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_failed_training_reports_the_vendors_reason_and_its_billed_cost(
    tmp_path: Path, provider: str
) -> None:
    with TrainingStandIn(queue_s=0.1, run_s=0.3, faults=["fail"]) as server:
        with pytest.raises(TrainingFailed) as caught:
            _train(server, wire_plan(tmp_path, provider), tmp_path, [])
    assert server.creates == 1
    message = str(caught.value)
    if provider == "fal":  # fal bills successful requests only
        assert "not enough faces found in the archive" in message and "billed $0.0000" in message
        assert caught.value.billed_usd == 0
    else:  # Replicate bills the GPU seconds the failed training used
        assert "CUDA out of memory" in message and "(computed)" in message
        assert caught.value.billed_usd is not None and caught.value.billed_usd > 0
    assert not (tmp_path / "alex" / "subject.json").exists()
    [row] = list_subjects(tmp_path)
    assert row.status == "failed"
    assert row.training_cost_usd == float(caught.value.billed_usd or 0)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_dropped_create_answer_is_looked_up_not_sent_again(tmp_path: Path, provider: str) -> None:
    events: list[TrainingEvent] = []
    with TrainingStandIn(faults=["drop"]) as server:
        subject = _train(server, wire_plan(tmp_path, provider), tmp_path, events)
        listed = [
            p
            for m, p, _ in server.requests
            if m == "GET" and "requests/by-endpoint" in p or p == "/v1/trainings"
        ]
    assert server.creates == 1  # exactly one training billed
    assert listed  # it was found by listing, not re-sent
    assert any(e.kind == "reconciled" and e.remote_id == subject.remote_id for e in events)
    assert _journal(tmp_path) == ["intent", "submit", "result"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_create_is_retried_and_billed_once(tmp_path: Path, provider: str) -> None:
    with TrainingStandIn(faults=["429", "500"]) as server:
        _train(server, wire_plan(tmp_path, provider), tmp_path, [])
    assert server.creates == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_intent_without_an_answer_is_looked_up_on_the_next_run(
    tmp_path: Path, provider: str
) -> None:
    """A run killed after sending the create but before the answer: the re-run finds it."""
    plan = wire_plan(tmp_path, provider)
    with TrainingStandIn() as server:
        settings = settings_for(server.root, tmp_path)
        # What the killed run left: an intent, and one training at the vendor.
        from pinglass.training.run import _intent, _make_trainer  # the run's own helpers

        async def send_then_die() -> None:
            from pinglass.runner.engine import make_client

            async with make_client(settings) as client:
                trainer = _make_trainer(plan.entry, client, settings)
                prepared = await trainer.prepare(plan.spec, plan.key)
                journal = TrainingJournal(plan.folder)
                journal.write("intent", **_intent(plan, prepared))
                journal.close()
                await trainer.create(plan.spec, prepared, plan.key)

        asyncio.run(send_then_die())
        assert ledger(plan.folder).state == "ambiguous"
        request = TrainRequest(tmp_path, provider, name="alex")
        again = plan_training(request, settings, environ=KEYS)
        assert again.resuming and again.trigger == plan.trigger
        events: list[TrainingEvent] = []
        subject = run_training(again, settings, observer=events.append, sleep=_fast)
    assert server.creates == 1
    assert any(e.kind == "reconciled" for e in events)
    assert subject.refs and subject.refs[0].crop == "crops/01-p1.jpg"


def test_a_per_second_training_is_cancelled_at_max_cost(tmp_path: Path) -> None:
    cap = Decimal("0.001")  # under one second of H100 time at $0.001525/s
    plan = wire_plan(tmp_path, "replicate", max_cost=cap)
    with TrainingStandIn(queue_s=0.05, run_s=30) as server:
        with pytest.raises(TrainingFailed) as caught:
            _train(server, plan, tmp_path, [])
        cancels = [p for m, p, _ in server.requests if p.endswith("/cancel")]
    assert server.creates == 1 and len(cancels) == 1
    assert "canceled" in str(caught.value)
    billed = caught.value.billed_usd
    assert billed is not None and 0 < billed < Decimal("0.01")


# --- a real process killed mid-training ---------------------------------------------------


def _spawn(provider: str, server: TrainingStandIn, refs: Path, subjects: Path):  # type: ignore[no-untyped-def]
    import pinglass

    src = Path(pinglass.__file__).resolve().parents[1]  # this checkout's source, not a wheel
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(HERE), str(HERE.parent)])}
    return subprocess.Popen(  # noqa: S603 - our own script
        [
            sys.executable,
            str(HERE / "train_run.py"),
            provider,
            server.root,
            str(refs),
            str(subjects),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sigkill_mid_training_then_rerun_reattaches_and_bills_once(
    tmp_path: Path, small_refs: Path, provider: str
) -> None:
    subjects = tmp_path / "subjects"
    journal = subjects / "standin" / "training.jsonl"
    with TrainingStandIn(queue_s=0.5, run_s=2.5, max_life=60) as server:
        proc = _spawn(provider, server, small_refs, subjects)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.creates and journal.exists() and '"ev":"submit"' in journal.read_text():
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        assert ledger(subjects / "standin").state == "pending"

        again = _spawn(provider, server, small_refs, subjects)
        stdout, stderr = again.communicate(timeout=40)
        assert again.returncode == 0, stderr[-2000:] + stdout[-500:]
    outcome = json.loads(stdout.strip().splitlines()[-1])
    assert outcome["resumed"] is True
    assert server.creates == 1  # exactly one training billed
    subject = read_subject(subjects, "standin")
    assert subject.remote_id == outcome["remote_id"]
    assert [json.loads(x)["ev"] for x in journal.read_text().splitlines()] == [
        "intent",
        "submit",
        "result",
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_key_never_reaches_the_journal_the_subject_or_an_error(
    tmp_path: Path, provider: str
) -> None:
    from canary import CANARY

    plan = wire_plan(tmp_path, provider)
    plan.key = ApiKey.of(CANARY, _KEY_VAR[provider])
    with TrainingStandIn(faults=["drop"]) as server:
        _train(server, plan, tmp_path, [])
    failing = wire_plan(tmp_path / "second", provider)
    failing.key = ApiKey.of(CANARY, _KEY_VAR[provider])
    with TrainingStandIn(faults=["fail"]) as server, pytest.raises(TrainingFailed) as caught:
        _train(server, failing, tmp_path / "second", [])
    texts = [str(caught.value)]
    texts += [p.read_text() for p in tmp_path.rglob("*.json*")]
    assert texts[1:] and not any(CANARY in text for text in texts)
