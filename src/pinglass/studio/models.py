"""``studio-report.json``: one studio run over many people, with its own ``schema_version``.

Each person's own ``report.json`` (in ``OUT/<person>/``) stays the full record of their images;
this file says how each person's run went and sums them up. Fields are only ever added, never
renamed. Money is USD as JSON numbers with 6 decimals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "STUDIO_REPORT_NAME",
    "STUDIO_SCHEMA_VERSION",
    "Counts",
    "PersonEntry",
    "PersonStatus",
    "StudioBudget",
    "StudioReport",
    "StudioStatus",
    "StudioTotals",
]

STUDIO_SCHEMA_VERSION = 1
STUDIO_REPORT_NAME = "studio-report.json"

_CONFIG = ConfigDict(use_attribute_docstrings=True, extra="ignore")

PersonStatus = Literal["completed", "partial", "failed", "aborted", "skipped", "refused"]
"""A person's ``status``: their report.json's, or ``skipped`` (never run, see ``reason``)."""

StudioStatus = Literal["running", "completed", "partial", "failed", "aborted", "refused"]
"""The whole run's ``status``."""


class Counts(BaseModel):
    """Images by outcome, as in report.json's ``totals``."""

    model_config = _CONFIG
    succeeded: int = 0
    """Made by this run."""
    reused: int = 0
    """Found done in the person's folder from an earlier run, not requested again."""
    failed: int = 0
    not_run: int = 0
    """Not sent: stopped (Ctrl-C) or the budget ran out."""


class PersonEntry(BaseModel):
    """How one person's run went."""

    model_config = _CONFIG
    person: str
    """The person's name: their subfolder of the people folder, or the manifest's ``person``."""
    status: PersonStatus
    reason: str | None = None
    """Why a person was skipped or failed as a whole (one line); ``null`` otherwise."""
    preset: str
    provider_chain: list[str] = Field(default_factory=list)
    refs_usable: int = 0
    """Usable reference photos in the person's folder."""
    out: str
    """The person's output folder, relative to the studio's output folder."""
    report: str | None = None
    """Their report.json, relative to the studio's output folder (``null`` when skipped)."""
    gallery: str | None = None
    """Their index.html, relative to the studio's output folder (``null`` when skipped)."""
    estimated_cost_usd: float = 0.0
    counts: Counts = Field(default_factory=Counts)
    cost_usd: float = 0.0
    """Spent on this person by this run."""
    folder_cost_usd: float = 0.0
    """Spent on this person by every run into their folder."""


class StudioBudget(BaseModel):
    """The one budget every person's images were paid from."""

    model_config = _CONFIG
    max_cost_usd: float | None = None
    estimated_cost_usd: float = 0.0


class StudioTotals(BaseModel):
    """Sums over every person."""

    model_config = _CONFIG
    people: int = 0
    completed: int = 0
    """People whose every image is done (made now or reused)."""
    partial: int = 0
    failed: int = 0
    """People with nothing made, or whose run could not start."""
    aborted: int = 0
    skipped: int = 0
    counts: Counts = Field(default_factory=Counts)
    cost_usd: float = 0.0
    folder_cost_usd: float = 0.0
    wall_s: float = 0.0


class StudioReport(BaseModel):
    """The top-level ``studio-report.json`` of a studio run."""

    model_config = _CONFIG
    schema_version: int = STUDIO_SCHEMA_VERSION
    studio_id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: StudioStatus
    source: str
    """What listed the people: ``folder`` (a folder of folders) or ``manifest``."""
    budget: StudioBudget
    people: list[PersonEntry]
    totals: StudioTotals
