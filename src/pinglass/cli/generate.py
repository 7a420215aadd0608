"""``pinglass generate``: the main job."""

from __future__ import annotations

import contextlib
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._help import complete_model, complete_providers
from pinglass.cli._options import (
    JsonOpt,
    NoIdentityOpt,
    OutOpt,
    PresetOpt,
    QuietOpt,
    RetryFailedOpt,
    SafetyCheckerOpt,
    VerboseOpt,
    YesOpt,
)
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import money, plural
from pinglass.errors import BudgetRefused, ExitCode, UsageError

if TYPE_CHECKING:
    from pinglass.cli._progress import ProgressView, QuietView
    from pinglass.report.models import Report
    from pinglass.session import Session

__all__ = ["generate"]


@app.command("generate")
def generate(
    refs: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of 10–20 selfies of one person (not with --subject), or a folder of "
            "such folders, one per person (studio mode)."
        ),
    ] = None,
    preset: PresetOpt = "business",
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="NAME[/MODEL],…",
            help="Provider, or a fallback list 'a,b' (each may be provider/model).",
            autocompletion=complete_providers,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            metavar="MODEL", help="Model short name or vendor id.", autocompletion=complete_model
        ),
    ] = None,
    out: OutOpt = None,
    concurrency: Annotated[
        int | None, typer.Option(metavar="N", help="Images in flight at once.")
    ] = None,
    max_cost: Annotated[
        str | None,
        typer.Option("--max-cost", metavar="USD", help="Spend cap in US dollars; never exceeded."),
    ] = None,
    refs_top: Annotated[
        int, typer.Option("--refs-top", metavar="K", help="Best references to use.")
    ] = 5,
    only: Annotated[
        str | None, typer.Option(metavar="ID,…", help="Only these prompt ids (comma list).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="Base seed for reproducible images.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and price; send nothing.")] = (
        False
    ),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Ignore an earlier run in --out (kept, renamed).")
    ] = False,
    min_likeness: Annotated[
        float | None,
        typer.Option(
            "--min-likeness",
            metavar="0-1",
            help="Re-roll images whose likeness (0-1) is below this.",
        ),
    ] = None,
    reroll: Annotated[
        int, typer.Option(metavar="N", help="At most this many extra images for --min-likeness.")
    ] = 0,
    no_identity: NoIdentityOpt = False,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="A subject from `pinglass train`: its LoRA and trigger."),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            metavar="CSV",
            help="Studio mode: a CSV of person,refs,preset[,provider], one row per person.",
        ),
    ] = None,
    retry_failed: RetryFailedOpt = None,
    safety_checker: SafetyCheckerOpt = None,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Score the selfies, price the run, ask, generate every prompt, write the report.

    Example: pinglass generate ./refs --preset business --provider replicate --max-cost 2
    """
    output = make_output(json_output=json_out, quiet=quiet)
    with exit_on_error(output):
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
            subject=subject,
        )
        if manifest is not None or _is_people_dir(refs):
            from pinglass.cli._studio import run_studio_command

            run_studio_command(
                output,
                request,
                people_dir=refs,
                manifest=manifest,
                dry_run=dry_run,
                yes=yes,
                verbose=verbose,
                settings=_run_settings(retry_failed, safety_checker),
            )
            return
        session = prepare(request, load_settings(**_run_settings(retry_failed, safety_checker)))
        with contextlib.closing(session):  # frees the output folder's lock on every path
            _show_plan(output, session)
            if dry_run:
                est = session.estimate
                output.line(
                    f"dry run: {plural(est.images, 'image')} on {session.plan.chain[0].key}, "
                    f"estimate {money(est.total_usd)}; nothing was sent and nothing was spent."
                )
                if json_out:
                    output.document(_dry_run_document(session))
                return
            check_budget(session)
            _confirm(output, session, yes=yes)
            observer = _observer(output, session, verbose=verbose)
            with observer:
                report, outcome = run(session, observer=observer)
        _show_summary(output, report, session)
        if json_out:
            output.document(report)
        if outcome.interrupted:
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        if report.totals.failed or report.totals.not_run:
            raise typer.Exit(int(ExitCode.IMAGES_FAILED))


def _observer(output: Output, session: Session, *, verbose: bool) -> ProgressView | QuietView:
    """The live progress on stderr, or nothing with --quiet."""
    from pinglass.cli._progress import ProgressView, QuietView

    if output.quiet:
        return QuietView()
    names = {j.index: j.prompt_id for j in session.plan.jobs}
    return ProgressView(output.err, total=len(names), verbose=verbose, names=names)


def _is_people_dir(refs: Path | None) -> bool:
    """True when REFS is a folder of folders (studio mode), not a folder of selfies."""
    from pinglass.studio import is_people_dir

    return refs is not None and is_people_dir(refs)


def _run_settings(retry_failed: int | None, safety_checker: bool | None) -> dict[str, object]:
    """Settings the flags override (a flag beats the environment, .env and pinglass.toml)."""
    overrides: dict[str, object] = {}
    if retry_failed is not None:
        if not 0 <= retry_failed <= 5:
            raise UsageError(f"--retry-failed {retry_failed}: must be between 0 and 5")
        overrides["retry_failed"] = retry_failed
    if safety_checker is not None:
        overrides["safety_checker"] = safety_checker
    return overrides


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


def _show_plan(output: Output, session: Session) -> None:
    """References, warnings and the priced plan (stderr: it comes before the question).

    The plan is a two-column list, not a wide table, so no figure is ever cut on a narrow
    terminal; the model chain wraps only at its arrows.
    """
    refs = session.refs.references
    usable = [r for r in refs if r.usable]
    names = ", ".join(r.file for r in session.chosen)
    output.info(f"[bold]references:[/] {len(usable)} usable of {len(refs)}; using {escape(names)}")
    if session.request.subject is not None:
        from pinglass.training import read_subject

        subj = read_subject(session.settings.subjects_dir, session.request.subject)
        output.info(
            f"[bold]subject:[/] {escape(subj.name)} ({subj.provider} {escape(subj.trainer)}); "
            f"every prompt names {escape(subj.trigger_phrase)}"
        )
    for warning in session.warnings:
        output.warn(escape(warning))
    est = session.estimate
    cap = session.request.max_cost
    chain = " → ".join(e.key for e in session.plan.chain)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column()
    grid.add_row("model", escape(chain))
    grid.add_row("images", f"{est.images} to make, {est.reused} reused")
    grid.add_row("per image", money(est.per_image_usd))
    grid.add_row("estimate", money(est.total_usd))
    grid.add_row("worst case", f"{money(est.worst_case_usd)} (dearest model, to its deadline)")
    grid.add_row("budget", "none (--max-cost USD sets one)" if cap is None else money(cap))
    output.info(
        f"[bold]{escape(session.preset.name)}:[/] {plural(len(session.plan.jobs), 'prompt')}"
    )
    output.info(grid)
    if session.reroll_max_usd:
        output.info(
            f"re-rolls: up to {session.request.reroll} more images below likeness "
            f"{session.request.min_likeness} (at most {money(session.reroll_max_usd)}, "
            "within budget)"
        )
    if session.identity is not None and session.identity.reason:
        output.info(f"[dim]{escape(session.identity.reason)}[/]")
    output.info(f"[dim]output: {escape(str(session.out_dir))}[/]")


def _confirm(output: Output, session: Session, *, yes: bool) -> None:
    if yes or not session.needs_confirmation:
        return
    total = session.estimate.total_usd + session.reroll_max_usd
    if not sys.stdin.isatty():
        raise BudgetRefused(
            f"this run is estimated at {money(total)} and needs confirmation; re-run with --yes "
            "to confirm (and --max-cost to cap it)",
            estimated_usd=total,
        )
    if not _ask(output, f"Spend up to {money(total)}? [y/N]: "):
        raise BudgetRefused("declined; nothing was sent", estimated_usd=total)


def _ask(output: Output, question: str) -> bool:
    """A yes/no question on stderr, answered on stdin; Ctrl-C or Ctrl-D (EOF) mean no.

    Not ``typer.confirm``: click writes part of its prompt to stdout, which belongs to results.
    """
    output.err.print(question, end="", markup=False, highlight=False)
    output.err.file.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    if not answer.endswith("\n"):  # Ctrl-C or Ctrl-D: end the question's line
        output.err.print()
    return answer.strip().lower() in {"y", "yes"}


def _show_summary(output: Output, report: Report, session: Session) -> None:
    """The run's one-line result (stdout, also with --quiet), then where its files are."""
    t = report.totals
    style = "green" if report.status == "completed" else "yellow"
    output.line(
        f"[{style}]{report.status}[/]: {t.succeeded} made, {t.reused} reused, {t.failed} failed, "
        f"{t.not_run} not run · {money(t.cost_usd)} this run ({money(t.folder_cost_usd)} in this "
        f"folder) · {plural(t.retries, 'retry', 'retries')} · {t.wall_s:.1f}s"
    )
    ident = report.identity
    if ident.mean_likeness is not None and ident.min_likeness is not None:
        output.result(
            f"likeness: mean {ident.mean_likeness:.2f}, min {ident.min_likeness:.2f} over "
            f"{plural(ident.scored, 'image')} · {plural(t.rerolls, 're-roll')} "
            f"({money(t.reroll_cost_usd)})"
        )
    output.result(f"report: {escape(str(session.folder.report))}", soft_wrap=True)
    sheets = [session.folder.path / name for name in report.contact_sheets]
    if sheets and sheets[0].exists():
        more = f" (+{len(sheets) - 1} more: {sheets[-1].name})" if len(sheets) > 1 else ""
        output.result(f"contact sheet: {escape(str(sheets[0]))}{more}", soft_wrap=True)


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
