"""Style presets: a TOML file of portrait prompts plus shared defaults, validated with pydantic.

A preset is ``[preset]`` (name, description, version), ``[defaults]`` (size, negative prompt,
guidance, steps, identity weight, seed policy) and one ``[[prompts]]`` table per image (``id``,
``text`` and optional overrides of any default). The stock presets live in the repository's
top-level ``presets/`` folder, shipped in the wheel as ``pinglass/_presets``.

Every problem with a preset file is a :class:`~pinglass.errors.PresetError` whose one-line
message starts with ``file:line`` (``file:line:col`` for TOML syntax) and names the prompt
(index and id) and the field, so a user can go straight to it.

Seed policies (``[defaults] seed``); ``base`` is the run's ``--seed`` if given, else ``base_seed``
(default 0). Prompt N (1-based) gets: ``"per-prompt"`` base + N - 1 (deterministic, different
per prompt); ``"fixed"`` base for every prompt; ``"random"`` a base drawn afresh per run, then
base + N - 1 (with ``--seed`` it is "per-prompt"; ``base_seed`` is refused, as it would do
nothing). A prompt's own ``seed`` wins over all of these. Seeds wrap into 0..2**31-1.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tomllib
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pinglass.errors import PresetError, UsageError

__all__ = [
    "MAX_PROMPT_CHARS",
    "SEED_MODULUS",
    "Preset",
    "PresetDefaults",
    "PresetMeta",
    "PromptSpec",
    "ResolvedPrompt",
    "SeedPolicy",
    "list_stock_presets",
    "load_preset",
    "stock_preset_names",
    "stock_presets_dir",
    "validate_preset",
    "write_scaffold",
]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PROMPT_CHARS = 2000
"""Longest prompt or negative prompt, in characters after whitespace is collapsed."""
SEED_MODULUS = 2**31
"""Seeds are taken modulo this, so they fit every provider's signed 32-bit seed field."""
_MAX_FILE_BYTES = 1_000_000

SeedPolicy = Literal["random", "fixed", "per-prompt"]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
# Multiples of 16: FLUX-family models need it, and every other catalogued model accepts it.
Pixels = Annotated[int, Field(ge=256, le=2048, multiple_of=16)]
Guidance = Annotated[float, Field(gt=0, le=30)]
Steps = Annotated[int, Field(ge=1, le=150)]
IdentityWeight = Annotated[float, Field(ge=0, le=3)]
Seed = Annotated[int, Field(ge=0, lt=SEED_MODULUS)]

# strict: TOML already gives typed values, so "28" for steps is a mistake worth reporting.
_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)


def _clean_text(value: str | None) -> str | None:
    """Collapse whitespace (authors wrap long prompts) and enforce the length limit."""
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > MAX_PROMPT_CHARS:
        raise ValueError(f"is {len(value)} characters; the limit is {MAX_PROMPT_CHARS}")
    return value


class PresetMeta(BaseModel):
    """The ``[preset]`` table."""

    model_config = _MODEL_CONFIG

    name: Slug
    """Short kebab-case name; used in output folder names."""
    description: str = Field(default="", max_length=300)
    """One line shown by ``pinglass presets list``."""
    version: str = "1"
    """The preset's own version, recorded in report.json."""


class PresetDefaults(BaseModel):
    """The ``[defaults]`` table: values every prompt uses unless it overrides them."""

    model_config = _MODEL_CONFIG

    width: Pixels = 896
    """Output width in pixels (multiple of 16, 256-2048)."""
    height: Pixels = 1152
    """Output height in pixels (multiple of 16, 256-2048)."""
    negative_prompt: str = ""
    """What the image must not show; ignored by models without negative prompts."""
    guidance: Guidance | None = None
    """Classifier-free guidance scale; None leaves the model's default."""
    steps: Steps | None = None
    """Sampler steps; None leaves the model's default."""
    identity_weight: IdentityWeight | None = None
    """How strongly the reference face is kept (0-3); None leaves the model's default."""
    seed: SeedPolicy = "per-prompt"
    """Seed policy: "per-prompt", "fixed" or "random" (module docstring)."""
    base_seed: Seed | None = None
    """Base of "per-prompt" and the seed of "fixed" (default 0); not allowed with "random"."""

    _clean_negative = field_validator("negative_prompt")(_clean_text)

    @field_validator("base_seed")
    @classmethod
    def _base_seed_used(cls, value: int | None, info: Any) -> int | None:
        if value is not None and info.data.get("seed") == "random":
            raise ValueError('is not used with seed = "random"; remove it or use "per-prompt"')
        return value


