"""What leaves the machine: a face-centred head-and-shoulders crop, resized, with no metadata.

The crop is 2.4 face widths wide and 3.2 tall (a 3:4 portrait), starting 0.7 face widths above
the face box so the hair is in, and shifted (not shrunk) to stay inside the photo where it can.
JPEGs are opened with Pillow's ``draft`` so a 12 MP photo whose crop will be shrunk anyway is
decoded at 1/2, 1/4 or 1/8 size. The result is re-encoded from bare pixels: no EXIF (so no GPS,
camera serial or capture time), no ICC profile, no comments.

Note: this module returns :class:`pinglass.providers.base.Reference` (the provider contract's
value), imported inside :func:`prepare` so that importing ``pinglass.refs`` loads no provider
code.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from pinglass.errors import RefsError
from pinglass.refs.decode import Unreadable, read_header

if TYPE_CHECKING:
    from pinglass.providers.base import Reference
    from pinglass.refs.models import RefScore

__all__ = ["JPEG_QUALITY", "crop_window", "prepare"]

JPEG_QUALITY = 90
"""Quality of the re-encoded JPEG."""

_WIDTH, _HEIGHT, _ABOVE = 2.4, 3.2, 0.7  # in face widths


def crop_window(
    face_box: tuple[int, int, int, int], width: int, height: int
) -> tuple[int, int, int, int]:
    """The head-and-shoulders box (left, top, right, bottom) in a ``width`` x ``height`` frame."""
    x, y, w, h = face_box
    crop_w = min(width, round(_WIDTH * w))
    crop_h = min(height, round(_HEIGHT * w))
    left = round(x + w / 2 - crop_w / 2)
    top = round(y - _ABOVE * w)
    left = min(max(0, left), width - crop_w)
    top = min(max(0, top), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def _open_upright(path: Path, need_long: int, crop_long: int) -> tuple[Image.Image, float]:
    """Open ``path`` upright, JPEG-drafted as small as the crop allows; returns (image, scale)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as img:
            stored = img.size
            factor = min(8, 2 ** int(math.log2(max(1, crop_long // max(1, need_long)))))
            if img.format == "JPEG" and factor > 1:
                img.draft("RGB", (math.ceil(stored[0] / factor), math.ceil(stored[1] / factor)))
            scale = img.size[0] / stored[0]
            upright = ImageOps.exif_transpose(img.convert("RGB"))
    return upright, scale


def prepare(folder: Path, ref: RefScore, *, max_side: int = 1024) -> Reference:
    """The reference as it may be uploaded: face-centred crop, long side <= ``max_side`` px, JPEG.

    Uses ``ref``'s face box when it has one (from :func:`pinglass.refs.score_folder`), else finds
    the face again. Raises :class:`~pinglass.errors.RefsError` when the photo cannot be read or
    has no face. Idempotent: the same photo gives the same bytes.
    """
    from pinglass.providers.base import Reference

    path = folder / ref.file
    try:
        header = read_header(path)
    except Unreadable as exc:
        raise RefsError(str(exc), file=path) from exc
    face_box = ref.face_box or _find_face(path)
    window = crop_window(face_box, header.width, header.height)
    crop_long = max(window[2] - window[0], window[3] - window[1])
    try:
        img, scale = _open_upright(path, max_side, crop_long)
        crop = img.crop(tuple(round(v * scale) for v in window))  # type: ignore[arg-type]
    except (OSError, ValueError) as exc:
        raise RefsError(f"cannot read the photo ({exc})", file=path) from exc
    crop.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    bare = Image.frombytes("RGB", crop.size, crop.tobytes())  # pixels only: no info, no EXIF
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    return Reference(name=ref.file, data=out.getvalue(), mime="image/jpeg")


def _find_face(path: Path) -> tuple[int, int, int, int]:
    from pinglass.refs.analysis import analyse_photo

    analysis = analyse_photo(path)
    if analysis.face_box is None:
        raise RefsError(analysis.error or "no face found to centre the crop on", file=path)
    return analysis.face_box
