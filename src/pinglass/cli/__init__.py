"""The ``pinglass`` command line: parse, call one library function, render.

This module imports only typer and the command modules' light parts; heavy dependencies (cv2,
numpy, PIL, httpx) are imported inside command functions, so ``pinglass --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from pinglass import __version__
from pinglass.cli._help import PinglassCommand, PinglassGroup

__all__ = ["app", "main"]

app = typer.Typer(
    name="pinglass",
    cls=PinglassGroup,
    help="Batch AI portrait sessions: score selfies, price the run, generate, report.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    # --install-completion / --show-completion: presets, providers and provider/model complete.
    add_completion=True,
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


def _use_pinglass_help(typer_app: typer.Typer) -> None:
    """Every command (and sub-group) gets the help style of :mod:`pinglass.cli._help`."""
    from typer.core import TyperCommand

    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PinglassCommand
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _use_pinglass_help(group.typer_instance)


_use_pinglass_help(app)


def main() -> None:
    """Console-script entry point.

    A usage error that click reports before a command runs (an unknown option, a missing
    value) still answers ``--json`` with one error document on stdout.
    """
    if "--json" not in sys.argv[1:]:
        app(prog_name="pinglass")
        return
    from pinglass.cli._errors import run_with_json_errors

    run_with_json_errors(app)
