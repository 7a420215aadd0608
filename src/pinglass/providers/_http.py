"""The only place where httpx errors become pinglass errors, plus small wire helpers.

Every adapter call goes through :func:`send` (or :func:`fetch_bytes` for downloads), which wraps
the request in :func:`map_http_errors` and turns an error status into the taxonomy with
:func:`error_from_response`. No code above ``providers/`` catches an httpx exception.

Status mapping (docs/providers.md; adapters refine from the body where a provider is ambiguous):
400/404/409/413/415/422 → InvalidRequest · 401/403 → AuthError · 402 → QuotaError ·
408/425/429 → RateLimited (Retry-After honoured) · 5xx → Transient(maybe_accepted=False).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import httpx

from pinglass.errors import (
    AuthError,
    InvalidRequest,
    ProviderError,
    QuotaError,
    RateLimited,
    Transient,
)
from pinglass.secrets import redact

__all__ = [
    "b64decode",
    "data_uri",
    "decode_data_uri",
    "error_from_response",
    "fetch_bytes",
    "json_of",
    "map_http_errors",
    "nearest_aspect_ratio",
    "parse_retry_after",
    "send",
]

_REQUEST_ID_HEADERS = (
    "x-request-id",
    "x-fal-request-id",
    "request-id",
    "cf-ray",
    "x-amzn-requestid",
)
_MAX_MESSAGE = 300
# Our own ceiling on a server-given wait. replicate-python's RetryTransport takes a Retry-After
# in seconds as it is and caps only an ISO-date value and its own backoff at 60 s
# (_calculate_sleep in https://github.com/replicate/replicate-python/blob/main/replicate/client.py).
RETRY_AFTER_CAP = 60.0

# Pure image-API aspect ratios, most providers accept a subset of these.
_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "9:21", "21:9")


@contextmanager
def map_http_errors(provider: str, model: str | None = None) -> Iterator[None]:
    """Turn httpx transport exceptions raised inside the block into :class:`Transient`.

    Connect failures happened before the body left: ``maybe_accepted=False``. Read/write
    timeouts and protocol errors may come after the provider accepted the request:
    ``maybe_accepted=True``.
    """
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(
            f"could not connect ({type(exc).__name__})",
            provider=provider,
            model=model,
            maybe_accepted=False,
        ) from exc
    except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise Transient(
            f"connection lost after the request was sent ({type(exc).__name__})",
            provider=provider,
            model=model,
            maybe_accepted=True,
        ) from exc
    except httpx.TooManyRedirects as exc:
        raise InvalidRequest("too many redirects", provider=provider, model=model) from exc
    except httpx.TransportError as exc:
        raise Transient(
            f"network error ({type(exc).__name__})",
            provider=provider,
            model=model,
            maybe_accepted=True,
        ) from exc


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    model: str | None = None,
    refine: Callable[[httpx.Response, ProviderError], ProviderError] | None = None,
    ok: Callable[[httpx.Response], bool] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and return the response when its status is a success.

    ``refine`` lets an adapter turn the generic error for a failed response into a more precise
    one read from the body (a 429 that says "insufficient credit" → ``QuotaError``). ``ok``
    overrides which statuses count as success (default: 2xx). Raises a ``ProviderError``.
    """
    with map_http_errors(provider, model):
        response = await client.request(method, url, **kwargs)
        await response.aread()
    is_ok = ok(response) if ok is not None else response.is_success
    if is_ok:
        return response
    error = error_from_response(response, provider=provider, model=model)
    if refine is not None:
        error = refine(response, error)
    raise error


def error_from_response(
    response: httpx.Response, *, provider: str, model: str | None = None
) -> ProviderError:
    """Build the taxonomy error for a failed response, with the provider's own message."""
    status = response.status_code
    message = f"HTTP {status}: {error_message(response)}"
    kw: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "status_code": status,
        "request_id": request_id(response),
    }
    if status in (401, 403):
        return AuthError(message, **kw)
    if status == 402:
        return QuotaError(message, **kw)
    if status in (408, 425, 429):
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kw)
    if status >= 500:
        return Transient(message, maybe_accepted=False, **kw)
    return InvalidRequest(message, **kw)


def error_message(response: httpx.Response) -> str:
    """The provider's own error text from a JSON body, else a short, redacted text excerpt."""
    text = ""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = None
    if body is not None:
        text = _find_message(body)
    if not text:
        ctype = response.headers.get("content-type", "")
        raw = response.text if "html" not in ctype else ""
        text = " ".join(raw.split()) or (response.reason_phrase or "no details")
        if "html" in ctype:
            text = f"{response.reason_phrase or 'error'} (HTML error page)"
    text = redact(" ".join(text.split()))
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _find_message(body: Any) -> str:
    """Dig the human message out of the vendors' error shapes (docs/providers.md)."""
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(filter(None, (_find_message(x) for x in body[:3])))
    if not isinstance(body, dict):
        return ""
    for key in ("error", "detail", "errors", "message", "error_message", "msg", "title"):
        if key in body and body[key]:
            inner = body[key]
            found = _find_message(inner)
            if found:
                return found
    return ""


