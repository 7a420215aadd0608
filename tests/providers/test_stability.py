"""Stability adapter: forced multipart, image-to-image, raw bytes, filters, balance probe."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from _helpers import (
    KEY,
    adapter,
    assert_rejected,
    make_ref,
    png_bytes,
    probe_both,
    submit_error,
)

from pinglass.errors import ContentRejected, InvalidRequest
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.stability import Stability

BASE = "https://api.stability.ai"
ULTRA = GenerationRequest(prompt="p", model="stable-image-ultra")


def _ultra(router: Any) -> Any:
    return router.post("/v2beta/stable-image/generate/ultra")


def _core(router: Any) -> Any:
    return router.post("/v2beta/stable-image/generate/core")


def image_response(**headers: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=png_bytes(),
        headers={"content-type": "image/png", "seed": "123", "finish-reason": "SUCCESS", **headers},
    )


@pytest.mark.anyio
async def test_core_text_only_is_multipart_and_returns_bytes() -> None:
    req = GenerationRequest(
        prompt="portrait", model="stable-image-core", width=896, height=1152, negative_prompt="blur"
    )
    async with adapter(Stability, BASE) as (provider, router):
        route = _core(router).mock(return_value=image_response())
        done = await provider.submit(req, KEY)
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY.header_value()}"
    assert sent.headers["Accept"] == "image/*"
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = sent.content
    assert b'name="prompt"\r\n\r\nportrait' in body
    assert b'name="aspect_ratio"\r\n\r\n4:5' in body
    assert b'name="negative_prompt"\r\n\r\nblur' in body
    assert b'name="image"' not in body
    assert isinstance(done, Finished)
    assert done.images[0].data == png_bytes()
    assert done.images[0].mime == "image/png"
    assert done.seed == 123


@pytest.mark.anyio
async def test_sd3_with_reference_is_image_to_image() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="portrait", model="sd3.5-large", references=(ref,), params={"strength": 0.55}
    )
    async with adapter(Stability, BASE) as (provider, router):
        route = router.post("/v2beta/stable-image/generate/sd3").mock(return_value=image_response())
        await provider.submit(req, KEY)
    body = route.calls[0].request.content
    assert b'name="model"\r\n\r\nsd3.5-large' in body
    assert b'name="mode"\r\n\r\nimage-to-image' in body
    assert b'name="strength"\r\n\r\n0.55' in body
    assert b'name="image"; filename="ref-1.png"' in body
    assert ref.data in body
    assert b'name="aspect_ratio"' not in body


@pytest.mark.anyio
async def test_content_filtered_finish_reason_is_a_billed_output_kept_aside() -> None:
    """Issue 12: CONTENT_FILTERED comes with HTTP 200 and an image, and is billed."""
    async with adapter(Stability, BASE) as (provider, router):
        route = _ultra(router).mock(
            return_value=image_response(**{"finish-reason": "CONTENT_FILTERED"})
        )
        done = await provider.submit(ULTRA, KEY)
    assert isinstance(done, Finished) and done.images and done.images[0].data
    assert done.filtered is not None and "CONTENT_FILTERED" in done.filtered
    assert route.calls[0].request.headers["Accept"] == "image/*"


@pytest.mark.anyio
async def test_a_success_finish_reason_is_not_filtered() -> None:
    async with adapter(Stability, BASE) as (provider, router):
        _ultra(router).mock(return_value=image_response(**{"finish-reason": "SUCCESS"}))
        done = await provider.submit(ULTRA, KEY)
    assert isinstance(done, Finished) and done.filtered is None


@pytest.mark.anyio
async def test_403_content_moderation_is_rejected() -> None:
    body = {"id": "x", "name": "content_moderation", "errors": ["flagged"]}
    error = await submit_error(Stability, BASE, _ultra, httpx.Response(403, json=body), ULTRA)
    assert isinstance(error, ContentRejected)


@pytest.mark.anyio
async def test_a_json_body_where_bytes_were_asked_is_invalid() -> None:
    req = GenerationRequest(prompt="p", model="stable-image-core")
    outcome = httpx.Response(200, json={"image": "..."})
    error = await submit_error(Stability, BASE, _core, outcome, req)
    assert isinstance(error, InvalidRequest)
    assert "expected image bytes" in str(error)


@pytest.mark.anyio
async def test_probe_reports_the_credit_balance() -> None:
    unauthorized = {"name": "unauthorized", "errors": ["bad key"]}
    good, bad, _ = await probe_both(
        Stability, BASE, "/v1/user/balance", "Bearer", {"credits": 24.5}, unauthorized
    )
    assert good.ok and good.balance == "24.5 credits ($0.24)"
    assert_rejected(bad, "bad key")
