"""The two output streams of every command, ``--json`` documents and ``--quiet``.

Results (tables, the one-line summary) go to stdout so they can be piped; progress, prompts,
warnings and errors go to stderr. With ``--json`` stdout holds exactly one JSON document (the
result, or ``{"error": {...}}``) and the human result moves to stderr. With ``--quiet`` a
command prints only errors and its one-line result.

A closed pipe (``pinglass generate … | head -3``) must not stop a run: both streams are wrapped
so that a ``BrokenPipeError`` (EPIPE) silences that stream for good instead of raising. SIGPIPE
keeps Python's default (ignored), so a write to a closed pipe is an EPIPE error, not a kill.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from dataclasses import dataclass, field
from typing import IO, Any

from rich.console import Console, RenderableType

from pinglass.secrets import redact

__all__ = ["Output", "SafeStream", "emit_json", "make_console", "make_output"]


class SafeStream:
    """A text stream that goes quiet, instead of raising, once its reader has gone away.

    After the first EPIPE the file descriptor is pointed at ``/dev/null`` (the recipe in the
    Python docs, "Note on SIGPIPE"), so the interpreter's own flush at exit is silent too.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.closed_by_reader = False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                self._stream.write(text)
            except OSError as exc:
                self._gone(exc)
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self._stream.flush()
            except OSError as exc:
                self._gone(exc)

    def _gone(self, exc: OSError) -> None:
        if not isinstance(exc, BrokenPipeError) and exc.errno not in (errno.EPIPE, errno.EINVAL):
            raise exc
        self.closed_by_reader = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_STREAMS: dict[int, SafeStream] = {}


def _safe(stream: IO[str]) -> SafeStream:
    """One wrapper per underlying stream, so every console shares the 'reader gone' state."""
    if isinstance(stream, SafeStream):
        return stream
    wrapped = _STREAMS.get(id(stream))
    if wrapped is None or wrapped._stream is not stream:
        wrapped = _STREAMS[id(stream)] = SafeStream(stream)
    return wrapped


def make_console(*, stderr: bool = True, quiet: bool = False) -> Console:
    """A rich console on stderr (default) or stdout that survives a closed pipe."""
    stream = _safe(sys.stderr if stderr else sys.stdout)
    return Console(file=stream, quiet=quiet, highlight=False)  # type: ignore[arg-type]


@dataclass(slots=True)
class Output:
    """A command's streams: ``out`` for results, ``err`` for everything else.

    ``--quiet``: ``result()`` tables and ``info()``/``warn()`` lines are dropped; ``line()`` (the
    one-line result) and ``error()`` always print. ``--json``: results go to stderr, so stdout
    holds only the JSON document.
    """

    json: bool = False
    quiet: bool = False
    out: Console = field(init=False)
    err: Console = field(init=False)

    def __post_init__(self) -> None:
        self.out = make_console(stderr=self.json)
        self.err = make_console()

    def result(self, *objects: RenderableType, **kwargs: Any) -> None:
        """A table or other full result (stdout; skipped with --quiet)."""
        if not self.quiet:
            self.out.print(*objects, **kwargs)

    def line(self, text: str) -> None:
        """The command's one-line result (stdout): printed even with --quiet."""
        self.out.print(text, soft_wrap=True)

    def info(self, text: RenderableType, **kwargs: Any) -> None:
        """Progress or a note for the person watching (stderr; skipped with --quiet)."""
        if not self.quiet:
            self.err.print(text, **kwargs)

    def warn(self, text: str) -> None:
        """A warning (stderr; skipped with --quiet)."""
        if not self.quiet:
            self.err.print(f"[yellow]warning:[/] {text}", soft_wrap=True)

    def error(self, text: str) -> None:
        """An error line (stderr; always printed)."""
        self.err.print(f"[red]error:[/] {text}", soft_wrap=True)

    def document(self, document: Any) -> None:
        """The ``--json`` document (stdout)."""
        emit_json(document)


def make_output(*, json_output: bool = False, quiet: bool = False) -> Output:
    """The streams for one command run."""
    return Output(json=json_output, quiet=quiet)


def emit_json(document: Any) -> None:
    """Write ``document`` (a pydantic model or plain data) to stdout as one JSON document.

    The text passes through the redaction filter, so a key can never reach stdout.
    """
    if hasattr(document, "model_dump_json"):
        text = document.model_dump_json(indent=2)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    stream = _safe(sys.stdout)
    stream.write(redact(text) + "\n")
    stream.flush()
