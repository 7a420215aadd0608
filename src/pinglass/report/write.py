"""Atomic writes of ``report.json`` (at once, or throttled while a run goes); reading it back."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from pinglass.errors import UsageError
from pinglass.regular_file import NotRegularFile, read_regular_file
from pinglass.report.models import ImageEntry, Report
from pinglass.run_folder import RunFolder
from pinglass.runner.files import write_atomic  # one atomic-write helper for every output
from pinglass.runner.results import ImageResult
from pinglass.secrets import redact

__all__ = [
    "REPORT_NAME",
    "ReportWriter",
    "WriteTrouble",
    "read_report",
    "write_atomic",
    "write_report",
]

REPORT_NAME = RunFolder.REPORT


def write_report(report: Report, out_dir: Path) -> Path:
    """Write ``out_dir/report.json`` atomically; the text passes the redaction filter."""
    path = out_dir / REPORT_NAME
    write_atomic(path, (redact(report.model_dump_json(indent=2)) + "\n").encode("utf-8"))
    return path


def read_report(out_dir: Path) -> Report:
    """Read ``out_dir/report.json``; a missing or broken file is a one-line ``UsageError``."""
    path = out_dir / REPORT_NAME if out_dir.is_dir() else out_dir
    try:
        text = read_regular_file(path).decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no report here (run `pinglass generate` first)") from None
    except NotRegularFile:  # a FIFO would block: refused without reading it
        raise UsageError(f"{path}: not a regular file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a pinglass report (not UTF-8 text)") from None
    try:
        return Report.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "document"
        raise UsageError(f"{path}: not a pinglass report ({where}: {err['msg']})") from None


class ReportWriter:
    """``report.json`` as a view of a running run: rewritten at most every ``interval`` seconds.

    :meth:`changed` says the run moved on. The report is built (``build``) and written at once
    when the last write is at least ``interval`` seconds old, else once when it is, by a timer
    on the running event loop; :meth:`flush` writes now if anything changed since the last
    write, and :meth:`write` writes a given (final) report. The journal, not this file, is what
    a re-run resumes from, so a report up to ``interval`` seconds stale after a crash loses
    nothing.

    Rows are rendered to JSON text and redacted once each: a row that is the same object as at
    the last write (the builder keeps rows that did not change) reuses its text, so a write
    costs the changed rows plus the document's small head, not the whole run again.
    """

    def __init__(
        self,
        out_dir: Path,
        build: Callable[[], Report],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[OSError], None] | None = None,
    ) -> None:
        self.path = out_dir / REPORT_NAME
        self._on_error = on_error
        self._build = build
        self._interval = interval
        self._clock = clock
        self._dirty = False
        self._last: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._rows: list[tuple[ImageEntry, str]] = []
        self.writes = 0
        """How many times the file was written (for tests and benchmarks)."""

    def changed(self) -> None:
        """The run moved on: write now, or once the interval since the last write is over."""
        self._dirty = True
        if self._timer is not None:
            return
        wait = 0.0 if self._last is None else self._last + self._interval - self._clock()
        if wait <= 0:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a synchronous caller): write now
            self.flush()
            return
        self._timer = loop.call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        """Write the report now if the run changed since the last write.

        With ``on_error``, a write the disk refuses goes to it instead of raising (it is tried
        again at the next change): a rewrite while a run goes never ends the run by itself.
        """
        self.close()
        if not self._dirty:
            return
        try:
            self.write(self._build())
        except OSError as exc:
            self._dirty = True
            if self._on_error is None:
                raise
            self._on_error(exc)

    def write(self, report: Report) -> Path:
        """Write ``report`` now (atomically, redacted) and return the path."""
        self._dirty = False
        self._last = self._clock()
        self.writes += 1
        write_atomic(self.path, self.render(report).encode("utf-8"))
        return self.path

    def close(self) -> None:
        """Cancel a pending timed write (idempotent); :meth:`flush` or :meth:`write` still work."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def render(self, report: Report) -> str:
        """``report`` as the redacted text :func:`write_report` would write, from cached rows."""
        texts = [self._row_text(i, row) for i, row in enumerate(report.images)]
        del self._rows[len(report.images) :]
        head = redact(report.model_copy(update={"images": []}).model_dump_json(indent=2))
        if not texts:
            return head + "\n"
        marker = '\n  "images": []'
        at = head.index(marker)
        body = '\n  "images": [\n' + ",\n".join(texts) + "\n  ]"
        return head[:at] + body + head[at + len(marker) :] + "\n"

    def _row_text(self, i: int, row: ImageEntry) -> str:
        if i < len(self._rows) and self._rows[i][0] is row:
            return self._rows[i][1]
        text = redact(textwrap.indent(row.model_dump_json(indent=2), "    "))
        if i < len(self._rows):
            self._rows[i] = (row, text)
        else:
            self._rows.append((row, text))
        return text


class WriteTrouble:
    """The first output of a run that the disk refused (full, read-only): the run stops on it.

    ``halt`` is called on the first trouble (the session's first-Ctrl-C stop: nothing new is
    sent, what is in flight finishes). :meth:`error` is the one line the run then ends with.
    """

    def __init__(self, out_dir: Path, halt: Callable[[], None]) -> None:
        self.out_dir = out_dir
        self._halt = halt
        self.message: str | None = None

    def add(self, message: str) -> None:
        """Record a write that failed (the first one is kept) and stop the run."""
        if self.message is None:
            self.message = message
            self._halt()

    def report_failed(self, exc: OSError) -> None:
        """``report.json`` could not be rewritten (a :class:`ReportWriter` ``on_error``)."""
        self.add(f"could not write {REPORT_NAME}: {exc.strerror or exc}")

    def check(self, result: ImageResult) -> None:
        """Note an image that failed because its file or journal line could not be written."""
        if result.error is not None and result.error.kind == "io":
            self.add(result.error.message)

    def end(self, last_report: Callable[[], object]) -> None:
        """After a refused write, write ``last_report`` as far as the disk takes it and raise
        :meth:`error`; without one, do nothing."""
        if self.message is None:
            return
        with contextlib.suppress(OSError):
            last_report()
        raise self.error()

    def error(self) -> UsageError:
        """The run's end: one line naming the folder, what failed, and how to carry on."""
        return UsageError(
            f"--out {self.out_dir}: {self.message}; the run stopped. Free some space and run the "
            "same command again: images already paid for are collected, not paid again"
        )
