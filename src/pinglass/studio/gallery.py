"""The studio's own ``index.html``: one card per person, linking their gallery page.

Each card shows a thumbnail of one of the person's portraits (from their ``thumbs/``, written
by their own gallery page), their status, counts and cost, or why they were skipped. Like every
pinglass page it is self-contained (inline CSS allowed by hash, no script, relative links), so
the whole studio folder can be zipped and sent. Jinja2 with autoescape: a person's name or a
reason reaches the page as text.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pinglass.errors import UsageError
from pinglass.money import usd
from pinglass.report.gallery._thumbs import Thumb, thumbnail
from pinglass.report.write import read_report
from pinglass.run_folder import RunFolder
from pinglass.runner.files import write_atomic
from pinglass.studio.models import PersonEntry, StudioReport

__all__ = ["STUDIO_GALLERY_NAME", "render_studio_page", "write_studio_gallery"]

STUDIO_GALLERY_NAME = RunFolder.INDEX


@dataclass(frozen=True, slots=True)
class _Card:
    person: str
    status: str
    href: str | None
    thumb: Thumb | None
    thumb_src: str | None
    facts: tuple[tuple[str, str], ...]
    reason: str | None


def write_studio_gallery(report: StudioReport, out: Path) -> Path:
    """Write ``out/index.html`` atomically and return its path."""
    path = out / STUDIO_GALLERY_NAME
    write_atomic(path, render_studio_page(report, out).encode("utf-8"))
    return path


def render_studio_page(report: StudioReport, out: Path) -> str:
    """The studio page as HTML text (it may write a missing thumbnail into a person's folder)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(
        loader=PackageLoader("pinglass.studio", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    assert env.loader is not None  # noqa: S101 - set just above, for mypy
    style = env.loader.get_source(env, "studio.css")[0]
    t = report.totals
    facts = (
        ("status", report.status),
        ("people", f"{t.people} ({t.completed} completed, {t.skipped} skipped)"),
        ("images", _counts(t.counts.succeeded, t.counts.reused, t.counts.failed, t.counts.not_run)),
        ("cost", f"{_money(t.cost_usd)} this run, {_money(t.folder_cost_usd)} in all"),
        ("wall time", f"{t.wall_s:.1f}s"),
    )
    return env.get_template("studio.html.j2").render(
        report=report,
        facts=facts,
        cards=[_card(e, out) for e in report.people],
        style=Markup(style),  # noqa: S704 - our own file, allowed by hash in the page's CSP
        style_hash=base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode(),
    )


def _card(entry: PersonEntry, out: Path) -> _Card:
    c = entry.counts
    facts: list[tuple[str, str]] = []
    if entry.status != "skipped":
        facts = [
            ("images", _counts(c.succeeded, c.reused, c.failed, c.not_run)),
            ("cost", f"{_money(entry.cost_usd)} ({_money(entry.folder_cost_usd)} in folder)"),
            ("preset", entry.preset),
        ]
    thumb = _first_thumb(out / entry.out) if entry.report else None
    has_page = entry.gallery is not None and (out / entry.gallery).is_file()
    return _Card(
        person=entry.person,
        status=entry.status,
        href=_href(entry.gallery) if has_page and entry.gallery else None,
        thumb=thumb,
        thumb_src=_href(f"{entry.out}/{thumb.rel}") if thumb else None,
        facts=tuple(facts),
        reason=entry.reason,
    )


def _first_thumb(person_dir: Path) -> Thumb | None:
    """The thumbnail of the person's first finished portrait, if any."""
    try:
        report = read_report(person_dir)
    except UsageError:
        return None
    for image in report.images:
        if image.status in ("succeeded", "reused") and image.file:
            thumb = thumbnail(person_dir, image.file)
            if thumb is not None:
                return thumb
    return None


def _href(rel: str) -> str:
    return "/".join(quote(part) for part in rel.split("/"))


def _counts(made: int, reused: int, failed: int, not_run: int) -> str:
    text = f"{made} made, {reused} reused"
    if failed:
        text += f", {failed} failed"
    if not_run:
        text += f", {not_run} not run"
    return text


def _money(value: float) -> str:
    return f"${usd(value):.4f}"
