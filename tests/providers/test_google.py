"""Google Gemini adapter: wire format, parsing, safety signals and errors."""

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
    assert_bad_key_probe,
    assert_error_row,
    assert_transport_error,
    make_ref,
    png_bytes,
    probe_status,
    submit_error,
)

from pinglass.errors import (
    AuthError,
    ContentRejected,
    InvalidRequest,
    RateLimited,
)
from pinglass.providers.base import Finished, GenerationRequest
from pinglass.providers.google import Google

BASE = "https://generativelanguage.googleapis.com/v1beta"
MODEL = "gemini-3.1-flash-image"
GENERATE = f"/models/{MODEL}:generateContent"
REQ = GenerationRequest(prompt="studio headshot", model=MODEL, width=896, height=1152)


def _image_body(data: bytes) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "Here you go"},
                        {
                            "inlineData": {
                                "mimeType": "image/png",
                                "data": base64.b64encode(data).decode(),
                            }
                        },
                    ]
                },
                "finishReason": "STOP",
            }
        ],
        "responseId": "resp-1",
    }


def _mount(router: Any) -> Any:
    return router.post(GENERATE)


def test_cannot_cancel_or_reattach() -> None:
    assert not Google.can_cancel and not Google.can_reattach


@pytest.mark.anyio
async def test_submit_sends_inline_references_and_image_config() -> None:
    ref = make_ref()
    req = GenerationRequest(
        prompt="same person, soft light",
        model=MODEL,
        references=(ref,),
        width=896,
        height=1152,
        params={"image_size": "2K"},
    )
    async with adapter(Google, BASE) as (provider, router):
        route = router.post(GENERATE).respond(200, json=_image_body(png_bytes()))
        result = await provider.submit(req, KEY)
    sent = route.calls.last.request
    assert sent.headers["x-goog-api-key"] == CANARY
    assert "authorization" not in sent.headers
    body = json.loads(sent.content)
    parts = body["contents"][0]["parts"]
    assert parts[0]["inline_data"] == {
        "mime_type": "image/png",
        "data": base64.b64encode(ref.data).decode(),
    }
    assert parts[-1] == {"text": "same person, soft light"}
    config = body["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "3:4", "imageSize": "2K"}
    assert isinstance(result, Finished)
    assert result.images[0].data == png_bytes()
    assert result.images[0].mime == "image/png"
    assert result.remote_id == "resp-1"


@pytest.mark.anyio
async def test_aspect_ratio_is_limited_to_the_supported_list() -> None:
    req = GenerationRequest(prompt="p", model=MODEL, width=1024, height=1280)  # 4:5 → 3:4
    async with adapter(Google, BASE) as (provider, router):
        route = router.post(GENERATE).respond(200, json=_image_body(png_bytes()))
        await provider.submit(req, KEY)
    config = json.loads(route.calls.last.request.content)["generationConfig"]["imageConfig"]
    assert config == {"aspectRatio": "3:4"}


@pytest.mark.anyio
async def test_base_url_override_is_used() -> None:
    router = respx.Router(base_url="http://gateway.test/g", assert_all_called=True)
    router.post(GENERATE).respond(200, json=_image_body(png_bytes()))
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        provider = Google(client, base_url="http://gateway.test/g/", options={})
        assert isinstance(await provider.submit(REQ, KEY), Finished)
    router.assert_all_called()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"promptFeedback": {"blockReason": "SAFETY"}}, ContentRejected, id="block"),
        pytest.param(
            {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}, ContentRejected, id="prohib"
        ),
        pytest.param({"candidates": [{"finishReason": "IMAGE_SAFETY"}]}, ContentRejected, id="img"),
        pytest.param({"candidates": [{"finishReason": "NO_IMAGE"}]}, ContentRejected, id="no-img"),
        pytest.param(
            {"candidates": [{"finishReason": "IMAGE_PROHIBITED_CONTENT"}]},
            ContentRejected,
            id="img-prohibited",
        ),
        pytest.param(
            {"candidates": [{"content": {"parts": [{"text": "I can't"}]}, "finishReason": "STOP"}]},
            InvalidRequest,
            id="text-only",
        ),
        pytest.param({"candidates": []}, InvalidRequest, id="no-candidates"),
        pytest.param(["not", "an", "object"], InvalidRequest, id="bad-shape"),
    ],
)
async def test_200_without_an_image_is_a_failure(body: Any, expected: type[Exception]) -> None:
    error = await submit_error(Google, BASE, _mount, httpx.Response(200, json=body), REQ)
    assert type(error) is expected


