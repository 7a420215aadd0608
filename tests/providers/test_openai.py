"""OpenAI adapter: generations (JSON) vs edits (multipart image[]), quota and moderation."""

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

from pinglass.errors import ContentRejected, QuotaError, RateLimited
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.openai import OpenAI

BASE = "https://api.openai.com/v1"


def _generations(router: Any) -> Any:
    return router.post("/images/generations")


def b64_body() -> dict[str, object]:
    return {"created": 1, "data": [{"b64_json": base64.b64encode(png_bytes()).decode()}]}


@pytest.mark.anyio
async def test_text_only_uses_generations_json() -> None:
    req = GenerationRequest(
        prompt="portrait",
        model="gpt-image-2",
        width=896,
        height=1152,
        params={"quality": "medium", "input_fidelity": "high"},
    )
    async with adapter(OpenAI, BASE) as (provider, router):
        route = _generations(router).respond(json=b64_body())
        done = await provider.submit(req, KEY)
    sent = route.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY.header_value()}"
    assert json.loads(sent.content) == {
        "model": "gpt-image-2",
        "prompt": "portrait",
        "size": "1024x1536",
        "n": 1,
        "quality": "medium",
    }
    assert isinstance(done, Finished)
    assert done.images[0].data == png_bytes()


@pytest.mark.anyio
async def test_references_use_edits_with_repeated_image_parts() -> None:
    refs = (make_ref("a.png", (1, 2, 3)), make_ref("b.png", (4, 5, 6)))
    req = GenerationRequest(
        prompt="portrait",
        model="gpt-image-1.5",
        references=refs,
        params={"input_fidelity": "high"},
    )
    async with adapter(OpenAI, BASE) as (provider, router):
        route = router.post("/images/edits").respond(json=b64_body())
        await provider.submit(req, KEY)
    sent = route.calls[0].request
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    body = sent.content
    assert body.count(b'name="image[]"') == 2
    assert b'filename="a.png"' in body and b'filename="b.png"' in body
    assert refs[0].data in body and refs[1].data in body
    assert b'name="model"\r\n\r\ngpt-image-1.5' in body
    assert b'name="size"\r\n\r\n1024x1024' in body
    assert b'name="input_fidelity"\r\n\r\nhigh' in body


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (429, {"code": "insufficient_quota", "message": "You exceeded your quota"}, QuotaError),
        (429, {"code": "rate_limit_exceeded", "message": "Slow down"}, RateLimited),
        (400, {"code": "moderation_blocked", "message": "Rejected"}, ContentRejected),
        (
            400,
            {"code": None, "message": "Your request was rejected by our safety system."},
            ContentRejected,
        ),
    ],
)
async def test_quota_and_moderation_signals(
    status: int, error: dict[str, object], expected: type[Exception]
) -> None:
    req = GenerationRequest(prompt="p", model="gpt-image-2")
    outcome = httpx.Response(status, json={"error": error})
    assert isinstance(await submit_error(OpenAI, BASE, _generations, outcome, req), expected)


@pytest.mark.anyio
async def test_probe_lists_models() -> None:
    incorrect = {"error": {"message": "Incorrect API key provided"}}
    good, bad, _ = await probe_both(OpenAI, BASE, "/models", "Bearer", {"data": []}, incorrect)
    assert good.ok
    assert_rejected(bad, "Incorrect API key")


@pytest.mark.anyio
async def test_each_catalog_model_waits_its_own_read_timeout() -> None:
    """Issue 12: a slow edit must not time out at the run's 180 s (openai-python waits 600 s)."""
    from pinglass.catalog import load_catalog
    from pinglass.runner.plan import Job

    for entry in load_catalog().models("openai"):
        assert entry.timeout_s == 600, entry.key
    entry = load_catalog().get("openai", "gpt-image-2")
    req = Job(index=1, prompt_id="a", prompt="portrait").request_for(entry)
    async with adapter(OpenAI, BASE) as (provider, router):
        route = _generations(router).respond(json=b64_body())
        await provider.submit(req, KEY)
    assert route.calls[0].request.extensions["timeout"]["read"] == 600
