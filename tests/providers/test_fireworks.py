"""Fireworks adapter: FLUX.1 sync text_to_image and Kontext create + get_result."""

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
    make_ref,
    png_bytes,
    poll_error,
    probe_status,
    submit_error,
)

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError, RateLimited
from pinglass.providers import _http
from pinglass.providers.base import Finished, GenerationRequest, Pending
from pinglass.providers.fireworks import Fireworks

BASE = "https://api.fireworks.ai/inference/v1"
MODELS = "/workflows/accounts/fireworks/models"
KONTEXT = GenerationRequest(
    prompt="same person, 1920s aviator",
    model="flux-kontext-pro",
    references=(make_ref(),),
    width=896,
    height=1152,
    seed=9,
)
RID = "flux-kontext-pro:req-1"
FLUX = GenerationRequest(prompt="headshot", model="flux-1-dev-fp8", width=1024, height=1024)


def _create(router: Any) -> Any:
    return router.post(f"{MODELS}/flux-kontext-pro")


def _flux(router: Any) -> Any:
    return router.post(f"{MODELS}/flux-1-dev-fp8/text_to_image")


def _result(router: Any) -> Any:
    return router.post(f"{MODELS}/flux-kontext-pro/get_result")


def test_cannot_reattach() -> None:
    assert not Fireworks.can_reattach  # no job listing to find an ambiguous create


@pytest.mark.anyio
async def test_flux_sync_raw_bytes() -> None:
    req = GenerationRequest(
        prompt="headshot", model="flux-1-dev-fp8", seed=4, guidance=3.5, steps=28
    )
    headers = {"content-type": "image/jpeg", "seed": "4", "finish-reason": "SUCCESS"}
    async with adapter(Fireworks, BASE) as (provider, router):
        route = _flux(router).respond(200, content=png_bytes(), headers=headers)
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert sent.headers["accept"] == "image/jpeg"
    assert json.loads(sent.content) == {
        "prompt": "headshot",
        "aspect_ratio": "1:1",
        "seed": 4,
        "guidance_scale": 3.5,
        "num_inference_steps": 28,
    }
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes() and result.images[0].mime == "image/jpeg"
    assert result.seed == 4


@pytest.mark.anyio
async def test_flux_sync_json_base64() -> None:
    body = {
        "id": "x",
        "base64": [_http.data_uri(png_bytes(), "image/png")],
        "finishReason": "SUCCESS",
        "seed": 12,
    }
    async with adapter(Fireworks, BASE) as (provider, router):
        _flux(router).respond(200, json=body)
        result = await provider.submit(FLUX, KEY)
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes() and result.seed == 12


@pytest.mark.anyio
@pytest.mark.parametrize(
    "response",
    [
        pytest.param(httpx.Response(200, json={"base64": [], "finishReason": "CONTENT_FILTERED"})),
        pytest.param(
            httpx.Response(
                200,
                content=png_bytes(),
                headers={"content-type": "image/jpeg", "finish-reason": "CONTENT_FILTERED"},
            ),
            id="bytes",
        ),
    ],
)
async def test_flux_content_filtered_is_rejected(response: httpx.Response) -> None:
    error = await submit_error(Fireworks, BASE, _flux, response, FLUX)
    assert type(error) is ContentRejected


@pytest.mark.anyio
async def test_flux_json_without_images_is_invalid() -> None:
    error = await submit_error(Fireworks, BASE, _flux, httpx.Response(200, json={}), FLUX)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
