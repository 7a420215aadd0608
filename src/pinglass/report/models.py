"""``report.json``: the contract other tools script against.

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
    "IdentitySummary",
    "ImageErrorEntry",
    "Likeness",
    "PresetInfo",
    "ReferenceEntry",
    "Report",
    "Status",
    "Totals",
    "WeakImage",
]

SCHEMA_VERSION = 1

_CONFIG = ConfigDict(use_attribute_docstrings=True, extra="ignore")

Status = Literal["running", "completed", "partial", "failed", "aborted", "refused"]
"""A run's ``status`` in report.json."""


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
    """What this image cost (every attempt), whichever run paid it."""
    cost_source: Literal["catalog", "computed", "provider"] = "catalog"
    estimated_cost_usd: float | None = None
    earlier_cost_usd: float = 0.0
    """The part of ``cost_usd`` an earlier run into this folder paid: its remote job, which
    this run collected (after a full disk, a Ctrl-C or a crash); not in ``totals.cost_usd``."""
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
    """Spent by this run: charges for requests it sent. Reused images, and remote jobs an
    earlier run paid for that this run collected (rows' ``earlier_cost_usd``), are not in it."""
    folder_cost_usd: float = 0.0
    """Spent by every run into this output folder."""
    retries: int = 0
    wall_s: float = 0.0
    rerolls: int = 0
    """Extra images made by ``--reroll`` (their cost is in ``cost_usd``)."""
    reroll_cost_usd: float = 0.0
    """Spent on those extra images (USD), part of ``cost_usd``."""


class WeakImage(BaseModel):
    """One of the lowest-likeness images of a run."""

    model_config = _CONFIG
    prompt_id: str | None = None
    file: str
    score: float
    distance: float


class IdentitySummary(BaseModel):
    """The run's identity checks: whether they ran (or why not) and the likeness summary.

    Without the identity extra only ``available`` and ``reason`` carry information.
    """

    model_config = _CONFIG
    available: bool = False
    reason: str | None = None
    """Why the checks were skipped, or why likeness is missing; ``null`` when all ran."""
    threshold: float | None = None
    """Face-embedding distance under which two faces count as the same person."""
    references_embedded: int = 0
    """Chosen references with a face embedding (the likeness is measured against them)."""
    scored: int = 0
    """Images that got a likeness."""
    unscored: list[str] = Field(default_factory=list)
    """Image files where no face was found."""
    mean_likeness: float | None = None
    min_likeness: float | None = None
    mean_distance: float | None = None
    weakest: list[WeakImage] = Field(default_factory=list)
    """The lowest-likeness images, weakest first."""
    min_likeness_required: float | None = None
    """``--min-likeness``, when given."""
    below_min: list[str] | None = None
    """Image files still under ``--min-likeness``, weakest first (``null`` without the flag)."""


class Report(BaseModel):
    """The whole ``report.json``."""

    model_config = _CONFIG
    schema_version: int = SCHEMA_VERSION
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: Status
    """``completed`` every image made or reused · ``partial`` some failed or not run ·
    ``failed`` no image made or reused (every one failed or was not run) · ``aborted``
    interrupted · ``refused`` stopped before any request (cost)."""
    preset: PresetInfo
    provider_chain: list[str]
    """``provider/model`` in fallback order."""
    references: list[ReferenceEntry] = Field(default_factory=list)
    budget: Budget
    images: list[ImageEntry] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    identity: IdentitySummary = Field(default_factory=IdentitySummary)
    """Identity checks: available or why not, and the likeness summary."""
    dry_run: bool = False
    contact_sheets: list[str] = Field(default_factory=list)
    """The contact sheet files, relative to the output folder, in order: ``contact-sheet.jpg``,
    then ``contact-sheet-02.jpg``, … (at most 48 images each). Empty while the run is going."""
