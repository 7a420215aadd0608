"""The plan of a run: jobs from preset × chosen references × the provider chain, and its cost.

A :class:`Job` knows its prompt and the ranked references chosen for the run; what it actually
sends depends on the model that runs it (:meth:`Job.request_for`): none, one (rotated across
prompts) or the best several.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pinglass.catalog import ModelEntry
from pinglass.errors import UsageError
from pinglass.money import ZERO, usd
from pinglass.providers.base import GenerationRequest, Reference, fields_digest

__all__ = ["Estimate", "Job", "Plan"]


@dataclass(frozen=True, slots=True)
class Job:
    """One image to make. ``index`` is 1-based and names the file (``07-boardroom.png``)."""

    index: int
    prompt_id: str
    prompt: str
    negative_prompt: str = ""
    width: int | None = None
    height: int | None = None
    seed: int | None = None
    guidance: float | None = None
    steps: int | None = None
    identity_weight: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    """The run's chosen references, best first."""

    def digest(self, *, references: bool = True) -> str:
        """A short hash of everything that decides this job's image, independent of the model.

        With ``references=False`` the chosen selfies are left out: the journal names a job by
        the full digest, the image index (``images/.index.jsonl``) by the one without them.
        """
        return fields_digest(
            str(self.index),
            self.prompt_id,
            self.prompt,
            self.negative_prompt,
            f"{self.width}x{self.height}",
            str(self.seed),
            str(self.guidance),
            str(self.steps),
            str(self.identity_weight),
            repr(sorted(self.params.items())),
            *((r.sha256 for r in self.references) if references else ()),
        )[:16]

    @property
    def stem(self) -> str:
        """File name without extension: ``NN-<prompt-id>``."""
        return f"{self.index:02d}-{self.prompt_id}"

    def references_for(self, entry: ModelEntry) -> tuple[Reference, ...]:
        """The references this job sends to ``entry``: none, one rotated, or the best several."""
        if entry.references == "none" or not self.references:
            return ()
        if entry.references == "one":
            return (self.references[(self.index - 1) % len(self.references)],)
        return self.references[: entry.max_references]

    def size_for(self, entry: ModelEntry) -> tuple[int, int]:
        """Output size: the preset's when set, else the model's default."""
        return (self.width or entry.width, self.height or entry.height)

    def request_for(self, entry: ModelEntry, *, safety_checker: bool = True) -> GenerationRequest:
        """The provider request for this job on ``entry``.

        ``safety_checker`` (``--safety-checker/--no-safety-checker``) reaches the model's own
        switch where the catalog names one (``safety_checker_input``), and every adapter that
        has a switch of its own (fal's ``enable_safety_checker``).
        """
        width, height = self.size_for(entry)
        params = {**entry.params, **self.params}
        switch = entry.safety_checker_input
        if switch is not None:
            params[switch] = not safety_checker if switch.startswith("disable") else safety_checker
        deadline = entry.deadline_seconds
        return GenerationRequest(
            prompt=self.prompt,
            model=entry.vendor_id,
            references=self.references_for(entry),
            negative_prompt=self.negative_prompt,
            width=width,
            height=height,
            seed=self.seed,
            guidance=self.guidance,
            steps=self.steps,
            identity_weight=self.identity_weight,
            params=params,
            reference_field=entry.reference_field,
            many_references=entry.references == "many",
            price_unit=entry.unit,
            timeout_s=entry.timeout_s,
            deadline_s=None if deadline is None else int(deadline),
            safety_checker=safety_checker,
        )

    def price_on(self, entry: ModelEntry) -> Decimal:
        """Estimated USD for this job on ``entry``."""
        return usd(entry.price_per_image(*self.size_for(entry)))

    def worst_price_on(self, entry: ModelEntry) -> Decimal:
        """The most this job can cost on ``entry`` (USD): what one paid attempt reserves."""
        return usd(entry.worst_price_per_image(*self.size_for(entry)))


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a run is expected to cost (USD) before anything is sent."""

    images: int
    """Images that will be requested (reused ones excluded)."""
    per_image_usd: Decimal
    total_usd: Decimal
    worst_case_usd: Decimal
    """If every image fell back to the dearest model in the chain and ran to its deadline."""
    entry: ModelEntry
    reused: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """Jobs, the ordered fallback chain of models, and the spend cap."""

    jobs: tuple[Job, ...]
    chain: tuple[ModelEntry, ...]
    max_cost: Decimal | None = None
    concurrency: int | None = None

    def __post_init__(self) -> None:
        if not self.chain:
            raise ValueError("a plan needs at least one model in its chain")
        self.check_prompt_limits()

    def check_prompt_limits(self) -> None:
        """Refuse a prompt longer than a chained model accepts, before anything is sent.

        Raises ``UsageError`` naming the prompt id, its length, the model and the limit
        (``ModelEntry.max_prompt_chars``), since the provider would only reject it per image.
        """
        for entry in self.chain:
            limit = entry.max_prompt_chars
            if limit is None:
                continue
            for job in self.jobs:
                for what, text in (
                    ("prompt", job.prompt),
                    ("negative prompt", job.negative_prompt),
                ):
                    if len(text) > limit:
                        raise UsageError(
                            f"prompt {job.prompt_id!r}: the {what} is {len(text)} characters; "
                            f"{entry.key} accepts at most {limit}. Shorten it in the preset or "
                            "choose another --provider/--model"
                        )

    def estimate(self, skip: Sequence[int] = ()) -> Estimate:
        """Price the jobs on the first model of the chain; ``skip`` lists reused job indexes."""
        todo = [j for j in self.jobs if j.index not in set(skip)]
        first = self.chain[0]
        total = sum((j.price_on(first) for j in todo), ZERO)
        # the dearest model of the chain, a per-second one at its deadline (Cancel-After)
        worst = sum((max(j.worst_price_on(e) for e in self.chain) for j in todo), ZERO)
        per = todo[0].price_on(first) if todo else usd(first.price_per_image())
        return Estimate(
            images=len(todo),
            per_image_usd=per,
            total_usd=usd(total),
            worst_case_usd=usd(worst),
            entry=first,
            reused=len(self.jobs) - len(todo),
        )
