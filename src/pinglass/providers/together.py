"""Together AI: the OpenAI-style ``/images/generations`` endpoint (docs/providers.md).

``response_format`` is ``"base64"`` (not ``b64_json``). Kontext models take the reference as
``image_url``; a ``data:`` URI is sent (the API reference does not promise it is accepted:
https://docs.together.ai/reference/post-images-generations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pinglass.providers import PROVIDERS
from pinglass.providers._openai_images import OpenAIImagesProvider
from pinglass.providers.base import GenerationRequest

__all__ = ["Together"]


class Together(OpenAIImagesProvider):
    """Together AI images adapter."""

    spec = PROVIDERS["together"]
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient credit", "insufficient balance")
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw", "content_policy", "safety")
    generic_fields: ClassVar[Mapping[str, str]] = {
        "negative_prompt": "negative_prompt",
        "seed": "seed",
        "steps": "steps",
        "guidance": "guidance_scale",
    }

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
        body.update(self.generic_inputs(req))
        if req.references and req.reference_field:
            body[req.reference_field] = req.references[0].data_uri()
        return {**body, **req.params}
