"""Pollinations: keyed ``gen.pollinations.ai`` image GET returning raw bytes (docs/providers.md).

``GET {base}/image/{url-encoded prompt}?model=…&width=…&height=…&seed=…`` with
``Authorization: Bearer sk_…`` (every generation request needs a key; the keyless
``image.pollinations.ai`` surface is legacy). An empty pollen balance answers 402. Reference
images would have to be public URLs in a query parameter (``image=``, unverified), so this
adapter sends none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pinglass.providers import PROVIDERS, _upload
from pinglass.providers.base import Finished, GenerationRequest, Provider

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey

__all__ = ["Pollinations"]


class Pollinations(Provider):
    """Pollinations image models (``flux`` and friends), one GET per image."""

    spec = PROVIDERS["pollinations"]
    quota_signals: ClassVar[tuple[str, ...]] = ("insufficient pollen", "insufficient balance")
    safety_signals: ClassVar[tuple[str, ...]] = ("nsfw",)  # a ``safe=true`` refusal says NSFW
    generic_fields: ClassVar[Mapping[str, str]] = {"seed": "seed"}
    # No probe_path: the only unauthenticated endpoints (model lists) ignore the key.

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Finished:
        """Generate one image (billable in pollen; sent once). Raises a ``ProviderError``.

        The prompt rides in the path, so it is percent-encoded whole (``/`` included).
        """
        url = f"{self.base_url}/image/{quote(req.prompt, safe='')}"
        response = await self.send("GET", url, key, model=req.model, params=self.query(req))
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
        query.update(self.generic_inputs(req))
        query.update({k: _flat(v) for k, v in req.params.items()})
        return query


def _flat(value: Any) -> Any:
    """Booleans as the lower-case strings the API reads."""
    return str(value).lower() if isinstance(value, bool) else value
