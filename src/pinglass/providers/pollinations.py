"""Pollinations: keyed ``gen.pollinations.ai`` image GET returning raw bytes (PROVIDERS.md §13).

``GET {base}/image/{url-encoded prompt}?model=…&width=…&height=…&seed=…`` with
``Authorization: Bearer sk_…`` (every generation request needs a key; the keyless
``image.pollinations.ai`` surface is legacy). An empty pollen balance answers 402. Reference
images would have to be public URLs in a query parameter (``image=``, unverified), so this
adapter sends none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pinglass.providers import _common, _http, _upload
from pinglass.providers.base import Finished, GenerationRequest, KeyStatus, Provider

if TYPE_CHECKING:
    import httpx

    from pinglass.errors import ProviderError
    from pinglass.secrets import ApiKey

__all__ = ["Pollinations"]


class Pollinations(Provider):
    """Pollinations image models (``flux`` and friends), one GET per image."""

    name = "pollinations"
    key_env_vars = ("POLLINATIONS_API_KEY",)
    default_base_url = "https://gen.pollinations.ai"

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable in pollen; sent once). Raises a ``ProviderError``.

        The prompt rides in the path, so it is percent-encoded whole (``/`` included).
        """
        response = await _http.send(
            self.client,
            "GET",
            f"{self.base_url}/image/{quote(req.prompt, safe='')}",
            provider=self.name,
            model=req.model,
            refine=self.refine,
            headers=_common.bearer(key),
            params=self.query(req),
        )
        image = _upload.image_from_response(response, provider=self.name, model=req.model)
        return Finished(images=(image,), seed=req.seed)

    def query(self, req: GenerationRequest) -> dict[str, Any]:
        """Query parameters: model, size, seed, and no logo / no public feed."""
        query: dict[str, Any] = {
            "model": req.model,
            "width": req.width,
            "height": req.height,
            "nologo": "true",
            "private": "true",
        }
        if req.seed is not None:
            query["seed"] = req.seed
        query.update({k: _flat(v) for k, v in req.params.items()})
        return query

    def refine(self, response: httpx.Response, error: ProviderError) -> ProviderError:
        """A ``safe=true`` NSFW refusal names the filter in its body → ``ContentRejected``."""
        return _common.refine_by_text(
            response, error, quota=("insufficient pollen", "insufficient balance"), safety=("nsfw",)
        )

    async def probe(self, key: ApiKey) -> KeyStatus:
        """No free probe: the only unauthenticated endpoints (model lists) ignore the key."""
        return KeyStatus(ok=False, probed=False, error="no free probe")


def _flat(value: Any) -> Any:
    """Booleans as the lower-case strings the API reads."""
    return str(value).lower() if isinstance(value, bool) else value
