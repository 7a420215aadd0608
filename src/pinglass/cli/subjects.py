"""``pinglass subjects``: the trained subjects, with their cost so far."""

from __future__ import annotations

from typing import Annotated

import typer

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, QuietOpt
from pinglass.cli._output import make_output
from pinglass.cli._text import money, plural

__all__ = ["subjects"]


@app.command("subjects")
def subjects(
    *,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    show: Annotated[
        str | None, typer.Option("--show", help="Print one subject's subject.json.")
    ] = None,
) -> None:
    """List the subjects trained with `pinglass train`, with training and session costs.

    Example: pinglass subjects --json
    """
    output = make_output(json_output=json_out, quiet=quiet)
    with exit_on_error(output):
        from rich import box
        from rich.markup import escape
        from rich.table import Table

        from pinglass.settings import load_settings
        from pinglass.training import list_subjects, read_subject

        root = load_settings().subjects_dir
        if show is not None:
            output.document(read_subject(root, show))
            return
        rows = list_subjects(root)
        if json_out:
            output.document({"subjects": [r.model_dump(mode="json") for r in rows]})
            return
        if not rows:
            output.line(f"no subjects in {root} yet: `pinglass train REFS --provider mock`")
            return
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        # Names are what a user types back (--subject, --trainer): never cut them.
        table.add_column("subject", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("trainer", no_wrap=True)
        for col in ("training", "sessions", "cost so far"):
            table.add_column(col, justify="right", no_wrap=True)
        for r in rows:
            table.add_row(
                escape(r.name),
                r.status,
                escape(f"{r.provider}/{r.trainer}" if r.provider else "-"),
                money(r.training_cost_usd),
                str(r.sessions),
                money(r.cost_so_far_usd),
            )
        output.result(table)
        output.result(f"[dim]{root}[/]")
        total = sum(r.cost_so_far_usd for r in rows)
        output.line(f"{plural(len(rows), 'subject')}, {money(total)} so far")
