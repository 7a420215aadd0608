"""``pinglass test-keys``: probe every configured key with a free request (never spends)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, QuietOpt, VerboseOpt
from pinglass.cli._output import emit_json, make_console
from pinglass.errors import ExitCode
from pinglass.secrets import redact

__all__ = ["test_keys"]


@app.command("test-keys")
def test_keys(
    *,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this provider's keys.")
    ] = None,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Probe every configured key (all of a provider's keys) at once; nothing is billed.

    Exit 1 when a key is refused, 4 when no key is configured.

    Example: [bold]pinglass test-keys --provider replicate[/]
    """
    console = make_console(quiet=quiet)
    with exit_on_error(console):
        import asyncio

        from pinglass.keycheck import KeysDocument, any_failed, probe_keys
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        keys = collect_keys(merged_environ())
        if verbose:
            for name, found in keys.items():
                where = escape(redact(settings.base_url(name) or "default endpoint"))
                for key in found:
                    console.print(
                        f"[dim]probing {name} key {escape(key.mask())} "
                        f"({escape(key.source)}) at {where}[/]"
                    )
        reports = asyncio.run(probe_keys(keys, settings, provider=provider))
        if json_output:
            emit_json(KeysDocument(keys=reports))
        else:
            table = Table(title="key probes (free requests)", title_justify="left")
            for column in ("provider", "key", "variable", "result", "why", "latency", "balance"):
                table.add_column(column, justify="right" if column == "latency" else "left")
            for r in reports:
                if not r.probed:
                    result = "[yellow]not checked[/]"
                else:
                    result = "[green]ok[/]" if r.ok else "[red]failed[/]"
                table.add_row(
                    r.provider,
                    escape(r.key),
                    escape(r.source),
                    result,
                    escape(r.error or ""),
                    "" if r.latency_ms is None else f"{r.latency_ms} ms",
                    escape(r.balance or ""),
                )
            console.print(table)
        if any_failed(reports):
            raise typer.Exit(int(ExitCode.IMAGES_FAILED))
