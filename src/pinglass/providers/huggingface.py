"""Hugging Face Inference Providers: ``hf-inference`` text-to-image (PROVIDERS.md §12).

``POST {base}/hf-inference/models/{model_id}`` with ``{"inputs", "parameters"}`` answers with the
raw image bytes. The router (``router.huggingface.co``) serves generation; the key probe lives on
the Hub (``huggingface.co/api/whoami-v2``), derived from the base URL so one override (a proxy, a
test server) covers both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pinglass.errors import ProviderError
from pinglass.providers import _common, _http, _upload
from pinglass.providers.base import Finished, GenerationRequest, KeyStatus, Provider

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey

__all__ = ["HuggingFace"]


class HuggingFace(Provider):
    """Text-to-image models served by Hugging Face's own ``hf-inference`` provider."""

    name = "huggingface"
    key_env_vars = ("HF_TOKEN",)
    default_base_url = "https://router.huggingface.co"

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable; sent once). Raises a ``ProviderError``.

        402 (out of included credit) is a ``QuotaError``; 503 while a model loads is
        ``Transient``; both come from the shared status table.
        """
        response = await _http.send(
            self.client,
            "POST",
            f"{self.base_url}/hf-inference/models/{req.model}",
            provider=self.name,
            model=req.model,
            headers={**_common.bearer(key), "Accept": "image/png"},
            json={"inputs": req.prompt, "parameters": self.parameters(req)},
        )
        image = _upload.image_from_response(response, provider=self.name, model=req.model)
        return Finished(images=(image,), seed=req.seed)

    def parameters(self, req: GenerationRequest) -> dict[str, Any]:
        """The ``parameters`` object of the text-to-image task (hf_hub's field names)."""
        params: dict[str, Any] = {"width": req.width, "height": req.height}
        if req.negative_prompt:
            params["negative_prompt"] = req.negative_prompt
        if req.seed is not None:
            params["seed"] = req.seed
        if req.steps is not None:
            params["num_inference_steps"] = req.steps
        if req.guidance is not None:
            params["guidance_scale"] = req.guidance
        params.update(req.params)
        return params

    @property
    def hub_url(self) -> str:
        """The Hub API host for the probe: the router's host without ``router.``."""
        return self.base_url.replace("://router.", "://", 1)

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET {hub}/api/whoami-v2`` (free): who the token belongs to."""
        try:
            response = await _http.send(
                self.client,
                "GET",
                f"{self.hub_url}/api/whoami-v2",
                provider=self.name,
                headers=_common.bearer(key),
            )
            _http.json_of(response, provider=self.name)  # a non-JSON 200: wrong base URL
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        return KeyStatus(ok=True)
