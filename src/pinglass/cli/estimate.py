"""``pinglass estimate``: price a preset before spending, on one model or all side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._help import complete_model, complete_providers
from pinglass.cli._layout import Col, fits, show_rows
from pinglass.cli._options import JsonOpt, PresetOpt, QuietOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import money, plural

if TYPE_CHECKING:
    from pinglass.pricing import PriceRow

__all__ = ["estimate"]

_UNIT = {"image": "image", "megapixel": "MP", "second": "s"}

_FOOTNOTE = "Estimates from catalog prices (USD, 4 decimals; --json has 6)"
_WORST_NOTE = (
    "; per-second prices use a typical run time. worst: what generate reserves against"
    " --max-cost, every image run to its deadline (blank: the same as run); a lower --max-cost"
    " can hold images back or leave the last ones not run."
)


@app.command("estimate")
def estimate(
    *,
    preset: PresetOpt = "business",
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            metavar="NAME[/MODEL],…",
            help="Price only these: a provider, provider/model, or a list 'a,b' as generate takes.",
            autocompletion=complete_providers,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="MODEL",
            help="Catalog short name (or vendor id).",
            autocompletion=complete_model,
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="Price a run with a subject from `pinglass train`."),
    ] = None,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Price a run: every model side by side (identity-keeping first, cheapest first), or some.

    Example: [bold]pinglass estimate --preset business --provider replicate,fal/flux-pulid[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.catalog import load_catalog
        from pinglass.presets import load_preset
        from pinglass.pricing import compare
        from pinglass.settings import collect_keys, load_settings, merged_environ

        settings = load_settings()
        loaded = load_preset(preset)
        catalog = load_catalog(settings.prices)
        if subject is not None:
            from pinglass.training import subject_catalog

            catalog = subject_catalog(settings.subjects_dir, subject, catalog)
            entry = catalog.entries[0]
            provider, model = f"{entry.provider}/{entry.model}", None
        configured = set(collect_keys(merged_environ()))
        wanted = _split(provider) or [None]
        rows: list[PriceRow] = []
        for i, item in enumerate(wanted):
            name, _, short = (item or "").partition("/")
            chosen = short or (model if i == 0 else None)
            for row in compare(
                catalog, loaded, configured=configured, provider=name or None, model=chosen
            ):
                if row not in rows:
                    rows.append(row)
        size = f"{loaded.defaults.width}x{loaded.defaults.height}"
        if json_output:
            output.document(
                {
                    "preset": loaded.name,
                    "images": len(loaded.prompts),
                    "size": size,
                    "models": [r.model_dump(mode="json") for r in rows],
                }
            )
            return
        title = f"{escape(loaded.name)}: {plural(len(loaded.prompts), 'image')} at {size}"
        _render(output, title, rows)
        output.result(_FOOTNOTE + (_WORST_NOTE if _per_second(rows) else "."))
        output.line(_summary(loaded.name, len(loaded.prompts), rows))


def _split(value: str | None) -> list[str | None]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _per_second(rows: list[PriceRow]) -> bool:
    return any(r.deadline_s is not None for r in rows)


def _cost(row: PriceRow) -> str:
    """The run's price; a per-second model's also with the worst case generate reserves."""
    if row.deadline_s is None:
        return money(row.run_usd)
    return f"{money(row.run_usd)} typical, worst case {money(row.worst_case_usd)}"


def _summary(preset: str, images: int, rows: list[PriceRow]) -> str:
    """The one-line result: the single model's price, or the cheapest identity-keeping one."""
    if len(rows) == 1:
        r = rows[0]
        return f"{preset}: {plural(images, 'image')} on {r.provider}/{r.model}: {_cost(r)}"
    keeping = [r for r in rows if r.identity] or rows
    best = min(keeping, key=lambda r: r.run_usd)
    kind = "identity-keeping model" if best.identity else "model"
    return (
        f"{preset}: {plural(images, 'image')}; cheapest {kind} {best.provider}/{best.model}: "
        f"{_cost(best)} ({plural(len(rows), 'model')} compared)"
    )


def _render(output: Output, title: str, rows: list[PriceRow]) -> None:
    """The comparison table, then the no-reference warning (one model) or a footnote.

    The worst case comes next to the run when a per-second model is listed. The per-image
    figure, then the raw price and unit, are left out where they would not fit (both are in
    --json and `providers`); when even the narrowest table does not fit, every column goes
    in the two-line rows.
    """
    worst = _per_second(rows)
    shapes = [(True, True), (True, False), (False, False)]  # (per image, price)
    tables = [_cells(rows, worst=worst, per_image=p, price=q) for p, q in shapes]
    cols, cells = next((t for t in tables if fits(output, title, *t)), tables[0])
    show_rows(output, title, cols, cells)
    warned = [r for r in rows if r.warning]
    if len(rows) == 1 and warned:
        output.warn(f"{escape(rows[0].model)} {warned[0].warning}")
    elif warned:
        output.result(
            f"[yellow]⚠[/] {plural(len(warned), 'model')} {escape(str(warned[0].warning))}."
        )


def _cells(
    rows: list[PriceRow], *, worst: bool, per_image: bool, price: bool
) -> tuple[list[Col], list[list[str]]]:
    cols = [
        Col("provider/model"),  # what a user copies into --provider/--model: never cut
        Col("run", right=True),
        *([Col("worst", right=True)] if worst else []),
        *([Col("per image", right=True)] if per_image else []),
        *([Col("price")] if price else []),
        Col("refs"),
        Col("identity"),
        Col("key"),
    ]
    cells = []
    for r in rows:
        flag = " [yellow]⚠[/]" if r.warning else ""
        # blank where the worst case is the run's price (per image or megapixel)
        worst_cell = "" if r.deadline_s is None else money(r.worst_case_usd)
        cells.append(
            [
                escape(f"{r.provider}/{r.model}"),
                money(r.run_usd),
                *([worst_cell] if worst else []),
                *([money(r.per_image_usd)] if per_image else []),
                *([f"${r.price}/{_UNIT.get(r.unit, r.unit)}"] if price else []),
                r.references + flag,
                "[green]yes[/]" if r.identity else "no",
                "[green]yes[/]" if r.key_configured else "no",
            ]
        )
    return cols, cells
