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
    earlier_cost_usd: Decimal = ZERO
    """The part of ``cost_usd`` an earlier run into the folder paid: a remote job it created
    that this run collected (after a full disk, a Ctrl-C or a crash). The row shows what the
    image cost; this run's spend leaves that part out (see :attr:`spent_usd`)."""

    @property
    def spent_usd(self) -> Decimal:
        """USD this row adds to this run's spend: nothing for a reused image, and nothing for
        what an earlier run paid (``earlier_cost_usd``)."""
        return ZERO if self.status == "reused" else self.cost_usd - self.earlier_cost_usd


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
        """USD spent by this run (reused images and collected remote jobs an earlier run paid
        for cost nothing now)."""
        return sum((r.spent_usd for r in self.results), ZERO)
