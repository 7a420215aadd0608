"""Decode an output image (bytes or a file) to an RGB array, refusing oversized images first."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pinglass.refs.decode import reduction_factor

__all__ = ["MAX_PIXELS", "WORKING_SIDE", "decode_rgb"]

MAX_PIXELS = 50_000_000
"""Larger images are refused before any pixel is allocated (decompression-bomb guard)."""
WORKING_SIDE = 1024
"""JPEG DCT scaling keeps the long side at least this many pixels: plenty for a 150 px face chip."""

_REDUCED = {
    8: cv2.IMREAD_REDUCED_COLOR_8,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    2: cv2.IMREAD_REDUCED_COLOR_2,
}


def decode_rgb(source: bytes | Path, *, working_side: int = WORKING_SIDE) -> np.ndarray | None:
    """Return the image as an ``(H, W, 3)`` uint8 RGB array, or ``None`` if it cannot be used.

    EXIF orientation is applied (OpenCV's default). ``None`` means unreadable, empty, truncated,
    or larger than :data:`MAX_PIXELS`; images much larger than ``working_side`` are decoded
    reduced (JPEG DCT scaling keeps the long side at least ``working_side`` px). Reads a path
    once; never raises for bad image content.

    Raises:
        OSError: ``source`` is a path that cannot be read.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    size = _header_size(data)
    if size is None or size[0] * size[1] > MAX_PIXELS:
        return None
    flag = _REDUCED.get(reduction_factor(max(size), working_side), cv2.IMREAD_COLOR)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if bgr is None or bgr.size == 0:
        return None
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def _header_size(data: bytes) -> tuple[int, int] | None:
    if not data:
        return None
    with warnings.catch_warnings():
        # Our own limit is lower than Pillow's; its warning would only duplicate the refusal.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                return img.size
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
