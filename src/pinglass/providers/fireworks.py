"""Fireworks AI: FLUX.1 ``text_to_image`` (answers at once) and FLUX.1 Kontext (a job to poll).

FLUX.1 [dev]/[schnell] answer the create call with the image (raw bytes for ``Accept:
image/jpeg``, else JSON base64). Kontext Pro/Max answer ``{"request_id"}``; the job is then read
with ``POST …/{model}/get_result {"id"}`` (the reference page's header says GET, its examples
POST). ``poll`` needs the model for that URL, so the remote id is ``<model>:<request_id>``. No
job listing exists, so an ambiguous create cannot be found again. Notes: docs/providers.md.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError
from pinglass.providers import PROVIDERS, _http, _upload
from pinglass.providers._create_poll import Call, CreatePollProvider, State
from pinglass.providers.base import Finished, ImageData, Pending

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["Fireworks"]


def _is_kontext(model: str) -> bool:
    return "kontext" in model


class Fireworks(CreatePollProvider):
    """Fireworks image workflows: FLUX.1 text-to-image and FLUX.1 Kontext."""

    spec = PROVIDERS["fireworks"]
    safety_signals: ClassVar[tuple[str, ...]] = ("moderated", "content_filtered", "nsfw")
    probe_path: ClassVar[str | None] = "/models"  # the OpenAI-compatible model list (free)
    generic_fields: ClassVar[Mapping[str, str]] = {
        "seed": "seed",
        "guidance": "guidance_scale",
        "steps": "num_inference_steps",
    }

    def model_url(self, model: str) -> str:
        """``{base}/workflows/accounts/fireworks/models/{model}``."""
        return f"{self.base_url}/workflows/accounts/fireworks/models/{model}"

    async def create_request(self, req: GenerationRequest, key: ApiKey) -> Call:
        """Kontext: ``POST {model}`` with ``input_image`` (base64). FLUX.1: ``…/text_to_image``."""
        body = {"prompt": req.prompt, "aspect_ratio": req.aspect_ratio, **self.generic_inputs(req)}
        if not _is_kontext(req.model):
            url = f"{self.model_url(req.model)}/text_to_image"
            body |= req.params
            return Call(url, kwargs={"json": body, "headers": {"Accept": "image/jpeg"}})
        for flux_only in ("guidance_scale", "num_inference_steps"):  # Kontext has neither
            body.pop(flux_only, None)
        body["output_format"] = "png"
        if req.references:
            body["input_image"] = base64.b64encode(req.references[0].data).decode()
        return Call(self.model_url(req.model), kwargs={"json": body | dict(req.params)})

    def status_request(self, remote_id: str) -> Call:
        """``POST …/{model}/get_result {"id"}``."""
        model, _, request_id = remote_id.partition(":")
        return Call(f"{self.model_url(model)}/get_result", kwargs={"json": {"id": request_id}})

    async def read(
        self,
        response: httpx.Response,
        key: ApiKey,
        *,
        model: str | None = None,
        remote_id: str | None = None,
    ) -> Pending | Finished:
        """FLUX.1 answers with the image; a Kontext create with the id to poll."""
        if remote_id is None and model is not None:
            if not _is_kontext(model):
                return self.flux_result(response, model)
            body = _http.json_of(response, provider=self.name, model=model)
            return Pending(f"{model}:{self.remote_id_of(body)}")
        return await super().read(response, key, model=model, remote_id=remote_id)

    def flux_result(self, response: httpx.Response, model: str) -> Finished:
        """Raw bytes (``Finish-Reason``/``Seed`` headers) or JSON ``base64[]``/``finishReason``."""
        if response.headers.get("content-type", "").startswith("image/"):
            reason, seed = response.headers.get("finish-reason"), response.headers.get("seed")
            image = _upload.image_from_response(response, provider=self.name, model=model)
            images: tuple[ImageData, ...] = (image,)
        else:
            body = _http.json_of(response, provider=self.name, model=model)
            reason, seed = body.get("finishReason"), body.get("seed")
            raw = body.get("base64") or []
            images = tuple(ImageData(data=_http.b64decode(b, provider=self.name)) for b in raw)
        if reason == "CONTENT_FILTERED":
            raise ContentRejected(
                "safety check blocked the output", provider=self.name, model=model
            )
        if not images:
            raise InvalidRequest("the response held no image", provider=self.name, model=model)
        return Finished(images, seed=int(seed) if str(seed or "").isdigit() else None)

    def remote_id_of(self, body: Any) -> str:
        """Kontext's ``request_id``."""
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
            raise InvalidRequest("create response has no request_id", provider=self.name)
        return str(body["request_id"])

    def parse_status(self, body: Any) -> State:
        """Kontext statuses as states; ``Task not found`` right after submit is pending."""
        status = str(body.get("status")) if isinstance(body, dict) else ""
        if status == "Ready":
            return "succeeded"
        return "failed" if status == "Error" or "Moderated" in status else "pending"

    async def parse_output(self, body: Any, remote_id: str, key: ApiKey) -> Finished:
        """``result.sample``: a short-lived signed URL, downloaded at once by the runner."""
        result = body.get("result") if isinstance(body.get("result"), dict) else {}
        url = result.get("sample")
        if not isinstance(url, str):
            raise InvalidRequest(f"job {remote_id} is Ready without a sample", provider=self.name)
        seed = result.get("seed")
        return Finished(
            (ImageData(url=url),), remote_id, seed=seed if isinstance(seed, int) else None
        )

    def failure(self, body: Any, remote_id: str) -> ProviderError:
        """Moderation statuses are content rejections; ``Error`` is an invalid request."""
        status = str(body.get("status"))
        message = f"job {remote_id} {status}: {body.get('details') or 'no details'}"
        cls = ContentRejected if "Moderated" in status else InvalidRequest
        return cls(message, provider=self.name)
