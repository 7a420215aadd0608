"""The output folder's history: what earlier runs into ``--out`` made and paid.

A re-run into a folder builds on what is there. :func:`read_history` finds the images earlier
runs finished (they come back ``reused``, never requested again), the ones they made for prompts
outside this run's ``--only`` (listed too, so the report covers the whole folder), and what the
folder has cost so far. :func:`check_run_files` and :func:`check_same_preset` refuse a folder
this run cannot build on, with one line naming the file. Everything here only reads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from pinglass.errors import UsageError
from pinglass.money import ZERO, usd
from pinglass.presets import Preset
from pinglass.report.write import read_report
from pinglass.run_folder import RunFolder
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageResult

__all__ = ["FolderHistory", "check_run_files", "check_same_preset", "read_history"]


@dataclass(frozen=True, slots=True)
class FolderHistory:
    """What earlier runs into a folder left for this one (nothing, for a new folder)."""

    previous: dict[int, ImageResult] = field(default_factory=dict)
    """Job index -> the image an earlier run made for it (``reused``)."""
    extra: tuple[tuple[Job, ImageResult], ...] = ()
    """Images earlier runs made for prompts this run does not plan (``--only``)."""
    paid: Decimal = ZERO
    """USD every earlier run into the folder paid."""


def read_history(folder: RunFolder, plan: Plan, others: Sequence[Job] = ()) -> FolderHistory:
    """What earlier runs into ``folder`` made for ``plan``'s jobs and for ``others``, and paid.

    ``others`` are the preset's prompts this run leaves out (``--only``); their images are
    reported, not run. Call :func:`check_run_files` first.
    """
    from pinglass.runner import previous_results

    previous = previous_results(folder.path, plan)
    done = previous_results(folder.path, replace(plan, jobs=tuple(others))) if others else {}
    extra = tuple((j, done[j.index]) for j in others if j.index in done)
    return FolderHistory(previous=previous, extra=extra, paid=_paid(folder))


def _paid(folder: RunFolder) -> Decimal:
    """What earlier runs into ``folder`` spent, from its report.json ($0 when there is none)."""
    if not folder.report.is_file():
        return ZERO
    try:
        return usd(read_report(folder.path).totals.folder_cost_usd)
    except UsageError:
        return ZERO


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
