"""Build ``sample_refs/``: reference photos of one person, good and bad, made reproducibly.

Source: ``skimage.data.astronaut()``, the public-domain NASA portrait of astronaut Eileen Collins
(512 x 512). scikit-image is needed only to rerun this script; pinglass and its tests read the
committed JPEGs. Every random choice uses a fixed seed, so a rerun with the same Pillow and numpy
writes the same pictures.

The names are camera-style so their nature is not obvious from sorting. What each one is, and
what ``pinglass refs sample_refs`` should say about it:

==============  ========================================================  =======================
file            what it is                                                expected verdict
==============  ========================================================  =======================
IMG_0412.jpg    clean head-and-shoulders crop, even studio light          usable (top group)
IMG_0415.jpg    clean tight portrait, warmer; stored rotated, EXIF 6      usable
IMG_0419.jpg    clean medium shot (whole frame), a little brighter        usable
IMG_0423.jpg    clean, mirrored, wider crop, cooler; stored rotated, EXIF 8  usable
IMG_0427.jpg    clean, softer and slightly lower contrast; stored upside  usable
                down, EXIF 3
IMG_0431.jpg    IMG_0412's framing, out of focus (Gaussian blur)          penalised: sharpness
IMG_0436.jpg    underexposed, crushed shadows                             penalised: exposure
IMG_0438.jpg    harsh side light: one half of the face in shadow          penalised: lighting
IMG_0441.jpg    tiny face: a wide shot padded into a large backdrop       rejected: face_too_small
IMG_0444.jpg    near-duplicate of IMG_0412 (re-saved smaller, nudged)     rejected: duplicate
IMG_0447.jpg    no face: the shuttle model and backdrop                   rejected: no_face
IMG_0450.jpg    clean 3/4-length crop with a little more contrast         usable
IMG_0453.jpg    two people side by side (a collage of two crops)          rejected: multiple_faces
==============  ========================================================  =======================

Usage: ``python scripts/make_sample_refs.py [OUT_DIR]`` (default ``sample_refs``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps

SEED = 20261123
MAX_BYTES = 200_000
ORIENTATION_TAG = 0x0112

# Crop boxes on the 512 x 512 source (left, top, right, bottom); the face is near (177, 66, 95, 95).
HEAD_SHOULDERS = (105, 8, 345, 328)
TIGHT = (140, 22, 310, 232)
WIDER = (85, 0, 375, 380)
THREE_QUARTER = (60, 0, 400, 453)
NO_FACE = (340, 0, 512, 290)
FACE_CENTRE = (225.0, 113.0)

Array = np.ndarray
Build = Callable[[Image.Image, np.random.Generator], tuple[Image.Image, int]]


def _pose(src: Image.Image, tilt: float, squash: float) -> Image.Image:
    """Tilt the head by ``tilt`` degrees and squash horizontally, both about the face centre."""
    if tilt == 0.0 and squash == 1.0:
        return src
    matrix = cv2.getRotationMatrix2D(FACE_CENTRE, tilt, 1.0)
    matrix[0, :] *= squash
    matrix[0, 2] += FACE_CENTRE[0] * (1.0 - squash)
    arr = cv2.warpAffine(
        np.asarray(src), matrix, src.size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )
    return Image.fromarray(arr)


def _resize(img: Image.Image, box: tuple[int, int, int, int], width: int) -> Image.Image:
    crop = img.crop(box)
    height = round(width * crop.height / crop.width)
    return crop.resize((width, height), Image.Resampling.LANCZOS)


def _tone(
    img: Image.Image,
    *,
    gain: float = 1.0,
    gamma: float = 1.0,
    rgb: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = np.clip(arr * gain * np.asarray(rgb, dtype=np.float32), 0.0, 1.0) ** gamma
    return Image.fromarray((arr * 255.0 + 0.5).astype(np.uint8))


def _contrast(img: Image.Image, factor: float) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    mean = arr.mean()
    return Image.fromarray(np.clip((arr - mean) * factor + mean, 0, 255).astype(np.uint8))


def _grain(img: Image.Image, rng: np.random.Generator, sigma: float = 2.0) -> Image.Image:
    """Mild sensor noise so the upscaled crops do not look synthetic."""
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + rng.normal(0.0, sigma, size=arr.shape[:2])[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def clean_head_shoulders(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    return _grain(_resize(src, HEAD_SHOULDERS, 900), rng), 1


def clean_tight(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _tone(_resize(src, TIGHT, 820), rgb=(1.04, 1.0, 0.94))
    return _grain(img, rng), 6


def clean_medium(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _tone(src.resize((1024, 1024), Image.Resampling.LANCZOS), gain=1.06)
    return _grain(img, rng), 1


def clean_mirrored(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _tone(ImageOps.mirror(_resize(src, WIDER, 870)), rgb=(0.96, 1.0, 1.05))
    return _grain(img, rng), 8


def clean_soft(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _contrast(_resize(src, HEAD_SHOULDERS, 840), 0.85)
    return _grain(img, rng), 3


def blurred(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _resize(src, HEAD_SHOULDERS, 900).filter(ImageFilter.GaussianBlur(9))
    return _grain(img, rng), 1


def too_dark(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _tone(_resize(src, TIGHT, 760), gain=0.45, gamma=2.1)
    return _grain(img, rng, sigma=1.5), 1


def side_lit(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _resize(src, TIGHT, 800)
    arr = np.asarray(img, dtype=np.float32)
    # A hard key light from the left: bright left half, the right half falls into shadow.
    x = np.linspace(-1.0, 1.0, arr.shape[1], dtype=np.float32)
    ramp = 1.45 - 1.3 / (1.0 + np.exp(-9.0 * x))
    arr = np.clip(arr * ramp[None, :, None], 0, 255)
    return _grain(Image.fromarray(arr.astype(np.uint8)), rng), 1


def tiny_face(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    canvas_w, canvas_h = 2400, 1600
    # A mottled studio backdrop, like the source's, so the padding looks like a wide shot.
    low = rng.normal(0.0, 1.0, size=(9, 13, 1)).astype(np.float32)
    tint = np.asarray([196.0, 190.0, 184.0], dtype=np.float32)
    backdrop = Image.fromarray(np.clip(tint + 16 * low, 0, 255).astype(np.uint8))
    canvas = backdrop.resize((canvas_w, canvas_h), Image.Resampling.BICUBIC)
    person = src.resize((560, 560), Image.Resampling.LANCZOS)
    canvas.paste(person, (canvas_w // 2 - 280, canvas_h - 560))
    return _grain(canvas, rng, sigma=1.5), 1


def near_duplicate(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    left, top, right, bottom = HEAD_SHOULDERS
    box = (left + 3, top + 2, right + 3, bottom + 2)
    img = _tone(_resize(src, box, 640), gain=1.03)
    return _grain(img, rng), 1


def no_face(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    return _grain(_resize(src, NO_FACE, 700), rng), 1


def three_quarter(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    img = _contrast(_resize(src, THREE_QUARTER, 960), 1.12)
    return _grain(img, rng), 1


def two_people(src: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, int]:
    left = _resize(src, HEAD_SHOULDERS, 600)
    right = _tone(ImageOps.mirror(_resize(src, HEAD_SHOULDERS, 560)), rgb=(1.0, 0.97, 0.95))
    canvas = Image.new("RGB", (1200, 800), (196, 190, 186))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (620, 54))
    return _grain(canvas, rng), 1


# name -> (head tilt in degrees, horizontal squash, builder). Tilt and squash stand in for the
# pose changes between real shots, so each photo's face differs (perceptual hash) from the others;
# only the near-duplicate shares IMG_0412's pose on purpose.
SAMPLES: dict[str, tuple[float, float, Build]] = {
    "IMG_0412.jpg": (0.0, 1.0, clean_head_shoulders),
    "IMG_0415.jpg": (7.0, 1.0, clean_tight),
    "IMG_0419.jpg": (-9.0, 1.0, clean_medium),
    "IMG_0423.jpg": (2.0, 1.0, clean_mirrored),
    "IMG_0427.jpg": (-3.0, 0.85, clean_soft),
    "IMG_0431.jpg": (10.0, 0.94, blurred),
    "IMG_0436.jpg": (-8.0, 0.9, too_dark),
    "IMG_0438.jpg": (3.0, 1.0, side_lit),
    "IMG_0441.jpg": (0.0, 1.0, tiny_face),
    "IMG_0444.jpg": (0.0, 1.0, near_duplicate),
    "IMG_0447.jpg": (0.0, 1.0, no_face),
    "IMG_0450.jpg": (-3.0, 1.08, three_quarter),
    "IMG_0453.jpg": (5.0, 1.0, two_people),
}

# Pixels as stored for each EXIF orientation, so that a viewer applying the tag shows `img`.
_STORE = {
    1: lambda im: im,
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
}


def write_jpeg(img: Image.Image, orientation: int, path: Path) -> int:
    """Save `img` as it should display, storing rotated pixels plus the orientation tag."""
    stored = _STORE[orientation](img)
    exif = Image.Exif()
    exif[0x010F] = "NASA"  # Make
    exif[0x0110] = "pinglass sample"  # Model
    if orientation != 1:
        exif[ORIENTATION_TAG] = orientation
    for quality in (90, 86, 82, 78, 74, 70):
        stored.save(path, "JPEG", quality=quality, exif=exif.tobytes(), optimize=True)
        if path.stat().st_size < MAX_BYTES:
            break
    with Image.open(path) as check:
        shown = ImageOps.exif_transpose(check)
        if shown.size != img.size:
            raise RuntimeError(f"{path.name}: orientation round-trip failed")
    return path.stat().st_size


def main(argv: list[str]) -> int:
    from skimage import data  # only needed to rebuild the samples

    out = Path(argv[1]) if len(argv) > 1 else Path("sample_refs")
    out.mkdir(parents=True, exist_ok=True)
    src = Image.fromarray(data.astronaut()).convert("RGB")
    for index, (name, (tilt, squash, build)) in enumerate(SAMPLES.items()):
        rng = np.random.default_rng(SEED + index)
        img, orientation = build(_pose(src, tilt, squash), rng)
        size = write_jpeg(img, orientation, out / name)
        print(f"{name}  {img.width}x{img.height}  orientation {orientation}  {size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
