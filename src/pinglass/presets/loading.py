"""Finding and loading presets: stock names, file paths, validation into a :class:`Preset`."""

from __future__ import annotations

import hashlib
from difflib import get_close_matches
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from pinglass.errors import PresetError, UsageError
from pinglass.presets._lines import duplicate_id_errors, first_of, parse_toml, schema_errors
from pinglass.presets.models import Preset, PresetFile

__all__ = [
    "list_stock_presets",
    "load_preset",
    "preset_problems",
    "stock_preset_names",
    "stock_presets_dir",
    "validate_preset",
]

_MAX_FILE_BYTES = 1_000_000


def stock_presets_dir() -> Path:
    """The folder holding the stock preset TOML files.

    An installed wheel carries them as ``pinglass/_presets``; an editable or source checkout
    uses the repository's top-level ``presets/`` folder (``src/pinglass/presets/../../../presets``).
    """
    packaged = resources.files("pinglass") / "_presets"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "presets"


def stock_preset_names() -> list[str]:
    """Names of the stock presets (file stems), sorted; empty if the folder is missing."""
    folder = stock_presets_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def list_stock_presets() -> list[Preset]:
    """Every stock preset, loaded and validated, in name order. Raises PresetError."""
    return [load_preset(name) for name in stock_preset_names()]


def load_preset(name_or_path: str | Path) -> Preset:
    """A preset by stock name (``business``, ``casual``, ``creative``) or by TOML file path.

    A stock name wins over a file of the same name in the current folder; anything with a
    path separator or a ``.toml`` suffix, or an existing file, is read as a path.
    Raises UsageError for an unknown name and PresetError for a bad file.
    """
    names = stock_preset_names()
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in names:
        return validate_preset(stock_presets_dir() / f"{text}.toml")
    path = Path(name_or_path)
    if isinstance(name_or_path, Path) or any(c in text for c in "/\\") or path.exists():
        return validate_preset(path)
    if text.endswith(".toml"):
        return validate_preset(path)
    hint = get_close_matches(text, names, n=1)
    guess = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise UsageError(
        f"unknown preset {text!r}{guess}: stock presets are {', '.join(names) or 'missing'};"
        " or give the path of a .toml file"
    )


def validate_preset(path: str | Path) -> Preset:
    """Read and validate the preset file at ``path``. Raises PresetError (one line, file:line)."""
    preset, problems = _check(Path(path))
    if preset is None:
        raise first_of(problems, Path(path))
    return preset


def preset_problems(path: str | Path) -> list[PresetError]:
    """Every problem with the preset file at ``path``, each with its own line (empty: valid).

    A file that cannot be read or parsed as TOML has exactly one problem.
    """
    try:
        return _check(Path(path))[1]
    except PresetError as exc:
        return [exc]


def _check(path: Path) -> tuple[Preset | None, list[PresetError]]:
    raw = _read(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetError("not UTF-8 text (TOML files must be UTF-8)", file=path) from None
    data = parse_toml(text, path)
    if not data.get("prompts"):
        raise PresetError("no prompts: add a [[prompts]] table with an id and a text", file=path)
    try:
        doc = PresetFile.model_validate(data)
    except ValidationError as exc:
        return None, schema_errors(exc, data, text, path)
    duplicates = duplicate_id_errors(doc.prompts, text, path)
    if duplicates:
        return None, duplicates
    preset = Preset(
        **doc.preset.model_dump(),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        defaults=doc.defaults,
        prompts=doc.prompts,
    )
    return preset, []


def _read(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise PresetError("is a folder, not a preset file", file=path)
        if path.exists() and not path.is_file():  # a FIFO or device: reading it could block
            raise PresetError("not a regular file", file=path)
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise PresetError(f"larger than {_MAX_FILE_BYTES} bytes; not a preset", file=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise PresetError("no such file", file=path) from None
    except OSError as exc:  # permission denied, I/O error, ...
        raise PresetError(f"cannot read: {exc.strerror or exc}", file=path) from None
