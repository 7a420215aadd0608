"""JSON-lines files pinglass appends to: one JSON object a line, read back whole.

A crash can tear the last line mid-write, and a user can edit any of them, so a reader keeps
every line that is a JSON object and skips the rest: torn or empty lines, other JSON values, and
lines nested too deeply for the parser.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pinglass.regular_file import read_regular_file

__all__ = ["append_object", "objects", "read_objects"]


def objects(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` that is a JSON object, in order."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            raw = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(raw, dict):
            found.append(raw)
    return found


def read_objects(path: Path) -> list[dict[str, Any]]:
    """:func:`objects` of the file at ``path``, for a file that is a second record or a cache.

    Reads as empty when the file is missing or unreadable, or when a FIFO or device is in its
    place (never waited on). Callers for whom a missing line means lost money read with
    :func:`~pinglass.regular_file.read_regular_file` and :func:`objects` instead, and say why
    the file could not be read.
    """
    try:
        text = read_regular_file(path).decode("utf-8", errors="replace")
    except OSError:
        return []
    return objects(text)


def append_object(path: Path, value: Mapping[str, Any], *, durable: bool = False) -> None:
    """Append ``value`` to ``path`` as one compact JSON line (the file is made, owner-only,
    when missing); with ``durable``, fsynced before it returns.

    One ``write`` of a whole line to a file opened for appending: a crash leaves at most that
    line torn, which :func:`objects` skips. Raises ``OSError`` when it cannot be written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(value, separators=(",", ":")) + "\n").encode())
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
