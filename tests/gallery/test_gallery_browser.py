"""The gallery page of a real mock run, opened in headless Chromium (Debian's ``chromium``).

Through the DevTools protocol (tests/gallery/chromium_cdp.py, standard library only) the test
reads the page's live DOM after its script ran: the grid holds 23 tiles, the detail view opens
from a link and moves with the arrow keys, and a prompt holding ``<script>alert(1)</script>``
shows as text while no dialog opens. Screenshots at 1280 and 390 px go to tmp_path, or to
``$GALLERY_SHOTS_DIR`` when set. Skips with the reason where no Chromium is installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium_cdp import Browser, find_chromium
from gallery_support import SCRIPT, SCRIPT_PROMPT

CHROMIUM, WHY_NOT = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason=WHY_NOT),
]

# Counts a dialog even if one slipped past the DevTools event: set before any page script runs.
_TRAP = (
    "window.__dialogs = 0; window.alert = window.confirm = window.prompt = "
    "function () { window.__dialogs += 1; };"
)
_READY = "document.documentElement.dataset.ready === '1'"
_IMAGES_SHOWN = (
    "Array.from(document.images).filter(i => { const r = i.getBoundingClientRect();"
    " return i.getAttribute('src') && r.bottom > 0 && r.top < innerHeight && r.width > 0; })"
    ".every(i => i.complete)"
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, width=1280, height=900) as b:
        b.call("Page.addScriptToEvaluateOnNewDocument", {"source": _TRAP})
        yield b


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("GALLERY_SHOTS_DIR") or tmp_path)


def _open(b: Browser, url: str) -> None:
    b.navigate(url)
    b.wait_for(_READY)
    b.wait_for(_IMAGES_SHOWN)


def _no_dialog(b: Browser) -> None:
    assert not [e for e in b.events if e["method"] == "Page.javascriptDialogOpening"]
    assert b.evaluate("window.__dialogs") == 0


def test_grid_holds_23_tiles(browser: Browser, mock_run_dir: Path, shots: Path) -> None:
    _open(browser, (mock_run_dir / "index.html").as_uri())
    assert browser.evaluate("document.querySelectorAll('#grid > li.tile').length") == 23
    assert browser.evaluate("document.querySelectorAll('#grid img[loading=lazy]').length") == 23
    assert browser.evaluate("document.getElementById('detail').hidden") is True
    assert browser.evaluate("document.getElementById('shown').textContent") == "23 of 23 shown"
    browser.screenshot(shots / "gallery-desktop.png")
    _no_dialog(browser)


def test_detail_view_opens_and_shows_the_script_prompt_as_text(
    browser: Browser, mock_run_dir: Path, shots: Path
) -> None:
    _open(browser, (mock_run_dir / "index.html").as_uri() + f"#img-{SCRIPT_PROMPT}")
    browser.wait_for("document.getElementById('d-full').complete")
    visible = (
        "(() => { const d = document.getElementById('detail'); const r = d.getBoundingClientRect();"
        " return !d.hidden && getComputedStyle(d).display !== 'none' && r.width > 600"
        " && r.height > 600; })()"
    )
    assert browser.evaluate(visible) is True
    assert browser.evaluate("document.getElementById('d-title').textContent") == (
        f"{SCRIPT_PROMPT:02d} studio-navy"
    )
    prompt = browser.evaluate("document.getElementById('d-prompt').textContent")
    assert SCRIPT in prompt and "<b>bold</b>" in prompt
    # shown as text: no element was made from it, and the only scripts are the page's own two
    assert browser.evaluate("document.querySelectorAll('#d-prompt *').length") == 0
    assert browser.evaluate("document.querySelectorAll('#detail b').length") == 0
    assert browser.evaluate("document.scripts.length") == 2
    full = browser.evaluate("document.getElementById('d-full')")
    assert full is not None
    assert browser.evaluate("document.getElementById('d-full').naturalWidth") > 512
    assert browser.evaluate(
        "document.querySelector('#d-refs img').getAttribute('src').startsWith('thumbs/refs/')"
    )
    assert browser.evaluate("document.querySelector('#d-refs img').naturalWidth") > 0
    browser.screenshot(shots / "gallery-detail.png")
    _no_dialog(browser)

    browser.key("ArrowRight", 39)
    browser.wait_for(f"location.hash === '#img-{SCRIPT_PROMPT + 1}'")
    assert browser.evaluate("document.getElementById('d-title').textContent").startswith(
        f"{SCRIPT_PROMPT + 1:02d} "
    )
    browser.key("ArrowLeft", 37)
    browser.key("ArrowLeft", 37)
    browser.wait_for(f"location.hash === '#img-{SCRIPT_PROMPT - 1}'")
    browser.key("Escape", 27)
    browser.wait_for("document.getElementById('detail').hidden")
    _no_dialog(browser)


def test_sorting_filter_and_keep_survive_a_reload(browser: Browser, mock_run_dir: Path) -> None:
    url = (mock_run_dir / "index.html").as_uri()
    _open(browser, url)
    browser.evaluate(
        "(() => { const s = document.getElementById('sort'); s.value = 'like-asc';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    likes = browser.evaluate(
        "Array.from(document.querySelectorAll('#grid > li')).map(t => parseFloat(t.dataset.like))"
    )
    assert likes == sorted(likes)
    browser.evaluate("document.querySelectorAll('#grid .keep')[0].click()")
    browser.evaluate("document.querySelectorAll('#grid .keep')[4].click()")
    kept = browser.evaluate("document.querySelectorAll('#grid > li.kept').length")
    assert kept == 2
    _open(browser, url)  # localStorage keeps the choice
    assert browser.evaluate("document.getElementById('kept-count').textContent") == "2"
    browser.evaluate("document.getElementById('export').click()")
    exported = browser.evaluate("document.getElementById('export-text').value").split()
    assert len(exported) == 2 and all(name.startswith("images/") for name in exported)
    browser.evaluate(
        "(() => { const s = document.getElementById('filter'); s.value = 'kept';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    shown = "Array.from(document.querySelectorAll('#grid > li')).filter(t => !t.hidden).length"
    assert browser.evaluate(shown) == 2


def test_phone_width(browser: Browser, mock_run_dir: Path, shots: Path) -> None:
    browser.viewport(390, 844, mobile=True)
    _open(browser, (mock_run_dir / "index.html").as_uri())
    columns = browser.evaluate(
        "getComputedStyle(document.getElementById('grid')).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    assert browser.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    browser.screenshot(shots / "gallery-phone.png")
    _open(browser, (mock_run_dir / "index.html").as_uri() + f"#img-{SCRIPT_PROMPT}")
    browser.wait_for("document.getElementById('d-full').complete")
    assert browser.evaluate("document.getElementById('detail').scrollWidth") <= 390
    browser.screenshot(shots / "gallery-phone-detail.png")
    _no_dialog(browser)
