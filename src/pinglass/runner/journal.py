"""``journal.jsonl``: the append-only record of every create and result, fsynced (group commit).

The journal is what makes a run resumable and what keeps it from paying twice. Four records,
each a frozen type here; this module is the only code that knows their JSON keys:

- :class:`IntentRecord` (``intent``): a billable create is about to be sent (written *before*
  the request).
- :class:`SubmittedRecord` (``submit``): the provider accepted it as ``remote_id`` (written
  *before* the first poll).
- :class:`CancelledRecord` (``cancel``): we asked the provider to stop that remote job (second
  Ctrl-C) and whether it accepted.
- :class:`FinishedRecord` (``result``): the job ended (``succeeded`` with its file, or
  ``failed``/``not_run``; ``recoverable`` when a re-run can still collect it).
- :class:`ChargeRecord` (``charge``): an attempt was counted as paid, at this many USD (written
  when its money settles, committed with the result that follows). The charges of every
  journal in the folder are its ledger: ``folder_cost_usd`` is their sum.

Every record carries ``job``, a hash of what decides the image (:func:`job_key`), so a changed
prompt is never mistaken for a finished one. Keys appear only masked. A line torn by SIGKILL is
ignored on reading and never glued to the next record.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

from pinglass.jsonl import objects
from pinglass.money import ZERO, usd
from pinglass.pricing import CostSource
from pinglass.regular_file import read_regular_file
from pinglass.run_folder import RunFolder
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult

__all__ = [
    "JOURNAL_NAME",
    "CancelledRecord",
    "ChargeRecord",
    "FinishedRecord",
    "IntentRecord",
    "JobRef",
    "JobState",
    "Journal",
    "Record",
    "SubmittedRecord",
    "Target",
    "job_key",
    "job_states",
    "read_journal",
    "read_records",
]

JOURNAL_NAME = RunFolder.JOURNAL


def job_key(job: Job) -> str:
    """A short hash of everything that decides ``job``'s image, independent of the model."""
    return job.digest()


