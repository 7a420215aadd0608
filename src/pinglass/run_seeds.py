"""The base seed a random-seed preset drew in an earlier run into the same folder.

A preset with ``seed = "random"`` draws one base seed per run, and each prompt's seed is part of
what decides its image (and its key in the journal). Drawing a new one on the re-run after a
Ctrl-C would make every job new: nothing reused, everything paid again. So a re-run into a
folder takes the base seed back from what the earlier run recorded: the journal's result
records, the image index beside the images (it survives a lost journal) and report.json, whose
rows list every prompt's seed from the run's first rewrite, before anything is sent. ``--seed``
and ``--fresh`` draw as usual.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pinglass.presets import Preset
from pinglass.presets.models import SEED_MODULUS
from pinglass.regular_file import read_regular_file
from pinglass.run_folder import RunFolder

__all__ = ["base_seed_from", "earlier_base_seed"]


def base_seed_from(preset: Preset, pairs: Iterable[tuple[int, int]]) -> int | None:
    """The base seed that gave prompt ``index`` its ``seed``, the one most pairs agree on.

    Only prompts whose seed follows the policy count (a prompt with its own ``seed`` tells
    nothing); a provider that reports another seed than the one sent is outvoted by the rest.
    ``None`` when the preset does not draw at random or no pair is usable.
    """
    if preset.defaults.seed != "random":
        return None
    votes: Counter[int] = Counter()
    for index, seed in pairs:
        if 1 <= index <= len(preset.prompts) and preset.prompts[index - 1].seed is None:
            votes[(seed - (index - 1)) % SEED_MODULUS] += 1
    return votes.most_common(1)[0][0] if votes else None


def earlier_base_seed(folder: RunFolder, preset: Preset) -> int | None:
    """The base seed of the earlier run in ``folder`` for ``preset``, if it left one.

    Reads only; a journal, index or report that is missing, damaged or not a readable file
    tells nothing (the run refuses an unreadable one later, naming it).
    """
    from pinglass.runner.image_index import read_image_index

    sources: tuple[Callable[[], Iterable[tuple[int, int | None]]], ...] = (
        lambda: _journal_pairs(folder),
        lambda: [(e.index, e.seed) for e in read_image_index(folder.path)],
        lambda: _report_pairs(folder),
    )
    for pairs in sources:
        try:
            found = base_seed_from(preset, _usable(pairs()))
        except OSError:  # not readable: refused later, naming it
            continue
        if found is not None:
            return found
    return None


def _journal_pairs(folder: RunFolder) -> list[tuple[int, int | None]]:
    from pinglass.runner.journal import FinishedRecord, read_records

    if not folder.journal.is_file():
        return []
    records = read_records(folder.journal)
    return [(r.job.index, r.row.seed) for r in records if isinstance(r, FinishedRecord)]


def _usable(pairs: Iterable[tuple[int, int | None]]) -> Iterator[tuple[int, int]]:
    for index, seed in pairs:
        if isinstance(seed, int) and not isinstance(seed, bool):
            yield index, seed


def _report_pairs(folder: RunFolder) -> Iterator[tuple[int, int | None]]:
    try:  # a FIFO put in its place reads as no report, never blocks
        doc = json.loads(read_regular_file(folder.report).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return
    images: Any = doc.get("images") if isinstance(doc, dict) else None
    for row in images if isinstance(images, list) else []:
        if isinstance(row, dict) and isinstance(row.get("index"), int):
            yield row["index"], row.get("seed")
