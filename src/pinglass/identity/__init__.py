"""Identity checks (the optional ``pinglass[identity]`` extra): landmarks, consistency, likeness.

dlib (``dlib-bin``) with the models ``face-recognition-models`` ships inside the package gives
5-point landmarks (inter-eye distance, roll, yaw) and 128-d face embeddings. With them pinglass
rejects reference photos of a different person (:func:`consistency`, code ``not_same_person``)
and scores each output's likeness to the references used (:func:`likeness`,
:class:`LikenessScorer`).

This package imports without dlib: check :func:`available` (and show
:func:`unavailable_reason`, which says the checks were skipped and how to install them) before
building a :class:`FaceAnalyzer`. dlib itself is imported only when an analyzer is built.
"""

from __future__ import annotations

from pinglass.identity._decode import decode_rgb
from pinglass.identity._models import (
    IdentityUnavailable,
    available,
    unavailable_reason,
)
from pinglass.identity.analyzer import EMBEDDING_SIZE, FaceAnalyzer
from pinglass.identity.consistency import (
    DEFAULT_THRESHOLD,
    NOT_SAME_PERSON,
    Verdict,
    consistency,
    distance,
    medoid,
)
from pinglass.identity.geometry import Box, Landmarks, inter_eye_score, landmarks_from_points
from pinglass.identity.likeness import (
    Likeness,
    LikenessSummary,
    below,
    centroid,
    likeness,
    likeness_score,
    summarize,
)
from pinglass.identity.scorer import Embedder, LikenessScorer

__all__ = [
    "DEFAULT_THRESHOLD",
    "EMBEDDING_SIZE",
    "NOT_SAME_PERSON",
    "Box",
    "Embedder",
    "FaceAnalyzer",
    "IdentityUnavailable",
    "Landmarks",
    "Likeness",
    "LikenessScorer",
    "LikenessSummary",
    "Verdict",
    "available",
    "below",
    "centroid",
    "consistency",
    "decode_rgb",
    "distance",
    "inter_eye_score",
    "landmarks_from_points",
    "likeness",
    "likeness_score",
    "medoid",
    "summarize",
    "unavailable_reason",
]
