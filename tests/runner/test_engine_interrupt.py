"""Ctrl-C (stop, then cancel) and resuming a run that died mid-flight."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import HANG, FakeProvider, RunFn, entry, keys_for, make_plan
from pinglass.errors import Transient
from pinglass.history import folder_paid
from pinglass.run_folder import RunFolder
from pinglass.runner.events import Event, JobFinished, RunStopping

pytestmark = pytest.mark.anyio

KEY = "fk_key_aaaaaaaaaaaa"


async def _until(predicate, limit: int = 2000) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_stop_drains_in_flight_and_sends_nothing_new(run: RunFn) -> None:
    fake = FakeProvider(polls_before_done=3)
    stop = asyncio.Event()
    seen: list[Event] = []

    def observer(event: Event) -> None:
        seen.append(event)
        if isinstance(event, JobFinished):
            stop.set()  # first Ctrl-C as soon as one image is done

    plan = make_plan(10, concurrency=3)
    outcome = await run(plan, [fake], keys_for(fake=[KEY]), stop=stop, observer=observer)

    assert outcome.interrupted
    stopping = [e for e in seen if isinstance(e, RunStopping)]
    assert len(stopping) == 1 and stopping[0].in_flight == 2
    assert outcome.count("succeeded") == 3  # the three in flight were waited for
    not_run = [r for r in outcome.results if r.status == "not_run"]
    assert len(not_run) == 7 and all(r.error and r.error.kind == "interrupted" for r in not_run)
    assert sum(fake.creates.values()) == 3


async def test_cancel_cancels_remote_jobs_then_resume_recovers_them(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider(polls_before_done=10_000)
    plan = make_plan(3, concurrency=3)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY])))
    await _until(lambda: len(fake.ops("poll")) >= 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(fake.cancelled) == ["fake-1", "fake-2", "fake-3"]
    recs = [json.loads(x) for x in (out_dir / "journal.jsonl").read_text().splitlines()]
    assert sum(r["ev"] == "submit" for r in recs) == 3
    assert sum(r["ev"] == "cancel" for r in recs) == 3

    paid_when_stopped = folder_paid(RunFolder(out_dir))
    assert paid_when_stopped == Decimal("0.09")  # three possible charges at the catalog price

    fake.polls_before_done = 1  # the remote jobs finished after all
    outcome = await run(plan, [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 3
    assert set(fake.creates.values()) == {1}  # re-attached, never re-created
    # The stopped run sent (and reported) those creates: collecting them is not this run's spend.
    assert outcome.cost_usd == 0
    assert all(r.earlier_cost_usd == r.cost_usd == Decimal("0.03") for r in outcome.results)
    assert folder_paid(RunFolder(out_dir)) == paid_when_stopped


async def test_resume_recreates_remote_jobs_we_cancelled(run: RunFn, out_dir: Path) -> None:
    fake = FakeProvider(polls_before_done=10_000)
    plan = make_plan(2, concurrency=2)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY])))
    await _until(lambda: len(fake.ops("poll")) >= 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fake.cancel_effective, fake.polls_before_done = True, 1

    paid_when_stopped = folder_paid(RunFolder(out_dir))
    assert paid_when_stopped > 0  # the cancelled jobs are possible charges, not $0

    outcome = await run(plan, [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 2
    assert set(fake.creates.values()) == {2}  # the cancelled job made nothing: made anew
    assert len(fake.ops("poll")) >= 4  # each cancelled job was looked at before re-creating
    # what the re-run found (here: canceled, nothing billed) replaces the possible charges
    assert folder_paid(RunFolder(out_dir)) == outcome.cost_usd == paid_when_stopped


async def test_killed_mid_create_is_found_again_not_resent(run: RunFn, out_dir: Path) -> None:
    fake = FakeProvider()
    fake.enqueue(HANG, prompt="portrait number 2")
    plan = make_plan(3, concurrency=3)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY])))
    await _until(lambda: fake.creates["portrait number 2"] == 1 and len(fake.ops("poll")) >= 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    outcome = await run(plan, [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") + outcome.count("reused") == 3
    assert fake.creates["portrait number 2"] == 1
    assert len(fake.ops("find")) == 1
    # Every create went out in the killed run: the re-run only collects, and spends nothing.
    assert sum(fake.creates.values()) == 3 and outcome.cost_usd == 0
    assert folder_paid(RunFolder(out_dir)) == Decimal("0.09")


async def test_killed_mid_create_on_sync_provider_is_reported_ambiguous(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider(asynchronous=False, can_reattach=False)
    fake.enqueue(HANG, prompt="portrait number 1")
    plan = make_plan(1)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY])))
    await _until(lambda: fake.creates["portrait number 1"] == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    outcome = await run(plan, [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "failed" and r.error is not None and r.error.kind == "ambiguous"
    assert fake.creates["portrait number 1"] == 1


async def test_killed_mid_create_on_a_free_model_is_simply_resent(run: RunFn) -> None:
    fake = FakeProvider("mock", keyless=True, asynchronous=False, can_reattach=False)
    fake.enqueue(HANG, prompt="portrait number 1")
    plan = make_plan(1, [entry("mock", price="0")])
    task = asyncio.create_task(run(plan, [fake]))
    await _until(lambda: fake.creates["portrait number 1"] == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    outcome = await run(plan, [fake])
    assert outcome.results[0].status == "succeeded"


async def test_a_refused_cancel_is_not_trusted_on_resume(run: RunFn, out_dir: Path) -> None:
    # The provider refused to cancel, so the job may still finish: the re-run must poll it
    # with its usual retries, not look once and make it anew (paying twice).
    fake = FakeProvider(polls_before_done=10_000)
    fake.enqueue(False, op="cancel")
    plan = make_plan(1)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY])))
    await _until(lambda: len(fake.ops("poll")) >= 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    recs = [json.loads(x) for x in (out_dir / "journal.jsonl").read_text().splitlines()]
    assert [r["accepted"] for r in recs if r["ev"] == "cancel"] == [False]

    fake.polls_before_done = 1
    fake.enqueue(Transient("HTTP 503", provider="fake", status_code=503), op="poll")
    outcome = await run(plan, [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 1
    assert fake.creates["portrait number 1"] == 1  # re-attached, never re-created
