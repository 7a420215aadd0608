"""Hugging Face Inference Providers: ``hf-inference`` text-to-image (docs/providers.md).

``POST {base}/hf-inference/models/{model_id}`` with ``{"inputs", "parameters"}`` answers with the
raw image bytes. The router (``router.huggingface.co``) serves generation; the key probe lives on
the Hub (``huggingface.co/api/whoami-v2``), derived from the base URL so one override (a proxy, a
test server) covers both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.providers import PROVIDERS, _upload
from pinglass.providers.base import Finished, GenerationRequest, KeyStatus, Provider

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey

__all__ = ["HuggingFace"]


class HuggingFace(Provider):
    """Text-to-image models served by Hugging Face's own ``hf-inference`` provider."""

    spec = PROVIDERS["huggingface"]
    generic_fields: ClassVar[Mapping[str, str]] = {  # huggingface_hub's text-to-image names
        "negative_prompt": "negative_prompt",
        "seed": "seed",
        "steps": "num_inference_steps",
        "guidance": "guidance_scale",
    }

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once). Raises a ``ProviderError``.

        402 (out of included credit) is a ``QuotaError``; 503 while a model loads is
        ``Transient``; both come from the shared status table.
        """
        url = f"{self.base_url}/hf-inference/models/{req.model}"
        body = {"inputs": req.prompt, "parameters": self.parameters(req)}
        headers = {"Accept": "image/png"}
        response = await self.send("POST", url, key, model=req.model, headers=headers, json=body)
        image = _upload.image_from_response(response, provider=self.name, model=req.model)
        return Finished(images=(image,), seed=req.seed)

    def parameters(self, req: GenerationRequest) -> dict[str, Any]:
        """The ``parameters`` object of the text-to-image task (hf_hub's field names)."""
        return {"width": req.width, "height": req.height, **self.generic_inputs(req), **req.params}

    @property
    def hub_url(self) -> str:
        """The Hub API host for the probe: the router's host without ``router.``."""
        return self.base_url.replace("://router.", "://", 1)

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET {hub}/api/whoami-v2`` (free): who the token belongs to."""
        return await self.probe_request(f"{self.hub_url}/api/whoami-v2", key)
