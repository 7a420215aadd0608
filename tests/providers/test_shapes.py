"""Shared shapes: registry consistency, the upload-once cache, raw bytes, body refinement."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from _helpers import (
    make_ref,
    png_bytes,
)

from pinglass.errors import AuthError, ContentRejected, InvalidRequest, QuotaError, RateLimited
from pinglass.providers import PROVIDERS, get_provider_class
from pinglass.providers._common import catalog_entry, form_fields, refine_by_text
from pinglass.providers._upload import UploadCache, image_from_response
from pinglass.providers.base import Reference

OURS = {
    "replicate": "https://api.replicate.com/v1",
    "fal": "https://queue.fal.run",
    "stability": "https://api.stability.ai",
    "together": "https://api.together.xyz/v1",
    "openai": "https://api.openai.com/v1",
    "fireworks": "https://api.fireworks.ai/inference/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "google": "https://generativelanguage.googleapis.com/v1beta",
    "deepinfra": "https://api.deepinfra.com/v1",
    "segmind": "https://api.segmind.com",
    "huggingface": "https://router.huggingface.co",
    "nvidia": "https://ai.api.nvidia.com/v1/genai",
    "pollinations": "https://gen.pollinations.ai",
}


@pytest.mark.parametrize(("name", "base"), OURS.items())
def test_adapter_matches_registry_and_providers_md(name: str, base: str) -> None:
    cls = get_provider_class(name)
    assert cls.name == name
    assert cls.key_env_vars == PROVIDERS[name].key_env_vars
    assert cls.default_base_url == base


@pytest.mark.anyio
async def test_upload_cache_uploads_each_reference_once_under_concurrency() -> None:
    calls: list[str] = []

    async def upload(ref: Reference) -> str:
        calls.append(ref.name)
        await asyncio.sleep(0)
        return f"https://files/{ref.sha256[:8]}"

    cache = UploadCache()
    a, b = make_ref("a.png", (1, 1, 1)), make_ref("b.png", (2, 2, 2))
    urls = await asyncio.gather(*(cache.url_for(r, upload) for r in (a, a, b, a, b)))
    assert sorted(calls) == ["a.png", "b.png"]
    assert urls[0] == urls[1] == urls[3] != urls[2]
    assert len(cache) == 2


@pytest.mark.anyio
async def test_upload_cache_does_not_keep_a_failed_upload() -> None:
    attempts = 0

    async def flaky(ref: Reference) -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("upload failed")
        return "https://files/ok"

    cache = UploadCache()
    with pytest.raises(RuntimeError):
        await cache.url_for(make_ref(), flaky)
    assert await cache.url_for(make_ref(), flaky) == "https://files/ok"


def test_image_from_response_reads_bytes_and_refuses_other_bodies() -> None:
    ok = httpx.Response(200, content=png_bytes(), headers={"content-type": "image/png"})
    assert image_from_response(ok, provider="x").mime == "image/png"
    with pytest.raises(InvalidRequest):
        image_from_response(httpx.Response(200, json={"a": 1}), provider="x")


@pytest.mark.parametrize(
    ("body", "start", "expected"),
    [
        ('{"error": "moderation_blocked"}', InvalidRequest, ContentRejected),
        ('{"detail": "Exhausted balance"}', AuthError, QuotaError),
        ('{"detail": "slow down"}', RateLimited, RateLimited),
    ],
)
def test_refine_by_text(body: str, start: type[Exception], expected: type[Exception]) -> None:
    response = httpx.Response(400, text=body)
    error = start("HTTP 400", provider="p", status_code=400)  # type: ignore[call-arg]
    refined = refine_by_text(
        response, error, quota=("exhausted balance",), safety=("moderation_blocked",)
    )
    assert type(refined) is expected
    assert refined.status_code == 400 and refined.provider == "p"


def test_form_fields_and_catalog_lookup() -> None:
    assert form_fields({"a": True, "b": 2}) == [("a", (None, "true")), ("b", (None, "2"))]
    entry = catalog_entry("replicate", "bytedance/flux-pulid")
    assert entry is not None and entry.reference_field == "main_face_image"
    assert catalog_entry("replicate", "nope/nope") is None
