"""Line-precise preset errors: TOML syntax (file:line:col), schema errors, duplicate ids.

A scan of the text rather than a parser: good enough to point a person at the spot.
"""

from __future__ import annotations

import re
import tomllib
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pinglass.errors import PresetError
from pinglass.presets.models import PresetDefaults, PresetFile, PresetMeta, PromptSpec

__all__ = [
    "check_unique_ids",
    "duplicate_id_errors",
    "first_of",
    "parse_toml",
    "schema_error",
    "schema_errors",
]

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """TOML text to a dict; a syntax error names file:line:col."""
    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise PresetError("nested too deeply to be a preset", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line: int | None = getattr(exc, "lineno", None)  # Python 3.14 exposes them
        col: int | None = getattr(exc, "colno", None)
        if match := _TOML_WHERE.search(message):
            line, col = int(match[1]), int(match[2])
            message = message[: match.start()]
        elif message.endswith("(at end of document)"):
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
            message = message.removesuffix("(at end of document)").strip()
        raise PresetError(f"TOML syntax error: {message}", file=path, line=line, col=col) from None


# --- Locating lines for schema errors ---------------------------------------------------------

_TABLE_MODELS: dict[str | None, type[BaseModel]] = {"preset": PresetMeta, "prompts": PromptSpec}
_TABLE_MODELS |= {"defaults": PresetDefaults, None: PresetFile}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _locate(text: str, table: str | None, index: int | None, key: str | None) -> int | None:
    """1-based line of ``key`` inside table ``table`` (the ``index``-th for ``[[table]]``).

    Without ``key`` (or when the key is absent) the table's header line; ``table=None`` is the
    top level. A scan rather than a parser: good enough to point a person at the spot.
    """
    start: int | None = 1 if table is None else None
    seen = -1
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        header = None if in_string else _HEADER.match(line)
        if header and start is not None:
            break
        if header and header[2].strip("\"'") == table and (index is None or header[1] == "[["):
            seen += 1
            start = number if index is None or seen == index else None
        elif start is not None and key and not in_string and _is_key(line, key):
            return number
        if (line.count('"""') + line.count("'''")) % 2:
            in_string = not in_string
    return start


def _is_key(line: str, key: str) -> bool:
    return re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line) is not None


def schema_errors(
    exc: ValidationError, data: dict[str, Any], text: str, path: Path
) -> list[PresetError]:
    """Every validation error, each one line naming the table or prompt, field and line."""
    return [_one_error(err, data, text, path) for err in exc.errors(include_url=False)]


def first_of(errors: list[PresetError], path: Path) -> PresetError:
    """The first problem, saying how many more there are (``presets validate`` lists them)."""
    first = errors[0]
    if len(errors) == 1:
        return first
    more = len(errors) - 1
    noun = "problem" if more == 1 else "problems"
    return PresetError(
        f"{first.detail} (and {more} more {noun}: `pinglass presets validate {path}` lists them)",
        file=path,
        line=first.line,
    )


def schema_error(exc: ValidationError, data: dict[str, Any], text: str, path: Path) -> PresetError:
    """The first validation error, saying how many more there are."""
    return first_of(schema_errors(exc, data, text, path), path)


def _one_error(err: Any, data: dict[str, Any], text: str, path: Path) -> PresetError:
    table, index, fields, where = _place(err["loc"], data)
    field = ".".join(fields)
    model = _TABLE_MODELS[table]
    if err["type"] == "missing":
        what = f"missing {field!r}" if table else f"missing the [{field}] table"
    elif err["type"] == "extra_forbidden":
        hint = get_close_matches(fields[-1], list(model.model_fields), n=1)
        what = f"unknown key {field!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    elif err["type"] == "string_pattern_mismatch":
        what = f"{field}: must be kebab-case, like 'studio-grey' (got {err['input']!r})"
    else:
        got = repr(err["input"])
        got = got if len(got) <= 40 else got[:37] + "..."
        message = err["msg"].removeprefix("Value error, ")
        what = f"{field}: {message} (got {got})" if field else f"{message} (got {got})"
    known = table or (fields and err["type"] != "missing")
    line = _locate(text, table, index, fields[0] if fields else None) if known else None
    return PresetError(f"{where}: {what}", file=path, line=line)


def _place(
    loc: tuple[int | str, ...], data: dict[str, Any]
) -> tuple[str | None, int | None, list[str], str]:
    """(table, prompt index, field path, human 'where') for a pydantic error location."""
    head = loc[0] if loc else None
    if head == "prompts" and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        raw = data["prompts"][index] if isinstance(data.get("prompts"), list) else None
        pid = raw.get("id") if isinstance(raw, dict) else None
        where = f"prompt {index + 1}" + (f" (id {pid!r})" if isinstance(pid, str) else "")
        return "prompts", index, [str(part) for part in loc[2:]], where
    if head in ("preset", "defaults") and len(loc) > 1:
        return str(head), None, [str(part) for part in loc[1:]], f"[{head}]"
    return None, None, [str(part) for part in loc], "top level"


def duplicate_id_errors(prompts: list[PromptSpec], text: str, path: Path) -> list[PresetError]:
    """One error per prompt whose id an earlier prompt already uses, each with its line."""
    first: dict[str, int] = {}
    errors = []
    for index, prompt in enumerate(prompts):
        if prompt.id in first:
            other = first[prompt.id]
            other_line = _locate(text, "prompts", other, "id")
            errors.append(
                PresetError(
                    f"prompt {index + 1}: duplicate id {prompt.id!r}, already used by prompt"
                    f" {other + 1} at line {other_line}",
                    file=path,
                    line=_locate(text, "prompts", index, "id"),
                )
            )
        else:
            first[prompt.id] = index
    return errors


def check_unique_ids(prompts: list[PromptSpec], text: str, path: Path) -> None:
    """Raise the first duplicate-id error, if any."""
    errors = duplicate_id_errors(prompts, text, path)
    if errors:
        raise errors[0]
