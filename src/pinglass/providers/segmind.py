"""Segmind: v1 synchronous model endpoints returning raw image bytes (docs/providers.md).

``POST {base}/v1/{slug}`` with the key in ``x-api-key`` (the gateway rejects it as a Bearer
token). Only HTTP 200 is billed, and the response headers say what it cost (``x-cost``, USD
credits), which seed was used and the request id. A 406 is either a wrong content type or an
empty account / team spend limit; the body text decides.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.errors import ProviderError, RateLimited
from pinglass.providers import PROVIDERS, _common, _upload
from pinglass.providers.base import Billed, Finished, GenerationRequest, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey

__all__ = ["Segmind"]

_QUOTA_WORDS = ("insufficient credit", "spend limit", "not enough credit")


class Segmind(Provider):
    """Segmind serverless models (v1 API, one synchronous call per image)."""

    spec = PROVIDERS["segmind"]
    auth_header: ClassVar[str] = "x-api-key"  # the gateway refuses a Bearer token with 401
    auth_scheme: ClassVar[str] = ""
    generic_fields: ClassVar[Mapping[str, str]] = {
        "negative_prompt": "negative_prompt",
        "seed": "seed",
    }

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once; never retried). Raises a ``ProviderError``."""
        url = f"{self.base_url}/v1/{req.model}"
        response = await self.send("POST", url, key, model=req.model, json=self.payload(req))
        image = _upload.image_from_response(response, provider=self.name, model=req.model)
        seed = response.headers.get("x-seed-value", "")
        return Finished(
            images=(image,),
            remote_id=response.headers.get("x-request-id"),
            billed=_usd(response.headers.get("x-cost")),
            seed=int(seed) if seed.lstrip("-").isdigit() else req.seed,
        )

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """The JSON body: prompt, size, seed, the catalog's fixed params, and the references.

        Each Segmind model names its reference input differently, so the field comes from the
        catalog entry (``reference_field``); references travel as bare base64 strings.
        """
        body: dict[str, Any] = {"prompt": req.prompt, "width": req.width, "height": req.height}
        body.update(self.generic_inputs(req))
        # Step/guidance input names differ per model (flux-pulid: num_steps); they come from the
        # catalog's params rather than being guessed here.
        body.update(req.params)
        if req.references and req.reference_field:
            encoded = [base64.b64encode(r.data).decode() for r in req.references]
            body[req.reference_field] = encoded if req.many_references else encoded[0]
        return body

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET /v1/get-user-credits`` (free): paid and free credit left, in USD."""
        # A valid key without a billing record answers 404 "No credits found".
        url = f"{self.base_url}/v1/get-user-credits"
        ok = lambda r: r.is_success or r.status_code == 404  # noqa: E731
        return await self.probe_request(url, key, balance=_credits, ok=ok)

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """406 out of credit → quota; 429 reset time from ``x-rate-limit-reset-at-utc``."""
        if response.status_code == 406:
            return _common.refine_by_text(response, error, quota=_QUOTA_WORDS)
        if isinstance(error, RateLimited) and error.retry_after is None:
            wait = _seconds_until(response.headers.get("x-rate-limit-reset-at-utc"))
            if wait is not None:
                return _common.with_retry_after(error, wait)
        return error


def _credits(body: Any) -> str:
    if not isinstance(body, dict) or "credits" not in body and "free-credits" not in body:
        return "no credits"
    return f"${body.get('credits', 0)} credits + ${body.get('free-credits', 0)} free"


def _usd(value: str | None) -> Billed | None:
    """The ``x-cost`` header as billed USD, ``None`` when absent or unreadable."""
    try:
        return Billed(Decimal(value), "usd") if value else None
    except InvalidOperation:
        return None


def _seconds_until(stamp: str | None) -> float | None:
    """Seconds from now to an ISO-8601 UTC time; ``None`` if unreadable."""
    if not stamp:
        return None
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()
