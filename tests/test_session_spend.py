"""What a run reports as spent: every attempt that may have cost money, never reused images,
never a remote job an earlier run paid for and this run only collected."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pinglass.report.build import RunState, committed, count_totals, image_rows, spent
from pinglass.runner.plan import Job
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


def test_a_collected_remote_job_is_the_earlier_runs_spend() -> None:
    """A re-run after a full disk or a Ctrl-C collects a remote job the earlier run paid for."""
    collected = replace(row(1, "succeeded", "0.025"), earlier_cost_usd=Decimal("0.025"))
    # cancelled by the earlier run, found billed for its time, then made anew in this run
    remade = replace(row(2, "succeeded", "0.035"), earlier_cost_usd=Decimal("0.010"))
    state = RunState(results={1: collected, 2: remade, 3: row(3, "succeeded", "0.025")})
    assert spent(state) == Decimal("0.050")
    assert committed(state) == Decimal("0.085")  # the budget held all of it in this run

    jobs = [Job(index=i, prompt_id="p", prompt="x", seed=i) for i in (1, 2, 3)]
    images = image_rows(jobs, state)
    assert [i.cost_usd for i in images] == [0.025, 0.035, 0.025]  # what each image cost
    assert [i.earlier_cost_usd for i in images] == [0.025, 0.010, 0.0]
    totals = count_totals(images, state, folder_cost=Decimal("0.095"))
    assert (totals.cost_usd, totals.folder_cost_usd) == (0.05, 0.095)
