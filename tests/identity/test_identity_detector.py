"""The HOG frontal face detector shipped beside the identity package is dlib's own, byte for byte.

dlib builds its detector by decompressing data compiled into the library (0.5-0.8 s of CPU);
pinglass loads the same detector from a file saved with ``save()`` (about 2 ms). These tests
tie the file to the installed dlib, and check that a damaged file falls back to dlib's.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pinglass.identity._models import frontal_detector


@pytest.fixture(scope="module")
def dlib() -> ModuleType:
    return pytest.importorskip("dlib")


def _saved(detector: Any, path: Path) -> bytes:
    detector.save(str(path))
    return path.read_bytes()


@pytest.fixture(scope="module")
def dlib_own(dlib: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The installed dlib's detector as ``save()`` writes it."""
    return _saved(dlib.get_frontal_face_detector(), tmp_path_factory.mktemp("own") / "d.svm")


def test_the_shipped_detector_is_the_installed_dlibs(
    dlib: ModuleType, dlib_own: bytes, tmp_path: Path
) -> None:
    # If this fails after a dlib upgrade, write the file again:
    # dlib.get_frontal_face_detector().save("src/pinglass/identity/frontal_face_detector.svm")
    # and update _FRONTAL_SHA256 in pinglass/identity/_models.py.
    assert _saved(frontal_detector(dlib), tmp_path / "shipped.svm") == dlib_own


@pytest.mark.parametrize("damage", ["missing", "altered", "garbage"])
def test_a_damaged_file_falls_back_to_dlibs_own(
    dlib: ModuleType, dlib_own: bytes, tmp_path: Path, damage: str
) -> None:
    saved = tmp_path / "frontal_face_detector.svm"
    if damage == "altered":  # a valid detector with one weight byte changed: refused by hash
        data = bytearray(dlib_own)
        data[len(data) // 2] ^= 0x01
        saved.write_bytes(bytes(data))
    elif damage == "garbage":
        saved.write_bytes(b"not a detector")
    detector = frontal_detector(dlib, saved)
    assert _saved(detector, tmp_path / "resaved.svm") == dlib_own
