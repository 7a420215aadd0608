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
        table = Table(title="pinglass catalog", title_justify="left")
        for column in ("provider/model", "vendor id", "price", "≈ image", "refs", "identity"):
            table.add_column(column, justify="right" if column in ("price", "≈ image") else "left")
        table.add_column("key variables")
        table.add_column("configured")
        for r in rows:
            name = f"{r.provider}/{r.model}" + (" *" if r.default else "")
            name += " (retired)" if r.retired else ""
            refs = r.references + (f" ≤{r.max_references}" if r.references == "many" else "")
            table.add_row(
                escape(name),
                escape(r.vendor_id),
                f"${r.price:f}/{_UNIT.get(r.unit, r.unit)}",
                f"${r.per_image_usd:.4f}",
                refs,
                "yes" if r.identity else "no",
                escape(" ".join(r.key_env_vars) or "none needed"),
                "[green]yes[/]" if r.configured else "no",
            )
        console.print(table)
        console.print(
            "* default model of its provider. Keys: set a variable above "
            "(or NAME_1, NAME_2, … for several keys); check them with `pinglass test-keys`."
        )
