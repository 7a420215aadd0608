"""Benchmark: reference-scoring verdicts on a labelled matrix of public-domain portraits.

Run: ``python benchmarks/bench_refs_quality.py [--identity]``. It builds the matrix of
``tests/refs/quality_matrix.py`` (three portraits, each re-scaled, re-compressed, grained, blurred,
darkened, brightened, side-lit and composited; sources in ``tests/data/README.md``) in a
temporary folder, scores every photo and prints:

- the confusion table: the verdict each photo should get (rows) against the one given;
- every wrong verdict;
- the rank-order checks: every degraded photo below its clean source with the right penalty
  named, and no sharpness or exposure loss for the same shot re-scaled or re-compressed.

``--identity`` also runs the identity extra's check (dlib) when it is installed. It installs and
downloads nothing. The same checks run in CI as ``tests/refs/test_quality_matrix.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "refs"))

import quality_matrix  # noqa: E402


def main(argv: list[str]) -> int:
    """Print the table and checks; returns 0 (the figures are the output, not a gate)."""
    check = detector = None
    if "--identity" in argv:
        from pinglass.identity.outputs import setup

        identity = setup()
        check, detector = identity.check, identity.detector
        print(identity.reason or "identity checks: on (dlib second opinion and landmarks)")
    with tempfile.TemporaryDirectory(prefix="pinglass-quality-") as tmp:
        start = time.perf_counter()
        cases = quality_matrix.build(Path(tmp))
        built = time.perf_counter() - start
        results = quality_matrix.run(cases, face_check=check, detector=detector)
        scored = time.perf_counter() - start - built
    print(
        f"{len(cases)} photos from {len(quality_matrix.BASES)} portraits "
        f"(built in {built:.1f} s, scored in {scored:.1f} s)"
    )
    failures = quality_matrix.report(results)
    print(f"{failures} wrong verdicts or failed checks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
