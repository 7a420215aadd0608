"""``images/.index.jsonl``: what each image in the folder is, kept beside the images.

The journal decides what a re-run reuses, and it names a job by a hash that includes the
chosen selfies. This index is the images' own durable record, so a journal that is emptied or
lost, or a selfie removed from the chosen set, does not make paid images look unpaid: one
line per image written, with its file, its sha256, the prompt it answers (:func:`prompt_key`:
everything that decides the image except the references), seed, provider, model, remote id and
cost. An image is reused from here only while its bytes still hash to the recorded sha256.
``--fresh`` moves the index away with ``images/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pinglass.jsonl import append_object, read_objects
from pinglass.money import ZERO, usd
from pinglass.pricing import CostSource
from pinglass.regular_file import read_regular_file
from pinglass.run_folder import RunFolder
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageResult

__all__ = [
    "IndexedImage",
    "add_image",
    "find_image",
    "prompt_key",
    "read_image_index",
]


def prompt_key(job: Job) -> str:
    """A short hash of what decides ``job``'s image, except its references and model."""
    return job.digest(references=False)


@dataclass(frozen=True, slots=True)
class IndexedImage:
    """One image the index vouches for (``file`` relative to the output folder; USD)."""

    file: str
    sha256: str
    index: int
    prompt_id: str
    prompt: str
    """The :func:`prompt_key` of the job it was made for."""
    job: str
    """The journal's key of that job (it includes the references)."""
    seed: int | None
    provider: str | None
    model: str | None
    reference: str | None
    remote_id: str | None
    cost_usd: Decimal
    cost_source: CostSource

    def result(self, job: Job) -> ImageResult:
        """The ``reused`` report row of this image for ``job``."""
        return ImageResult(
            index=job.index,
            prompt_id=job.prompt_id,
            prompt=job.prompt,
            status="reused",
            file=self.file,
            provider=self.provider,
            model=self.model,
            reference=self.reference,
            seed=self.seed,
            cost_usd=self.cost_usd,
            cost_source=self.cost_source,
            remote_id=self.remote_id,
        )


def add_image(out_dir: Path, job: Job, row: ImageResult) -> None:
    """Record the image ``row`` made for ``job`` (its file must be written); fsynced.

    Raises ``OSError`` when the index cannot be written (the journal still records the image).
    """
    if row.file is None:
        return
    from pinglass.runner.journal import job_key

    digest = hashlib.sha256((out_dir / row.file).read_bytes()).hexdigest()
    line = {
        "file": row.file,
        "job": job_key(job),
        "sha256": digest,
        "index": job.index,
        "prompt_id": job.prompt_id,
        "prompt": prompt_key(job),
        "seed": row.seed,
        "provider": row.provider,
        "model": row.model,
        "reference": row.reference,
        "remote_id": row.remote_id,
        "cost_usd": str(row.cost_usd),
        "cost_source": row.cost_source,
    }
    append_object(out_dir / RunFolder.IMAGE_INDEX, line, durable=True)


def read_image_index(out_dir: Path, name: str = RunFolder.IMAGE_INDEX) -> list[IndexedImage]:
    """Every well-formed entry of ``out_dir``'s image index, oldest first (none if missing).

    A line torn by a crash, or one that is not an entry, is skipped; an unreadable index reads
    as empty (it is a second record; the journal is the first).
    """
    # a FIFO or device in its place reads as empty, never blocks
    return [entry for raw in read_objects(out_dir / name) if (entry := _entry(raw)) is not None]


def find_image(entries: Iterable[IndexedImage], job: Job, out_dir: Path) -> IndexedImage | None:
    """The latest entry made for ``job``'s prompt whose file is still the bytes it recorded."""
    key = prompt_key(job)
    for entry in reversed(list(entries)):
        if entry.prompt != key or entry.index != job.index:
            continue
        try:
            data = read_regular_file(out_dir / entry.file)  # a FIFO there is not the image
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == entry.sha256:
            return entry
    return None


def _entry(raw: dict[str, Any]) -> IndexedImage | None:
    file, digest, index = raw.get("file"), raw.get("sha256"), raw.get("index")
    if not isinstance(file, str) or not isinstance(digest, str) or not isinstance(index, int):
        return None
    if not file.startswith(f"{RunFolder.IMAGES}/") or ".." in Path(file).parts:
        return None  # only ever an image of this folder
    try:
        cost = usd(str(raw.get("cost_usd") or "0"))
    except (InvalidOperation, ValueError):
        cost = ZERO
    source = raw.get("cost_source")
    seed = raw.get("seed")
    return IndexedImage(
        file=file,
        sha256=digest,
        index=index,
        prompt_id=str(raw.get("prompt_id", "")),
        prompt=str(raw.get("prompt", "")),
        job=str(raw.get("job", "")),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        provider=_opt(raw, "provider"),
        model=_opt(raw, "model"),
        reference=_opt(raw, "reference"),
        remote_id=_opt(raw, "remote_id"),
        cost_usd=cost if cost.is_finite() and cost >= 0 else ZERO,
        cost_source=source if source in ("provider", "computed") else "catalog",
    )


def _opt(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    return None if value is None else str(value)
