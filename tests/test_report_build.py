"""report.json rows, totals and the identity block, built from a run's state (no disk, no dlib)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from pinglass.identity.likeness import Likeness
from pinglass.report import models as rm
from pinglass.report.build import (
    RunInfo,
    RunState,
    best_attempt,
    build_report,
    identity_summary,
    image_rows,
)
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult

JOBS = (
    Job(index=1, prompt_id="grey", prompt="grey studio", seed=10),
    Job(index=2, prompt_id="window", prompt="by a window", seed=20),
    Job(index=3, prompt_id="park", prompt="in a park", seed=30),
)


def made(job: Job, *, k: int = 0, cost: str = "0.01", status: str = "succeeded") -> ImageResult:
    """An attempt at ``job``: the first (``k=0``) or re-roll ``k`` (``<id>~rK``, own file)."""
    pid = job.prompt_id if k == 0 else f"{job.prompt_id}~r{k}"
    return ImageResult(
        index=job.index,
        prompt_id=pid,
        prompt=job.prompt,
        status=status,  # type: ignore[arg-type]
        file=None if status == "failed" else f"images/{job.index:02d}-{pid}.png",
        provider="mock",
        model="mock-portrait",
        seed=(job.seed or 0) + k,
        attempts=1,
        cost_usd=Decimal(cost),
        error=ImageError("transient", "down") if status == "failed" else None,
    )


def lk(score: float) -> Likeness:
    return Likeness(score=score, distance=round(1 - score, 3))


def test_a_winning_reroll_keeps_the_prompts_id_and_the_first_attempt_goes_under_rerolls() -> None:
    first, reroll = made(JOBS[0]), made(JOBS[0], k=1)
    state = RunState(
        results={1: first},
        rerolls={1: [reroll]},
        likeness={first.file: lk(0.40), reroll.file: lk(0.90)},  # type: ignore[dict-item]
    )
    (row,) = image_rows(JOBS[:1], state)
    # the row shows the re-roll's image, seed and likeness ...
    assert (row.file, row.seed, row.likeness) == (
        reroll.file,
        11,
        rm.Likeness(score=0.9, distance=0.1),
    )
    # ... under the prompt's own id, which scripts join on (not "grey~r1")
    assert row.prompt_id == "grey"
    assert [(a.prompt_id, a.file) for a in row.rerolls] == [("grey", first.file)]


def test_a_losing_reroll_is_listed_under_the_first_attempt() -> None:
    first, reroll = made(JOBS[0]), made(JOBS[0], k=1)
    state = RunState(
        results={1: first},
        rerolls={1: [reroll]},
        likeness={first.file: lk(0.80), reroll.file: lk(0.30)},  # type: ignore[dict-item]
    )
    (row,) = image_rows(JOBS[:1], state)
    assert (row.prompt_id, row.file) == ("grey", first.file)
    assert [(a.prompt_id, a.file) for a in row.rerolls] == [("grey~r1", reroll.file)]


def test_best_attempt_prefers_the_first_on_ties_and_when_unscored() -> None:
    a, b = made(JOBS[0]), made(JOBS[0], k=1)
    assert best_attempt([a, b], {}) is a
    assert best_attempt([a, b], {a.file: lk(0.5), b.file: lk(0.5)}) is a  # type: ignore[dict-item]
    failed = made(JOBS[0], status="failed")
    assert best_attempt([failed, b], {b.file: lk(0.1)}) is b  # type: ignore[dict-item]


def test_every_job_has_a_row_and_jobs_not_reached_are_not_run() -> None:
    state = RunState(results={2: made(JOBS[1])})
    rows = image_rows(JOBS, state)
    assert [(r.index, r.prompt_id, r.status) for r in rows] == [
        (1, "grey", "not_run"),
        (2, "window", "succeeded"),
        (3, "park", "not_run"),
    ]


def _info(**kw: object) -> RunInfo:
    base: dict[str, object] = {
        "run_id": "r1",
        "started_at": dt.datetime(2026, 11, 29, 18, 0, tzinfo=dt.UTC),
        "preset": rm.PresetInfo(name="tiny", path="tiny.toml", sha256="0" * 64),
        "provider_chain": ("mock/mock-portrait",),
        "references": (),
        "budget": rm.Budget(estimated_cost_usd=0.03),
        "jobs": JOBS,
    }
    base.update(kw)
    return RunInfo(**base)  # type: ignore[arg-type]


def test_totals_count_rows_and_money_including_rerolls_and_earlier_runs() -> None:
    state = RunState(
        results={
            1: made(JOBS[0]),
            2: made(JOBS[1], cost="0.02", status="failed"),  # billed failure
            3: made(JOBS[2], status="reused", cost="0.05"),  # paid by an earlier run
        },
        rerolls={1: [made(JOBS[0], k=1, cost="0.01")]},
    )
    report = build_report(_info(prior_folder_cost=Decimal("0.5")), state, status="partial")
    t = report.totals
    assert (t.succeeded, t.reused, t.failed, t.not_run) == (1, 1, 1, 0)
    assert t.cost_usd == pytest.approx(0.04)
    assert t.folder_cost_usd == pytest.approx(0.54)
    assert (t.rerolls, t.reroll_cost_usd) == (1, pytest.approx(0.01))


def test_running_reports_have_no_finish_time() -> None:
    now = dt.datetime(2026, 11, 29, 18, 5, tzinfo=dt.UTC)
    assert build_report(_info(), RunState(), status="running", now=now).finished_at is None
    assert build_report(_info(), RunState(), status="aborted", now=now).finished_at == now


def test_identity_block_is_typed_and_says_why_when_skipped() -> None:
    block = identity_summary(None, {}, [])
    assert block == rm.IdentitySummary(
        available=False, reason="identity checks skipped: not set up"
    )
    off = SimpleNamespace(available=False, reason="identity checks skipped: dlib missing")
    assert identity_summary(off, {}, []).reason == "identity checks skipped: dlib missing"  # type: ignore[arg-type]


def test_identity_block_summarises_the_images_the_rows_show() -> None:
    setup = SimpleNamespace(available=True, reason=None, threshold=0.6, references={"a.jpg": 0})
    state = RunState(results={1: made(JOBS[0]), 2: made(JOBS[1]), 3: made(JOBS[2])})
    state.likeness.update({"images/01-grey.png": lk(0.9), "images/02-window.png": lk(0.3)})
    state.likeness["images/03-park.png"] = None  # no face found
    rows = image_rows(JOBS, state)
    block = identity_summary(setup, state.likeness, rows, min_likeness=0.5)  # type: ignore[arg-type]
    assert block.available and block.reason is None and block.references_embedded == 1
    assert (block.scored, block.unscored) == (2, ["images/03-park.png"])
    assert (block.mean_likeness, block.min_likeness) == (0.6, 0.3)
    assert [(w.prompt_id, w.score) for w in block.weakest] == [("window", 0.3), ("grey", 0.9)]
    assert (block.min_likeness_required, block.below_min) == (0.5, ["images/02-window.png"])


def test_reports_written_before_the_typed_identity_block_still_read() -> None:
    old = {
        "run_id": "r0",
        "started_at": "2026-11-23T10:15:00Z",
        "status": "completed",
        "preset": {"name": "business", "path": "b.toml", "sha256": "0" * 64},
        "provider_chain": ["mock/mock-portrait"],
        "budget": {"estimated_cost_usd": 0.0},
        "identity": {"available": False, "reason": "identity checks skipped: not set up"},
    }
    assert rm.Report.model_validate(old).identity.reason == "identity checks skipped: not set up"
    old["identity"] = {}
    assert rm.Report.model_validate(old).identity.available is False
