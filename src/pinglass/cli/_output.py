"""Consoles and JSON output. Humans read stderr; ``--json`` writes one document to stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from pinglass.secrets import redact

__all__ = ["emit_json", "json_errors", "make_console"]


def make_console(*, quiet: bool = False) -> Console:
    """The human console: always stderr, so stdout stays clean for ``--json``."""
    return Console(stderr=True, quiet=quiet, highlight=False)


def emit_json(document: Any) -> None:
    """Write ``document`` (a pydantic model or plain data) to stdout as one JSON document.

    The text passes through the redaction filter, so a key can never reach stdout.
    """
    if hasattr(document, "model_dump_json"):
        text = document.model_dump_json(indent=2)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


@contextmanager
def json_errors(*, enabled: bool) -> Iterator[None]:
    """With ``--json``, a ``PinglassError`` also answers ``{"error": {kind, message,
    exit_code}}`` on stdout (then propagates to ``exit_on_error`` for the stderr line)."""
    from pinglass.errors import PinglassError

    try:
        yield
    except PinglassError as exc:
        if enabled:
            kind = getattr(exc, "kind", None) or type(exc).__name__
            emit_json(
                {"error": {"kind": kind, "message": str(exc), "exit_code": int(exc.exit_code)}}
            )
        raise
