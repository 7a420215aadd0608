"""Contact sheets are paged: at most 48 tiles per file, named in order, stale pages removed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from pinglass.report import (
    SHEET_NAME,
    ImageEntry,
    Report,
    build_contact_sheets,
    sheet_names,
)
from pinglass.report.models import Budget, PresetInfo


def _report(n: int) -> Report:
    images = [
        ImageEntry(index=i, prompt_id=f"p{i:04d}", prompt="x", status="not_run")
        for i in range(1, n + 1)
    ]
    return Report(
        run_id="r1",
        started_at=datetime(2026, 11, 29, tzinfo=UTC),
        status="completed",
        preset=PresetInfo(name="scale", path="scale.toml", sha256="0" * 64),
        provider_chain=["mock/mock-portrait"],
        budget=Budget(estimated_cost_usd=0.0),
        images=images,
    )


def test_sheet_names_page_by_48() -> None:
    assert sheet_names(0) == [SHEET_NAME]
    assert sheet_names(48) == ["contact-sheet.jpg"]
    assert sheet_names(49) == ["contact-sheet.jpg", "contact-sheet-02.jpg"]
    names = sheet_names(920)
    assert len(names) == 20 and names[-1] == "contact-sheet-20.jpg"


def test_pages_hold_at_most_48_tiles_each(tmp_path: Path) -> None:
    paths = build_contact_sheets(_report(100), tmp_path)
    assert [p.name for p in paths] == sheet_names(100)
    sizes = []
    for path in paths:
        with Image.open(path) as img:
            sizes.append(img.size)
    # 48, 48 and 4 tiles: six columns of eight rows twice, then one row of four.
    assert sizes[0] == sizes[1]
    assert sizes[2][0] < sizes[0][0] and sizes[2][1] < sizes[0][1]


def test_a_smaller_rerun_removes_pages_it_no_longer_draws(tmp_path: Path) -> None:
    build_contact_sheets(_report(150), tmp_path)
    assert (tmp_path / "contact-sheet-04.jpg").is_file()
    paths = build_contact_sheets(_report(60), tmp_path)
    on_disk = sorted(p.name for p in tmp_path.glob("contact-sheet*.jpg"))
    assert on_disk == ["contact-sheet-02.jpg", "contact-sheet.jpg"]
    assert [p.name for p in paths] == ["contact-sheet.jpg", "contact-sheet-02.jpg"]


def test_fresh_sets_every_page_aside_and_a_new_run_leaves_them_alone(tmp_path: Path) -> None:
    from pinglass.run_folder import RunFolder

    build_contact_sheets(_report(100), tmp_path)
    folder = RunFolder(tmp_path)
    assert folder.has_run()
    moved = folder.set_aside("20261129-190000")
    assert sorted(p.name for p in moved) == [
        "contact-sheet-02.before-20261129-190000.jpg",
        "contact-sheet-03.before-20261129-190000.jpg",
        "contact-sheet.before-20261129-190000.jpg",
    ]
    assert not folder.has_run()
    build_contact_sheets(_report(10), tmp_path)  # one page: nothing set aside is removed
    assert len(list(tmp_path.glob("*.before-*.jpg"))) == 3
