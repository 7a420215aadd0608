"""Fault injection against the engine with FakeProvider: no double charge, nothing lost."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import DROP, FAIL, FakeClock, FakeProvider, RunFn, entry, keys_for, make_plan
from pinglass.errors import ContentRejected, RateLimited, RemoteJobFailed, Transient
from pinglass.runner import EngineConfig
from pinglass.runner.events import CostUpdated, Event, JobRetrying

pytestmark = pytest.mark.anyio

KEY = "fk_key_aaaaaaaaaaaa"


def answered_500() -> Transient:
    return Transient("HTTP 500: boom", provider="fake", status_code=500)


async def test_429_retry_after_is_honoured_and_pauses_the_whole_provider(
    run: RunFn, clock: FakeClock, events: list[Event]
) -> None:
    fake = FakeProvider(clock=clock)
    fake.enqueue(RateLimited("HTTP 429", retry_after=7.0), prompt="portrait number 1")
    start = clock()
    outcome = await run(make_plan(4, concurrency=4), [fake], keys_for(fake=[KEY]))

    assert outcome.count("succeeded") == 4 and outcome.retries == 1
    assert 7.0 in clock.sleeps
    creates = [t for op, _, t in fake.times if op == "submit"]
    # the first create got the 429; every other create waited for the shared pause
    assert creates[0] == start and all(t >= start + 7.0 for t in creates[1:])
    assert set(fake.creates.values()) == {1}
    retrying = [e for e in events if isinstance(e, JobRetrying)]
    assert retrying[0].kind == "rate_limited" and retrying[0].wait_s == 7.0


def _after(times: list[tuple[str, str, float]], op: str, prompt: str) -> list[tuple[str, float]]:
    """``(prompt, time)`` of the calls of ``op`` recorded after ``prompt``'s first poll."""
    first = next(i for i, (o, p, _) in enumerate(times) if o == "poll" and p == prompt)
    return [(p, t) for o, p, t in times[first + 1 :] if o == op and p != prompt]


