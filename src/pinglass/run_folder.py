"""A run's output folder: the one place that names what is in it.

::

    OUT/
      images/NN-<prompt-id>.<ext>   the portraits, written atomically
      images/.index.jsonl           what each image is (hash, prompt, remote id, cost); it
                                    outlives a lost journal
      images/.likeness.jsonl        each image's likeness, by its hash and the references it
                                    was scored against, so a re-run does not score it again
      journal.jsonl                 every create and result, fsynced; a re-run resumes from it
      report.json                   the contract other tools read
      contact-sheet.jpg             every prompt's thumbnail, failures marked (48 per sheet;
      contact-sheet-02.jpg …        further pages as the run needs them)
      thumbs/  index.html           the gallery's files

A :class:`RunFolder` is a value: making one touches no disk. :meth:`RunFolder.check_writable`
proves a run could write there and leaves the disk as it was, so a dry run, a declined run or a
bad flag leaves no empty folder behind; the folder appears with the first file a run writes.
:meth:`RunFolder.set_aside` is ``--fresh``: the earlier run's files are renamed, never deleted
(they were paid for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from pinglass.errors import UsageError

__all__ = ["RunFolder"]

_PROBE = ".pinglass-write-test"
_PAGE = re.compile(r"contact-sheet-\d{2,}\.jpg")
"""Contact sheet pages after the first (a page set aside, ``….before-<stamp>.jpg``, is not one)."""


@dataclass(frozen=True, slots=True)
class RunFolder:
    """The output folder of one run (``--out``) and the names of everything a run writes there."""

    path: Path

    IMAGES: ClassVar[str] = "images"
    IMAGE_INDEX: ClassVar[str] = "images/.index.jsonl"
    """Relative to the folder; it moves with ``images/`` (``--fresh``)."""
    LIKENESS: ClassVar[str] = "images/.likeness.jsonl"
    """The likeness scores already measured (:mod:`pinglass._likeness`); moves with ``images/``."""
    JOURNAL: ClassVar[str] = "journal.jsonl"
    REPORT: ClassVar[str] = "report.json"
    CONTACT_SHEET: ClassVar[str] = "contact-sheet.jpg"
    THUMBS: ClassVar[str] = "thumbs"
    INDEX: ClassVar[str] = "index.html"
    FILTERED: ClassVar[str] = "filtered"
    """Outputs the provider's safety checker flagged: billed, kept here, never the portrait."""
    RUN_FILES: ClassVar[tuple[str, ...]] = (
        IMAGES,
        JOURNAL,
        REPORT,
        CONTACT_SHEET,
        THUMBS,
        INDEX,
        FILTERED,
    )
    """Everything a run writes, in the order :meth:`set_aside` moves it."""

    @classmethod
    def default(cls, preset: str) -> RunFolder:
        """The folder a run of ``preset`` writes to without ``--out``:
        ``pinglass-out/<preset>-<local time>``."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 - local time in a name
        return cls(Path("pinglass-out") / f"{preset}-{stamp}")

    @property
    def images(self) -> Path:
        """``OUT/images``."""
        return self.path / self.IMAGES

    @property
    def journal(self) -> Path:
        """``OUT/journal.jsonl``."""
        return self.path / self.JOURNAL

    @property
    def report(self) -> Path:
        """``OUT/report.json``."""
        return self.path / self.REPORT

    @property
    def contact_sheet(self) -> Path:
        """``OUT/contact-sheet.jpg``."""
        return self.path / self.CONTACT_SHEET

    @property
    def thumbs(self) -> Path:
        """``OUT/thumbs``."""
        return self.path / self.THUMBS

    @property
    def index_html(self) -> Path:
        """``OUT/index.html``."""
        return self.path / self.INDEX

    @classmethod
    def sheet_page(cls, n: int) -> str:
        """The name of contact sheet page ``n`` (from 2; page 1 is :attr:`CONTACT_SHEET`)."""
        return f"contact-sheet-{n:02d}.jpg"

    def sheet_pages(self) -> list[Path]:
        """The contact sheet pages after the first that are here now (``contact-sheet-02.jpg``…)."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.iterdir() if _PAGE.fullmatch(p.name))

    @classmethod
    def image_file(cls, stem: str, ext: str) -> str:
        """An image's path relative to the folder, as the journal and report.json store it."""
        return f"{cls.IMAGES}/{stem}.{ext}"

    def has_run(self) -> bool:
        """True when an earlier run left any of its files here."""
        return any((self.path / name).exists() for name in self.RUN_FILES) or bool(
            self.sheet_pages()
        )

    def check_writable(self) -> None:
        """Raise :class:`UsageError` unless a run could create files here.

        Creates the missing folders and a probe file, then removes all of them again: afterwards
        the disk is as it was.
        """
        out = self.path
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out}: is a file, not a folder")
        missing = [p for p in (out, *out.parents) if not p.exists()]  # deepest first
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / _PROBE
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write there ({exc.strerror})") from None
        finally:
            for folder in missing:
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    continue  # mkdir stopped above it
                except OSError:
                    break  # not empty: someone else writes there now; leave it and its parents

    def set_aside(self, stamp: str | None = None) -> list[Path]:
        """Rename every file of an earlier run to ``<name>.before-<stamp><suffix>``; return them.

        For ``--fresh``, once a run really starts: its images, journal, report, contact sheet
        and gallery all move, so nothing of the earlier run is resumed, reused or shown as this
        run's. ``stamp`` defaults to the local time (``20261123-101500``); a name already taken
        gets ``-2``, ``-3``, …
        """
        if stamp is None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 - local time in a name
        moved = []
        for path in [*(self.path / name for name in self.RUN_FILES), *self.sheet_pages()]:
            if not path.exists():
                continue
            target = self._aside_name(path, stamp)
            path.rename(target)
            moved.append(target)
        return moved

    def _aside_name(self, path: Path, stamp: str) -> Path:
        suffix = "" if path.is_dir() else path.suffix
        stem = path.name if path.is_dir() else path.stem
        target = path.with_name(f"{stem}.before-{stamp}{suffix}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{stem}.before-{stamp}-{n}{suffix}")
        return target
