"""Journal group commit: an intent is on disk before its create is sent; other records share
fsyncs; nothing written is lost to a closed journal."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from runner_fixtures import *  # noqa: F403 - fixtures

from fakes import FakeProvider, RunFn, keys_for, make_plan
from pinglass.runner.journal import Journal

pytestmark = pytest.mark.anyio


class FsyncCounter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, fd: int) -> None:
        self.calls += 1
        os.fsync(fd)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_records_landing_together_share_one_fsync(tmp_path: Path) -> None:
    fsync = FsyncCounter()
    journal = Journal(tmp_path / "journal.jsonl", fsync=fsync)
    for i in range(10):
        journal.write({"ev": "result", "job": f"j{i}"}, durable=False)
    assert fsync.calls == 0  # reached the OS (a crash keeps them), not yet fsynced
    assert len(_lines(tmp_path / "journal.jsonl")) == 10
    journal.write({"ev": "intent", "job": "j10"})  # durable: one fsync covers all eleven
    assert fsync.calls == 1
    journal.write({"ev": "submit", "job": "j10"}, durable=False)
    # The scheduled commit (5 ms) is due before this sleep ends: the loop runs timers in order.
    await asyncio.sleep(0.1)
    assert fsync.calls == 2
    journal.close()
    assert fsync.calls == 2  # nothing left to commit
    assert [r["job"] for r in _lines(tmp_path / "journal.jsonl")][-2:] == ["j10", "j10"]


def test_without_an_event_loop_every_write_is_fsynced(tmp_path: Path) -> None:
    fsync = FsyncCounter()
    journal = Journal(tmp_path / "journal.jsonl", fsync=fsync)
    journal.write({"ev": "result", "job": "a"}, durable=False)
    journal.write({"ev": "result", "job": "b"}, durable=False)
    assert fsync.calls == 2
    journal.close()


async def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    fsync = FsyncCounter()
    journal = Journal(tmp_path / "journal.jsonl", fsync=fsync, window=60.0)
    journal.write({"ev": "result", "job": "a"}, durable=False)
    assert fsync.calls == 0
    journal.close()
    assert fsync.calls == 1
    with pytest.raises(RuntimeError, match="closed"):
        journal.write({"ev": "result", "job": "b"}, durable=False)


async def test_every_intent_is_on_disk_before_its_create_is_sent(
    run: RunFn, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = out_dir / "journal.jsonl"
    synced = {"size": 0, "journal": 0}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the syscall boundary: remember how much of the journal is safe
        real_fsync(fd)
        if path.exists() and os.fstat(fd).st_ino == path.stat().st_ino:
            synced["size"] = os.fstat(fd).st_size
            synced["journal"] += 1

    monkeypatch.setattr(os, "fsync", fsync)
    fake = FakeProvider()
    checked: list[bool] = []
    original = fake.submit

    async def submit_checking_disk(req, key):  # type: ignore[no-untyped-def]
        durable = path.read_bytes()[: synced["size"]].decode().splitlines()
        intents = [json.loads(line) for line in durable if '"ev":"intent"' in line]
        index = int(req.prompt.rsplit(" ", 1)[1])  # make_plan's "portrait number N"
        checked.append(any(r["index"] == index for r in intents))
        return await original(req, key)

    fake.submit = submit_checking_disk  # type: ignore[method-assign]
    plan = make_plan(12)
    outcome = await run(plan, [fake], keys_for(fake=["fk_key_aaaaaaaaaaaa"]))
    assert [r.status for r in outcome.results] == ["succeeded"] * 12
    assert len(checked) == 12 and all(checked)
    records = _lines(path)
    assert len(records) == 48  # intent, submit, charge, result per image
    assert synced["journal"] < len(records)  # grouped: fewer fsyncs than records


async def test_the_journal_is_private_like_every_other_output_file(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the common default, which made the journal world-readable
    try:
        journal = Journal(tmp_path / "journal.jsonl")
        journal.write({"ev": "intent", "job": "j1"})
        journal.close()
    finally:
        os.umask(old)
    assert (tmp_path / "journal.jsonl").stat().st_mode & 0o777 == 0o600
    # re-opened for a resume, it still appends
    again = Journal(tmp_path / "journal.jsonl")
    again.write({"ev": "intent", "job": "j2"})
    again.close()
    assert [r["job"] for r in _lines(tmp_path / "journal.jsonl")] == ["j1", "j2"]
