"""The extra is optional: availability, the message without dlib, and safe decoding."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from pinglass.identity import FaceAnalyzer, IdentityUnavailable, available, decode_rgb
from pinglass.identity import unavailable_reason as reason


def test_available_here_with_the_extra_installed() -> None:
    pytest.importorskip("dlib")
    assert available()
    assert reason() is None


def test_without_dlib_everything_says_the_checks_were_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # what `import dlib` sees when not installed
    assert not available()
    assert "skipped" in (reason() or "")
    assert "pinglass[identity]" in (reason() or "")
    with pytest.raises(IdentityUnavailable, match="pinglass\\[identity\\]"):
        FaceAnalyzer()


def test_without_the_models_package_the_reason_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dlib")
    monkeypatch.setitem(sys.modules, "face_recognition_models", None)
    assert "face-recognition-models is not installed" in (reason() or "")


def test_the_package_imports_without_loading_dlib() -> None:
    code = (
        "import sys; sys.modules['dlib'] = None; import pinglass.identity as i; "
        "assert not i.available(); print(i.unavailable_reason())"
    )
    done = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("identity checks skipped")


def _png(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_decode_gives_rgb_from_bytes_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(_png((40, 30)))
    for source in (path, path.read_bytes()):
        rgb = decode_rgb(source)
        assert rgb is not None
        assert rgb.shape == (30, 40, 3)
        assert tuple(rgb[0, 0]) == (200, 10, 10)


def test_decode_applies_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 0, 255)).save(buf, format="JPEG", exif=exif.tobytes())
    rgb = decode_rgb(buf.getvalue())
    assert rgb is not None
    assert rgb.shape[:2] == (40, 20)


def test_decode_refuses_garbage_empty_and_bombs() -> None:
    assert decode_rgb(b"") is None
    assert decode_rgb(b"GIF89a but not really") is None
    # A valid PNG header claiming 100000 x 100000 pixels: refused before any allocation.
    data = bytearray(_png((8, 8)))
    ihdr = struct.pack(">II", 100_000, 100_000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    assert decode_rgb(bytes(data)) is None


def test_no_identity_skips_the_checks_even_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from pinglass.identity.outputs import NO_IDENTITY_REASON, setup
    from pinglass.settings import Settings

    off = setup(enabled=False)
    assert not off.available and off.check is None and off.detector is None
    assert off.reason == NO_IDENTITY_REASON
    monkeypatch.setenv("PINGLASS_NO_IDENTITY", "1")
    assert Settings(_env_file=None).no_identity is True  # type: ignore[call-arg]


def test_refs_no_identity_flag_scores_without_dlib(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinglass.cli import app

    refs = Path(__file__).resolve().parents[2] / "sample_refs"
    result = CliRunner().invoke(app, ["refs", str(refs), "--json", "--no-identity"])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(result.stdout)
    metrics = [r["metrics"] for r in doc["references"] if r["usable"]]
    assert metrics and all("identity_distance" not in m for m in metrics)
    assert {r["rejected_reason"] for r in doc["references"]} >= {"no_face", "duplicate"}
