"""Every document the repo cites is in the repo.

Comments, docstrings, catalog ``price_source`` fields, presets and docs may point a reader to a
Markdown file (``docs/providers.md``, ``README.md``, ``tests/identity/README.md``) or to a
section of one (``§2``). Such a pointer must lead somewhere a reader of the repo can follow: the
file must exist, relative to the repo root or to the citing file's folder, and a ``§`` needs a
file beside it. Web addresses are not checked here (no network in tests). This file is not
scanned: its examples of broken citations are on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "presets", "docs", "README.md")
SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".ini", ".html", ".json", ".yml", ".yaml"}

_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_MD = re.compile(r"(?<![\w/.-])((?:\.{1,2}/|[\w-]+/)*[\w.-]*\w\.md)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer at ``file:line`` to ``target`` that leads nowhere."""

    file: str
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: cites {self.target}, which is not in the repo"


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for name in SCANNED:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
            ]
    return [p for p in found if p.resolve() != Path(__file__).resolve()]


def _exists(root: Path, citing: Path, target: str) -> bool:
    target = target.split("#")[0]
    return (root / target).is_file() or (citing.parent / target).is_file()


def broken_citations(root: Path, files: list[Path] | None = None) -> list[Citation]:
    """Citations of Markdown files under ``root`` that do not exist, and ``§`` with no file."""
    broken: list[Citation] = []
    for path in files if files is not None else _files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        rel = path.relative_to(root).as_posix()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = _URL.sub(" ", raw)
            named = _MD.findall(line)
            broken += [Citation(rel, number, t) for t in named if not _exists(root, path, t)]
            if "§" in line and not named:
                broken.append(Citation(rel, number, "a § section with no document beside it"))
    return broken


def test_every_cited_document_is_in_the_repo() -> None:
    files = _files(ROOT)
    assert len(files) > 100  # the scan sees the real tree
    broken = broken_citations(ROOT, files)
    assert not broken, f"{len(broken)} citations lead nowhere:\n" + "\n".join(map(str, broken))


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# retired (PROVIDERS.md §0.2)", ["PROVIDERS.md"]),
        ('price_source = "PROVIDERS.md §1.6"', ["PROVIDERS.md"]),
        ('"""The contract (DESIGN.md, Contracts)."""', ["DESIGN.md"]),
        ("see docs/gone.md#retries and ../shared/STYLE.md", ["docs/gone.md", "../shared/STYLE.md"]),
        ("see section §3 above", ["a § section with no document beside it"]),
        ("see docs/here.md §2 and README.md", []),
        ("https://github.com/o/r/blob/main/PROVIDERS.md is a web page", []),
        ("a file named notes.mdx or x.md5 is not Markdown", []),
        ("the citing folder's own guide: guide.md", []),
    ],
)
def test_the_checker_finds_what_leads_nowhere(
    tmp_path: Path, line: str, expected: list[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# here\n")
    (tmp_path / "README.md").write_text("# readme\n")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "guide.md").write_text("# guide\n")
    citing = tmp_path / "src" / "pkg" / "mod.py"
    citing.write_text(f"x = 1\n{line}\n", encoding="utf-8")
    found = broken_citations(tmp_path, [citing])
    assert [c.target for c in found] == expected
    assert all(str(c).startswith("src/pkg/mod.py:2: cites ") for c in found)
