"""Gallery page with 920 images: page size, build time, and load time in Chromium vs a baseline.

Makes a run folder of 920 portraits (896x1152 JPEG, distinct files) and its report, builds
``index.html`` with ``write_gallery`` (cold: every thumbnail written; warm: thumbnails reused),
then opens it in headless Chromium (a fresh browser per sample) and reads the page's own paint
and navigation timing: first contentful paint, DOMContentLoaded and the load event. The baseline,
measured in the same run, is the same page with every tile showing its full-size image eagerly,
which is what a gallery without thumbnails and lazy loading does. Figures are medians; the
ratios (baseline / gallery) are the result. Run: ``python benchmarks/bench_gallery.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "gallery"))

import numpy as np  # noqa: E402
from chromium_cdp import Browser, find_chromium  # noqa: E402
from PIL import Image  # noqa: E402

from pinglass.report.gallery import write_gallery  # noqa: E402
from pinglass.report.models import (  # noqa: E402
    Budget,
    ImageEntry,
    Likeness,
    PresetInfo,
    Report,
    Totals,
)

ROWS, BASES, SAMPLES = 920, 23, 5
PROMPT = (
    "Classic head-and-shoulders studio headshot of the person, 85mm lens at f/4, large softbox "
    "key light at 45 degrees with a white fill card, seamless mid-grey paper backdrop, tailored "
    "charcoal blazer over a crisp white shirt, relaxed confident expression, LinkedIn photo."
)
_TIMING = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd,
          images: Array.from(document.images).filter(i => i.complete && i.naturalWidth).length};
})()"""


def portraits(folder: Path) -> list[Path]:
    """ROWS full-size JPEGs (~210 KB, like a provider's 896x1152 output): BASES distinct noisy
    gradients, each written to many files."""
    rng = np.random.default_rng(7)
    y = np.linspace(0, 1, 1152)[:, None, None]
    bases = []
    for b in range(BASES):
        colour = rng.uniform(40, 215, size=3)
        pixels = colour * (0.6 + 0.4 * y) + rng.normal(0, 6, size=(1152, 896, 3))
        buf = io.BytesIO()
        Image.fromarray(pixels.clip(0, 255).astype("uint8")).save(buf, "JPEG", quality=90)
        bases.append(buf.getvalue())
        del b
    (folder / "images").mkdir(parents=True)
    files = []
    for i in range(1, ROWS + 1):
        path = folder / "images" / f"{i:03d}-shot-{i}.jpg"
        path.write_bytes(bases[i % BASES])
        files.append(path)
    return files


def report(files: list[Path]) -> Report:
    rng = np.random.default_rng(11)
    images = [
        ImageEntry(
            index=i,
            prompt_id=f"shot-{i}",
            prompt=PROMPT,
            status="succeeded",
            file=f"images/{path.name}",
            provider="mock",
            model="mock-portrait",
            reference="IMG_0412.jpg",
            references=["IMG_0412.jpg"],
            seed=1000 + i,
            attempts=1,
            cost_usd=0.025,
            latency_s=8.2,
            likeness=Likeness(score=float(rng.uniform(0.4, 1)), distance=0.3),
        )
        for i, path in enumerate(files, start=1)
    ]
    return Report(
        run_id="bench",
        started_at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        status="completed",
        preset=PresetInfo(name="business", path="presets/business.toml", sha256="0" * 64),
        provider_chain=["mock/mock-portrait"],
        budget=Budget(estimated_cost_usd=23.0),
        images=images,
        totals=Totals(succeeded=ROWS, cost_usd=23.0, folder_cost_usd=23.0, wall_s=900),
    )


def baseline(html: str) -> str:
    """The same page with every tile showing its full-size image, eagerly."""
    tile = re.compile(r'<a class="pic" href="([^"]+)"([^>]*)><img src="thumbs/[^"]+"([^>]*)>')
    out, n = tile.subn(
        lambda m: f'<a class="pic" href="{m[1]}"{m[2]}><img src="{m[1]}"{m[3]}>', html
    )
    assert n == ROWS, n
    return out.replace('loading="lazy"', 'loading="eager"')


def load(binary: str, page: Path) -> dict[str, float]:
    with Browser(binary, width=1280, height=900) as b:
        b.navigate(page.as_uri(), timeout=300)
        b.wait_for("performance.getEntriesByType('navigation')[0].loadEventEnd > 0", timeout=60)
        timing: dict[str, float] = b.evaluate(_TIMING)
        return timing


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="pinglass-bench-gallery-"))
    try:
        out = work / "run"
        files = portraits(out)
        doc = report(files)
        started = time.perf_counter()
        page = write_gallery(doc, out)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        write_gallery(doc, out)
        warm = time.perf_counter() - started
        html = page.read_text(encoding="utf-8")
        base = out / "baseline.html"
        base.write_text(baseline(html), encoding="utf-8")
        thumbs = sum(p.stat().st_size for p in (out / "thumbs").glob("*.jpg"))
        full = sum(p.stat().st_size for p in files)
        print(f"{ROWS} images, full size {full / 1e6:.1f} MB, thumbnails {thumbs / 1e6:.1f} MB")
        print(f"index.html: {page.stat().st_size / 1024:.0f} KiB ({page.stat().st_size} bytes)")
        print(f"build: {cold:.1f} s cold (writes {ROWS} thumbnails), {warm:.2f} s warm")
        binary, why = find_chromium()
        if binary is None:
            print(f"load time: skipped ({why})")
            return
        runs: dict[str, list[dict[str, float]]] = {"gallery": [], "baseline": []}
        for _ in range(SAMPLES):  # alternate, so load on the machine hits both alike
            runs["gallery"].append(load(binary, page))
            runs["baseline"].append(load(binary, base))
        med = {
            name: {k: statistics.median(s[k] for s in samples) for k in samples[0]}
            for name, samples in runs.items()
        }
        for name in ("gallery", "baseline"):
            m = med[name]
            print(
                f"{name:>8}: first contentful paint {m['fcp']:.0f} ms, DOMContentLoaded "
                f"{m['dcl']:.0f} ms, load {m['load']:.0f} ms, images loaded {m['images']:.0f}"
            )
        g, b = med["gallery"], med["baseline"]
        print(
            f"baseline / gallery: first paint x{b['fcp'] / g['fcp']:.2f}, DOMContentLoaded "
            f"x{b['dcl'] / g['dcl']:.2f}, load x{b['load'] / g['load']:.2f} "
            f"(median of {SAMPLES}, fresh browser each)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
