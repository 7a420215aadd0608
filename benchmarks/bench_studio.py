"""Studio mode against the same people run one after another, timed in the same run.

Three people (links to three subsets of sample_refs/, three usable photos each) x the
business preset (23 prompts) on the offline mock provider with a per-image latency
(``--latency``, default 1 s, like a fast hosted model) and ``--concurrency 8``:

- **studio**: one ``pinglass generate PEOPLE_DIR`` (one process, one engine, 69 images);
- **baseline**: three ``pinglass generate PERSON_DIR`` runs one after another, as a script
  would do before studio mode.

Prints both wall times and their ratio, then the studio re-run (all 69 reused). Both sides pay
the same per-image work; what the studio saves is one process start and set-up per person and
the tail of each person's run (the window drains while the next person could already send).
Run: ``python benchmarks/bench_studio.py [--latency S]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFS = ROOT / "sample_refs"
PEOPLE = {
    "ana": ("IMG_0412", "IMG_0415", "IMG_0450", "IMG_0453"),
    "ben": ("IMG_0423", "IMG_0427", "IMG_0419", "IMG_0441"),
    "cleo": ("IMG_0431", "IMG_0438", "IMG_0436", "IMG_0447"),
}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own CLI under this interpreter
        [sys.executable, "-m", "pinglass", "generate", *args, "--provider", "mock"]
        + ["--concurrency", "8", "--yes", "--quiet"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"pinglass exited {proc.returncode}: {proc.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="mock seconds per image")
    latency = parser.parse_args().latency
    env = {
        **os.environ,
        "PINGLASS_MOCK_LATENCY": str(latency),
        "PINGLASS_NO_IDENTITY": "1",
        "PYTHONPATH": str(ROOT / "src"),
    }
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as tmp:
        work = Path(tmp)
        for name, stems in PEOPLE.items():
            (work / "people" / name).mkdir(parents=True)
            for stem in stems:
                (work / "people" / name / f"{stem}.jpg").symlink_to(REFS / f"{stem}.jpg")
        studio = _run([str(work / "people"), "--out", "studio"], env, work)
        singles = [
            _run([str(work / "people" / name), "--out", f"single-{name}"], env, work)
            for name in PEOPLE
        ]
        again = _run([str(work / "people"), "--out", "studio"], env, work)
        doc = json.loads((work / "studio" / "studio-report.json").read_text())
    baseline = sum(singles)
    print(f"mock latency {latency} s/image, --concurrency 8, 3 people x business (69 images)")
    print(f"studio, one run:        {studio:6.1f} s")
    print(f"3 single runs in a row: {baseline:6.1f} s  ({', '.join(f'{s:.1f}' for s in singles)})")
    print(f"studio / sequential:    {studio / baseline:6.2f}x")
    print(f"studio re-run:          {again:6.1f} s, reused {doc['totals']['counts']['reused']}")


if __name__ == "__main__":
    main()
