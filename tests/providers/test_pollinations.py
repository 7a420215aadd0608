"""Pollinations adapter: keyed image GET with the prompt in the path."""

from __future__ import annotations

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
    assert_error_row,
    assert_transport_error,
    png_bytes,
    submit_error,
)

from pinglass.errors import ContentRejected, InvalidRequest, ProviderError, QuotaError
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.pollinations import Pollinations

BASE = "https://gen.pollinations.ai"
PROMPT = "portrait, 50/50 light & shade?"
ENCODED = "/image/portrait%2C%2050%2F50%20light%20%26%20shade%3F"
REQ = GenerationRequest(prompt=PROMPT, model="flux", width=768, height=1024, seed=3)


def _mount(router: Any) -> Any:
    return router.get(ENCODED)


@pytest.mark.anyio
async def test_submit_gets_the_encoded_prompt_with_bearer_and_query() -> None:
    req = GenerationRequest(
        prompt=PROMPT, model="flux", width=768, height=1024, seed=3, params={"enhance": False}
    )
    async with adapter(Pollinations, BASE) as (provider, router):
        route = _mount(router).respond(
            200, content=png_bytes(), headers={"content-type": "image/jpeg"}
        )
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.method == "GET"
    assert sent.url.raw_path.decode().startswith(ENCODED + "?")
    assert sent.headers["authorization"] == f"Bearer {CANARY}"
    assert CANARY not in str(sent.url)  # the key never rides in the URL
    query = dict(sent.url.params)
    assert query == {
        "model": "flux",
        "width": "768",
        "height": "1024",
        "nologo": "true",
        "private": "true",
        "seed": "3",
        "enhance": "false",
    }
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes() and result.images[0].mime == "image/jpeg"


@pytest.mark.anyio
async def test_html_200_is_not_an_image() -> None:
    outcome = httpx.Response(200, text="<html>", headers={"content-type": "text/html"})
    assert isinstance(await submit_error(Pollinations, BASE, _mount, outcome, REQ), InvalidRequest)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(402, {"error": "Insufficient pollen balance"}, QuotaError, id="402"),
        pytest.param(403, {"error": "Insufficient balance for model"}, QuotaError, id="403-bal"),
        pytest.param(400, {"error": "NSFW content detected"}, ContentRejected, id="nsfw"),
    ],
)
async def test_documented_errors(status: int, body: Any, expected: type[ProviderError]) -> None:
    error = await submit_error(Pollinations, BASE, _mount, httpx.Response(status, json=body), REQ)
    assert type(error) is expected


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(Pollinations, BASE, _mount, REQ, row)


@pytest.mark.anyio
async def test_probe_says_no_free_probe_without_a_request() -> None:
    async with adapter(Pollinations, BASE) as (provider, router):
        status = await provider.probe(KEY)
    assert not status.probed and not status.ok
    assert status.error == "no free probe"
    assert not router.calls


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(Pollinations, BASE, _mount, REQ, exc, maybe_accepted)
