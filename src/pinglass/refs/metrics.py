"""Image-quality measures on a normalised face crop (numpy plus a few OpenCV filters).

Every function takes the grey face crop that :func:`pinglass.refs.faces.crop_normalised` makes
(:data:`FACE_SIZE` px square, luma 0-255) and returns raw numbers; turning them into a score is
:mod:`pinglass.refs.scoring`'s job. Measuring on a fixed-size face crop, not on the frame, is
ISO/IEC 29794-5 (and OFIQ) practice: the same face gives the same numbers whatever the framing,
the camera resolution or the background.

* **Sharpness** — how much detail the face keeps at a fixed face scale: on the inner face at
  :data:`FACE_SIZE` px, the standard deviation of the band between Gaussian blurs of sigma 1 and
  2 px over that of the band between sigma 2 and 4 px. A ratio of two bands of the same face, so
  it does not move with brightness, contrast or skin tone; the sigma-1 pre-blur drops film grain
  and JPEG blocking (finer than 1 px at this scale); and because the face is resampled to a fixed
  size, the same photo up- or downscaled gives the same number. Blur lowers it: on the scikit-
  image astronaut, 0.71 clean, 0.57 with a blur of 1 % of the face width, 0.43 at 2 %, 0.37 at
  4 %; grain, JPEG quality 40 and 95 and scales 0.5x-4x stay within 0.70-0.73. The variance of
  the Laplacian is kept as a raw metric only: grain raised it by half and darkening cut it by
  nine tenths.
* **Exposure** — mean luminance of the inner face (0-1), the shares of clipped pixels, dark
  (<= 25) and bright (>= 247) (OFIQ's thresholds for under- and over-exposure), and the 1st and
  99th percentiles: the darkest and brightest parts of the face.
* **Lighting uniformity** — OFIQ's illumination uniformity: the intersection of the normalised
  32-bin histograms of the left and right halves of the inner face (1 = same light on both sides,
  near 0 = one half in shadow).
* **Contrast** — standard deviation of the inner face's luminance (0-1) and its 5-95 percentile
  range; a flat, hazy face has little of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FACE_SIZE",
    "Contrast",
    "Exposure",
    "contrast",
    "exposure",
    "inner_face",
    "lighting_uniformity",
    "sharpness",
]

FACE_SIZE = 128
"""Side, in px, of the normalised face crop every measure is taken on."""

DARK_LEVEL = 25
"""Luma at or below which a pixel counts as clipped dark (0-255)."""

BRIGHT_LEVEL = 247
"""Luma at or above which a pixel counts as clipped bright (0-255)."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """Mean luminance (0-1) and the shares (0-1) of clipped dark and bright pixels."""

    mean: float
    dark_share: float
    bright_share: float
    low: float = 0.0
    """1st percentile of luminance (0-1): the darkest part of the face."""
    high: float = 1.0
    """99th percentile of luminance (0-1): the brightest part of the face."""


@dataclass(frozen=True, slots=True)
class Contrast:
    """Standard deviation and 5-95 percentile range of luminance, both 0-1."""

    std: float
    spread: float


def inner_face(face: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The central part of the face box: 70 % of the width, from 20 % to 90 % of the height.

    The Haar box includes forehead hair and cheek edges with background; the inner part is skin,
    eyes, nose and mouth.
    """
    side = face.shape[0]
    x0, x1 = round(0.15 * side), round(0.85 * side)
    y0, y1 = round(0.2 * side), round(0.9 * side)
    return face[y0:y1, x0:x1]


def sharpness(face: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """(detail ratio, Laplacian variance) of the inner face; see the module docstring."""
    import cv2
    import numpy as np

    inner = inner_face(face)
    pixels = inner.astype(np.float32)
    b1 = cv2.GaussianBlur(pixels, (0, 0), 1.0)
    b2 = cv2.GaussianBlur(pixels, (0, 0), 2.0)
    b4 = cv2.GaussianBlur(pixels, (0, 0), 4.0)
    detail = float((b1 - b2).std()) / max(float((b2 - b4).std()), 1e-3)
    laplacian = float(cv2.Laplacian(inner, cv2.CV_32F, ksize=3).var())
    return detail, laplacian


def exposure(face: npt.NDArray[np.uint8]) -> Exposure:
    """Mean luminance, clipped shares and 1st/99th percentiles of the inner face."""
    import numpy as np

    inner = inner_face(face)
    count = float(inner.size)
    low, high = np.percentile(inner, (1, 99))
    return Exposure(
        mean=float(inner.mean()) / 255.0,
        dark_share=float((inner <= DARK_LEVEL).sum()) / count,
        bright_share=float((inner >= BRIGHT_LEVEL).sum()) / count,
        low=float(low) / 255.0,
        high=float(high) / 255.0,
    )


def lighting_uniformity(face: npt.NDArray[np.uint8]) -> float:
    """Histogram intersection (0-1) of the left and right halves of the inner face."""
    import numpy as np

    inner = inner_face(face)
    half = inner.shape[1] // 2
    left, _ = np.histogram(inner[:, :half], bins=32, range=(0, 256))
    right, _ = np.histogram(inner[:, -half:], bins=32, range=(0, 256))
    left_n = left / max(1, left.sum())
    right_n = right / max(1, right.sum())
    return float(np.minimum(left_n, right_n).sum())


def contrast(face: npt.NDArray[np.uint8]) -> Contrast:
    """Luminance spread of the inner face."""
    import numpy as np

    inner = inner_face(face)
    low, high = np.percentile(inner, (5, 95))
    return Contrast(std=float(inner.std()) / 255.0, spread=float(high - low) / 255.0)
