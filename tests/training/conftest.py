"""Training tests: loopback stand-ins allowed, small refs folders, plans built without scoring."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_REFS = ROOT / "sample_refs"
CLEAN = ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg")


@pytest.fixture
def loopback(no_network: respx.MockRouter) -> Iterator[None]:
    """Let requests to a stand-in (127.0.0.1 only) through the network guard."""
    no_network.route(host="127.0.0.1").pass_through()
    yield


@pytest.fixture
def small_refs(tmp_path: Path) -> Path:
    """Three clean photos of one person (the repo's sample_refs)."""
    folder = tmp_path / "refs"
    folder.mkdir()
    for name in CLEAN:
        shutil.copy(SAMPLE_REFS / name, folder / name)
    return folder


def jpeg(color: str = "teal", size: int = 64) -> bytes:
    """A small JPEG standing in for a face crop."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, "JPEG")
    return out.getvalue()
