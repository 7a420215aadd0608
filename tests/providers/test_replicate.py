"""Replicate adapter: version resolution, upload once, create/poll, failures, probe, re-attach."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from _helpers import (
    KEY,
    adapter,
    assert_rejected,
    make_ref,
    poll_error,
    probe_both,
)

from pinglass.errors import ContentRejected, InvalidRequest, RemoteJobFailed
from pinglass.providers.base import Billed, Finished, GenerationRequest, Pending
from pinglass.providers.replicate import Replicate

BASE = "https://api.replicate.com/v1"
VERSION = "8baa7ef2255075b46f4d91cd238c21d31181b3e6a864463f967960bb0112525b"
PULID_INPUTS = [
    "main_face_image",
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "num_steps",
    "guidance_scale",
    "id_weight",
    "seed",
    "output_format",
]


def _status(router: Any) -> Any:
    return router.get("/predictions/p1")


def model_body(inputs: list[str]) -> dict[str, Any]:
    props = {name: {"type": "string"} for name in inputs}
    schema = {"components": {"schemas": {"Input": {"properties": props}}}}
    return {"latest_version": {"id": VERSION, "openapi_schema": schema}}


def prediction(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": "p1", "model": "bytedance/flux-pulid", "status": status, **extra}


def pulid_request(**kw: Any) -> GenerationRequest:
    return GenerationRequest(
        prompt="a business portrait",
        model="bytedance/flux-pulid",
        references=(make_ref(),),
        width=896,
        height=1152,
        seed=7,
        identity_weight=1.0,
        params={"output_format": "png"},
        reference_field="main_face_image",  # the catalog's facts for replicate/flux-pulid
        price_unit="second",
        **kw,
    )


@pytest.mark.anyio
async def test_community_model_resolves_version_uploads_once_and_polls() -> None:
    async with adapter(Replicate, BASE) as (provider, router):
        model = router.get("/models/bytedance/flux-pulid").respond(json=model_body(PULID_INPUTS))
        upload = router.post("/files").respond(
            201, json={"id": "f1", "urls": {"get": f"{BASE}/files/f1"}}
        )
        create = router.post("/predictions").respond(201, json=prediction("processing"))
        status = router.get("/predictions/p1").mock(
            side_effect=[
                httpx.Response(200, json=prediction("processing")),
                httpx.Response(
                    200,
                    json=prediction(
                        "succeeded",
                        output=["https://replicate.delivery/out.png"],
                        metrics={"predict_time": 12.5},
                        input={"seed": 7},
                    ),
                ),
            ]
        )
        first = await provider.submit(pulid_request(), KEY)
        second = await provider.submit(pulid_request(), KEY)
        assert first == second == Pending("p1")
        assert await provider.poll("p1", KEY) == Pending("p1")
        done = await provider.poll("p1", KEY)

    assert model.call_count == 1
    assert upload.call_count == 1
    assert b'name="content"; filename="ref-1.png"' in upload.calls[0].request.content
    sent = create.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {KEY.header_value()}"
    assert sent.headers["Prefer"] == "wait"
    body = json.loads(sent.content)
    assert body["version"] == VERSION
    assert body["input"] == {
        "prompt": "a business portrait",
        "width": 896,
        "height": 1152,
        "seed": 7,
        "id_weight": 1.0,
        "main_face_image": f"{BASE}/files/f1",
        "output_format": "png",
    }
    assert json.loads(create.calls[1].request.content)["input"]["main_face_image"] == (
        f"{BASE}/files/f1"
    )
    assert status.call_count == 2
    assert isinstance(done, Finished)
    assert done.images[0].url == "https://replicate.delivery/out.png"
    # Replicate reports hardware seconds; the runner prices them at the catalog rate.
    assert done.billed == Billed(Decimal("12.5"), "second")
    assert done.seed == 7


@pytest.mark.anyio
async def test_official_model_with_reference_finishes_within_prefer_wait() -> None:
    req = GenerationRequest(
        prompt="portrait",
        model="black-forest-labs/flux-kontext-pro",
        references=(make_ref(),),
        width=896,
        height=1152,
        params={"output_format": "png"},
        reference_field="input_image",
    )
    async with adapter(Replicate, BASE) as (provider, router):
        router.post("/files").respond(201, json={"urls": {"get": f"{BASE}/files/f9"}})
        create = router.post("/models/black-forest-labs/flux-kontext-pro/predictions").respond(
            201, json=prediction("succeeded", output="https://replicate.delivery/one.png")
        )
        done = await provider.submit(req, KEY)
    body = json.loads(create.calls[0].request.content)
    assert "version" not in body
    assert body["input"] == {
        "prompt": "portrait",
        "aspect_ratio": "4:5",
        "input_image": f"{BASE}/files/f9",
        "output_format": "png",
    }
    assert isinstance(done, Finished)
    assert done.images[0].url == "https://replicate.delivery/one.png"
    assert done.billed is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        ("failed", "NSFW content detected. Try running it again.", ContentRejected),
        ("failed", "CUDA out of memory", RemoteJobFailed),
        ("canceled", None, RemoteJobFailed),
        ("aborted", None, RemoteJobFailed),
    ],
)
async def test_terminal_failures_map_to_error_kinds(
    status: str, error: str | None, expected: type[Exception]
) -> None:
    """Issue 12 row 5: ``canceled``/``aborted`` are final, never a retryable ``Transient``."""
    body = prediction(status, error=error, metrics={"predict_time": 9.5})
    error_seen = await poll_error(Replicate, BASE, _status, httpx.Response(200, json=body), "p1")
    assert type(error_seen) is expected
    if isinstance(error_seen, RemoteJobFailed):
        # Replicate bills the time a failed or canceled prediction ran; an aborted one never
        # started, and public models do not charge it.
        assert error_seen.billed is (status != "aborted")
        ran = (Decimal("9.5"), "second") if status != "aborted" else None
        assert error_seen.quantity == ran


@pytest.mark.anyio
@pytest.mark.parametrize(("deadline", "header"), [(64, "64s"), (2, "5s"), (None, "15m")])
async def test_the_deadline_is_sent_as_cancel_after(deadline: int | None, header: str) -> None:
    """Issue 12: the runner's per-job deadline bounds what a per-second prediction can bill."""
    async with adapter(Replicate, BASE) as (provider, router):
        router.get("/models/bytedance/flux-pulid").respond(json=model_body(PULID_INPUTS))
        router.post("/files").respond(201, json={"urls": {"get": f"{BASE}/files/f1"}})
        create = router.post("/predictions").respond(201, json=prediction("starting"))
        await provider.submit(pulid_request(deadline_s=deadline), KEY)
    sent = create.calls[0].request
    assert sent.headers["Cancel-After"] == header and sent.headers["Prefer"] == "wait"