@pytest.mark.anyio
async def test_invalid_key_400_is_an_auth_error() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            ],
        }
    }
    error = await submit_error(Google, BASE, _mount, httpx.Response(400, json=body), REQ)
    assert type(error) is AuthError
    assert "API key not valid" in str(error)


@pytest.mark.anyio
async def test_resource_exhausted_reads_retry_delay() -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "23s"}],
        }
    }
    error = await submit_error(Google, BASE, _mount, httpx.Response(429, json=body), REQ)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 23.0


@pytest.mark.anyio
async def test_plain_400_stays_invalid_request() -> None:
    body = {"error": {"code": 400, "message": "bad aspect", "status": "INVALID_ARGUMENT"}}
    error = await submit_error(Google, BASE, _mount, httpx.Response(400, json=body), REQ)
    assert type(error) is InvalidRequest


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERROR_ROWS)
async def test_error_table(row: ErrorRow) -> None:
    await assert_error_row(Google, BASE, _mount, REQ, row)


@pytest.mark.anyio
async def test_probe_lists_models_with_the_key_header() -> None:
    body = {"models": [{"name": "models/x"}]}
    auth = ("x-goog-api-key", CANARY)
    status = await probe_status(Google, BASE, "/models", 200, body, auth=auth)
    assert status.ok and status.probed


@pytest.mark.anyio
async def test_probe_reports_a_bad_key() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid.",
            "status": "INVALID_ARGUMENT",
            "details": [{"reason": "API_KEY_INVALID"}],
        }
    }
    await assert_bad_key_probe(Google, BASE, "/models", body, "API key not valid", status=400)


@pytest.mark.anyio
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(exc: Exception, maybe_accepted: bool) -> None:
    await assert_transport_error(Google, BASE, _mount, REQ, exc, maybe_accepted)


@pytest.mark.anyio
async def test_thought_parts_are_skipped_and_the_last_image_is_the_portrait() -> None:
    """Issue 12: an interim ``thought: true`` image must never be saved as the portrait."""

    def inline(data: bytes, *, thought: bool = False) -> dict[str, Any]:
        part: dict[str, Any] = {
            "inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}
        }
        return {**part, "thought": True} if thought else part

    draft, first, final = (png_bytes(size=n) for n in (8, 16, 24))
    parts = [
        {"text": "planning the light", "thought": True},
        inline(draft, thought=True),
        inline(first),
        {"text": "refining"},
        inline(final),
        inline(png_bytes(size=32), thought=True),
    ]
    body = {"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}]}
    async with adapter(Google, BASE) as (provider, router):
        router.post(GENERATE).respond(200, json=body)
        result = await provider.submit(REQ, KEY)
    assert isinstance(result, Finished)
    assert [i.data for i in result.images] == [final]


@pytest.mark.anyio
async def test_only_thought_images_is_no_image() -> None:
    parts = [{"thought": True, "inlineData": {"mimeType": "image/png", "data": "AAAA"}}]
    body = {"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}]}
    async with adapter(Google, BASE) as (provider, router):
        router.post(GENERATE).respond(200, json=body)
        with pytest.raises(InvalidRequest, match="no image in the response"):
            await provider.submit(REQ, KEY)
