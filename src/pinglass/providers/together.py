"""Together AI: the OpenAI-style ``/images/generations`` endpoint (PROVIDERS.md §4).

``response_format`` is ``"base64"`` (not ``b64_json``). Kontext models take the reference as
``image_url``; a ``data:`` URI is sent (acceptance is unverified, §15).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pinglass.providers import _common
from pinglass.providers._openai_images import OpenAIImagesProvider
from pinglass.providers.base import GenerationRequest

__all__ = ["Together"]


class Together(OpenAIImagesProvider):
    """Together AI images adapter."""

    name: ClassVar[str] = "together"
    key_env_vars: ClassVar[tuple[str, ...]] = ("TOGETHER_API_KEY",)
    default_base_url: ClassVar[str] = "https://api.together.xyz/v1"
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient credit", "insufficient balance")
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw", "content_policy", "safety")

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """Model, prompt, size and ``response_format: "base64"``; the reference as ``image_url``."""
        body: dict[str, Any] = {
            "model": req.model,
            "prompt": req.prompt,
            "width": req.width,
            "height": req.height,
            "n": 1,
            "response_format": "base64",
        }
        optional = {
            "negative_prompt": req.negative_prompt or None,
            "seed": req.seed,
            "steps": req.steps,
            "guidance_scale": req.guidance,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        entry = _common.catalog_entry(self.name, req.model)
        field = entry.reference_field if entry else None
        if req.references and field:
            body[field] = req.references[0].data_uri()
        return {**body, **req.params}
