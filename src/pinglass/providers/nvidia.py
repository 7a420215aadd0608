"""NVIDIA build.nvidia.com hosted "genai" endpoints (PROVIDERS.md §9).

``POST {base}/{publisher}/{model}`` answers 200 with ``artifacts[].base64``, or 202 with an
``NVCF-REQID`` header when the job runs long; that id is then polled with ``GET
https://api.nvcf.nvidia.com/v2/nvcf/pexec/status/{id}`` (202 while running, 200 with the same
body when done). Kontext takes the reference inline as a ``data:`` URI in ``image`` (keep it
small, ~200 kB per one client's limit). There is no documented free key probe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from pinglass.errors import ContentRejected, InvalidRequest
from pinglass.providers import _common, _http
from pinglass.providers.base import Finished, ImageData, KeyStatus, Pending, Provider

if TYPE_CHECKING:
    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["Nvidia"]

_NVCF_STATUS = "https://api.nvcf.nvidia.com/v2/nvcf/pexec/status"


class Nvidia(Provider):
    """FLUX.1 dev/schnell/Kontext and friends on NVIDIA's hosted NIM endpoints."""

    name = "nvidia"
    key_env_vars = ("NVIDIA_API_KEY",)
    default_base_url = "https://ai.api.nvidia.com/v1/genai"

    def status_url(self, remote_id: str) -> str:
        """The NVCF status URL; with a base-URL override, the same path on the override's host."""
        if self.base_url == self.default_base_url:
            return f"{_NVCF_STATUS}/{remote_id}"
        origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        return f"{str(origin).rstrip('/')}/v2/nvcf/pexec/status/{remote_id}"

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """The model's JSON body (§9): Kontext gets ``image`` as a data URI, FLUX.1 a size."""
        body: dict[str, Any] = {"prompt": req.prompt, "seed": req.seed or 0}
        if req.steps is not None:
            body["steps"] = req.steps
        if req.guidance is not None:
            body["cfg_scale"] = req.guidance
        if "kontext" in req.model:
            body["aspect_ratio"] = "match_input_image" if req.references else req.aspect_ratio
            if req.references:
                body["image"] = req.references[0].data_uri()
        else:
            body.update({"mode": "base", "width": req.width, "height": req.height})
        body.update(req.params)
        return body

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """Send the create once: ``Finished`` on 200, ``Pending`` on 202 + ``NVCF-REQID``."""
        response = await _http.send(
            self.client,
            "POST",
            f"{self.base_url}/{req.model}",
            provider=self.name,
            model=req.model,
            headers=_headers(key),
            json=self.payload(req),
        )
        return self.outcome(response, req.model)

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        """``GET …/pexec/status/{id}`` once (idempotent): 202 still running, 200 done."""
        response = await _http.send(
            self.client,
            "GET",
            self.status_url(remote_id),
            provider=self.name,
            headers=_headers(key),
        )
        return self.outcome(response, None, remote_id)

    def outcome(
        self, response: httpx.Response, model: str | None, remote_id: str | None = None
    ) -> Pending | Finished:
        """``Pending`` for a 202, else the artifacts; filtered-only output is a rejection."""
        if response.status_code == 202:
            request_id = response.headers.get("nvcf-reqid") or remote_id
            if not request_id:
                raise InvalidRequest("202 without an NVCF-REQID", provider=self.name, model=model)
            return Pending(request_id)
        body = _http.json_of(response, provider=self.name, model=model)
        artifacts = body.get("artifacts") if isinstance(body, dict) else None
        artifacts = [a for a in artifacts or [] if isinstance(a, dict)]
        kept = [a for a in artifacts if a.get("finishReason") != "CONTENT_FILTERED"]
        if artifacts and not kept:
            raise ContentRejected("output blocked by the safety filter", provider=self.name)
        images = tuple(
            ImageData(data=_http.b64decode(a["base64"], provider=self.name))
            for a in kept
            if isinstance(a.get("base64"), str)
        )
        if not images:
            raise InvalidRequest("the response held no image", provider=self.name, model=model)
        seed = kept[0].get("seed")
        return Finished(images, remote_id, seed=seed if isinstance(seed, int) else None)

    async def probe(self, key: ApiKey) -> KeyStatus:
        """No free probe: the public model lists ignore the key, and every genai call bills."""
        return KeyStatus(ok=False, probed=False, error="no free probe")


def _headers(key: ApiKey) -> dict[str, str]:
    """Bearer ``nvapi-…`` and JSON output."""
    return {**_common.bearer(key), "Accept": "application/json"}
