"""What a run reports as spent: every attempt that may have cost money, never reused images."""

from __future__ import annotations

from decimal import Decimal

from pinglass.report.build import RunState, spent
from pinglass.runner.results import ImageError, ImageResult


def row(index: int, status: str, cost: str, prompt_id: str = "p") -> ImageResult:
    error = ImageError("invalid_request", "failed") if status == "failed" else None
    return ImageResult(
        index=index,
        prompt_id=prompt_id,
        prompt="x",
        status=status,  # type: ignore[arg-type]
        cost_usd=Decimal(cost),
        error=error,
    )


def test_billed_failures_count_and_reused_images_do_not() -> None:
    results = {
        1: row(1, "succeeded", "0.025"),
        2: row(2, "failed", "0.022"),  # ran and failed on a provider that bills failures
        3: row(3, "failed", "0"),  # refused up front: not billed
        4: row(4, "reused", "0.040"),  # paid by an earlier run into the folder
        5: row(5, "not_run", "0"),
    }
    state = RunState(results=results, rerolls={1: [row(1, "succeeded", "0.025", "p~r1")]})
    assert spent(state) == Decimal("0.072")
