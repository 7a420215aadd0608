"""Google Gemini API: image models through ``:generateContent`` (docs/providers.md).

Synchronous. References travel inline as base64 ``inline_data`` parts; the output comes back as
``candidates[0].content.parts[].inlineData``. A 200 without an image part is a failure: safety
finish reasons and ``promptFeedback.blockReason`` become ``ContentRejected``. Imagen
(``:predict``) is retired (https://ai.google.dev/gemini-api/docs/deprecations) and has no
adapter here.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.errors import AuthError, ContentRejected, InvalidRequest, ProviderError, RateLimited
from pinglass.providers import PROVIDERS, _common, _http
from pinglass.providers.base import Finished, GenerationRequest, ImageData, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey

__all__ = ["Google"]

# imageConfig.aspectRatio values the google-genai SDK lists for every Gemini image model.
_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9")
# finishReason / blockReason values that mean a safety system refused:
# https://ai.google.dev/api/generate-content#FinishReason
_SAFETY = frozenset(
    "SAFETY IMAGE_SAFETY PROHIBITED_CONTENT IMAGE_PROHIBITED_CONTENT BLOCKLIST SPII RECITATION"
    " IMAGE_RECITATION NO_IMAGE MODEL_ARMOR JAILBREAK".split()
)


class Google(Provider):
    """Gemini image models (``gemini-3.1-flash-image``, ``gemini-3-pro-image``)."""

    spec = PROVIDERS["google"]
    auth_header: ClassVar[str] = "x-goog-api-key"  # the header the google-genai SDK sends
    auth_scheme: ClassVar[str] = ""

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once). Raises a ``ProviderError``."""
        parts: list[dict[str, Any]] = [
            {"inline_data": {"mime_type": r.mime, "data": base64.b64encode(r.data).decode()}}
            for r in req.references
        ]
        parts.append({"text": req.prompt})
        image_config: dict[str, Any] = {
            "aspectRatio": _http.nearest_aspect_ratio(req.width, req.height, _RATIOS)
        }
        if size := req.params.get("image_size"):
            image_config["imageSize"] = size
        body = {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": image_config,
            },
        }
        url = f"{self.base_url}/models/{req.model}:generateContent"
        answer = await self.request_json("POST", url, key, model=req.model, json=body)
        return _parse(answer, req.model)

    async def probe(self, key: ApiKey) -> KeyStatus:
        """List models (free); a bad key answers 400 ``API_KEY_INVALID``."""
        return await self.probe_request(f"{self.base_url}/models", key, params={"pageSize": 1})

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """Bad keys come back as 400 ``API_KEY_INVALID``; 429 carries ``RetryInfo.retryDelay``."""
        try:
            body = response.json()
        except ValueError:
            return error
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return error
        details = [d for d in err.get("details") or [] if isinstance(d, dict)]
        if any(d.get("reason") == "API_KEY_INVALID" for d in details):
            return _common.rebrand(error, AuthError)
        if isinstance(error, RateLimited) and error.retry_after is None:
            for d in details:
                delay = d.get("retryDelay")
                if isinstance(delay, str) and (m := re.fullmatch(r"(\d+(?:\.\d+)?)s", delay)):
                    return _common.with_retry_after(error, float(m.group(1)))
        return error


def _parse(body: Any, model: str) -> Finished:
    """Images from the first candidate, or the reason there are none."""
    kw: dict[str, Any] = {"provider": "google", "model": model}
    if not isinstance(body, dict):
        raise InvalidRequest("unexpected response shape (not a JSON object)", **kw)
    block = (body.get("promptFeedback") or {}).get("blockReason")
    if block:
        raise ContentRejected(f"prompt blocked ({block})", **kw)
    candidates = body.get("candidates") or []
    candidate = candidates[0] if candidates else {}
    images: list[ImageData] = []
    texts: list[str] = []
    for part in (candidate.get("content") or {}).get("parts") or []:
        if not isinstance(part, dict) or part.get("thought") is True:
            # An interim "thought" image or text, not the answer; python-genai's accessors skip
            # them the same way (docs/providers.md, Billing rules).
            continue
        inline = part.get("inlineData") or part.get("inline_data")
        if inline and inline.get("data"):
            mime = inline.get("mimeType") or inline.get("mime_type") or "image/png"
            data = _http.b64decode(inline["data"], provider="google")
            images.append(ImageData(data=data, mime=mime))
        elif part.get("text"):
            texts.append(part["text"])
    if images:
        remote_id = body.get("responseId")
        # The last image part is the finished one; earlier ones are drafts the model revised.
        return Finished(images=(images[-1],), remote_id=remote_id if remote_id else None)
    reason = candidate.get("finishReason") or "none"
    said = f": {' '.join(' '.join(texts).split())[:200]}" if texts else ""
    message = f"no image in the response (finishReason {reason}){said}"
    if reason in _SAFETY:
        raise ContentRejected(message, **kw)
    raise InvalidRequest(message, **kw)
