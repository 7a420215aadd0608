"""Reference consistency: are all reference photos of one person?

The set's *medoid* is the embedding with the smallest summed Euclidean distance to all the
others: unlike the mean, it is one real photo, and a minority of photos of someone else cannot
drag it towards them. Each photo's distance to the medoid is compared with the threshold (0.6,
dlib's same-person threshold on LFW): above it, the photo is rejected as ``not_same_person``.

Give the embeddings best photo first (reference scoring's rank): on a tie, for example with two
photos, the earlier one is the medoid. If most photos show someone else, the medoid is one of
them and the owner's photos are the ones rejected; that is the honest reading of such a set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_THRESHOLD", "NOT_SAME_PERSON", "Verdict", "consistency", "distance", "medoid"]

DEFAULT_THRESHOLD = 0.6
"""dlib's Euclidean same-person threshold for its 128-d embeddings (99.38% on LFW)."""
NOT_SAME_PERSON = "not_same_person"
"""The rejection code ``pinglass refs --json`` gives a photo of someone else (README.md, refs)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One reference photo's place in the set."""

    name: str
    """The key the embedding was given under (usually the file name)."""
    distance: float
    """Euclidean distance to the set's medoid (0.0 for the medoid itself)."""
    is_medoid: bool
    """This photo is the set's medoid."""
    rejected_reason: str | None
    """``"not_same_person"`` when rejected, else ``None``."""
    reason: str | None
    """The rejection in words, with the distance; ``None`` when kept."""

    @property
    def is_same_person(self) -> bool:
        """True when the photo is kept."""
        return self.rejected_reason is None


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def medoid(embeddings: Mapping[str, np.ndarray]) -> str:
    """Return the key of the set's medoid (ties go to the earliest key).

    Raises:
        ValueError: ``embeddings`` is empty.
    """
    names = list(embeddings)
    if not names:
        raise ValueError("no embeddings to take a medoid of")
    matrix = np.stack([np.asarray(embeddings[n], dtype=np.float64) for n in names])
    pairwise = np.linalg.norm(matrix[:, None, :] - matrix[None, :, :], axis=2)
    totals = pairwise.sum(axis=1)
    # argmin returns the first of equal minima; round off float noise so ties stay ties.
    return names[int(np.argmin(np.round(totals, 9)))]


def consistency(
    embeddings: Mapping[str, np.ndarray], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Verdict]:
    """Judge every photo against the set's medoid; keys and order follow ``embeddings``.

    Returns an empty dict for an empty set. A set of one keeps its photo. Idempotent.

    Raises:
        ValueError: ``threshold`` is not positive.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    if not embeddings:
        return {}
    centre = medoid(embeddings)
    verdicts: dict[str, Verdict] = {}
    for name, vector in embeddings.items():
        d = distance(vector, embeddings[centre])
        rejected = d > threshold
        verdicts[name] = Verdict(
            name=name,
            distance=d,
            is_medoid=name == centre,
            rejected_reason=NOT_SAME_PERSON if rejected else None,
            reason=(
                f"looks like a different person: face distance {d:.2f} to the set's most "
                f"typical photo ({centre}) is above {threshold:.2f}"
                if rejected
                else None
            ),
        )
    return verdicts
