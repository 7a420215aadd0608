"""``pinglass report OUT --keep list.txt``: the kept images copied to OUT/kept/."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallery_support import synthetic_run
from typer.testing import CliRunner

from fifo_guard import call_with_timeout, make_fifo
from pinglass.cli import app
from pinglass.errors import UsageError
from pinglass.report import write_report
from pinglass.report.gallery.keep import keep_images


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    write_report(synthetic_run(folder), folder)
    return folder


def report(out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", str(out), *args])
    return result.exit_code, result.stdout, result.stderr


def test_keep_copies_the_listed_images_and_writes_the_page(out: Path, tmp_path: Path) -> None:
    listing = tmp_path / "kept.txt"
    # what the page's export writes, plus a bare file name, a comment and a blank line
    listing.write_text(
        "images/01-window-light.jpg\n\n# the re-roll looked better\n02-neon~r1.jpg\n"
    )
    code, stdout, stderr = report(out, "--keep", str(listing))
    assert code == 0, stderr
    kept = sorted(p.name for p in (out / "kept").iterdir())
    assert kept == ["01-window-light.jpg", "02-neon~r1.jpg"]
    assert (out / "kept/01-window-light.jpg").read_bytes() == (
        out / "images/01-window-light.jpg"
    ).read_bytes()
    assert "kept: 2 images copied" in stdout
    assert (out / "index.html").is_file() and "gallery:" in stdout


def test_a_name_that_is_not_an_image_of_this_run_is_one_line_naming_file_and_line(
    out: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "kept.txt"
    listing.write_text("images/01-window-light.jpg\n\nimages/99-nope.jpg\n")
    code, _, stderr = report(out, "--keep", str(listing))
    assert code == 2
    assert stderr.strip().count("\n") == 0 and "Traceback" not in stderr
    assert (
        f"{listing}:3:" in stderr and "'images/99-nope.jpg' is not an image of this run" in stderr
    )
    assert not (out / "kept").exists()  # nothing copied when the list is wrong


@pytest.mark.parametrize(
    "name",
    [
        "../outside.jpg",  # the tampered entry that points outside the folder
        "report.json",  # in the folder, but not an image
        "images/03-rooftop.jpg",  # a failed prompt has no image
        "/etc/passwd",
    ],
)
def test_names_outside_the_run_are_refused(out: Path, tmp_path: Path, name: str) -> None:
    listing = tmp_path / "kept.txt"
    listing.write_text(name + "\n")
    with pytest.raises(UsageError, match=r"kept\.txt:1: .* is not an image of this run"):
        keep_images(synthetic_run(out), out, listing)


def test_a_missing_list_is_one_line(out: Path, tmp_path: Path) -> None:
    code, _, stderr = report(out, "--keep", str(tmp_path / "nope.txt"))
    assert code == 2 and "nope.txt: no such file" in stderr


def test_a_list_that_is_a_fifo_is_one_line_never_waited_on(out: Path, tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "kept.txt")
    code, _, stderr = call_with_timeout(fifo, report, out, "--keep", str(fifo))
    assert code == 2 and "Traceback" not in stderr
    assert stderr.strip() == f"error: {fifo}: not a regular file (the list of kept images)"
    assert not (out / "kept").exists()


def test_keeping_again_leaves_exactly_the_new_list(out: Path, tmp_path: Path) -> None:
    listing = tmp_path / "kept.txt"
    listing.write_text("images/01-window-light.jpg\nimages/02-neon.png\n")
    keep_images(synthetic_run(out), out, listing)
    (out / "kept/notes.txt").write_text("mine")  # not ours: left alone
    listing.write_text("images/02-neon.png\n")
    copies = keep_images(synthetic_run(out), out, listing)
    assert [p.name for p in copies] == ["02-neon.png"]
    assert sorted(p.name for p in (out / "kept").iterdir()) == ["02-neon.png", "notes.txt"]
