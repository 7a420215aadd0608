"""``pinglass presets list | show | validate | new``: the stock presets and your own.

The library work is in :mod:`pinglass.presets` (imported inside each command, so ``pinglass
--help`` does not load pydantic); this module parses, calls one function and renders.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from pinglass.cli import app
from pinglass.cli._errors import error_document, exit_on_error
from pinglass.cli._help import PinglassGroup, complete_preset
from pinglass.cli._options import JsonOpt, QuietOpt
from pinglass.cli._output import Output, make_output
from pinglass.cli._text import plural
from pinglass.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from pinglass.presets import Preset, ResolvedPrompt

__all__ = ["presets_app"]

presets_app = typer.Typer(
    cls=PinglassGroup,
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
    str,
    typer.Argument(
        metavar="PRESET",
        help="Stock preset name (business, casual, creative) or a TOML path.",
        autocompletion=complete_preset,
    ),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Run seed used to resolve each prompt's seed.")
]


@presets_app.command("list")
def list_presets(*, json_output: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List the stock presets with their prompt counts.

    Example: [bold]pinglass presets list --json[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.presets import list_stock_presets

        presets = list_stock_presets()
        if json_output:
            output.document({"presets": [_summary(p) for p in presets]})
            return
        table = Table("name", "prompts", "description", title="Stock presets")
        for p in presets:
            table.add_row(p.name, str(len(p.prompts)), escape(p.description))
        output.result(table)
        output.line(f"{plural(len(presets), 'stock preset')}: {', '.join(p.name for p in presets)}")


@presets_app.command("show")
def show_preset(
    name_or_path: PresetArg,
    *,
    seed: SeedOpt = None,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show a preset's defaults and every prompt with its resolved size and seed.

    A preset with seed = "random" shows "random": its seeds are drawn when a run starts
    (or give --seed to see the seeds that run would use).

    Example: [bold]pinglass presets show business --seed 42[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.presets import load_preset

        preset = load_preset(name_or_path)
        resolved = preset.resolve(seed)
        random = seed is None and preset.defaults.seed == "random"
        seeds: list[int | None] = [
            None if random and spec.seed is None else r.seed
            for r, spec in zip(resolved, preset.prompts, strict=True)
        ]
        if json_output:
            prompts = [{**asdict(r), "seed": s} for r, s in zip(resolved, seeds, strict=True)]
            output.document({**_summary(preset), "prompts": prompts})
            return
        _render_preset(output, preset, resolved, seeds)
        d = preset.defaults
        output.line(
            f"{preset.name} v{preset.version}: {plural(len(resolved), 'prompt')}, "
            f"{d.width}x{d.height}, seed {_seed_policy(preset)}"
        )


@presets_app.command("validate")
def validate_preset_file(
    path: PresetArg, *, json_output: JsonOpt = False, quiet: QuietOpt = False
) -> None:
    """Check a preset file: every problem on its own line as file:line, and exit code 2.

    Example: [bold]pinglass presets validate my-team.toml[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.presets import load_preset, preset_problems, stock_preset_names

        target = path
        if path in stock_preset_names():
            target = str(load_preset(path).path)
        problems = preset_problems(target)
        if problems:
            for problem in problems:
                output.error(escape(str(problem)))
            if json_output:
                output.document(
                    {
                        "ok": False,
                        "problems": [
                            {"file": p.file, "line": p.line, "message": p.detail} for p in problems
                        ],
                        **error_document("preset", str(problems[0]), int(ExitCode.BAD_INPUT)),
                    }
                )
            raise typer.Exit(int(ExitCode.BAD_INPUT))
        preset = load_preset(target)
        if json_output:
            output.document({"ok": True, "error": None, **_summary(preset)})
        d = preset.defaults
        output.line(
            f"[green]ok[/] {escape(str(preset.path))}: preset {escape(preset.name)!r}"
            f" v{escape(preset.version)}, {plural(len(preset.prompts), 'prompt')},"
            f" {d.width}x{d.height}, seed {_seed_policy(preset)}"
        )


@presets_app.command("new")
def new_preset(
    name: Annotated[str, typer.Argument(help="Name of the new preset (kebab-case).")],
    *,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="File to write, or a folder (ending in /) to write NAME.toml into; "
            "default ./NAME.toml.",
        ),
    ] = None,
    json_output: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a commented starter preset file (never overwrites).

    Example: [bold]pinglass presets new team-headshots --out presets/[/]
    """
    output = make_output(json_output=json_output, quiet=quiet)
    with exit_on_error(output):
        from pinglass.presets import write_scaffold

        written = write_scaffold(name, _scaffold_target(name, out))
        if json_output:
            output.document({"path": str(written)})
        output.line(
            f"[green]wrote[/] {escape(str(written))}; check it with"
            f" [bold]pinglass presets validate {escape(str(written))}[/]"
        )


def _scaffold_target(name: str, out: str | None) -> Path:
    """``--out``: a file path, or a folder (existing, or written with a trailing slash)."""
    if out is None:
        return Path(f"{name}.toml")
    target = Path(out)
    if out.endswith(("/", os.sep)) or target.is_dir():
        if not target.exists():
            try:
                target.mkdir(parents=True)
            except OSError as exc:
                raise UsageError(
                    f"--out {out}: cannot create the folder ({exc.strerror})"
                ) from None
        return target / f"{name}.toml"
    return target


def _seed_policy(preset: Preset) -> str:
    d = preset.defaults
    if d.seed == "random":
        return "random (drawn per run)"
    return f"{d.seed} from {d.base_seed or 0}"


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


def _render_preset(
    output: Output, preset: Preset, resolved: list[ResolvedPrompt], seeds: list[int | None]
) -> None:
    d = preset.defaults
    output.result(
        f"[bold]{escape(preset.name)}[/] v{escape(preset.version)}: {escape(preset.description)}"
    )
    output.result(f"[dim]{escape(str(preset.path))}[/]")
    defaults = Table("default", "value", title="Defaults")
    for key, value in d.model_dump().items():
        defaults.add_row(key, escape("-" if value is None else str(value)))
    output.result(defaults)
    prompts = Table(title=plural(len(resolved), "prompt"))
    prompts.add_column("#", justify="right", no_wrap=True)
    prompts.add_column("id", overflow="fold")
    prompts.add_column("size", no_wrap=True)
    prompts.add_column("seed", justify="right", no_wrap=True)
    prompts.add_column("text", ratio=1)
    for r, seed in zip(resolved, seeds, strict=True):
        size = f"{r.width}x{r.height}"
        shown = "random" if seed is None else str(seed)
        prompts.add_row(str(r.index), r.id, size, shown, escape(r.text))
    output.result(prompts)
