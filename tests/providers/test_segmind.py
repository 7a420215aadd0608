"""Segmind adapter: v1 raw-bytes calls, x-api-key, cost headers, 406 credit errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from _helpers import (
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

from pinglass.errors import InvalidRequest, ProviderError, QuotaError, RateLimited
from pinglass.providers.base import Billed, Finished, GenerationRequest
from pinglass.providers.segmind import Segmind

BASE = "https://api.segmind.com"
CREDITS = "/v1/get-user-credits"
REQ = GenerationRequest(prompt="portrait", model="flux-pulid", width=896, height=1152, seed=7)


def _mount(router: Any) -> Any:
    return router.post("/v1/flux-pulid")


@pytest.mark.anyio
async def test_submit_sends_x_api_key_catalog_params_and_base64_face() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="portrait, studio light",
        model="flux-pulid",
        references=(ref,),
        negative_prompt="blurry",
        width=896,
        height=1152,
        seed=11,
        params={"num_steps": 20, "id_weight": 1.05},
        reference_field="main_face_image",  # the catalog's segmind/flux-pulid entry
    )
    headers = {
        "content-type": "image/jpeg",
        "x-cost": "0.0361",
        "x-seed-value": "11",
        "x-request-id": "seg-req-1",
        "x-remaining-credits": "4.2",
    }
    async with adapter(Segmind, BASE) as (provider, router):
        route = _mount(router).respond(200, content=png_bytes(), headers=headers)
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["x-api-key"] == CANARY
    assert "authorization" not in sent.headers
    body = json.loads(sent.content)
    assert body["prompt"] == "portrait, studio light"
    assert body["negative_prompt"] == "blurry"
    assert (body["width"], body["height"], body["seed"]) == (896, 1152, 11)
    assert body["num_steps"] == 20 and body["id_weight"] == 1.05
    # The request's reference_field (from the catalog) names the input; bare base64.
    assert body["main_face_image"] == base64.b64encode(ref.data).decode()
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes()
    assert result.images[0].mime == "image/jpeg"
    assert result.billed == Billed(Decimal("0.0361"), "usd")
    assert result.remote_id == "seg-req-1"
    assert result.seed == 11


@pytest.mark.anyio
async def test_unknown_model_sends_no_reference_field_and_tolerates_missing_headers() -> None:
    req = GenerationRequest(prompt="p", model="sdxl1.0-txt2img", references=(make_ref(),))
    async with adapter(Segmind, BASE) as (provider, router):
        route = router.post("/v1/sdxl1.0-txt2img").respond(
            200, content=png_bytes(), headers={"content-type": "image/png", "x-cost": "n/a"}
        )
        result = await provider.submit(req, KEY)
    body = json.loads(route.calls.last.request.content)
    assert set(body) == {"prompt", "width", "height"}
    assert result.billed is None and result.remote_id is None and result.seed is None


@pytest.mark.anyio
async def test_json_instead_of_image_is_invalid() -> None:
    outcome = httpx.Response(200, json={"status": "ok"})
    assert isinstance(await submit_error(Segmind, BASE, _mount, outcome, REQ), InvalidRequest)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("Insufficient credits", QuotaError, id="credits"),
        pytest.param("Team spend limit reached", QuotaError, id="spend-limit"),
        pytest.param("Content-Type must be application/json", InvalidRequest, id="ctype"),
    ],
)
async def test_406_is_quota_only_when_the_body_says_so(
    message: str, expected: type[ProviderError]
) -> None:
    outcome = httpx.Response(406, json={"error": message})
    error = await submit_error(Segmind, BASE, _mount, outcome, REQ)
    assert type(error) is expected
    assert message in str(error)


@pytest.mark.anyio
async def test_429_reads_the_reset_header() -> None:
    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).isoformat()
    outcome = httpx.Response(
        429, json={"error": "rate limited"}, headers={"x-rate-limit-reset-at-utc": reset}
    )
    error = await submit_error(Segmind, BASE, _mount, outcome, REQ)
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None and 0 < error.retry_after <= 30


@pytest.mark.anyio
async def test_429_with_unreadable_reset_has_no_retry_after() -> None:
    outcome = httpx.Response(
        429, json={"error": "slow"}, headers={"x-rate-limit-reset-at-utc": "soon"}
    )
    error = await submit_error(Segmind, BASE, _mount, outcome, REQ)
    assert isinstance(error, RateLimited) and error.retry_after is None


@pytest.mark.anyio
async def test_410_retired_model_is_invalid() -> None:
    outcome = httpx.Response(410, json={"error": "Model retired"})
    error = await submit_error(Segmind, BASE, _mount, outcome, REQ)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(Segmind, BASE, _mount, REQ, row)


@pytest.mark.anyio
async def test_probe_reads_credits() -> None:
    body = {"credits": 2.5, "free-credits": 0.0185}
    status = await probe_status(Segmind, BASE, CREDITS, 200, body, auth=("x-api-key", CANARY))
    assert status.ok
    assert status.balance == "$2.5 credits + $0.0185 free"


@pytest.mark.anyio
async def test_probe_404_no_credit_record_is_a_valid_key() -> None:
    body = {"error": "No credits found for the user"}
    status = await probe_status(Segmind, BASE, CREDITS, 404, body)
    assert status.ok and status.balance == "no credits"


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    body = {"error": "Invalid API key"}
    await assert_bad_key_probe(Segmind, BASE, CREDITS, body, "Invalid API key")


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(Segmind, BASE, _mount, REQ, exc, maybe_accepted)
