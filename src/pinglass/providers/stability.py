"""Stability AI v2beta: one synchronous multipart POST per image, raw bytes back.

``stable-image-ultra`` and ``stable-image-core`` post to their own routes; ``sd3.5-*`` models post
to ``/sd3`` with a ``model`` field. Ultra and SD3 take the reference as an image-to-image
``image`` part with ``strength`` (no identity model). Multipart is forced even without a file
(httpx sends ``data=`` alone urlencoded). ``finish-reason: CONTENT_FILTERED`` is a billed output
kept aside (``Finished.filtered``); a 403 ``content_moderation`` is a content rejection. Notes
and sources: docs/providers.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pinglass.providers import PROVIDERS, _common, _http
from pinglass.providers._upload import image_from_response
from pinglass.providers.base import Finished, GenerationRequest, KeyStatus, Pending, Provider
from pinglass.secrets import ApiKey

__all__ = ["Stability"]

_RATIOS = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
_ROUTES = {"stable-image-ultra": "ultra", "stable-image-core": "core"}
_I2I = frozenset({"ultra", "sd3"})
_DEFAULT_STRENGTH = 0.6


class Stability(Provider):
    """Stability AI REST v2beta adapter."""

    spec = PROVIDERS["stability"]
    # A refused prompt or image is a 403 naming ``content_moderation``.
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient balance", "insufficient credits")
    safety_signals: ClassVar[tuple[str, ...]] = ("content_moderation",)
    generic_fields: ClassVar[Mapping[str, str]] = {
        "negative_prompt": "negative_prompt",
        "seed": "seed",
    }

    def form(self, req: GenerationRequest) -> list[tuple[str, Any]]:
        """The multipart parts for ``req`` (text fields as ``(None, value)`` parts)."""
        route = _ROUTES.get(req.model, "sd3")
        fields: dict[str, Any] = {"prompt": req.prompt, "output_format": "png"}
        if route == "sd3":
            fields["model"] = req.model
        fields.update(self.generic_inputs(req))
        params = dict(req.params)
        strength = params.pop("strength", _DEFAULT_STRENGTH)
        use_image = bool(req.references) and route in _I2I
        if use_image:
            fields["strength"] = strength
            if route == "sd3":
                fields["mode"] = "image-to-image"
        else:
            fields["aspect_ratio"] = _http.nearest_aspect_ratio(req.width, req.height, _RATIOS)
        fields.update(params)
        parts = _common.form_fields(fields)
        if use_image:
            ref = req.references[0]
            parts.append(("image", (ref.name, ref.data, ref.mime)))
        return parts

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        """POST once; the body is the image (marked ``filtered`` when Stability filtered it)."""
        route = _ROUTES.get(req.model, "sd3")
        url = f"{self.base_url}/v2beta/stable-image/generate/{route}"
        headers, parts = {"Accept": "image/*"}, self.form(req)
        response = await self.send("POST", url, key, model=req.model, headers=headers, files=parts)
        # CONTENT_FILTERED comes with HTTP 200 and an image: a billed generation whose output
        # broke the content policy (docs/providers.md, Billing rules). Kept aside, counted.
        filtered = (
            "Stability filtered the output (finish-reason CONTENT_FILTERED)"
            if response.headers.get("finish-reason", "").upper() == "CONTENT_FILTERED"
            else None
        )
        image = image_from_response(response, provider=self.name, model=req.model)
        seed = response.headers.get("seed", "")
        return Finished(
            (image,),
            _http.request_id(response),
            None,
            int(seed) if seed.isdigit() else None,
            filtered=filtered,
        )

    async def probe(self, key: ApiKey) -> KeyStatus:
        """``GET /v1/user/balance`` (free): ``{"credits": n}``, 1 credit = $0.01."""
        return await self.probe_request(f"{self.base_url}/v1/user/balance", key, balance=_credits)


def _credits(body: Any) -> str | None:
    credits = body.get("credits") if isinstance(body, dict) else None
    if isinstance(credits, int | float):
        return f"{credits:g} credits (${credits / 100:.2f})"
    return None
