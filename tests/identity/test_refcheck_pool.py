"""The identity check's worker processes: a stuck worker never hangs the run."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pinglass.identity import refcheck
from pinglass.refs.checks import FacePhoto

pytestmark = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods(), reason="the worker processes are forked"
)


class _Ready:
    def ready(self) -> None:
        return None


def _stuck(photo: FacePhoto) -> refcheck.Measured:
    time.sleep(60)
    return None


@pytest.fixture
def measured_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The photos measured in this process (the check's own ``_measure``, stubbed)."""
    measured: list[str] = []

    def here(self: Any, photo: FacePhoto) -> refcheck.Measured:
        measured.append(photo.file)
        return None

    monkeypatch.setattr(refcheck.IdentityCheck, "_measure", here)
    return measured


def _photos(folder: Path) -> list[FacePhoto]:
    return [FacePhoto(f"p{i}.jpg", folder / f"p{i}.jpg", (0, 0, 10, 10), 90.0) for i in (1, 2)]


def test_photos_a_stuck_worker_holds_are_measured_in_this_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, measured_here: list[str]
) -> None:
    monkeypatch.setattr(refcheck, "_measure_in_worker", _stuck)  # what the forked workers run
    monkeypatch.setattr(refcheck.threading, "active_count", lambda: 1)  # as in the CLI
    monkeypatch.setattr(refcheck, "_POOL_GRACE_S", 0.5)
    monkeypatch.setattr(refcheck, "_PHOTO_BUDGET_S", 0.1)
    check = refcheck.IdentityCheck(_Ready(), workers=2)  # type: ignore[arg-type]

    start = time.monotonic()
    assert check._measure_all(_photos(tmp_path)) == [None, None]

    assert time.monotonic() - start < 10
    assert measured_here == ["p1.jpg", "p2.jpg"]


def test_no_worker_is_forked_while_other_threads_are_alive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, measured_here: list[str]
) -> None:
    """A fork copies only the calling thread; a lock another thread holds would stay held."""

    def no_pool(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("forked while another thread was alive")

    monkeypatch.setattr(refcheck, "ProcessPoolExecutor", no_pool)
    check = refcheck.IdentityCheck(_Ready(), workers=2)  # type: ignore[arg-type]
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert check._measure_all(_photos(tmp_path)) == [None, None]
    finally:
        release.set()
        other.join()
    assert measured_here == ["p1.jpg", "p2.jpg"]


def _named(photo: FacePhoto) -> refcheck.Measured:
    return photo.file  # type: ignore[return-value] - a stand-in that says which photo it measured


def test_results_keep_the_photos_order_whatever_order_the_workers_take(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, measured_here: list[str]
) -> None:
    """The smallest faces (the finest decodes) go to the workers first; each result still
    lands at its own photo's place, which the one-person check's order depends on."""
    monkeypatch.setattr(refcheck, "_measure_in_worker", _named)  # what the forked workers run
    monkeypatch.setattr(refcheck.threading, "active_count", lambda: 1)  # as in the CLI
    widths = (300, 40, 120, 40, 900)
    photos = [
        FacePhoto(f"p{i}.jpg", tmp_path / f"p{i}.jpg", (0, 0, w, w), 90.0)
        for i, w in enumerate(widths)
    ]
    check = refcheck.IdentityCheck(_Ready(), workers=2)  # type: ignore[arg-type]

    assert check._measure_all(photos) == [p.file for p in photos]
    assert measured_here == []  # all of them in the workers
