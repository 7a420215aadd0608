"""Shared helpers for adapter tests: a mocked client, small images, and the shared checks.

``ERROR_TABLE`` is the one ``(status, body, headers) → error class`` table every adapter runs
through :func:`submit_error` and :func:`assert_error_matches`; ``ERROR_ROWS``
is the same table as one ``row`` parameter for :func:`assert_error_row`. ``TRANSPORT_CASES``
and :func:`assert_transport_error` are the read-timeout / connect-error checks on a create;
:func:`probe_status`, :func:`assert_bad_key_probe` and :func:`probe_both` the key probes.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import httpx
import pytest
import respx
from PIL import Image

from pinglass.errors import (
    AuthError,
    InvalidRequest,
    ProviderError,
    QuotaError,
    RateLimited,
    Transient,
)
from pinglass.providers.base import KeyStatus, Provider, Reference
from pinglass.secrets import ApiKey

CANARY = "sk-CANARY-0123456789abcdefCANARY"  # the suite's canary (tests/conftest.py)
KEY = ApiKey.of(CANARY, "TEST_KEY")
BAD_KEY = ApiKey.of("sk-BAD-000000000000000000", "TEST_KEY_2")
BEARER = ("authorization", f"Bearer {CANARY}")
"""The header a Bearer-token adapter must send with ``KEY``."""

Mount: TypeAlias = Callable[[respx.Router], respx.Route]
ErrorRow: TypeAlias = tuple[int, Any, dict[str, str], type[ProviderError]]

ERROR_TABLE = [
    pytest.param(401, {"detail": "Invalid token"}, {}, AuthError, id="401-auth"),
    pytest.param(402, {"detail": "Payment required"}, {}, QuotaError, id="402-quota"),
    pytest.param(403, {"detail": "Forbidden"}, {}, AuthError, id="403-auth"),
    pytest.param(404, {"detail": "Not found"}, {}, InvalidRequest, id="404-invalid"),
    pytest.param(422, {"detail": [{"msg": "bad input"}]}, {}, InvalidRequest, id="422-invalid"),
    pytest.param(
        429, {"detail": "Request was throttled"}, {"Retry-After": "7"}, RateLimited, id="429-rate"
    ),
    pytest.param(500, {"error": "boom"}, {}, Transient, id="500-transient"),
    pytest.param(503, "Service Unavailable", {}, Transient, id="503-transient"),
]
ERROR_ROWS = [pytest.param(row.values, id=row.id) for row in ERROR_TABLE]
"""``ERROR_TABLE`` with each ``(status, body, headers, expected)`` as one ``row`` parameter."""

TRANSPORT_CASES = [
    pytest.param(httpx.ReadTimeout("slow"), True, id="read-timeout"),
    pytest.param(httpx.ConnectError("refused"), False, id="connect-error"),
]
"""``(exception, maybe_accepted)``: a create that may have reached the provider, and one that
certainly did not."""


def png_bytes(color: tuple[int, int, int] = (200, 150, 120), size: int = 16) -> bytes:
    """A tiny generated PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


def make_ref(name: str = "ref-1.png", color: tuple[int, int, int] = (200, 150, 120)) -> Reference:
    """A reference photo made of a generated PNG."""
    return Reference(name=name, data=png_bytes(color), mime="image/png")


