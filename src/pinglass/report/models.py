"""``report.json``: the contract other tools script against (DESIGN.md, Contracts).

Fields are only ever added, never renamed. Money is USD as JSON numbers with 6 decimals;
``cost_source`` says whether a figure is the catalog estimate or what the provider billed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SCHEMA_VERSION",
    "Budget",
    "ImageEntry",
    "ImageErrorEntry",
    "Likeness",
    "PresetInfo",
    "ReferenceEntry",
    "Report",
    "Totals",
]

SCHEMA_VERSION = 1

_CONFIG = ConfigDict(use_attribute_docstrings=True, extra="ignore")


class PresetInfo(BaseModel):
    """Which preset ran."""

    model_config = _CONFIG
    name: str
    path: str
    """The preset file that was read."""
    sha256: str
    """Digest of the preset file's bytes, so a run can be matched to its exact prompts."""


class ReferenceEntry(BaseModel):
    """A reference photo's verdict (the ``pinglass refs --json`` entry) plus whether it was used."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="allow")
    file: str
    usable: bool
    score: float
    rank: int | None = None
    rejected_reason: str | None = None
    penalties: list[str] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    used: bool = False
    """True when this photo was sent (as a face crop) to the provider."""


class Budget(BaseModel):
    """The spend cap and the estimate the run was approved at (USD)."""

    model_config = _CONFIG
    max_cost_usd: float | None = None
    estimated_cost_usd: float
    worst_case_usd: float | None = None
    """Estimate if every image fell back to the dearest model in the chain."""


class ImageErrorEntry(BaseModel):
    """Why an image failed: taxonomy kind and a one-line message."""

    model_config = _CONFIG
    kind: str
    message: str


class Likeness(BaseModel):
    """How much an output looks like the references used (identity extra)."""

    model_config = _CONFIG
    score: float
    """0–1, higher is more alike."""
    distance: float
    """Raw face-embedding distance to the references' centroid (same person < 0.6)."""


class ImageEntry(BaseModel):
    """One prompt's image."""

    model_config = _CONFIG
    index: int
    prompt_id: str
    prompt: str
    status: Literal["succeeded", "reused", "failed", "not_run"]
    """``succeeded`` made now · ``reused`` done by an earlier run into this folder, not requested
    again · ``failed`` · ``not_run`` (stopped, over budget, or excluded)."""
    file: str | None = None
    """Path relative to the output folder."""
    provider: str | None = None
    model: str | None = None
    key: str | None = None
    """The key used, masked."""
    reference: str | None = None
    """The reference file sent (the first, when several were)."""
    references: list[str] = Field(default_factory=list)
    """Every reference file sent."""
    seed: int | None = None
    attempts: int = 0
    latency_s: float | None = None
    cost_usd: float = 0.0
    cost_source: Literal["catalog", "computed", "provider"] = "catalog"
    estimated_cost_usd: float | None = None
    remote_id: str | None = None
    error: ImageErrorEntry | None = None
    likeness: Likeness | None = None
    """Likeness to the references this image used (identity extra); null when not scored."""
    rerolls: list[ImageEntry] = Field(default_factory=list)
    """Other attempts at this prompt (``--min-likeness --reroll``): the image above is the one
    with the best likeness; each attempt here keeps its own file, seed, cost and likeness."""


class Totals(BaseModel):
    """Counts and money for the run."""

    model_config = _CONFIG
    succeeded: int = 0
    reused: int = 0
    failed: int = 0
    not_run: int = 0
    cost_usd: float = 0.0
    """Spent by this run."""
    folder_cost_usd: float = 0.0
    """Spent by every run into this output folder."""
    retries: int = 0
    wall_s: float = 0.0
    rerolls: int = 0
    """Extra images made by ``--reroll`` (their cost is in ``cost_usd``)."""
    reroll_cost_usd: float = 0.0
    """Spent on those extra images (USD), part of ``cost_usd``."""


class Report(BaseModel):
    """The whole ``report.json``."""

    model_config = _CONFIG
    schema_version: int = SCHEMA_VERSION
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: Literal["running", "completed", "partial", "aborted", "refused"]
    """``completed`` every image made or reused · ``partial`` some failed or not run ·
    ``aborted`` interrupted · ``refused`` stopped before any request (cost)."""
    preset: PresetInfo
    provider_chain: list[str]
    """``provider/model`` in fallback order."""
    references: list[ReferenceEntry] = Field(default_factory=list)
    budget: Budget
    images: list[ImageEntry] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    identity: dict[str, Any] = Field(default_factory=dict)
    """Identity checks: ``{"available": bool, "reason": str|null, ...summary}``."""
    dry_run: bool = False
