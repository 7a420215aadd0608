"""``pinglass refs DIR``: score and rank reference photos, explain every rejection and penalty."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, NoIdentityOpt, QuietOpt
from pinglass.cli._output import emit_json, make_console

if TYPE_CHECKING:
    from rich.console import Console

    from pinglass.refs import RefScore, RefsReport

__all__ = ["refs_command"]

MIN_USABLE = 3
"""Below this many usable photos the command warns: identity models need variety."""

_ADVICE = (
    "add clear, well-lit, front-facing photos of the same person alone, face filling at least "
    "a quarter of the frame, taken on different days or in different light"
)


@app.command("refs")
def refs_command(
    folder: Annotated[Path, typer.Argument(help="Folder of 10-20 selfies of one person.")],
    *,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=16, help="Photos scored in parallel.")
    ] = 2,
    no_identity: NoIdentityOpt = False,
) -> None:
    """Score and rank reference photos; explain every rejection and penalty.

    Example: pinglass refs ./selfies --json > refs.json
    """
    console = make_console()  # not quiet: errors must still show; --quiet drops the extras
    with exit_on_error(console):
        from rich.markup import escape

        from pinglass.identity.outputs import setup as identity_setup
        from pinglass.refs import score_folder
        from pinglass.settings import load_settings

        settings = load_settings()
        enabled = not (no_identity or settings.no_identity)
        identity = identity_setup(settings.identity_threshold, enabled=enabled)
        report = score_folder(
            folder, workers=workers, face_check=identity.check, detector=identity.detector
        )
        if identity.reason and not json_output and not quiet:
            console.print(f"[dim]{escape(identity.reason)}[/]")
        if json_output:
            emit_json(report)
        else:
            _render(console, folder, report, summary=not quiet)
        if not quiet:
            _warn_if_few(console, report)


def _verdict(ref: RefScore) -> str:
    return "[green]usable[/]" if ref.usable else f"[red]{ref.rejected_reason}[/]"


def _why(ref: RefScore) -> str:
    """Every penalty or the rejection, in words (printed below the table at full width)."""
    if ref.usable:
        return "; ".join(ref.penalties) or "no penalties"
    return ref.detail or str(ref.rejected_reason)


def _number(ref: RefScore, key: str, fmt: str) -> str:
    value = ref.metrics.get(key)
    return format(value, fmt) if isinstance(value, int | float) else "-"


def _render(console: Console, folder: Path, report: RefsReport, *, summary: bool) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"references in {escape(str(folder))}", title_justify="left", box=box.SIMPLE_HEAD
    )
    widest = max((len(r.file) for r in report.references), default=4)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("file", no_wrap=True, min_width=min(widest, 40))
    # Short headers keep every column whole on an 80-column terminal.
    for name in ("score", "face px", "sharp", "expo", "light"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True, min_width=14)
    for ref in report.references:
        table.add_row(
            str(ref.rank) if ref.rank is not None else "-",
            escape(ref.file),
            f"{ref.score:.0f}",
            _number(ref, "face_px", "d"),
            _number(ref, "sharpness", ".2f"),
            _number(ref, "luminance_mean", ".2f"),
            _number(ref, "lighting_uniformity", ".2f"),
            _verdict(ref),
        )
    console.print(table)
    console.print(
        "[bold]why[/] (face px: width of the face; sharp: detail the face keeps at a fixed "
        "scale, about 0.6-0.9 in focus; expo: mean face luminance 0-1; light: lighting, "
        "left/right match 0-1)"
    )
    for ref in report.references:
        console.print(f"- [bold]{escape(ref.file)}[/] {_verdict(ref)}: {escape(_why(ref))}")
    if summary:
        console.print(f"{len(report.usable)} usable of {len(report.references)}.")


def _warn_if_few(console: Console, report: RefsReport) -> None:
    usable = len(report.usable)
    if usable >= MIN_USABLE:
        return
    console.print(
        f"[yellow]warning:[/] only {usable} usable photo{'s' if usable != 1 else ''} "
        f"(want at least {MIN_USABLE}): {_ADVICE}.",
        soft_wrap=True,
    )