@dataclass(frozen=True, slots=True)
class JobRef:
    """Which job a record is about: its :func:`job_key`, index and prompt id."""

    key: str
    index: int
    prompt_id: str

    @classmethod
    def of(cls, job: Job) -> JobRef:
        """The reference to ``job``."""
        return cls(job_key(job), job.index, job.prompt_id)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a create went: provider, model, key fingerprint (masked), request hash, price."""

    provider: str
    model: str
    key_id: str
    fingerprint: str | None
    price: Decimal
    """The catalog price reserved for it, USD."""


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """A billable create is about to be sent; ``at`` is epoch seconds."""

    EV: ClassVar[str] = "intent"
    job: JobRef
    at: float
    target: Target


@dataclass(frozen=True, slots=True)
class SubmittedRecord:
    """The provider accepted the create as ``remote_id``: re-attach to it, never re-create."""

    EV: ClassVar[str] = "submit"
    job: JobRef
    at: float
    target: Target
    remote_id: str


@dataclass(frozen=True, slots=True)
class CancelledRecord:
    """We asked the provider to stop ``remote_id``; ``accepted`` is its answer."""

    EV: ClassVar[str] = "cancel"
    job: JobRef
    at: float
    remote_id: str
    accepted: bool


@dataclass(frozen=True, slots=True)
class FinishedRecord:
    """A job ended: its report row, as far as the journal keeps it (USD, key masked)."""

    EV: ClassVar[str] = "result"
    job: JobRef
    at: float
    row: ImageResult
    """The row without what the journal does not keep: prompt text, estimate, reference list."""
    recoverable: bool = False
    """A failure a re-run can still collect (its remote job stays pending)."""

    @classmethod
    def of(
        cls, job: JobRef, at: float, result: ImageResult, *, recoverable: bool = False
    ) -> FinishedRecord:
        """The record of ``result``."""
        row = replace(result, prompt="", estimated_cost_usd=None, references=())
        return cls(job, at, row, recoverable)


@dataclass(frozen=True, slots=True)
class ChargeRecord:
    """An attempt at a job was counted as paid: ``usd`` on ``provider`` (remote job, if any)."""

    EV: ClassVar[str] = "charge"
    job: JobRef
    at: float
    provider: str
    remote_id: str | None
    usd: Decimal
    possible: bool = False
    """It may have been billed (a create cut off mid-send): a later charge for the job replaces
    it in the ledger."""


Record = IntentRecord | SubmittedRecord | CancelledRecord | FinishedRecord | ChargeRecord


_ROW_FIELDS: tuple[str, ...] = ("status", "file", "provider", "model", "key", "reference")
_ROW_FIELDS += ("seed", "attempts", "latency_s", "remote_id")
"""The report-row fields a ``result`` record keeps as they are (money and error are encoded)."""


def _to_json(rec: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"ev": rec.EV, "job": rec.job.key, "index": rec.job.index}
    out |= {"prompt_id": rec.job.prompt_id, "at": round(rec.at, 3)}
    if isinstance(rec, IntentRecord | SubmittedRecord):
        t = rec.target
        out |= {"provider": t.provider, "model": t.model, "key_id": t.key_id}
        out |= {"fingerprint": t.fingerprint, "price": str(t.price)}
    if isinstance(rec, SubmittedRecord | CancelledRecord | ChargeRecord):
        out["remote_id"] = rec.remote_id
    if isinstance(rec, ChargeRecord):
        out |= {"provider": rec.provider, "usd": str(rec.usd)}
        if rec.possible:
            out["possible"] = True
    if isinstance(rec, CancelledRecord):
        out["accepted"] = rec.accepted
    if isinstance(rec, FinishedRecord):
        row, err = rec.row, rec.row.error
        out |= {name: getattr(row, name) for name in _ROW_FIELDS}
        out |= {"cost_usd": str(row.cost_usd), "cost_source": row.cost_source}
        out["error"] = None if err is None else {"kind": err.kind, "message": err.message}
        out["recoverable"] = rec.recoverable
    return out


def _opt_str(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return None if value is None else str(value)


def _num(raw: Mapping[str, Any], name: str, default: float = 0.0) -> float:
    value = raw.get(name)
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _int(raw: Mapping[str, Any], name: str) -> int | None:
    value = raw.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _money(raw: Mapping[str, Any], name: str) -> Decimal:
    try:
        return usd(str(raw.get(name) or "0"))
    except (InvalidOperation, ValueError):
        return ZERO


def _cost_source(value: object) -> CostSource:
    """A journaled ``cost_source``; anything unknown reads as the catalog estimate."""
    return value if value == "provider" or value == "computed" else "catalog"


def _target(raw: Mapping[str, Any]) -> Target:
    return Target(
        provider=str(raw.get("provider")),
        model=str(raw.get("model")),
        key_id=str(raw.get("key_id", "")),
        fingerprint=_opt_str(raw, "fingerprint"),
        price=_money(raw, "price"),
    )


def _finished(job: JobRef, at: float, raw: Mapping[str, Any]) -> FinishedRecord:
    status = raw.get("status")
    err = raw.get("error")
    row = ImageResult(
        index=job.index,
        prompt_id=job.prompt_id,
        prompt="",
        status=status if status in ("succeeded", "reused", "failed", "not_run") else "failed",
        file=raw["file"] if isinstance(raw.get("file"), str) else None,
        provider=_opt_str(raw, "provider"),
        model=_opt_str(raw, "model"),
        key=_opt_str(raw, "key"),
        reference=_opt_str(raw, "reference"),
        seed=_int(raw, "seed"),
        attempts=_int(raw, "attempts") or 0,
        latency_s=_num(raw, "latency_s") if raw.get("latency_s") is not None else None,
        cost_usd=_money(raw, "cost_usd"),
        cost_source=_cost_source(raw.get("cost_source")),
        remote_id=_opt_str(raw, "remote_id"),
        error=(
            ImageError(str(err.get("kind")), str(err.get("message")))
            if isinstance(err, dict)
            else None
        ),
    )
    return FinishedRecord(job, at, row, bool(raw.get("recoverable")))


def _from_json(raw: Mapping[str, Any]) -> Record | None:
    """The typed record of one parsed line, or ``None`` for a line that is not one."""
    key, ev = raw.get("job"), raw.get("ev")
    if not isinstance(key, str):
        return None
    job = JobRef(key, _int(raw, "index") or 0, str(raw.get("prompt_id", "")))
    at = _num(raw, "at")
    if ev == IntentRecord.EV:
        return IntentRecord(job, at, _target(raw))
    if ev == SubmittedRecord.EV and raw.get("remote_id") is not None:
        return SubmittedRecord(job, at, _target(raw), str(raw["remote_id"]))
    if ev == CancelledRecord.EV and raw.get("remote_id") is not None:
        return CancelledRecord(job, at, str(raw["remote_id"]), raw.get("accepted") is True)
    if ev == FinishedRecord.EV:
        return _finished(job, at, raw)
    if ev == ChargeRecord.EV:
        remote = _opt_str(raw, "remote_id")
        possible = raw.get("possible") is True
        return ChargeRecord(job, at, str(raw.get("provider")), remote, _money(raw, "usd"), possible)
    return None


@dataclass(frozen=True, slots=True)
class JobState:
    """What earlier runs left for one job: a finished image, a remote job, or a sent create."""

    done: FinishedRecord | None = None
    """The last ``succeeded`` result record (its file may still need checking)."""
    pending: SubmittedRecord | None = None
    """A remote job with no final result yet: re-attach, never re-create."""
    intent: IntentRecord | None = None
    """A create with neither a remote id nor a result after it: an ambiguous create."""
    cancelled: bool = False
    """We cancelled the pending remote job (second Ctrl-C) and the provider accepted."""


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every well-formed line of the JSON-lines journal at ``path`` that names its ``job``.

    None when the file is missing. Lines torn by a crash are skipped. This is the raw reader,
    shared with other journals of the same shape (``training.jsonl``); a run's records are
    read with :func:`read_records`. A FIFO or device in its place raises
    :class:`~pinglass.regular_file.NotRegularFile` (an ``OSError``) without being waited on.
    """
    try:
        text = read_regular_file(path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [raw for raw in objects(text) if isinstance(raw.get("job"), str)]


def read_records(path: Path) -> list[Record]:
    """Every run record of the journal at ``path``, typed (none when it is missing)."""
    return [rec for raw in read_journal(path) if (rec := _from_json(raw)) is not None]


def job_states(records: Iterable[Record], jobs: Iterable[Job]) -> dict[int, JobState]:
    """Fold the journal into one :class:`JobState` per job index of ``jobs`` that has history.

    A cancel counts only when the provider accepted it and it names the pending remote job; a
    later ``submit`` (a new remote job) forgets it.
    """
    keys = {job_key(j): j.index for j in jobs}
    states: dict[int, JobState] = {}
    for rec in records:
        index = keys.get(rec.job.key)
        if index is None:
            continue
        st = states.get(index, JobState())
        if isinstance(rec, IntentRecord):
            st = replace(st, intent=rec)
        elif isinstance(rec, SubmittedRecord):
            st = replace(st, pending=rec, intent=None, cancelled=False)
        elif isinstance(rec, CancelledRecord):
            if rec.accepted and st.pending is not None and st.pending.remote_id == rec.remote_id:
                st = replace(st, cancelled=True)
        elif isinstance(rec, ChargeRecord):
            continue  # money, not the job's state: see the folder's ledger
        elif rec.row.status == "succeeded":
            st = JobState(done=rec)
        elif not rec.recoverable:
            st = replace(st, pending=None, intent=None, cancelled=False)
        states[index] = st
    return states


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

    :meth:`append` writes a run record; :meth:`write` writes any mapping (other journals of the
    same shape, such as ``training.jsonl``, use it).
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
        self.error: OSError | None = None
        """The first write or fsync that failed (disk full): the journal is no longer whole."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0600 like every other output file (mkstemp's mode): the journal names remote jobs
        # and prompts of a real person's session; a user who wants to share can chmod.
        # Unbuffered writes: a line the disk refuses fails at once, and nothing of it waits in
        # a buffer to be glued to a later line.
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._torn = _ends_torn(self._fd)  # a line cut off by a crash: never glue onto it

    def append(self, record: Record) -> None:
        """Append a run ``record``; an :class:`IntentRecord` is fsynced before this returns
        (its create is sent next), any other is group-committed (see :meth:`write`)."""
        self.write(_to_json(record), durable=isinstance(record, IntentRecord))

    def write(self, record: Mapping[str, Any], *, durable: bool = True) -> None:
        """Append ``record`` as one line; with ``durable``, fsync it before returning.

        A line written with ``durable=False`` is on disk within ``window`` seconds (or at the
        next durable write, or :meth:`close`). Raises ``OSError`` when the disk refuses it (a
        full disk): the caller must not act as if it were recorded.
        """
        if self._fd is None:
            raise RuntimeError("journal is closed")
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        data = ("\n" if self._torn else "").encode() + line.encode("utf-8")
        try:
            written = os.write(self._fd, data)
        except OSError as exc:
            named = OSError(exc.errno, exc.strerror, str(self.path))
            self.error = self.error or named
            raise named from exc
        if written < len(data):  # the disk filled up in the middle of the line
            self._torn = True
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
            self.error = self.error or full
            raise full
        self._torn = False
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
        with contextlib.suppress(OSError):  # kept in ``error``; a loop callback must not raise
            self.commit()

    def commit(self) -> None:
        """fsync every line written so far (nothing to do when they all are)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fd is None or not self._unsynced:
            return
        try:
            self._fsync(self._fd)
        except OSError as exc:
            self.error = self.error or exc
            raise
        self._unsynced = 0
        self.syncs += 1

    def close(self) -> None:
        """Commit and close; further writes raise ``RuntimeError``. Safe to call twice.

        A failed last fsync is kept in :attr:`error`, not raised: closing always closes.
        """
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.commit()
            os.close(self._fd)
            self._fd = None


def _ends_torn(fd: int) -> bool:
    """True when the file open at ``fd`` is not empty and its last byte is not a newline."""
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"
