"""Benchmark: likeness scoring per 1024 px output image (decode + detect + embed + distance).

Run: ``python benchmarks/bench_identity.py``. Prints milliseconds per image for

- ``decode only``: the floor (OpenCV JPEG decode of the same bytes);
- ``naive``: decode, dlib HOG detection on the full 1024 px frame, embed, distance;
- ``pinglass``: :class:`pinglass.identity.LikenessScorer` as the batch uses it (detection on a
  512 px copy, landmarks and embedding at full size),

and the ratios, all measured in the same run. Target: pinglass at most 250 ms per image.
The images are the public-domain astronaut crop from tests/data/identity/, upscaled to 1024 px
and shifted, relit and mirrored so no two are alike.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from pinglass.identity import (
    FaceAnalyzer,
    LikenessScorer,
    available,
    decode_rgb,
    distance,
    unavailable_reason,
)

TARGET_MS = 250.0
SIDE = 1024
COUNT = 8
ROUNDS = 3
SOURCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "identity" / "astronaut.jpg"


def _outputs() -> list[bytes]:
    """COUNT distinct 1024x1024 JPEG portraits (quality 90)."""
    rgb = decode_rgb(SOURCE)
    assert rgb is not None
    big = cv2.resize(rgb, (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    images = []
    for i in range(COUNT):
        shift = np.float32([[1, 0, (i - COUNT / 2) * 12], [0, 1, (i % 3 - 1) * 20]])
        img = cv2.warpAffine(big, shift, (SIDE, SIDE), borderMode=cv2.BORDER_REFLECT)
        img = np.clip(img * (0.8 + 0.05 * i), 0, 255).astype(np.uint8)
        if i % 2:
            img = np.ascontiguousarray(img[:, ::-1])
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        assert ok
        images.append(data.tobytes())
    return images


def _ms_per_image(work: Callable[[bytes], object], images: list[bytes]) -> float:
    """Median over ROUNDS of the mean milliseconds per image."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for data in images:
            work(data)
        rounds.append((time.perf_counter() - start) * 1000 / len(images))
    return statistics.median(rounds)


def main() -> int:
    """Print the figures; return 0 (also when the extra is missing: then it says so)."""
    if not available():
        print(unavailable_reason())
        return 0
    images = _outputs()
    analyzer = FaceAnalyzer()
    naive_analyzer = FaceAnalyzer(detect_side=4 * SIDE)  # never downscales
    source = decode_rgb(SOURCE)
    assert source is not None
    reference = analyzer.embedding(source)
    assert reference is not None

    def naive(data: bytes) -> float | None:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        vec = naive_analyzer.embedding(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        return None if vec is None else distance(vec, reference)

    def decode(data: bytes) -> object:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

    with LikenessScorer(analyzer, [reference]) as scorer:
        results = [scorer.score(data) for data in images]
        missed = sum(r is None for r in results)
        floor = _ms_per_image(decode, images)
        slow = _ms_per_image(naive, images)
        fast = _ms_per_image(scorer.score, images)
    worst = max(r.distance for r in results if r is not None)
    print(f"likeness scoring, {COUNT} JPEG outputs of {SIDE}x{SIDE} px, median of {ROUNDS} rounds")
    print(f"  decode only              {floor:7.1f} ms/image")
    print(f"  naive (full-frame HOG)   {slow:7.1f} ms/image")
    print(f"  pinglass (512 px detect) {fast:7.1f} ms/image  target <= {TARGET_MS:.0f}")
    print(f"  naive / pinglass         {slow / fast:7.2f}x")
    print(f"  pinglass / decode only   {fast / floor:7.1f}x")
    print(f"  faces missed {missed}/{COUNT}; worst same-person distance {worst:.3f}")
    verdict = "meets" if fast <= TARGET_MS else "MISSES"
    print(f"  {verdict} the {TARGET_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
