"""What the gallery page shows, worked out from ``report.json`` and the files on disk.

Everything here is plain data for the template. Text from a preset, a file name or a vendor
error stays text: the template escapes it (autoescape) and the page's script only ever sets
``textContent``. Local paths are scrubbed: the page names files relative to the output folder
and never shows the preset's path, a key or the user's photo folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pinglass.report.gallery._thumbs import Thumb, existing_reference, thumbnails
from pinglass.report.models import IdentitySummary, ImageEntry, Report

__all__ = ["Page", "Tile", "build_page"]

_WEAK = 0.5
"""Likeness under this is flagged, as on the contact sheet."""
# An absolute POSIX path inside free text (not the // of a URL, not a/b inside a word).
_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"<>]+/)+([^\s/'\"<>]*)")


@dataclass(slots=True)
class Tile:
    """One prompt's tile in the grid, and its detail view."""

    index: int
    anchor: str
    prompt_id: str
    status: str
    file: str | None
    href: str | None
    thumb: Thumb | None
    thumb_src: str | None
    likeness: float | None
    weak: bool
    error_kind: str | None
    error_message: str | None
    detail: dict[str, Any]


@dataclass(slots=True)
class Page:
    """The whole page: header facts, tiles in prompt order, and the detail data by anchor."""

    title: str
    run_id: str
    status: str
    facts: list[tuple[str, str]]
    identity: str
    counts: dict[str, int]
    tiles: list[Tile] = field(default_factory=list)
    sheets: list[tuple[str, str]] = field(default_factory=list)
    """The contact sheets on disk, as (file name, link), in page order."""

    @property
    def details(self) -> dict[str, dict[str, Any]]:
        """Anchor (``img-3``) -> what the detail view shows; embedded as JSON in the page."""
        return {t.anchor: t.detail for t in self.tiles}


def build_page(report: Report, out_dir: Path, refs: Mapping[str, Thumb] | None = None) -> Page:
    """The page for ``report``; writes missing thumbnails into ``out_dir/thumbs/``."""
    scrub = _Scrubber(out_dir)
    refs = dict(refs or {})
    entries = [e for i in report.images for e in (i, *i.rerolls)]
    made = [e.file for e in entries if e.file and e.status in ("succeeded", "reused")]
    thumbs = thumbnails(out_dir, made)
    tiles = [
        _tile(entry, out_dir, refs, thumbs, scrub)
        for entry in sorted(report.images, key=lambda e: e.index)
    ]
    t = report.totals
    counts = {
        "succeeded": t.succeeded,
        "reused": t.reused,
        "failed": t.failed,
        "not_run": t.not_run,
        "total": len(report.images),
    }
    return Page(
        title=f"{report.preset.name} · {report.started_at:%Y-%m-%d %H:%M}",
        run_id=report.run_id,
        status=report.status,
        facts=_facts(report),
        identity=scrub(_identity_line(report.identity)),
        counts=counts,
        tiles=tiles,
        sheets=[(name, _src(name) or name) for name in _sheets(report, out_dir)],
    )


def _sheets(report: Report, out_dir: Path) -> list[str]:
    """The report's contact sheets that are files in ``out_dir`` (relative names only)."""
    return [
        name
        for name in report.contact_sheets
        if "/" not in name and not name.startswith(".") and (out_dir / name).is_file()
    ]


