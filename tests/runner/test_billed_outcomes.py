"""Billed outcomes (issue 12): flagged outputs, failed jobs made again, and what is counted.

- An output the provider's safety checker flagged is billed: counted, kept under
  ``filtered/``, and the prompt made once more with another seed; a second flag is final.
- A job the provider failed is made again ``--retry-failed`` times on the same model, then on
  the next provider; every attempt's cost is in the row; never over ``--max-cost``; a failure
  about the input is final at once.
- A catalog model's ``failed_billing`` rule: ``unstated`` counts a failure as possibly billed.
- A second Ctrl-C while a create is out (sent, no answer) reports it as possibly billed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import HANG, FakeProvider, RunFn, entry, keys_for, make_plan, png_bytes
from pinglass.errors import InvalidRequest, RemoteJobFailed
from pinglass.providers.base import Finished, ImageData
from pinglass.runner import EngineConfig
from pinglass.runner.events import Event, JobFinished
from pinglass.settings import Settings

pytestmark = pytest.mark.anyio

KEY = "fk_key_aaaaaaaaaaaa"
PRICE = entry().price


def _flagged() -> Finished:
    image = ImageData(data=png_bytes(color="black"), mime="image/png")
    return Finished((image,), None, filtered="the safety checker flagged the image")


def _billed_failure() -> RemoteJobFailed:
    return RemoteJobFailed("job failed: CUDA out of memory", provider="fake", billed=True)


def _journal(out_dir: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (out_dir / "journal.jsonl").read_text().splitlines()]


async def test_a_flagged_output_is_counted_kept_aside_and_made_once_more(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider()
    fake.enqueue(_flagged(), prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "succeeded" and r.file == "images/01-p01.png"
    assert fake.creates["portrait number 1"] == 2 and r.attempts == 2
    assert r.cost_usd == 2 * PRICE == outcome.cost_usd  # the flagged one was billed
    assert (out_dir / "filtered" / "01-p01.png").read_bytes() == png_bytes(color="black")
    seeds = [req.seed for req in fake.remote.values()]
    assert seeds[0] == 7 and seeds[1] != 7 and r.seed == seeds[1]  # not the same image again
    kept = [x for x in _journal(out_dir) if x["ev"] == "result" and x["status"] == "failed"]
    assert kept[0]["error"]["kind"] == "content_filtered"  # type: ignore[index]
    assert "filtered/01-p01.png" in kept[0]["error"]["message"]  # type: ignore[index]


async def test_an_earlier_runs_flagged_output_is_kept_not_overwritten(
    run: RunFn, out_dir: Path
) -> None:
    earlier = out_dir / "filtered" / "01-p01.png"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"an earlier run's flagged output, also paid for")
    fake = FakeProvider()
    fake.enqueue(_flagged(), prompt="portrait number 1")
    await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    kept = out_dir / "filtered" / "01-p01.before-1.png"
    assert kept.read_bytes() == b"an earlier run's flagged output, also paid for"
    assert earlier.read_bytes() == png_bytes(color="black")


async def test_a_second_flagged_output_is_final_and_both_are_counted(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider()
    fake.enqueue(_flagged(), _flagged(), prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "failed" and r.error is not None and r.error.kind == "content_filtered"
    assert r.file is None  # never delivered as the portrait
    assert "filtered/01-p01~2.png" in r.error.message
    assert fake.creates["portrait number 1"] == 2
    assert r.cost_usd == 2 * PRICE == outcome.cost_usd
    assert sorted(p.name for p in (out_dir / "filtered").iterdir()) == [
        "01-p01.png",
        "01-p01~2.png",
    ]
    assert not (out_dir / "images").exists() or not list((out_dir / "images").iterdir())


async def test_a_flagged_output_is_not_made_again_past_the_budget(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(_flagged(), prompt="portrait number 1")
    outcome = await run(make_plan(1, max_cost=str(PRICE)), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "failed" and r.error is not None and r.error.kind == "budget"
    assert fake.creates["portrait number 1"] == 1 and r.cost_usd == PRICE


async def test_failed_jobs_are_made_again_then_fall_back_along_the_chain(run: RunFn) -> None:
    first, second = FakeProvider("fake"), FakeProvider("other")
    first.enqueue(*[_billed_failure()] * 3, op="poll", prompt="portrait number 1")
    plan = make_plan(1, [entry("fake"), entry("other", price="0.05")])
    settings = Settings(_env_file=None, poll_interval=1.0, retry_failed=2)  # type: ignore[call-arg]
    outcome = await run(plan, [first, second], keys_for(fake=[KEY], other=[KEY]), settings=settings)
    [r] = outcome.results
    assert r.status == "succeeded" and r.provider == "other"
    assert first.creates["portrait number 1"] == 3  # once, then --retry-failed 2 times
    assert second.creates["portrait number 1"] == 1
    assert r.attempts == 4 and r.cost_usd == 3 * PRICE + entry(price="0.05").price


async def test_retry_failed_zero_falls_back_at_once(run: RunFn) -> None:
    first, second = FakeProvider("fake"), FakeProvider("other")
    first.enqueue(_billed_failure(), op="poll", prompt="portrait number 1")
    plan = make_plan(1, [entry("fake"), entry("other")])
    outcome = await run(
        plan,
        [first, second],
        keys_for(fake=[KEY], other=[KEY]),
        config=EngineConfig(breaker_threshold=50, remote_failures=0),
    )
    assert outcome.results[0].provider == "other"
    assert first.creates["portrait number 1"] == 1 and second.creates["portrait number 1"] == 1


async def test_a_retry_never_passes_the_budget(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(_billed_failure(), op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(1, max_cost=str(PRICE)), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "failed" and r.error is not None and r.error.kind == "budget"
    assert fake.creates["portrait number 1"] == 1
    assert r.cost_usd == PRICE == outcome.cost_usd  # the billed attempt still shows


async def test_a_failure_about_the_input_is_final_at_once(run: RunFn) -> None:
    fake = FakeProvider()
    bad = InvalidRequest("job failed: image_size must be a multiple of 8", provider="fake")
    fake.enqueue(bad, op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "failed" and r.error is not None and r.error.kind == "invalid_request"
    assert fake.creates["portrait number 1"] == 1 and r.cost_usd == 0


@pytest.mark.parametrize(("rule", "counted"), [("unstated", True), ("free", False)])
async def test_a_models_failed_billing_rule_decides_what_a_failure_counts(
    run: RunFn, rule: str, counted: bool
) -> None:
    fake = FakeProvider()
    fake.enqueue(_billed_failure(), op="poll", prompt="portrait number 1")
    model = entry().model_copy(update={"failed_billing": rule})
    outcome = await run(make_plan(1, [model]), [fake], keys_for(fake=[KEY]))
    [r] = outcome.results
    assert r.status == "succeeded" and fake.creates["portrait number 1"] == 2
    assert r.cost_usd == (2 if counted else 1) * PRICE and r.cost_source == "catalog"


async def test_an_unstated_failure_rule_says_possibly_billed(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(_billed_failure(), op="poll", prompt="portrait number 1")
    model = entry().model_copy(update={"failed_billing": "unstated"})
    outcome = await run(
        make_plan(1, [model]),
        [fake],
        keys_for(fake=[KEY]),
        config=EngineConfig(breaker_threshold=50, remote_failures=0),
    )
    [r] = outcome.results
    assert r.status == "failed" and r.error is not None and r.cost_usd == PRICE
    assert r.cost_source == "catalog" and "possibly billed" in r.error.message


async def test_a_second_ctrl_c_counts_creates_in_flight_as_possibly_billed(
    run: RunFn, out_dir: Path
) -> None:
    """Issue 12 row 4: a create sent with no answer yet is not ``not_run`` at $0."""
    fake = FakeProvider(polls_before_done=1000)
    fake.enqueue(HANG, prompt="portrait number 3")
    seen: list[Event] = []
    plan = make_plan(3, concurrency=3)
    task = asyncio.create_task(run(plan, [fake], keys_for(fake=[KEY]), observer=seen.append))
    for _ in range(2000):
        if fake.creates["portrait number 3"] == 1 and len(fake.ops("poll")) >= 2:
            break
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rows = {e.result.index: e.result for e in seen if isinstance(e, JobFinished)}
    assert sorted(rows) == [1, 2, 3]
    for cut in rows.values():
        assert cut.status == "failed" and cut.error is not None
        assert cut.error.kind == "interrupted" and "may have been billed" in cut.error.message
        assert cut.cost_usd == PRICE and cut.cost_source == "catalog"
    assert "the create was being sent" in rows[3].error.message  # type: ignore[union-attr]
    # the two with a remote id were cancelled remotely; a cancelled job may bill its time
    assert sorted(fake.cancelled) == ["fake-1", "fake-2"]
    assert "fake-1 on fake was cancelled" in rows[1].error.message  # type: ignore[union-attr]
    # journaled as recoverable: the job stays open, so a re-run looks it up first
    results = [x for x in _journal(out_dir) if x["ev"] == "result"]
    assert [x["recoverable"] for x in results] == [True, True, True]
    charges = [x for x in _journal(out_dir) if x["ev"] == "charge"]
    assert len(charges) == 3 and all(x["possible"] for x in charges)
