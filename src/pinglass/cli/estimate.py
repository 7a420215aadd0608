"""``pinglass estimate``: price a preset before spending, on one model or all side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, PresetOpt
from pinglass.cli._output import emit_json, make_console

if TYPE_CHECKING:
    from rich.console import Console

    from pinglass.pricing import PriceRow

__all__ = ["estimate"]

_UNIT = {"image": "image", "megapixel": "MP", "second": "s"}


@app.command("estimate")
def estimate(
    *,
    preset: PresetOpt = "business",
    provider: Annotated[
        str | None, typer.Option("--provider", help="Price only this provider's model.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Catalog short name (or vendor id).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Price a run: every model side by side (identity-keeping first, cheapest first), or one.

    Example: [bold]pinglass estimate --preset business[/]
    """
    console = make_console()
    with exit_on_error(console):
        from pinglass.catalog import load_catalog
        from pinglass.presets import load_preset
        from pinglass.pricing import compare
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        loaded = load_preset(preset)
        rows = compare(
            load_catalog(settings.prices),
            loaded,
            configured=set(collect_keys(merged_environ())),
            provider=provider,
            model=model,
        )
        size = f"{loaded.defaults.width}x{loaded.defaults.height}"
        if json_output:
            emit_json(
                {
                    "preset": loaded.name,
                    "images": len(loaded.prompts),
                    "size": size,
                    "models": [r.model_dump(mode="json") for r in rows],
                }
            )
            return
        _render(console, f"{escape(loaded.name)}: {len(loaded.prompts)} images at {size}", rows)
        console.print("Estimates from catalog prices; per-second prices use a typical run time.")


def _render(console: Console, title: str, rows: list[PriceRow]) -> None:
    """The comparison table, then the no-reference warning (one model) or a footnote."""
    from rich import box

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    widest = max((len(f"{r.provider}/{r.model}") for r in rows), default=14)
    # The model name is what a user copies into --provider/--model: never cut it.
    table.add_column("provider/model", no_wrap=True, min_width=min(widest, 48))
    table.add_column("run", justify="right", no_wrap=True, min_width=6)
    table.add_column("per image", justify="right", no_wrap=True, min_width=9)
    # The raw price and unit only where there is room (also in --json and `providers`).
    wide = console.width >= widest + 70
    if wide:
        table.add_column("price", no_wrap=True)
    for column in ("refs", "identity", "key"):
        table.add_column(column, no_wrap=True)
    for r in rows:
        flag = " [yellow]⚠[/]" if r.warning else ""
        cells = [
            escape(f"{r.provider}/{r.model}"),
            f"${r.run_usd:.2f}",
            f"${r.per_image_usd:.4f}",
            *([f"${r.price}/{_UNIT.get(r.unit, r.unit)}"] if wide else []),
            r.references + flag,
            "[green]yes[/]" if r.identity else "no",
            "[green]yes[/]" if r.key_configured else "no",
        ]
        table.add_row(*cells)
    console.print(table)
    warned = [r for r in rows if r.warning]
    if len(rows) == 1 and warned:
        console.print(f"[yellow]warning:[/] {escape(rows[0].model)} {warned[0].warning}")
    elif warned:
        console.print(f"[yellow]⚠[/] {len(warned)} models {escape(str(warned[0].warning))}.")
