"""Shared helpers for adapter tests: a mocked client, small images, and the error table.

``ERROR_TABLE`` is the one ``(status, body, headers) → error class`` table every adapter runs
through :func:`submit_error` and :func:`assert_error_matches` (STYLE.md §2.7).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

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
from pinglass.providers.base import Provider, Reference
from pinglass.secrets import ApiKey

CANARY = "sk-CANARY-0123456789abcdefCANARY"  # the suite's canary (tests/conftest.py)
KEY = ApiKey.of(CANARY, "TEST_KEY")
BAD_KEY = ApiKey.of("sk-BAD-000000000000000000", "TEST_KEY_2")

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


async def submit_error(
    cls: type[Provider],
    base_url: str,
    mount: Callable[[respx.Router], respx.Route],
    outcome: httpx.Response | Exception,
    req: Any,
) -> ProviderError:
    """Submit ``req`` with the create route (``mount``) answering ``outcome``; return the error."""
    async with adapter(cls, base_url) as (provider, router):
        route = mount(router)
        if isinstance(outcome, Exception):
            route.mock(side_effect=outcome)
        else:
            route.mock(return_value=outcome)
        with pytest.raises(ProviderError) as info:
            await provider.submit(req, KEY)
    return info.value


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
