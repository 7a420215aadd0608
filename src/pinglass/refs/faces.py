"""Face and eye finding with the Haar cascades that opencv-python-headless 4.x ships.

Choices:

* **Detection at 320 px, verified.** The frontal cascade (``haarcascade_frontalface_default``,
  a 24 x 24 px window) scans the working image shrunk so its long side is :data:`DETECT_SIDE`
  px. Each hit is then scanned again in its own region with ``detectMultiScale3`` for the
  cascade's level weight (how far past the last stage's threshold it got). A hit counts as a
  face only when it is verified: a level
  weight of at least :data:`STRONG_WEIGHT`, or at least :data:`WEAK_WEIGHT` with a second
  cascade (``_alt2``, trained separately) finding a face of about the same size at the same
  place; and a weak hit counts only in a photo with no strong one, so a pattern beside a face
  never makes a second "person". On the scikit-image astronaut the
  default cascade also fires on the space suit (weight 0.0-1.9, where the real face scores 3.3
  and more); the second cascade never agrees with that hit. No histogram equalisation: it made
  the cascade see faces in helmets and lose half-shadowed ones.
* **A second look before "no face".** When nothing is verified, the default cascade looks for
  faces smaller than the first pass's smallest on the working image; then the second cascade
  scans the
  image at :data:`SECOND_SIDE` px, on a copy padded by mirroring the left and right borders,
  so that a face cut by the frame edge is completed by its own mirror image and found there.
  Such a face's box reaches past the frame: :attr:`Faces.cut_off` says so. Its box is re-framed
  by the default cascade where that finds it, so face sizes keep one convention. Photos with a face
  at the fast size never pay for it. When that finds nothing either, both cascades scan in 5 %
  steps and a face counts where their grouped detections coincide (a face the default cascade
  weighs too low to verify, such as Einstein's). :func:`find_small_faces` is the last look, on a
  finer decode, for faces too small for any pass (a wide shot).
* **Eyes for pose.** The eye cascade runs on the upper part of the normalised face crop, each
  half separately: both eyes found, their height difference (roll) and the offset of their
  midpoint from the face centre (yaw) are evidence about the pose. An eye not found is no
  evidence of anything (glasses, shadow, a small face).
* **One classifier per thread.** ``CascadeClassifier`` keeps scratch buffers, so each worker
  thread loads its own copy (about 20 ms, once).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CUT_MARGIN",
    "DETECT_SIDE",
    "STRONG_WEIGHT",
    "WEAK_WEIGHT",
    "Box",
    "Eyes",
    "Faces",
    "crop_normalised",
    "find_eyes",
    "find_faces",
    "find_small_faces",
]

DETECT_SIDE = 320
"""Long side, in px, of the image the face cascade scans first."""

SECOND_SIDE = 480
"""Long side, in px, of the second look."""

STRONG_WEIGHT = 3.0
"""Level weight at which the default cascade's hit is a face without a second opinion."""

WEAK_WEIGHT = 1.0
"""Below this level weight a hit is not a face even when the second cascade agrees."""

CUT_MARGIN = 0.12
"""A face box reaching past the frame edge by more than this share of its width is cut off."""

AGREE_SIDE = 640
"""Long side, in px, of the last look (both cascades agreeing, see :func:`find_faces`)."""

_MIN_FACE = 24  # the cascade's native window, px
_DEFAULT = "haarcascade_frontalface_default.xml"
_ALT2 = "haarcascade_frontalface_alt2.xml"
_FIRST_MIN = 40  # first pass: faces from 12.5 % of the long side (the small windows cost most)
_PAD = 0.2  # second look: share of the width mirrored onto the left and right borders
_AGREE_MIN = 0.1  # last look: faces from 10 % of the long side (the smallest windows cost most)

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

    def overlap(self, other: Box) -> float:
        """Intersection over union with ``other`` (0-1)."""
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        return inter / (self.area + other.area - inter) if inter > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Faces:
    """Verified faces (working-image px, largest first) and whether the largest is cut off."""

    boxes: list[Box] = field(default_factory=list)
    cut_off: float = 0.0
    """Share of the largest face's width that lies outside the frame (0 when inside)."""
    second_look: bool = False
    """Found only by the second look."""


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


