"""``pinglass providers``: the model catalog, prices, reference support and configured keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._layout import Col, show_rows
from pinglass.cli._options import JsonOpt, QuietOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import money, plural

if TYPE_CHECKING:
    from pinglass.pricing import CatalogRow

__all__ = ["providers"]

_UNIT = {"image": "image", "megapixel": "MP", "second": "s"}


@app.command("providers")
def providers(
    *,
    retired: Annotated[bool, typer.Option("--retired", help="Also list retired models.")] = False,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """List every catalogued model: price, reference support, key variables, configured or not.

    Example: [bold]pinglass providers | grep pulid[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.catalog import load_catalog
        from pinglass.pricing import catalog_rows
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        configured = set(collect_keys(merged_environ()))
        rows = catalog_rows(
            load_catalog(settings.prices), configured=configured, include_retired=retired
        )
        if json_output:
            output.document({"models": [r.model_dump(mode="json") for r in rows]})
            return
        _render(output, rows)
        providers_seen = list(dict.fromkeys(r.provider for r in rows))
        ready = sorted({r.provider for r in rows if r.configured})
        output.line(
            f"{plural(len(rows), 'model')} from {plural(len(providers_seen), 'provider')}; "
            f"keys configured for: {', '.join(ready) or 'none'}."
        )


def _render(output: Output, rows: list[CatalogRow]) -> None:
    """The catalog table, then each provider's key variables and the price-check date."""
    names = [f"{r.provider}/{r.model}" + (" *" if r.default else "") for r in rows]
    names = [n + (" (retired)" if r.retired else "") for r, n in zip(rows, names, strict=True)]
    widest = max((len(n) for n in names), default=14)
    # Names are what users type into --provider/--model: never cut. The vendor id only where
    # there is room (it is in --json); key variables are listed below the table.
    wide = output.out.width >= widest + 80
    cols = [
        Col("provider/model"),
        *([Col("vendor id")] if wide else []),
        Col("price", right=True),
        Col("≈ img", right=True),
        Col("refs"),
        Col("id"),  # keeps identity (PuLID, InstantID, ...)
        Col("key"),
    ]
    cells = []
    for r, name in zip(rows, names, strict=True):
        refs = r.references + (f" ≤{r.max_references}" if r.references == "many" else "")
        cells.append(
            [
                escape(name),
                *([escape(r.vendor_id)] if wide else []),
                f"${r.price:f}/{_UNIT.get(r.unit, r.unit)}",
                money(r.per_image_usd),
                refs,
                "yes" if r.identity else "no",
                "[green]yes[/]" if r.configured else "no",
            ]
        )
    title = "pinglass catalog (* default model; id: keeps identity; key: configured)"
    show_rows(output, title, cols, cells)
    output.result("Key variables (several keys: NAME_1..N; check them with `pinglass test-keys`):")
    by_provider: dict[str, list[str]] = {}
    for r in rows:
        by_provider.setdefault(r.provider, r.key_env_vars)
    for provider, names_ in by_provider.items():
        output.result(f"  {provider:<12} {escape(' or '.join(names_) or 'none needed')}")
    dates = sorted({r.price_checked for r in rows})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    output.result(
        f"* default model of its provider. Prices checked {when} against the vendors' pages; "
        "≈ img is one image at the model's default size (per-second prices: a typical run time)."
    )
