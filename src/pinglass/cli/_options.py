"""Options shared by several commands, defined once as ``Annotated`` aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["JsonOpt", "NoIdentityOpt", "OutOpt", "PresetOpt", "QuietOpt", "VerboseOpt", "YesOpt"]

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable JSON on stdout; humans read stderr.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and the result.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="More detail (keys masked).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before spending money.")]
PresetOpt = Annotated[
    str,
    typer.Option(
        "--preset", "-p", help="Stock preset name (business, casual, creative) or a TOML path."
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Output folder (default ./pinglass-out/<preset>-<time>)."),
]
NoIdentityOpt = Annotated[
    bool,
    typer.Option(
        "--no-identity",
        help="Skip the identity checks (dlib) even when installed; faster. Setting: no_identity.",
    ),
]
