"""The folder's history across a lost journal: charge records, the ledger, the image index.

Issue 12 rows 3 and 12 at the engine's level (the CLI's are in tests/hardening/).
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import FakeProvider, RunFn, entry, keys_for, make_plan
from fifo_guard import call_with_timeout, make_fifo
from pinglass.history import folder_paid, keep_paid_images
from pinglass.providers.base import Reference
from pinglass.regular_file import NotRegularFile
from pinglass.run_folder import RunFolder
from pinglass.runner import previous_results
from pinglass.runner.events import Event, JobFinished
from pinglass.runner.image_index import read_image_index
from pinglass.runner.journal import (
    ChargeRecord,
    JobRef,
    Journal,
    job_states,
    read_journal,
    read_records,
)
from pinglass.runner.plan import Job

pytestmark = pytest.mark.anyio
KEYS = keys_for(fake=["fk_key_aaaaaaaaaaaa"])


def _records(out_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out_dir / "journal.jsonl").read_text().splitlines()]


async def test_every_settled_job_journals_one_charge_before_its_result(
    run: RunFn, out_dir: Path
) -> None:
    await run(make_plan(3), [FakeProvider()], KEYS)
    recs = _records(out_dir)
    assert [r["ev"] for r in recs if r["index"] == 1] == ["intent", "submit", "charge", "result"]
    charges = [r for r in recs if r["ev"] == "charge"]
    assert len(charges) == 3 and {Decimal(str(r["usd"])) for r in charges} == {entry().price}
    assert all(r["remote_id"] and r["provider"] == "fake" for r in charges)
    assert folder_paid(RunFolder(out_dir)) == 3 * entry().price


def test_a_charge_reads_back_and_is_no_job_state(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    job = Job(index=1, prompt_id="p01", prompt="portrait number 1", seed=7)
    charge = ChargeRecord(JobRef.of(job), 5.0, "fake", "r-1", Decimal("0.025000"))
    journal.append(charge)
    journal.close()
    assert read_records(tmp_path / "journal.jsonl") == [charge]
    assert job_states([charge], [job]) == {}


def test_the_ledger_counts_a_remote_job_once_and_reads_old_journals(tmp_path: Path) -> None:
    lines = [  # a job settled by one run (download failed) and again by the re-run
        {"ev": "charge", "job": "a", "index": 1, "provider": "r", "remote_id": "x", "usd": "0.5"},
        {"ev": "charge", "job": "a", "index": 1, "provider": "r", "remote_id": "x", "usd": "0.5"},
        {"ev": "charge", "job": "b", "index": 2, "provider": "s", "remote_id": None, "usd": "0.25"},
        {"ev": "charge", "job": "c", "index": 3, "provider": "r", "usd": "NaN"},
    ]
    (tmp_path / "journal.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    old = {"ev": "result", "job": "d", "index": 4, "status": "succeeded", "cost_usd": "0.125"}
    (tmp_path / "journal.before-20260101-000000.jsonl").write_text(json.dumps(old) + "\n")
    assert folder_paid(RunFolder(tmp_path)) == Decimal("0.875")


async def test_a_lost_journal_reuses_the_images_by_their_index(run: RunFn, out_dir: Path) -> None:
    plan = make_plan(3)
    first = await run(plan, [FakeProvider()], KEYS)
    (out_dir / "journal.jsonl").write_text("")
    found = previous_results(out_dir, plan)
    assert sorted(found) == [1, 2, 3]
    made = {r.index: r for r in first.results}
    for i, row in found.items():
        assert row.status == "reused" and row.file == made[i].file
        assert row.remote_id == made[i].remote_id and row.cost_usd == made[i].cost_usd
    again = FakeProvider()
    outcome = await run(plan, [again], KEYS)
    assert not again.creates and outcome.cost_usd == 0
    assert folder_paid(RunFolder(out_dir)) == 3 * entry().price  # counted from the index


async def test_new_references_still_reuse_the_prompts_images(run: RunFn, out_dir: Path) -> None:
    """A selfie removed from the chosen set changes every job's key, not its prompt."""
    plan = make_plan(2)
    await run(plan, [FakeProvider()], KEYS)
    fewer_refs = (Reference("b.jpg", b"another selfie"),)
    fewer = replace(plan, jobs=tuple(replace(j, references=fewer_refs) for j in plan.jobs))
    assert sorted(previous_results(out_dir, fewer)) == [1, 2]


async def test_an_image_whose_bytes_changed_is_not_vouched_for(run: RunFn, out_dir: Path) -> None:
    plan = make_plan(2)
    await run(plan, [FakeProvider()], KEYS)
    (out_dir / "journal.jsonl").unlink()
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(out_dir / "images" / "02-p02.png")
    assert sorted(previous_results(out_dir, plan)) == [1]
    assert len(read_image_index(out_dir)) == 2


async def test_paid_files_nothing_vouches_for_are_set_aside_never_overwritten(
    run: RunFn, out_dir: Path
) -> None:
    plan = make_plan(2)
    await run(plan, [FakeProvider()], KEYS)
    (out_dir / "journal.jsonl").unlink()
    (out_dir / RunFolder.IMAGE_INDEX).unlink()
    paid = (out_dir / "images" / "01-p01.png").read_bytes()
    moved = keep_paid_images(RunFolder(out_dir), plan.jobs, reused=())
    assert sorted(p.name for p in moved) == ["01-p01.before-1.png", "02-p02.before-1.png"]
    assert (out_dir / "images" / "01-p01.before-1.png").read_bytes() == paid
    again = FakeProvider()
    await run(plan, [again], KEYS)  # paid again: nothing vouched for the old files
    assert len(again.creates) == 2
    assert (out_dir / "images" / "01-p01.before-1.png").read_bytes() == paid


