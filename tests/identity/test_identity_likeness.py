"""Likeness score, centroid, run summary and the worker-thread scorer (with a fake embedder)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pinglass.identity import (
    Likeness,
    LikenessScorer,
    below,
    centroid,
    likeness,
    likeness_score,
    summarize,
)


def _vec(*head: float) -> np.ndarray:
    out = np.zeros(128)
    out[: len(head)] = head
    return out


class FakeEmbedder:
    """Embeds an image as its mean red level (0-1) on the first axis; black means no face."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def embedding(
        self, rgb: np.ndarray, box: tuple[int, int, int, int] | None = None
    ) -> np.ndarray | None:
        self.shapes.append(rgb.shape)
        red = float(rgb[:, :, 0].mean()) / 255.0
        return None if red == 0 else _vec(red)


def _png(red: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (red, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def test_score_is_one_half_at_the_threshold_and_falls_with_distance() -> None:
    assert likeness_score(0.6) == pytest.approx(0.5)
    assert likeness_score(0.4) == pytest.approx(0.946, abs=0.001)
    assert likeness_score(0.8) == pytest.approx(0.054, abs=0.001)
    values = [likeness_score(d) for d in (0.0, 0.3, 0.5, 0.6, 0.7, 1.2, 50.0)]
    assert values == sorted(values, reverse=True)
    assert all(0.0 <= v <= 1.0 for v in values)


def test_likeness_is_measured_to_the_centroid_of_the_references() -> None:
    refs = [_vec(0.2), _vec(-0.2), _vec(0.0, 0.3)]
    assert centroid(refs) == pytest.approx(_vec(0.0, 0.1))
    result = likeness(_vec(0.0, 0.5), refs)
    assert result.distance == pytest.approx(0.4)
    assert result.score == pytest.approx(likeness_score(0.4))


def test_centroid_refuses_no_or_mismatched_references() -> None:
    with pytest.raises(ValueError, match="at least one"):
        centroid([])
    with pytest.raises(ValueError, match="length"):
        centroid([np.zeros(128), np.zeros(64)])


def test_summary_gives_mean_min_and_the_weakest() -> None:
    results = {
        "01.png": Likeness(0.9, 0.45),
        "02.png": None,
        "03.png": Likeness(0.3, 0.66),
        "04.png": Likeness(0.6, 0.57),
    }
    summary = summarize(results, weakest=2)
    assert summary.scored == 3
    assert summary.unscored == ("02.png",)
    assert summary.mean_score == pytest.approx(0.6)
    assert summary.min_score == pytest.approx(0.3)
    assert summary.mean_distance == pytest.approx(0.56)
    assert [name for name, _ in summary.weakest] == ["03.png", "04.png"]
    assert below(results, 0.7) == ["03.png", "04.png"]


def test_summary_of_nothing_scored() -> None:
    summary = summarize({"a.png": None})
    assert (summary.scored, summary.mean_score, summary.weakest) == (0, None, ())
    with pytest.raises(ValueError, match="weakest"):
        summarize({}, weakest=-1)


def test_scorer_scores_bytes_and_paths_in_a_worker_thread(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    path = tmp_path / "out.png"
    path.write_bytes(_png(51))  # red 0.2: distance 0.2 from the reference centroid at 0.0
    with LikenessScorer(fake, [_vec(0.1), _vec(-0.1)]) as scorer:
        from_path = scorer.submit(path)
        from_bytes = scorer.submit(_png(153))  # red 0.6
        close, far = from_path.result(timeout=10), from_bytes.result(timeout=10)
    assert close is not None
    assert far is not None
    assert close.distance == pytest.approx(0.2)
    assert far.distance == pytest.approx(0.6)
    assert close.score > 0.5 > far.score - 1e-9
    assert fake.shapes == [(24, 32, 3), (24, 32, 3)]


def test_scorer_gives_none_for_no_face_or_an_unreadable_image() -> None:
    scorer = LikenessScorer(FakeEmbedder(), [_vec(0.0)])
    try:
        assert scorer.submit(_png(0)).result(timeout=10) is None
        assert scorer.submit(b"not an image").result(timeout=10) is None
        assert scorer.submit(b"").result(timeout=10) is None
    finally:
        scorer.close()
        scorer.close()


def test_scorer_future_raises_for_a_missing_file(tmp_path: Path) -> None:
    with LikenessScorer(FakeEmbedder(), [_vec(0.0)]) as scorer:
        future = scorer.submit(tmp_path / "missing.png")
        with pytest.raises(OSError):
            future.result(timeout=10)


def test_a_closed_scorer_refuses_work() -> None:
    scorer = LikenessScorer(FakeEmbedder(), [_vec(0.0)])
    scorer.close()
    with pytest.raises(RuntimeError):
        scorer.submit(_png(10))
