"""``pinglass refs DIR``: score and rank reference photos, explain every rejection and penalty."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, NoIdentityOpt, QuietOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import plural

if TYPE_CHECKING:
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
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.refs import Scoring

        # The photos start on the worker threads first; settings, the identity extra and the
        # report's models load on this thread meanwhile (all three are pure start-up cost).
        with Scoring(folder, workers=workers) as scoring:
            from rich.markup import escape

            from pinglass.identity.outputs import setup as identity_setup
            from pinglass.settings import load_settings

            settings = load_settings()
            enabled = not (no_identity or settings.no_identity)
            identity = identity_setup(settings.identity_threshold, enabled=enabled)
            report = scoring.finish(face_check=identity.check, detector=identity.detector)
        if identity.reason and not json_output:
            output.info(f"[dim]{escape(identity.reason)}[/]")
        if json_output:
            output.document(report)
        else:
            _render(output, folder, report)
        _warn_if_few(output, report)


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


def _render(output: Output, folder: Path, report: RefsReport) -> None:
    """The ranked table and the reasons (stdout), then the one-line count."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"references in {escape(str(folder))}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=0,  # the box draws one space between columns: a phone file name fits at 80
    )
    # Numbers and verdicts are never cut (no_wrap, width of their longest value); a long file
    # name (PXL_20240315_142213456.jpg) folds onto a second line when the terminal is narrow.
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("file", overflow="fold", ratio=1)
    for name in ("score", "face px", "sharp", "expo", "light"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    verdicts = [str(r.rejected_reason or "usable") for r in report.references]
    table.add_column("verdict", no_wrap=True, min_width=max(map(len, verdicts), default=7))
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
    output.result(table)
    output.result(
        "[bold]why[/] (face px: width of the face; sharp: detail the face keeps at a fixed "
        "scale, about 0.6-0.9 in focus; expo: mean face luminance 0-1; light: lighting, "
        "left/right match 0-1)"
    )
    for ref in report.references:
        output.result(f"- [bold]{escape(ref.file)}[/] {_verdict(ref)}: {escape(_why(ref))}")
    output.line(f"{len(report.usable)} usable of {len(report.references)}.")


def _warn_if_few(output: Output, report: RefsReport) -> None:
    usable = len(report.usable)
    if usable >= MIN_USABLE:
        return
    output.warn(
        f"only {plural(usable, 'usable photo')} (want at least {MIN_USABLE}): {_ADVICE}.",
    )
