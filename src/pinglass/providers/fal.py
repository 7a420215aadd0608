"""fal.ai queue: submit, poll status and fetch the result by request id (docs/providers.md).

The remote id is ``{owner}/{app}/requests/{request_id}``: status and result URLs use only
``owner/app`` (never a subpath), so ``poll`` can rebuild them after a resume. References travel
as ``data:`` URIs in the model's ``*_url`` field; PhotoMaker gets a ``.zip`` of the references,
built in memory. A flagged output (``has_nsfw_concepts``) is billed and comes back marked
``Finished.filtered``; ``error_type`` is read with ``error``; a 403 "Exhausted balance" is quota.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from typing import Any, ClassVar

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError, RemoteJobFailed
from pinglass.providers import PROVIDERS, _http
from pinglass.providers._create_poll import Call, CreatePollProvider, State
from pinglass.providers.base import Finished, GenerationRequest, ImageData, KeyStatus
from pinglass.secrets import ApiKey

__all__ = ["Fal"]

_STATES: dict[str, State] = {
    "IN_QUEUE": "pending",
    "IN_PROGRESS": "pending",
    "COMPLETED": "succeeded",
    "FAILED": "failed",
    "CANCELED": "canceled",
    "CANCELLED": "canceled",
}
_PLATFORM_URL = "https://api.fal.ai/v1"
# Model-error types about the input (https://fal.ai/docs/model-apis/errors): sending the same
# request again fails the same way, so the failure is final at once.
_INPUT_ERRORS = frozenset(
    {
        "validation_error",
        "image_too_large",
        "image_too_small",
        "image_load_error",
        "file_download_error",
        "face_detection_error",
        "file_too_large",
        "unsupported_image_format",
        "invalid_archive",
    }
)
_TRIGGER = re.compile(r"\bimg\b")


class Fal(CreatePollProvider):
    """fal.ai queue API adapter."""

    spec = PROVIDERS["fal"]
    auth_scheme: ClassVar[str] = "Key"
    can_cancel: ClassVar[bool] = True
    quota_signals: ClassVar[tuple[str, ...]] = ("exhausted balance", "user is locked")
    safety_signals: ClassVar[tuple[str, ...]] = ("content_policy_violation", "nsfw")
    generic_fields: ClassVar[Mapping[str, str]] = {
        "negative_prompt": "negative_prompt",
        "seed": "seed",
        "guidance": "guidance_scale",
        "steps": "num_inference_steps",
    }

    def model_input(self, req: GenerationRequest) -> dict[str, Any]:
        """The JSON input for ``req``; the reference goes to the catalog's reference field."""
        field = req.reference_field
        body: dict[str, Any] = {
            "prompt": req.prompt,
            "image_size": {"width": req.width, "height": req.height},
            "enable_safety_checker": req.safety_checker,
            **self.generic_inputs(req),
        }
        if req.model == "fal-ai/flux/dev":  # FLUX.1 [dev] has no negative prompt input
            body.pop("negative_prompt", None)
        if req.identity_weight is not None and field == "reference_image_url":
            body["id_weight"] = req.identity_weight  # PuLID's identity strength
        if req.references and field == "image_archive_url":
            body[field] = _http.data_uri(_zip_references(req), "application/zip")
            if not _TRIGGER.search(req.prompt):  # PhotoMaker needs its trigger word
                body["prompt"] = f"a photo of a person img, {req.prompt}"
        elif req.references and field:
            body[field] = req.references[0].data_uri()
        return {**body, **req.params}

    async def create_request(self, req: GenerationRequest, key: ApiKey) -> Call:
        """``POST {queue}/{model}`` with the input as the JSON body."""
        return Call(f"{self.base_url}/{req.model}", kwargs={"json": self.model_input(req)})

    def remote_id_of(self, body: Any) -> str:
        """``owner/app/requests/<request_id>`` from the submit response's ``status_url``."""
        rid = body.get("request_id") if isinstance(body, dict) else None
        status_url = str(body.get("status_url") or "")
        if not isinstance(rid, str) or not status_url.startswith(self.base_url + "/"):
            raise InvalidRequest("queue response has no usable request id", provider=self.name)
        return status_url.removeprefix(self.base_url + "/").removesuffix("/status")

    def status_url(self, remote_id: str) -> str:
        """``GET {queue}/{owner}/{app}/requests/{id}/status``."""
        return f"{self.base_url}/{remote_id}/status"

    def parse_status(self, body: Any) -> State:
        """IN_QUEUE/IN_PROGRESS → pending; COMPLETED with an ``error`` → failed."""
        status = str(body.get("status") if isinstance(body, dict) else "")
        if status == "COMPLETED" and body.get("error"):
            return "failed"
        return _STATES.get(status, "pending")

    def failure(self, body: Any, remote_id: str) -> ProviderError:
        """A COMPLETED request carrying ``error`` (and ``error_type``, as fal_client reads both).

        fal's platform can bill a failed request its default units (docs/providers.md, Billing
        rules), so a failure that is not about the input counts as possibly billed; one about
        the input (its ``error_type`` or text) is final at once.
        """
        if not isinstance(body, dict) or self.parse_status(body) != "failed":
            return super().failure(body, remote_id)
        kind = str(body.get("error_type") or "")
        text = str(body.get("error") or "no details")
        message = f"request {remote_id} failed: {text}" + (f" ({kind})" if kind else "")
        said = f"{kind} {text}".lower()
        if any(word in said for word in self.safety_signals):
            return ContentRejected(message, provider=self.name, status_code=200)
        if kind in _INPUT_ERRORS or any(word in said for word in self.invalid_signals):
            return InvalidRequest(message, provider=self.name, status_code=200)
        return RemoteJobFailed(message + "; fal may bill it", provider=self.name, billed=True)

    async def parse_output(self, body: Any, remote_id: str, key: ApiKey) -> Finished:
        """GET the result; a flagged image (``has_nsfw_concepts``) is billed and marked."""
        result = await self.request_json("GET", f"{self.base_url}/{remote_id}", key)
        flags = result.get("has_nsfw_concepts") or []
        # fal bills per output and returns the flagged image: count it and keep it aside,
        # never as the portrait (the runner reads Finished.filtered).
        filtered = (
            "fal's safety checker flagged the image (has_nsfw_concepts)"
            if any(flag is True for flag in flags)
            else None
        )
        images = tuple(
            ImageData(url=i["url"], mime=i.get("content_type"))
            for i in result.get("images") or []
            if isinstance(i, dict) and isinstance(i.get("url"), str)
        )
        if not images:
            raise InvalidRequest(f"request {remote_id} returned no image", provider=self.name)
        seed = result.get("seed")
        return Finished(
            images, remote_id, None, seed if isinstance(seed, int) else None, filtered=filtered
        )

    async def cancel(self, remote_id: str, key: ApiKey) -> bool:
        """``PUT …/cancel``; effective only before processing starts."""
        await self.request_json("PUT", f"{self.base_url}/{remote_id}/cancel", key)
        return True

    async def probe(self, key: ApiKey) -> KeyStatus:
        """The platform pricing endpoint (free; needs a valid key) for ``fal-ai/flux/dev``."""
        url = str(self.options.get("platform_url", _PLATFORM_URL)).rstrip("/")
        params = {"endpoint_id": "fal-ai/flux/dev"}
        return await self.probe_request(f"{url}/models/pricing", key, params=params)


def _zip_references(req: GenerationRequest) -> bytes:
    """A ``.zip`` of the request's references (PhotoMaker's ``image_archive_url``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i, ref in enumerate(req.references, 1):
            ext = "png" if ref.mime == "image/png" else "jpg"
            archive.writestr(f"ref-{i:02d}.{ext}", ref.data)
    return buffer.getvalue()
