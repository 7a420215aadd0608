"""fal adapter: queue submit/status/result, data-URI and zip references, safety, quota, probe."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import httpx
import pytest
from _helpers import (
    KEY,
    adapter,
    assert_rejected,
    make_ref,
    probe_both,
    submit_error,
)

from pinglass.errors import ContentRejected, InvalidRequest, QuotaError, RemoteJobFailed
from pinglass.providers.base import Finished, GenerationRequest, Pending
from pinglass.providers.fal import Fal

BASE = "https://queue.fal.run"
RID = "fal-ai/flux-pulid/requests/r1"


def queued(app: str = "fal-ai/flux-pulid") -> dict[str, Any]:
    return {
        "request_id": "r1",
        "status": "IN_QUEUE",
        "status_url": f"{BASE}/{app}/requests/r1/status",
        "response_url": f"{BASE}/{app}/requests/r1",
        "cancel_url": f"{BASE}/{app}/requests/r1/cancel",
    }


def result(nsfw: bool = False) -> dict[str, Any]:
    return {
        "images": [{"url": "https://v3.fal.media/files/a.png", "content_type": "image/png"}],
        "seed": 42,
        "has_nsfw_concepts": [nsfw],
    }


@pytest.mark.anyio
async def test_pulid_submit_then_poll_to_completion() -> None:
    req = GenerationRequest(
        prompt="business portrait",
        model="fal-ai/flux-pulid",
        references=(make_ref(),),
        width=896,
        height=1152,
        seed=5,
        identity_weight=0.9,
        reference_field="reference_image_url",  # the catalog's fal/flux-pulid entry
    )
    async with adapter(Fal, BASE) as (provider, router):
        create = router.post("/fal-ai/flux-pulid").respond(json=queued())
        router.get(f"/{RID}/status").mock(
            side_effect=[
                httpx.Response(202, json={"status": "IN_PROGRESS"}),
                httpx.Response(200, json={"status": "COMPLETED"}),
            ]
        )
        router.get(f"/{RID}").respond(json=result())
        pending = await provider.submit(req, KEY)
        assert pending == Pending(RID)
        assert await provider.poll(RID, KEY) == Pending(RID)
        done = await provider.poll(RID, KEY)

    sent = create.calls[0].request
    assert sent.headers["Authorization"] == f"Key {KEY.header_value()}"
    body = json.loads(sent.content)
    assert body["prompt"] == "business portrait"
    assert body["image_size"] == {"width": 896, "height": 1152}
    assert body["seed"] == 5
    assert body["id_weight"] == 0.9
    assert body["reference_image_url"] == req.references[0].data_uri()
    assert isinstance(done, Finished)
    assert done.images[0].url == "https://v3.fal.media/files/a.png"
    assert done.seed == 42
    assert done.remote_id == RID


@pytest.mark.anyio
async def test_photomaker_sends_a_zip_of_the_references_and_the_trigger_word() -> None:
    refs = (make_ref("a.png", (10, 20, 30)), make_ref("b.png", (40, 50, 60)))
    req = GenerationRequest(
        prompt="studio headshot",
        model="fal-ai/photomaker",
        references=refs,
        reference_field="image_archive_url",
        many_references=True,
    )
    async with adapter(Fal, BASE) as (provider, router):
        create = router.post("/fal-ai/photomaker").respond(json=queued("fal-ai/photomaker"))
        await provider.submit(req, KEY)
    body = json.loads(create.calls[0].request.content)
    assert "img" in body["prompt"].split(", ")[0].split()
    head, _, payload = body["image_archive_url"].partition(",")
    assert head == "data:application/zip;base64"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(payload))) as archive:
        assert [archive.read(n) for n in archive.namelist()] == [r.data for r in refs]


@pytest.mark.anyio
async def test_flagged_image_is_billed_and_marked_filtered() -> None:
    """Issue 12: fal bills a flagged output; it comes back marked, never raised as free."""
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(json={"status": "COMPLETED"})
        result_route = router.get(f"/{RID}").respond(json=result(nsfw=True))
        done = await provider.poll(RID, KEY)
    assert isinstance(done, Finished)
    assert [i.url for i in done.images] == ["https://v3.fal.media/files/a.png"]
    assert done.filtered is not None and "has_nsfw_concepts" in done.filtered
    assert result_route.calls[0].request.headers["Authorization"] == f"Key {KEY.header_value()}"


@pytest.mark.anyio
async def test_unflagged_image_is_not_filtered() -> None:
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(json={"status": "COMPLETED"})
        router.get(f"/{RID}").respond(json=result(nsfw=False))
        done = await provider.poll(RID, KEY)
    assert isinstance(done, Finished) and done.filtered is None and done.seed == 42


@pytest.mark.anyio
async def test_completed_with_an_error_is_possibly_billed_and_names_its_error_type() -> None:
    """Issue 12: ``failure()`` reads ``error_type`` too, and fal can bill such a failure."""
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(
            json={"status": "COMPLETED", "error": "runner crashed", "error_type": "internal"}
        )
        with pytest.raises(RemoteJobFailed, match=r"runner crashed \(internal\)") as caught:
            await provider.poll(RID, KEY)
    assert caught.value.billed is True


@pytest.mark.anyio
@pytest.mark.parametrize("error_type", ["image_load_error", "face_detection_error"])
async def test_an_error_type_about_the_input_is_final(error_type: str) -> None:
    body = {"status": "COMPLETED", "error": "cannot use it", "error_type": error_type}
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(json=body)
        with pytest.raises(InvalidRequest, match=error_type):
            await provider.poll(RID, KEY)


@pytest.mark.anyio
@pytest.mark.parametrize("on", [True, False])
async def test_the_safety_checker_setting_reaches_the_request(on: bool) -> None:
    """``--safety-checker/--no-safety-checker`` is fal's ``enable_safety_checker``."""
    req = GenerationRequest(prompt="p", model="fal-ai/flux/dev", safety_checker=on)
    async with adapter(Fal, BASE) as (provider, router):
        create = router.post("/fal-ai/flux/dev").respond(json=queued("fal-ai/flux/dev"))
        await provider.submit(req, KEY)
    assert json.loads(create.calls[0].request.content)["enable_safety_checker"] is on


