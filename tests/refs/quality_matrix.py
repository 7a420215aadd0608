"""A labelled matrix of reference photos made from public-domain portraits, and its verdicts.

Shared by ``tests/refs/test_quality_matrix.py`` (CI keeps every check) and
``benchmarks/bench_refs_quality.py`` (prints the confusion table). The base portraits are the
crops in ``tests/data/refs/`` (sources and licences in ``tests/data/README.md``); every photo is
derived from them here, at run time:

* **the same shot, re-made:** scales 0.5x, 2.5x and 4x, film grain, JPEG quality 40 and 95,
  and a deeper skin tone (mid-tones darkened, black level and highlights kept). None of these
  may lose points for sharpness or exposure; 0.5x makes the face too small and is rejected.
* **degraded:** Gaussian blur with sigma at 1 %, 2 % and 4 % of the face width; dark, bright
  and side-lit versions. Each must rank below its clean source with the right penalty named.
* **composites:** two people side by side (the shot and its mirror image), a tiny face in a
  wide scene, a face cut by the frame edge and a re-saved duplicate, each with the rejection
  code it must get.

Each photo is scored in a folder of its own with two companions (mirror images of the clean
shot, one turned 4 deg), so that set-relative measures have a set to compare with and a mirror
is never a near-duplicate of the photo under test.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from pinglass.refs import FaceCheck, RefScore, score_folder

if TYPE_CHECKING:
    from pinglass.refs.analysis import Detector

DATA = Path(__file__).resolve().parents[1] / "data" / "refs"
CLEAN_FACE_PX = 220
"""Face width, in px, of every clean shot (the base is resampled to it)."""


@dataclass(frozen=True, slots=True)
class Base:
    """A public-domain portrait crop and the width of its face there (Haar box, px)."""

    name: str
    file: str
    face_px: float


BASES = (
    Base("astronaut", "astronaut.jpg", 95.0),
    Base("einstein", "einstein.jpg", 112.0),
    Base("mona-lisa", "mona-lisa.jpg", 112.0),
)


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled photo: what it is, what verdict it must get, what must hold for its rank."""

    base: str
    kind: str
    file: str
    folder: Path
    expected: str
    """``usable`` or a rejection code."""
    penalty: tuple[str, ...] = ()
    """Words one of its penalties must contain (a degraded photo), empty otherwise."""
    below_clean: bool = False
    """It must score below its clean source."""
    keeps_quality: bool = False
    """It must lose no points for sharpness or exposure (the same shot, re-made)."""


@dataclass(frozen=True, slots=True)
class Result:
    """A case and what pinglass said about it."""

    case: Case
    given: str
    score: float
    penalties: tuple[str, ...]
    metrics: dict[str, object] = field(default_factory=dict)


def _load(base: Base) -> Image.Image:
    with Image.open(DATA / base.file) as img:
        return img.convert("RGB")


def _resize(img: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
    method = Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC
    return img.resize(size, method)


def _gain(img: Image.Image, gain: float, offset: float = 0.0) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32) * gain + offset
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def _deeper(img: Image.Image) -> Image.Image:
    """Mid-tones darker, black level and highlights kept: a deeper skin tone, well exposed."""
    arr = 255.0 * (0.04 + 0.92 * (np.asarray(img, dtype=np.float32) / 255.0) ** 1.8)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def _side_lit(img: Image.Image) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    ramp = np.linspace(1.3, 0.12, arr.shape[1], dtype=np.float32)
    return Image.fromarray((arr * ramp[None, :, None]).clip(0, 255).astype(np.uint8))


