"""Regenerate the two public-domain portrait crops the identity tests use.

Run once with scikit-image installed (it is not needed to run the tests)::

    python tests/data/identity/make_images.py

- ``astronaut.jpg``: head-and-shoulders crop of ``skimage.data.astronaut()``, NASA's portrait of
  astronaut Eileen Collins; "No known copyright restrictions, released into the public domain"
  (scikit-image's docstring; NASA Great Images, https://flic.kr/p/r9qvLn).
- ``cameraman.jpg``: crop around the photographer in ``skimage.data.camera()``; "No copyright
  restrictions. CC0 by the photographer (Lav Varshney)" (scikit-image's docstring; the image
  replaced the old MIT cameraman in scikit-image 0.18, see scikit-image issue 3927).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).parent
QUALITY = 92


def main() -> None:
    """Write both crops next to this script (overwrites; same bytes for one scikit-image)."""
    astronaut = data.astronaut()[0:330, 60:390]
    cameraman = np.asarray(data.camera())[40:300, 110:370]
    Image.fromarray(astronaut).save(HERE / "astronaut.jpg", quality=QUALITY)
    Image.fromarray(cameraman).convert("RGB").save(HERE / "cameraman.jpg", quality=QUALITY)


if __name__ == "__main__":
    main()
