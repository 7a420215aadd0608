"""Runs of any size: does the cost per image stay flat as the run grows?

Runs the real CLI (``pinglass generate``) as a subprocess on the offline mock provider with no
latency, ``--concurrency 32``, over a generated preset of N prompts, for N = 230 and N = 920,
and reports each run's wall time and peak memory (the child's max RSS from ``wait4``). The
baseline, timed in the same run, is the mock's own picture-making: ``Mock.submit`` called
in-process N times with the same request shape. What is left per image after that is the
engine's overhead (journal, report, budget, progress, files).

Goals (issue 15): 920 images in at most 4.4x the time of 230; peak memory at 920 at most
300 MB; engine overhead at most 5 ms per image. Run: ``python benchmarks/bench_scale.py``;
``--sizes 230,920`` to choose N.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFS = ROOT / "sample_refs"
GOAL_RATIO, GOAL_MB, GOAL_OVERHEAD_MS = 4.4, 300.0, 5.0


def write_preset(path: Path, n: int) -> None:
    """A valid preset of ``n`` distinct prompts (ids p0001…), per-prompt seeds."""
    lines = [
        "[preset]",
        f'name = "scale-{n}"',
        'description = "generated for bench_scale"',
        'version = "1.0.0"',
        "",
        "[defaults]",
        "width = 512",
        "height = 640",
        'seed = "per-prompt"',
        "base_seed = 1",
        "",
    ]
    for i in range(1, n + 1):
        lines += [
            "[[prompts]]",
            f'id = "p{i:04d}"',
            f'text = "Portrait {i} of the person, soft window light, shot number {i}."',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def sheets_of(out: Path) -> str:
    """The contact sheets a run wrote: how many, and their sizes in MB."""
    sizes = [p.stat().st_size / 1e6 for p in sorted(out.glob("contact-sheet*.jpg"))]
    if not sizes:
        return "no contact sheet"
    return f"{len(sizes)} contact sheet(s), {min(sizes):.2f}-{max(sizes):.2f} MB each"


def run_cli(n: int, work: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one ``generate`` of ``n`` images."""
    preset = work / f"scale-{n}.toml"
    write_preset(preset, n)
    env = {
        **os.environ,
        "PINGLASS_MOCK_LATENCY": "0",
        "PINGLASS_NO_IDENTITY": "1",
        "COLUMNS": "100",
    }
    cmd = [
        sys.executable,
        "-m",
        "pinglass",
        "generate",
        str(REFS),
        "--preset",
        str(preset),
        "--provider",
        "mock",
        "--concurrency",
        "32",
        "--yes",
        "--quiet",
        "--out",
        str(work / f"out-{n}"),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024.0, code


def render_baseline(n: int) -> float:
    """Seconds per image of the mock's own work (draw + JPEG encode), in this process."""
    from PIL import Image

    from pinglass.providers.base import GenerationRequest, Reference
    from pinglass.providers.mock import Mock
    from pinglass.secrets import ApiKey

    buf = io.BytesIO()
    Image.new("RGB", (384, 512), (150, 120, 100)).save(buf, "JPEG")
    ref = Reference(name="ref.jpg", data=buf.getvalue())
    mock = Mock(None)
    key = ApiKey.of("mock-key-not-secret", "MOCK")

    async def many() -> float:
        start = time.perf_counter()
        for i in range(n):
            req = GenerationRequest(
                prompt=f"Portrait {i} of the person, soft window light, shot number {i}.",
                model="mock-portrait",
                references=(ref,),
                width=512,
                height=640,
                seed=i,
            )
            await mock.submit(req, key)
        return (time.perf_counter() - start) / n

    return asyncio.run(many())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="230,920")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    per_image = render_baseline(40)
    print(f"baseline: mock draw + encode {per_image * 1000:.1f} ms/image (in-process, 40 images)")
    rows: list[tuple[int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="pinglass-scale-") as tmp:
        for n in sizes:
            wall, peak, code = run_cli(n, Path(tmp))
            if code != 0:
                print(f"N={n}: generate exited {code}")
                return 1
            rows.append((n, wall, peak))
            print(f"N={n}: {sheets_of(Path(tmp) / f'out-{n}')}")
    print(f"{'N':>6} {'wall s':>8} {'ms/image':>9} {'peak MB':>8} {'x time of first':>16}")
    first_wall = rows[0][1]
    for n, wall, peak in rows:
        per = wall / n * 1000
        print(f"{n:>6} {wall:>8.1f} {per:>9.1f} {peak:>8.0f} {wall / first_wall:>16.2f}")
    if len(rows) >= 2:
        (n0, w0, _), (n1, w1, p1) = rows[0], rows[-1]
        ratio = w1 / w0
        marginal = (w1 - w0) / (n1 - n0)
        overhead_ms = max(0.0, (marginal - per_image) * 1000)
        goal_ratio = GOAL_RATIO * (n1 / n0) / 4
        print(
            f"{n1} vs {n0}: {ratio:.2f}x the time for {n1 / n0:.0f}x the work"
            f" (goal <= {goal_ratio:.1f}x) -> {'OK' if ratio <= goal_ratio else 'MISSED'}"
        )
        print(
            f"peak memory at {n1}: {p1:.0f} MB (goal <= {GOAL_MB:.0f})"
            f" -> {'OK' if p1 <= GOAL_MB else 'MISSED'}"
        )
        print(
            f"engine overhead: {overhead_ms:.1f} ms/image beyond the mock's draw+encode"
            f" (marginal {marginal * 1000:.1f} ms/image; goal <= {GOAL_OVERHEAD_MS:.0f})"
            f" -> {'OK' if overhead_ms <= GOAL_OVERHEAD_MS else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
