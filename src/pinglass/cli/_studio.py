"""``pinglass generate PEOPLE_DIR`` / ``--manifest people.csv``: the studio flow's rendering.

``generate`` hands over here when its argument is a folder of folders or ``--manifest`` is
given. What is detected is said first (stderr); the plan is a table with a row per person and
a total (stdout, it is the priced result); one confirmation covers the whole run; one progress
display shows everyone; the summary is a table again, and ``--json`` prints the
``studio-report.json`` document.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli._text import money, plural
from pinglass.errors import BudgetRefused, UsageError

if TYPE_CHECKING:
    from pinglass.cli._output import Output
    from pinglass.cli._studio_progress import QuietStudioView, StudioProgressView
    from pinglass.session import GenerateRequest
    from pinglass.studio import Studio, StudioReport

__all__ = ["run_studio_command"]


def run_studio_command(
    output: Output,
    base: GenerateRequest,
    *,
    people_dir: Path | None,
    manifest: Path | None,
    dry_run: bool,
    yes: bool,
    verbose: bool,
    settings: dict[str, object] | None = None,
) -> None:
    """Detect, prepare, price, confirm, run and sum up a studio run; raises ``typer.Exit``
    with the whole run's exit code. ``settings`` are the flags' overrides (``--retry-failed``)."""
    from pinglass.settings import load_settings
    from pinglass.studio import (
        StudioRequest,
        check_studio_budget,
        exit_code,
        people_in_dir,
        prepare_studio,
        read_manifest,
        run_studio,
    )

    if manifest is not None:
        if people_dir is not None:
            raise UsageError("give a people folder or --manifest, not both")
        people = read_manifest(manifest)
        request = StudioRequest(people=tuple(people), source="manifest", base=base)
        output.info(
            f"[bold]studio mode:[/] manifest {escape(str(manifest))} lists "
            f"{plural(len(people), 'person', 'people')}",
            soft_wrap=True,
        )
    else:
        assert people_dir is not None  # noqa: S101 - the caller detected it
        people = people_in_dir(people_dir)
        request = StudioRequest(people=tuple(people), source="folder", base=base)
        output.info(
            f"[bold]studio mode:[/] {escape(str(people_dir))} is a folder of "
            f"{plural(len(people), 'folder')} and no photos: one person per folder "
            f"({escape(', '.join(p.name for p in people))})",
            soft_wrap=True,
        )
    studio = prepare_studio(request, load_settings(**(settings or {})))
    with contextlib.closing(studio):
        _show_plan(output, studio)
        if dry_run:
            output.line(
                f"dry run: {plural(studio.images, 'image')} for "
                f"{plural(len(studio.runnable), 'person', 'people')}, estimate "
                f"{money(studio.estimated_usd)}; nothing was sent and nothing was spent."
            )
            if output.json:
                output.document(_dry_run_document(studio))
            return
        check_studio_budget(studio)
        _confirm(output, studio, yes=yes)
        view = _view(output, studio, verbose=verbose)
        with view:
            report = run_studio(studio, view)
    _show_summary(output, report, studio)
    if output.json:
        output.document(report)
    code = exit_code(report)
    if code:
        raise typer.Exit(int(code))


def _show_plan(output: Output, studio: Studio) -> None:
    """Warnings (stderr), then the priced plan: a row per person and a total (stdout)."""
    for m in studio.members:
        if m.skipped:
            output.warn(f"skipping {escape(m.person.name)}: {escape(m.skipped)}")
        elif m.session is not None:
            for warning in m.session.warnings:
                output.warn(f"{escape(m.person.name)}: {escape(warning)}")
    table = Table(title=None, show_edge=False, pad_edge=False)
    table.add_column("person", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("preset", no_wrap=True)
    table.add_column("refs", justify="right")
    table.add_column("make", justify="right")
    table.add_column("reused", justify="right")
    table.add_column("estimate", justify="right", no_wrap=True)
    for m in studio.members:
        s = m.session
        if s is None:
            table.add_row(
                escape(m.person.name),
                escape(m.preset),
                str(m.refs_usable),
                "-",
                "-",
                "[yellow]skipped[/]",
            )
            continue
        est = s.estimate
        table.add_row(
            escape(m.person.name),
            escape(s.preset.name),
            str(m.refs_usable),
            str(est.images),
            str(est.reused),
            money(est.total_usd),
        )
    reused = sum(s.estimate.reused for s in (m.session for m in studio.runnable) if s)
    table.add_section()
    table.add_row(
        f"[bold]total[/] ({len(studio.runnable)} of {len(studio.members)})",
        "",
        "",
        f"[bold]{studio.images}[/]",
        str(reused),
        f"[bold]{money(studio.estimated_usd)}[/]",
    )
    output.result(table)
    chains = sorted(
        {" → ".join(e.key for e in m.session.plan.chain) for m in studio.runnable if m.session}
    )
    cap = studio.request.base.max_cost
    output.info(
        f"[bold]model[/] {escape(', '.join(chains))} · "
        f"{plural(studio.concurrency, 'image')} in flight, shared by everyone",
        soft_wrap=True,
    )
    budget = "none (--max-cost USD sets one)" if cap is None else money(cap)
    output.info(
        f"[bold]worst case[/] {money(studio.worst_case_usd)} · [bold]budget[/] {budget} "
        "for everyone",
        soft_wrap=True,
    )
    output.info(f"[dim]output: {escape(str(studio.out))}/<person>/[/]")


def _confirm(output: Output, studio: Studio, *, yes: bool) -> None:
    from pinglass.cli.generate import _ask

    total = studio.estimated_usd
    if yes or total <= 0:
        return
    if not sys.stdin.isatty():
        raise BudgetRefused(
            f"this studio run is estimated at {money(total)} and needs confirmation; re-run with "
            "--yes to confirm (and --max-cost to cap it)",
            estimated_usd=total,
        )
    people = plural(len(studio.runnable), "person", "people")
    if not _ask(output, f"Spend up to {money(total)} for {people}? [y/N]: "):
        raise BudgetRefused("declined; nothing was sent", estimated_usd=total)


def _view(output: Output, studio: Studio, *, verbose: bool) -> StudioProgressView | QuietStudioView:
    from pinglass.cli._studio_progress import QuietStudioView, StudioProgressView

    if output.quiet:
        return QuietStudioView()
    people = {m.person.name: len(m.session.plan.jobs) for m in studio.runnable if m.session}
    return StudioProgressView(output.err, people=people, verbose=verbose)


def _show_summary(output: Output, report: StudioReport, studio: Studio) -> None:
    """A row per person (stdout), then the one-line result (stdout, also with --quiet)."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("person", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("status", no_wrap=True)
    table.add_column("made", justify="right")
    table.add_column("reused", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("not run", justify="right")
    table.add_column("cost", justify="right", no_wrap=True)
    for e in report.people:
        c = e.counts
        style = _STYLE.get(e.status, "white")
        table.add_row(
            escape(e.person),
            f"[{style}]{e.status}[/]",
            str(c.succeeded),
            str(c.reused),
            str(c.failed),
            str(c.not_run),
            money(e.cost_usd),
        )
    output.result(table)
    t = report.totals
    c = t.counts
    style = _STYLE.get(report.status, "yellow")
    skipped = f", {t.skipped} skipped" if t.skipped else ""
    output.line(
        f"[{style}]{report.status}[/]: {plural(t.people, 'person', 'people')} "
        f"({t.completed} completed{skipped}) · {c.succeeded} made, {c.reused} reused, "
        f"{c.failed} failed, {c.not_run} not run · {money(t.cost_usd)} this run · "
        f"{t.wall_s:.1f}s"
    )
    output.result(
        f"studio report: {escape(str(studio.out / 'studio-report.json'))}", soft_wrap=True
    )
    output.result(f"gallery: {escape(str(studio.out / 'index.html'))}", soft_wrap=True)


_STYLE = {
    "completed": "green",
    "partial": "yellow",
    "skipped": "yellow",
    "failed": "red",
    "aborted": "red",
    "refused": "red",
}


def _dry_run_document(studio: Studio) -> dict[str, object]:
    return {
        "dry_run": True,
        "studio": True,
        "out": str(studio.out),
        "estimate": {
            "images": studio.images,
            "total_usd": float(studio.estimated_usd),
            "worst_case_usd": float(studio.worst_case_usd),
        },
        "people": [
            {
                "person": m.person.name,
                "skipped": m.skipped,
                "preset": m.session.preset.name if m.session else m.preset,
                "images": m.session.estimate.images if m.session else 0,
                "reused": m.session.estimate.reused if m.session else 0,
                "estimate_usd": float(m.session.estimate.total_usd) if m.session else 0.0,
            }
            for m in studio.members
        ],
    }
