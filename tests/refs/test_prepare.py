"""prepare(): the face-centred crop that leaves the machine carries no metadata."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image
from refs_helpers import SAMPLE_REFS, clean_image, save, shrunk_into

from pinglass.errors import RefsError
from pinglass.refs import RefScore, faces, prepare, score_folder


def _with_gps(img: Image.Image, path: Path) -> Path:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Selfie 12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 11.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 1.2)
    save(img, path, quality=92, exif=exif.tobytes())
    with Image.open(path) as check:  # the input really has GPS
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return path


def test_prepared_bytes_have_no_exif_and_no_gps(tmp_path: Path) -> None:
    photo = _with_gps(shrunk_into(clean_image(900), 1.0, (1600, 1400)), tmp_path / "gps.jpg")
    ref = score_folder(tmp_path).references[0]

    out = prepare(tmp_path, ref)

    assert out.mime == "image/jpeg"
    assert out.name == photo.name
    assert b"Exif" not in out.data
    assert b"PhoneCo" not in out.data
    with Image.open(io.BytesIO(out.data)) as img:
        assert not img.getexif()
        assert "exif" not in img.info


def test_crop_is_face_centred_and_bounded(tmp_path: Path) -> None:
    save(shrunk_into(clean_image(1200), 1.0, (3000, 2000)), tmp_path / "wide.jpg", quality=90)
    ref = score_folder(tmp_path).references[0]

    out = prepare(tmp_path, ref, max_side=512)

    with Image.open(io.BytesIO(out.data)) as img:
        assert max(img.size) <= 512
        assert img.height > img.width  # a head-and-shoulders portrait, not the wide frame
        gray = np.asarray(img.convert("L"))
    box = faces.find_faces(gray).boxes[0]
    centre_x = (box.x + box.w / 2) / gray.shape[1]
    assert centre_x == pytest.approx(0.5, abs=0.08)


def test_exif_rotated_photo_comes_out_upright(tmp_path: Path) -> None:
    report = score_folder(SAMPLE_REFS)
    ref = next(r for r in report.references if r.file == "IMG_0415.jpg")  # stored with EXIF 6

    out = prepare(SAMPLE_REFS, ref)

    with Image.open(io.BytesIO(out.data)) as img:
        gray = np.asarray(img.convert("L"))
    assert faces.find_faces(gray).boxes, "the face must be found upright in the prepared crop"


def test_ref_from_json_without_face_box_is_found_again(tmp_path: Path) -> None:
    save(clean_image(800), tmp_path / "a.jpg", quality=90)
    scored = score_folder(tmp_path).references[0]
    loaded = RefScore.model_validate(scored.model_dump())  # JSON round-trip drops the box

    assert loaded.face_box is None
    assert prepare(tmp_path, loaded).data == prepare(tmp_path, scored).data


def test_unreadable_photo_is_a_refs_error(tmp_path: Path) -> None:
    (tmp_path / "zero.jpg").write_bytes(b"")
    ref = RefScore(file="zero.jpg", usable=True, score=90.0, rank=1)
    with pytest.raises(RefsError, match="zero.jpg"):
        prepare(tmp_path, ref)