async def test_429_on_a_poll_also_pauses_creates(run: RunFn, clock: FakeClock) -> None:
    # Three jobs run at once, so nothing but the shared pause holds back the next creates:
    # without it, jobs 2 and 3 finish at once and jobs 4-6 are sent 29 s too early.
    fake = FakeProvider(clock=clock)
    fake.enqueue(RateLimited("HTTP 429", retry_after=30.0), op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(6, concurrency=3), [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 6
    first_429 = next(t for op, p, t in fake.times if op == "poll" and p == "portrait number 1")
    later = _after(fake.times, "submit", "portrait number 1")
    assert [p for p, _ in later] == [f"portrait number {i}" for i in (4, 5, 6)]
    assert all(t >= first_429 + 30.0 for _, t in later), later


async def test_429_pauses_the_polls_of_the_other_jobs(run: RunFn, clock: FakeClock) -> None:
    # Polls and downloads take no create token, so only the shared pause can hold them back.
    fake = FakeProvider(clock=clock, polls_before_done=3)
    fake.enqueue(RateLimited("HTTP 429", retry_after=30.0), op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(2, concurrency=2), [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 2
    first_429 = next(t for op, p, t in fake.times if op == "poll" and p == "portrait number 1")
    later = _after(fake.times, "poll", "portrait number 1")
    assert later and {p for p, _ in later} == {"portrait number 2"}
    assert all(t >= first_429 + 30.0 for _, t in later), later


async def test_ambiguous_create_on_a_free_model_is_sent_again(run: RunFn) -> None:
    # No look-up exists (can_reattach False), but a free model costs nothing to send twice.
    fake = FakeProvider(can_reattach=False)
    fake.enqueue(DROP, prompt="portrait number 1")
    outcome = await run(make_plan(1, [entry(price="0")]), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "succeeded" and r.attempts == 2
    assert fake.creates["portrait number 1"] == 2 and not fake.ops("find")


async def test_answered_500s_on_create_are_retried_without_double_charge(
    run: RunFn, events: list[Event]
) -> None:
    fake = FakeProvider()
    fake.enqueue(answered_500(), answered_500(), prompt="portrait number 2")
    outcome = await run(make_plan(3), [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 3
    assert fake.creates == Counter({f"portrait number {i}": 1 for i in (1, 2, 3)})
    assert outcome.retries == 2 and outcome.results[1].attempts == 3
    assert sum(isinstance(e, JobRetrying) for e in events) == 2


async def test_500s_until_retries_run_out_fall_back_to_the_next_provider(run: RunFn) -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    a.enqueue(*[answered_500() for _ in range(4)], prompt="portrait number 1")
    plan = make_plan(2, [entry("a"), entry("b")])
    outcome = await run(plan, [a, b], keys_for(a=["ak_key_aaaaaaaaaaaa"], b=["bk_key_bbbbbbbb1"]))
    assert [r.provider for r in outcome.results] == ["b", "a"]
    assert outcome.count("succeeded") == 2
    assert a.creates["portrait number 1"] == 0 and b.creates["portrait number 1"] == 1


async def test_dropped_create_reattaches_instead_of_sending_again(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(DROP, prompt="portrait number 1")
    outcome = await run(make_plan(2), [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 2
    assert fake.creates["portrait number 1"] == 1
    assert len(fake.ops("find")) == 1
    assert outcome.results[0].remote_id == "fake-1"


async def test_dropped_create_that_never_arrived_is_sent_once_more(run: RunFn) -> None:
    fake = FakeProvider()
    lost = Transient("connection reset", provider="fake", maybe_accepted=True)
    fake.enqueue(lost, prompt="portrait number 1")  # raised before the provider records it
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    assert outcome.results[0].status == "succeeded"
    assert fake.creates["portrait number 1"] == 1
    assert len(fake.ops("submit")) == 2 and len(fake.ops("find")) == 1


async def test_dropped_create_on_a_sync_provider_is_ambiguous_and_kept_in_budget(
    run: RunFn, events: list[Event]
) -> None:
    fake = FakeProvider(asynchronous=False, can_reattach=False)
    fake.enqueue(DROP, prompt="portrait number 1")
    outcome = await run(make_plan(2), [fake], keys_for(fake=[KEY]))
    first = outcome.results[0]
    assert first.status == "failed" and first.error is not None
    assert first.error.kind == "ambiguous" and "may have been billed" in first.error.message
    assert fake.creates["portrait number 1"] == 1  # never sent twice
    last = [e for e in events if isinstance(e, CostUpdated)][-1]
    assert last.reserved == entry().price  # it may be billed: the reservation is kept


async def test_failed_prediction_is_recreated_and_not_billed(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(FAIL, op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(2), [fake], keys_for(fake=[KEY]))
    assert outcome.count("succeeded") == 2
    assert fake.creates["portrait number 1"] == 2  # the failed one made no image
    assert outcome.cost_usd == 2 * entry().price


async def test_failed_predictions_stop_after_the_limit(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(FAIL, FAIL, FAIL, op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "failed" and r.error is not None and r.error.kind == "remote_failed"
    # made once more (--retry-failed 1 by default), then no other provider: failed, free
    assert fake.creates["portrait number 1"] == 2 and r.cost_usd == 0 and r.attempts == 2


async def test_a_billed_failed_prediction_is_counted_and_made_again(
    run: RunFn, events: list[Event]
) -> None:
    """Issue 12: every image the user asked for; the failed attempt's cost is counted."""
    fake = FakeProvider()
    billed = RemoteJobFailed("job failed: CUDA out of memory", provider="fake", billed=True)
    fake.enqueue(billed, op="poll", prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "succeeded" and r.file is not None and r.attempts == 2
    assert fake.creates["portrait number 1"] == 2
    assert r.cost_usd == 2 * entry().price == outcome.cost_usd  # both attempts were billed
    last = [e for e in events if isinstance(e, CostUpdated)][-1]
    assert (last.spent, last.reserved) == (2 * entry().price, 0)


async def test_content_rejection_is_final(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(ContentRejected("nsfw", provider="fake"), prompt="portrait number 1")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "failed" and r.error is not None and r.error.kind == "content_rejected"
    assert len(fake.ops("submit")) == 1


async def test_dead_key_is_retired_and_work_moves_to_the_next_key(run: RunFn) -> None:
    dead, good = "fk_dead_aaaaaaaaaaaa", "fk_good_bbbbbbbbbbbb"
    fake = FakeProvider(dead_keys=[dead])
    outcome = await run(make_plan(8, concurrency=2), [fake], keys_for(fake=[dead, good]))
    assert outcome.count("succeeded") == 8
    assert {r.key for r in outcome.results} == {"fk_…bbbb"}
    dead_calls = [c for c in fake.ops("submit") if c[2] == "fk_…aaaa"]
    assert 1 <= len(dead_calls) <= 2  # at most the jobs in flight when it died
    assert set(fake.creates.values()) == {1}


async def test_out_of_credit_keys_fall_back_to_the_next_provider(run: RunFn) -> None:
    broke1, broke2 = "ak_broke_111111111", "ak_broke_222222222"
    a = FakeProvider("a", broke_keys=[broke1, broke2])
    b = FakeProvider("b")
    plan = make_plan(5, [entry("a"), entry("b")], concurrency=2)
    outcome = await run(plan, [a, b], keys_for(a=[broke1, broke2], b=["bk_key_bbbbbbbb1"]))
    assert outcome.count("succeeded") == 5
    assert {r.provider for r in outcome.results} == {"b"}
    assert sum(a.creates.values()) == 0 and set(b.creates.values()) == {1}


async def test_budget_holds_at_concurrency_16(run: RunFn, events: list[Event]) -> None:
    fake = FakeProvider(polls_before_done=2)
    cap = Decimal("0.50")
    plan = make_plan(40, max_cost=str(cap), concurrency=16)
    outcome = await run(plan, [fake], keys_for(fake=[KEY, "fk_key_second_0001"]))

    costs = [e for e in events if isinstance(e, CostUpdated)]
    assert costs and all(e.spent + e.reserved <= cap for e in costs)
    assert outcome.cost_usd <= cap
    assert outcome.count("succeeded") == 16  # 16 x 0.03 = 0.48
    budget_stops = [r for r in outcome.results if r.error and r.error.kind == "budget"]
    assert len(budget_stops) == 24 and all(r.status == "not_run" for r in budget_stops)
    assert sum(fake.creates.values()) == 16


async def test_fallback_to_a_dearer_model_cannot_leak_past_the_budget(
    run: RunFn, events: list[Event]
) -> None:
    cheap = FakeProvider("cheap", dead_keys=["ck_dead_aaaaaaaaaaaa"])
    dear = FakeProvider("dear")
    cap = Decimal("0.35")
    chain = [entry("cheap", price="0.01"), entry("dear", price="0.10")]
    plan = make_plan(10, chain, max_cost=str(cap), concurrency=16)
    keys = keys_for(cheap=["ck_dead_aaaaaaaaaaaa"], dear=["dk_key_bbbbbbbbbb"])
    outcome = await run(plan, [cheap, dear], keys)
    assert all(e.spent + e.reserved <= cap for e in events if isinstance(e, CostUpdated))
    assert outcome.count("succeeded") == 3 and outcome.cost_usd == Decimal("0.30")
    assert sum(dear.creates.values()) == 3


async def test_breaker_opens_and_remaining_jobs_fall_back_at_once(run: RunFn) -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    a.enqueue(*[answered_500() for _ in range(100)])
    plan = make_plan(12, [entry("a"), entry("b")], concurrency=2)
    keys = keys_for(a=["ak_key_aaaaaaaaaaaa"], b=["bk_key_bbbbbbbb1"])
    outcome = await run(plan, [a, b], keys, config=EngineConfig(breaker_threshold=3))
    assert outcome.count("succeeded") == 12 and {r.provider for r in outcome.results} == {"b"}
    assert len(a.ops("submit")) <= 3 + 2  # threshold plus what was in flight


async def test_unreachable_poll_keeps_the_job_pending_for_a_rerun(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider()
    down = Transient("could not connect (ConnectError)", provider="fake")
    fake.enqueue(*[down] * 6, op="poll", prompt="portrait number 1")
    first = await run(make_plan(2), [fake], keys_for(fake=[KEY]))
    r = first.results[0]
    assert r.status == "failed" and r.error is not None and "run again" in r.error.message

    second = await run(make_plan(2), [fake], keys_for(fake=[KEY]))
    assert [x.status for x in second.results] == ["succeeded", "reused"]
    assert fake.creates["portrait number 1"] == 1  # re-attached, not re-created
    assert second.results[0].remote_id == r.remote_id


async def test_non_image_output_is_invalid_response_and_billed(run: RunFn, out_dir: Path) -> None:
    fake = FakeProvider()
    fake.enqueue(b"<html>oops</html>", op="download")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.status == "failed" and r.error is not None and r.error.kind == "invalid_response"
    assert r.cost_usd == entry().price  # the provider made (and billed) it
    assert not (out_dir / "images").exists() or not any((out_dir / "images").iterdir())


async def test_transient_download_is_retried(run: RunFn) -> None:
    fake = FakeProvider()
    fake.enqueue(Transient("reset", provider="fake", maybe_accepted=True), op="download")
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    assert outcome.results[0].status == "succeeded" and outcome.retries == 1


async def test_billed_figure_from_the_provider_is_settled(run: RunFn, events: list[Event]) -> None:
    from pinglass.providers.base import Billed, Finished, ImageData

    fake = FakeProvider(asynchronous=False)
    billed = Finished(
        images=(ImageData(url="https://x.invalid/a.png"),), billed=Billed(Decimal("0.0123"), "usd")
    )
    fake.enqueue(billed)
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = outcome.results[0]
    assert r.cost_usd == Decimal("0.0123") and r.cost_source == "provider"
    assert r.estimated_cost_usd == entry().price
    last = [e for e in events if isinstance(e, CostUpdated)][-1]
    assert last.spent == Decimal("0.0123") and last.reserved == 0


async def test_a_job_that_never_finishes_times_out_and_stays_pending(
    run: RunFn,
    settings,
    out_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeProvider(polls_before_done=10_000)
    short = settings.model_copy(update={"poll_timeout": 5.0})
    outcome = await run(make_plan(1), [fake], keys_for(fake=[KEY]), settings=short)
    r = outcome.results[0]
    assert r.status == "failed" and r.error is not None and "still running" in r.error.message
    fake.polls_before_done = 1
    again = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    assert again.results[0].status == "succeeded" and fake.creates["portrait number 1"] == 1


async def test_keys_never_reach_results_or_journal(run: RunFn, out_dir: Path) -> None:
    CANARY = "sk-CANARY-0123456789abcdefCANARY"  # the suite's canary value
    fake = FakeProvider(dead_keys=[CANARY])
    fake.enqueue(DROP, prompt="portrait number 2")
    outcome = await run(make_plan(3), [fake], keys_for(fake=[CANARY, KEY]))
    assert outcome.count("succeeded") == 3
    assert CANARY not in (out_dir / "journal.jsonl").read_text()
    assert CANARY not in repr(outcome)


async def test_unwritable_output_is_reported_and_refetched_on_rerun(
    run: RunFn, out_dir: Path
) -> None:
    fake = FakeProvider()
    out_dir.mkdir(parents=True)
    (out_dir / "images").write_text("a file where the images folder should be")
    first = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    r = first.results[0]
    (out_dir / "images").unlink()
    assert r.error is not None and r.error.kind == "io" and r.cost_usd == entry().price
    again = await run(make_plan(1), [fake], keys_for(fake=[KEY]))
    assert again.results[0].status == "succeeded"
    assert fake.creates["portrait number 1"] == 1
