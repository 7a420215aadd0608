"""``pinglass generate``: the main job."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import (
    JsonOpt,
    NoIdentityOpt,
    OutOpt,
    PresetOpt,
    QuietOpt,
    VerboseOpt,
    YesOpt,
)
from pinglass.cli._output import emit_json, make_console
from pinglass.errors import BudgetRefused, ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from pinglass.report.models import Report
    from pinglass.session import Session

__all__ = ["generate"]


@app.command("generate")
def generate(
    refs: Annotated[Path, typer.Argument(help="Folder of 10–20 selfies of one person.")],
    preset: PresetOpt = "business",
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="Provider, or a fallback list 'a,b' (each may be provider/model).",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model short name or vendor id.")] = None,
    out: OutOpt = None,
    concurrency: Annotated[int | None, typer.Option(help="Images in flight at once.")] = None,
    max_cost: Annotated[
        str | None, typer.Option("--max-cost", help="Spend cap in USD; never exceeded.")
    ] = None,
    refs_top: Annotated[int, typer.Option("--refs-top", help="Best references to use.")] = 5,
    only: Annotated[str | None, typer.Option(help="Only these prompt ids (comma list).")] = None,
    seed: Annotated[int | None, typer.Option(help="Base seed for reproducible images.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and price; send nothing.")] = (
        False
    ),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ignore an earlier run in --out (kept, renamed).")
    ] = False,
    min_likeness: Annotated[
        float | None,
        typer.Option("--min-likeness", help="Re-roll images whose likeness (0-1) is below this."),
    ] = None,
    reroll: Annotated[
        int, typer.Option(help="At most this many extra images for --min-likeness.")
    ] = 0,
    no_identity: NoIdentityOpt = False,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Score the selfies, price the run, ask, generate every prompt, write the report.

    Example: pinglass generate ./refs --preset business --provider replicate --max-cost 2
    """
    console = make_console(quiet=quiet)
    with exit_on_error(console):
        from pinglass.session import GenerateRequest, check_budget, prepare, run
        from pinglass.settings import load_settings

        request = GenerateRequest(
            refs_dir=refs,
            preset=preset,
            providers=_split(provider),
            model=model,
            out=out,
            concurrency=concurrency,
            max_cost=_usd_option(max_cost),
            refs_top=refs_top,
            only=_split(only),
            seed=seed,
            fresh=fresh,
            min_likeness=min_likeness,
            reroll=reroll,
            no_identity=no_identity,
        )
        session = prepare(request, load_settings())
        _show_plan(console, session)
        if dry_run:
            console.print("[bold]dry run:[/] nothing was sent and nothing was spent.")
            if json_out:
                emit_json(_dry_run_document(session))
            return
        check_budget(session)
        _confirm(console, session, yes=yes)
        from pinglass.cli._progress import ProgressView

        todo = session.estimate.images
        with ProgressView(console, total=todo, verbose=verbose) as view:
            report, outcome = run(session, observer=view)
        _show_summary(console, report, session)
        if json_out:
            emit_json(report)
        if outcome.interrupted:
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        if report.totals.failed or report.totals.not_run:
            raise typer.Exit(int(ExitCode.IMAGES_FAILED))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def _usd_option(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        raise UsageError(f"--max-cost {value!r}: not a number of US dollars") from None
    if not amount.is_finite():
        raise UsageError(f"--max-cost {value!r}: not a finite amount of US dollars")
    if amount < 0:
        raise UsageError(f"--max-cost {value!r}: must be 0 or more (USD)")
    return amount


def _show_plan(console: Console, session: Session) -> None:
    refs = session.refs.references
    usable = [r for r in refs if r.usable]
    names = ", ".join(r.file for r in session.chosen)
    console.print(
        f"[bold]references:[/] {len(usable)} usable of {len(refs)}; using {escape(names)}"
    )
    for warning in session.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    est = session.estimate
    from rich import box

    table = Table(
        title=f"{session.preset.name}: {len(session.plan.jobs)} prompts",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    chain = " → ".join(e.key for e in session.plan.chain)
    # The chain is what the user chose: it is never cut (it wraps only at the arrows).
    longest = max(len(e.key) for e in session.plan.chain)
    table.add_column("model", min_width=min(longest + 2, 38))
    for col in ("images", "reused", "per image", "estimate", "worst case", "budget"):
        table.add_column(col, justify="right", no_wrap=True)
    cap = session.request.max_cost
    table.add_row(
        chain,
        str(est.images),
        str(est.reused),
        f"${est.per_image_usd:.4f}",
        f"${est.total_usd:.4f}",
        f"${est.worst_case_usd:.4f}",
        "none" if cap is None else f"${cap:.2f}",
    )
    console.print(table)
    if session.reroll_max_usd:
        console.print(
            f"re-rolls: up to {session.request.reroll} more images below likeness "
            f"{session.request.min_likeness} (at most ${session.reroll_max_usd:.4f}, within budget)"
        )
    if session.identity is not None and session.identity.reason:
        console.print(f"[dim]{escape(session.identity.reason)}[/]")
    console.print(f"[dim]output: {session.out_dir}[/]")


def _confirm(console: Console, session: Session, *, yes: bool) -> None:
    if yes or not session.needs_confirmation:
        return
    total = session.estimate.total_usd + session.reroll_max_usd
    if not sys.stdin.isatty():
        raise BudgetRefused(
            f"this run is estimated at ${total:.4f} and needs confirmation; re-run with --yes "
            "to confirm (and --max-cost to cap it)",
            estimated_usd=total,
        )
    if not typer.confirm(f"Spend up to ${total:.4f}?", default=False, err=True):
        raise BudgetRefused("declined: nothing was sent", estimated_usd=total)


def _show_summary(console: Console, report: Report, session: Session) -> None:
    t = report.totals
    style = "green" if report.status == "completed" else "yellow"
    console.print(
        f"[{style}]{report.status}[/]: {t.succeeded} made, {t.reused} reused, {t.failed} failed, "
        f"{t.not_run} not run · ${t.cost_usd:.4f} this run (${t.folder_cost_usd:.4f} in this "
        f"folder) · {t.retries} retries · {t.wall_s:.1f}s"
    )
    ident = report.identity
    if ident.mean_likeness is not None and ident.min_likeness is not None:
        console.print(
            f"likeness: mean {ident.mean_likeness:.2f}, min {ident.min_likeness:.2f} over "
            f"{ident.scored} images · {t.rerolls} re-rolls (${t.reroll_cost_usd:.4f})"
        )
    console.print(f"report: {session.folder.report}")
    sheet = session.folder.contact_sheet
    if sheet.exists():
        console.print(f"contact sheet: {sheet}")


def _dry_run_document(session: Session) -> dict[str, object]:
    est = session.estimate
    return {
        "dry_run": True,
        "out": str(session.out_dir),
        "provider_chain": [e.key for e in session.plan.chain],
        "estimate": {
            "images": est.images,
            "reused": est.reused,
            "per_image_usd": float(est.per_image_usd),
            "total_usd": float(est.total_usd),
            "worst_case_usd": float(est.worst_case_usd),
        },
        "jobs": [
            {
                "index": j.index,
                "prompt_id": j.prompt_id,
                "references": [r.name for r in j.references_for(session.plan.chain[0])],
            }
            for j in session.plan.jobs
        ],
        "warnings": session.warnings,
    }
