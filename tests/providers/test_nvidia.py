"""NVIDIA adapter: genai endpoints, base64 artifacts, 202 + NVCF-REQID polling."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx
from _helpers import (
    CANARY,
    ERROR_ROWS,
    KEY,
    TRANSPORT_CASES,
    ErrorRow,
    adapter,
    assert_error_matches,
    assert_error_row,
    assert_transport_error,
    make_ref,
    png_bytes,
    poll_error,
    response_for,
    submit_error,
)

from pinglass.errors import ContentRejected, InvalidRequest
from pinglass.providers.base import Finished, GenerationRequest, Pending
from pinglass.providers.nvidia import Nvidia

BASE = "https://ai.api.nvidia.com/v1/genai"
NVCF = "https://api.nvcf.nvidia.com/v2/nvcf/pexec/status"
KONTEXT = "black-forest-labs/flux.1-kontext-dev"
DEV = "black-forest-labs/flux.1-dev"
REQ = GenerationRequest(prompt="headshot", model=DEV, width=896, height=1152, seed=3)


def _artifacts(*reasons: str) -> dict[str, Any]:
    encoded = base64.b64encode(png_bytes()).decode()
    return {"artifacts": [{"base64": encoded, "finishReason": r, "seed": 3} for r in reasons]}


def _mount(router: Any) -> Any:
    return router.post(f"/{DEV}")


@pytest.mark.anyio
async def test_flux_dev_body_and_artifacts() -> None:
    req = GenerationRequest(
        prompt="headshot", model=DEV, width=896, height=1152, seed=3, params={"steps": 50}
    )
    async with adapter(Nvidia, BASE) as (provider, router):
        route = _mount(router).respond(200, json=_artifacts("SUCCESS"))
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert sent.headers["accept"] == "application/json"
    assert json.loads(sent.content) == {
        "prompt": "headshot",
        "seed": 3,
        "mode": "base",
        "width": 896,
        "height": 1152,
        "steps": 50,
    }
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes() and result.seed == 3


@pytest.mark.anyio
async def test_kontext_sends_the_reference_as_a_data_uri() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="same person, studio", model=KONTEXT, references=(ref,), steps=30, guidance=3.5
    )
    async with adapter(Nvidia, BASE) as (provider, router):
        route = router.post(f"/{KONTEXT}").respond(200, json=_artifacts("SUCCESS"))
        await provider.submit(req, KEY)
    body = json.loads(route.calls.last.request.content)
    assert body["image"] == ref.data_uri()
    assert body["image"].startswith("data:image/png;base64,")
    assert body["aspect_ratio"] == "match_input_image"
    assert (body["steps"], body["cfg_scale"]) == (30, 3.5)
    assert "width" not in body


@pytest.mark.anyio
async def test_202_then_poll_to_completion() -> None:
    router = respx.Router(assert_all_called=True)
    router.post(f"{BASE}/{DEV}").respond(202, headers={"NVCF-REQID": "req-42"})
    status = router.get(f"{NVCF}/req-42").mock(
        side_effect=[
            httpx.Response(202, headers={"NVCF-REQID": "req-42"}),
            httpx.Response(200, json=_artifacts("SUCCESS")),
        ]
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        provider = Nvidia(client)
        first = await provider.submit(REQ, KEY)
        assert first == Pending("req-42")
        assert await provider.poll("req-42", KEY) == Pending("req-42")
        done = await provider.poll("req-42", KEY)
    router.assert_all_called()
    assert isinstance(done, Finished)
    assert done.remote_id == "req-42" and done.images[0].data == png_bytes()
    assert status.calls.last.request.headers["authorization"] == f"Bearer {CANARY}"


@pytest.mark.anyio
async def test_base_url_override_moves_the_status_host_too() -> None:
    router = respx.Router(base_url="http://nim.test", assert_all_called=True)
    router.post(f"/v1/genai/{DEV}").respond(202, headers={"nvcf-reqid": "r1"})
    router.get("/v2/nvcf/pexec/status/r1").respond(200, json=_artifacts("SUCCESS"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        provider = Nvidia(client, base_url="http://nim.test/v1/genai")
        pending = await provider.submit(REQ, KEY)
        assert isinstance(pending, Pending)
        assert isinstance(await provider.poll(pending.remote_id, KEY), Finished)
    router.assert_all_called()


@pytest.mark.anyio
async def test_202_without_request_id_is_invalid() -> None:
    error = await submit_error(Nvidia, BASE, _mount, httpx.Response(202), REQ)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
async def test_only_filtered_artifacts_is_content_rejected() -> None:
    response = httpx.Response(200, json=_artifacts("CONTENT_FILTERED"))
    error = await submit_error(Nvidia, BASE, _mount, response, REQ)
    assert type(error) is ContentRejected


@pytest.mark.anyio
async def test_filtered_artifacts_are_dropped_when_others_pass() -> None:
    async with adapter(Nvidia, BASE) as (provider, router):
        _mount(router).respond(200, json=_artifacts("CONTENT_FILTERED", "SUCCESS"))
        result = await provider.submit(REQ, KEY)
    assert isinstance(result, Finished) and len(result.images) == 1


@pytest.mark.anyio
async def test_no_artifacts_is_invalid() -> None:
    error = await submit_error(Nvidia, BASE, _mount, httpx.Response(200, json={}), REQ)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(Nvidia, BASE, _mount, REQ, row)


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table_on_poll(row: ErrorRow) -> None:
    status, body, headers, expected = row
    outcome = response_for(status, body, headers)
    error = await poll_error(Nvidia, NVCF, lambda r: r.get("/req-9"), outcome, "req-9")
    assert_error_matches(error, status, headers, expected)


@pytest.mark.anyio
async def test_probe_says_no_free_probe_without_a_request() -> None:
    async with adapter(Nvidia, BASE) as (provider, router):
        status = await provider.probe(KEY)
    assert not status.probed and not status.ok and status.error == "no free probe"
    assert not router.calls


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(Nvidia, BASE, _mount, REQ, exc, maybe_accepted)
