"""Segmind: v1 synchronous model endpoints returning raw image bytes (PROVIDERS.md §11).

``POST {base}/v1/{slug}`` with the key in ``x-api-key`` (the gateway rejects it as a Bearer
token). Only HTTP 200 is billed, and the response headers say what it cost (``x-cost``, USD
credits), which seed was used and the request id. A 406 is either a wrong content type or an
empty account / team spend limit; the body text decides.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pinglass.errors import ProviderError, RateLimited
from pinglass.providers import _common, _http, _upload
from pinglass.providers.base import Finished, GenerationRequest, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey

__all__ = ["Segmind"]

_QUOTA_WORDS = ("insufficient credit", "spend limit", "not enough credit")


class Segmind(Provider):
    """Segmind serverless models (v1 API, one synchronous call per image)."""

    name = "segmind"
    key_env_vars = ("SEGMIND_API_KEY",)
    default_base_url = "https://api.segmind.com"

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once; never retried). Raises a ``ProviderError``."""
        response = await _http.send(
            self.client,
            "POST",
            f"{self.base_url}/v1/{req.model}",
            provider=self.name,
            model=req.model,
            refine=_refine,
            headers=_headers(key),
            json=self.payload(req),
        )
        image = _upload.image_from_response(response, provider=self.name, model=req.model)
        seed = response.headers.get("x-seed-value", "")
        return Finished(
            images=(image,),
            remote_id=response.headers.get("x-request-id"),
            billed_usd=_decimal(response.headers.get("x-cost")),
            seed=int(seed) if seed.lstrip("-").isdigit() else req.seed,
        )

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """The JSON body: prompt, size, seed, the catalog's fixed params, and the references.

        Each Segmind model names its reference input differently, so the field comes from the
        catalog entry (``reference_field``); references travel as bare base64 strings.
        """
        body: dict[str, Any] = {"prompt": req.prompt, "width": req.width, "height": req.height}
        if req.negative_prompt:
            body["negative_prompt"] = req.negative_prompt
        if req.seed is not None:
            body["seed"] = req.seed
        # Step/guidance input names differ per model (flux-pulid: num_steps); they come from the
        # catalog's params rather than being guessed here.
        body.update(req.params)
        entry = _common.catalog_entry(self.name, req.model)
        if req.references and entry is not None and entry.reference_field:
            encoded = [base64.b64encode(r.data).decode() for r in req.references]
            many = entry.references == "many"
            body[entry.reference_field] = encoded if many else encoded[0]
        return body

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET /v1/get-user-credits`` (free): paid and free credit left, in USD."""
        try:
            response = await _http.send(
                self.client,
                "GET",
                f"{self.base_url}/v1/get-user-credits",
                provider=self.name,
                headers=_headers(key),
                # A valid key without a billing record answers 404 "No credits found" (§0.4).
                ok=lambda r: r.is_success or r.status_code == 404,
            )
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        if response.status_code == 404:
            return KeyStatus(ok=True, balance="no credits")
        body = _http.json_of(response, provider=self.name)
        credits = body.get("credits", 0) if isinstance(body, dict) else 0
        free = body.get("free-credits", 0) if isinstance(body, dict) else 0
        return KeyStatus(ok=True, balance=f"${credits} credits + ${free} free")


def _headers(key: ApiKey) -> dict[str, str]:
    """Segmind's key header; a Bearer token is refused with 401 (§11)."""
    return {"x-api-key": key.header_value()}


def _decimal(value: str | None) -> Decimal | None:
    """A header's decimal value, ``None`` when absent or unreadable."""
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _refine(response: httpx.Response, error: ProviderError) -> ProviderError:
    """406 out of credit → quota; 429 reset time from ``x-rate-limit-reset-at-utc``."""
    if response.status_code == 406:
        return _common.refine_by_text(response, error, quota=_QUOTA_WORDS)
    if isinstance(error, RateLimited) and error.retry_after is None:
        wait = _seconds_until(response.headers.get("x-rate-limit-reset-at-utc"))
        if wait is not None:
            return RateLimited(
                str(error).removeprefix("segmind: "),
                retry_after=wait,
                provider=error.provider,
                model=error.model,
                status_code=error.status_code,
                request_id=error.request_id,
            )
    return error


def _seconds_until(stamp: str | None) -> float | None:
    """Seconds from now to an ISO-8601 UTC time, capped at 60; ``None`` if unreadable."""
    if not stamp:
        return None
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0), 60.0)
