"""Reference consistency on synthetic embeddings whose distances are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from pinglass.identity import NOT_SAME_PERSON, consistency, distance, medoid


def _vec(*head: float) -> np.ndarray:
    """A 128-d embedding with the given leading values and zeros after."""
    out = np.zeros(128)
    out[: len(head)] = head
    return out


def test_distance_is_euclidean() -> None:
    assert distance(_vec(0.3, 0.4), _vec()) == pytest.approx(0.5)


def test_a_stranger_among_one_person_is_rejected_with_the_distance() -> None:
    refs = {
        "a.jpg": _vec(0.0),
        "b.jpg": _vec(0.1),
        "c.jpg": _vec(-0.1),
        "stranger.jpg": _vec(0.0, 0.8),
    }
    verdicts = consistency(refs)
    assert list(verdicts) == list(refs)
    assert verdicts["a.jpg"].is_medoid
    assert [v.name for v in verdicts.values() if v.is_same_person] == ["a.jpg", "b.jpg", "c.jpg"]
    stranger = verdicts["stranger.jpg"]
    assert stranger.rejected_reason == NOT_SAME_PERSON
    assert stranger.distance == pytest.approx(0.8)
    assert stranger.reason is not None
    assert "0.80" in stranger.reason
    assert "a.jpg" in stranger.reason
    assert verdicts["b.jpg"].reason is None


def test_the_threshold_is_configurable() -> None:
    refs = {"a": _vec(0.0), "b": _vec(0.05), "c": _vec(0.5)}
    assert consistency(refs)["c"].is_same_person
    assert consistency(refs, threshold=0.3)["c"].rejected_reason == NOT_SAME_PERSON


def test_the_medoid_resists_a_minority_of_strangers() -> None:
    refs = {"x": _vec(0, 3.0), "y": _vec(0, 3.1), "a": _vec(0.0), "b": _vec(0.05), "c": _vec(-0.05)}
    assert medoid(refs) == "a"


def test_ties_go_to_the_first_photo() -> None:
    verdicts = consistency({"best.jpg": _vec(0.0), "other.jpg": _vec(0.9)})
    assert verdicts["best.jpg"].is_medoid
    assert verdicts["other.jpg"].rejected_reason == NOT_SAME_PERSON


def test_one_photo_is_kept_and_none_gives_nothing() -> None:
    only = consistency({"solo.jpg": _vec(0.2)})["solo.jpg"]
    assert only.is_same_person
    assert only.distance == 0.0
    assert consistency({}) == {}


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        consistency({"a": _vec()}, threshold=0)
    with pytest.raises(ValueError, match="no embeddings"):
        medoid({})
