"""The run folder: its names, a write check that leaves nothing behind, and ``--fresh``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pinglass.errors import UsageError
from pinglass.run_folder import RunFolder


def _earlier_run(out: Path) -> None:
    (out / "images").mkdir(parents=True)
    (out / "images" / "01-grey.png").write_bytes(b"png")
    (out / "thumbs").mkdir()
    for name in ("journal.jsonl", "report.json", "contact-sheet.jpg", "index.html"):
        (out / name).write_text(name)


def test_the_layout_is_named_in_one_place(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "out")
    assert folder.images == tmp_path / "out" / "images"
    assert folder.journal.name == "journal.jsonl" and folder.report.name == "report.json"
    assert folder.contact_sheet.name == "contact-sheet.jpg"
    assert folder.thumbs.name == "thumbs" and folder.index_html.name == "index.html"
    assert RunFolder.image_file("07-boardroom", "png") == "images/07-boardroom.png"
    assert not (tmp_path / "out").exists()  # a value: naming touches no disk


def test_the_write_check_leaves_no_folder_behind(tmp_path: Path) -> None:
    RunFolder(tmp_path / "a" / "b" / "run").check_writable()
    assert list(tmp_path.iterdir()) == []


def test_the_write_check_leaves_an_existing_folder_as_it_was(tmp_path: Path) -> None:
    _earlier_run(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    RunFolder(tmp_path).check_writable()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_file_in_the_way_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(UsageError, match=r"--out .*taken: is a file, not a folder"):
        RunFolder(tmp_path / "taken").check_writable()
    with pytest.raises(UsageError, match=r"--out .*taken/run: cannot write there"):
        RunFolder(tmp_path / "taken" / "run").check_writable()


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions, not root"
)
def test_a_read_only_parent_is_a_usage_error_and_nothing_is_left(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot write there"):
            RunFolder(locked / "new" / "run").check_writable()
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_set_aside_moves_every_file_of_the_earlier_run(tmp_path: Path) -> None:
    _earlier_run(tmp_path)
    (tmp_path / "notes.txt").write_text("the user's own file")
    (tmp_path / "filtered").mkdir()
    (tmp_path / "filtered" / "03-beach.png").write_bytes(b"flagged, billed")
    folder = RunFolder(tmp_path)
    assert folder.has_run()
    moved = folder.set_aside("20261129-180000")
    assert sorted(p.name for p in moved) == [
        "contact-sheet.before-20261129-180000.jpg",
        "filtered.before-20261129-180000",
        "images.before-20261129-180000",
        "index.before-20261129-180000.html",
        "journal.before-20261129-180000.jsonl",
        "report.before-20261129-180000.json",
        "thumbs.before-20261129-180000",
    ]
    assert not folder.has_run()
    assert (tmp_path / "images.before-20261129-180000" / "01-grey.png").read_bytes() == b"png"
    assert (tmp_path / "notes.txt").exists()  # not a run file: stays where it is


def test_set_aside_twice_in_one_second_keeps_both(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    (tmp_path / "report.json").write_text("first")
    folder.set_aside("S")
    (tmp_path / "report.json").write_text("second")
    assert [p.name for p in folder.set_aside("S")] == ["report.before-S-2.json"]
    assert (tmp_path / "report.before-S.json").read_text() == "first"


def test_set_aside_on_a_missing_or_empty_folder_moves_nothing(tmp_path: Path) -> None:
    assert RunFolder(tmp_path / "missing").set_aside() == []
    assert RunFolder(tmp_path).set_aside() == []
