"""Sustained creates per minute of one pinglass process against the loopback Replicate stand-in.

Runs the real Replicate adapter through ``run_batch`` (journal, budget, limiter, image writes
and all) against ``tests/standin.py`` (served from threads of this process, or from a process of
its own with ``--server-process``), with a latency drawn uniformly from 0-1 s per prediction
and ``--concurrency`` jobs in flight, for ``--seconds`` seconds; then stops the run (as a first
Ctrl-C does) and counts the images finished per minute after a warm-up. Two runs:

- the catalog's ``rpm`` for Replicate (600 creates a minute): the limiter should hold it there;
- the same entry with the ``rpm`` lifted (1,000,000): the process's own ceiling.

Also prints the process's CPU seconds per image (user + system, from ``getrusage``), so the
ceiling can be read for a core of its own on a shared machine: 60 / cpu-per-image. The
baseline is the catalog rate itself: the limited run should be within 5 % of 600/min.
Run: ``python benchmarks/bench_throughput.py`` (about 2 x ``--seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "r8_bench_token_throughput_0001"  # noqa: S105 - the stand-in's fake token

# The stand-in in a process of its own, so its threads do not share this process's GIL. Each
# prediction gets a latency drawn from 0-1 s (the server's ``latency`` is the 1 s upper bound;
# the creation time is moved back by a random part of it).
_SERVER = """
import random, sys, time
sys.path.insert(0, {tests!r})
import standin
from standin import StandIn

# http.server listens with a backlog of 5: 64 connections at once would overflow it, and each
# dropped SYN costs the client a 1 s retransmit, which measures the kernel, not pinglass.
standin._QuietServer.request_queue_size = 1024

class Jittered(StandIn):
    def create(self, model, body):
        pred = super().create(model, body)
        with self.lock:
            pred["_t"] -= random.uniform(0.0, self.latency)
        return pred

with Jittered(latency=1.0, hold=True, max_life={life}) as server:
    print(server.base_url, flush=True)
    time.sleep({life})
"""


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


async def measure(
    base_url: str, out: Path, *, rpm: int | None, seconds: float, warm: float, concurrency: int
) -> tuple[float, float, int]:
    """(images finished per minute after ``warm`` s, CPU seconds per image then, images)."""
    from pinglass.catalog import load_catalog
    from pinglass.runner import run_batch
    from pinglass.runner.events import Event, JobFinished
    from pinglass.runner.plan import Job, Plan
    from pinglass.secrets import ApiKey
    from pinglass.settings import Settings

    entry = load_catalog().get("replicate", "flux-dev")
    if rpm is not None:
        entry = entry.model_copy(update={"rpm": rpm})
    # Enough jobs to keep every slot busy until the stop (at most 2 per slot per second with
    # a mean latency of 0.5 s), and no more: jobs still waiting at the stop end as not run.
    count = int(min((entry.rpm / 60.0) * seconds * 1.3, 2.0 * concurrency * seconds))
    count += concurrency
    jobs = tuple(
        Job(index=i, prompt_id=f"t{i}", prompt=f"throughput portrait {i}", seed=i)
        for i in range(1, count + 1)
    )
    plan = Plan(jobs=jobs, chain=(entry,), concurrency=concurrency)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, base_urls={"replicate": base_url}, poll_interval=0.25, request_timeout=30
    )
    finished: list[float] = []

    def observe(event: Event) -> None:
        if isinstance(event, JobFinished) and event.result.status == "succeeded":
            finished.append(time.monotonic())

    stop = asyncio.Event()
    cpu: dict[str, float] = {}

    def at_stop() -> None:
        cpu["stop"] = _cpu()
        stop.set()

    loop = asyncio.get_running_loop()
    start = time.monotonic()
    loop.call_later(warm, lambda: cpu.setdefault("warm", _cpu()))
    loop.call_later(seconds, at_stop)
    outcome = await run_batch(
        plan,
        keys={"replicate": [ApiKey.of(TOKEN, "REPLICATE_API_TOKEN")]},
        settings=settings,
        out_dir=out,
        observer=observe,
        stop=stop,
    )
    cpu.setdefault("stop", _cpu())  # every job done before the stop
    failed = [r.error for r in outcome.results if r.status == "failed"]
    if failed:
        print(f"{len(failed)} failed, e.g. {failed[0]}", file=sys.stderr)
    window = [t for t in finished if start + warm <= t <= start + seconds]
    per_minute = len(window) / (seconds - warm) * 60.0
    # CPU of the steady state only: from the end of the warm-up to the stop.
    return per_minute, (cpu["stop"] - cpu["warm"]) / max(1, len(window)), len(finished)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--warm", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--server-process", action="store_true", help="serve the stand-in from its own process"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pinglass-throughput-") as tmp:
        for label, rpm in (("catalog rpm 600", None), ("rpm lifted", 1_000_000)):
            with _server(own_process=args.server_process, life=2 * args.seconds + 60) as base_url:
                out = Path(tmp) / label.replace(" ", "-")
                rate, cpu, n = asyncio.run(
                    measure(
                        base_url,
                        out,
                        rpm=rpm,
                        seconds=args.seconds,
                        warm=args.warm,
                        concurrency=args.concurrency,
                    )
                )
            rows.append((label, rate, cpu, n))
    where = "its own process" if args.server_process else "this process (threads)"
    print(
        f"{args.seconds:.0f} s per run, latency 0-1 s, concurrency {args.concurrency}, "
        f"warm-up {args.warm:.0f} s, stand-in served from {where}"
    )
    head = f"{'run':<18}{'images/min':>11}{'images':>8}{'cpu ms/image':>14}"
    print(head + f"{'1-core ceiling/min':>20}")
    for label, rate, cpu, n in rows:
        print(f"{label:<18}{rate:>11.0f}{n:>8}{cpu * 1000:>14.1f}{60 / max(cpu, 1e-9):>20.0f}")
    limited = rows[0][1]
    ok = abs(limited - 600) <= 30
    print(f"limiter holds the catalog's 600/min: {limited:.0f}/min -> {'OK' if ok else 'MISSED'}")
    return 0


@contextlib.contextmanager
def _server(*, own_process: bool, life: float) -> Iterator[str]:
    """The stand-in's base URL, served from a thread of this process or a process of its own."""
    code = _SERVER.format(tests=str(ROOT / "tests"), life=life)
    if not own_process:
        scope: dict[str, object] = {}
        exec(code.split("with Jittered")[0], scope)  # noqa: S102 - our own stand-in code
        with scope["Jittered"](latency=1.0, hold=True, max_life=life) as server:  # type: ignore[operator]
            yield server.base_url
        return
    proc = subprocess.Popen(  # noqa: S603 - our own stand-in, fixed code
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None  # noqa: S101
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
