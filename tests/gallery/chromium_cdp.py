"""Drive headless Chromium over the DevTools protocol with the standard library only.

A small WebSocket client (RFC 6455: masked client frames, unmasked server frames, continuation
frames, ping/pong) is all the protocol needs, so the browser tests add no dependency. The
browser is Debian's ``chromium``; :func:`find_chromium` says why when it is missing.
Used by tests/gallery/test_gallery_browser.py and benchmarks/bench_gallery.py.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["Browser", "CdpError", "find_chromium"]

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)


class CdpError(RuntimeError):
    """The browser did not start, did not answer, or answered a command with an error."""


def find_chromium() -> tuple[str | None, str]:
    """(path to the browser, or None, and the reason it is missing)."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate, ""
    found = shutil.which("chromium")
    if found:
        return found, ""
    return None, "no Chromium: install Debian's `chromium` package (apt-get install chromium)"


class _WebSocket:
    def __init__(self, url: str, timeout: float) -> None:
        assert url.startswith("ws://"), url
        hostport, _, path = url[len("ws://") :].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode("ascii")
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CdpError("the browser closed the DevTools connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CdpError(f"DevTools handshake refused: {head[:200]!r}")
        self.buffer = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise CdpError("the browser closed the DevTools connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode("utf-8"))

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise CdpError("the browser closed the DevTools connection")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8")

    def close(self) -> None:
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Browser:
    """One headless Chromium with one page, driven by DevTools commands.

    ``events`` collects every event the page sent (``method`` and ``params``), so a test can
    check afterwards that no ``Page.javascriptDialogOpening`` (an ``alert``) happened.
    """

    def __init__(self, binary: str, *, width: int = 1280, height: int = 900) -> None:
        self.binary, self.width, self.height = binary, width, height
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._profile = tempfile.mkdtemp(prefix="pinglass-chromium-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._ws: _WebSocket | None = None

    def __enter__(self) -> Browser:
        self._proc = subprocess.Popen(  # noqa: S603 - a browser binary the test found
            [
                self.binary,
                *_FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:  # noqa: S310 - loopback
            targets = json.load(resp)
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = _WebSocket(page["webSocketDebuggerUrl"], timeout=60)
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.viewport(self.width, self.height)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            self._ws.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _port(self) -> int:
        marker = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise CdpError(f"chromium exited with {self._proc.returncode} at start")
            if marker.is_file():
                lines = marker.read_text().split()
                if lines:
                    return int(lines[0])
            time.sleep(0.05)
        raise CdpError("chromium did not open its DevTools port within 30 s")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one command and return its result (events meanwhile go to ``events``)."""
        assert self._ws is not None, "use Browser as a context manager"
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == self._next_id:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self.events.append(msg)

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Emulate a window of ``width`` x ``height`` CSS pixels (a phone with ``mobile``)."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CdpError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def navigate(self, url: str, *, timeout: float = 30) -> None:
        """Open ``url`` and wait for its load event."""
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", timeout=timeout)

    def wait_for(self, expression: str, *, timeout: float = 15) -> None:
        """Poll until the JavaScript ``expression`` is true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except CdpError:
                pass  # the page is between documents
            time.sleep(0.05)
        raise CdpError(f"timed out waiting for: {expression}")

    def key(self, key: str, code: int) -> None:
        """Press and release one key (``ArrowRight``, 39) as a person would."""
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code},
            )

    def screenshot(self, path: Path) -> Path:
        """Save what the window shows as a PNG."""
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
