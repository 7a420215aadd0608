"""Shared reference transports: upload once per run and reuse the URL; raw-bytes responses.

:class:`UploadCache` lives on an adapter instance (one per run): the first job that needs a
reference uploads it, every later job (even concurrent ones) reuses the returned URL. Keys are
the reference's SHA-256, so the same crop is never sent twice in a run.

:func:`image_from_response` reads a synchronous "raw image bytes" response (Stability
``Accept: image/*``, Fireworks, Hugging Face, Segmind v1, Pollinations).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pinglass.errors import InvalidRequest
from pinglass.providers.base import ImageData

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import Reference

__all__ = ["UploadCache", "image_from_response"]

Uploader = Callable[["Reference"], Awaitable[str]]


class UploadCache:
    """Reference SHA-256 → uploaded URL, filled at most once per reference per run."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def url_for(self, ref: Reference, upload: Uploader) -> str:
        """The URL for ``ref``, calling ``upload(ref)`` only the first time (concurrency-safe).

        A failed upload is not cached; the next job tries again.
        """
        digest = ref.sha256
        if digest in self._urls:
            return self._urls[digest]
        lock = self._locks.setdefault(digest, asyncio.Lock())
        async with lock:
            if digest not in self._urls:
                self._urls[digest] = await upload(ref)
        return self._urls[digest]

    def __len__(self) -> int:
        return len(self._urls)


def image_from_response(
    response: httpx.Response, *, provider: str, model: str | None = None
) -> ImageData:
    """The image in a raw-bytes response; a non-image or empty body is ``InvalidRequest``."""
    ctype = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not ctype.startswith("image/") or not response.content:
        raise InvalidRequest(
            f"expected image bytes, got {ctype or 'no content type'}",
            provider=provider,
            model=model,
            status_code=response.status_code,
        )
    return ImageData(data=response.content, mime=ctype)
