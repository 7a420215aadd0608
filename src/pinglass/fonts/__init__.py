"""The font pinglass draws text with: DejaVu Sans, shipped inside the package.

Pillow's built-in font covers ASCII only, so ``café`` or an em dash came out as boxes on the
contact sheet and the mock's captions. DejaVu Sans covers all of Latin (and Greek and
Cyrillic). ``DejaVuSans.ttf`` is copied unchanged from matplotlib's wheel
(``matplotlib/mpl-data/fonts/ttf``, matplotlib 3.11.2); its licence (Bitstream Vera terms plus
public-domain DejaVu changes, which allow redistribution of the unmodified font) is
``LICENSE_DEJAVU`` beside it.

Pillow is imported inside the functions, so importing this module stays light.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

__all__ = ["ELLIPSIS", "FONT_FILE", "fit_lines", "load_font"]


FONT_FILE = "DejaVuSans.ttf"
ELLIPSIS = "…"


@cache
def load_font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at ``size`` pixels (cached: one file read per size)."""
    import io

    from PIL import ImageFont

    data = resources.files(__package__).joinpath(FONT_FILE).read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size=size)


def fit_lines(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """``text`` wrapped at word boundaries into at most ``max_lines`` lines of ``width`` pixels.

    When it does not fit, the last line ends with an ellipsis after a whole word; a single
    word wider than a line is cut by characters, with the ellipsis. Empty text gives ``[]``.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        if font.getlength(word) > width:
            word = _shorten(word, font, width)
        trial = f"{current} {word}" if current else word
        if font.getlength(trial) <= width:
            current = trial
            continue
        lines.append(current)
        current = word
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines
    kept = lines[: max(1, max_lines)]
    words = kept[-1].split()
    while len(words) > 1 and font.getlength(" ".join(words) + ELLIPSIS) > width:
        words.pop()
    last = " ".join(words)
    if font.getlength(last + ELLIPSIS) > width:
        last = _shorten(last, font, width)
    else:
        last += ELLIPSIS
    return [*kept[:-1], last]


def _shorten(word: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``word`` cut by characters to fit ``width`` with a trailing ellipsis."""
    if word.endswith(ELLIPSIS):
        word = word[: -len(ELLIPSIS)]
    while word and font.getlength(word + ELLIPSIS) > width:
        word = word[:-1]
    return word + ELLIPSIS
