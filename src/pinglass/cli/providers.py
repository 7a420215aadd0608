"""``pinglass providers``: the model catalog, prices, reference support and configured keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt
from pinglass.cli._output import emit_json, make_console

__all__ = ["providers"]

_UNIT = {"image": "image", "megapixel": "MP", "second": "s"}


@app.command("providers")
def providers(
    *,
    retired: Annotated[bool, typer.Option("--retired", help="Also list retired models.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """List every catalogued model: price, reference support, key variables, configured or not.

    Example: [bold]pinglass providers --json[/]
    """
    console = make_console()
    with exit_on_error(console):
        from pinglass.catalog import load_catalog
        from pinglass.pricing import catalog_rows
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        configured = set(collect_keys(merged_environ()))
        rows = catalog_rows(
            load_catalog(settings.prices), configured=configured, include_retired=retired
        )
        if json_output:
            emit_json({"models": [r.model_dump(mode="json") for r in rows]})
            return
        from rich import box

        table = Table(
            title="pinglass catalog (* default model; id: keeps identity; key: configured)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        names = [f"{r.provider}/{r.model}" + (" *" if r.default else "") for r in rows]
        widest = max((len(n) for n in names), default=14)
        # Names are what users type into --provider/--model: never cut; the vendor id and
        # key variables only where there is room (both are in --json).
        wide = console.width >= widest + 120
        table.add_column("provider/model", no_wrap=True, min_width=min(widest, 48))
        if wide:
            table.add_column("vendor id", no_wrap=True)
        table.add_column("price", justify="right", no_wrap=True)
        table.add_column("≈ img", justify="right", no_wrap=True)
        table.add_column("refs", no_wrap=True)
        table.add_column("id", no_wrap=True)  # keeps identity (PuLID, InstantID, ...)
        if wide:
            table.add_column("key variables", no_wrap=True)
        table.add_column("key", no_wrap=True)
        for r, name in zip(rows, names, strict=True):
            refs = r.references + (f" ≤{r.max_references}" if r.references == "many" else "")
            cells = [
                escape(name + (" (retired)" if r.retired else "")),
                *([escape(r.vendor_id)] if wide else []),
                f"${r.price:f}/{_UNIT.get(r.unit, r.unit)}",
                f"${r.per_image_usd:.4f}",
                refs,
                "yes" if r.identity else "no",
                *([escape(" ".join(r.key_env_vars) or "none needed")] if wide else []),
                "[green]yes[/]" if r.configured else "no",
            ]
            table.add_row(*cells)
        console.print(table)
        console.print(
            "* default model of its provider. Keys: set a variable above "
            "(or NAME_1, NAME_2, … for several keys); check them with `pinglass test-keys`."
        )
