"""What a run produces: one :class:`ImageResult` per job and the :class:`RunOutcome`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pinglass.money import ZERO

__all__ = ["ImageError", "ImageResult", "ImageStatus", "RunOutcome"]

ImageStatus = Literal["succeeded", "reused", "failed", "not_run"]


@dataclass(frozen=True, slots=True)
class ImageError:
    """Why an image failed: the taxonomy ``kind`` and a one-line, secret-free message."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class ImageResult:
    """One row of ``report.json``'s ``images``. ``file`` is relative to the output folder."""

    index: int
    prompt_id: str
    prompt: str
    status: ImageStatus
    file: str | None = None
    provider: str | None = None
    model: str | None = None
    key: str | None = None
    reference: str | None = None
    seed: int | None = None
    attempts: int = 0
    latency_s: float | None = None
    cost_usd: Decimal = ZERO
    cost_source: Literal["catalog", "computed", "provider"] = "catalog"
    remote_id: str | None = None
    error: ImageError | None = None
    estimated_cost_usd: Decimal | None = None
    references: tuple[str, ...] = ()


@dataclass(slots=True)
class RunOutcome:
    """Everything the runner knows at the end of a run (or of an interrupted one)."""

    results: list[ImageResult] = field(default_factory=list)
    retries: int = 0
    wall_s: float = 0.0
    interrupted: bool = False

    def count(self, status: ImageStatus) -> int:
        """How many images ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def cost_usd(self) -> Decimal:
        """USD spent by this run (reused images cost nothing now)."""
        return sum((r.cost_usd for r in self.results if r.status != "reused"), ZERO)