async def test_kontext_submit_sends_input_image_and_returns_pending() -> None:
    async with adapter(Fireworks, BASE) as (provider, router):
        route = _create(router).respond(200, json={"request_id": "req-1"})
        result = await provider.submit(KONTEXT, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    body = json.loads(sent.content)
    assert body["prompt"] == "same person, 1920s aviator"
    assert body["input_image"] == base64.b64encode(KONTEXT.references[0].data).decode()
    assert body["aspect_ratio"] == "4:5"  # nearest to 896x1152
    assert body["output_format"] == "png"
    assert body["seed"] == 9
    assert result == Pending("flux-kontext-pro:req-1")


@pytest.mark.anyio
async def test_kontext_polls_to_completion() -> None:
    sample = "https://delivery.example/sample.png?sig=abc"
    async with adapter(Fireworks, BASE) as (provider, router):
        _create(router).respond(200, json={"request_id": "req-1"})
        route = _result(router).mock(
            side_effect=[
                httpx.Response(200, json={"id": "req-1", "status": "Task not found"}),
                httpx.Response(200, json={"id": "req-1", "status": "Pending", "progress": 0.4}),
                httpx.Response(
                    200,
                    json={
                        "id": "req-1",
                        "status": "Ready",
                        "result": {"sample": sample, "seed": 9},
                    },
                ),
            ]
        )
        state = await provider.submit(KONTEXT, KEY)
        assert isinstance(state, Pending)
        outcomes = [await provider.poll(state.remote_id, KEY) for _ in range(3)]
    assert outcomes[:2] == [Pending("flux-kontext-pro:req-1")] * 2
    final = outcomes[2]
    assert isinstance(final, Finished)
    assert final.images[0].url == sample
    assert final.remote_id == "flux-kontext-pro:req-1" and final.seed == 9
    for call in route.calls:
        assert call.request.method == "POST"
        assert json.loads(call.request.content) == {"id": "req-1"}
        assert call.request.headers["authorization"] == f"Bearer {CANARY}"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("Request Moderated", ContentRejected, id="request-moderated"),
        pytest.param("Content Moderated", ContentRejected, id="content-moderated"),
        pytest.param("Error", InvalidRequest, id="error"),
    ],
)
async def test_kontext_terminal_failures(status: str, expected: type[ProviderError]) -> None:
    body = {"id": "req-1", "status": status, "details": {"reason": "flagged"}}
    error = await poll_error(Fireworks, BASE, _result, httpx.Response(200, json=body), RID)
    assert type(error) is expected
    assert status in str(error)


@pytest.mark.anyio
async def test_kontext_ready_without_sample_is_invalid() -> None:
    outcome = httpx.Response(200, json={"status": "Ready", "result": None})
    assert isinstance(await poll_error(Fireworks, BASE, _result, outcome, RID), InvalidRequest)


@pytest.mark.anyio
async def test_poll_429_carries_retry_after() -> None:
    outcome = httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": "3"})
    error = await poll_error(Fireworks, BASE, _result, outcome, RID)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 3.0


@pytest.mark.anyio
async def test_kontext_400_error_message_is_kept() -> None:
    outcome = httpx.Response(400, json={"error_message": "input_image too large"})
    error = await submit_error(Fireworks, BASE, _create, outcome, KONTEXT)
    assert type(error) is InvalidRequest
    assert "input_image too large" in str(error)


@pytest.mark.anyio
async def test_create_without_request_id_is_invalid() -> None:
    error = await submit_error(Fireworks, BASE, _create, httpx.Response(200, json={}), KONTEXT)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table_kontext(row: ErrorRow) -> None:
    await assert_error_row(Fireworks, BASE, _create, KONTEXT, row)


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table_flux(row: ErrorRow) -> None:
    await assert_error_row(Fireworks, BASE, _flux, FLUX, row)


@pytest.mark.anyio
async def test_probe_lists_models() -> None:
    body = {"object": "list", "data": []}
    assert (await probe_status(Fireworks, BASE, "/models", 200, body, auth=BEARER)).ok


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    body = {"error": {"message": "Invalid API key"}}
    await assert_bad_key_probe(Fireworks, BASE, "/models", body, "Invalid API key")


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(Fireworks, BASE, _create, KONTEXT, exc, maybe_accepted)
