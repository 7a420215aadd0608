"""Atomic file writes and image verification for the runner.

Every file the runner leaves in the output folder is written to a temporary file in the same
directory, fsynced, then moved into place with :func:`os.replace`, so a crash (even SIGKILL)
leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path

from pinglass.errors import InvalidResponse

__all__ = [
    "MAX_OUTPUT_PIXELS",
    "image_extension",
    "is_image_file",
    "keep_aside",
    "write_atomic",
]

# Four times the largest hosted model's output (about 16 megapixels); a header claiming more is
# hostile or broken, and decoding it for the contact sheet would take gigabytes.
MAX_OUTPUT_PIXELS = 64_000_000

# Pillow format name -> file extension used in images/NN-<prompt-id>.<ext>.
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif", "AVIF": "avif"}


def image_extension(data: bytes, *, provider: str = "") -> str:
    """Return the file extension of ``data``'s real image format (``png``, ``jpg``, ``webp``).

    Raises :class:`InvalidResponse` when the bytes do not decode as an image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # a bomb is refused below, never merely warned about
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format or "", img.size
                if width * height > MAX_OUTPUT_PIXELS:
                    raise InvalidResponse(
                        f"the output claims {width}x{height} pixels, over the "
                        f"{MAX_OUTPUT_PIXELS // 1_000_000}-megapixel limit",
                        provider=provider,
                    )
                img.verify()
    except Image.DecompressionBombError as exc:  # a header claiming far too many pixels
        raise InvalidResponse(
            f"the output claims too many pixels to decode ({exc})", provider=provider
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidResponse(
            f"the output is not a readable image ({len(data)} bytes)", provider=provider
        ) from exc
    return _EXTENSIONS.get(fmt, fmt.lower() or "img")


def is_image_file(path: Path) -> bool:
    """True when ``path`` exists and its bytes decode as an image."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    try:
        image_extension(data)
    except InvalidResponse:
        return False
    return True


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, replace.

    The folder is fsynced too, so the rename survives a power cut. Idempotent for equal data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def keep_aside(path: Path, data: bytes | None = None) -> Path | None:
    """Rename an existing ``path`` to ``<stem>.before-<n><suffix>`` and return the new path.

    A file where a new image is about to land was paid for by an earlier run that nothing
    vouches for any more (its journal lost, or its job changed): it is kept, never
    overwritten. ``None`` when nothing is there, or when it already holds ``data``.
    """
    if not os.path.lexists(path):
        return None
    if data is not None and path.is_file() and path.stat().st_size == len(data):
        if path.read_bytes() == data:
            return None  # the same image collected again: nothing to keep
    for n in range(1, 10_000):
        aside = path.with_name(f"{path.stem}.before-{n}{path.suffix}")
        if not os.path.lexists(aside):
            path.rename(aside)
            return aside
    raise OSError(f"too many earlier copies of {path.name}")  # pragma: no cover
