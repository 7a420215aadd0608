"""DeepInfra adapter: the OpenAI-compatible images endpoint and the /me probe."""

from __future__ import annotations

import base64
import json
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
    png_bytes,
    probe_status,
    submit_error,
)

from pinglass.errors import InvalidRequest, QuotaError
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.deepinfra import DeepInfra

BASE = "https://api.deepinfra.com/v1"
MODEL = "black-forest-labs/FLUX-1-schnell"
REQ = GenerationRequest(prompt="headshot", model=MODEL, width=768, height=1024)


def _mount(router: Any) -> Any:
    return router.post("/openai/images/generations")


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
    error = await submit_error(DeepInfra, BASE, _mount, httpx.Response(200, json={"data": []}), REQ)
    assert isinstance(error, InvalidRequest)


@pytest.mark.anyio
async def test_out_of_balance_text_is_quota() -> None:
    outcome = httpx.Response(403, json={"error": {"message": "Insufficient balance"}})
    error = await submit_error(DeepInfra, BASE, _mount, outcome, REQ)
    assert type(error) is QuotaError


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(DeepInfra, BASE, _mount, REQ, row)


@pytest.mark.anyio
async def test_probe_reads_the_account() -> None:
    body = {"uid": "u1", "email": "x@example.com"}
    status = await probe_status(DeepInfra, BASE, "/me", 200, body, auth=BEARER)
    assert status.ok and status.probed


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    body = {"detail": {"error": "Invalid token"}}
    await assert_bad_key_probe(DeepInfra, BASE, "/me", body, "Invalid token")


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(DeepInfra, BASE, _mount, REQ, exc, maybe_accepted)
