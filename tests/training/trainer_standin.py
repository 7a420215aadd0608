"""A loopback stand-in for the fal queue (+ platform API) and Replicate's trainings API.

A real HTTP server on ``127.0.0.1`` (random port, daemon threads) that speaks the training wire as
the vendors' material records it (docs/providers.md, "Training"):

Replicate (under ``/v1``; shapes from replicate-python's ``tests/cassettes/trainings-*.yaml`` and
``models-create.yaml``): ``GET /v1/account``; ``GET /v1/models/{o}/{n}`` (the trainer with its
``latest_version``; a destination is 404 until created); ``POST /v1/models``; ``POST /v1/files``;
``POST /v1/models/{o}/{n}/versions/{id}/trainings`` (201, ``status: starting``);
``GET /v1/trainings/{id}`` (``processing`` with ``logs``, then ``succeeded`` with ``output:
{version, weights}`` and ``metrics.predict_time``); ``GET /v1/trainings`` (``{results, next,
previous}``, newest first); ``POST /v1/trainings/{id}/cancel``.

fal (queue under ``/fal``, platform under ``/falapi/v1``): ``POST /fal/{owner}/{app}`` →
``{request_id, response_url, status_url, cancel_url, queue_position}``; ``GET
/fal/{owner}/{app}/requests/{id}/status?logs=1`` → 202 ``IN_QUEUE`` (``queue_position``) / 202
``IN_PROGRESS`` (``logs``) / 200 ``COMPLETED`` (with ``error``/``error_type`` on failure);
``GET /fal/{owner}/{app}/requests/{id}`` → ``{diffusers_lora_file, config_file}``; ``PUT
…/cancel``; ``GET /falapi/v1/models/requests/by-endpoint`` → ``{items, next_cursor, has_more}``.

Faults are consumed one per training create: ``drop`` (created, then the connection closes with no
answer), ``429``, ``500``, ``401`` (not created), ``fail`` (created; the training fails).
``creates`` counts the trainings created: what the vendor bills.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from standin import LoopbackServer

__all__ = ["TrainingStandIn"]

TRAINER = "ostris/flux-dev-lora-trainer"
TRAINER_VERSION = "e440909d3512c31646ee2e0c7d6f6f4923224863a6a10c494606e79fb5844497"
OWNER = "standin"
_CDN = "https://v3.fal.media/files"


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class TrainingStandIn(LoopbackServer):
    """The server, as a context manager; bases: ``replicate_url``, ``fal_url``, ``platform_url``."""

    def __init__(
        self,
        *,
        queue_s: float = 0.2,
        run_s: float = 0.4,
        faults: Iterable[str] = (),
        payloads: bool = True,
        max_life: float = 60.0,
    ) -> None:
        self.queue_s, self.run_s = queue_s, run_s
        self.faults: deque[str] = deque(faults)
        self.payloads = payloads
        """fal platform listing includes ``json_input`` (payload storage on)."""
        self.max_life = max_life
        self.lock = threading.Lock()
        self.trainings: dict[str, dict[str, Any]] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.uploads: list[bytes] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        """``(method, path, headers)`` of every request, in order."""
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.root = f"http://127.0.0.1:{port}"
        self.replicate_url = f"{self.root}/v1"
        self.fal_url = f"{self.root}/fal"
        self.platform_url = f"{self.root}/falapi/v1"
        self._start_later()

    @property
    def creates(self) -> int:
        """Trainings created: what the vendor bills."""
        with self.lock:
            return len(self.trainings)

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None

    def create(self, wire: str, endpoint: str, body: dict[str, Any], fail: bool) -> dict[str, Any]:
        with self.lock:
            tid = f"{wire[0]}{len(self.trainings) + 1:04d}tr"
            now = time.time()
            self.trainings[tid] = {
                "id": tid,
                "wire": wire,
                "endpoint": endpoint,
                "body": body,
                "t": now,
                "fail": fail,
                "canceled_at": None,
            }
            return self.trainings[tid]

    def phase(self, tid: str) -> tuple[str, float]:
        """``(queued|running|succeeded|failed|canceled, seconds of GPU time so far)``."""
        with self.lock:
            tr = self.trainings[tid]
        now = tr["canceled_at"] or time.time()
        elapsed = now - tr["t"]
        gpu = max(0.0, min(elapsed, self.queue_s + self.run_s) - self.queue_s)
        if tr["canceled_at"]:
            return "canceled", gpu
        if elapsed < self.queue_s:
            return "queued", 0.0
        if elapsed < self.queue_s + self.run_s:
            return "running", gpu
        return ("failed" if tr["fail"] else "succeeded"), gpu

    def cancel(self, tid: str) -> None:
        with self.lock:
            tr = self.trainings.get(tid)
            if tr is not None and tr["canceled_at"] is None:
                tr["canceled_at"] = time.time()

    # -- Replicate views ------------------------------------------------------------------

    def replicate_view(self, tid: str) -> dict[str, Any]:
        tr = self.trainings[tid]
        phase, gpu = self.phase(tid)
        status = {"queued": "starting", "running": "processing"}.get(phase, phase)
        body = tr["body"]
        out: dict[str, Any] = {
            "id": tid,
            "model": TRAINER,
            "version": TRAINER_VERSION,
            "destination": body.get("destination"),
            "input": body.get("input", {}),
            "logs": "" if phase == "queued" else "flux_train_replicate: 10%|#  | 100/1000\n",
            "error": None,
            "output": None,
            "status": status,
            "created_at": _iso(tr["t"]),
            "started_at": None if phase == "queued" else _iso(tr["t"] + self.queue_s),
            "completed_at": None,
            "metrics": {},
            "urls": {
                "get": f"{self.replicate_url}/trainings/{tid}",
                "cancel": f"{self.replicate_url}/trainings/{tid}/cancel",
            },
        }
        if phase in ("succeeded", "failed", "canceled"):
            out["metrics"] = {"predict_time": round(gpu, 6)}
            out["completed_at"] = _iso(tr["t"] + self.queue_s + gpu)
        if phase == "succeeded":
            dest = body.get("destination")
            out["output"] = {
                "version": f"{dest}:{'ab' * 32}",
                "weights": f"https://replicate.delivery/xezq/{tid}/trained_model.tar",
            }
        if phase == "failed":
            out["error"] = "CUDA out of memory while caching latents"
        return out


def _handler(server: TrainingStandIn) -> type[BaseHTTPRequestHandler]:  # noqa: C901
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _note(self, method: str) -> urlparse:  # type: ignore[valid-type]
            url = urlparse(self.path)
            with server.lock:
                server.requests.append((method, url.path, dict(self.headers.items())))
            return url

        def _auth(self, scheme: str) -> bool:
            if not self.headers.get("Authorization", "").startswith(f"{scheme} "):
                self._send(401, {"detail": "Unauthorized"})
                return False
            return True

        def _fault(self) -> str | None:
            fault = server.next_fault()
            if fault == "429":
                self._send(429, {"detail": "Request was throttled."})
            elif fault == "500":
                self._send(500, {"detail": "Internal server error"})
            elif fault == "401":
                self._send(401, {"detail": "Invalid token"})
            return fault

        # -- GET -----------------------------------------------------------------------

        def do_GET(self) -> None:  # noqa: N802
            url = self._note("GET")
            path = url.path
            if path.startswith("/v1/"):
                if self._auth("Bearer"):
                    self._replicate_get(path)
            elif path.startswith("/falapi/v1/"):
                if self._auth("Key"):
                    self._platform(parse_qs(url.query))
            elif path.startswith("/fal/"):
                if self._auth("Key"):
                    self._fal_get(path.removeprefix("/fal/"))
            else:
                self._send(404, {"detail": "Not found"})

        def _replicate_get(self, path: str) -> None:
            parts = path.strip("/").split("/")
            if path == "/v1/account":
                self._send(200, {"type": "user", "username": OWNER, "name": "Stand In"})
            elif parts[1:2] == ["models"] and len(parts) == 4:
                name = f"{parts[2]}/{parts[3]}"
                if name == TRAINER:
                    self._send(
                        200,
                        {
                            "owner": parts[2],
                            "name": parts[3],
                            "latest_version": {"id": TRAINER_VERSION},
                        },
                    )
                elif name in server.models:
                    self._send(200, server.models[name])
                else:
                    self._send(404, {"detail": "Not found", "status": 404})
            elif path == "/v1/trainings":
                with server.lock:
                    ids = [t for t, tr in server.trainings.items() if tr["wire"] == "replicate"]
                results = [server.replicate_view(t) for t in reversed(ids)]
                self._send(200, {"results": results, "next": None, "previous": None})
            elif parts[1:2] == ["trainings"] and len(parts) == 3 and parts[2] in server.trainings:
                self._send(200, server.replicate_view(parts[2]))
            else:
                self._send(404, {"detail": "Not found", "status": 404})

        def _fal_get(self, rest: str) -> None:
            owner, app, *tail = rest.split("/")
            if len(tail) < 2 or tail[0] != "requests" or tail[1] not in server.trainings:
                self._send(404, {"detail": "Request not found"})
                return
            rid = tail[1]
            phase, gpu = server.phase(rid)
            base = f"{server.fal_url}/{owner}/{app}/requests/{rid}"
            if tail[2:] == ["status"]:
                body: dict[str, Any] = {
                    "request_id": rid,
                    "response_url": base,
                    "status_url": f"{base}/status",
                    "cancel_url": f"{base}/cancel",
                }
                if phase == "queued":
                    self._send(202, {**body, "status": "IN_QUEUE", "queue_position": 2})
                elif phase == "running":
                    logs = [
                        {
                            "message": "step 120/2500 loss=0.061",
                            "level": "INFO",
                            "source": "user",
                            "timestamp": _iso(time.time()),
                        }
                    ]
                    self._send(202, {**body, "status": "IN_PROGRESS", "logs": logs})
                else:
                    done = {
                        **body,
                        "status": "COMPLETED",
                        "logs": [],
                        "metrics": {"inference_time": round(gpu, 3)},
                    }
                    if phase == "failed":
                        done["error"] = "Training failed: not enough faces found in the archive"
                        done["error_type"] = "training_error"
                    self._send(200, done)
            elif not tail[2:]:
                if phase == "succeeded":
                    self._send(
                        200,
                        {
                            "diffusers_lora_file": {
                                "url": f"{_CDN}/{rid}/pytorch_lora_weights.safetensors",
                                "content_type": "application/octet-stream",
                                "file_name": "pytorch_lora_weights.safetensors",
                                "file_size": 89745224,
                            },
                            "config_file": {
                                "url": f"https://v3.fal.media/files/{rid}/config.json",
                                "content_type": "application/octet-stream",
                                "file_name": "config.json",
                                "file_size": 1024,
                            },
                        },
                    )
                else:
                    self._send(400, {"detail": "Request is still in progress"})
            else:
                self._send(404, {"detail": "Not found"})

        def _platform(self, query: dict[str, list[str]]) -> None:
            endpoint = query.get("endpoint_id", [""])[0]
            with server.lock:
                mine = [
                    tr
                    for tr in server.trainings.values()
                    if tr["wire"] == "fal" and tr["endpoint"] == endpoint
                ]
            items = []
            for tr in reversed(mine):
                item = {
                    "request_id": tr["id"],
                    "endpoint_id": endpoint,
                    "sent_at": _iso(tr["t"]),
                    "started_at": None,
                    "ended_at": None,
                    "status_code": None,
                }
                if server.payloads:
                    item["json_input"] = {
                        k: v for k, v in tr["body"].items() if not k.endswith("_url")
                    }
                items.append(item)
            self._send(200, {"items": items, "next_cursor": None, "has_more": False})

        # -- POST / PUT ----------------------------------------------------------------

        def do_POST(self) -> None:  # noqa: N802
            url = self._note("POST")
            raw = self._read()
            path = url.path
            if path.startswith("/fal/"):
                if self._auth("Key"):
                    self._fal_submit(path.removeprefix("/fal/"), raw)
                return
            if not self._auth("Bearer"):
                return
            parts = path.strip("/").split("/")
            if path == "/v1/files":
                with server.lock:
                    server.uploads.append(raw)
                    fid = f"f{len(server.uploads):04d}"
                self._send(201, {"id": fid, "urls": {"get": f"{server.replicate_url}/files/{fid}"}})
            elif path == "/v1/models":
                body = json.loads(raw or b"{}")
                name = f"{body['owner']}/{body['name']}"
                model = {
                    "url": f"https://replicate.com/{name}",
                    "owner": body["owner"],
                    "name": body["name"],
                    "visibility": body.get("visibility"),
                    "latest_version": None,
                }
                with server.lock:
                    server.models[name] = model
                self._send(201, model)
            elif parts[1:2] == ["models"] and parts[-1] == "trainings" and len(parts) == 7:
                self._replicate_create(f"{parts[2]}/{parts[3]}", parts[5], json.loads(raw or b"{}"))
            elif parts[1:2] == ["trainings"] and parts[-1] == "cancel" and len(parts) == 4:
                server.cancel(parts[2])
                self._send(200, server.replicate_view(parts[2]))
            else:
                self._send(404, {"detail": "Not found"})

        def _replicate_create(self, model: str, version: str, body: dict[str, Any]) -> None:
            if model != TRAINER or version != TRAINER_VERSION:
                self._send(404, {"detail": "The specified version does not exist", "status": 404})
                return
            if body.get("destination") not in server.models:
                self._send(
                    404,
                    {"detail": "The specified training destination does not exist", "status": 404},
                )
                return
            fault = self._fault()
            if fault in ("429", "500", "401"):
                return
            tr = server.create("replicate", model, body, fail=fault == "fail")
            if fault == "drop":
                self.close_connection = True
                return
            self._send(201, server.replicate_view(tr["id"]))

        def _fal_submit(self, endpoint: str, raw: bytes) -> None:
            fault = self._fault()
            if fault in ("429", "500", "401"):
                return
            body = json.loads(raw or b"{}")
            if not str(body.get("images_data_url", "")).startswith("data:application/zip;base64,"):
                self._send(
                    422,
                    {
                        "detail": [
                            {
                                "loc": ["body", "images_data_url"],
                                "msg": "field required",
                                "type": "missing",
                            }
                        ]
                    },
                )
                return
            tr = server.create("fal", endpoint, body, fail=fault == "fail")
            if fault == "drop":
                self.close_connection = True
                return
            owner, app = endpoint.split("/")[:2]
            base = f"{server.fal_url}/{owner}/{app}/requests/{tr['id']}"
            self._send(
                200,
                {
                    "request_id": tr["id"],
                    "response_url": base,
                    "status_url": f"{base}/status",
                    "cancel_url": f"{base}/cancel",
                    "queue_position": 0,
                },
            )

        def do_PUT(self) -> None:  # noqa: N802
            url = self._note("PUT")
            parts = url.path.strip("/").split("/")
            if parts[:1] == ["fal"] and parts[-1] == "cancel" and len(parts) == 6:
                server.cancel(parts[4])
                self._send(202, {"status": "CANCELLATION_REQUESTED"})
            else:
                self._send(404, {"detail": "Not found"})

    return Handler
