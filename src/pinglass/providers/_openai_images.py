"""Shared shape: the OpenAI-style synchronous ``POST {base}/images/generations`` endpoint.

Subclasses (Together, OpenAI, DeepInfra, …) set the class attributes and fill in the hooks;
:meth:`OpenAIImagesProvider.submit` sends the one billable request and parses
``data[].b64_json`` / ``data[].url`` into a :class:`Finished`. Hooks (names are stable):

- ``path`` (class attribute, default ``"/images/generations"``): joined to ``base_url``.
- ``probe_path`` (class attribute, default ``"/models"``): the free ``GET`` used by ``probe``.
- ``quota_signals`` / ``safety_signals`` (class attributes): body words that turn a failed
  response into ``QuotaError`` / ``ContentRejected``.
- ``payload(req) -> dict`` (**required**): the JSON body.
- ``endpoint(req) -> str``: the path for this request (default ``path``; OpenAI picks
  ``/images/edits`` when references are attached).
- ``request_kwargs(req) -> dict``: keyword arguments for ``httpx`` (default ``{"json":
  payload(req)}``; return ``{"files": …}`` for multipart).
- ``parse_images(body, req) -> Finished``: the response parser.

Auth (``Authorization: Bearer``) and refinement come from :class:`Provider`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from pinglass.errors import InvalidRequest
from pinglass.providers import _http
from pinglass.providers.base import Finished, ImageData, Provider

if TYPE_CHECKING:
    from pinglass.providers.base import GenerationRequest, Pending
    from pinglass.secrets import ApiKey

__all__ = ["OpenAIImagesProvider"]


class OpenAIImagesProvider(Provider):
    """Base for providers that speak the OpenAI images protocol (synchronous, one call)."""

    path: ClassVar[str] = "/images/generations"
    probe_path: ClassVar[str | None] = "/models"
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient_quota", "insufficient credit")
    safety_signals: ClassVar[tuple[str, ...]] = ("moderation_blocked", "content_policy")

    def payload(self, req: GenerationRequest) -> dict[str, Any]:
        """The JSON body for ``req``; subclasses must implement it."""
        raise NotImplementedError

    def endpoint(self, req: GenerationRequest) -> str:
        """The path (after ``base_url``) ``req`` is posted to."""
        return self.path

    def request_kwargs(self, req: GenerationRequest) -> dict[str, Any]:
        """``httpx`` request arguments carrying the body (JSON by default)."""
        return {"json": self.payload(req)}

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """POST the request once and return the images. Raises a ``ProviderError``."""
        url, kwargs = self.base_url + self.endpoint(req), self.request_kwargs(req)
        if req.timeout_s is not None:  # a slow model waits longer than the run's read timeout
            kwargs["timeout"] = httpx.Timeout(
                connect=5.0, read=req.timeout_s, write=60.0, pool=30.0
            )
        body = await self.request_json("POST", url, key, model=req.model, **kwargs)
        return self.parse_images(body, req)

    def parse_images(self, body: Any, req: GenerationRequest) -> Finished:
        """``data[].b64_json`` (or ``data[].url``) → :class:`Finished`; no image is an error."""
        items = body.get("data") if isinstance(body, dict) else None
        images: list[ImageData] = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("b64_json"), str):
                images.append(ImageData(data=_http.b64decode(item["b64_json"], provider=self.name)))
            elif isinstance(item.get("url"), str):
                images.append(ImageData(url=item["url"]))
        if not images:
            raise InvalidRequest("the response held no image", provider=self.name, model=req.model)
        remote_id = body.get("id") if isinstance(body.get("id"), str) else None
        return Finished(images=tuple(images), remote_id=remote_id)
