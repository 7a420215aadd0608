"""References leave the machine only as EXIF-free face crops (no GPS), checked on the wire.

Photos tagged with a GPS position go through a real ``pinglass generate`` process against the
Replicate stand-in, which keeps the bytes of every reference upload.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hardening_support import GOOD_REFS, SAMPLE_REFS, clean_env, run_cli, write_tiny_preset
from PIL import Image, ImageOps

from standin import StandIn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

_GPS_IFD = 0x8825
_GPS = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.25), 5: 0, 6: 35.0}
_MAKER = "SecretPhone 12"


def _gps_tagged(img: Image.Image, target: Path) -> tuple[int, int]:
    """Save ``img`` as ``target`` with camera and GPS tags; return its upright size (px)."""
    exif = img.getexif()
    exif[0x010F] = _MAKER  # Make
    exif[_GPS_IFD] = _GPS
    img.save(target, quality=95, exif=exif.tobytes())
    with Image.open(target) as check:  # the tags really are in the file we feed in
        assert check.getexif().get_ifd(_GPS_IFD)[1] == "N"
        return ImageOps.exif_transpose(check).size


def _on_a_big_canvas(source: Path) -> Image.Image:
    """The photo pasted into a wide scene, so the head-and-shoulders crop is a small part."""
    with Image.open(source) as img:
        upright = ImageOps.exif_transpose(img).convert("RGB")
    canvas = Image.new("RGB", (upright.width * 3, upright.height * 2), (90, 110, 90))
    canvas.paste(upright, (upright.width, upright.height // 2))
    return canvas


def test_uploaded_references_are_exif_free_face_crops(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    wide, *plain = GOOD_REFS
    sizes = {wide: _gps_tagged(_on_a_big_canvas(SAMPLE_REFS / wide), refs / wide)}
    for name in plain:
        with Image.open(SAMPLE_REFS / name) as img:
            sizes[name] = _gps_tagged(img, refs / name)
    out = tmp_path / "run"
    args = ["generate", str(refs), "--preset", str(write_tiny_preset(tmp_path)), "--json"]
    args += ["--provider", "replicate", "--out", str(out), "--yes"]
    with StandIn(latency=0.1) as server:
        env = clean_env(
            REPLICATE_API_TOKEN="r8_privacy_token_0000000001",
            PINGLASS_REPLICATE_BASE_URL=server.base_url,
            PINGLASS_POLL_INTERVAL="0.05",
        )
        result = run_cli(tmp_path, *args, env=env)
    assert "Traceback" not in result.output
    assert result.code == 0, result.output
    used = {r["file"] for r in json.loads(result.stdout)["references"] if r["used"]}
    assert used == set(GOOD_REFS)
    assert sorted(name for name, _, _ in server.uploads) == sorted(used)  # each one once
    sent_sizes = {}
    for name, ctype, data in server.uploads:
        assert ctype == "image/jpeg", name
        assert b"Exif" not in data and _MAKER.encode() not in data, name
        with Image.open(io.BytesIO(data)) as sent:
            assert not sent.getexif(), name
            assert not sent.info.get("exif") and not sent.info.get("xmp"), name
            sent_sizes[name] = sent.size
        # Re-encoded upright and no larger than the photo (a selfie whose face fills the
        # frame is its own head-and-shoulders crop); never over 1024 px on the long side.
        assert sent_sizes[name][0] * sent_sizes[name][1] <= sizes[name][0] * sizes[name][1]
        assert max(sent_sizes[name]) <= 1024
    # In the wide scene only the head and shoulders leave: a 3:4 crop, a fraction of the frame.
    width, height = sent_sizes[wide]
    assert abs(width / height - 3 / 4) < 0.02, sent_sizes[wide]
    assert width * height < sizes[wide][0] * sizes[wide][1] / 4
