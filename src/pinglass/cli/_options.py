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
    "RetryFailedOpt",
    "SafetyCheckerOpt",
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
RetryFailedOpt = Annotated[
    int | None,
    typer.Option(
        "--retry-failed",
        metavar="N",
        help=(
            "Make a job the provider failed again N times on the same model, then fall back"
            " along --provider (default 1, at most 5). Setting: retry_failed."
        ),
    ),
]
SafetyCheckerOpt = Annotated[
    bool | None,
    typer.Option(
        "--safety-checker/--no-safety-checker",
        help="Run the model's own safety checker where it has one (default on).",
    ),
]
