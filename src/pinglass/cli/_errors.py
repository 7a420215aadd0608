"""The one place errors become exit codes: ``exit_on_error``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from pinglass.errors import ExitCode, PinglassError
from pinglass.secrets import redact

__all__ = ["debug_enabled", "exit_on_error"]

# typer.Exit and typer.Abort subclass RuntimeError: re-raise them before the catch-all.
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.BadParameter)


def debug_enabled() -> bool:
    """True when ``PINGLASS_DEBUG`` asks for tracebacks of internal errors."""
    return os.environ.get("PINGLASS_DEBUG", "").lower() in {"1", "true", "yes", "on"}


@contextmanager
def exit_on_error(console: Console) -> Iterator[None]:
    """Run a command body: a ``PinglassError`` becomes one stderr line and its exit code.

    Any other exception is a bug: one ``internal error`` line (exit 1) unless debugging.
    Ctrl-C exits 130. The error line is printed even on a ``--quiet`` console.
    """
    try:
        yield
    except _PASS_THROUGH:
        raise
    except PinglassError as exc:
        console.quiet = False  # --quiet means "only errors and the result", not "no errors"
        console.print(f"[red]error:[/] {escape(redact(str(exc)))}", soft_wrap=True)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Exception as exc:
        if debug_enabled():
            raise
        message = redact(f"{type(exc).__name__}: {exc}")
        console.quiet = False
        console.print(
            f"[red]internal error:[/] {escape(message)} (set PINGLASS_DEBUG=1 for a traceback)",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
