"""The studio's own index.html: a card per person linking their page, checked in Chromium.

The page of a real studio run (mock provider, 3 prompts per person, one person skipped) is
opened in headless Chromium through tests/gallery/chromium_cdp.py; the DOM must hold a card per
person, each runnable person's thumbnail must have loaded and link to their own index.html,
and the skipped person's card says why. Skips with the reason where no Chromium is installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from studio_support import ONLY, PEOPLE, TOO_FEW, make_people
from typer.testing import CliRunner

from pinglass.cli import app
from pinglass.studio.gallery import render_studio_page
from pinglass.studio.models import Counts, PersonEntry, StudioBudget, StudioReport, StudioTotals

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gallery"))
from chromium_cdp import Browser, find_chromium  # noqa: E402

CHROMIUM, WHY_NOT = find_chromium()


@pytest.fixture(scope="module")
def studio_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("studio-gallery")
    people = make_people(root / "people", {**PEOPLE, "dora": TOO_FEW})
    out = root / "out"
    env = {"PINGLASS_MOCK_LATENCY": "0", "PINGLASS_NO_IDENTITY": "1", "COLUMNS": "100"}
    args = ["generate", str(people), "--provider", "mock", "--only", ONLY, "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--yes"], env=env)
    assert result.exit_code == 1, result.stderr  # dora is skipped
    return out


def test_person_names_and_reasons_are_text(tmp_path: Path) -> None:
    report = StudioReport(
        studio_id="x",
        started_at="2026-11-29T00:00:00Z",  # type: ignore[arg-type]
        status="partial",
        source="manifest",
        budget=StudioBudget(),
        people=[
            PersonEntry(
                person="a<b>",
                status="skipped",
                reason="<script>alert(1)</script>",
                preset="business",
                out="a<b>",
                counts=Counts(),
            )
        ],
        totals=StudioTotals(people=1, skipped=1),
    )
    html = render_studio_page(report, tmp_path)
    assert "<script>alert(1)</script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason=WHY_NOT)
def test_the_studio_page_links_every_person_with_a_thumbnail(studio_out: Path) -> None:
    assert CHROMIUM is not None
    shots = Path(os.environ.get("GALLERY_SHOTS_DIR") or studio_out)
    with Browser(CHROMIUM, width=1280, height=900) as b:
        b.navigate((studio_out / "index.html").as_uri())
        b.wait_for("document.readyState === 'complete'")
        b.wait_for("Array.from(document.images).every(i => i.complete)")
        cards = b.evaluate(
            "Array.from(document.querySelectorAll('li.person')).map(c => ({"
            " person: c.dataset.person, status: c.dataset.status,"
            " img: (c.querySelector('img') || {}).naturalWidth || 0,"
            " href: (c.querySelector('h2 a') || {}).href || null,"
            " text: c.textContent.replace(/\\s+/g, ' ') }))"
        )
        b.screenshot(shots / "studio-desktop.png")
        b.viewport(390, 844, mobile=True)
        b.screenshot(shots / "studio-phone.png")
    assert [c["person"] for c in cards] == [*PEOPLE, "dora"]
    for card in cards[:3]:
        assert card["status"] == "completed" and card["img"] > 0
        assert card["href"] == (studio_out / card["person"] / "index.html").as_uri()
        assert "3 made, 0 reused" in card["text"] and "$0.0000" in card["text"]
    dora = cards[3]
    assert dora["status"] == "skipped" and dora["href"] is None and dora["img"] == 0
    assert "only 2 usable reference photos" in dora["text"]