def response_for(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    """An ``httpx.Response`` with a JSON (or text) body."""
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


@asynccontextmanager
async def adapter(
    cls: type[Provider], base_url: str, **kwargs: Any
) -> AsyncIterator[tuple[Provider, respx.Router]]:
    """An adapter on a client whose transport is a ``respx.Router`` (all routes must be hit)."""
    router = respx.Router(base_url=base_url, assert_all_called=True)
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        yield cls(client, **kwargs), router
    router.assert_all_called()


async def _route_error(
    cls: type[Provider],
    base_url: str,
    mount: Mount,
    outcome: httpx.Response | Exception,
    call: Callable[[Provider], Awaitable[object]],
) -> ProviderError:
    """Run ``call`` with the one route ``mount`` answering ``outcome``; return the error."""
    async with adapter(cls, base_url) as (provider, router):
        route = mount(router)
        if isinstance(outcome, Exception):
            route.mock(side_effect=outcome)
        else:
            route.mock(return_value=outcome)
        with pytest.raises(ProviderError) as info:
            await call(provider)
    return info.value


async def submit_error(
    cls: type[Provider],
    base_url: str,
    mount: Mount,
    outcome: httpx.Response | Exception,
    req: Any,
) -> ProviderError:
    """Submit ``req`` with the create route (``mount``) answering ``outcome``; return the error."""
    return await _route_error(cls, base_url, mount, outcome, lambda p: p.submit(req, KEY))


async def poll_error(
    cls: type[Provider],
    base_url: str,
    mount: Mount,
    outcome: httpx.Response | Exception,
    remote_id: str,
) -> ProviderError:
    """Poll ``remote_id`` with the status route (``mount``) answering ``outcome``; the error."""
    return await _route_error(cls, base_url, mount, outcome, lambda p: p.poll(remote_id, KEY))


def assert_error_matches(
    error: ProviderError, status: int, headers: dict[str, str], expected: type[ProviderError]
) -> None:
    """The error has the expected class, status and context, and no key in its message."""
    assert type(error) is expected
    assert error.status_code == status
    assert error.provider
    assert CANARY not in str(error)
    if expected is RateLimited:
        assert isinstance(error, RateLimited)
        assert error.retry_after == float(headers["Retry-After"])
    if expected is Transient:
        assert isinstance(error, Transient)
        assert error.maybe_accepted is False


async def assert_error_row(
    cls: type[Provider],
    base_url: str,
    mount: Mount,
    req: Any,
    row: ErrorRow,
    overrides: dict[int, type[ProviderError]] | None = None,
) -> None:
    """The create answering one ``ERROR_ROWS`` row raises its error class (or the override)."""
    status, body, headers, expected = row
    error = await submit_error(cls, base_url, mount, response_for(status, body, headers), req)
    assert_error_matches(error, status, headers, (overrides or {}).get(status, expected))


async def assert_transport_error(
    cls: type[Provider],
    base_url: str,
    mount: Mount,
    req: Any,
    exc: Exception,
    maybe_accepted: bool,
) -> None:
    """The create failing with ``exc`` is ``Transient`` with the given ``maybe_accepted``."""
    error = await submit_error(cls, base_url, mount, exc, req)
    assert isinstance(error, Transient)
    assert error.maybe_accepted is maybe_accepted


async def probe_status(
    cls: type[Provider],
    base_url: str,
    path: str,
    status: int,
    body: Any,
    *,
    key: ApiKey = KEY,
    auth: tuple[str, str] | None = None,
) -> KeyStatus:
    """Probe ``key`` with ``GET path`` answering ``status``/``body``; check the ``auth`` header."""
    async with adapter(cls, base_url) as (provider, router):
        route = router.get(path).respond(status, json=body)
        result = await provider.probe(key)
    if auth is not None:
        name, value = auth
        assert route.calls.last.request.headers.get(name) == value
    return result


def assert_rejected(status: KeyStatus, text: str) -> None:
    """The probe failed and its error names ``text``."""
    assert not status.ok
    assert status.error is not None and text in status.error


async def assert_bad_key_probe(
    cls: type[Provider], base_url: str, path: str, body: Any, text: str, status: int = 401
) -> None:
    """Probing ``BAD_KEY`` on ``GET path`` answering ``status``/``body`` fails naming ``text``."""
    assert_rejected(await probe_status(cls, base_url, path, status, body, key=BAD_KEY), text)


async def probe_both(
    cls: type[Provider], base_url: str, path: str, scheme: str, good: Any, bad: Any
) -> tuple[KeyStatus, KeyStatus, respx.Route]:
    """Probe ``KEY`` then ``BAD_KEY`` on one route that answers 200 ``good`` only when the
    ``Authorization`` header is ``"<scheme> <KEY>"`` (else 401 ``bad``).

    Returns the two statuses and the route, for checks on what was sent.
    """

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == f"{scheme} {KEY.header_value()}":
            return httpx.Response(200, json=good)
        return httpx.Response(401, json=bad)

    async with adapter(cls, base_url) as (provider, router):
        route = router.get(path).mock(side_effect=answer)
        statuses = (await provider.probe(KEY), await provider.probe(BAD_KEY))
    return statuses[0], statuses[1], route
