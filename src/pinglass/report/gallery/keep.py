"""``pinglass report OUT --keep kept.txt``: copy the images a person kept into ``OUT/kept/``.

The list is what the gallery page's "Export kept list" button writes: one image per line, as
the report names it (``images/05-studio-warm-beige.jpg``); a bare file name works too. Blank
lines and ``#`` comments are skipped. A name that is not an image of this run stops the whole
command before anything is copied, with the list file and line in the message.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from pinglass.errors import UsageError
from pinglass.regular_file import FileTooLarge, NotRegularFile, read_regular_file
from pinglass.report.gallery._thumbs import inside
from pinglass.report.models import Report
from pinglass.runner.files import write_atomic

__all__ = ["KEPT_DIR", "keep_images"]

KEPT_DIR = "kept"
_MAX_LIST_BYTES = 10_000_000
"""Far past a list of every image of the largest run (a line is well under 200 bytes)."""


def keep_images(report: Report, out_dir: Path, list_file: Path) -> list[Path]:
    """Copy every image named in ``list_file`` to ``out_dir/kept/``; return the copies.

    Idempotent: ``kept/`` ends up holding exactly the listed images of this run (an earlier copy
    of one of this run's images that is no longer listed is removed; other files are left).
    Raises ``UsageError`` naming ``list_file:line`` for a name that is not an image of this run.
    """
    images = _run_images(report, out_dir)
    wanted = _read_list(list_file, images)
    kept = out_dir / KEPT_DIR
    kept.mkdir(exist_ok=True)
    copies = []
    for rel in wanted:
        source = images[rel]
        target = kept / source.name
        write_atomic(target, source.read_bytes())
        copies.append(target)
    listed = {p.name for p in copies}
    for source in images.values():
        stale = kept / source.name
        if source.name not in listed and stale.is_file():
            stale.unlink()
    return copies


def _run_images(report: Report, out_dir: Path) -> dict[str, Path]:
    """Relative name (as in report.json) -> file, for every image of the run that exists."""
    found: dict[str, Path] = {}
    entries = [e for i in report.images for e in (i, *i.rerolls)]
    for entry in entries:
        if entry.status not in ("succeeded", "reused") or not entry.file:
            continue
        path = inside(out_dir, entry.file)
        if path is not None:
            found[entry.file] = path
    return found


def _read_list(list_file: Path, images: dict[str, Path]) -> list[str]:
    try:
        text = read_regular_file(list_file, limit=_MAX_LIST_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{list_file}: no such file (the list of kept images)") from None
    except NotRegularFile:  # a FIFO would block: refused without reading it
        raise UsageError(f"{list_file}: not a regular file (the list of kept images)") from None
    except FileTooLarge:
        raise UsageError(
            f"{list_file}: larger than {_MAX_LIST_BYTES} bytes; not a list of kept images"
        ) from None
    except OSError as exc:
        raise UsageError(f"{list_file}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{list_file}: not a text list of image names (not UTF-8)") from None
    by_name = {PurePosixPath(rel).name: rel for rel in images}
    wanted: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        name = raw.strip()
        if not name or name.startswith("#"):
            continue
        rel = name if name in images else by_name.get(name)
        if rel is None:
            raise UsageError(
                f"{list_file}:{number}: {name!r} is not an image of this run "
                "(use the names the gallery's Export kept list button writes)"
            )
        if rel not in wanted:
            wanted.append(rel)
    return wanted