@pytest.mark.anyio
async def test_failed_job_with_bad_input_is_final() -> None:
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(
            json={"status": "COMPLETED", "error": "image_size must be a multiple of 8"}
        )
        with pytest.raises(InvalidRequest, match="must be"):
            await provider.poll(RID, KEY)


@pytest.mark.anyio
async def test_result_422_content_policy_is_content_rejected() -> None:
    detail = {"detail": [{"msg": "flagged", "type": "content_policy_violation"}]}
    async with adapter(Fal, BASE) as (provider, router):
        router.get(f"/{RID}/status").respond(json={"status": "COMPLETED"})
        router.get(f"/{RID}").respond(422, json=detail)
        with pytest.raises(ContentRejected):
            await provider.poll(RID, KEY)


@pytest.mark.anyio
async def test_locked_account_is_a_quota_error() -> None:
    detail = "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard."
    req = GenerationRequest(prompt="p", model="fal-ai/flux/dev")
    outcome = httpx.Response(403, json={"detail": detail})
    error = await submit_error(Fal, BASE, lambda r: r.post("/fal-ai/flux/dev"), outcome, req)
    assert isinstance(error, QuotaError)


@pytest.mark.anyio
async def test_cancel_puts_to_the_request() -> None:
    async with adapter(Fal, BASE) as (provider, router):
        route = router.put(f"/{RID}/cancel").respond(202, json={"status": "CANCELLATION_REQUESTED"})
        assert await provider.cancel(RID, KEY) is True
    assert route.called


@pytest.mark.anyio
async def test_probe_uses_the_free_pricing_endpoint() -> None:
    pricing = "https://api.fal.ai/v1/models/pricing"
    good, bad, route = await probe_both(
        Fal, BASE, pricing, "Key", {"prices": []}, {"detail": "Invalid key"}
    )
    assert route.calls[0].request.url.params["endpoint_id"] == "fal-ai/flux/dev"
    assert good.ok
    assert_rejected(bad, "Invalid key")
