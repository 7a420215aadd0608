"""Face and eye finding with the Haar cascades that opencv-python-headless 4.x ships.

Choices:

* **Detection at 320 px.** The frontal cascade (``haarcascade_frontalface_default``, a 24 x 24 px
  window) runs on the working image shrunk so its long side is :data:`DETECT_SIDE` px, after
  no histogram equalisation: it made the cascade see faces in
  helmets and lose half-shadowed ones on the sample photos. Cost grows with the number of
  small windows, so this is where the time goes; at 320 px it finds faces down to 7.5 % of the
  long side.
* **A second look for small faces.** When nothing is found and the working image is larger, one
  more pass at twice the size looks only for small faces (``maxSize``), so a tiny face in a wide
  shot is reported as too small instead of absent. Photos with a face never pay for it.
* **Eyes for pose.** The eye cascade runs on the upper part of the normalised face crop, each half
  separately: both eyes found means a frontal face; their height difference (roll) and the
  offset of their midpoint from the face centre (yaw) give the symmetry.
* **One classifier per thread.** ``CascadeClassifier`` keeps scratch buffers, so each worker
  thread loads its own copy (about 20 ms, once).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["DETECT_SIDE", "Box", "Eyes", "crop_normalised", "find_eyes", "find_faces"]

DETECT_SIDE = 320
"""Long side, in px, of the image the face cascade scans."""

_MIN_FACE = 24  # the cascade's native window, px
_SMALL_FACE_MAX = 52  # second pass: faces up to this size at twice DETECT_SIDE

_local = threading.local()


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in working-image pixels: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        """Area in square pixels."""
        return self.w * self.h

    def scaled(self, factor: float) -> Box:
        """The same rectangle in an image ``factor`` times as large."""
        return Box(self.x * factor, self.y * factor, self.w * factor, self.h * factor)


@dataclass(frozen=True, slots=True)
class Eyes:
    """Eye centres found on a normalised face crop, as fractions of its side (0-1)."""

    left: tuple[float, float] | None
    right: tuple[float, float] | None

    @property
    def count(self) -> int:
        """How many eyes were found (0, 1 or 2)."""
        return (self.left is not None) + (self.right is not None)


def _cascade(name: str) -> Any:
    import cv2

    cache: dict[str, Any] = _local.__dict__.setdefault("cascades", {})
    if name not in cache:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
        if classifier.empty():  # pragma: no cover - a broken OpenCV install
            raise RuntimeError(f"OpenCV cascade {name} is missing from cv2.data.haarcascades")
        cache[name] = classifier
    return cache[name]


def _detect(gray: npt.NDArray[np.uint8], side: int, max_size: int | None) -> list[Box]:
    import cv2

    ratio = min(1.0, side / max(gray.shape[:2]))
    small = (
        gray
        if ratio == 1.0
        else cv2.resize(gray, None, fx=ratio, fy=ratio, interpolation=cv2.INTER_AREA)
    )
    kwargs: dict[str, Any] = {"minSize": (_MIN_FACE, _MIN_FACE)}
    if max_size is not None:
        kwargs["maxSize"] = (max_size, max_size)
    found = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        small, 1.1, 4, **kwargs
    )
    return [Box(*map(float, rect)).scaled(1.0 / ratio) for rect in found]


def find_faces(gray: npt.NDArray[np.uint8]) -> list[Box]:
    """Faces in ``gray`` (working-image px), largest first; empty when there is none."""
    faces = _detect(gray, DETECT_SIDE, None)
    if not faces and max(gray.shape[:2]) > DETECT_SIDE:
        faces = _detect(gray, 2 * DETECT_SIDE, _SMALL_FACE_MAX)
    return sorted(faces, key=lambda box: box.area, reverse=True)


def crop_normalised(gray: npt.NDArray[np.uint8], box: Box, size: int) -> npt.NDArray[np.uint8]:
    """The face box cut from ``gray`` (clipped to the image) and resized to ``size`` x ``size``."""
    import cv2
    import numpy as np

    height, width = gray.shape[:2]
    x0, y0 = max(0, round(box.x)), max(0, round(box.y))
    x1, y1 = min(width, round(box.x + box.w)), min(height, round(box.y + box.h))
    crop = gray[y0:y1, x0:x1]
    shrinking = crop.shape[0] >= size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(crop, (size, size), interpolation=interpolation), dtype=np.uint8)


def find_eyes(face: npt.NDArray[np.uint8]) -> Eyes:
    """Look for one eye in each half of the upper face of a normalised crop."""
    import cv2

    side = face.shape[0]
    top, bottom = round(0.15 * side), round(0.6 * side)
    band = cv2.equalizeHist(face[top:bottom])
    half = side // 2
    cascade = _cascade("haarcascade_eye.xml")
    found: list[tuple[float, float] | None] = []
    for x_off in (0, half):
        part = band[:, x_off : x_off + half]
        eyes = cascade.detectMultiScale(
            part, 1.1, 3, minSize=(side // 10, side // 10), maxSize=(side // 3, side // 3)
        )
        if len(eyes) == 0:
            found.append(None)
            continue
        x, y, w, h = max(eyes, key=lambda r: r[2] * r[3])
        found.append(((x_off + x + w / 2) / side, (top + y + h / 2) / side))
    return Eyes(left=found[0], right=found[1])