def _grain(img: Image.Image, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 9.0, (img.height, img.width)).astype(np.float32)
    clump = Image.fromarray(((noise + 128).clip(0, 255)).astype(np.uint8))
    soft = np.asarray(clump.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32) - 128
    arr = np.asarray(img, dtype=np.float32) + 1.6 * soft[:, :, None]
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def _scene(face: Image.Image, size: tuple[int, int], at: tuple[int, int]) -> Image.Image:
    """``face`` pasted into a textured wide scene (a wall with a gradient and some noise)."""
    rng = np.random.default_rng(7)
    w, h = size
    ramp = np.linspace(150, 200, w, dtype=np.float32)[None, :, None]
    wall = np.broadcast_to(ramp, (h, w, 3)) + rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    out = Image.fromarray(wall.clip(0, 255).astype(np.uint8))
    out.paste(face, at)
    return out


def _save(img: Image.Image, folder: Path, name: str, quality: int = 92) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    img.save(folder / name, "JPEG", quality=quality)
    return name


def _companions(clean: Image.Image, store: Path) -> list[Path]:
    turned = clean.rotate(4, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(128,) * 3)
    return [
        store / _save(ImageOps.mirror(clean), store, "zz-mirror.jpg"),
        store / _save(ImageOps.mirror(turned), store, "zz-mirror-turned.jpg"),
    ]


def _folder(root: Path, base: str, kind: str, companions: Sequence[Path]) -> Path:
    folder = root / f"{base}-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in companions:
        shutil.copyfile(path, folder / path.name)
    return folder


def build(root: Path, bases: Sequence[Base] = BASES) -> list[Case]:
    """Write every labelled photo (with its companions) under ``root``; returns the cases."""
    cases: list[Case] = []
    cleans = {b.name: _resize(_load(b), CLEAN_FACE_PX / b.face_px) for b in bases}
    for base in bases:
        clean = cleans[base.name]
        comps = _companions(clean, root / f"_{base.name}-companions")
        sigma_px = CLEAN_FACE_PX / 100.0

        def add(
            kind: str, img: Image.Image, expected: str, quality: int = 92, **kw: object
        ) -> None:
            folder = _folder(root, base.name, kind, comps)  # noqa: B023 - used at once
            name = _save(img, folder, f"{base.name}-{kind}.jpg", quality)  # noqa: B023
            cases.append(Case(base.name, kind, name, folder, expected, **kw))  # type: ignore[arg-type]  # noqa: B023

        add("clean", clean, "usable")
        add("scale-0.5x", _resize(clean, 0.5), "face_too_small")
        for factor in (2.5, 4.0):
            add(f"scale-{factor:g}x", _resize(clean, factor), "usable", keeps_quality=True)
        add("grain", _grain(clean, 3), "usable", keeps_quality=True)
        add("jpeg-40", clean, "usable", quality=40, keeps_quality=True)
        add("jpeg-95", clean, "usable", quality=95, keeps_quality=True)
        add("deeper-tone", _deeper(clean), "usable", keeps_quality=True)
        for pct in (1, 2, 4):
            blurred = clean.filter(ImageFilter.GaussianBlur(pct * sigma_px))
            add(f"blur-{pct}pct", blurred, "usable", penalty=("soft",), below_clean=True)
        add("dark", _gain(clean, 0.22), "usable", penalty=("dark",), below_clean=True)
        add("bright", _gain(clean, 1.3, 30), "usable", penalty=("bright",), below_clean=True)
        add("side-lit", _side_lit(clean), "usable", penalty=("uneven light",), below_clean=True)
        other = ImageOps.mirror(clean)  # the second person: one Haar finds in every base
        pair = Image.new("RGB", (clean.width + other.width, max(clean.height, other.height)))
        pair.paste(clean, (0, 0))
        pair.paste(other, (clean.width, 0))
        add("two-people", pair, "multiple_faces")
        tiny = _resize(clean, 40 / CLEAN_FACE_PX)
        add("tiny-face", _scene(tiny, (1600, 1200), (900, 500)), "face_too_small")
        cut = clean.crop((round(clean.width * 0.5), 0, clean.width, clean.height))
        add("cut-off", cut, "face_cut_off")
        folder = _folder(root, base.name, "duplicate", comps)
        _save(clean, folder, f"{base.name}-original.jpg")
        name = _save(clean, folder, f"{base.name}-resaved.jpg", 85)
        cases.append(Case(base.name, "duplicate", name, folder, "duplicate"))
    return cases


