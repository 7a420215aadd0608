"""The engine's happy path, journal discipline, resume and reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import FakeClock, FakeProvider, RunFn, entry, keys_for, make_plan, png_bytes
from pinglass.errors import NoUsableProvider
from pinglass.runner import previous_results
from pinglass.runner.events import CostUpdated, Event, JobFinished, JobPolling, JobStarted
from pinglass.runner.files import is_image_file

pytestmark = pytest.mark.anyio


def journal(out_dir: Path) -> list[dict[str, object]]:
    lines = (out_dir / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_happy_path_writes_every_image_once(run: RunFn, out_dir: Path) -> None:
    fake = FakeProvider()
    plan = make_plan(5)
    outcome = await run(plan, [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))

    assert [r.status for r in outcome.results] == ["succeeded"] * 5
    assert [r.index for r in outcome.results] == [1, 2, 3, 4, 5]
    assert all(n == 1 for n in fake.creates.values()) and len(fake.creates) == 5
    for r in outcome.results:
        assert r.file == f"images/{r.index:02d}-p{r.index:02d}.png"
        assert is_image_file(out_dir / r.file)
        assert r.key == "fk_…aaaa"
        assert r.cost_usd == r.estimated_cost_usd
        assert r.attempts == 1 and r.remote_id is not None
    assert outcome.cost_usd == 5 * entry().price
    assert not outcome.interrupted


async def test_jpeg_output_gets_jpg_extension(run: RunFn, out_dir: Path) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buf, format="JPEG")
    fake = FakeProvider(image=buf.getvalue())
    outcome = await run(make_plan(1), [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert outcome.results[0].file == "images/01-p01.jpg"


async def test_submit_is_journaled_before_the_first_poll(run: RunFn, out_dir: Path) -> None:
    fake = FakeProvider()
    seen: list[bool] = []
    original = fake.poll

    async def poll_checking_journal(remote_id: str, key):  # type: ignore[no-untyped-def]
        recs = journal(out_dir)
        seen.append(any(r["ev"] == "submit" and r["remote_id"] == remote_id for r in recs))
        return await original(remote_id, key)

    fake.poll = poll_checking_journal  # type: ignore[method-assign]
    await run(make_plan(3), [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert seen and all(seen)
    recs = journal(out_dir)
    assert [r["ev"] for r in recs if r["index"] == 1] == ["intent", "submit", "charge", "result"]
    assert all("fk_key_aaaaaaaaaaaa" not in json.dumps(r) for r in recs)


async def test_events_tell_the_story(run: RunFn, events: list[Event]) -> None:
    fake = FakeProvider()
    await run(make_plan(2), [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    kinds = {type(e) for e in events}
    assert {JobStarted, JobPolling, JobFinished, CostUpdated} <= kinds
    last_cost = [e for e in events if isinstance(e, CostUpdated)][-1]
    assert last_cost.reserved == 0 and last_cost.spent == 2 * entry().price


async def test_rerun_reuses_finished_images_without_requests(run: RunFn, out_dir: Path) -> None:
    plan = make_plan(4)
    first = FakeProvider()
    await run(plan, [first], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert sorted(previous_results(out_dir, plan)) == [1, 2, 3, 4]

    (out_dir / "images" / "03-p03.png").unlink()  # lost file: made again
    (out_dir / "images" / "04-p04.png").write_bytes(b"not an image")  # corrupt: made again
    second = FakeProvider()
    outcome = await run(plan, [second], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert [r.status for r in outcome.results] == ["reused", "reused", "succeeded", "succeeded"]
    assert sorted(second.creates) == ["portrait number 3", "portrait number 4"]
    assert outcome.cost_usd == 2 * entry().price
    assert outcome.results[0].cost_usd == entry().price  # what it cost when it was made


async def test_changed_prompt_is_not_reused(run: RunFn, out_dir: Path) -> None:
    await run(make_plan(1), [FakeProvider()], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    changed = make_plan(1, seed=99)
    assert previous_results(out_dir, changed) == {}


async def test_keyless_provider_needs_no_key(run: RunFn) -> None:
    fake = FakeProvider("mock", keyless=True, asynchronous=False)
    outcome = await run(make_plan(2, [entry("mock", price="0")]), [fake])
    assert [r.status for r in outcome.results] == ["succeeded"] * 2
    assert outcome.results[0].key is None


async def test_no_key_for_any_provider_is_refused_before_requests(run: RunFn) -> None:
    fake = FakeProvider()
    with pytest.raises(NoUsableProvider, match="no key"):
        await run(make_plan(2), [fake])
    assert fake.calls == []


async def test_sliding_window_respects_concurrency(run: RunFn) -> None:
    fake = FakeProvider(polls_before_done=3)
    await run(make_plan(12, concurrency=3), [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert fake.max_in_flight == 3
    assert sum(fake.creates.values()) == 12


async def test_torn_journal_line_is_tolerated(run: RunFn, out_dir: Path) -> None:
    plan = make_plan(2)
    await run(plan, [FakeProvider()], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    with (out_dir / "journal.jsonl").open("a") as fh:
        fh.write('{"ev":"submit","job":"abc')  # SIGKILL mid-write
    outcome = await run(plan, [FakeProvider()], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert [r.status for r in outcome.results] == ["reused", "reused"]
    recs = journal_lines = (out_dir / "journal.jsonl").read_text().splitlines()
    assert journal_lines[-1].startswith("{")
    assert len(recs) >= 7


def test_fake_clock_records_sleeps() -> None:
    import asyncio

    clock = FakeClock()
    asyncio.run(clock.sleep(2.5))
    assert clock.sleeps == [2.5] and clock() == 1002.5
    assert png_bytes().startswith(b"\x89PNG")


async def test_provider_without_keys_is_skipped_for_the_next(run: RunFn) -> None:
    a, b = FakeProvider("a"), FakeProvider("b")
    plan = make_plan(3, [entry("a"), entry("b")])
    outcome = await run(plan, [a, b], keys_for(b=["bk_key_bbbbbbbb1"]))
    assert {r.provider for r in outcome.results} == {"b"} and a.calls == []


async def test_default_concurrency_comes_from_the_first_model(run: RunFn) -> None:
    fake = FakeProvider(polls_before_done=3)
    plan = make_plan(9, [entry(concurrency=2)])
    await run(plan, [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert fake.max_in_flight == 2


async def test_sync_provider_results_are_not_journaled_as_pollable(
    run: RunFn, out_dir: Path
) -> None:
    from pinglass.providers.mock import Mock

    mock = Mock(options={"latency": 0})
    plan = make_plan(2, [entry("mock", price="0")])
    outcome = await run(plan, {"mock": mock})
    assert outcome.count("succeeded") == 2
    assert all(r["ev"] != "submit" for r in journal(out_dir))
