"""OpenRouter adapter: chat completions with image modalities."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from _helpers import (
    BEARER,
    CANARY,
    ERROR_ROWS,
    KEY,
    TRANSPORT_CASES,
    ErrorRow,
    adapter,
    assert_bad_key_probe,
    assert_error_row,
    assert_transport_error,
    make_ref,
    png_bytes,
    probe_status,
    submit_error,
)

from pinglass.errors import (
    ContentRejected,
    InvalidRequest,
    ProviderError,
    QuotaError,
    RateLimited,
    Transient,
)
from pinglass.providers import _http
from pinglass.providers.base import Billed, Finished, GenerationRequest
from pinglass.providers.openrouter import OpenRouter

BASE = "https://openrouter.ai/api/v1"
MODEL = "google/gemini-3.1-flash-image"
REQ = GenerationRequest(prompt="aviator portrait", model=MODEL, width=768, height=1024)


def _ok(data: bytes, **extra: Any) -> dict[str, Any]:
    image = {"type": "image_url", "image_url": {"url": _http.data_uri(data, "image/png")}}
    return {
        "id": "gen-123",
        "choices": [{"message": {"role": "assistant", "content": "", "images": [image]}, **extra}],
        "usage": {"cost": 0.039},
    }


def _chat(router: Any) -> Any:
    return router.post("/chat/completions")


@pytest.mark.anyio
async def test_submit_sends_modalities_and_reference_parts() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="same person as an aviator",
        model=MODEL,
        references=(ref,),
        width=768,
        height=1024,
        params={"image_size": "2K"},
    )
    async with adapter(OpenRouter, BASE) as (provider, router):
        route = _chat(router).respond(200, json=_ok(png_bytes()))
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    body = json.loads(sent.content)
    assert body["model"] == MODEL
    assert body["modalities"] == ["image", "text"]
    assert body["stream"] is False
    assert body["image_config"] == {"aspect_ratio": "3:4", "image_size": "2K"}
    content = body["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "same person as an aviator"}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"] == ref.data_uri()
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes()
    assert result.images[0].mime == "image/png"
    assert result.remote_id == "gen-123"
    assert result.billed == Billed(Decimal("0.039"), "usd")


@pytest.mark.anyio
async def test_https_image_urls_are_left_to_download() -> None:
    body = {
        "choices": [{"message": {"images": [{"image_url": {"url": "https://cdn.example/x.png"}}]}}]
    }
    async with adapter(OpenRouter, BASE) as (provider, router):
        _chat(router).respond(200, json=body)
        result = await provider.submit(REQ, KEY)
    assert result.images[0].url == "https://cdn.example/x.png"
    assert result.billed is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(402, QuotaError, id="402"),
        pytest.param(403, ContentRejected, id="403"),
        pytest.param(429, RateLimited, id="429"),
        pytest.param(502, Transient, id="502"),
        pytest.param(400, InvalidRequest, id="400"),
        pytest.param("weird", Transient, id="non-numeric"),
    ],
)
async def test_error_inside_a_200_body_is_mapped_by_its_code(
    code: Any, expected: type[ProviderError]
) -> None:
    body = {"error": {"code": code, "message": "upstream said no"}}
    error = await submit_error(OpenRouter, BASE, _chat, httpx.Response(200, json=body), REQ)
    assert type(error) is expected
    assert "upstream said no" in str(error)


@pytest.mark.anyio
async def test_in_body_error_of_a_gzipped_200_keeps_retry_after() -> None:
    body = {"error": {"code": 429, "message": "Rate limit exceeded upstream"}}
    raw = gzip.compress(json.dumps(body).encode())
    headers = {"content-encoding": "gzip", "content-type": "application/json", "retry-after": "4"}
    outcome = httpx.Response(200, content=raw, headers=headers)
    error = await submit_error(OpenRouter, BASE, _chat, outcome, REQ)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 4.0
    assert "Rate limit exceeded upstream" in str(error)


@pytest.mark.anyio
async def test_403_moderation_is_content_rejected() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Input was flagged",
            "metadata": {"reasons": ["violence"], "flagged_input": "…"},
        }
    }
    error = await submit_error(OpenRouter, BASE, _chat, httpx.Response(403, json=body), REQ)
    assert type(error) is ContentRejected


@pytest.mark.anyio
async def test_402_out_of_credit_is_quota() -> None:
    body = {"error": {"code": 402, "message": "Insufficient credits"}}
    error = await submit_error(OpenRouter, BASE, _chat, httpx.Response(402, json=body), REQ)
    assert type(error) is QuotaError


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        pytest.param({"finish_reason": "content_filter"}, ContentRejected, id="filter"),
        pytest.param({"finish_reason": "stop", "message": {"content": "no"}}, InvalidRequest),
    ],
)
async def test_200_without_images_is_a_failure(
    choice: dict[str, Any], expected: type[ProviderError]
) -> None:
    outcome = httpx.Response(200, json={"choices": [{"message": {}, **choice}]})
    assert isinstance(await submit_error(OpenRouter, BASE, _chat, outcome, REQ), expected)


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    # OpenRouter's 403 is moderation; bad keys are 401:
    # https://openrouter.ai/docs/api-reference/errors
    await assert_error_row(OpenRouter, BASE, _chat, REQ, row, {403: ContentRejected})


@pytest.mark.anyio
async def test_probe_shows_the_remaining_limit() -> None:
    data = {"data": {"label": "k", "limit": 10, "usage": 2.5, "limit_remaining": 7.5}}
    status = await probe_status(OpenRouter, BASE, "/key", 200, data, auth=BEARER)
    assert status.ok
    assert status.balance == "$7.5 left of the key's limit"


@pytest.mark.anyio
async def test_probe_without_a_key_limit_shows_usage() -> None:
    data = {"data": {"limit": None, "usage": 1.25, "limit_remaining": None, "is_free_tier": True}}
    status = await probe_status(OpenRouter, BASE, "/key", 200, data)
    assert status.ok
    assert status.balance == "no key limit (used $1.25), free tier"


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    body = {"error": {"code": 401, "message": "No auth"}}
    await assert_bad_key_probe(OpenRouter, BASE, "/key", body, "No auth")


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(OpenRouter, BASE, _chat, REQ, exc, maybe_accepted)
