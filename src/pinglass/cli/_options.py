"""Options shared by several commands, defined once as ``Annotated`` aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinglass.cli._help import complete_preset

__all__ = [
    "JsonOpt",
    "NoIdentityOpt",
    "OutOpt",
    "PresetOpt",
    "QuietOpt",
    "VerboseOpt",
    "YesOpt",
]

JsonOpt = Annotated[
    bool,
    typer.Option("--json", help='One JSON document on stdout, also on failure ({"error": {…}}).'),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only errors and the one-line result.")
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="More detail (keys masked).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before spending money.")]
PresetOpt = Annotated[
    str,
    typer.Option(
        "--preset",
        "-p",
        metavar="NAME|PATH",
        help="Stock preset name (business, casual, creative) or a TOML path.",
        autocompletion=complete_preset,
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        metavar="DIR",
        help="Output folder (default ./pinglass-out/<preset>-<time>).",
    ),
]
NoIdentityOpt = Annotated[
    bool,
    typer.Option(
        "--no-identity",
        help="Skip the identity checks (dlib) even when installed; faster. Setting: no_identity.",
    ),
]