def run(
    cases: Sequence[Case], face_check: FaceCheck | None = None, detector: Detector | None = None
) -> list[Result]:
    """Score every case's folder and read off the case's own photo."""
    results = []
    for case in cases:
        extra = {"detector": detector} if detector is not None else {}  # older builds lack it
        report = score_folder(case.folder, face_check=face_check, **extra)
        refs = {r.file: r for r in report.references}
        ref: RefScore = refs[case.file]
        given = "usable" if ref.usable else str(ref.rejected_reason)
        if case.kind == "duplicate" and given == "usable":
            original = refs[f"{case.base}-original.jpg"]  # the pair may go either way round
            given = "duplicate" if original.rejected_reason == "duplicate" else given
        results.append(Result(case, given, ref.score, tuple(ref.penalties), dict(ref.metrics)))
    return results


def confusion(results: Sequence[Result]) -> str:
    """Expected verdict (rows) against the one given (columns), as a text table."""
    counts = Counter((r.case.expected, r.given) for r in results)
    labels = sorted({k for pair in counts for k in pair}, key=_order)
    width = max(len(x) for x in labels) + 2
    lines = ["expected \\ given".ljust(width) + "".join(x[:14].rjust(16) for x in labels)]
    for row in labels:
        if not any(r.case.expected == row for r in results):
            continue
        cells = "".join(str(counts.get((row, col), "")).rjust(16) for col in labels)
        lines.append(row.ljust(width) + cells)
    right = sum(r.given == r.case.expected for r in results)
    lines.append(f"{right} of {len(results)} verdicts right")
    return "\n".join(lines)


_ORDER = ("usable", "unreadable", "no_face", "face_cut_off", "multiple_faces", "face_too_small")


def _order(label: str) -> tuple[int, str]:
    return (_ORDER.index(label) if label in _ORDER else len(_ORDER), label)


_QUALITY_WORDS = ("soft", "blur", "dark", "bright", "exposed", "highlights", "shadows")


def checks(results: Sequence[Result]) -> list[tuple[str, bool, str]]:
    """Rank-order and penalty checks: (case name, passed, why) for every case that has one."""
    clean = {r.case.base: r for r in results if r.case.kind == "clean"}
    out: list[tuple[str, bool, str]] = []
    for r in results:
        name = f"{r.case.base}/{r.case.kind}"
        ref = clean.get(r.case.base)
        if r.case.below_clean and ref is not None:
            ok = r.given == "usable" and ref.given == "usable" and r.score < ref.score
            out.append(
                (name, ok, f"score {r.score:g} ({r.given}) vs clean {ref.score:g} ({ref.given})")
            )
        if r.case.penalty:
            words = r.case.penalty
            ok = any(w in p for p in r.penalties for w in words)
            out.append((name, ok, f"needs a penalty naming {'/'.join(words)}: {_short(r)}"))
        if r.case.keeps_quality:
            bad = [p for p in r.penalties if any(w in p for w in _QUALITY_WORDS)]
            why = "; ".join(bad) or ("no loss" if r.given == "usable" else f"rejected: {r.given}")
            out.append((name, not bad and r.given == "usable", why))
    return out


def _short(r: Result) -> str:
    return "; ".join(r.penalties) or "no penalties"


def report(results: Sequence[Result], emit: Callable[[str], None] = print) -> int:
    """Print the table, every wrong verdict and every check; returns how many failed."""
    emit(confusion(results))
    failures = 0
    for r in results:
        if r.given != r.case.expected:
            failures += 1
            emit(f"  WRONG {r.case.base}/{r.case.kind}: {r.given} (want {r.case.expected})")
    for name, ok, why in checks(results):
        failures += not ok
        emit(f"  {'ok  ' if ok else 'FAIL'} {name}: {why}")
    return failures
