"""The contact sheet: every prompt's thumbnail with its id, provider, cost and likeness.

Failed and not-run images get a marked tile with the reason, so the sheet shows at a glance
what was paid for and what is missing. Each image keeps its aspect ratio inside its cell (a
wide or square image is letterboxed, never cropped); text is drawn in DejaVu Sans (shipped in
:mod:`pinglass.fonts`) and cut only at word boundaries, with an ellipsis. A run of any size is
paged: at most :data:`TILES_PER_SHEET` tiles per file (``contact-sheet.jpg``, then
``contact-sheet-02.jpg``, …; :func:`sheet_names`), so each file stays about 1 MB and drawing one
never holds the whole run's pixels in memory.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.fonts import fit_lines, load_font
from pinglass.report.models import ImageEntry, Report
from pinglass.report.write import write_atomic
from pinglass.run_folder import RunFolder

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

__all__ = ["SHEET_NAME", "TILES_PER_SHEET", "build_contact_sheets", "sheet_names"]

SHEET_NAME = RunFolder.CONTACT_SHEET
TILES_PER_SHEET = 48
"""Most tiles on one sheet: 8 rows of 6, about 1 MB as a JPEG."""
_THUMB_W, _THUMB_H = 240, 300
_LABEL_H = 62
_GAP = 14
_MIN_WIDTH = 3 * (_THUMB_W + _GAP) + _GAP
"""A sheet of one or two tiles is as wide as three, so the header has room."""
_TITLE, _SUB, _LINE = 22, 15, 19
_BG = (24, 25, 29)
_CELL = (34, 35, 41)
_FG = (236, 236, 240)
_DIM = (150, 152, 160)
_BAD = (226, 74, 74)
_WARN = (232, 170, 60)
_NONE = "—"


def sheet_names(images: int, *, per_sheet: int = TILES_PER_SHEET) -> list[str]:
    """The sheet files a report of ``images`` rows draws, in order (at least one)."""
    pages = max(1, math.ceil(images / per_sheet))
    return [SHEET_NAME if n == 1 else RunFolder.sheet_page(n) for n in range(1, pages + 1)]


def build_contact_sheets(
    report: Report, out_dir: Path, *, columns: int = 6, per_sheet: int = TILES_PER_SHEET
) -> list[Path]:
    """Draw the run's contact sheets into ``out_dir`` from ``report`` and the images on disk.

    One page per ``per_sheet`` images, named as :func:`sheet_names` says; pages an earlier,
    larger run left behind are removed (they are drawings, not paid work). Returns the paths.
    """
    images = sorted(report.images, key=lambda e: e.index)
    names = sheet_names(len(images), per_sheet=per_sheet)
    paths: list[Path] = []
    for n, name in enumerate(names):
        page = images[n * per_sheet : (n + 1) * per_sheet]
        label = f"sheet {n + 1} of {len(names)}" if len(names) > 1 else ""
        path = out_dir / name
        write_atomic(path, _draw_sheet(report, page, out_dir, columns, label))
        paths.append(path)
    for stale in RunFolder(out_dir).sheet_pages():
        if stale.name not in names:
            stale.unlink(missing_ok=True)
    return paths


def _draw_sheet(
    report: Report, images: list[ImageEntry], out_dir: Path, columns: int, label: str
) -> bytes:
    """One page of tiles as JPEG bytes; the header names the run (and the page)."""
    from PIL import Image, ImageDraw

    columns = max(1, min(columns, len(images) or 1))
    rows = max(1, math.ceil(len(images) / columns))
    cell_h = _THUMB_H + _LABEL_H
    width = max(_MIN_WIDTH, _GAP + columns * (_THUMB_W + _GAP))
    header = _header_lines(report, width - 2 * _GAP, page=label)
    header_h = 10 + _TITLE + 8 + len(header) * _LINE + 12
    height = header_h + _GAP + rows * (cell_h + _GAP)
    sheet = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(sheet)
    _draw_header(draw, report, header, width, header_h)
    for i, entry in enumerate(images):
        x = _GAP + (i % columns) * (_THUMB_W + _GAP)
        y = header_h + _GAP + (i // columns) * (cell_h + _GAP)
        sheet.paste(_tile(entry, out_dir), (x, y))
        _label(draw, entry, x, y + _THUMB_H + 4)
    buf = io.BytesIO()
    sheet.save(buf, format="JPEG", quality=88, optimize=True)
    return buf.getvalue()


def _header_lines(report: Report, width: int, *, page: str = "") -> list[str]:
    """The summary under the title (``page`` first when given), wrapped between its `` · ``
    parts to ``width`` pixels."""
    t = report.totals
    parts = [report.status, f"{t.succeeded} made", f"{t.reused} reused"]
    if page:
        parts.insert(0, page)
    if t.failed:
        parts.append(f"{t.failed} failed")
    if t.not_run:
        parts.append(f"{t.not_run} not run")
    parts.append(f"${t.cost_usd:.4f} this run")
    if report.identity.mean_likeness is not None:
        parts.append(f"likeness {report.identity.mean_likeness:.2f} mean")
    parts.append(f"{report.started_at:%Y-%m-%d %H:%M}")
    font = load_font(_SUB)
    lines: list[str] = []
    for part in parts:
        if lines and font.getlength(f"{lines[-1]} · {part}") <= width:
            lines[-1] = f"{lines[-1]} · {part}"
        else:
            lines.extend(fit_lines(part, font, width, 2))
    return lines


def _draw_header(
    draw: ImageDraw.ImageDraw, report: Report, lines: list[str], width: int, height: int
) -> None:
    title = f"pinglass · {report.preset.name} · {' → '.join(report.provider_chain)}"
    title_font = load_font(_TITLE)
    for n, text in enumerate(fit_lines(title, title_font, width - 2 * _GAP, 1)):
        draw.text((_GAP, 10 + n * _TITLE), text, fill=_FG, font=title_font)
    for n, text in enumerate(lines):
        draw.text((_GAP, 10 + _TITLE + 8 + n * _LINE), text, fill=_DIM, font=load_font(_SUB))
    draw.line((_GAP, height - 4, width - _GAP, height - 4), fill=(60, 62, 70), width=1)


def _tile(entry: ImageEntry, out_dir: Path) -> Image.Image:
    from PIL import Image, ImageOps

    if entry.file and entry.status in ("succeeded", "reused"):
        try:
            with Image.open(out_dir / entry.file) as img:
                # contain, not fit: a wide or square image is letterboxed, never cropped.
                thumb = ImageOps.contain(img.convert("RGB"), (_THUMB_W, _THUMB_H))
        except (OSError, ValueError):
            pass  # falls through to a marked tile: the file is gone or broken
        else:
            tile = Image.new("RGB", (_THUMB_W, _THUMB_H), _CELL)
            tile.paste(thumb, ((_THUMB_W - thumb.width) // 2, (_THUMB_H - thumb.height) // 2))
            return tile
    return _missing_tile(entry)


def _missing_tile(entry: ImageEntry) -> Image.Image:
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (_THUMB_W, _THUMB_H), (44, 45, 52))
    draw = ImageDraw.Draw(tile)
    colour = _BAD if entry.status == "failed" else _WARN
    draw.rectangle((1, 1, _THUMB_W - 2, _THUMB_H - 2), outline=colour, width=3)
    if entry.status == "failed":
        m = 70
        draw.line((m, m, _THUMB_W - m, _THUMB_H - m - 60), fill=colour, width=6)
        draw.line((_THUMB_W - m, m, m, _THUMB_H - m - 60), fill=colour, width=6)
    kind = entry.error.kind if entry.error else entry.status.replace("_", " ")
    kind_font = load_font(17)
    for line in fit_lines(kind.upper(), kind_font, _THUMB_W - 28, 1):
        draw.text((14, _THUMB_H - 100), line, fill=colour, font=kind_font)
    message = entry.error.message if entry.error else "not requested"
    font = load_font(13)
    for n, line in enumerate(fit_lines(message, font, _THUMB_W - 28, 4)):
        draw.text((14, _THUMB_H - 76 + n * 17), line, fill=_FG, font=font)
    return tile


def _label(draw: ImageDraw.ImageDraw, entry: ImageEntry, x: int, y: int) -> None:
    name_font, small = load_font(15), load_font(13)
    name = f"{entry.index:02d} {entry.prompt_id}"
    for line in fit_lines(name, name_font, _THUMB_W, 1):
        draw.text((x, y), line, fill=_FG, font=name_font)
    cost = f"${entry.cost_usd:.4f}" if entry.status != "reused" else "reused"
    line2 = f"{entry.provider or _NONE} · {cost}"
    if entry.status == "failed":
        line2 += " · FAILED"
    colour = _BAD if entry.status == "failed" else _DIM
    for line in fit_lines(line2, small, _THUMB_W, 1):
        draw.text((x, y + 21), line, fill=colour, font=small)
    if entry.likeness is not None:
        score = entry.likeness.score
        colour = _FG if score >= 0.5 else _WARN
        draw.text((x, y + 39), f"likeness {score:.2f}", fill=colour, font=small)
