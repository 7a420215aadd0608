"""``pinglass presets list | show | validate | new``: the stock presets and your own.

The library work is in :mod:`pinglass.presets` (imported inside each command, so ``pinglass
--help`` does not load pydantic); this module parses, calls one function and renders.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt
from pinglass.cli._output import emit_json, make_console
from pinglass.errors import PinglassError

if TYPE_CHECKING:
    from pinglass.presets import Preset, ResolvedPrompt

__all__ = ["presets_app"]

presets_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Stock presets, one preset's prompts, checking and starting your own preset file.",
)
app.add_typer(
    presets_app,
    name="presets",
    help="List, show, validate and scaffold presets (TOML files of portrait prompts).",
)

PresetArg = Annotated[
    str, typer.Argument(help="Stock preset name (business, casual, creative) or a TOML path.")
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Run seed used to resolve each prompt's seed.")
]


@presets_app.command("list")
def list_presets(*, json_output: JsonOpt = False) -> None:
    """List the stock presets with their prompt counts.

    Example: [bold]pinglass presets list --json[/]
    """
    from pinglass.presets import list_stock_presets

    console = make_console()
    with exit_on_error(console):
        presets = list_stock_presets()
        if json_output:
            emit_json({"presets": [_summary(p) for p in presets]})
            return
        table = Table("name", "prompts", "description", title="Stock presets")
        for p in presets:
            table.add_row(p.name, str(len(p.prompts)), escape(p.description))
        console.print(table)


@presets_app.command("show")
def show_preset(
    name_or_path: PresetArg, *, seed: SeedOpt = None, json_output: JsonOpt = False
) -> None:
    """Show a preset's defaults and every prompt with its resolved size and seed.

    Example: [bold]pinglass presets show business --seed 42[/]
    """
    from pinglass.presets import load_preset

    console = make_console()
    with exit_on_error(console):
        preset = load_preset(name_or_path)
        resolved = preset.resolve(seed)
        if json_output:
            emit_json({**_summary(preset), "prompts": [asdict(r) for r in resolved]})
            return
        _render_preset(console, preset, resolved)


@presets_app.command("validate")
def validate_preset_file(path: PresetArg, *, json_output: JsonOpt = False) -> None:
    """Check a preset file; a problem is one line with file:line and exit code 2.

    Example: [bold]pinglass presets validate my-team.toml[/]
    """
    from pinglass.presets import load_preset

    console = make_console()
    with exit_on_error(console):
        try:
            preset = load_preset(path)
        except PinglassError as exc:
            if json_output:
                emit_json({"ok": False, "error": str(exc)})
            raise
        if json_output:
            emit_json({"ok": True, "error": None, **_summary(preset)})
        d = preset.defaults
        console.print(
            f"[green]ok[/] {escape(str(preset.path))}: preset {escape(preset.name)!r}"
            f" v{escape(preset.version)}, {len(preset.prompts)} prompts,"
            f" {d.width}x{d.height}, seed {d.seed}",
            soft_wrap=True,
        )


@presets_app.command("new")
def new_preset(
    name: Annotated[str, typer.Argument(help="Name of the new preset (kebab-case).")],
    *,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File (or folder) to write; default ./NAME.toml."),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Write a commented starter preset file (never overwrites).

    Example: [bold]pinglass presets new team-headshots --out presets/team.toml[/]
    """
    from pinglass.presets import write_scaffold

    console = make_console()
    with exit_on_error(console):
        target = out or Path(f"{name}.toml")
        if target.is_dir():
            target = target / f"{name}.toml"
        written = write_scaffold(name, target)
        if json_output:
            emit_json({"path": str(written)})
        console.print(
            f"[green]wrote[/] {escape(str(written))}; check it with"
            f" [bold]pinglass presets validate {escape(str(written))}[/]",
            soft_wrap=True,
        )


def _summary(preset: Preset) -> dict[str, Any]:
    """The JSON fields every command shares for one preset."""
    return {
        "name": preset.name,
        "description": preset.description,
        "version": preset.version,
        "path": str(preset.path),
        "sha256": preset.sha256,
        "prompt_count": len(preset.prompts),
        "defaults": preset.defaults.model_dump(mode="json"),
    }


def _render_preset(console: Console, preset: Preset, resolved: list[ResolvedPrompt]) -> None:
    d = preset.defaults
    console.print(
        f"[bold]{escape(preset.name)}[/] v{escape(preset.version)}: {escape(preset.description)}"
    )
    console.print(f"[dim]{escape(str(preset.path))}[/]")
    defaults = Table("default", "value", title="Defaults")
    for key, value in d.model_dump().items():
        defaults.add_row(key, escape("-" if value is None else str(value)))
    console.print(defaults)
    prompts = Table("#", "id", "size", "seed", "text", title=f"{len(resolved)} prompts")
    for r in resolved:
        size = f"{r.width}x{r.height}"
        prompts.add_row(str(r.index), r.id, size, str(r.seed), escape(r.text))
    console.print(prompts)
