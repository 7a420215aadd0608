"""``pinglass report OUT``: a finished run's summary, its contact sheet and gallery rebuilt."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, QuietOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import money, plural

if TYPE_CHECKING:
    from pinglass.report.models import Report

__all__ = ["report"]


@app.command("report")
def report(
    out: Annotated[Path, typer.Argument(help="A run's output folder (or its report.json).")],
    weakest: Annotated[int, typer.Option(help="How many lowest-likeness images to list.")] = 5,
    keep: Annotated[
        Path | None,
        typer.Option(help="Copy the images named in this list (the page's export) to OUT/kept/."),
    ] = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print a run's summary from its report.json; rebuild its contact sheet and index.html.

    Example: pinglass report pinglass-out/business-20261123-101500 --keep kept.txt
    """
    output = make_output(json_output=json_out, quiet=quiet)
    with exit_on_error(output):
        from pinglass.report import build_contact_sheets, read_report
        from pinglass.report.gallery import write_gallery
        from pinglass.report.gallery.keep import keep_images

        folder = out.parent if out.is_file() else out
        doc = read_report(out)
        kept = keep_images(doc, folder, keep) if keep is not None else None
        sheets = build_contact_sheets(doc, folder)
        doc.contact_sheets = [p.name for p in sheets]
        page = write_gallery(doc, folder)
        t = doc.totals
        output.result(
            f"[bold]{escape(doc.preset.name)}[/] · {' → '.join(doc.provider_chain)} · "
            f"{doc.status} · started {doc.started_at:%Y-%m-%d %H:%M}"
        )
        _problems(output, doc)
        _weakest(output, doc, weakest)
        more = f" (+{len(sheets) - 1} more: {sheets[-1].name})" if len(sheets) > 1 else ""
        output.result(f"contact sheet: {escape(str(sheets[0]))}{more}", soft_wrap=True)
        output.result(f"gallery: {escape(str(page))}", soft_wrap=True)
        if kept is not None:
            where = escape(str(folder / "kept"))
            output.result(f"kept: {len(kept)} images copied to {where}", soft_wrap=True)
        output.line(
            f"{doc.status}: {t.succeeded} made, {t.reused} reused, {t.failed} failed, "
            f"{t.not_run} not run · {money(t.cost_usd)} this run, {money(t.folder_cost_usd)} in "
            f"this folder · estimate was {money(doc.budget.estimated_cost_usd)} · "
            f"{plural(t.retries, 'retry', 'retries')} · {t.wall_s:.1f}s"
        )
        if json_out:
            output.document(doc)


def _problems(output: Output, doc: Report) -> None:
    """Images not made, with the reason wrapped at full width (never cut)."""
    problems = [i for i in doc.images if i.status in ("failed", "not_run")]
    if not problems:
        return
    table = Table(title="not made", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", no_wrap=True)
    table.add_column("prompt", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("why", ratio=1)
    for i in problems:
        why = f"{i.error.kind}: {i.error.message}" if i.error else "not requested"
        table.add_row(f"{i.index:02d}", escape(i.prompt_id), i.status, escape(why))
    output.result(table)


def _weakest(output: Output, doc: Report, weakest: int) -> None:
    """The lowest-likeness images (identity extra), file names folded, never cut."""
    scored = [(i, i.likeness) for i in doc.images if i.likeness is not None]
    scored.sort(key=lambda pair: pair[1].score)
    if not scored:
        if not doc.identity.available:
            reason = escape(str(doc.identity.reason))
            output.result(f"[dim]likeness: skipped ({reason})[/]")
        return
    table = Table(
        title="weakest likeness", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    table.add_column("#", no_wrap=True)
    table.add_column("likeness", justify="right", no_wrap=True)
    table.add_column("distance", justify="right", no_wrap=True)
    table.add_column("file", overflow="fold", ratio=1)
    for entry, like in scored[:weakest]:
        table.add_row(
            f"{entry.index:02d}",
            f"{like.score:.3f}",
            f"{like.distance:.3f}",
            escape(entry.file or ""),
        )
    output.result(table)
