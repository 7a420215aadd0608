"""DeepInfra adapter: the OpenAI-compatible images endpoint and the /me probe (§10)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from _helpers import (
    BAD_KEY,
    CANARY,
    ERROR_TABLE,
    KEY,
    adapter,
    assert_error_matches,
    png_bytes,
    response_for,
    submit_error,
)

from pinglass.errors import InvalidRequest, ProviderError, QuotaError, Transient
from pinglass.providers import PROVIDERS
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.deepinfra import DeepInfra

BASE = "https://api.deepinfra.com/v1"
MODEL = "black-forest-labs/FLUX-1-schnell"
REQ = GenerationRequest(prompt="headshot", model=MODEL, width=768, height=1024)


def _mount(router: Any) -> Any:
    return router.post("/openai/images/generations")


def test_class_attributes_match_the_registry() -> None:
    assert DeepInfra.key_env_vars == PROVIDERS["deepinfra"].key_env_vars
    assert DeepInfra.default_base_url == BASE


@pytest.mark.anyio
async def test_submit_posts_the_openai_body_and_decodes_b64() -> None:
    req = GenerationRequest(
        prompt="headshot", model=MODEL, width=768, height=1024, params={"num_inference_steps": 4}
    )
    body = {"created": 1, "data": [{"b64_json": base64.b64encode(png_bytes()).decode()}]}
    async with adapter(DeepInfra, BASE) as (provider, router):
        route = _mount(router).respond(200, json=body)
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert json.loads(sent.content) == {
        "prompt": "headshot",
        "model": MODEL,
        "size": "768x1024",
        "n": 1,
        "num_inference_steps": 4,
    }
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes()


@pytest.mark.anyio
async def test_empty_data_is_invalid() -> None:
    async with adapter(DeepInfra, BASE) as (provider, router):
        _mount(router).respond(200, json={"data": []})
        with pytest.raises(InvalidRequest):
            await provider.submit(REQ, KEY)


@pytest.mark.anyio
async def test_out_of_balance_text_is_quota() -> None:
    outcome = httpx.Response(403, json={"error": {"message": "Insufficient balance"}})
    error = await submit_error(DeepInfra, BASE, _mount, outcome, REQ)
    assert type(error) is QuotaError


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "body", "headers", "expected"), ERROR_TABLE)
async def test_error_table(
    status: int, body: Any, headers: dict[str, str], expected: type[ProviderError]
) -> None:
    error = await submit_error(DeepInfra, BASE, _mount, response_for(status, body, headers), REQ)
    assert_error_matches(error, status, headers, expected)


@pytest.mark.anyio
async def test_probe_reads_the_account() -> None:
    async with adapter(DeepInfra, BASE) as (provider, router):
        route = router.get("/me").respond(200, json={"uid": "u1", "email": "x@example.com"})
        status = await provider.probe(KEY)
    assert status.ok and status.probed
    assert route.calls.last.request.headers["authorization"] == f"Bearer {CANARY}"


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    async with adapter(DeepInfra, BASE) as (provider, router):
        router.get("/me").respond(401, json={"detail": {"error": "Invalid token"}})
        status = await provider.probe(BAD_KEY)
    assert not status.ok
    assert status.error is not None and "Invalid token" in status.error


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exc", "maybe_accepted"),
    [
        pytest.param(httpx.ReadTimeout("slow"), True, id="read-timeout"),
        pytest.param(httpx.ConnectError("refused"), False, id="connect-error"),
    ],
)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    error = await submit_error(DeepInfra, BASE, _mount, exc, REQ)
    assert isinstance(error, Transient)
    assert error.maybe_accepted is maybe_accepted
