"""Subjects: ``subjects/NAME/subject.json`` (schema_version 1), the crops sent, the spend.

A subject folder holds ``subject.json`` (written once the training succeeded), ``crops/`` (the
square face crops that were sent, so the user can see what the model learned from),
``training.jsonl`` (the training journal) and ``sessions.jsonl`` (one line per ``generate
--subject`` run with its cost), from which :func:`list_subjects` reports the cost so far.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pinglass.errors import UsageError
from pinglass.jsonl import objects
from pinglass.money import ZERO, usd
from pinglass.regular_file import read_regular_file
from pinglass.runner.files import write_atomic
from pinglass.runner.journal import Journal
from pinglass.secrets import redact
from pinglass.training.journal import ledger

__all__ = [
    "SUBJECT_NAME",
    "Subject",
    "SubjectRef",
    "SubjectSummary",
    "check_name",
    "list_subjects",
    "read_subject",
    "record_session",
    "write_subject",
]

SUBJECT_NAME = "subject.json"
SESSIONS_NAME = "sessions.jsonl"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class SubjectRef(BaseModel):
    """One reference photo the training learned from."""

    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)

    file: str
    """The original photo's file name."""
    sha256: str
    """Digest of the original photo."""
    crop: str
    """The crop sent, relative to the subject folder (``crops/01-IMG_0412.jpg``)."""
    crop_sha256: str
    """Digest of the crop sent."""
    score: float
    """Its reference score (0-100)."""


class Subject(BaseModel):
    """``subject.json``: a trained person, ready for ``generate --subject``."""

    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)

    schema_version: Literal[1] = 1
    name: str
    """The subject's name (its folder)."""
    provider: str
    """Who trained it (``fal``, ``replicate``, ``mock``)."""
    trainer: str
    """Trainer short name (``flux-lora-portrait``)."""
    trainer_id: str
    """The provider's trainer id (``fal-ai/flux-lora-portrait-trainer``)."""
    trigger_word: str
    """The word the LoRA was trained on."""
    trigger_phrase: str
    """What replaces "the person" in each prompt (``PGLA1B2C person``)."""
    steps: int
    """Training steps."""
    lora_url: str | None = None
    """The LoRA weights (fal ``diffusers_lora_file.url``, Replicate ``output.weights``)."""
    model_version: str | None = None
    """The trained model version to generate with (Replicate ``owner/name:id``)."""
    generation_model: str
    """What generates with this subject (``fal/flux-lora``, ``replicate/<version>``)."""
    remote_id: str
    """The training's id at the provider."""
    cost_usd: float
    """What the training cost (USD)."""
    cost_source: Literal["provider", "computed", "catalog"]
    """``provider`` reported money · ``computed`` seconds x rate · ``catalog`` the estimate."""
    estimated_cost_usd: float
    """The estimate shown before it started (USD)."""
    refs: list[SubjectRef]
    """The reference photos used, best first."""
    created_at: datetime
    """When the training finished (UTC)."""


class SubjectSummary(BaseModel):
    """One row of ``pinglass subjects``."""

    name: str
    status: Literal["trained", "training", "unresolved", "failed", "empty"]
    provider: str | None = None
    trainer: str | None = None
    training_cost_usd: float = 0.0
    sessions: int = 0
    sessions_cost_usd: float = 0.0
    cost_so_far_usd: float = 0.0
    created_at: datetime | None = None


def check_name(name: str) -> str:
    """``name`` when it is a usable folder name, else ``UsageError``."""
    if not _NAME.match(name):
        raise UsageError(
            f"--name {name!r}: use 1-40 lower-case letters, digits, '-' or '_' "
            "(starting with a letter or digit)"
        )
    return name


def write_subject(folder: Path, subject: Subject) -> Path:
    """Write ``folder/subject.json`` atomically (redacted like every output)."""
    path = folder / SUBJECT_NAME
    write_atomic(path, (redact(subject.model_dump_json(indent=2)) + "\n").encode("utf-8"))
    return path


def read_subject(root: Path, name: str) -> Subject:
    """The subject ``name`` under ``root``; a missing or broken one is a one-line error."""
    path = root / check_name(name) / SUBJECT_NAME
    try:  # a FIFO or device in its place is refused, never waited on
        return Subject.model_validate_json(read_regular_file(path).decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such subject (train one with `pinglass train REFS --name {name}`)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise UsageError(f"{path}: {where}: {err['msg']}") from None


def record_session(root: Path, name: str, *, run_id: str, out: Path, cost_usd: Decimal) -> None:
    """Append one ``generate --subject`` run and its cost to the subject's ``sessions.jsonl``."""
    journal = Journal(root / name / SESSIONS_NAME)
    try:
        journal.write(
            {"job": "session", "run_id": run_id, "out": str(out), "cost_usd": float(usd(cost_usd))}
        )
    finally:
        journal.close()


def _sessions(folder: Path) -> tuple[int, Decimal]:
    runs: dict[str, Decimal] = {}
    path = folder / SESSIONS_NAME
    try:
        text = read_regular_file(path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return 0, ZERO
    except OSError as exc:  # a FIFO or device in its place is refused, never waited on
        raise UsageError(
            f"{path}: {exc.strerror or exc}, where pinglass lists the subject's sessions"
        ) from None
    for rec in objects(text):
        if isinstance(rec.get("run_id"), str):
            runs[rec["run_id"]] = usd(str(rec.get("cost_usd") or 0))  # last line per run wins
    return len(runs), sum(runs.values(), ZERO)


def list_subjects(root: Path) -> list[SubjectSummary]:
    """Every subject folder under ``root``, by name, with its cost so far."""
    if not root.is_dir():
        return []
    rows: list[SubjectSummary] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _NAME.match(p.name)):
        book = ledger(folder)
        count, session_cost = _sessions(folder)
        row = SubjectSummary(
            name=folder.name,
            status={"done": "trained", "pending": "training", "ambiguous": "unresolved"}.get(
                book.state, "failed" if book.results else "empty"
            ),  # type: ignore[arg-type]
            training_cost_usd=float(book.spent_usd),
            sessions=count,
            sessions_cost_usd=float(session_cost),
            cost_so_far_usd=float(usd(book.spent_usd + session_cost)),
        )
        if book.intent is not None:
            row.provider = str(book.intent.get("provider"))
            row.trainer = str(book.intent.get("trainer"))
        if (folder / SUBJECT_NAME).is_file():
            try:
                row.created_at = read_subject(root, folder.name).created_at
            except UsageError:
                pass
        rows.append(row)
    return rows
