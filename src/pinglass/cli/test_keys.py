"""``pinglass test-keys``: probe every configured key with a free request (never spends)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._help import complete_provider
from pinglass.cli._layout import Col, show_rows
from pinglass.cli._options import JsonOpt, QuietOpt, VerboseOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import plural
from pinglass.errors import ExitCode
from pinglass.secrets import redact

if TYPE_CHECKING:
    from pinglass.keycheck import KeyReport

__all__ = ["test_keys"]


@app.command("test-keys")
def test_keys(
    *,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="NAME",
            help="Only this provider's keys.",
            autocompletion=complete_provider,
        ),
    ] = None,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Probe every configured key (all of a provider's keys) at once; nothing is billed.

    Exit 1 when a key is refused, 4 when no key is configured.

    Example: [bold]pinglass test-keys --provider replicate[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        import asyncio

        from pinglass.keycheck import KeysDocument, any_failed, probe_keys
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        keys = collect_keys(merged_environ())
        if verbose:
            for name, found in keys.items():
                where = escape(redact(settings.base_url(name) or "default endpoint"))
                for key in found:
                    output.info(
                        f"[dim]probing {name} key {escape(key.mask())} "
                        f"({escape(key.source)}) at {where}[/]"
                    )
        reports = asyncio.run(probe_keys(keys, settings, provider=provider))
        if json_output:
            output.document(KeysDocument(keys=reports))
        else:
            _render(output, reports)
        ok = sum(1 for r in reports if r.ok)
        failed = sum(1 for r in reports if r.probed and not r.ok)
        unchecked = sum(1 for r in reports if not r.probed)
        line = f"{plural(len(reports), 'key')}: {ok} ok, {failed} failed"
        output.line(line + (f", {unchecked} not checked" if unchecked else ""))
        if any_failed(reports):
            raise typer.Exit(int(ExitCode.IMAGES_FAILED))


def _render(output: Output, reports: list[KeyReport]) -> None:
    """The probe table, then why each key that is not ok failed (full width, never cut).

    With --quiet only the failed keys are printed, as error lines on stderr.
    """
    wide = output.out.width >= 100
    cols = [
        Col("provider"),
        Col("key"),
        *([Col("variable")] if wide else []),
        Col("result"),
        Col("latency", right=True),
        Col("balance"),
    ]
    cells = []
    for r in reports:
        if not r.probed:
            result = "[yellow]not checked[/]"
        else:
            result = "[green]ok[/]" if r.ok else "[red]failed[/]"
        cells.append(
            [
                r.provider,
                escape(r.key),
                *([escape(r.source)] if wide else []),
                result,
                "" if r.latency_ms is None else f"{r.latency_ms} ms",
                escape(r.balance or ""),
            ]
        )
    show_rows(output, "key probes (free requests)", cols, cells)
    for r in reports:
        if r.ok:
            continue
        where = f" ({escape(r.source)})" if r.source else ""
        text = f"{r.provider} {escape(r.key)}{where}: {escape(r.error or 'refused')}"
        if output.quiet and r.probed:
            output.error(text)
        else:
            output.result(f"- {text}")
