"""Engine throughput: 23 images, 2 s per prediction, concurrency 8, against a loopback server.

Runs the real Replicate adapter through ``run_batch`` against the stand-in server in
``tests/standin.py`` and prints wall time against the ideal (ceil(23/8) = 3 rounds × 2 s) and
against a naive baseline measured in the same run: waves of 3 with a 1 s pause between waves.
Target: the engine within 25% of ideal. Run: ``python benchmarks/bench_engine.py``.
"""

from __future__ import annotations

import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pinglass.catalog import load_catalog  # noqa: E402
from pinglass.providers.base import Pending, Provider  # noqa: E402
from pinglass.providers.replicate import Replicate  # noqa: E402
from pinglass.runner import make_client, run_batch  # noqa: E402
from pinglass.runner.files import write_atomic  # noqa: E402
from pinglass.runner.plan import Job, Plan  # noqa: E402
from pinglass.secrets import ApiKey  # noqa: E402
from pinglass.settings import Settings  # noqa: E402
from standin import StandIn  # noqa: E402

IMAGES, LATENCY, CONCURRENCY = 23, 2.0, 8
WAVE, PAUSE = 3, 1.0
TOKEN = ApiKey.of("r8_bench_token_0000000001", "REPLICATE_API_TOKEN")


def plan() -> Plan:
    entry = load_catalog().get("replicate", "flux-dev")
    jobs = tuple(
        Job(index=i, prompt_id=f"shot{i}", prompt=f"bench portrait {i}", seed=i)
        for i in range(1, IMAGES + 1)
    )
    return Plan(jobs=jobs, chain=(entry,), concurrency=CONCURRENCY)


async def engine(base_url: str, out: Path, poll_interval: float) -> float:
    settings = Settings(_env_file=None, replicate_base_url=base_url, poll_interval=poll_interval)  # type: ignore[call-arg]
    start = time.perf_counter()
    outcome = await run_batch(plan(), keys={"replicate": [TOKEN]}, settings=settings, out_dir=out)
    wall = time.perf_counter() - start
    assert outcome.count("succeeded") == IMAGES, [r.error for r in outcome.results]
    return wall


async def _one(prov: Provider, job: Job, out: Path, poll_interval: float) -> None:
    entry = load_catalog().get("replicate", "flux-dev")
    result = await prov.submit(job.request_for(entry), TOKEN)
    while isinstance(result, Pending):
        await asyncio.sleep(poll_interval)
        result = await prov.poll(result.remote_id, TOKEN)
    image = await prov.download(result.images[0], TOKEN, max_bytes=50 << 20)
    write_atomic(out / f"{job.stem}.png", image.data or b"")


async def waves(base_url: str, out: Path, poll_interval: float) -> float:
    """The naive baseline: 3 at a time, wait for all three, pause 1 s, next wave."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    jobs = plan().jobs
    start = time.perf_counter()
    async with make_client(settings) as client:
        prov = Replicate(client, base_url=base_url)
        for i in range(0, len(jobs), WAVE):
            if i:
                await asyncio.sleep(PAUSE)
            await asyncio.gather(*(_one(prov, j, out, poll_interval) for j in jobs[i : i + WAVE]))
    return time.perf_counter() - start


def main() -> None:
    ideal = math.ceil(IMAGES / CONCURRENCY) * LATENCY
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for hold, label in ((True, "Prefer: wait"), (False, "create + poll 0.25 s")):
            with StandIn(latency=LATENCY, hold=hold, max_life=120) as server:
                out = Path(tmp) / f"engine-{hold}"
                rows.append((f"engine, {label}", asyncio.run(engine(server.base_url, out, 0.25))))
        with StandIn(latency=LATENCY, hold=True, max_life=120) as server:
            out = Path(tmp) / "waves"
            rows.append(("waves of 3 + 1 s pause", asyncio.run(waves(server.base_url, out, 0.25))))
    naive = rows[-1][1]
    print(f"{IMAGES} images, {LATENCY:.0f} s per prediction, concurrency {CONCURRENCY}")
    print(f"ideal ceil({IMAGES}/{CONCURRENCY}) x {LATENCY:.0f} s = {ideal:.2f} s")
    print(f"{'run':<28}{'wall s':>8}{'x ideal':>9}{'x waves':>9}")
    for label, wall in rows:
        print(f"{label:<28}{wall:>8.2f}{wall / ideal:>9.2f}{wall / naive:>9.2f}")
    best = min(wall for label, wall in rows if label.startswith("engine"))
    verdict = "OK" if best <= 1.25 * ideal else "MISSED"
    print(f"target: engine within 25% of ideal -> {verdict} ({(best / ideal - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
