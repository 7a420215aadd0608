"""Safe, fast decoding of reference photos at a working size, upright.

Choices:

* **Header first.** Pillow reads only the header (``Image.open`` is lazy) to get the stored size,
  format and EXIF orientation. A file whose header claims more than :data:`MAX_PIXELS` is refused
  *before* any pixel buffer is allocated (a decompression bomb: a few hundred bytes of PNG can
  claim 100 000 x 100 000 px).
* **Reduced decode.** JPEGs are decoded with libjpeg's DCT scaling (``cv2.IMREAD_REDUCED_*``,
  factor 2, 4 or 8), which skips most of the inverse DCT: a 12-megapixel JPEG becomes 500 x 375
  in about a third of the time of a full decode and never exists at full size in memory. Other
  formats (PNG, WebP, BMP, TIFF) are decoded whole and resized, which is fine at selfie sizes.
* **Orientation.** OpenCV is told to ignore EXIF (``IMREAD_IGNORE_ORIENTATION``) and the tag read
  by Pillow is applied here, so every decoder path rotates the same way.
* **Truncation.** libjpeg fills a truncated JPEG with grey and only warns; a JPEG whose last
  end-of-image marker is not near the end of the file is refused instead.

Every failure is a :class:`Unreadable` with the reason in words; nothing here raises anything else
for a bad file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_PIXELS",
    "Decoded",
    "Header",
    "Unreadable",
    "decode_gray",
    "read_header",
    "reduction_for",
]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
)
"""File name endings treated as photos (case-insensitive); other files are ignored."""

MAX_PIXELS = 120_000_000
"""Largest stored image accepted, in pixels (120 MP: beyond any phone or DSLR selfie)."""

MAX_FILE_BYTES = 80 * 1024 * 1024
"""Largest file accepted, in bytes."""

_ORIENTATION_TAG = 0x0112
_HEIC = frozenset({".heic", ".heif"})
# Listed as photos so an iPhone folder gets advice instead of "no photos here"; reading them
# needs pillow-heif, a native dependency pinglass does not take on for one format.
_HEIC_ADVICE = "export it as JPEG (iPhone: Settings > Camera > Formats > Most Compatible)"
_JPEG_TAIL = 16 * 1024  # the final EOI marker must sit in the last 16 KB (trailers are small)


class Unreadable(Exception):  # noqa: N818 - a verdict, not a programming error
    """The file cannot be used as a photo; ``str()`` is the reason in words."""


@dataclass(frozen=True, slots=True)
class Header:
    """What the file says about itself, read without decoding pixels.

    ``width``/``height`` are the *displayed* size in pixels (after EXIF orientation).
    """

    format: str
    width: int
    height: int
    orientation: int


@dataclass(frozen=True, slots=True)
class Decoded:
    """An upright grey (luma) image at working size.

    ``scale`` is working pixels per original pixel (1/2, 1/4, ... or a resize ratio), so a length
    measured here divided by ``scale`` is in original pixels.
    """

    gray: npt.NDArray[np.uint8] = field(repr=False)
    header: Header
    scale: float


def read_header(path: Path) -> Header:
    """Read format, displayed size and EXIF orientation without decoding.

    Raises :class:`Unreadable` for an empty, unidentifiable or oversized file.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({exc.strerror or exc})") from exc
    if size == 0:
        raise Unreadable("the file is empty (0 bytes)")
    if path.suffix.lower() in _HEIC:
        raise Unreadable(f"{path.suffix} is not supported: {_HEIC_ADVICE}")
    if size > MAX_FILE_BYTES:
        raise Unreadable(
            f"the file is {size / 2**20:.0f} MB, over the {MAX_FILE_BYTES >> 20} MB limit"
        )
    try:
        with warnings.catch_warnings():
            # Our own limit below is stricter; Pillow's warning would only duplicate it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format or "unknown"
                width, height = img.size
                _check_pixels(width, height)
                orientation = _orientation(img)
    except Image.DecompressionBombError as exc:
        raise Unreadable(f"refused as a decompression bomb ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise Unreadable(
            "not an image Pillow or OpenCV can read (unknown or corrupt format)"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise Unreadable(f"corrupt image header ({exc})") from exc
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return Header(format=fmt, width=width, height=height, orientation=orientation)


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1-8), read without touching pixel data."""
    if img.format == "PNG":
        # PngImageFile.getexif() decodes the whole image to look for a late eXIf chunk; only
        # trust an eXIf chunk that came before the pixel data.
        raw = img.info.get("exif")
        if not isinstance(raw, bytes):
            return 1
        exif = Image.Exif()
        exif.load(raw)
    else:
        exif = img.getexif()
    value = exif.get(_ORIENTATION_TAG, 1)
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise Unreadable(f"the header claims an empty image ({width} x {height})")
    if width * height > MAX_PIXELS:
        raise Unreadable(
            f"the header claims {width} x {height} px ({width * height / 1e6:.0f} MP), over the "
            f"{MAX_PIXELS / 1e6:.0f} MP limit: refused before decoding (decompression bomb guard)"
        )


def reduction_for(header: Header, min_side: int) -> int:
    """The largest JPEG DCT reduction (1, 2, 4 or 8) keeping the long side >= ``min_side`` px."""
    return reduction_factor(max(header.width, header.height), min_side)


def reduction_factor(long_side: int, min_side: int) -> int:
    """The largest reduction (1, 2, 4 or 8) of ``long_side`` that stays >= ``min_side`` px."""
    for factor in (8, 4, 2):
        if long_side // factor >= min_side:
            return factor
    return 1


def decode_gray(path: Path, header: Header, *, min_side: int = 400) -> Decoded:
    """Decode ``path`` upright in grey with the long side about ``min_side`` px or more.

    JPEGs use DCT scaling; other formats are decoded whole and shrunk with area averaging.
    Raises :class:`Unreadable` when the pixels cannot be decoded or the JPEG is truncated.
    """
    import cv2
    import numpy as np

    data = _read_bytes(path)
    is_jpeg = header.format == "JPEG"
    if is_jpeg:
        _check_jpeg_complete(data)
    factor = reduction_for(header, min_side) if is_jpeg else 1
    reduced = {
        1: cv2.IMREAD_GRAYSCALE,
        2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
        4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
        8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
    }
    flags = reduced[factor] | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    except cv2.error as exc:
        raise Unreadable(f"{header.format} pixel data could not be decoded ({exc.msg})") from exc
    if pixels is None or pixels.size == 0:
        raise Unreadable(f"{header.format} pixel data could not be decoded (corrupt or truncated)")
    gray = _orient(np.asarray(pixels, dtype=np.uint8), header.orientation)
    scale = gray.shape[1] / header.width
    long_side = max(gray.shape[:2])
    shrink = _shrink_ratio(long_side, min_side)
    if shrink < 1.0:
        small = cv2.resize(gray, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        gray = np.asarray(small, dtype=np.uint8)
        scale = gray.shape[1] / header.width
    return Decoded(gray=np.ascontiguousarray(gray), header=header, scale=scale)


def _shrink_ratio(long_side: int, min_side: int) -> float:
    # Non-JPEG formats arrive whole: bring them to at most twice the working size.
    return 1.0 if long_side <= 2 * min_side else min_side / long_side


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read the file ({exc.strerror or exc})") from exc


def _check_jpeg_complete(data: bytes) -> None:
    end = data.rfind(b"\xff\xd9")
    if end < 0 or end < len(data) - _JPEG_TAIL:
        raise Unreadable("the JPEG is truncated (no end-of-image marker): re-copy the file")


def _orient(gray: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """Apply EXIF orientation 1-8 to stored pixels so the result is upright."""
    import cv2
    import numpy as np

    ops: dict[int, tuple[int | None, bool]] = {
        2: (None, True),
        3: (cv2.ROTATE_180, False),
        4: (cv2.ROTATE_180, True),
        5: (cv2.ROTATE_90_CLOCKWISE, True),
        6: (cv2.ROTATE_90_CLOCKWISE, False),
        7: (cv2.ROTATE_90_COUNTERCLOCKWISE, True),
        8: (cv2.ROTATE_90_COUNTERCLOCKWISE, False),
    }
    rotate, mirror = ops.get(orientation, (None, False))
    out = gray if rotate is None else np.asarray(cv2.rotate(gray, rotate), dtype=np.uint8)
    return np.ascontiguousarray(out[:, ::-1]) if mirror else out
