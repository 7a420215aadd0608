"""A loopback stand-in for Replicate's predictions API, with fault injection.

A real HTTP server on ``127.0.0.1`` (random port, one thread per request, daemon threads) that
speaks the wire shape of Replicate's HTTP API (https://replicate.com/docs/reference/http):
``POST /v1/models/{o}/{n}/predictions`` and
``POST /v1/predictions`` (``Prefer: wait`` honoured), ``GET /v1/predictions/{id}``,
``GET /v1/predictions?created_after=`` (list), ``POST /v1/predictions/{id}/cancel``,
``GET /v1/account``, ``GET /v1/models/{o}/{n}`` (a community model's latest version), and the
output files themselves under ``/files/``. It stops by itself
after ``max_life`` seconds, so a test that forgets it cannot hang the suite.

Faults are consumed one per create, in order (``faults=["429", "drop"]``):

- ``429``: answered 429 with ``retry-after-ms``; not created.
- ``500``: answered 500; not created.
- ``drop``: created, then the connection is closed without an answer (an ambiguous create).
- ``fail``: created; the prediction ends ``failed``.
- ``401``: answered 401 (with ``echo_auth``, the body repeats the Authorization header).
- ``moved``: answered 307 to a plain-http API elsewhere; not created.
- ``html``: answered 502 with an HTML error page, as a gateway does; not created.
- ``nonjson``: created, answered 201 with a plain-text body.
- ``noid``: created, answered 201 with JSON that lacks ``id`` and ``urls``.
- ``noimage``: created; the prediction succeeds with an empty ``output``.
- ``notimage``: created; the output file is HTML text, not an image.
- ``huge``: created; the output file is ``huge_bytes`` long (over a small download cap).
- ``redirect``: created; the output file answers 302 to a plain-http URL elsewhere.
- ``bomb``: created; the output file is a small PNG whose header claims 20000 x 20000 pixels.
- ``trickle``: created; the output file is sent one byte every ``trickle_s`` seconds.

``predict_time`` is the hardware time each prediction reports as billed (default: ``latency``).
A ``Cancel-After`` header (``64s``, ``15m``) is honoured: a prediction whose billed time would
pass it ends ``canceled`` with ``predict_time`` equal to the deadline, as Replicate bills it.
``billed_seconds()`` sums what was billed.

``echo_auth=True`` makes every error body quote the request's Authorization header, as a
careless provider might: the secrets tests check the key never surfaces. ``POST /v1/files``
(reference uploads) is accepted and each upload's bytes are kept in ``uploads``.

Tokens in ``dead`` get 401 and in ``broke`` get 402 on every request. ``creates`` counts the
predictions created per prompt: what Replicate would bill.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlparse

__all__ = ["LoopbackServer", "StandIn"]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(out, format="PNG")
    return out.getvalue()


def _bomb_png(side: int = 20000) -> bytes:
    """A PNG of about 100 bytes whose header claims ``side`` x ``side`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed run, a dropped create) is normal here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that shuts itself down after ``max_life`` seconds.

    The stand-ins (this module's and tests/training/trainer_standin.py) build ``_server`` and
    set ``max_life``; this owns starting, the self-stop timer and stopping.
    """

    _server: ThreadingHTTPServer
    max_life: float

    def _start_later(self) -> None:
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        timer = threading.Timer(self.max_life, self._server.shutdown)
        timer.daemon = True
        timer.start()
        try:
            self._server.serve_forever(poll_interval=0.05)
        finally:
            timer.cancel()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class StandIn(LoopbackServer):
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
        echo_auth: bool = False,
        huge_bytes: int = 200_000,
        trickle_s: float = 0.2,
        predict_time: float | None = None,
    ) -> None:
        self.latency = latency
        self.faults: deque[str] = deque(faults)
        self.dead, self.broke = set(dead), set(broke)
        self.hold = hold
        """Honour ``Prefer: wait`` (hold the create until done); else answer ``starting``."""
        self.max_life = max_life
        self.echo_auth = echo_auth
        self.huge_bytes = huge_bytes
        self.trickle_s = trickle_s
        self.predict_time = predict_time
        self.echoes = 0
        """Error bodies that quoted an Authorization header (with ``echo_auth``)."""
        self.uploads: list[tuple[str, str, bytes]] = []
        """``(file name, content type, bytes)`` of every ``POST /v1/files``, in order."""
        self.lock = threading.Lock()
        self.predictions: dict[str, dict[str, Any]] = {}
        self.creates: Counter[str] = Counter()
        self.png = _png()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._start_later()

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
                "_output": "png",
                "_deadline": None,
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
                    billed = self.latency if self.predict_time is None else self.predict_time
                    deadline = pred["_deadline"]
                    if deadline is not None and billed > deadline:
                        pred["status"], billed = "canceled", deadline
                    pred["_billed"] = billed
                elif elapsed > 0.05:
                    pred["status"] = "processing"
            out = {k: v for k, v in pred.items() if not k.startswith("_")}
            out["urls"] = {"get": f"{self.base_url}/predictions/{pid}"}
            if "_billed" in pred and pred["status"] != "aborted":
                out["metrics"] = {"predict_time": pred["_billed"]}
            if pred["status"] == "succeeded":
                url = f"http://127.0.0.1:{self.port}/files/{pid}.png"
                out["output"] = [] if pred["_output"] == "noimage" else [url]
            if pred["status"] == "failed":
                out["error"] = "CUDA out of memory"
            return out

    def billed_seconds(self) -> float:
        """Hardware seconds Replicate would bill: every prediction that ran to an end."""
        with self.lock:
            return float(sum(p.get("_billed", 0.0) for p in self.predictions.values()))

    def output_mode(self, pid: str) -> str:
        """How ``/files/{pid}.png`` answers: ``png`` or one of the output faults."""
        with self.lock:
            pred = self.predictions.get(pid)
            return str(pred["_output"]) if pred is not None else "png"

    def record_upload(self, content_type: str, raw: bytes) -> str:
        """Keep the file part of a multipart upload; return its id."""
        from email.parser import BytesParser
        from email.policy import HTTP

        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        with self.lock:
            for part in message.iter_parts():
                data = part.get_payload(decode=True)
                if isinstance(data, bytes):
                    name = part.get_filename() or ""
                    self.uploads.append((name, part.get_content_type(), data))
            return f"f{len(self.uploads):04d}"

    def next_fault(self) -> str | None:
        with self.lock:
            return self.faults.popleft() if self.faults else None


# Inputs a community model's version declares (a union of PuLID's, InstantID's and SDXL's).
_INPUTS = (
    "prompt negative_prompt main_face_image image input_image width height aspect_ratio seed"
    " guidance_scale num_steps num_inference_steps id_weight ip_adapter_scale output_format"
).split()


def _model_view(name: str) -> dict[str, Any]:
    """``GET /v1/models/{owner}/{name}``: a community model with one published version."""
    schema = {"components": {"schemas": {"Input": {"properties": {n: {} for n in _INPUTS}}}}}
    version = {"id": "v-standin-0001", "openapi_schema": schema}
    return {"owner": name.split("/")[0], "name": name.split("/")[-1], "latest_version": version}


def _duration(text: str | None) -> float | None:
    """Seconds of a ``Cancel-After`` value (``64s``, ``15m``, ``1h30m``, ``90``)."""
    if not text:
        return None
    total, number = 0.0, ""
    for ch in text.strip():
        if ch.isdigit() or ch == ".":
            number += ch
            continue
        total += float(number or 0) * {"s": 1, "m": 60, "h": 3600}.get(ch, 1)
        number = ""
    return total + float(number or 0)


def _handler(server: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return None

        def _send(
            self,
            status: int,
            body: Any,
            headers: dict[str, str] | None = None,
            ctype: str | None = None,
        ) -> None:
            if status >= 400 and server.echo_auth and isinstance(body, dict):
                with server.lock:
                    server.echoes += 1
                body = {
                    **body,
                    "detail": f"{body.get('detail')}: got Authorization "
                    f"{self.headers.get('Authorization', '')!r}",
                }
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            ctype = ctype or ("image/png" if isinstance(body, bytes) else "application/json")
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
                self._file(url.path.rsplit("/", 1)[1].removesuffix(".png"))
                return
            if not self._authorised():
                return
            if url.path == "/v1/account":
                self._send(200, {"type": "user", "username": "standin"})
            elif url.path == "/v1/predictions":
                self._list(parse_qs(url.query).get("created_after", [""])[0])
            elif url.path.startswith("/v1/models/") and url.path.count("/") == 4:
                self._send(200, _model_view(url.path.removeprefix("/v1/models/")))
            elif url.path.startswith("/v1/predictions/"):
                view = server.view(url.path.rsplit("/", 1)[1])
                self._send(200, view) if view else self._send(404, {"detail": "Not found"})
            else:
                self._send(404, {"detail": "Not found"})

        def _file(self, pid: str) -> None:
            mode = server.output_mode(pid)
            if mode == "notimage":
                self._send(200, b"<html><body>Not Found</body></html>", ctype="text/html")
            elif mode == "huge":
                self._send(200, server.png + bytes(server.huge_bytes))
            elif mode == "redirect":
                self._send(302, b"", {"Location": "http://cdn.invalid/out.png"}, "text/plain")
            elif mode == "bomb":
                self._send(200, _bomb_png())
            elif mode == "trickle":
                self._trickle(server.png)
            else:
                self._send(200, server.png)

        def _trickle(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for i in range(len(data)):
                try:
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up: that is the point
                    return
                time.sleep(server.trickle_s)

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
            if url.path == "/v1/files":
                fid = server.record_upload(self.headers.get("Content-Type", ""), raw)
                get = f"http://127.0.0.1:{server.port}/files/{fid}"
                self._send(201, {"id": fid, "urls": {"get": get}})
            elif parts[:2] == ["v1", "predictions"] and len(parts) == 4 and parts[3] == "cancel":
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
            if fault == "401":
                self._send(401, {"title": "Unauthenticated", "detail": "Invalid token"})
                return
            if fault == "moved":
                self._send(
                    307, b"", {"Location": "http://api.invalid/v1/predictions"}, "text/plain"
                )
                return
            if fault == "html":
                page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                self._send(502, page, ctype="text/html")
                return
            pred = server.create(model, body)
            pred["_deadline"] = _duration(self.headers.get("Cancel-After"))
            pred["_fail"] = fault == "fail"
            if fault in ("noimage", "notimage", "huge", "redirect", "bomb", "trickle"):
                pred["_output"] = fault
            if fault == "nonjson":
                self._send(201, b"Created", ctype="text/plain")
                return
            if fault == "noid":
                self._send(201, {"status": "starting", "model": model})
                return
            if fault == "drop":
                self.close_connection = True  # accepted, but the answer never arrives
                return
            prefer = self.headers.get("Prefer", "")
            if server.hold and prefer.startswith("wait"):
                limit = float(prefer.partition("=")[2] or 60)
                time.sleep(max(0.0, min(limit, server.latency - (time.time() - pred["_t"]))))
            self._send(201, server.view(pred["id"]))

    return Handler
