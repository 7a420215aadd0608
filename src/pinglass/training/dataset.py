"""The training data: square face-centred crops, EXIF-free, zipped in memory.

Each crop starts from :func:`pinglass.refs.prepare` (the head-and-shoulders crop that may leave
the machine: upright, no metadata). Its top square is centred on the face (the 3:4 crop starts
0.7 face widths above a face box 2.4 widths across, so the face centre sits at the middle of the
top 2.4 x 2.4 square); it is resized to the trainer's resolution and re-encoded from bare pixels.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pinglass.refs import RefScore

__all__ = ["Crop", "square_crops", "zip_crops"]

_JPEG_QUALITY = 92


@dataclass(frozen=True, slots=True)
class Crop:
    """One square face crop as it is sent, with where it came from."""

    source: str
    """The original photo's file name in the refs folder."""
    source_sha256: str
    """Digest of the original photo's bytes."""
    name: str
    """File name inside the zip and the subject's ``crops/`` folder (``01-IMG_0412.jpg``)."""
    data: bytes = field(repr=False)
    score: float = 0.0

    @property
    def sha256(self) -> str:
        """Digest of the crop's bytes."""
        return hashlib.sha256(self.data).hexdigest()


def square_crops(folder: Path, chosen: Sequence[RefScore], resolution: int) -> list[Crop]:
    """The chosen refs as ``resolution``-px square JPEG crops centred on the face.

    Raises :class:`~pinglass.errors.RefsError` for a photo that cannot be read.
    """
    from PIL import Image

    from pinglass.refs import prepare

    crops: list[Crop] = []
    for i, ref in enumerate(chosen, 1):
        portrait = prepare(folder, ref, max_side=max(1024, resolution * 2))
        with Image.open(io.BytesIO(portrait.data)) as img:
            rgb = img.convert("RGB")
        side = min(rgb.width, rgb.height)
        left = (rgb.width - side) // 2
        square = rgb.crop((left, 0, left + side, side)).resize(
            (resolution, resolution), Image.Resampling.LANCZOS
        )
        bare = Image.frombytes("RGB", square.size, square.tobytes())  # pixels only, no EXIF
        out = io.BytesIO()
        bare.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True)
        digest = hashlib.sha256((folder / ref.file).read_bytes()).hexdigest()
        name = f"{i:02d}-{Path(ref.file).stem}.jpg"
        crops.append(Crop(ref.file, digest, name, out.getvalue(), ref.score))
    return crops


def zip_crops(crops: Sequence[Crop]) -> bytes:
    """A ``.zip`` of the crops (stored, fixed timestamps: the same crops give the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for crop in crops:
            info = zipfile.ZipInfo(crop.name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, crop.data)
    return buffer.getvalue()
