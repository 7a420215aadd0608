"""Who is in a studio run: a folder of folders (one per person), or a CSV manifest.

A *people folder* holds one subfolder of selfies per person and no photo at its top level; the
subfolder's name is the person's name and the name of their output folder. A *manifest* is a
CSV file with a header row and the columns ``person,refs,preset[,provider]``: ``refs`` is a
folder relative to the CSV's own folder (or absolute), an empty ``preset`` or ``provider``
means the command line's. Every error in a manifest is one line naming the file and line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pinglass.errors import UsageError
from pinglass.providers import PROVIDERS
from pinglass.refs.decode import IMAGE_SUFFIXES
from pinglass.regular_file import FileTooLarge, NotRegularFile, read_regular_file

__all__ = ["MANIFEST_COLUMNS", "Person", "is_people_dir", "people_in_dir", "read_manifest"]

MANIFEST_COLUMNS = ("person", "refs", "preset", "provider")
_REQUIRED = MANIFEST_COLUMNS[:3]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_MAX_MANIFEST_BYTES = 10_000_000
"""Far past any studio's manifest (a row is well under 200 bytes)."""


@dataclass(frozen=True, slots=True)
class Person:
    """One person of a studio run: a name (their output subfolder) and their selfies."""

    name: str
    refs_dir: Path
    preset: str | None = None
    """``None``: the command line's ``--preset``."""
    providers: tuple[str, ...] = ()
    """Empty: the command line's ``--provider``."""


def _photos(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


def _subfolders(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def is_people_dir(path: Path) -> bool:
    """True for a folder of folders: no photo at the top level and at least one subfolder
    (hidden ones not counted). A folder of selfies, or anything unreadable, is not one."""
    try:
        return path.is_dir() and not _photos(path) and bool(_subfolders(path))
    except OSError:
        return False


def people_in_dir(path: Path) -> list[Person]:
    """One :class:`Person` per subfolder of ``path``, by name. Raises ``UsageError`` for a name
    that cannot be an output folder's."""
    people = []
    for sub in _subfolders(path):
        _check_name(sub.name, where=str(sub))
        people.append(Person(name=sub.name, refs_dir=sub))
    return people


def _check_name(name: str, *, where: str) -> None:
    if not _NAME.match(name) or name in {".", ".."}:
        raise UsageError(
            f"{where}: person {name!r} cannot name an output folder (use letters, digits, "
            "space, '.', '_' or '-', at most 64, starting with a letter or digit)"
        )


def read_manifest(path: Path) -> list[Person]:
    """The people a manifest CSV lists, in file order.

    Raises ``UsageError`` (exit 2) naming ``path`` and the line for: a missing or unreadable
    file, or one that is not a regular file (a FIFO is refused, never waited on), a header
    without ``person``, ``refs`` and ``preset``, a row with too many or too few fields, an
    empty or unusable person name, a name listed twice, and a ``refs`` folder that is not there.
    """
    reader = csv.reader(_manifest_text(path).splitlines())
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError(
            f"{path}: empty; the first line names the columns: {','.join(_REQUIRED)}[,provider]"
        ) from None
    except csv.Error as exc:
        raise UsageError(f"{path}:1: not CSV ({exc})") from None
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [c for c in header if c not in MANIFEST_COLUMNS]
    if missing or unknown:
        what = f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}"
        raise UsageError(f"{path}:1: {what}; the columns are {','.join(_REQUIRED)}[,provider]")
    base = path.parent
    people: list[Person] = []
    seen: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise UsageError(
                    f"{path}:{line}: {len(fields)} fields, the header has {len(header)} "
                    f"({','.join(header)})"
                )
            row = {c: f.strip() for c, f in zip(header, fields, strict=True)}
            people.append(_person(row, base, where=f"{path}:{line}", seen=seen, line=line))
    except csv.Error as exc:
        raise UsageError(f"{path}:{reader.line_num}: not CSV ({exc})") from None
    if not people:
        raise UsageError(f"{path}: no person listed (one row per person after the header)")
    return people


def _manifest_text(path: Path) -> str:
    """The manifest's text; ``UsageError`` naming ``path`` for anything but a UTF-8 regular
    file (a FIFO or device is refused without waiting on it)."""
    try:
        data = read_regular_file(path, limit=_MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such manifest file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: a folder, not a manifest CSV file") from None
    except NotRegularFile:
        raise UsageError(f"{path}: not a regular file (a manifest is a CSV file)") from None
    except FileTooLarge:
        raise UsageError(
            f"{path}: larger than {_MAX_MANIFEST_BYTES} bytes; not a manifest CSV file"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")  # a BOM, as Excel writes "CSV UTF-8", is not a column
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text (a manifest is a CSV file)") from None


def _person(
    row: dict[str, str], base: Path, *, where: str, seen: dict[str, int], line: int
) -> Person:
    name = row["person"]
    if not name:
        raise UsageError(f"{where}: empty person name")
    _check_name(name, where=where)
    if name.casefold() in seen:
        raise UsageError(
            f"{where}: person {name!r} is listed twice (also line {seen[name.casefold()]})"
        )
    seen[name.casefold()] = line
    if not row["refs"]:
        raise UsageError(f"{where}: empty refs (a folder of {name}'s selfies)")
    refs = Path(row["refs"]).expanduser()
    refs = refs if refs.is_absolute() else base / refs
    if not refs.is_dir():
        raise UsageError(f"{where}: refs {row['refs']!r} is not a folder (looked at {refs})")
    preset = row["preset"] or None
    if preset is not None:
        _check_preset(preset, where=where)
    providers = tuple(p.strip() for p in row.get("provider", "").split(",") if p.strip())
    for item in providers:
        if item.partition("/")[0] not in PROVIDERS:
            raise UsageError(
                f"{where}: unknown provider {item!r}; choose one of: {', '.join(PROVIDERS)}"
            )
    return Person(name=name, refs_dir=refs, preset=preset, providers=providers)


def _check_preset(preset: str, *, where: str) -> None:
    from pinglass.presets import load_preset

    try:
        load_preset(preset)
    except UsageError as exc:
        raise UsageError(f"{where}: preset {preset!r}: {exc.message}") from None
