"""Image factories for the refs tests: synthetic variants of one committed sample photo.

A "face photo" is made by cropping the clean sample IMG_0412.jpg (a real face the Haar cascade
finds) and applying a known degradation with numpy/Pillow, written into tmp_path.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

SAMPLE_REFS = Path(__file__).resolve().parents[2] / "sample_refs"
CLEAN = "IMG_0412.jpg"
"""A clean, frontal, evenly lit head-and-shoulders photo (see scripts/make_sample_refs.py)."""


def clean_image(width: int = 600) -> Image.Image:
    """The clean sample, upright RGB, resized to ``width`` px wide."""
    with Image.open(SAMPLE_REFS / CLEAN) as img:
        upright = ImageOps.exif_transpose(img).convert("RGB")
    height = round(width * upright.height / upright.width)
    return upright.resize((width, height), Image.Resampling.LANCZOS)


def save(img: Image.Image, path: Path, **kwargs: object) -> Path:
    """Write ``img`` and return the path."""
    img.save(path, **kwargs)  # type: ignore[arg-type]
    return path


def blurred(img: Image.Image, radius: float = 8) -> Image.Image:
    """Out of focus."""
    return img.filter(ImageFilter.GaussianBlur(radius))


def darkened(img: Image.Image, gain: float = 0.2) -> Image.Image:
    """Underexposed by ``gain``."""
    arr = np.asarray(img, dtype=np.float32) * gain
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def side_lit(img: Image.Image) -> Image.Image:
    """Bright on the left, the right half in deep shadow."""
    arr = np.asarray(img, dtype=np.float32)
    ramp = np.linspace(1.3, 0.12, arr.shape[1], dtype=np.float32)
    return Image.fromarray((arr * ramp[None, :, None]).clip(0, 255).astype(np.uint8))


def shrunk_into(img: Image.Image, face_scale: float, canvas: tuple[int, int]) -> Image.Image:
    """``img`` scaled by ``face_scale`` and pasted into a plain grey canvas (a wide shot)."""
    small = img.resize(
        (round(img.width * face_scale), round(img.height * face_scale)), Image.Resampling.LANCZOS
    )
    out = Image.new("RGB", canvas, (190, 186, 180))
    out.paste(small, ((canvas[0] - small.width) // 2, (canvas[1] - small.height) // 2))
    return out


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims ``width`` x ``height`` px (no real pixel data)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path
