"""Shared shape: the OpenAI-style synchronous ``POST {base}/images/generations`` endpoint.

Subclasses (Together, OpenAI, DeepInfra, …) set the class attributes and fill in the hooks;
:meth:`OpenAIImagesProvider.submit` sends the one billable request and parses
``data[].b64_json`` / ``data[].url`` into a :class:`Finished`. Hooks (names are stable):

- ``path`` (class attribute, default ``"/images/generations"``): joined to ``base_url``.
- ``probe_path`` (class attribute, default ``"/models"``): the free ``GET`` used by :meth:`probe`.
- ``quota_signals`` / ``safety_signals`` (class attributes): body words that turn a failed
  response into ``QuotaError`` / ``ContentRejected`` (see :func:`_common.refine_by_text`).
- ``payload(req) -> dict`` (**required**): the JSON body.
- ``endpoint(req) -> str``: the path for this request (default ``path``; OpenAI picks
  ``/images/edits`` when references are attached).
- ``request_kwargs(req) -> dict``: keyword arguments for ``httpx`` (default ``{"json":
  payload(req)}``; return ``{"files": …}`` for multipart).
- ``auth_headers(key) -> dict``: default ``Authorization: Bearer <key>``.
- ``refine(response, error) -> ProviderError``: body-based error refinement.
- ``parse_images(body, req) -> Finished``: the response parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pinglass.errors import InvalidRequest, ProviderError
from pinglass.providers import _common, _http
from pinglass.providers.base import Finished, ImageData, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import GenerationRequest, Pending
    from pinglass.secrets import ApiKey

__all__ = ["OpenAIImagesProvider"]


class OpenAIImagesProvider(Provider):
    """Base for providers that speak the OpenAI images protocol (synchronous, one call)."""

    path: ClassVar[str] = "/images/generations"
    probe_path: ClassVar[str] = "/models"
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

    def auth_headers(self, key: ApiKey) -> dict[str, str]:
        """Auth headers; ``Authorization: Bearer <key>`` unless overridden."""
        return _common.bearer(key)

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """Map body signals (quota, safety) onto the generic status error."""
        return _common.refine_by_text(
            response, error, quota=self.quota_signals, safety=self.safety_signals
        )

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """POST the request once and return the images. Raises a ``ProviderError``."""
        response = await _http.send(
            self.client,
            "POST",
            self.base_url + self.endpoint(req),
            provider=self.name,
            model=req.model,
            refine=self.refine,
            headers=self.auth_headers(key),
            **self.request_kwargs(req),
        )
        body = _http.json_of(response, provider=self.name, model=req.model)
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

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET {base}{probe_path}`` (free); a refused key is reported, not raised."""
        try:
            await _http.send(
                self.client,
                "GET",
                self.base_url + self.probe_path,
                provider=self.name,
                headers=self.auth_headers(key),
            )
        except ProviderError as exc:
            return KeyStatus(ok=False, error=str(exc))
        return KeyStatus(ok=True)
