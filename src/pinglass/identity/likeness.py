"""Output likeness: how much a generated portrait looks like the person in the references.

The likeness *distance* is the Euclidean distance from the output's embedding to the centroid
(mean) of the embeddings of the references actually used for the run. The centroid averages out
each reference photo's own lighting and pose, so it sits closer to "the person" than any single
photo; a same-person output is usually nearer to it than to a single reference.

The *score* maps that distance to 0–1 with a logistic centred on dlib's same-person threshold::

    score = 1 / (1 + exp((distance - 0.6) / 0.07))

0.6 is where dlib's embeddings call a pair "same person" or not (99.38% on LFW), so a score of
0.5 means "at the edge of being recognised as the person". The width 0.07 spreads the range dlib
documents for the two populations over nearly the whole scale: distance 0.4 (a clear match)
scores 0.95, 0.5 scores 0.80, 0.7 scores 0.20 and 0.8 (a typical stranger) scores 0.05. Unlike
a linear clamp, it never saturates at exactly 0 or 1, so images still rank among themselves, and
it is steepest where the decision is. The raw distance is always kept next to the score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from pinglass.identity.consistency import DEFAULT_THRESHOLD, distance

__all__ = [
    "SCORE_WIDTH",
    "Likeness",
    "LikenessSummary",
    "below",
    "centroid",
    "likeness",
    "likeness_score",
    "summarize",
]

SCORE_WIDTH = 0.07
"""Width of the distance-to-score logistic (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class Likeness:
    """How much one output looks like the references."""

    score: float
    """0–1; 0.5 at dlib's same-person threshold, higher is more alike."""
    distance: float
    """Euclidean distance from the output's embedding to the references' centroid."""


@dataclass(frozen=True, slots=True)
class LikenessSummary:
    """Likeness over a run's outputs."""

    scored: int
    """How many outputs got a likeness."""
    unscored: tuple[str, ...]
    """Outputs with no likeness (no face found, or unreadable), in the given order."""
    mean_score: float | None
    """Mean score of the scored outputs; ``None`` when none was scored."""
    min_score: float | None
    """Lowest score; ``None`` when none was scored."""
    mean_distance: float | None
    """Mean distance of the scored outputs; ``None`` when none was scored."""
    weakest: tuple[tuple[str, Likeness], ...]
    """Up to N lowest-scoring outputs, weakest first (ties keep the given order)."""


def likeness_score(dist: float) -> float:
    """Map a likeness distance to a 0–1 score (see the module docstring)."""
    z = (dist - DEFAULT_THRESHOLD) / SCORE_WIDTH
    return 1.0 / (1.0 + math.exp(min(z, 700.0)))


def centroid(reference_embeddings: Iterable[np.ndarray]) -> np.ndarray:
    """Return the mean of the reference embeddings.

    Raises:
        ValueError: no embeddings, or embeddings of different lengths.
    """
    vectors = [np.asarray(v, dtype=np.float64) for v in reference_embeddings]
    if not vectors:
        raise ValueError("likeness needs at least one reference embedding")
    if len({v.shape for v in vectors}) != 1:
        raise ValueError("reference embeddings differ in length")
    mean: np.ndarray = np.mean(np.stack(vectors), axis=0)
    return mean


def likeness(embedding: np.ndarray, reference_embeddings: Iterable[np.ndarray]) -> Likeness:
    """Return the output's likeness to the references used.

    Raises:
        ValueError: no reference embeddings, or lengths that differ.
    """
    d = distance(embedding, centroid(reference_embeddings))
    return Likeness(score=likeness_score(d), distance=d)


def summarize(results: Mapping[str, Likeness | None], weakest: int = 3) -> LikenessSummary:
    """Summarise a run's likeness results (keys are output names, e.g. files).

    Raises:
        ValueError: ``weakest`` is negative.
    """
    if weakest < 0:
        raise ValueError(f"weakest must be 0 or more, got {weakest}")
    scored = [(name, lk) for name, lk in results.items() if lk is not None]
    unscored = tuple(name for name, lk in results.items() if lk is None)
    if not scored:
        return LikenessSummary(0, unscored, None, None, None, ())
    scores = [lk.score for _, lk in scored]
    ranked = sorted(scored, key=lambda item: item[1].score)
    return LikenessSummary(
        scored=len(scored),
        unscored=unscored,
        mean_score=sum(scores) / len(scores),
        min_score=min(scores),
        mean_distance=sum(lk.distance for _, lk in scored) / len(scored),
        weakest=tuple(ranked[:weakest]),
    )


def below(results: Mapping[str, Likeness | None], min_score: float) -> list[str]:
    """Return the names scoring under ``min_score``, weakest first (for ``--min-likeness``).

    Unscored outputs are left out: without a face to measure there is no evidence either way.
    """
    weak = [(name, lk) for name, lk in results.items() if lk is not None and lk.score < min_score]
    return [name for name, _ in sorted(weak, key=lambda item: item[1].score)]