@pytest.mark.anyio
@pytest.mark.parametrize(("on", "disabled"), [(True, False), (False, True)])
async def test_the_safety_checker_reaches_flux_dev(on: bool, disabled: bool) -> None:
    """``--no-safety-checker`` is flux-dev's ``disable_safety_checker`` (catalog field)."""
    from pinglass.catalog import load_catalog
    from pinglass.runner.plan import Job

    entry = load_catalog().get("replicate", "flux-dev")
    req = Job(index=1, prompt_id="a", prompt="portrait").request_for(entry, safety_checker=on)
    async with adapter(Replicate, BASE) as (provider, router):
        create = router.post("/models/black-forest-labs/flux-dev/predictions").respond(
            201, json=prediction("starting")
        )
        await provider.submit(req, KEY)
    assert (
        json.loads(create.calls[0].request.content)["input"]["disable_safety_checker"] is disabled
    )


@pytest.mark.anyio
async def test_schema_without_the_reference_field_is_refused_before_paying() -> None:
    async with adapter(Replicate, BASE) as (provider, router):
        router.get("/models/bytedance/flux-pulid").respond(json=model_body(["prompt", "image"]))
        router.post("/files").respond(201, json={"urls": {"get": f"{BASE}/files/f1"}})
        with pytest.raises(InvalidRequest, match="main_face_image"):
            await provider.submit(pulid_request(), KEY)


