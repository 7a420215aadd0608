"""The ``pinglass refs --json`` contract (README.md, refs) as pydantic models.

Fields may be added, never renamed. Internal data that must not reach the JSON (the face box
used by :func:`pinglass.refs.prepare`) is excluded from serialisation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MetricValue", "RefScore", "RefsReport", "RejectedReason"]

RejectedReason = Literal[
    "unreadable",
    "no_face",
    "face_cut_off",
    "multiple_faces",
    "face_too_small",
    "duplicate",
    "not_same_person",
]
"""Why a photo is not used (the rejection codes in README.md, refs)."""

MetricValue = float | int | str | bool | None


class RefScore(BaseModel):
    """One reference photo's verdict."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    file: str
    """File name relative to the scored folder."""
    usable: bool
    """True when the photo may be sent to a provider."""
    score: float = Field(ge=0.0, le=100.0)
    """Quality 0-100: 100 minus the penalties below (0 when nothing could be measured)."""
    rank: int | None = None
    """1-based position among usable photos, best first; null when rejected."""
    rejected_reason: RejectedReason | None = None
    """Rejection code, or null when usable."""
    detail: str | None = None
    """The rejection in words, or null when usable."""
    penalties: list[str] = Field(default_factory=list)
    """Every deduction, in words, with the measured number and the points taken."""
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    """Raw measures: sizes in original pixels, shares and luminance 0-1."""
    face_box: tuple[int, int, int, int] | None = Field(default=None, exclude=True, repr=False)
    """Largest face (left, top, width, height) in upright original pixels; never serialised."""


class RefsReport(BaseModel):
    """``{"references": [...]}``: usable photos best first, rejected ones last."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)

    references: list[RefScore]
    """Every photo in the folder that looks like an image file."""

    @property
    def usable(self) -> list[RefScore]:
        """The usable photos, best first."""
        return [ref for ref in self.references if ref.usable]
