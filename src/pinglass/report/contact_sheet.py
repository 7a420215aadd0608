"""The contact sheet: every prompt's thumbnail with its id, provider, cost and likeness.

Failed and not-run images get a marked tile with the reason, so the sheet shows at a glance
what was paid for and what is missing.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.report.models import ImageEntry, Report
from pinglass.report.write import write_atomic
from pinglass.run_folder import RunFolder

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

__all__ = ["SHEET_NAME", "build_contact_sheet"]

SHEET_NAME = RunFolder.CONTACT_SHEET
_THUMB_W, _THUMB_H = 240, 300
_LABEL_H = 58
_GAP = 14
_HEADER_H = 64
_BG = (24, 25, 29)
_FG = (236, 236, 240)
_DIM = (150, 152, 160)
_BAD = (226, 74, 74)
_WARN = (232, 170, 60)


def build_contact_sheet(report: Report, out_dir: Path, *, columns: int = 6) -> Path:
    """Draw ``out_dir/contact-sheet.jpg`` from ``report`` and the images on disk; return it."""
    from PIL import Image, ImageDraw

    images = sorted(report.images, key=lambda e: e.index)
    columns = max(1, min(columns, len(images) or 1))
    rows = max(1, math.ceil(len(images) / columns))
    cell_h = _THUMB_H + _LABEL_H
    width = _GAP + columns * (_THUMB_W + _GAP)
    height = _HEADER_H + _GAP + rows * (cell_h + _GAP)
    sheet = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(sheet)
    _header(draw, report, width)
    for i, entry in enumerate(images):
        x = _GAP + (i % columns) * (_THUMB_W + _GAP)
        y = _HEADER_H + _GAP + (i // columns) * (cell_h + _GAP)
        sheet.paste(_tile(entry, out_dir), (x, y))
        _label(draw, entry, x, y + _THUMB_H + 4)
    buf = io.BytesIO()
    sheet.save(buf, format="JPEG", quality=88, optimize=True)
    path = out_dir / SHEET_NAME
    write_atomic(path, buf.getvalue())
    return path


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _header(draw: ImageDraw.ImageDraw, report: Report, width: int) -> None:
    t = report.totals
    title = f"pinglass · {report.preset.name} · {' → '.join(report.provider_chain)}"
    parts = [f"{t.succeeded} made", f"{t.reused} reused"]
    if t.failed:
        parts.append(f"{t.failed} failed")
    if t.not_run:
        parts.append(f"{t.not_run} not run")
    parts.append(f"${t.cost_usd:.4f} this run")
    if report.identity.mean_likeness is not None:
        parts.append(f"likeness {report.identity.mean_likeness:.2f} mean")
    sub = f"{report.status} · " + " · ".join(parts) + f" · {report.started_at:%Y-%m-%d %H:%M}"
    draw.text((_GAP, 10), title, fill=_FG, font=_font(22))
    draw.text((_GAP, 38), sub, fill=_DIM, font=_font(15))
    draw.line((_GAP, _HEADER_H - 4, width - _GAP, _HEADER_H - 4), fill=(60, 62, 70), width=1)


def _tile(entry: ImageEntry, out_dir: Path) -> Image.Image:
    from PIL import Image, ImageDraw, ImageOps

    if entry.file and entry.status in ("succeeded", "reused"):
        try:
            with Image.open(out_dir / entry.file) as img:
                return ImageOps.fit(img.convert("RGB"), (_THUMB_W, _THUMB_H))
        except (OSError, ValueError):
            pass  # falls through to a marked tile: the file is gone or broken
    tile = Image.new("RGB", (_THUMB_W, _THUMB_H), (44, 45, 52))
    draw = ImageDraw.Draw(tile)
    colour = _BAD if entry.status == "failed" else _WARN
    draw.rectangle((1, 1, _THUMB_W - 2, _THUMB_H - 2), outline=colour, width=3)
    if entry.status == "failed":
        m = 70
        draw.line((m, m, _THUMB_W - m, _THUMB_H - m - 60), fill=colour, width=6)
        draw.line((_THUMB_W - m, m, m, _THUMB_H - m - 60), fill=colour, width=6)
    kind = entry.error.kind if entry.error else entry.status.replace("_", " ")
    draw.text((14, _THUMB_H - 96), kind.upper(), fill=colour, font=_font(18))
    message = entry.error.message if entry.error else "not requested"
    for n, line in enumerate(_wrap(message, 30)[:3]):
        draw.text((14, _THUMB_H - 70 + n * 18), line, fill=_FG, font=_font(13))
    return tile


def _label(draw: ImageDraw.ImageDraw, entry: ImageEntry, x: int, y: int) -> None:
    name = f"{entry.index:02d} {entry.prompt_id}"
    draw.text((x, y), name[:30], fill=_FG, font=_font(15))
    who = entry.provider or "—"
    cost = f"${entry.cost_usd:.4f}" if entry.status != "reused" else "reused"
    line2 = f"{who} · {cost}"
    if entry.status == "failed":
        line2 += " · FAILED"
    draw.text((x, y + 20), line2, fill=_BAD if entry.status == "failed" else _DIM, font=_font(13))
    if entry.likeness is not None:
        score = entry.likeness.score
        colour = _FG if score >= 0.5 else _WARN
        draw.text((x, y + 37), f"likeness {score:.2f}", fill=colour, font=_font(13))


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width) or [""]
