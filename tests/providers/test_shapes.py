"""Shared shapes: specs, the upload-once cache, raw bytes, body refinement."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from _helpers import (
    make_ref,
    png_bytes,
)

from pinglass.errors import AuthError, ContentRejected, InvalidRequest, QuotaError, RateLimited
from pinglass.providers import PROVIDERS, ProviderSpec, get_provider_class
from pinglass.providers._common import form_fields, refine_by_text
from pinglass.providers._upload import UploadCache, image_from_response
from pinglass.providers.base import Provider, Reference


def test_a_spec_states_its_billing_and_polling_rules() -> None:
    # No defaults: a provider that forgets either rule fails when its spec is written.
    with pytest.raises(TypeError, match="bills_failed_jobs"):
        ProviderSpec(name="x", adapter="m:X", key_env_vars=(), base_url="https://x", can_poll=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="can_poll"):
        ProviderSpec(
            name="x", adapter="m:X", key_env_vars=(), base_url="https://x", bills_failed_jobs=False
        )  # type: ignore[call-arg]


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_adapter_class_takes_its_facts_from_its_spec(name: str) -> None:
    cls = get_provider_class(name)
    spec = PROVIDERS[name]
    assert cls.spec is spec
    assert (cls.name, cls.key_env_vars, cls.default_base_url) == (
        spec.name,
        spec.key_env_vars,
        spec.base_url,
    )
    assert (cls.bills_failed_jobs, cls.can_poll) == (spec.bills_failed_jobs, spec.can_poll)
    # can_poll is declared, not inferred; the declaration must match the code.
    assert spec.can_poll == (cls.poll is not Provider.poll), name


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


def test_form_fields_are_text_parts_with_lower_case_booleans() -> None:
    assert form_fields({"a": True, "b": 2}) == [("a", (None, "true")), ("b", (None, "2"))]
