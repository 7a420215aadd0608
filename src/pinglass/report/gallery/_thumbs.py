"""Thumbnails for the gallery page: ``thumbs/`` beside ``images/``, 512 px on the long side.

The page shows these, never the full images scaled by the browser, so a grid of hundreds of
portraits loads a few megabytes instead of hundreds. A thumbnail is rewritten only when its
image is newer, so ``pinglass report OUT`` on a big folder is quick the second time.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pinglass.run_folder import RunFolder
from pinglass.runner.files import write_atomic

__all__ = [
    "THUMBS_DIR",
    "THUMB_PX",
    "Thumb",
    "existing_reference",
    "inside",
    "reference_thumbs",
    "thumbnail",
    "thumbnails",
]

THUMBS_DIR = RunFolder.THUMBS
THUMB_PX = 512
"""Longest side of a thumbnail, in pixels; the aspect ratio is kept."""
_REFS_DIR = "refs"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Thumb:
    """A thumbnail on disk: its path relative to the output folder and its size in pixels."""

    rel: str
    width: int
    height: int


def inside(out_dir: Path, rel: str | None) -> Path | None:
    """``out_dir / rel`` when it is a file inside ``out_dir`` (no ``..`` escape), else None."""
    if not rel:
        return None
    root = out_dir.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def thumbnails(out_dir: Path, rels: Iterable[str]) -> dict[str, Thumb | None]:
    """:func:`thumbnail` for many images at once, on a few threads (Pillow decodes and encodes
    without holding the GIL): a 920-image folder is mostly JPEG work."""
    unique = list(dict.fromkeys(rels))
    workers = max(1, min(4, os.cpu_count() or 1, len(unique)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thumbs") as pool:
        return dict(zip(unique, pool.map(lambda rel: thumbnail(out_dir, rel), unique), strict=True))


def thumbnail(out_dir: Path, rel: str | None) -> Thumb | None:
    """The thumbnail of the image ``rel`` (relative to ``out_dir``), written if missing or stale.

    Returns None when the image is missing, outside the folder or unreadable: the page then
    shows a marked tile instead of a broken picture.
    """
    source = inside(out_dir, rel)
    if source is None or rel is None:
        return None
    name = f"{_safe_stem(Path(rel).stem)}.jpg"
    target = out_dir / THUMBS_DIR / name
    try:
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            size = _size(target)
            if size is not None:
                return Thumb(f"{THUMBS_DIR}/{name}", *size)
        return _write(source.read_bytes(), target, f"{THUMBS_DIR}/{name}")
    except OSError:
        return None


def reference_thumbs(out_dir: Path, crops: Mapping[str, bytes] | None) -> dict[str, Thumb]:
    """Reference file name -> its thumbnail under ``thumbs/refs/``.

    ``crops`` are the face crops the run sent (EXIF already stripped); they are written once, so
    the page can show the reference without pointing into the user's own photo folder. Without
    ``crops`` (``pinglass report OUT``) the thumbnails already in the folder are used.
    """
    folder = out_dir / THUMBS_DIR / _REFS_DIR
    found: dict[str, Thumb] = {}
    for name, data in (crops or {}).items():
        file = _ref_file(name)
        thumb = _write(data, folder / file, f"{THUMBS_DIR}/{_REFS_DIR}/{file}")
        if thumb is not None:
            found[name] = thumb
    return found


def existing_reference(out_dir: Path, name: str) -> Thumb | None:
    """The thumbnail of reference ``name`` written by an earlier run into ``out_dir``, if any."""
    file = _ref_file(name)
    size = _size(out_dir / THUMBS_DIR / _REFS_DIR / file)
    return None if size is None else Thumb(f"{THUMBS_DIR}/{_REFS_DIR}/{file}", *size)


def _ref_file(name: str) -> str:
    stem = Path(name).stem
    safe = _safe_stem(stem)
    if safe != stem:  # two odd names must not collapse onto one file
        safe += "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{safe}.jpg"


def _safe_stem(stem: str) -> str:
    return _SAFE.sub("_", stem).strip("._") or "image"


def _size(path: Path) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None


def _write(data: bytes, target: Path, rel: str) -> Thumb | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            scale = min(1.0, THUMB_PX / max(img.size))
            # JPEG: let the decoder scale down by 1/2, 1/4 or 1/8 (DCT) as far as it can stay
            # at or above the thumbnail's size; about twice as fast as decoding it all.
            img.draft("RGB", (max(1, round(img.width * scale)), max(1, round(img.height * scale))))
            small = ImageOps.exif_transpose(img).convert("RGB")
            small.thumbnail((THUMB_PX, THUMB_PX))
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=82, optimize=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, buf.getvalue())
    return Thumb(rel, small.width, small.height)
