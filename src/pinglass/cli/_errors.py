"""The one place errors become exit codes: ``exit_on_error``.

Every failure is one ``error:`` line on stderr and its exit code; with ``--json`` stdout also
gets one document, ``{"error": {"kind", "message", "exit_code"}}``, with the same exit code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from pinglass.errors import (
    BudgetRefused,
    ConfigError,
    ExitCode,
    NoUsableProvider,
    PinglassError,
    PresetError,
    ProviderError,
    RefsError,
)
from pinglass.secrets import redact

if TYPE_CHECKING:
    from pinglass.cli._output import Output

__all__ = [
    "debug_enabled",
    "error_document",
    "error_kind",
    "exit_on_error",
    "run_with_json_errors",
]

# typer.Exit and typer.Abort subclass RuntimeError: re-raise them before the catch-all.
_PASS_THROUGH = (typer.Exit, typer.Abort, typer.BadParameter)

_KINDS: tuple[tuple[type[PinglassError], str], ...] = (
    (PresetError, "preset"),
    (RefsError, "refs"),
    (ConfigError, "config"),
    (BudgetRefused, "budget_refused"),
    (NoUsableProvider, "no_usable_provider"),
)


def debug_enabled() -> bool:
    """True when ``PINGLASS_DEBUG`` asks for tracebacks of internal errors."""
    return os.environ.get("PINGLASS_DEBUG", "").lower() in {"1", "true", "yes", "on"}


def error_kind(exc: BaseException) -> str:
    """The ``error.kind`` of a ``--json`` failure document (``usage``, ``preset``, …)."""
    if isinstance(exc, ProviderError):
        return exc.kind
    for cls, kind in _KINDS:
        if isinstance(exc, cls):
            return kind
    if isinstance(exc, PinglassError):
        return "usage"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return "internal"


def error_document(kind: str, message: str, exit_code: int) -> dict[str, dict[str, object]]:
    """``{"error": {"kind", "message", "exit_code"}}``: what ``--json`` prints on failure."""
    return {"error": {"kind": kind, "message": message, "exit_code": exit_code}}


@contextmanager
def exit_on_error(output: Output) -> Iterator[None]:
    """Run a command body: a ``PinglassError`` becomes one stderr line and its exit code.

    Any other exception is a bug: one ``internal error`` line (exit 1) unless debugging.
    Ctrl-C exits 130. The error line is printed even with ``--quiet``; with ``--json`` the
    error document goes to stdout as well.
    """
    try:
        yield
    except _PASS_THROUGH:
        raise
    except PinglassError as exc:
        _fail(output, error_kind(exc), redact(str(exc)), int(exc.exit_code))
    except KeyboardInterrupt:
        _fail(output, "interrupted", "interrupted", int(ExitCode.INTERRUPTED))
    except Exception as exc:
        if debug_enabled():
            raise
        message = redact(f"{type(exc).__name__}: {exc}")
        _fail(output, "internal", message, 1, hint=" (set PINGLASS_DEBUG=1 for a traceback)")


def _fail(output: Output, kind: str, message: str, code: int, *, hint: str = "") -> typer.Exit:
    label = "internal error" if kind == "internal" else "error"
    output.err.print(f"[red]{label}:[/] {escape(message)}{hint}", soft_wrap=True)
    if output.json:
        output.document(error_document(kind, message, code))
    raise typer.Exit(code) from None


def run_with_json_errors(app: typer.Typer) -> None:
    """Run ``app`` for a ``--json`` command line: click's own usage errors get a document too.

    An unknown option or a missing value is found by click before any command body runs, so
    ``exit_on_error`` never sees it; here it becomes ``{"error": {"kind": "usage", …}}``.
    """
    import sys

    from typer import _click
    from typer.rich_utils import rich_format_error

    from pinglass.cli._output import emit_json

    try:
        code = app(prog_name="pinglass", standalone_mode=False)
    except _click.exceptions.ClickException as exc:
        rich_format_error(exc)
        emit_json(error_document("usage", exc.format_message(), exc.exit_code))
        sys.exit(exc.exit_code)
    except typer.Abort:
        emit_json(error_document("interrupted", "aborted", int(ExitCode.INTERRUPTED)))
        sys.exit(int(ExitCode.INTERRUPTED))
    sys.exit(code if isinstance(code, int) else 0)