@pytest.mark.anyio
async def test_probe_good_and_bad_keys() -> None:
    good, bad, _ = await probe_both(
        Replicate, BASE, "/account", "Bearer", {"username": "me"}, {"detail": "Invalid token."}
    )
    assert good.ok and good.error is None
    assert_rejected(bad, "401")


@pytest.mark.anyio
async def test_cancel_posts_to_the_prediction() -> None:
    async with adapter(Replicate, BASE) as (provider, router):
        route = router.post("/predictions/p1/cancel").respond(json=prediction("canceled"))
        assert await provider.cancel("p1", KEY) is True
    assert route.called


@pytest.mark.anyio
async def test_find_submitted_reattaches_to_the_matching_prediction() -> None:
    req = GenerationRequest(prompt="p", model="black-forest-labs/flux-schnell", seed=3)
    wanted = {"prompt": "p", "aspect_ratio": "1:1", "seed": 3}
    async with adapter(Replicate, BASE) as (provider, router):
        listing = router.get("/predictions").respond(
            json={
                "next": None,
                "results": [
                    {"id": "other", "status": "processing", "input": {"prompt": "x"}},
                    {"id": "p7", "status": "processing", "input": wanted},
                ],
            }
        )
        found = await provider.find_submitted(req, KEY, since=1_700_000_000)
    assert found == Pending("p7")
    assert listing.calls[0].request.url.params["created_after"].startswith("2023-11-14T22:13")


@pytest.mark.anyio
async def test_find_submitted_reads_details_when_the_list_omits_inputs() -> None:
    req = GenerationRequest(prompt="p", model="black-forest-labs/flux-schnell")
    async with adapter(Replicate, BASE) as (provider, router):
        router.get("/predictions").respond(json={"results": [{"id": "p2"}]})
        router.get("/predictions/p2").respond(
            json={"id": "p2", "status": "starting", "input": {"prompt": "q"}}
        )
        assert await provider.find_submitted(req, KEY, since=0) is None


@pytest.mark.anyio
async def test_download_sends_the_token_only_to_replicate_hosts() -> None:
    async with adapter(Replicate, BASE) as (provider, _router):
        assert provider.download_headers("https://replicate.delivery/x.png", KEY) == {
            "Authorization": f"Bearer {KEY.header_value()}"
        }
        assert provider.download_headers("https://example.com/x.png", KEY) == {}


@pytest.mark.anyio
async def test_find_submitted_after_a_resume_matches_without_uploading_again() -> None:
    original = {
        "prompt": "a business portrait",
        "width": 896,
        "height": 1152,
        "seed": 7,
        "id_weight": 1.0,
        "main_face_image": f"{BASE}/files/from-the-first-run",
        "output_format": "png",
    }
    async with adapter(Replicate, BASE) as (provider, router):
        router.get("/models/bytedance/flux-pulid").respond(json=model_body(PULID_INPUTS))
        # No /files route: an upload attempt would fail the test (matching needs none).
        router.get("/predictions").respond(
            json={
                "results": [
                    {"id": "p8", "status": "succeeded", "input": {**original, "seed": 8}},
                    {
                        "id": "p7",
                        "model": "bytedance/flux-pulid",
                        "status": "succeeded",
                        "input": original,
                        "output": ["https://replicate.delivery/p7.png"],
                    },
                ]
            }
        )
        found = await provider.find_submitted(pulid_request(), KEY, since=0)
    assert isinstance(found, Finished)
    assert found.remote_id == "p7"
    assert found.images[0].url == "https://replicate.delivery/p7.png"
