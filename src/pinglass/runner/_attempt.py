"""The values one job attempt works with, and how a report row is built from them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pinglass.errors import AmbiguousCreate, ProviderDown, Transient
from pinglass.money import ZERO
from pinglass.providers.base import GenerationRequest, Provider
from pinglass.runner.keys import shown_key
from pinglass.runner.plan import Job
from pinglass.runner.results import ImageError, ImageResult, ImageStatus
from pinglass.secrets import ApiKey

__all__ = [
    "Attempt",
    "Step",
    "ambiguous",
    "down",
    "make_result",
    "show",
    "where",
]


class Step(enum.Enum):
    """What the fallback loop does after an attempt that produced no final result."""

    NEXT_KEY = "next_key"
    NEXT_PROVIDER = "next_provider"
    AGAIN = "again"


@dataclass(slots=True)
class Attempt:
    """One try of a job on one provider, model and key."""

    provider: str
    model: str
    prov: Provider
    key: ApiKey
    price: Decimal
    req: GenerationRequest | None
    remote_id: str | None = None


def where(att: Attempt) -> dict[str, Any]:
    """The journal fields that say where an attempt went (key masked, request hashed)."""
    return {
        "provider": att.provider,
        "model": att.model,
        "key_id": att.key.fingerprint,
        "fingerprint": att.req.fingerprint() if att.req is not None else None,
        "price": str(att.price),
    }


def ambiguous(att: Attempt, exc: Transient) -> AmbiguousCreate:
    """The error for a create that may have been accepted and cannot be found again."""
    return AmbiguousCreate(
        f"the create was cut off after it was sent ({exc.message}); it may have been"
        f" billed (about ${att.price}), so it was not sent again",
        provider=att.provider,
        model=att.model,
    )


def make_result(
    job: Job,
    status: ImageStatus,
    att: Attempt | None,
    *,
    attempts: int,
    latency_s: float | None,
    file: str | None = None,
    cost: Decimal = ZERO,
    cost_source: Literal["catalog", "computed", "provider"] = "catalog",
    error: ImageError | None = None,
    seed: int | None = None,
) -> ImageResult:
    """The report row for ``job`` (keys masked; USD)."""
    refs = tuple(r.name for r in att.req.references) if att and att.req else ()
    return ImageResult(
        index=job.index,
        prompt_id=job.prompt_id,
        prompt=job.prompt,
        status=status,
        file=file,
        provider=att.provider if att else None,
        model=att.model if att else None,
        key=shown_key(att.key) if att else None,
        reference=refs[0] if refs else None,
        seed=seed if seed is not None else job.seed,
        attempts=attempts,
        latency_s=latency_s,
        cost_usd=cost,
        cost_source=cost_source,
        remote_id=att.remote_id if att else None,
        error=error,
        estimated_cost_usd=att.price if att else None,
        references=refs,
    )


def show(key: ApiKey) -> str:
    """The masked key for an event (empty for a provider that needs none)."""
    return shown_key(key) or ""


def down(provider: str, cause: str | None = None) -> ProviderDown:
    """The error a job sees once ``provider``'s circuit breaker is open, naming the last
    failure's ``cause`` (a connection error, a 5xx): one message for every image it stops."""
    why = f": {cause.removeprefix(provider + ': ')}" if cause else ""
    return ProviderDown(
        f"failing repeatedly, so no more images are sent to it (circuit breaker open){why}",
        provider=provider,
    )
