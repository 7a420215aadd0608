"""The contact sheet's layout and text: aspect ratios kept, header room, glyphs, ellipses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pinglass.fonts import ELLIPSIS, fit_lines, load_font
from pinglass.providers.mock import caption_layout
from pinglass.report import build_contact_sheets
from pinglass.report import contact_sheet as cs
from pinglass.report.models import Budget, ImageEntry, PresetInfo, Report, Totals

GREEN, BLUE, RED = (0, 200, 0), (0, 0, 220), (220, 0, 0)


def _striped(path: Path, size: tuple[int, int]) -> None:
    """A red picture with a green left edge and a blue right edge (a tenth of the width each):
    cropping the sides would lose a stripe."""
    w, h = size
    img = Image.new("RGB", size, RED)
    img.paste(GREEN, (0, 0, w // 10, h))
    img.paste(BLUE, (w - w // 10, 0, w, h))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")


def _report(images: list[ImageEntry]) -> Report:
    return Report(
        run_id="r1",
        started_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        status="partial",
        preset=PresetInfo(name="café-shapes", path="p.toml", sha256="0" * 64),
        provider_chain=["replicate/flux-pulid", "fal/flux-pulid"],
        budget=Budget(estimated_cost_usd=0.05),
        images=images,
        totals=Totals(succeeded=len(images) - 1, failed=1, cost_usd=0.0448),
    )


def _close(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 60 for a, b in zip(pixel, colour, strict=False))


def test_wide_and_square_images_are_letterboxed_not_cropped(tmp_path: Path) -> None:
    _striped(tmp_path / "images/01-wide.png", (960, 540))
    _striped(tmp_path / "images/02-square.png", (600, 600))
    images = [
        ImageEntry(
            index=1,
            prompt_id="wide",
            prompt="w",
            status="succeeded",
            file="images/01-wide.png",
            provider="replicate",
            cost_usd=0.0224,
        ),
        ImageEntry(
            index=2,
            prompt_id="square",
            prompt="s",
            status="succeeded",
            file="images/02-square.png",
            provider="replicate",
            cost_usd=0.0224,
        ),
        ImageEntry(
            index=3,
            prompt_id="gone",
            prompt="g",
            status="failed",
            provider=None,
            error={"kind": "transient", "message": "connection refused"},
        ),
    ]
    sheet = Image.open(build_contact_sheets(_report(images), tmp_path)[0]).convert("RGB")
    assert sheet.width >= cs._MIN_WIDTH  # room for the header with few tiles
    top = sheet.height - (cs._THUMB_H + cs._LABEL_H + cs._GAP)  # the one row of tiles
    for column in (0, 1):
        x0 = cs._GAP + column * (cs._THUMB_W + cs._GAP)
        mid = top + cs._THUMB_H // 2
        assert _close(sheet.getpixel((x0 + 2, mid)), GREEN)  # left stripe kept
        assert _close(sheet.getpixel((x0 + cs._THUMB_W - 3, mid)), BLUE)  # right stripe kept
        assert _close(sheet.getpixel((x0 + cs._THUMB_W // 2, top + 2)), cs._CELL)  # letterbox


def _glyph(char: str) -> bytes:
    img = Image.new("L", (40, 40))
    ImageDraw.Draw(img).text((5, 5), char, font=load_font(20), fill=255)
    return img.tobytes()


def test_font_covers_latin_and_the_signs_pinglass_draws() -> None:
    missing = _glyph("\ue000")  # a private-use code point: drawn as the .notdef box
    for char in "é—…→·ñøß€":
        assert _glyph(char) != missing, char


def test_fit_lines_wraps_at_words_and_ends_a_cut_text_with_an_ellipsis() -> None:
    font = load_font(14)
    text = "Wide shot of the person speaking at a conference podium under warm stage lights"
    lines = fit_lines(text, font, 160, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(font.getlength(line) <= 160 for line in lines)
    words = set(text.split())
    assert all(w in words for line in lines for w in line.removesuffix(ELLIPSIS).split())
    assert fit_lines("short", font, 160, 2) == ["short"]
    (cut,) = fit_lines("Pneumonoultramicroscopicsilicovolcanoconiosis", font, 80, 1)
    assert cut.endswith(ELLIPSIS) and font.getlength(cut) <= 80


@pytest.mark.parametrize(
    ("width", "height"),
    [(1344, 768), (1024, 768), (512, 768), (896, 1152), (256, 256), (2048, 2048)],
)
def test_mock_caption_never_reaches_its_footer(width: int, height: int) -> None:
    size, y, line_h, lines, footer_y = caption_layout(width, height)
    assert 1 <= lines <= 3
    assert y + (lines - 1) * line_h + size <= footer_y  # last caption line ends above the footer