def _facts(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    made = [f"{t.succeeded} made", f"{t.reused} reused", f"{t.failed} failed"]
    made.append(f"{t.not_run} not run")
    facts = [
        ("preset", report.preset.name),
        ("provider", " → ".join(report.provider_chain) or "—"),
        ("status", report.status + (" (dry run)" if report.dry_run else "")),
        ("images", " · ".join(made)),
        ("cost", f"{_usd(t.cost_usd)} this run · {_usd(t.folder_cost_usd)} in this folder"),
        ("estimate", _usd(report.budget.estimated_cost_usd)),
        ("wall time", f"{t.wall_s:.1f} s · {t.retries} retries"),
        ("started", f"{report.started_at:%Y-%m-%d %H:%M} UTC · run {report.run_id}"),
    ]
    if t.rerolls:
        facts.insert(5, ("re-rolls", f"{t.rerolls} extra images · {_usd(t.reroll_cost_usd)}"))
    return facts


def _identity_line(identity: IdentitySummary) -> str:
    if not identity.available:
        return f"likeness: skipped ({identity.reason or 'identity extra not installed'})"
    mean, low = identity.mean_likeness, identity.min_likeness
    if mean is None or low is None:
        return f"likeness: no output face could be scored ({identity.reason or 'no face found'})"
    line = f"likeness: mean {mean:.2f}, lowest {low:.2f} over {identity.scored} images"
    if identity.unscored:
        line += f" · {len(identity.unscored)} without a face found"
    if identity.min_likeness_required is not None and identity.below_min:
        line += (
            f" · {len(identity.below_min)} still under --min-likeness "
            f"{identity.min_likeness_required:g}"
        )
    return line


def _tile(
    entry: ImageEntry,
    out_dir: Path,
    refs: Mapping[str, Thumb],
    thumbs: Mapping[str, Thumb | None],
    scrub: _Scrubber,
) -> Tile:
    made = entry.status in ("succeeded", "reused")
    thumb = thumbs.get(entry.file) if made and entry.file else None
    file = entry.file if made and thumb is not None else None
    like = entry.likeness.score if entry.likeness else None
    error_kind = entry.error.kind if entry.error else None
    error_message = scrub(entry.error.message) if entry.error else None
    if entry.status == "not_run" and not entry.error:
        error_kind, error_message = "not_run", "not requested (stopped, over budget or excluded)"
    elif made and thumb is None:
        error_kind, error_message = "missing", "the image file is missing or unreadable"
    return Tile(
        index=entry.index,
        anchor=f"img-{entry.index}",
        prompt_id=entry.prompt_id,
        status=entry.status,
        file=file,
        href=_src(file),
        thumb=thumb,
        thumb_src=_src(thumb.rel if thumb else None),
        likeness=like,
        weak=like is not None and like < _WEAK,
        error_kind=error_kind,
        error_message=error_message,
        detail=_detail(entry, out_dir, refs, thumbs, scrub, file=file, thumb=thumb),
    )


def _detail(
    entry: ImageEntry,
    out_dir: Path,
    refs: Mapping[str, Thumb],
    thumbs: Mapping[str, Thumb | None],
    scrub: _Scrubber,
    *,
    file: str | None,
    thumb: Thumb | None,
) -> dict[str, Any]:
    names = entry.references or ([entry.reference] if entry.reference else [])
    references = []
    for name in names:
        ref = refs.get(name) or existing_reference(out_dir, name)
        references.append({"name": scrub(name), "src": _src(ref.rel if ref else None)})
    return {
        "index": entry.index,
        "id": entry.prompt_id,
        "status": entry.status,
        "prompt": entry.prompt,
        "file": file,
        "src": _src(file),
        "thumb": _src(thumb.rel if thumb else None),
        "references": references,
        "fields": _fields(entry),
        "error": (
            {"kind": entry.error.kind, "message": scrub(entry.error.message)}
            if entry.error
            else None
        ),
        "rerolls": [_reroll(r, thumbs, scrub) for r in entry.rerolls],
    }


def _fields(entry: ImageEntry) -> list[tuple[str, str]]:
    model = "/".join(p for p in (entry.provider, entry.model) if p) or "—"
    fields = [
        ("status", entry.status.replace("_", " ")),
        ("model", model),
        ("seed", "—" if entry.seed is None else str(entry.seed)),
        ("cost", f"{_usd(entry.cost_usd)} ({entry.cost_source})"),
        ("likeness", _likeness(entry)),
        ("attempts", str(entry.attempts)),
        ("re-rolls", str(len(entry.rerolls)) if entry.rerolls else "none"),
    ]
    if entry.latency_s is not None:
        fields.append(("latency", f"{entry.latency_s:.1f} s"))
    return fields


def _reroll(
    entry: ImageEntry, thumbs: Mapping[str, Thumb | None], scrub: _Scrubber
) -> dict[str, Any]:
    made = entry.status in ("succeeded", "reused")
    thumb = thumbs.get(entry.file) if made and entry.file else None
    return {
        "id": entry.prompt_id,
        "status": entry.status,
        "src": _src(entry.file if thumb else None),
        "thumb": _src(thumb.rel if thumb else None),
        "file": entry.file if thumb else None,
        "seed": "—" if entry.seed is None else str(entry.seed),
        "cost": f"{_usd(entry.cost_usd)} ({entry.cost_source})",
        "likeness": _likeness(entry),
        "error": scrub(f"{entry.error.kind}: {entry.error.message}") if entry.error else None,
    }


def _likeness(entry: ImageEntry) -> str:
    if entry.likeness is None:
        return "not scored"
    lk = entry.likeness
    return f"{lk.score:.3f} (distance {lk.distance:.3f})"


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def _src(rel: str | None) -> str | None:
    """A relative path as a URL path: spaces and ``#``/``?`` percent-encoded, ``/`` kept."""
    return None if rel is None else quote(rel)


class _Scrubber:
    """Replaces local paths in free text: the output folder by ``.``, others by ``…/name``."""

    def __init__(self, out_dir: Path) -> None:
        self._prefixes = [
            (str(out_dir.resolve()), "."),
            (str(out_dir.absolute()), "."),
        ]

    def __call__(self, text: str) -> str:
        for prefix, short in self._prefixes:
            if len(prefix) > 1:
                text = text.replace(prefix, short)
        return _ABS_PATH.sub(lambda m: "…/" + m.group(1), text)
