"""Over the budget (issue 12): a per-second model billed above its typical time.

The engine runs the real Replicate adapter over the loopback stand-in, whose predictions each
report ``billed_s`` of hardware time against the catalog's typical 16 s for
``replicate/flux-pulid`` ($0.0014/s). Each job reserves rate x deadline and is sent with that
``Cancel-After`` (the stand-in cancels a prediction at it, billed for the deadline, as
Replicate does), so no level of concurrency can pass ``--max-cost``.
"""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from pinglass.catalog import load_catalog
from pinglass.providers.base import Reference
from pinglass.runner import EngineConfig, run_batch
from pinglass.runner.plan import Job, Plan
from pinglass.secrets import ApiKey
from pinglass.settings import Settings
from standin import StandIn
from standin_run import TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

CAP = Decimal("0.5152")  # 23 images at the typical 16 s x $0.0014
RATE = Decimal("0.0014")


def _face() -> Reference:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 160, 140)).save(out, format="JPEG")
    return Reference("face.jpg", out.getvalue())


def _plan(n: int, cap: Decimal) -> Plan:
    entry = load_catalog().get("replicate", "flux-pulid")
    refs = (_face(),)
    jobs = tuple(
        Job(index=i, prompt_id=f"p{i:02d}", prompt=f"portrait {i}", seed=i, references=refs)
        for i in range(1, n + 1)
    )
    return Plan(jobs=jobs, chain=(entry,), max_cost=cap, concurrency=32)


async def _fast_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.01))


def test_the_estimate_shows_the_deadline_worst_case() -> None:
    """The dry run / estimate: 23 images at 4 x 16 s each, not at the typical time."""
    est = _plan(23, CAP).estimate()
    assert est.total_usd == CAP
    assert est.worst_case_usd == 23 * 64 * RATE


@pytest.mark.anyio
@pytest.mark.parametrize("billed_s", [32.0, 200.0], ids=["twice-typical", "runaway"])
async def test_a_per_second_model_never_passes_the_cap(tmp_path: Path, billed_s: float) -> None:
    base = Settings(_env_file=None, poll_interval=0.02)  # type: ignore[call-arg]
    with StandIn(latency=0.05, predict_time=billed_s, hold=False, max_life=120) as server:
        settings = base.model_copy(update={"base_urls": {"replicate": server.base_url}})
        outcome = await run_batch(
            _plan(23, CAP),
            keys={"replicate": [ApiKey.of(TOKEN, "REPLICATE_API_TOKEN")]},
            settings=settings,
            out_dir=tmp_path / "out",
            sleep=_fast_sleep,
            config=EngineConfig(retry_initial=0.01, retry_max=0.02, remote_failures=0),
        )
        billed_usd = Decimal(str(server.billed_seconds())) * RATE
        deadlines = {p["_deadline"] for p in server.predictions.values()}
    assert outcome.cost_usd <= CAP
    assert billed_usd <= CAP  # what Replicate would bill, not only what pinglass reports
    assert outcome.cost_usd == pytest.approx(billed_usd, abs=Decimal("0.000001"))
    made = outcome.count("succeeded")
    if billed_s == 32.0:  # each image costs $0.0448: eleven fit under the cap
        assert made == int(CAP / (32 * RATE)) == 11
        assert 64.0 in deadlines  # Cancel-After: 4 x the typical 16 s
    else:  # each prediction is cancelled at its deadline: billed for it, never finished
        assert made == 0 and outcome.count("failed") >= 1
    for r in outcome.results:
        if r.status == "not_run":
            assert r.error is not None and r.error.kind == "budget"
