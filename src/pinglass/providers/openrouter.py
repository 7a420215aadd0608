"""OpenRouter: image models through chat completions with ``modalities`` (docs/providers.md).

Synchronous. References are ``image_url`` content parts carrying data URIs; images come back as
data URIs in ``choices[0].message.images``. A request rejected up front gets the matching HTTP
status (402 out of credit, 403 moderation); one that fails after generation started comes back
as HTTP 200 with ``error`` in the body, mapped through the same status table.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import httpx

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError
from pinglass.providers import PROVIDERS, _common, _http
from pinglass.providers.base import (
    Billed,
    Finished,
    GenerationRequest,
    ImageData,
    KeyStatus,
    Provider,
)

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey

__all__ = ["OpenRouter"]

# image_config.aspect_ratio values OpenRouter documents:
# https://openrouter.ai/docs/features/multimodal/image-generation
_KEEP = ("retry-after", "x-", "request-id", "cf-ray")
_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


class OpenRouter(Provider):
    """Gemini and other image-output models routed by OpenRouter."""

    spec = PROVIDERS["openrouter"]

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once). Raises a ``ProviderError``."""
        content: list[dict[str, Any]] = [{"type": "text", "text": req.prompt}]
        content += [
            {"type": "image_url", "image_url": {"url": r.data_uri()}} for r in req.references
        ]
        image_config: dict[str, Any] = {
            "aspect_ratio": _http.nearest_aspect_ratio(req.width, req.height, _RATIOS)
        }
        if size := req.params.get("image_size"):
            image_config["image_size"] = size
        body = {
            "model": req.model,
            "messages": [{"role": "user", "content": content}],
            "modalities": list(req.params.get("modalities", ["image", "text"])),
            "image_config": image_config,
            "stream": False,
        }
        url = f"{self.base_url}/chat/completions"
        headers = {"X-Title": "pinglass"}
        response = await self.send("POST", url, key, model=req.model, headers=headers, json=body)
        return _parse(response, req.model)

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET /key`` (free): the key's limit and what is left of it."""
        return await self.probe_request(f"{self.base_url}/key", key, balance=_balance)

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """403 is moderation on OpenRouter (the key problems are 401)."""
        return _refine(response, error)


def _balance(body: Any) -> str:
    data = (body if isinstance(body, dict) else {}).get("data") or {}
    remaining = data.get("limit_remaining")
    if remaining is not None:
        balance = f"${remaining} left of the key's limit"
    else:
        balance = f"no key limit (used ${data.get('usage', 0)})"
    if data.get("is_free_tier"):
        balance += ", free tier"
    return balance


def _parse(response: httpx.Response, model: str) -> Finished:
    """Images from the first choice; an ``error`` in a 200 body is mapped like its code."""
    body = _http.json_of(response, provider="openrouter", model=model)
    kw: dict[str, Any] = {"provider": "openrouter", "model": model}
    if not isinstance(body, dict):
        raise InvalidRequest("unexpected response shape (not a JSON object)", **kw)
    if isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        status = code if isinstance(code, int) and 400 <= code <= 599 else 502
        # Only the headers the error needs (request id, Retry-After): the entity headers of
        # the real response (content-encoding: gzip) would not fit the re-encoded body.
        kept = {k: v for k, v in response.headers.items() if k.lower().startswith(_KEEP)}
        late = httpx.Response(status, json=body, headers=kept)
        raise _refine(late, _http.error_from_response(late, provider="openrouter", model=model))
    choices = body.get("choices") or []
    choice = choices[0] if choices else {}
    message = choice.get("message") or {}
    images = tuple(
        _image(img["image_url"]["url"])
        for img in message.get("images") or []
        if isinstance(img, dict) and (img.get("image_url") or {}).get("url")
    )
    if not images:
        reason = choice.get("finish_reason") or choice.get("native_finish_reason") or "none"
        text = " ".join(str(message.get("content") or "").split())[:200]
        said = f"no image in the response (finish_reason {reason})" + (f": {text}" if text else "")
        if "content_filter" in str(reason).lower() or "safety" in str(reason).lower():
            raise ContentRejected(said, **kw)
        raise InvalidRequest(said, **kw)
    return Finished(images=images, remote_id=body.get("id"), billed=_cost(body))


def _image(url: str) -> ImageData:
    """A data URI decoded now; any other URL is left for the runner to download."""
    if url.startswith("data:"):
        mime, data = _http.decode_data_uri(url, provider="openrouter")
        return ImageData(data=data, mime=mime)
    return ImageData(url=url)


def _cost(body: dict[str, Any]) -> Billed | None:
    """``usage.cost`` in USD where OpenRouter reports it."""
    cost = (body.get("usage") or {}).get("cost")
    try:
        return Billed(Decimal(str(cost)), "usd") if cost is not None else None
    except InvalidOperation:
        return None


def _refine(response: httpx.Response, error: ProviderError) -> ProviderError:
    """403 is moderation on OpenRouter (the key problems are 401)."""
    if response.status_code == 403:
        return _common.rebrand(error, ContentRejected)
    return error
