"""Run a small batch against the stand-in server: ``python tests/standin_run.py BASE OUT N``.

Used by the SIGKILL test (killed mid-run, then run again into the same OUT) and usable by hand.
Prints one JSON line: statuses by prompt id and the run's retries.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from pinglass.catalog import load_catalog
from pinglass.runner import run_batch
from pinglass.runner.plan import Job, Plan
from pinglass.secrets import ApiKey
from pinglass.settings import Settings

TOKEN = "r8_standin_token_000000001"


def plan_of(n: int, *, concurrency: int = 4) -> Plan:
    """``n`` jobs on Replicate's flux-dev (per-image price, no references)."""
    entry = load_catalog().get("replicate", "flux-dev")
    jobs = tuple(
        Job(index=i, prompt_id=f"shot{i}", prompt=f"studio portrait {i}", seed=i)
        for i in range(1, n + 1)
    )
    return Plan(jobs=jobs, chain=(entry,), concurrency=concurrency)


async def main(base_url: str, out_dir: Path, n: int) -> int:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, base_urls={"replicate": base_url}, poll_interval=0.05, request_timeout=30
    )
    outcome = await run_batch(
        plan_of(n),
        keys={"replicate": [ApiKey.of(TOKEN, "REPLICATE_API_TOKEN")]},
        settings=settings,
        out_dir=out_dir,
    )
    print(
        json.dumps({r.prompt_id: r.status for r in outcome.results} | {"_retries": outcome.retries})
    )
    return 0 if all(r.status in ("succeeded", "reused") for r in outcome.results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))))
