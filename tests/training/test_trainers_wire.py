"""The trainers' requests and answers, through respx: URL, headers, body fields, error mapping.

Answer bodies are the vendors' recorded ones: replicate-python's ``tests/cassettes/
trainings-create.yaml``, ``trainings-get.yaml``, ``trainings-cancel.yaml``,
``trainings-create__invalid-destination.yaml``, ``models-create.yaml`` and the succeeded training
in its ``tests/test_training.py``; fal's queue shapes from fal_client and the queue docs.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from conftest import jpeg
from pinglass.errors import AuthError, InvalidRequest, QuotaError, RateLimited, Transient
from pinglass.secrets import ApiKey
from pinglass.training.base import TrainingSpec
from pinglass.training.catalog import get_trainer
from pinglass.training.dataset import Crop, zip_crops
from pinglass.training.fal import FalTrainer
from pinglass.training.replicate import ReplicateTrainer

FAL = "https://queue.fal.run"
REPLICATE = "https://api.replicate.com/v1"
FAL_KEY = ApiKey.of("fal-key-id:fal-key-secret-0001", "FAL_KEY")
R8 = ApiKey.of("r8_test_token_00000000001", "REPLICATE_API_TOKEN")
VERSION = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
CRAFTED = [Crop("a.jpg", "0" * 64, "01-a.jpg", jpeg("teal"), 90.0)]
SPEC = TrainingSpec("alex", "PGLABCDE", 100, zip_crops(CRAFTED), 1)

# replicate-python tests/cassettes/trainings-create.yaml (response of the POST)
CREATED = {
    "id": "wj4is6lbdqqkdepnwpr6v2kuva",
    "model": "stability-ai/sdxl",
    "version": VERSION,
    "input": {"input_images": "https://replicate.delivery/pbxt/x/data.zip"},
    "logs": "",
    "error": None,
    "status": "starting",
    "created_at": "2023-08-16T19:33:26.678378653Z",
    "urls": {
        "cancel": "https://api.replicate.com/v1/predictions/wj4is6lbdqqkdepnwpr6v2kuva/cancel",
        "get": "https://api.replicate.com/v1/predictions/wj4is6lbdqqkdepnwpr6v2kuva",
    },
}
# replicate-python tests/test_training.py (a succeeded training)
SUCCEEDED = {
    "completed_at": "2023-09-08T16:41:19.826523Z",
    "created_at": "2023-09-08T16:32:57.018467Z",
    "error": None,
    "id": "zz4ibbonubfz7carwiefibzgga",
    "input": {"input_images": "https://example.com/my-input-images.zip"},
    "logs": "...",
    "metrics": {"predict_time": 502.713876},
    "output": {
        "version": "replicate/my-app-image-generator:"
        "8a43525956ef4039702e509c789964a7ea873697be9033abf9fd2badfe68c9e3",
        "weights": "https://weights.replicate.com/example.tar",
    },
    "started_at": "2023-09-08T16:32:57.112647Z",
    "status": "succeeded",
    "model": "stability-ai/sdxl",
    "version": "da77bc59ee60423279fd632efb4795ab731d9e3ca9705ef3341091fb989b7eaf",
}


@pytest.fixture
async def client() -> AsyncIterator[tuple[respx.Router, httpx.AsyncClient]]:
    router = respx.Router(assert_all_called=True)
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as http:
        yield router, http


def _fal(http: httpx.AsyncClient, trainer: str = "flux-lora-portrait") -> FalTrainer:
    return FalTrainer(http, get_trainer("fal", trainer), options={"platform_url": "https://p/v1"})


def _replicate(http: httpx.AsyncClient) -> ReplicateTrainer:
    return ReplicateTrainer(http, get_trainer("replicate"))


# --- fal ----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("trainer", "field", "extra"),
    [
        ("flux-lora-portrait", "trigger_phrase", {}),
        ("flux-lora-fast", "trigger_word", {"create_masks": True, "is_style": False}),
    ],
)
async def test_fal_submit_sends_the_zip_inline_with_the_key_scheme(
    client: tuple[respx.Router, httpx.AsyncClient], trainer: str, field: str, extra: dict[str, Any]
) -> None:
    router, http = client
    entry = get_trainer("fal", trainer)
    route = router.post(f"{FAL}/{entry.vendor_id}").respond(
        200,
        json={
            "request_id": "req-1",
            "status_url": f"{FAL}/fal-ai/x/requests/req-1/status",
            "response_url": f"{FAL}/fal-ai/x/requests/req-1",
            "cancel_url": f"{FAL}/fal-ai/x/requests/req-1/cancel",
        },
    )
    remote = await _fal(http, trainer).create(SPEC, {}, FAL_KEY)
    app = "/".join(entry.vendor_id.split("/")[:2])
    assert remote == f"{app}/requests/req-1"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Key fal-key-id:fal-key-secret-0001"
    body = json.loads(sent.content)
    assert body[field] == "PGLABCDE" and body["steps"] == 100
    assert {k: body[k] for k in extra} == extra
    head, _, payload = body["images_data_url"].partition(",")
    assert head == "data:application/zip;base64"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(payload))) as archive:
        assert archive.namelist() == ["01-a.jpg"]


@pytest.mark.anyio
async def test_fal_poll_reads_queue_position_logs_and_the_lora(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    rid = "fal-ai/flux-lora-portrait-trainer/requests/r1"
    status = router.get(f"{FAL}/{rid}/status", params={"logs": "1"})
    status.side_effect = [
        httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 3}),
        httpx.Response(202, json={"status": "IN_PROGRESS", "logs": [{"message": "step 5"}]}),
        httpx.Response(200, json={"status": "COMPLETED", "logs": []}),
    ]
    router.get(f"{FAL}/{rid}").respond(
        200, json={"diffusers_lora_file": {"url": "https://v3.fal.media/files/l.safetensors"}}
    )
    trainer = _fal(http)
    first, second, third = [await trainer.poll(rid, FAL_KEY) for _ in range(3)]
    assert (first.state, first.queue_position) == ("queued", 3)
    assert (second.state, second.log) == ("running", "step 5")
    assert (third.state, third.lora_url) == (
        "succeeded",
        "https://v3.fal.media/files/l.safetensors",
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status_body", "result"),
    [
        ({"status": "COMPLETED", "error": "no faces", "error_type": "training_error"}, None),
        ({"status": "COMPLETED"}, httpx.Response(422, json={"detail": [{"msg": "bad zip"}]})),
    ],
)
async def test_fal_failure_carries_the_vendors_reason(
    client: tuple[respx.Router, httpx.AsyncClient],
    status_body: dict[str, Any],
    result: httpx.Response | None,
) -> None:
    router, http = client
    rid = "fal-ai/flux-lora-portrait-trainer/requests/r1"
    router.get(f"{FAL}/{rid}/status").respond(200, json=status_body)
    if result is not None:
        router.get(f"{FAL}/{rid}").mock(return_value=result)
    got = await _fal(http).poll(rid, FAL_KEY)
    assert got.state == "failed"
    assert got.error is not None and ("no faces" in got.error or "bad zip" in got.error)


@pytest.mark.anyio
async def test_an_expired_fal_result_is_a_charged_failure(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    rid = "fal-ai/flux-lora-portrait-trainer/requests/r1"
    router.get(f"{FAL}/{rid}/status").respond(200, json={"status": "COMPLETED"})
    router.get(f"{FAL}/{rid}").respond(404, json={"detail": "Request not found"})
    got = await _fal(http).poll(rid, FAL_KEY)
    assert got.state == "failed" and got.charged is True
    assert got.error is not None and "kept 1 hour" in got.error


@pytest.mark.anyio
async def test_fal_find_matches_our_trigger_in_the_platform_listing(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    route = router.get("https://p/v1/models/requests/by-endpoint").respond(
        200,
        json={
            "items": [
                {"request_id": "other", "json_input": {"trigger_phrase": "SOMEONE"}},
                {"request_id": "ours", "json_input": {"trigger_phrase": "PGLABCDE"}},
            ],
            "next_cursor": None,
            "has_more": False,
        },
    )
    found = await _fal(http).find(SPEC, {}, FAL_KEY, since=1_700_000_000.0)
    assert found == "fal-ai/flux-lora-portrait-trainer/requests/ours"
    params = route.calls.last.request.url.params
    assert params["endpoint_id"] == "fal-ai/flux-lora-portrait-trainer"
    assert params["start"] == "2023-11-14T22:12:20Z"  # 60 s before the create


@pytest.mark.anyio
async def test_fal_find_never_guesses_between_two_candidates(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    router.get("https://p/v1/models/requests/by-endpoint").respond(
        200, json={"items": [{"request_id": "a"}, {"request_id": "b"}], "has_more": False}
    )
    assert await _fal(http).find(SPEC, {}, FAL_KEY, since=0.0) is None


# --- Replicate ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_replicate_prepare_creates_the_missing_destination_and_uploads_the_zip(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    router.get(f"{REPLICATE}/account").respond(200, json={"type": "user", "username": "test"})
    router.get(f"{REPLICATE}/models/test/pinglass-alex").respond(
        404, json={"detail": "Not found", "status": 404}
    )
    made = router.post(f"{REPLICATE}/models").respond(
        201,  # replicate-python tests/cassettes/models-create.yaml
        json={
            "url": "https://replicate.com/test/pinglass-alex",
            "owner": "test",
            "name": "pinglass-alex",
            "visibility": "private",
            "latest_version": None,
        },
    )
    router.get(f"{REPLICATE}/models/ostris/flux-dev-lora-trainer").respond(
        200, json={"latest_version": {"id": VERSION}}
    )
    upload = router.post(f"{REPLICATE}/files").respond(
        201, json={"id": "f1", "urls": {"get": f"{REPLICATE}/files/f1"}}
    )
    prepared = await _replicate(http).prepare(SPEC, R8)
    assert prepared == {
        "destination": "test/pinglass-alex",
        "version": VERSION,
        "images_url": f"{REPLICATE}/files/f1",
    }
    body = json.loads(made.calls.last.request.content)
    assert body["owner"] == "test" and body["name"] == "pinglass-alex"
    assert body["visibility"] == "private" and body["hardware"]
    sent = upload.calls.last.request
    assert sent.headers["Authorization"] == "Bearer r8_test_token_00000000001"
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="content"; filename="alex.zip"' in sent.content


@pytest.mark.anyio
async def test_replicate_create_posts_destination_and_input_to_the_version_route(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    url = f"{REPLICATE}/models/ostris/flux-dev-lora-trainer/versions/{VERSION}/trainings"
    route = router.post(url).respond(201, json=CREATED)
    prepared = {"destination": "test/pinglass-alex", "version": VERSION, "images_url": "u"}
    assert await _replicate(http).create(SPEC, prepared, R8) == CREATED["id"]
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer r8_test_token_00000000001"
    assert json.loads(sent.content) == {
        "destination": "test/pinglass-alex",
        "input": {
            "input_images": "u",
            "trigger_word": "PGLABCDE",
            "steps": 100,
            "autocaption": True,
        },
    }


def test_replicate_reads_the_recorded_training_states() -> None:
    trainer = ReplicateTrainer(None, get_trainer("replicate"))
    processing = {
        **SUCCEEDED,
        "status": "processing",
        "output": None,
        "metrics": {},
        "logs": "loading\nflux_train_replicate:  12%|#  | 120/1000",
    }
    assert trainer.status_of({**CREATED}).state == "queued"
    running = trainer.status_of(processing)
    assert (running.state, running.log) == ("running", "flux_train_replicate:  12%|#  | 120/1000")
    done = trainer.status_of(SUCCEEDED)
    assert done.state == "succeeded"
    assert done.model_version == SUCCEEDED["output"]["version"]  # type: ignore[index]
    assert done.lora_url == "https://weights.replicate.com/example.tar"
    assert done.cost_source == "computed"
    assert done.billed_usd == Decimal("0.766639")  # 502.713876 s x $0.001525
    failed = trainer.status_of({**SUCCEEDED, "status": "failed", "error": "OOM", "output": None})
    assert (failed.state, failed.error, failed.cost_source) == ("failed", "OOM", "computed")
    canceled = trainer.status_of(
        {**SUCCEEDED, "status": "canceled", "metrics": {"predict_time": 3e-06}}
    )
    assert canceled.state == "canceled" and canceled.billed_usd == Decimal("0.000000")


@pytest.mark.anyio
async def test_replicate_find_matches_destination_and_exact_input(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    mine = {
        **CREATED,
        "id": "mine",
        "destination": "test/pinglass-alex",
        "created_at": "2023-11-14T22:13:21.000000Z",
        "input": {
            "input_images": "u",
            "trigger_word": "PGLABCDE",
            "steps": 100,
            "autocaption": True,
        },
    }
    other = {**mine, "id": "other", "input": {**mine["input"], "trigger_word": "SOMEONE"}}
    router.get(f"{REPLICATE}/trainings").respond(
        200, json={"results": [other, mine], "next": None, "previous": None}
    )
    prepared = {"destination": "test/pinglass-alex", "version": VERSION, "images_url": "u"}
    found = await _replicate(http).find(SPEC, prepared, R8, since=1_700_000_000.0)
    assert found == "mine"


@pytest.mark.anyio
async def test_replicate_cancel_uses_the_trainings_route(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    route = router.post(f"{REPLICATE}/trainings/t1/cancel").respond(
        200, json={**SUCCEEDED, "status": "canceled"}
    )
    await _replicate(http).cancel("t1", R8)
    assert route.called


# --- error mapping ------------------------------------------------------------------------

ERRORS = [
    (401, {"detail": "Invalid token"}, AuthError),
    (402, {"detail": "Payment required"}, QuotaError),
    (403, {"detail": "User is locked. Reason: Exhausted balance."}, QuotaError),
    # replicate-python tests/cassettes/trainings-create__invalid-destination.yaml
    (
        404,
        {"detail": "The specified training destination does not exist", "status": 404},
        InvalidRequest,
    ),
    (422, {"detail": [{"loc": ["body", "steps"], "msg": "too large"}]}, InvalidRequest),
    (429, {"detail": "Request was throttled."}, RateLimited),
    (500, {"detail": "Internal server error"}, Transient),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "body", "kind"), ERRORS, ids=lambda v: str(v)[:12])
@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_create_errors_map_to_the_taxonomy(
    client: tuple[respx.Router, httpx.AsyncClient],
    provider: str,
    status: int,
    body: dict[str, Any],
    kind: type[Exception],
) -> None:
    router, http = client
    if provider == "fal":
        router.post(f"{FAL}/fal-ai/flux-lora-portrait-trainer").respond(status, json=body)
        call = _fal(http).create(SPEC, {}, FAL_KEY)
    else:
        url = f"{REPLICATE}/models/ostris/flux-dev-lora-trainer/versions/{VERSION}/trainings"
        router.post(url).respond(status, json=body)
        prepared = {"destination": "test/x", "version": VERSION, "images_url": "u"}
        call = _replicate(http).create(SPEC, prepared, R8)
    with pytest.raises(kind) as caught:
        await call
    assert type(caught.value) is kind
    assert "fal-key-secret" not in str(caught.value) and "r8_test_token" not in str(caught.value)
    if kind is Transient:
        assert caught.value.maybe_accepted is False  # a 5xx answer: refused, safe to retry


@pytest.mark.anyio
async def test_a_dropped_connection_is_an_ambiguous_create(
    client: tuple[respx.Router, httpx.AsyncClient],
) -> None:
    router, http = client
    router.post(f"{FAL}/fal-ai/flux-lora-portrait-trainer").mock(
        side_effect=httpx.RemoteProtocolError("Server disconnected without sending a response.")
    )
    with pytest.raises(Transient) as caught:
        await _fal(http).create(SPEC, {}, FAL_KEY)
    assert caught.value.maybe_accepted is True