def request_id(response: httpx.Response) -> str | None:
    """The provider's request id from the usual response headers."""
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date).

    Capped at 60 s; ``None`` when the headers say nothing usable.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    value: float | None = None
    if ms := lowered.get("retry-after-ms"):
        try:
            value = float(ms) / 1000
        except ValueError:
            value = None
    if value is None and (ra := lowered.get("retry-after")):
        try:
            value = float(ra)
        except ValueError:
            parsed = email.utils.parsedate_tz(ra)
            if parsed is not None:
                when = email.utils.mktime_tz(parsed)
                value = when - (time.time() if now is None else now)
    if value is None or math.isnan(value):  # "nan" parses as a float; it is not a wait
        return None
    return min(max(value, 0.0), RETRY_AFTER_CAP)


def json_of(response: httpx.Response, *, provider: str, model: str | None = None) -> Any:
    """The JSON body of a success response; a non-JSON body is an ``InvalidRequest``."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        ctype = response.headers.get("content-type", "unknown")
        raise InvalidRequest(
            f"expected JSON, got {ctype} (HTTP {response.status_code})",
            provider=provider,
            model=model,
            status_code=response.status_code,
            request_id=request_id(response),
        ) from exc


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<...>``."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def decode_data_uri(uri: str, *, provider: str) -> tuple[str, bytes]:
    """Return ``(mime, bytes)`` of a base64 ``data:`` URI; a malformed one is InvalidRequest."""
    head, sep, payload = uri.partition(",")
    if not sep or not head.startswith("data:") or ";base64" not in head:
        raise InvalidRequest("malformed data URI in the response", provider=provider)
    mime = head[5:].split(";", 1)[0] or "application/octet-stream"
    return mime, b64decode(payload, provider=provider)


def b64decode(payload: str, *, provider: str) -> bytes:
    """Decode base64 from a response (a ``data:`` prefix is tolerated); bad base64 is an error."""
    if payload.startswith("data:"):
        return decode_data_uri(payload, provider=provider)[1]
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("response image is not valid base64", provider=provider) from exc


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    max_bytes: int,
    allow_http: bool = False,
    deadline: float | None = None,
) -> tuple[bytes, str | None]:
    """Stream ``url`` into memory, refusing more than ``max_bytes`` and plain-http URLs.

    Returns ``(bytes, content_type)``. Plain ``http://`` is allowed only when the provider's
    configured base URL is itself plain http (a local gateway or test server). ``deadline``
    bounds the whole download in seconds: a server trickling bytes never trips the per-read
    timeout, so without it one image could take forever (a retryable ``Transient``).
    """
    if not allow_http and not url.startswith("https://"):
        raise InvalidRequest("refusing to download an output over plain http", provider=provider)
    try:
        async with asyncio.timeout(deadline):
            return await _stream(client, url, provider, headers, max_bytes)
    except TimeoutError:
        raise Transient(
            f"download did not finish within {deadline:g} s",
            provider=provider,
            maybe_accepted=False,
        ) from None


async def _stream(
    client: httpx.AsyncClient,
    url: str,
    provider: str,
    headers: Mapping[str, str] | None,
    max_bytes: int,
) -> tuple[bytes, str | None]:
    with map_http_errors(provider):
        async with client.stream("GET", url, headers=dict(headers or {})) as response:
            if response.is_redirect or not response.is_success:
                await response.aread()
                if response.is_redirect:
                    raise InvalidRequest(
                        f"download redirected (HTTP {response.status_code})", provider=provider
                    )
                raise error_from_response(response, provider=provider)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InvalidRequest(
                    f"download is {int(declared)} bytes, over the {max_bytes}-byte cap",
                    provider=provider,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidRequest(
                        f"download exceeded the {max_bytes}-byte cap", provider=provider
                    )
                chunks.append(chunk)
            ctype = response.headers.get("content-type")
    return b"".join(chunks), ctype


def nearest_aspect_ratio(width: int, height: int, choices: tuple[str, ...] = _RATIOS) -> str:
    """The ratio in ``choices`` closest to ``width:height``.

    ``768x1024`` → ``3:4``; ``896x1152`` (7:9) → ``4:5``, or ``3:4`` when 4:5 is not a choice.
    Raises ``ValueError`` for a non-positive size.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    target = Fraction(width, height)

    def distance(ratio: str) -> float:
        a, b = ratio.split(":")
        return abs(float(Fraction(int(a), int(b)) - target))

    return min(choices, key=distance)
