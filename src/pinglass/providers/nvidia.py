"""NVIDIA build.nvidia.com hosted "genai" endpoints: the image now, or a request id to poll.

``POST {base}/{publisher}/{model}`` answers 200 with ``artifacts[].base64``, or 202 with an
``NVCF-REQID`` header when the job runs long; that id is then read with ``GET
https://api.nvcf.nvidia.com/v2/nvcf/pexec/status/{id}`` (202 while running, 200 with the same
body when done). Kontext takes the reference inline as a ``data:`` URI in ``image`` (keep it
small, ~200 kB). There is no free key probe. Notes and sources: docs/providers.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from pinglass.errors import ContentRejected, InvalidRequest
from pinglass.providers import PROVIDERS, _http
from pinglass.providers._create_poll import Call, CreatePollProvider
from pinglass.providers.base import Finished, ImageData, Pending

if TYPE_CHECKING:
    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["Nvidia"]

_NVCF_STATUS = "https://api.nvcf.nvidia.com/v2/nvcf/pexec/status"


class Nvidia(CreatePollProvider):
    """FLUX.1 dev/schnell/Kontext and friends on NVIDIA's hosted NIM endpoints."""

    spec = PROVIDERS["nvidia"]
    quota_signals: ClassVar[tuple[str, ...]] = ()
    safety_signals: ClassVar[tuple[str, ...]] = ()
    generic_fields: ClassVar[Mapping[str, str]] = {"steps": "steps", "guidance": "cfg_scale"}
    # No probe_path: the public model lists ignore the key, and every genai call bills.

    def status_url(self, remote_id: str) -> str:
        """The NVCF status URL; with a base-URL override, the same path on the override's host."""
        if self.base_url == self.default_base_url:
            return f"{_NVCF_STATUS}/{remote_id}"
        origin = httpx.URL(self.base_url).copy_with(path="/", query=None)
        return f"{str(origin).rstrip('/')}/v2/nvcf/pexec/status/{remote_id}"

    def status_request(self, remote_id: str) -> Call:
        """``GET …/pexec/status/{id}`` asking for JSON."""
        return Call(self.status_url(remote_id), "GET", {"headers": _JSON})

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """The model's JSON body: Kontext gets ``image`` as a data URI, FLUX.1 a size."""
        body: dict[str, Any] = {"prompt": req.prompt, "seed": req.seed or 0}
        body.update(self.generic_inputs(req))
        if "kontext" in req.model:
            body["aspect_ratio"] = "match_input_image" if req.references else req.aspect_ratio
            if req.references:
                body["image"] = req.references[0].data_uri()
        else:
            body.update({"mode": "base", "width": req.width, "height": req.height})
        return body | dict(req.params)

    async def create_request(self, req: GenerationRequest, key: ApiKey) -> Call:
        """``POST {base}/{model}`` with the JSON body."""
        body = self.payload(req)
        return Call(f"{self.base_url}/{req.model}", kwargs={"json": body, "headers": _JSON})

    async def read(
        self,
        response: httpx.Response,
        key: ApiKey,
        *,
        model: str | None = None,
        remote_id: str | None = None,
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


_JSON = {"Accept": "application/json"}
