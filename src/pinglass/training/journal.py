"""``subjects/NAME/training.jsonl``: every training create and result, fsynced per line.

The records follow the run journal's rule (``runner/journal.py``): the intent is written before
the billable create is sent, the remote id before the first poll, the result when it ends.

- ``intent``: a create is about to be sent; carries everything needed to look it up again and to
  write ``subject.json`` (trainer, trigger, steps, prepared upload/destination, refs, estimate).
- ``submit``: the provider accepted it as ``remote_id``.
- ``result``: it ended (``succeeded``/``failed``/``canceled``) with what it cost.

Folded by :func:`ledger`: an intent with no submit is *ambiguous* (look it up, never re-send); a
submit with no result is *pending* (re-attach); a ``succeeded`` result is *done*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pinglass.errors import UsageError
from pinglass.money import ZERO, usd
from pinglass.runner.journal import Journal, read_journal

__all__ = ["JOURNAL_NAME", "Ledger", "LedgerState", "TrainingJournal", "ledger"]

JOURNAL_NAME = "training.jsonl"
_JOB = "training"

LedgerState = Literal["new", "ambiguous", "pending", "done"]


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the journal says about a subject's trainings."""

    state: LedgerState = "new"
    intent: Mapping[str, Any] | None = None
    """The last intent (for ``ambiguous``, ``pending`` and ``done``)."""
    remote_id: str | None = None
    """The training to re-attach to (``pending``) or that succeeded (``done``)."""
    spent_usd: Decimal = ZERO
    """What every ended training cost, failures included (USD)."""
    results: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def ledger(folder: Path) -> Ledger:
    """Fold ``folder/training.jsonl`` (a missing file is a new subject)."""
    state: LedgerState = "new"
    intent: Mapping[str, Any] | None = None
    remote: str | None = None
    spent = ZERO
    results: list[Mapping[str, Any]] = []
    path = folder / JOURNAL_NAME
    try:
        records = read_journal(path)
    except OSError as exc:  # a FIFO or device in its place is refused, never waited on
        raise UsageError(
            f"{path}: {exc.strerror or exc}, where pinglass keeps the subject's training journal"
        ) from None
    for rec in records:
        ev = rec.get("ev")
        if ev == "intent":
            state, intent, remote = "ambiguous", rec, None
        elif ev == "submit" and isinstance(rec.get("remote_id"), str):
            state, remote = "pending", rec["remote_id"]
        elif ev == "result":
            results.append(rec)
            spent += usd(str(rec.get("billed_usd") or 0))
            if rec.get("status") == "succeeded":
                state, remote = "done", rec.get("remote_id")
            else:
                state, remote = "new", None
    return Ledger(state, intent, remote, spent, tuple(results))


class TrainingJournal:
    """An open ``training.jsonl``; each :meth:`write` is one fsynced line."""

    def __init__(self, folder: Path) -> None:
        self._journal = Journal(folder / JOURNAL_NAME)

    def write(self, ev: str, **fields: Any) -> None:
        """Append ``{"job": "training", "ev": ev, **fields}``."""
        self._journal.write({"job": _JOB, "ev": ev, **fields})

    def close(self) -> None:
        """Flush and close."""
        self._journal.close()
