"""OpenAI Images: gpt-image models (https://platform.openai.com/docs/api-reference/images).

Text only → ``POST /images/generations`` (JSON). With references → ``POST /images/edits``
(multipart) with one repeated ``image[]`` part per reference. GPT-Image always answers with
``b64_json``. A 429 ``insufficient_quota`` is a quota error, not a rate limit; a moderation block
(``moderation_blocked``, "rejected by our safety system") is a content rejection.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pinglass.providers import PROVIDERS, _common
from pinglass.providers._openai_images import OpenAIImagesProvider
from pinglass.providers.base import GenerationRequest

__all__ = ["OpenAI"]

# GPT-Image sizes: square, landscape and portrait (gpt-image-2 accepts more, these are safe).
_SIZES = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}


def _size(width: int, height: int) -> str:
    ratio = width / height
    if ratio > 1.2:
        return _SIZES["landscape"]
    if ratio < 1 / 1.2:
        return _SIZES["portrait"]
    return _SIZES["square"]


class OpenAI(OpenAIImagesProvider):
    """OpenAI Images API adapter."""

    spec = PROVIDERS["openai"]
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient_quota", "billing_hard_limit")
    safety_signals: ClassVar[tuple[str, ...]] = ("moderation_blocked", "safety system")

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """Model, prompt, size (nearest GPT-Image size), one image, plus catalog params."""
        body: dict[str, Any] = {
            "model": req.model,
            "prompt": req.prompt,
            "size": _size(req.width, req.height),
            "n": 1,
        }
        params = dict(req.params)
        if not req.references:  # only /images/edits knows input_fidelity
            params.pop("input_fidelity", None)
        return {**body, **params}

    def endpoint(self, req: GenerationRequest) -> str:
        """``/images/edits`` when references are attached, else ``/images/generations``."""
        return "/images/edits" if req.references else self.path

    def request_kwargs(self, req: GenerationRequest) -> dict[str, Any]:
        """JSON for text only; multipart with repeated ``image[]`` parts for references."""
        if not req.references:
            return {"json": self.payload(req)}
        parts = _common.form_fields(self.payload(req))
        parts += [("image[]", (r.name, r.data, r.mime)) for r in req.references]
        return {"files": parts}