async def test_the_engine_never_writes_over_an_earlier_file(run: RunFn, out_dir: Path) -> None:
    """Even without the session's set-aside, a new image lands beside the old one."""
    plan = make_plan(1)
    (out_dir / "images").mkdir(parents=True)
    (out_dir / "images" / "01-p01.png").write_bytes(b"paid for by a run long ago")
    await run(plan, [FakeProvider()], KEYS)
    assert (
        out_dir / "images" / "01-p01.before-1.png"
    ).read_bytes() == b"paid for by a run long ago"


# -- a full disk (row 7): os.write is the boundary a full disk answers at ---------------------


def _full_disk(monkeypatch: pytest.MonkeyPatch, journal: Path, after: int = 0) -> None:
    """Let ``after`` writes to ``journal`` through, then answer every one with ENOSPC."""
    real_write = os.write
    seen = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}") == str(journal):
            seen["n"] += 1
            if seen["n"] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


def test_a_refused_journal_line_raises_naming_the_file_and_never_glues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.write({"job": "a", "ev": "x"})
    with monkeypatch.context() as patch:
        _full_disk(patch, path)
        with pytest.raises(OSError, match="No space left") as caught:
            journal.write({"job": "b", "ev": "x"})
    assert caught.value.filename == str(path) and journal.error is not None
    journal.write({"job": "c", "ev": "x"})  # space again
    journal.close()
    assert [r["job"] for r in read_journal(path)] == ["a", "c"]


def test_a_line_the_disk_cut_short_is_never_glued_to_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    real_write = os.write
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", lambda fd, data: real_write(fd, data[:10]))
        with pytest.raises(OSError, match="No space left"):
            journal.write({"job": "a", "ev": "x"})
    journal.write({"job": "b", "ev": "x"})
    journal.close()
    assert [r["job"] for r in read_journal(path)] == ["b"]


async def test_a_journal_the_disk_refuses_stops_the_run_without_a_crash(
    run: RunFn, out_dir: Path, monkeypatch: pytest.MonkeyPatch, events: list[Event]
) -> None:
    """The first job's submit line is refused: it fails ``io``, nothing new is sent."""
    out_dir.mkdir(parents=True)
    _full_disk(monkeypatch, out_dir / "journal.jsonl", after=1)  # the first intent only
    fake = FakeProvider()
    outcome = await run(make_plan(3, concurrency=1), [fake], KEYS)
    assert outcome.interrupted
    for r in outcome.results:  # the other two stop unsent; their end cannot be journaled either
        assert r.status == "failed" and r.error is not None and r.error.kind == "io"
    err = outcome.results[0].error
    assert err is not None and "journal.jsonl: No space left on device" in err.message
    assert len(fake.creates) == 1  # its create went out (journaled first); no other did
    assert any(isinstance(e, JobFinished) and e.result.error == err for e in events)


def _full_image_disk(monkeypatch: pytest.MonkeyPatch, images: Path) -> None:
    """Answer the fsync of every new image under ``images`` with ENOSPC (the index and the
    journal still write: the disk filled while the images were landing)."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.parent == images and path.name.endswith(".tmp"):  # write_atomic's temp file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


async def test_a_rerun_after_a_full_disk_counts_the_collected_jobs_as_earlier_spend(
    run: RunFn, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run paid for three images it could not write; the re-run collects them.

    Their money was spent by the first run: the re-run's own spend is $0, each row still says
    what its image cost (all of it ``earlier_cost_usd``), and the folder's ledger is unchanged.
    """
    fake = FakeProvider()
    plan = make_plan(3, concurrency=3)
    with monkeypatch.context() as patch:
        _full_image_disk(patch, out_dir / "images")
        first = await run(plan, [fake], KEYS)
    assert [r.error.kind if r.error else None for r in first.results] == ["io"] * 3
    paid = folder_paid(RunFolder(out_dir))
    assert first.cost_usd == paid == Decimal("0.09")

    again = await run(plan, [fake], KEYS)
    assert again.count("succeeded") == 3
    assert set(fake.creates.values()) == {1}  # collected, never created again
    assert again.cost_usd == 0
    for r in again.results:
        assert r.cost_usd == r.earlier_cost_usd == Decimal("0.03") and r.spent_usd == 0
    assert folder_paid(RunFolder(out_dir)) == paid


def test_a_possible_charge_counts_until_a_later_charge_for_its_job(tmp_path: Path) -> None:
    """A create cut off by a second Ctrl-C is possibly billed; the re-run's charge replaces it."""
    cut = {"ev": "charge", "job": "a", "index": 1, "provider": "r", "usd": "0.5", "possible": True}
    (tmp_path / "journal.jsonl").write_text(json.dumps(cut) + "\n")
    assert folder_paid(RunFolder(tmp_path)) == Decimal("0.5")
    found = cut | {"remote_id": "x", "possible": False}
    with (tmp_path / "journal.jsonl").open("a") as fh:
        fh.write(json.dumps(found) + "\n")
    assert folder_paid(RunFolder(tmp_path)) == Decimal("0.5")


def test_a_fifo_in_place_of_the_journal_or_the_index_is_never_waited_on(tmp_path: Path) -> None:
    """The engine and the folder's history read these; check_run_files names a bad journal."""
    journal = make_fifo(tmp_path / "journal.jsonl")
    with pytest.raises(NotRegularFile, match="not a regular file"):
        call_with_timeout(journal, read_journal, journal)
    (tmp_path / "images").mkdir()
    index = make_fifo(tmp_path / "images" / ".index.jsonl")
    assert call_with_timeout(index, read_image_index, tmp_path) == []  # a second record only
