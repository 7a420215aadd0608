"""``journal.jsonl``: the append-only record of every create and result, fsynced (group commit).

The journal is what makes a run resumable and what keeps it from paying twice. Three records:

- ``intent``: a billable create is about to be sent (written *before* the request).
- ``submit``: the provider accepted it as ``remote_id`` (written *before* the first poll).
- ``result``: the job ended (``succeeded`` with its file, or ``failed``/``not_run``).

Every record carries ``job``, a hash of what decides the image (:func:`job_key`), so a changed
prompt is never mistaken for a finished one. Keys appear only masked. A line torn by SIGKILL is
ignored on reading and never glued to the next record.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pinglass.run_folder import RunFolder
from pinglass.runner.plan import Job

__all__ = ["JOURNAL_NAME", "JobState", "Journal", "job_key", "job_states", "read_journal"]

JOURNAL_NAME = RunFolder.JOURNAL


def job_key(job: Job) -> str:
    """A short hash of everything that decides ``job``'s image, independent of the model."""
    h = hashlib.sha256()
    for part in (
        str(job.index),
        job.prompt_id,
        job.prompt,
        job.negative_prompt,
        f"{job.width}x{job.height}",
        str(job.seed),
        str(job.guidance),
        str(job.steps),
        str(job.identity_weight),
        repr(sorted(job.params.items())),
        *(r.sha256 for r in job.references),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class JobState:
    """What earlier runs left for one job: a finished image, a remote job, or a sent create."""

    done: Mapping[str, Any] | None = None
    """The last ``succeeded`` result record (its file may still need checking)."""
    pending: Mapping[str, Any] | None = None
    """A ``submit`` record whose remote job has no result yet: re-attach, never re-create."""
    intent: Mapping[str, Any] | None = None
    """An ``intent`` with neither a remote id nor a result after it: an ambiguous create."""
    cancelled: bool = False
    """We cancelled the pending remote job (second Ctrl-C) and the provider accepted."""


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every well-formed record of the journal at ``path`` (none when it is missing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a crash mid-write
        if isinstance(rec, dict) and isinstance(rec.get("job"), str):
            records.append(rec)
    return records


def job_states(records: Iterable[Mapping[str, Any]], jobs: Iterable[Job]) -> dict[int, JobState]:
    """Fold the journal into one :class:`JobState` per job index of ``jobs`` that has history."""
    keys = {job_key(j): j.index for j in jobs}
    raw: dict[int, dict[str, Mapping[str, Any] | None]] = {}
    cancelled: set[int] = set()
    for rec in records:
        index = keys.get(str(rec.get("job")))
        if index is None:
            continue
        st = raw.setdefault(index, {"done": None, "pending": None, "intent": None})
        ev = rec.get("ev")
        if ev == "intent":
            st["intent"] = rec
        elif ev == "submit":
            st["pending"], st["intent"] = rec, None
            cancelled.discard(index)
        elif ev == "cancel" and rec.get("accepted") and st["pending"] is not None:
            if st["pending"].get("remote_id") == rec.get("remote_id"):
                cancelled.add(index)
        elif ev == "result" and rec.get("status") == "succeeded":
            st["done"], st["pending"], st["intent"] = rec, None, None
        elif ev == "result" and not rec.get("recoverable"):
            st["pending"], st["intent"] = None, None
    return {
        i: JobState(s["done"], s["pending"], s["intent"], i in cancelled and bool(s["pending"]))
        for i, s in raw.items()
    }


class Journal:
    """An open JSON-lines journal, appended to with group commit.

    Every line reaches the operating system as it is written, so a crash of the process (even
    SIGKILL) loses nothing. Surviving a power cut takes an fsync, and lines that land together
    share one:

    - a *durable* write (an ``intent``: its create is sent right after) fsyncs before it
      returns, together with every line written before it;
    - any other line is fsynced by the next durable write, or by one commit scheduled
      ``window`` seconds later on the running event loop (so the submit record of a create is
      on disk before its first poll, which waits the poll interval), or by :meth:`close`.

    Without a running event loop every write is durable. Used from one event loop (or thread).
    """

    def __init__(
        self,
        path: Path,
        *,
        window: float = 0.005,
        fsync: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self._window = window
        self._fsync = fsync or os.fsync
        self._unsynced = 0
        self._timer: asyncio.TimerHandle | None = None
        self.syncs = 0
        """fsync calls made so far (for tests and benchmarks)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = path.open("a+", encoding="utf-8")
        self._heal_torn_tail()

    def _heal_torn_tail(self) -> None:
        assert self._fh is not None  # noqa: S101
        size = self._fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        with self.path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) != b"\n":
                self._fh.write("\n")  # never glue a new record onto a torn one
                self._unsynced += 1
                self.commit()

    def write(self, record: Mapping[str, Any], *, durable: bool = True) -> None:
        """Append ``record`` as one line; with ``durable``, fsync it before returning.

        A line written with ``durable=False`` is on disk within ``window`` seconds (or at the
        next durable write, or :meth:`close`).
        """
        if self._fh is None:
            raise RuntimeError("journal is closed")
        self._fh.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()
        self._unsynced += 1
        if durable:
            self.commit()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop to batch on: commit now
            self.commit()
            return
        self._timer = loop.call_later(self._window, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.commit()

    def commit(self) -> None:
        """fsync every line written so far (nothing to do when they all are)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fh is None or not self._unsynced:
            return
        self._fh.flush()
        self._fsync(self._fh.fileno())
        self._unsynced = 0
        self.syncs += 1

    def close(self) -> None:
        """Commit and close; further writes raise ``RuntimeError``. Safe to call twice."""
        if self._fh is not None:
            self.commit()
            self._fh.close()
            self._fh = None
