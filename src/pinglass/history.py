"""The output folder's history: what earlier runs into ``--out`` made and paid.

A re-run into a folder builds on what is there. :func:`read_history` finds the images earlier
runs finished (they come back ``reused``, never requested again), the ones they made for prompts
outside this run's ``--only`` (listed too, so the report covers the whole folder), and what the
folder has cost so far. :func:`check_run_files` and :func:`check_same_preset` refuse a folder
this run cannot build on, with one line naming the file. Everything here only reads.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from pinglass.errors import UsageError
from pinglass.folder_lock import FolderLock
from pinglass.money import ZERO, usd
from pinglass.presets import Preset
from pinglass.report.write import read_report
from pinglass.run_folder import RunFolder
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult

__all__ = [
    "FolderHistory",
    "check_run_files",
    "check_same_preset",
    "folder_paid",
    "hold_folder",
    "keep_paid_images",
    "read_history",
]


@dataclass(frozen=True, slots=True)
class FolderHistory:
    """What earlier runs into a folder left for this one (nothing, for a new folder)."""

    previous: dict[int, ImageResult] = field(default_factory=dict)
    """Job index -> the image an earlier run made for it (``reused``)."""
    extra: tuple[tuple[Job, ImageResult], ...] = ()
    """Images earlier runs made for prompts this run does not plan (``--only``)."""


def read_history(folder: RunFolder, plan: Plan, others: Sequence[Job] = ()) -> FolderHistory:
    """What earlier runs into ``folder`` made for ``plan``'s jobs and for ``others``.

    ``others`` are the preset's prompts this run leaves out (``--only``); their images are
    reported, not run. Call :func:`check_run_files` first.
    """
    from pinglass.runner import previous_results

    previous = previous_results(folder.path, plan)
    done = previous_results(folder.path, replace(plan, jobs=tuple(others))) if others else {}
    extra = tuple((j, done[j.index]) for j in others if j.index in done)
    return FolderHistory(previous=previous, extra=extra)


def folder_paid(folder: RunFolder) -> Decimal:
    """USD every run into ``folder`` paid, from its ledger; never from report.json.

    The ledger is the ``charge`` records of its journals (those ``--fresh`` set aside too: the
    folder's total is every run into it), written when the money settles, so a damaged report
    or a crash before the report's rewrite cannot change it. A remote job is counted once
    (its last charge). A journal from before charges were journaled counts its result rows;
    an image whose journal is lost counts from the image index.
    """
    from pinglass.runner.image_index import read_image_index

    by_remote: dict[str, Decimal] = {}
    possible: dict[str, Decimal] = {}  # job key -> a charge a later one for the job replaces
    jobs: set[str] = set()
    total = ZERO
    for journal in sorted(folder.path.glob("journal*.jsonl")):  # set-aside ones sort first
        for key, job, amount, maybe in _journal_money(journal):
            jobs.add(job)
            if maybe:
                possible[job] = amount
                continue
            possible.pop(job, None)
            if key is None:
                total += amount
            else:
                by_remote[key] = amount
    total += sum(possible.values(), ZERO)
    for images in sorted(folder.path.glob(f"{RunFolder.IMAGES}*/")):
        for entry in read_image_index(images.parent, f"{images.name}/.index.jsonl"):
            key = f"{entry.provider}:{entry.remote_id}" if entry.remote_id else None
            if key is not None and key not in by_remote:
                by_remote[key] = entry.cost_usd
            elif key is None and entry.job not in jobs:
                total += entry.cost_usd
                jobs.add(entry.job)
    return usd(total + sum(by_remote.values(), ZERO))


def _journal_money(path: Path) -> list[tuple[str | None, str, Decimal, bool]]:
    """``(provider:remote id or None, job key, USD, possibly billed)`` for each charge of the
    journal at ``path`` (for a journal without charges, each result row that cost something)."""
    from pinglass.runner.journal import ChargeRecord, FinishedRecord, read_records

    try:
        records = read_records(path) if path.is_file() else []
    except OSError:
        return []  # refused by check_run_files when it is this run's journal
    charges = [r for r in records if isinstance(r, ChargeRecord)]
    if charges:
        return [
            (
                f"{c.provider}:{c.remote_id}" if c.remote_id else None,
                c.job.key,
                _paid(c.usd),
                c.possible,
            )
            for c in charges
        ]
    rows = [r for r in records if isinstance(r, FinishedRecord) and r.row.status != "reused"]
    return [
        (_remote_key(r.row.provider, r.row.remote_id), r.job.key, cost, False)
        for r in rows
        if (cost := _paid(r.row.cost_usd)) > 0
    ]


def _remote_key(provider: str | None, remote_id: str | None) -> str | None:
    return f"{provider}:{remote_id}" if remote_id else None


def _paid(amount: Decimal) -> Decimal:
    return amount if amount.is_finite() and amount > 0 else ZERO


def keep_paid_images(folder: RunFolder, jobs: Iterable[Job], reused: Collection[int]) -> list[Path]:
    """Rename every image file where a job of ``jobs`` may land to ``<stem>.before-N.<ext>``.

    Called before a run can pay for anything: a file there that the folder's history does not
    vouch for (``reused`` holds the job indexes it does) was still paid for once, so it is
    kept, as ``--fresh`` keeps an earlier run, never overwritten. Returns the new paths.
    """
    from pinglass.runner.files import keep_aside

    if not folder.images.is_dir():
        return []
    stems = {job.stem for job in jobs if job.index not in reused}
    moved = []
    for path in sorted(folder.images.iterdir()):
        stem, dot, _ = path.name.rpartition(".")  # "01-a.png"; "01-a.before-1.png" is kept
        if dot and stem in stems and path.is_file() and (aside := keep_aside(path)):
            moved.append(aside)
    return moved


def hold_folder(folder: RunFolder) -> FolderLock:
    """Hold ``folder`` for this process, creating it (a run is about to write there).

    Raises :class:`UsageError` when it cannot be created, and
    :class:`~pinglass.folder_lock.FolderBusy` (exit 2) while another live run holds it.
    """
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {folder.path}: cannot write there ({exc.strerror})") from None
    return FolderLock.acquire(folder.path)


def check_run_files(folder: RunFolder) -> None:
    """Refuse a journal or report that is not a readable regular file (exit 2, not a crash)."""
    for path in (folder.journal, folder.report):
        if not os.path.lexists(path):
            continue
        fix = "move it away, or use --fresh or another --out"
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a regular file"
            raise UsageError(f"{path}: {what}, where pinglass keeps its {path.name}; {fix}")
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror or exc}); {fix}") from None


def check_same_preset(folder: RunFolder, preset: Preset) -> None:
    """Refuse to mix two presets' images in one folder (its report names the earlier one)."""
    if not folder.report.is_file():
        return
    try:
        earlier = read_report(folder.path).preset
    except UsageError:
        return
    if earlier.name != preset.name:
        raise UsageError(
            f"--out {folder.path} holds a run of preset {earlier.name!r}, not {preset.name!r}: "
            "use another --out, or add --fresh to set the earlier run aside (its files are kept, "
            "renamed)"
        )
