"""``pinglass report OUT``: a finished run's summary, and its contact sheet rebuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, QuietOpt
from pinglass.cli._output import emit_json, make_console

__all__ = ["report"]


@app.command("report")
def report(
    out: Annotated[Path, typer.Argument(help="A run's output folder (or its report.json).")],
    weakest: Annotated[int, typer.Option(help="How many lowest-likeness images to list.")] = 5,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print a run's summary from its report.json and rebuild its contact sheet.

    Example: pinglass report pinglass-out/business-20261123-101500
    """
    console = make_console(quiet=quiet)
    with exit_on_error(console):
        from pinglass.report import build_contact_sheet, read_report

        folder = out.parent if out.is_file() else out
        doc = read_report(out)
        sheet = build_contact_sheet(doc, folder)
        t = doc.totals
        console.print(
            f"[bold]{escape(doc.preset.name)}[/] · {' → '.join(doc.provider_chain)} · "
            f"{doc.status} · started {doc.started_at:%Y-%m-%d %H:%M}"
        )
        console.print(
            f"{t.succeeded} made, {t.reused} reused, {t.failed} failed, {t.not_run} not run · "
            f"${t.cost_usd:.4f} this run, ${t.folder_cost_usd:.4f} in this folder · "
            f"estimate was ${doc.budget.estimated_cost_usd:.4f} · {t.retries} retries · "
            f"{t.wall_s:.1f}s"
        )
        problems = [i for i in doc.images if i.status in ("failed", "not_run")]
        if problems:
            table = Table("#", "prompt", "status", "why", title="not made")
            for i in problems:
                why = f"{i.error.kind}: {i.error.message}" if i.error else "not requested"
                table.add_row(f"{i.index:02d}", escape(i.prompt_id), i.status, escape(why))
            console.print(table)
        scored = [(i, i.likeness) for i in doc.images if i.likeness is not None]
        scored.sort(key=lambda pair: pair[1].score)
        if scored:
            table = Table("#", "prompt", "likeness", "distance", "file", title="weakest likeness")
            for entry, like in scored[:weakest]:
                table.add_row(
                    f"{entry.index:02d}",
                    escape(entry.prompt_id),
                    f"{like.score:.3f}",
                    f"{like.distance:.3f}",
                    escape(entry.file or ""),
                )
            console.print(table)
        elif not doc.identity.available:
            console.print(f"[dim]likeness: skipped ({escape(str(doc.identity.reason))})[/]")
        console.print(f"contact sheet: {sheet}")
        if json_out:
            emit_json(doc)
