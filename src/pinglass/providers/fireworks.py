"""Fireworks AI: FLUX.1 ``text_to_image`` (sync) and FLUX.1 Kontext (async) (PROVIDERS.md §5).

FLUX.1 [dev]/[schnell] answer the create call with the image (raw bytes for ``Accept:
image/jpeg``, else JSON base64). Kontext Pro/Max answer ``{"request_id"}``; the job is then read
with ``POST …/{model}/get_result {"id"}`` (the docs header says GET, every example POSTs).
``poll`` needs the model for that URL, so the remote id is ``<model>:<request_id>``. No job
listing exists, so an ambiguous create cannot be found again (``can_reattach`` stays false).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError
from pinglass.providers import _http, _upload
from pinglass.providers._create_poll import CreateCall, CreatePollProvider, State
from pinglass.providers.base import Finished, ImageData, KeyStatus, Pending

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import GenerationRequest
    from pinglass.secrets import ApiKey

__all__ = ["Fireworks"]


class Fireworks(CreatePollProvider):
    """Fireworks image workflows: FLUX.1 text-to-image and FLUX.1 Kontext."""

    name = "fireworks"
    key_env_vars = ("FIREWORKS_API_KEY",)
    default_base_url = "https://api.fireworks.ai/inference/v1"
    safety_signals: ClassVar[tuple[str, ...]] = ("moderated", "content_filtered", "nsfw")

    def model_url(self, model: str) -> str:
        """``{base}/workflows/accounts/fireworks/models/{model}``."""
        return f"{self.base_url}/workflows/accounts/fireworks/models/{model}"

    async def create_request(self, req: GenerationRequest, key: ApiKey) -> CreateCall:
        """Kontext: ``POST {model}`` with ``input_image`` (base64). FLUX.1: ``…/text_to_image``."""
        body: dict[str, Any] = {"prompt": req.prompt, "aspect_ratio": req.aspect_ratio}
        if req.seed is not None:
            body["seed"] = req.seed
        if "kontext" not in req.model:
            if req.guidance is not None:
                body["guidance_scale"] = req.guidance
            if req.steps is not None:
                body["num_inference_steps"] = req.steps
            body.update(req.params)
            url = f"{self.model_url(req.model)}/text_to_image"
            return CreateCall(url, kwargs={"json": body, "headers": {"Accept": "image/jpeg"}})
        body["output_format"] = "png"
        if req.references:
            body["input_image"] = base64.b64encode(req.references[0].data).decode()
        body.update(req.params)
        return CreateCall(self.model_url(req.model), kwargs={"json": body, "headers": {}})

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """Send the create once: FLUX.1 returns the image, Kontext a job to poll."""
        call = await self.create_request(req, key)
        response = await _http.send(
            self.client,
            call.method,
            call.url,
            provider=self.name,
            model=req.model,
            refine=self.refine,
            headers={**self.auth_headers(key), **call.kwargs["headers"]},
            json=call.kwargs["json"],
        )
        if "kontext" not in req.model:
            return self.flux_result(response, req.model)
        body = _http.json_of(response, provider=self.name, model=req.model)
        return Pending(f"{req.model}:{self.remote_id_of(body)}")

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

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        """``POST …/{model}/get_result {"id"}`` once (idempotent)."""
        model, _, request_id = remote_id.partition(":")
        body = await self.request_json(
            "POST", self.status_url(remote_id), key, model=model, json={"id": request_id}
        )
        return await self.advance(body, remote_id, key)

    def remote_id_of(self, body: Any) -> str:
        """Kontext's ``request_id``."""
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
            raise InvalidRequest("create response has no request_id", provider=self.name)
        return str(body["request_id"])

    def status_url(self, remote_id: str) -> str:
        """Where ``poll`` reads the job (by POST, see :meth:`poll`)."""
        return f"{self.model_url(remote_id.partition(':')[0])}/get_result"

    def parse_status(self, body: Any) -> State:
        """Kontext statuses (§5.3) as states; ``Task not found`` right after submit is pending."""
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

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET {base}/models`` (free, OpenAI-compatible list; PROVIDERS.md marks it [U])."""
        try:
            await self.request_json("GET", f"{self.base_url}/models", key)
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        return KeyStatus(ok=True)