def _shrink(gray: npt.NDArray[np.uint8], side: int) -> tuple[npt.NDArray[np.uint8], float]:
    import cv2
    import numpy as np

    ratio = min(1.0, side / max(gray.shape[:2]))
    if ratio == 1.0:
        return gray, 1.0
    small = cv2.resize(gray, None, fx=ratio, fy=ratio, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), ratio


def _agrees(gray: npt.NDArray[np.uint8], box: Box) -> bool:
    """The second cascade finds a face of about ``box``'s size at ``box``'s place."""
    roi, x0, y0, low, high = _roi(gray, box, 0.4)
    if roi.shape[0] < low or roi.shape[1] < low:
        return False
    found = _cascade(_ALT2).detectMultiScale(roi, 1.1, 3, minSize=(low, low), maxSize=(high, high))
    return any(Box(x0 + x, y0 + y, w, h).overlap(box) > 0.3 for x, y, w, h in found)


def _roi(gray: npt.NDArray[np.uint8], box: Box, grow: float) -> tuple[Any, int, int, int, int]:
    """The region around ``box`` grown by ``grow`` of its width, and the face sizes to look for."""
    height, width = gray.shape[:2]
    pad = grow * box.w
    x0, y0 = max(0, round(box.x - pad)), max(0, round(box.y - pad))
    x1, y1 = min(width, round(box.x + box.w + pad)), min(height, round(box.y + box.h + pad))
    low, high = max(_MIN_FACE, round(0.7 * box.w)), round(1.4 * box.w) + 1
    return gray[y0:y1, x0:x1], x0, y0, low, high


def _weight(gray: npt.NDArray[np.uint8], box: Box) -> float:
    """The default cascade's best level weight for a face at ``box`` (-inf when none)."""
    roi, x0, y0, low, high = _roi(gray, box, 0.25)
    if roi.shape[0] < low or roi.shape[1] < low:
        return float("-inf")
    rects, _levels, weights = _cascade(_DEFAULT).detectMultiScale3(
        roi, 1.1, 1, minSize=(low, low), maxSize=(high, high), outputRejectLevels=True
    )
    near = [
        float(w)
        for (x, y, w_, h), w in zip(rects, weights, strict=False)
        if Box(x0 + x, y0 + y, w_, h).overlap(box) > 0.3
    ]
    return max(near, default=float("-inf"))


def _refine(gray: npt.NDArray[np.uint8], box: Box) -> Box:
    """The default cascade's box for the face at ``box`` (its size convention), else ``box``.

    The two cascades frame a face differently (alt2's box is up to 15 % wider); face size is
    judged on the default cascade's framing, so a face found by alt2 is re-framed by it.
    """
    roi, x0, y0, low, high = _roi(gray, box, 0.25)
    if roi.shape[0] < low or roi.shape[1] < low:
        return box
    found = _cascade(_DEFAULT).detectMultiScale(
        roi, 1.05, 2, minSize=(low, low), maxSize=(high, high)
    )
    near = [Box(x0 + x, y0 + y, w, h) for x, y, w, h in found]
    near = [b for b in near if b.overlap(box) > 0.3]
    return max(near, key=lambda b: b.overlap(box)) if near else box


def _verified(
    small: npt.NDArray[np.uint8],
    max_size: int | None = None,
    step: float = 1.1,
    min_size: int = 24,
) -> list[Box]:
    kwargs: dict[str, Any] = {"minSize": (min_size, min_size)}
    if max_size is not None:
        kwargs["maxSize"] = (max_size, max_size)
    rects = _cascade(_DEFAULT).detectMultiScale(small, step, 4, **kwargs)
    strong, weak = [], []
    for rect in rects:
        box = Box(*map(float, rect))
        weight = _weight(small, box)
        if weight >= STRONG_WEIGHT:
            strong.append(box)
        elif weight >= WEAK_WEIGHT and _agrees(small, box):
            weak.append(box)
    # A weakly verified hit stands in for a face only where no strong one exists: beside a
    # strong face it is far likelier a pattern (the astronaut's suit) than a second person.
    return strong or weak


