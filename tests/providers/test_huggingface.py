"""Hugging Face adapter: hf-inference raw bytes through the router, whoami probe."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
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

from pinglass.errors import InvalidRequest, ProviderError, QuotaError, Transient
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.huggingface import HuggingFace

BASE = "https://router.huggingface.co"
MODEL = "black-forest-labs/FLUX.1-schnell"
PATH = f"/hf-inference/models/{MODEL}"
HUB = "https://huggingface.co"
WHOAMI = "/api/whoami-v2"
REQ = GenerationRequest(prompt="headshot", model=MODEL, width=768, height=1024)


def _mount(router: Any) -> Any:
    return router.post(PATH)


def test_reads_the_hf_token_variable() -> None:
    assert HuggingFace.key_env_vars == ("HF_TOKEN",)


@pytest.mark.anyio
async def test_submit_posts_inputs_and_parameters_and_reads_bytes() -> None:
    req = GenerationRequest(
        prompt="headshot, soft light",
        model=MODEL,
        negative_prompt="blurry",
        width=768,
        height=1024,
        seed=5,
        steps=4,
        guidance=0.0,
        params={"scheduler": "euler"},
    )
    async with adapter(HuggingFace, BASE) as (provider, router):
        route = _mount(router).respond(
            200, content=png_bytes(), headers={"content-type": "image/png"}
        )
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    body = json.loads(sent.content)
    assert body == {
        "inputs": "headshot, soft light",
        "parameters": {
            "width": 768,
            "height": 1024,
            "negative_prompt": "blurry",
            "seed": 5,
            "num_inference_steps": 4,
            "guidance_scale": 0.0,
            "scheduler": "euler",
        },
    }
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes() and result.images[0].mime == "image/png"
    assert result.seed == 5


@pytest.mark.anyio
async def test_a_json_200_is_not_an_image() -> None:
    outcome = httpx.Response(200, json={"error": "odd"})
    assert isinstance(await submit_error(HuggingFace, BASE, _mount, outcome, REQ), InvalidRequest)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(402, {"error": "You have exceeded your monthly credits"}, QuotaError),
        pytest.param(503, {"error": "Model is loading", "estimated_time": 20}, Transient),
        pytest.param(400, {"error": "Input validation error"}, InvalidRequest),
    ],
)
async def test_documented_errors(status: int, body: Any, expected: type[ProviderError]) -> None:
    error = await submit_error(HuggingFace, BASE, _mount, httpx.Response(status, json=body), REQ)
    assert type(error) is expected
    assert body["error"] in str(error)


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(HuggingFace, BASE, _mount, REQ, row)


@pytest.mark.anyio
async def test_probe_calls_whoami_on_the_hub_host() -> None:
    body = {"name": "someone", "type": "user"}
    assert (await probe_status(HuggingFace, HUB, WHOAMI, 200, body, auth=BEARER)).ok


@pytest.mark.anyio
async def test_probe_reports_a_bad_token() -> None:
    body = {"error": "Invalid credentials in Authorization header"}
    await assert_bad_key_probe(HuggingFace, HUB, WHOAMI, body, "Invalid credentials")


@pytest.mark.anyio
async def test_base_url_override_covers_generation_and_probe() -> None:
    router = respx.Router(base_url="http://hf-proxy.test", assert_all_called=True)
    router.post(PATH).respond(200, content=png_bytes(), headers={"content-type": "image/png"})
    router.get("/api/whoami-v2").respond(200, json={"name": "someone"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        provider = HuggingFace(client, base_url="http://hf-proxy.test")
        assert provider.hub_url == "http://hf-proxy.test"
        assert isinstance(await provider.submit(REQ, KEY), Finished)
        assert (await provider.probe(KEY)).ok
    router.assert_all_called()


@pytest.mark.anyio
async def test_probe_with_a_non_json_answer_fails_cleanly() -> None:
    async with adapter(HuggingFace, HUB) as (provider, router):
        router.get(WHOAMI).respond(
            200, text="<html>proxy</html>", headers={"content-type": "text/html"}
        )
        status = await provider.probe(KEY)
    assert not status.ok and status.error is not None and "expected JSON" in status.error


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(HuggingFace, BASE, _mount, REQ, exc, maybe_accepted)
