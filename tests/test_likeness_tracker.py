"""The likeness of a re-run's reused images comes from ``images/.likeness.jsonl``.

A counting stub stands in for the dlib worker (the tracker's ``scorer`` seam): a re-run into the
same folder scores none of its unchanged images, and scores again an image whose bytes changed
or that is measured against other references.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from pinglass._likeness import LikenessRecord, LikenessTracker, references_key
from pinglass.identity.likeness import Likeness
from pinglass.identity.outputs import IdentitySetup
from pinglass.run_folder import RunFolder
from pinglass.runner.results import ImageResult

pytestmark = pytest.mark.anyio

FILES = ("images/01-a.png", "images/02-b.png", "images/03-c.png")


class CountingScorer:
    """Scores every image 0.9 (no face when its bytes say so) and records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def submit(self, image: Path, used: tuple[str, ...]) -> Future[Likeness | None]:
        self.calls.append((image.name, tuple(used)))
        future: Future[Likeness | None] = Future()
        faceless = image.read_bytes().startswith(b"noface")
        future.set_result(None if faceless else Likeness(score=0.9, distance=0.45))
        return future

    def close(self, *, wait: bool = True) -> None:
        return None


def _setup(*names: str, seed: int = 0) -> IdentitySetup:
    rng = np.random.default_rng(seed)
    return IdentitySetup(reason=None, references={n: rng.normal(size=128) for n in names})


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir(parents=True, exist_ok=True)
    for i, file in enumerate(FILES):
        (tmp_path / file).write_bytes(b"noface" if i == 2 else f"image {i}".encode())
    return tmp_path


def _row(file: str, status: Literal["succeeded", "reused"], ref: str = "a.jpg") -> ImageResult:
    index = FILES.index(file) + 1
    return ImageResult(
        index=index, prompt_id=file, prompt="p", status=status, file=file, reference=ref
    )


async def _run(
    folder: Path, setup: IdentitySetup, status: Literal["succeeded", "reused"], ref: str = "a.jpg"
) -> tuple[CountingScorer, dict[str, Likeness | None]]:
    scorer, scores = CountingScorer(), {}
    tracker = LikenessTracker(setup, folder, scores, on_update=lambda: None, scorer=scorer)
    for file in FILES:
        tracker.submit(_row(file, status, ref))
    await tracker.drain()
    tracker.close()
    return scorer, scores


async def test_a_rerun_scores_none_of_its_reused_images(tmp_path: Path) -> None:
    folder, setup = _folder(tmp_path), _setup("a.jpg", "b.jpg")
    first, made = await _run(folder, setup, "succeeded")
    assert len(first.calls) == 3
    assert made[FILES[0]] == Likeness(score=0.9, distance=0.45) and made[FILES[2]] is None

    again, reused = await _run(folder, setup, "reused")
    assert again.calls == []
    assert reused == made  # the no-face answer is kept too


async def test_an_image_whose_bytes_changed_is_scored_again(tmp_path: Path) -> None:
    folder, setup = _folder(tmp_path), _setup("a.jpg", "b.jpg")
    await _run(folder, setup, "succeeded")
    (folder / FILES[1]).write_bytes(b"made again")
    again, _ = await _run(folder, setup, "reused")
    assert again.calls == [("02-b.png", ("a.jpg",))]


async def test_other_references_are_scored_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    await _run(folder, _setup("a.jpg", "b.jpg"), "succeeded")
    # the image used another of the chosen references
    other_ref, _ = await _run(folder, _setup("a.jpg", "b.jpg"), "reused", ref="b.jpg")
    assert len(other_ref.calls) == 3
    # the same name, but a different photo behind it (its embedding changed)
    other_photo, _ = await _run(folder, _setup("a.jpg", "b.jpg", seed=1), "reused")
    assert len(other_photo.calls) == 3
    # and back to the first set: nothing to score
    same, _ = await _run(folder, _setup("a.jpg", "b.jpg"), "reused")
    assert same.calls == []


async def test_a_damaged_record_only_costs_a_rescore(tmp_path: Path) -> None:
    folder, setup = _folder(tmp_path), _setup("a.jpg")
    await _run(folder, setup, "succeeded")
    record = folder / RunFolder.LIKENESS
    lines = record.read_text().splitlines()
    torn = [lines[0][:20], '{"file": 3}', "[]", lines[1].replace("0.9", '"high"'), lines[2]]
    record.write_text("\n".join(torn) + "\n")
    again, scores = await _run(folder, setup, "reused")
    assert again.calls == [("01-a.png", ("a.jpg",)), ("02-b.png", ("a.jpg",))]
    assert scores[FILES[2]] is None
    third, _ = await _run(folder, setup, "reused")  # the rescored ones were recorded again
    assert third.calls == []
    known = LikenessRecord(folder).get(FILES[0], *_measured(folder, FILES[0], setup))
    assert known == (True, Likeness(score=0.9, distance=0.45))


def _measured(folder: Path, file: str, setup: IdentitySetup) -> tuple[str, str]:
    digest = hashlib.sha256((folder / file).read_bytes()).hexdigest()
    return digest, references_key([setup.references["a.jpg"]])


def test_key_ignores_float_noise_but_not_a_different_embedding() -> None:
    vector = np.random.default_rng(0).normal(size=128)
    assert references_key([vector]) == references_key([vector + 1e-9])
    assert references_key([vector]) != references_key([vector + 1e-3])
    assert references_key([vector]) != references_key([vector, vector])