def _second_look(gray: npt.NDArray[np.uint8]) -> tuple[list[Box], float]:
    """The second cascade at :data:`SECOND_SIDE` on a mirror-padded copy; boxes in ``gray`` px."""
    import cv2
    import numpy as np

    small, ratio = _shrink(gray, SECOND_SIDE)
    height, width = small.shape[:2]
    pad = round(_PAD * width)
    padded = np.asarray(cv2.copyMakeBorder(small, 0, 0, pad, pad, cv2.BORDER_REFLECT), np.uint8)
    found = _cascade(_ALT2).detectMultiScale(padded, 1.1, 3, minSize=(_MIN_FACE, _MIN_FACE))
    boxes: list[tuple[Box, float]] = []
    for x, y, w, h in found:
        box = _refine(padded, Box(float(x), float(y), float(w), float(h)))
        box = Box(box.x - pad, box.y, box.w, box.h)
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        if not (0 <= cx < width and 0 <= cy < height):
            continue  # a mirror image of a face in the frame
        outside = max(0.0, -box.x, box.x + box.w - width) + max(0.0, -box.y, box.y + box.h - height)
        boxes.append((box.scaled(1.0 / ratio), outside / box.w))
    boxes.sort(key=lambda pair: pair[0].area, reverse=True)
    cut = boxes[0][1] if boxes else 0.0
    return [b for b, _ in boxes], cut


def find_faces(gray: npt.NDArray[np.uint8]) -> Faces:
    """Verified faces in ``gray`` (working-image px), largest first; see the module docstring."""
    small, ratio = _shrink(gray, DETECT_SIDE)
    boxes = sorted(_verified(small, min_size=_FIRST_MIN), key=lambda b: b.area, reverse=True)
    if boxes:
        scaled = [b.scaled(1.0 / ratio) for b in boxes]
        if not _touches_edge(boxes[0], small.shape[1], small.shape[0]):
            return Faces(scaled)
        found, cut = _second_look(gray)  # how far past the edge does it reach?
        same = bool(found) and found[0].overlap(scaled[0]) > 0.2
        return Faces(scaled, cut_off=cut if same else 0.0)
    if ratio < 1.0:  # faces below the first pass's smallest, at the working size
        limit = round(_FIRST_MIN / ratio) + 4
        small_faces = sorted(_verified(gray, limit), key=lambda b: b.area, reverse=True)
        if small_faces:
            return Faces(small_faces, second_look=True)
    found, cut = _second_look(gray)
    if not found:
        agreed = _agreed(gray)
        return Faces(agreed, second_look=bool(agreed))
    return Faces(found, cut_off=cut, second_look=True)


def _agreed(gray: npt.NDArray[np.uint8]) -> list[Box]:
    """The last look: both cascades, in 5 % steps, grouped, at the same place.

    Some real faces (Einstein at his lectern: mouth open, head turned a little, lit from one
    side) reach a level weight of only 1.5-3.5 in the default cascade, and only at some window
    sizes, while patterns in the same photo reach 2.5-4.8: no weight threshold separates them.
    What the false windows never have is a grouped detection of both separately trained
    cascades on the same place (boxes overlapping by more than half). Scanning in 5 % steps
    costs about twice a 10 % scan per cascade, so it runs only where every other look found
    nothing, and only for faces from :data:`_AGREE_MIN` of the long side.
    """
    small, ratio = _shrink(gray, AGREE_SIDE)
    low = max(_MIN_FACE, round(_AGREE_MIN * max(small.shape[:2])))
    size = (low, low)
    default = _cascade(_DEFAULT).detectMultiScale(small, 1.05, 3, minSize=size)
    if len(default) == 0:
        return []
    alt2 = [
        Box(*map(float, r)) for r in _cascade(_ALT2).detectMultiScale(small, 1.05, 3, minSize=size)
    ]
    boxes = [Box(*map(float, r)) for r in default]
    agreed = [b for b in boxes if any(b.overlap(other) > 0.5 for other in alt2)]
    return sorted((b.scaled(1.0 / ratio) for b in agreed), key=lambda b: b.area, reverse=True)


def _touches_edge(box: Box, width: int, height: int) -> bool:
    return box.x <= 1 or box.y <= 1 or box.x + box.w >= width - 1 or box.y + box.h >= height - 1


def find_small_faces(gray: npt.NDArray[np.uint8], max_size: int) -> list[Box]:
    """Verified faces no wider than ``max_size`` px in ``gray`` (a finer decode), largest first."""
    boxes = _verified(gray, max_size, step=1.2)
    return sorted(boxes, key=lambda b: b.area, reverse=True)


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
