"""DeepInfra: the OpenAI-compatible images endpoint (docs/providers.md).

``POST {base}/openai/images/generations`` with ``{prompt, model, size, n}`` answers
``data[].b64_json``; the shared :class:`OpenAIImagesProvider` sends it and parses it. The key
probe is ``GET {base}/me`` (account details; free, authenticated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.providers import PROVIDERS
from pinglass.providers._openai_images import OpenAIImagesProvider

if TYPE_CHECKING:
    from pinglass.providers.base import GenerationRequest

__all__ = ["DeepInfra"]


class DeepInfra(OpenAIImagesProvider):
    """FLUX and other text-to-image models on DeepInfra (synchronous, base64 output)."""

    spec = PROVIDERS["deepinfra"]
    path: ClassVar[str] = "/openai/images/generations"
    # GET /v1/me: the account behind the key (docs/providers.md, DeepInfra).
    probe_path: ClassVar[str | None] = "/me"
    quota_signals: ClassVar[tuple[str, ...]] = (
        "insufficient_quota",
        "insufficient credit",
        "insufficient balance",
        "payment required",
    )

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """``{prompt, model, size, n}`` (the documented body) plus the catalog's fixed params."""
        body: dict[str, Any] = {
            "prompt": req.prompt,
            "model": req.model,
            "size": f"{req.width}x{req.height}",
            "n": 1,
        }
        body.update(req.params)
        return body