class PromptSpec(BaseModel):
    """One ``[[prompts]]`` table: an image to make. Unset overrides fall back to defaults."""

    model_config = _MODEL_CONFIG

    id: Slug
    """Unique kebab-case id; names the output file ``NN-<id>.png``."""
    text: str
    """The prompt (whitespace collapsed, at most MAX_PROMPT_CHARS characters)."""
    negative_prompt: str | None = None
    """Replaces the default negative prompt for this image."""
    width: Pixels | None = None
    """Overrides the default width (pixels)."""
    height: Pixels | None = None
    """Overrides the default height (pixels)."""
    guidance: Guidance | None = None
    """Overrides the default guidance."""
    steps: Steps | None = None
    """Overrides the default steps."""
    identity_weight: IdentityWeight | None = None
    """Overrides the default identity weight."""
    seed: Seed | None = None
    """Pins this image's seed, whatever the policy and ``--seed``."""

    _clean_negative = field_validator("negative_prompt")(_clean_text)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        cleaned = _clean_text(value)
        if not cleaned:
            raise ValueError("is empty")
        return cleaned


class _PresetFile(BaseModel):
    """The whole TOML document."""

    model_config = _MODEL_CONFIG

    preset: PresetMeta
    defaults: PresetDefaults = PresetDefaults()
    prompts: list[PromptSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class ResolvedPrompt:
    """A prompt with the defaults merged in and a concrete seed. ``index`` is 1-based."""

    index: int
    id: str
    text: str
    negative_prompt: str
    width: int
    height: int
    guidance: float | None
    steps: int | None
    identity_weight: float | None
    seed: int


class Preset(BaseModel):
    """A validated preset file. Build it with :func:`load_preset` or :func:`validate_preset`."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    """The ``[preset] name``."""
    description: str
    """The ``[preset] description``."""
    version: str
    """The ``[preset] version``."""
    path: Path
    """The file it was read from."""
    sha256: str
    """SHA-256 of the file's bytes (hex), so a report can tell which text was used."""
    defaults: PresetDefaults
    """The ``[defaults]`` table."""
    prompts: list[PromptSpec] = Field(min_length=1)
    """The prompts, in file order."""

    def resolve(self, seed: int | None = None) -> list[ResolvedPrompt]:
        """Every prompt with defaults merged and a seed chosen by the policy.

        ``seed`` is the run's ``--seed``; with it the result is deterministic (so is any
        policy but "random" without it). Raises UsageError for a seed outside 0..2**31-1.
        """
        if seed is not None and not 0 <= seed < SEED_MODULUS:
            raise UsageError(f"--seed must be between 0 and {SEED_MODULUS - 1}, not {seed}")
        d = self.defaults
        if seed is None:
            seed = secrets.randbelow(SEED_MODULUS) if d.seed == "random" else d.base_seed or 0
        resolved = []
        for index, p in enumerate(self.prompts, start=1):
            chosen = seed if d.seed == "fixed" else (seed + index - 1) % SEED_MODULUS
            chosen = chosen if p.seed is None else p.seed
            merged = {f: getattr(d, f) if getattr(p, f) is None else getattr(p, f) for f in _MERGED}
            resolved.append(
                ResolvedPrompt(index=index, id=p.id, text=p.text, seed=chosen, **merged)
            )
        return resolved


_MERGED = ("negative_prompt", "width", "height", "guidance", "steps", "identity_weight")


# --- Finding and loading ----------------------------------------------------------------------


def stock_presets_dir() -> Path:
    """The folder holding the stock preset TOML files.

    An installed wheel carries them as ``pinglass/_presets``; an editable or source checkout
    uses the repository's top-level ``presets/`` folder (``src/pinglass/../../presets``).
    """
    packaged = resources.files("pinglass") / "_presets"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent.parent / "presets"


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
    path = Path(path)
    raw = _read(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetError("not UTF-8 text (TOML files must be UTF-8)", file=path) from None
    data = _parse(text, path)
    if not data.get("prompts"):
        raise PresetError("no prompts: add a [[prompts]] table with an id and a text", file=path)
    try:
        doc = _PresetFile.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, data, text, path) from None
    _check_unique_ids(doc.prompts, text, path)
    return Preset(
        **doc.preset.model_dump(),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        defaults=doc.defaults,
        prompts=doc.prompts,
    )


def _read(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise PresetError("is a folder, not a preset file", file=path)
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise PresetError(f"larger than {_MAX_FILE_BYTES} bytes; not a preset", file=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise PresetError("no such file", file=path) from None
    except OSError as exc:  # permission denied, I/O error, ...
        raise PresetError(f"cannot read: {exc.strerror or exc}", file=path) from None


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse(text: str, path: Path) -> dict[str, Any]:
    """TOML text to a dict; a syntax error names file:line:col."""
    try:
        return tomllib.loads(text)
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
_TABLE_MODELS |= {"defaults": PresetDefaults, None: _PresetFile}
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


def _schema_error(exc: ValidationError, data: dict[str, Any], text: str, path: Path) -> PresetError:
    """The first validation error as one line naming the table or prompt, field and line."""
    errors = exc.errors(include_url=False)
    err = errors[0]
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
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    known = table or (fields and err["type"] != "missing")
    line = _locate(text, table, index, fields[0] if fields else None) if known else None
    return PresetError(f"{where}: {what}{more}", file=path, line=line)


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


def _check_unique_ids(prompts: list[PromptSpec], text: str, path: Path) -> None:
    first: dict[str, int] = {}
    for index, prompt in enumerate(prompts):
        if prompt.id in first:
            other = first[prompt.id]
            other_line = _locate(text, "prompts", other, "id")
            raise PresetError(
                f"prompt {index + 1}: duplicate id {prompt.id!r}, already used by prompt"
                f" {other + 1} at line {other_line}",
                file=path,
                line=_locate(text, "prompts", index, "id"),
            )
        first[prompt.id] = index


# --- Scaffold ---------------------------------------------------------------------------------

# tomli-w writes no comments, so each chunk of keys is dumped by tomli-w (correct quoting) and
# the comments are interleaved here.
_SCAFFOLD = """\
# pinglass preset: {name}
#
# Check it with `pinglass presets validate FILE`; use it with
# `pinglass generate REFS --preset FILE`. Say "the person": who it is comes from the
# reference photos. Describe framing, lens and light, wardrobe, setting and mood.

[preset]
# Short kebab-case name, used in output folder names.
{meta}
[defaults]
# Output size in pixels: multiples of 16 between 256 and 2048.
{size}# What no image should show (models without negative prompts ignore it).
{negative}# Guidance scale, sampler steps and how strongly the reference face is kept (0-3).
# Delete a line to keep the model's own default.
{tuning}# Seed policy: "per-prompt" (base_seed + N - 1 for prompt N), "fixed" (base_seed for
# every prompt) or "random" (new each run; no base_seed). `--seed` replaces base_seed.
{seed}
# One [[prompts]] table per image. The id names the output file (kebab-case, unique).
# Any default can be overridden for one prompt, e.g. `steps = 40` or `seed = 42`.
{prompts}"""

_SCAFFOLD_PROMPTS = {
    "studio-headshot": "Head-and-shoulders studio portrait of the person, 85mm lens at f/4, soft "
    "key light from a large softbox, seamless mid-grey backdrop, navy blazer, relaxed smile.",
    "window-light": "Portrait of the person beside a tall window, soft daylight from the side, "
    "50mm lens at f/2, cream knit sweater, calm thoughtful expression, warm colours.",
}


def scaffold_text(name: str) -> str:
    """The commented TOML text of a new preset called ``name`` (it loads with load_preset)."""
    dump = tomli_w.dumps
    return _SCAFFOLD.format(
        name=name,
        meta=dump({"name": name, "description": "My own portrait set.", "version": "1.0.0"}),
        size=dump({"width": 896, "height": 1152}),
        negative=dump({"negative_prompt": "blurry, low resolution, distorted face, text"}),
        tuning=dump({"guidance": 3.5, "steps": 28, "identity_weight": 1.0}),
        seed=dump({"seed": "per-prompt", "base_seed": 1000}),
        prompts=dump({"prompts": [{"id": k, "text": v} for k, v in _SCAFFOLD_PROMPTS.items()]}),
    )


def write_scaffold(name: str, path: Path) -> Path:
    """Write a commented starter preset called ``name`` to ``path`` and return ``path``.

    Never overwrites: raises UsageError if ``path`` exists, its folder is missing, or ``name``
    is not kebab-case.
    """
    if not re.fullmatch(SLUG_PATTERN, name) or len(name) > 64:
        raise UsageError(f"preset name {name!r} must be kebab-case, like 'team-headshots'")
    text = scaffold_text(name)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"{path}: already exists; choose another --out or remove it") from None
    except FileNotFoundError:
        raise UsageError(f"{path.parent}: no such folder") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path
