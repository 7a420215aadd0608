"""Report rows kept between rewrites of ``report.json``: each is built again only on a change.

A running run rewrites its report many times; rebuilding every row each time costs the whole
run per rewrite. :class:`RowCache` keeps the row built for each job together with the objects
it was built from (the attempts and their likeness scores), compared by identity: results and
scores are immutable values that are replaced, never changed, so "the same objects" means
"the same row".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pinglass.report.models import ImageEntry

__all__ = ["RowCache"]


class RowCache:
    """The last row built for each job index and the inputs it was built from."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[tuple[object, ...], ImageEntry]] = {}
        self.built = 0
        """Rows built so far (for tests and benchmarks)."""

    def row(
        self, index: int, inputs: Sequence[object], build: Callable[[], ImageEntry]
    ) -> ImageEntry:
        """The row for job ``index``: the cached one when ``inputs`` are the same objects."""
        key = tuple(inputs)
        hit = self._rows.get(index)
        if hit is not None and len(hit[0]) == len(key):
            if all(a is b for a, b in zip(hit[0], key, strict=True)):
                return hit[1]
        self.built += 1
        entry = build()
        self._rows[index] = (key, entry)
        return entry
