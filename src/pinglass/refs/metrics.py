"""Image-quality measures on a normalised face crop (numpy plus a few OpenCV filters).

Every function takes the grey face crop that :func:`pinglass.refs.faces.crop_normalised` makes
(:data:`FACE_SIZE` px square, luma 0-255) and returns raw numbers; turning them into a score is
:mod:`pinglass.refs.scoring`'s job. Measuring on a fixed-size face crop, not on the frame, is
ISO/IEC 29794-5 (and OFIQ) practice: the same face gives the same numbers whatever the framing,
the camera resolution or the background.

* **Sharpness** — variance of the Laplacian (3 x 3) on the crop at :data:`FACE_SIZE` and at half
  that size. The fine scale catches slight softness; the coarse scale separates real blur from
  JPEG noise, which only lives at the fine scale. Measured on the inner face (the central 70 %),
  so hair and background edges do not count.
* **Exposure** — mean luminance of the inner face (0-1) and the shares of clipped pixels: dark
  (<= 25) and bright (>= 247), the thresholds OFIQ uses for under- and over-exposure.
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
    """Variance of the Laplacian of the inner face at full and at half size (fine, coarse)."""
    import cv2

    inner = inner_face(face)
    fine = float(cv2.Laplacian(inner, cv2.CV_32F, ksize=3).var())
    half = cv2.resize(inner, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    coarse = float(cv2.Laplacian(half, cv2.CV_32F, ksize=3).var())
    return fine, coarse


def exposure(face: npt.NDArray[np.uint8]) -> Exposure:
    """Mean luminance and clipped shares of the inner face."""
    inner = inner_face(face)
    count = float(inner.size)
    return Exposure(
        mean=float(inner.mean()) / 255.0,
        dark_share=float((inner <= DARK_LEVEL).sum()) / count,
        bright_share=float((inner >= BRIGHT_LEVEL).sum()) / count,
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
