"""The gallery page as HTML: escaping, relative paths, no local path or key, thumbnails, CSP."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from gallery_support import SCRIPT, Page, jpeg, synthetic_run
from PIL import Image

from canary import CANARY
from pinglass.report.gallery import GALLERY_NAME, THUMB_PX, render_page, write_gallery
from pinglass.report.models import IdentitySummary


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "run"


def build(out: Path, **kw: object) -> tuple[str, Page]:
    report = synthetic_run(out)
    path = write_gallery(report, out, **kw)  # type: ignore[arg-type]
    assert path == out / GALLERY_NAME
    html = path.read_text(encoding="utf-8")
    return html, Page(html)


def test_hostile_text_is_text_and_only_our_two_scripts_exist(out: Path) -> None:
    html, page = build(out)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>me</b>" not in html
    assert "<i>brand</i>" not in html
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None]
    # The detail data round-trips to the exact strings, so the script shows them as text.
    data = page.data()
    assert SCRIPT in data["img-1"]["prompt"] and "</script>" in data["img-1"]["prompt"]
    assert data["img-1"]["references"][0]["name"] == "<b>me</b> & you.jpg"
    assert data["img-3"]["error"]["message"].startswith("<img src=x onerror=alert(2)>")
    text = " ".join(page.text)
    assert "<i>brand</i>" in text  # the preset name, shown as text
    assert "<img src=x onerror=alert(2)>" in text  # the failed tile's message, as text
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_the_inline_script_and_style_match_the_content_security_policy(out: Path) -> None:
    html, page = build(out)
    csp = next(
        a["content"] for t, a in page.elements if a.get("http-equiv") == "Content-Security-Policy"
    )
    script = next(body for attrs, body in page.scripts if "type" not in attrs)
    style = page.styles[0]

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(script)}'" in csp
    assert f"style-src 'sha256-{digest(style)}'" in csp
    assert "default-src 'none'" in csp
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_every_link_is_relative_and_points_into_the_folder(out: Path) -> None:
    html, page = build(out)
    urls = [a[k] for _, a in page.elements for k in ("src", "href") if k in a]
    data = page.data()
    for detail in data.values():
        urls += [u for u in (detail["src"], detail["thumb"]) if u]
        urls += [r["src"] for r in detail["references"] if r["src"]]
        urls += [u for r in detail["rerolls"] for u in (r["src"], r["thumb"]) if u]
    assert urls
    for url in urls:
        if url.startswith("#"):
            continue
        parsed = urlparse(url)
        assert not parsed.scheme and not parsed.netloc and not url.startswith("/"), url
        target = (out / unquote(parsed.path)).resolve()
        assert target.is_relative_to(out.resolve()) and target.is_file(), url
    # the tampered entry pointing outside the folder gets no picture and no link
    assert "outside.jpg" not in html
    assert data["img-5"]["src"] is None


def test_no_local_path_and_no_key_in_the_page(out: Path) -> None:
    html, _ = build(out)
    assert str(out.resolve()) not in html and str(out.parent) not in html
    assert str(Path.home()) not in html and "/home/someone" not in html
    assert "my-presets" not in html  # the preset's path is never shown
    assert CANARY not in html and CANARY[-4:] not in html and "sk-" not in html
    roots = re.search(r"[\"'\s(=]/(tmp|home|root|work|Users|var|etc|opt|mnt)/", html)
    assert roots is None, f"an absolute path leaked: {roots}"


def test_tiles_in_prompt_order_with_status_likeness_and_errors(out: Path) -> None:
    _, page = build(out)
    tiles = page.tiles()
    assert [t["id"] for t in tiles] == ["img-1", "img-2", "img-3", "img-4", "img-5"]
    assert [t["data-status"] for t in tiles] == [
        "succeeded",
        "succeeded",
        "failed",
        "not_run",
        "succeeded",
    ]
    assert tiles[0]["data-like"] == "0.4200" and "weak" in tiles[0]["class"]
    assert tiles[2]["data-like"] == "" and "data-file" not in tiles[2]
    text = " ".join(page.text)
    assert "content rejected" in text and "not requested" in text
    assert "missing or unreadable" in text  # the tampered tile is marked, not linked
    detail = page.data()["img-1"]
    fields = dict(detail["fields"])
    assert fields["seed"] == "1000" and fields["attempts"] == "2"
    assert fields["cost"] == "$0.0400 (provider)" and fields["model"] == "mock/mock-portrait"
    assert fields["likeness"].startswith("0.420")
    assert page.data()["img-2"]["rerolls"][0]["seed"] == "77"


def test_grid_images_are_lazy_thumbnails_with_their_size(out: Path) -> None:
    _, page = build(out)
    imgs = [a for t, a in page.elements if t == "img" and a.get("src")]
    assert len(imgs) == 2
    for img in imgs:
        assert img["src"].startswith("thumbs/") and img["loading"] == "lazy"
        with Image.open(out / unquote(img["src"])) as thumb:
            assert thumb.size == (int(img["width"]), int(img["height"]))
            assert max(thumb.size) == THUMB_PX
    assert (imgs[0]["width"], imgs[0]["height"]) == ("398", "512")  # 896x1152 keeps 7:9
    assert (imgs[1]["width"], imgs[1]["height"]) == ("512", "384")  # 1024x768 keeps 4:3
    # full-size images are only named in the detail data, loaded when a detail view opens
    assert not any(t == "img" and a.get("src", "").startswith("images/") for t, a in page.elements)


def test_reference_crops_are_copied_into_the_folder(out: Path, tmp_path: Path) -> None:
    crop = jpeg(tmp_path / "crop.jpg", (600, 600), "tan").read_bytes()
    _, page = build(out, references={"<b>me</b> & you.jpg": crop})
    ref = page.data()["img-1"]["references"][0]
    assert ref["src"].startswith("thumbs/refs/") and (out / unquote(ref["src"])).is_file()
    # a later `pinglass report OUT` (no crops at hand) still finds the copy
    again = Page(render_page(synthetic_run(out), out))
    assert again.data()["img-1"]["references"][0]["src"] == ref["src"]


def test_thumbnails_are_only_rewritten_when_the_image_changes(out: Path) -> None:
    report = synthetic_run(out)
    write_gallery(report, out)
    thumb = out / "thumbs/01-window-light.jpg"
    old = thumb.stat().st_mtime - 100
    os.utime(out / "images/01-window-light.jpg", (old, old))
    before = thumb.stat().st_mtime_ns
    write_gallery(report, out)
    assert thumb.stat().st_mtime_ns == before
    jpeg(out / "images/01-window-light.jpg", (512, 512), "red")  # a newer image
    write_gallery(report, out)
    with Image.open(thumb) as img:
        assert img.size == (512, 512)


def test_an_unreadable_image_gets_a_marked_tile(out: Path) -> None:
    report = synthetic_run(out)
    (out / "images/02-neon.png").write_bytes(b"not an image")
    page = Page(render_page(report, out))
    tile = page.tiles()[1]
    assert "data-file" not in tile
    assert page.data()["img-2"]["src"] is None


def test_contact_sheets_on_disk_are_linked_and_min_likeness_is_written_as_given(
    out: Path,
) -> None:
    report = synthetic_run(out)
    jpeg(out / "contact-sheet.jpg")
    jpeg(out / "contact-sheet-02.jpg")
    report.contact_sheets = ["contact-sheet.jpg", "contact-sheet-02.jpg", "contact-sheet-03.jpg"]
    report.identity = IdentitySummary(
        available=True,
        scored=3,
        mean_likeness=0.61,
        min_likeness=0.42,
        below_min=["img-1"],
        min_likeness_required=0.5,
    )
    page = Page(write_gallery(report, out).read_text(encoding="utf-8"))
    links = [a["href"] for tag, a in page.elements if tag == "a" and "contact-sheet" in a["href"]]
    assert links == ["contact-sheet.jpg", "contact-sheet-02.jpg"]  # -03 is not on disk
    text = " ".join(page.text)
    assert "still under --min-likeness 0.5" in text and "0.50" not in text
