"""Tables that never cut a value: a table when it fits the terminal, else two lines per row.

Each command builds its rows once as text cells. :func:`show_rows` prints them as a rich table
when every column fits at its natural width, and otherwise as a list: the first cell (the name
a user types) on its own line, the other cells below it as ``header value`` pairs that wrap
at word boundaries. Nothing is cut with ``…`` at 60, 80 or 200 columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich import box
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from pinglass.cli._output import Output

__all__ = ["Col", "fits", "show_rows"]


@dataclass(frozen=True, slots=True)
class Col:
    """A column: its header and whether numbers in it align right."""

    header: str
    right: bool = False


def fits(output: Output, title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> bool:
    """True when ``rows`` print as a table at the terminal's width (see :func:`show_rows`)."""
    console = output.out
    unbounded = console.options.update(width=10_000)  # the natural width, not the terminal's
    table = _table(title, cols, rows)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def show_rows(
    output: Output, title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]]
) -> None:
    """Print ``rows`` (rich markup cells) under ``title`` as a table, or two lines per row."""
    if fits(output, title, cols, rows):
        output.result(_table(title, cols, rows))
        return
    output.result(title)
    for row in rows:
        output.result(row[0])
        pairs = [f"{c.header} {cell}" for c, cell in zip(cols[1:], row[1:], strict=True) if cell]
        output.result(Padding(Text.from_markup(" · ".join(pairs)), (0, 0, 0, 4)))


def _table(title: str, cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for col in cols:
        table.add_column(col.header, justify="right" if col.right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table
