"""The ``pinglass`` command line: parse, call one library function, render.

This module imports only typer and the command modules' light parts; heavy dependencies (cv2,
numpy, PIL, httpx) are imported inside command functions, so ``pinglass --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

from pinglass import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="pinglass",
    help="Batch AI portrait sessions: score selfies, price the run, generate, report.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pinglass {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Batch AI portrait sessions: score selfies, price the run, generate, report."""


# Command modules register themselves on ``app`` when imported. A module that is not there yet
# (being built) is skipped, so the CLI works while parts are added.
_COMMAND_MODULES = (
    "generate",
    "estimate",
    "refs",
    "presets",
    "providers",
    "test_keys",
    "report",
    "train",
    "subjects",
)
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"pinglass.cli.{_name}")
    except ModuleNotFoundError as _exc:  # pragma: no cover - only while a part is missing
        if _exc.name != f"pinglass.cli.{_name}":
            raise


def main() -> None:
    """Console-script entry point."""
    app()
