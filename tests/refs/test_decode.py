"""Decoding: EXIF orientation, reduced decode, formats, and every way a file can be unreadable."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from refs_helpers import clean_image, png_bomb, save

from pinglass.refs.decode import Header, Unreadable, decode_gray, read_header, reduction_for


def _marker(width: int = 300, height: int = 200) -> Image.Image:
    """Upright test card: white top-left quadrant, black elsewhere."""
    arr = np.zeros((height, width, 3), dtype=np.uint8)
    arr[: height // 2, : width // 2] = 255
    return Image.fromarray(arr)


# Stored pixels for each orientation such that a viewer applying the tag shows the upright card.
_STORE = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int) -> None:
    stored = _marker().transpose(_STORE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = save(stored, tmp_path / "r.jpg", quality=95, exif=exif.tobytes())

    header = read_header(path)
    decoded = decode_gray(path, header, min_side=300)

    assert (header.width, header.height) == (300, 200)
    assert decoded.gray.shape == (200, 300)
    assert decoded.gray[20:80, 20:130].mean() > 200  # white top-left, upright
    assert decoded.gray[120:, 170:].mean() < 50


def test_jpeg_is_decoded_reduced(tmp_path: Path) -> None:
    path = save(clean_image(2000), tmp_path / "big.jpg", quality=90)
    header = read_header(path)

    decoded = decode_gray(path, header, min_side=400)

    assert reduction_for(header, 400) == 4
    assert decoded.gray.shape[1] == 500
    assert decoded.gray.shape[0] in (666, 667)
    assert decoded.scale == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize(
    ("size", "factor"), [((4000, 3000), 8), ((1200, 900), 2), ((300, 200), 1), ((1700, 1200), 4)]
)
def test_reduction_keeps_the_long_side(size: tuple[int, int], factor: int) -> None:
    assert reduction_for(Header("JPEG", size[0], size[1], 1), 400) == factor


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_read(tmp_path: Path, fmt: str) -> None:
    path = save(clean_image(500), tmp_path / f"face.{fmt.lower()}", format=fmt)

    header = read_header(path)
    decoded = decode_gray(path, header)

    assert header.format == fmt
    assert decoded.gray.shape[1] == 500


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(Unreadable, match="empty"):
        read_header(path)


def test_garbage_with_an_image_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_bytes(b"these are not the pixels you are looking for" * 10)
    with pytest.raises(Unreadable, match="unknown or corrupt"):
        read_header(path)


def test_truncated_jpeg(tmp_path: Path) -> None:
    whole = save(clean_image(600), tmp_path / "whole.jpg", quality=90).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])

    header = read_header(path)  # the header itself is intact
    with pytest.raises(Unreadable, match="truncated"):
        decode_gray(path, header)


def test_corrupt_pixel_data(tmp_path: Path) -> None:
    whole = bytearray(save(clean_image(300), tmp_path / "ok.png").read_bytes())
    whole[200:-20] = bytes(len(whole) - 220)  # keep the header, wreck the compressed data
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(whole))

    with pytest.raises(Unreadable):
        decode_gray(path, read_header(path))


@pytest.mark.parametrize(("width", "height"), [(12_000, 11_000), (100_000, 100_000)])
def test_decompression_bomb_refused_before_allocating(
    tmp_path: Path, width: int, height: int
) -> None:
    path = png_bomb(tmp_path / "bomb.png", width, height)
    assert path.stat().st_size < 200

    tracemalloc.start()
    try:
        with pytest.raises(Unreadable, match="decompression bomb"):
            read_header(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # a decoded buffer would be hundreds of megabytes


def test_heic_gets_advice_not_silence(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    with pytest.raises(Unreadable, match="export it as JPEG"):
        read_header(path)
