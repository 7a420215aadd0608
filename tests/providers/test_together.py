"""Together adapter: OpenAI-style JSON, base64 response, Kontext image_url, probe."""

from __future__ import annotations

import base64
import json
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

from pinglass.errors import ContentRejected, InvalidRequest, QuotaError
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.together import Together

BASE = "https://api.together.xyz/v1"
SCHNELL = GenerationRequest(prompt="p", model="black-forest-labs/FLUX.1-schnell")


def _images(router: Any) -> Any:
    return router.post("/images/generations")


def b64_body() -> dict[str, object]:
    data = base64.b64encode(png_bytes()).decode()
    return {"id": "t1", "object": "list", "data": [{"index": 0, "b64_json": data}]}


@pytest.mark.anyio
async def test_kontext_sends_the_reference_as_image_url() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="portrait",
        model="black-forest-labs/FLUX.1-kontext-pro",
        references=(ref,),
        width=896,
        height=1152,
        seed=9,
        reference_field="image_url",  # the catalog's together/flux-kontext-pro entry
    )
    async with adapter(Together, BASE) as (provider, router):
        route = _images(router).respond(json=b64_body())
        done = await provider.submit(req, KEY)
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY.header_value()}"
    body = json.loads(sent.content)
    assert body == {
        "model": "black-forest-labs/FLUX.1-kontext-pro",
        "prompt": "portrait",
        "width": 896,
        "height": 1152,
        "n": 1,
        "response_format": "base64",
        "seed": 9,
        "image_url": ref.data_uri(),
    }
    assert isinstance(done, Finished)
    assert done.images[0].data == png_bytes()
    assert done.remote_id == "t1"


@pytest.mark.anyio
async def test_text_only_model_sends_catalog_params_and_no_image() -> None:
    req = GenerationRequest(
        prompt="p", model="black-forest-labs/FLUX.1-schnell", references=(), params={"steps": 4}
    )
    async with adapter(Together, BASE) as (provider, router):
        route = _images(router).respond(
            json={"data": [{"index": 0, "url": "https://api.together.ai/img.png"}]}
        )
        done = await provider.submit(req, KEY)
    body = json.loads(route.calls[0].request.content)
    assert body["steps"] == 4
    assert "image_url" not in body
    assert isinstance(done, Finished)
    assert done.images[0].url == "https://api.together.ai/img.png"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "Prompt flagged by the NSFW safety checker", ContentRejected),
        (402, "Insufficient credit balance", QuotaError),
        (429, "insufficient credit: add funds", QuotaError),
    ],
)
async def test_body_signals(status: int, message: str, expected: type[Exception]) -> None:
    outcome = httpx.Response(status, json={"error": {"message": message}})
    assert isinstance(await submit_error(Together, BASE, _images, outcome, SCHNELL), expected)


@pytest.mark.anyio
async def test_empty_data_is_invalid() -> None:
    outcome = httpx.Response(200, json={"data": []})
    error = await submit_error(Together, BASE, _images, outcome, SCHNELL)
    assert isinstance(error, InvalidRequest)
    assert "no image" in str(error)


@pytest.mark.anyio
async def test_probe_lists_models() -> None:
    invalid = {"error": {"message": "Invalid API key"}}
    good, bad, _ = await probe_both(Together, BASE, "/models", "Bearer", [{"id": "m"}], invalid)
    assert good.ok
    assert_rejected(bad, "Invalid API key")
