"""Atomic writes of ``report.json`` and reading it back."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from pinglass.errors import UsageError
from pinglass.report.models import Report
from pinglass.run_folder import RunFolder
from pinglass.runner.files import write_atomic  # one atomic-write helper for every output
from pinglass.secrets import redact

__all__ = ["REPORT_NAME", "read_report", "write_atomic", "write_report"]

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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no report here (run `pinglass generate` first)") from None
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
