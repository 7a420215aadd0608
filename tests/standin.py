"""A loopback stand-in for Replicate's predictions API, with fault injection.

A real HTTP server on ``127.0.0.1`` (random port, one thread per request, daemon threads) that
speaks the wire shape PROVIDERS.md §1 documents: ``POST /v1/models/{o}/{n}/predictions`` and
``POST /v1/predictions`` (``Prefer: wait`` honoured), ``GET /v1/predictions/{id}``,
``GET /v1/predictions?created_after=`` (list), ``POST /v1/predictions/{id}/cancel``,
``GET /v1/account``, and the output files themselves under ``/files/``. It stops by itself
after ``max_life`` seconds, so a test that forgets it cannot hang the suite.

Faults are consumed one per create, in order (``faults=["429", "drop"]``):

- ``429``: answered 429 with ``retry-after-ms``; not created.
- ``500``: answered 500; not created.
- ``drop``: created, then the connection is closed without an answer (an ambiguous create).
- ``fail``: created; the prediction ends ``failed``.

Tokens in ``dead`` get 401 and in ``broke`` get 402 on every request. ``creates`` counts the
predictions created per prompt: what Replicate would bill.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

__all__ = ["StandIn"]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(out, format="PNG")
    return out.getvalue()


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed run, a dropped create) is normal here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class StandIn:
    """The server; use as a context manager. ``base_url`` is ``http://127.0.0.1:PORT/v1``."""

    def __init__(
        self,
        *,
        latency: float = 0.3,
        faults: Iterable[str] = (),
        dead: Iterable[str] = (),
        broke: Iterable[str] = (),
        hold: bool = True,
        max_life: float = 60.0,
    ) -> None:
        self.latency = latency
        self.faults: deque[str] = deque(faults)
        self.dead, self.broke = set(dead), set(broke)
        self.hold = hold
        """Honour ``Prefer: wait`` (hold the create until done); else answer ``starting``."""
        self.max_life = max_life
        self.lock = threading.Lock()
        self.predictions: dict[str, dict[str, Any]] = {}
        self.creates: Counter[str] = Counter()
        self.png = _png()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        timer = threading.Timer(self.max_life, self._server.shutdown)
        timer.daemon = True
        timer.start()
        try:
            self._server.serve_forever(poll_interval=0.05)
        finally:
            timer.cancel()

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- state ------------------------------------------------------------------------------

    def create(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        """Record a new prediction (what Replicate bills) and return it."""
        with self.lock:
            pid = f"p{len(self.predictions) + 1:04d}"
            now = time.time()
            pred = {
                "id": pid,
                "model": model,
                "version": body.get("version", "hidden"),
                "input": body.get("input", {}),
                "status": "starting",
                "created_at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
                "_t": now,
                "_fail": False,
            }
            self.predictions[pid] = pred
            self.creates[str(pred["input"].get("prompt"))] += 1
            return pred

    def view(self, pid: str) -> dict[str, Any] | None:
        """The prediction as the API shows it now (status advanced by elapsed time)."""
        with self.lock:
            pred = self.predictions.get(pid)
            if pred is None:
                return None
            if pred["status"] in ("starting", "processing"):
                elapsed = time.time() - pred["_t"]
                if elapsed >= self.latency:
                    pred["status"] = "failed" if pred["_fail"] else "succeeded"
                elif elapsed > 0.05:
                    pred["status"] = "processing"
            out = {k: v for k, v in pred.items() if not k.startswith("_")}
            out["urls"] = {"get": f"{self.base_url}/predictions/{pid}"}
            if pred["status"] == "succeeded":
                out["output"] = [f"http://127.0.0.1:{self.port}/files/{pid}.png"]
                out["metrics"] = {"predict_time": self.latency}
            if pred["status"] == "failed":
                out["error"] = "CUDA out of memory"
            return out

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None


def _handler(server: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            ctype = "image/png" if isinstance(body, bytes) else "application/json"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if token in server.dead or not token:
                self._send(401, {"title": "Unauthenticated", "detail": "Invalid token"})
                return False
            if token in server.broke:
                self._send(402, {"title": "Payment required", "detail": "Insufficient credit"})
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path.startswith("/files/"):
                self._send(200, server.png)
                return
            if not self._authorised():
                return
            if url.path == "/v1/account":
                self._send(200, {"type": "user", "username": "standin"})
            elif url.path == "/v1/predictions":
                self._list(parse_qs(url.query).get("created_after", [""])[0])
            elif url.path.startswith("/v1/predictions/"):
                view = server.view(url.path.rsplit("/", 1)[1])
                self._send(200, view) if view else self._send(404, {"detail": "Not found"})
            else:
                self._send(404, {"detail": "Not found"})

        def _list(self, created_after: str) -> None:
            since = 0.0
            if created_after:
                when = dt.datetime.fromisoformat(created_after.replace("Z", "+00:00"))
                since = when.timestamp()
            with server.lock:
                ids = [p["id"] for p in server.predictions.values() if p["_t"] >= since]
            results = [server.view(pid) for pid in reversed(ids)]
            self._send(200, {"results": results, "next": None, "previous": None})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self._authorised():
                return
            parts = url.path.strip("/").split("/")
            if parts[:2] == ["v1", "predictions"] and len(parts) == 4 and parts[3] == "cancel":
                self._cancel(parts[2])
            elif url.path == "/v1/predictions" or (
                parts[1:2] == ["models"] and parts[-1:] == ["predictions"]
            ):
                model = "/".join(parts[2:4]) if parts[1] == "models" else ""
                self._create(model, json.loads(raw or b"{}"))
            else:
                self._send(404, {"detail": "Not found"})

        def _cancel(self, pid: str) -> None:
            with server.lock:
                pred = server.predictions.get(pid)
                if pred is not None and pred["status"] in ("starting", "processing"):
                    pred["status"] = "canceled"
            view = server.view(pid)
            self._send(200, view) if view else self._send(404, {"detail": "Not found"})

        def _create(self, model: str, body: dict[str, Any]) -> None:
            fault = server.next_fault()
            if fault == "429":
                self._send(429, {"detail": "Request was throttled."}, {"retry-after-ms": "200"})
                return
            if fault == "500":
                self._send(500, {"detail": "Internal server error"})
                return
            pred = server.create(model, body)
            pred["_fail"] = fault == "fail"
            if fault == "drop":
                self.close_connection = True  # accepted, but the answer never arrives
                return
            prefer = self.headers.get("Prefer", "")
            if server.hold and prefer.startswith("wait"):
                limit = float(prefer.partition("=")[2] or 60)
                time.sleep(max(0.0, min(limit, server.latency - (time.time() - pred["_t"]))))
            self._send(201, server.view(pred["id"]))

    return Handler
