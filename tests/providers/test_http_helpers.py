"""providers/_http.py: the one funnel from HTTP to the error taxonomy, and wire helpers."""

from __future__ import annotations

import asyncio
import email.utils
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from pinglass.errors import (
    AuthError,
    InvalidRequest,
    ProviderError,
    QuotaError,
    RateLimited,
    Transient,
)
from pinglass.providers import _http
from pinglass.secrets import ApiKey

BASE = "https://api.test"
SECRET = "sk-HTTPTEST-0123456789abcdefghij"


@pytest.fixture
def router() -> Iterator[respx.Router]:
    r = respx.Router(base_url=BASE, assert_all_called=True)
    yield r


@pytest.fixture
async def client(router: respx.Router) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.handler)) as c:
        yield c


def _response(status: int, **kw: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", f"{BASE}/x"), **kw)


# --- parse_retry_after --------------------------------------------------------------------


def test_retry_after_seconds() -> None:
    assert _http.parse_retry_after({"Retry-After": "7"}) == 7.0
    assert _http.parse_retry_after({"retry-after": "2.5"}) == 2.5


def test_retry_after_http_date_with_injected_now() -> None:
    when = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert _http.parse_retry_after(headers, now=when - 12) == 12.0
    assert _http.parse_retry_after(headers, now=when + 100) == 0.0  # already past
    assert _http.parse_retry_after(headers, now=when - 3600) == 60.0  # capped


def test_retry_after_http_date_without_now_is_past() -> None:
    assert _http.parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_retry_after_ms_takes_precedence() -> None:
    headers = {"Retry-After": "30", "retry-after-ms": "1500"}
    assert _http.parse_retry_after(headers) == 1.5
    assert _http.parse_retry_after(httpx.Headers({"Retry-After-Ms": "250"})) == 0.25


def test_retry_after_bad_ms_falls_back_to_seconds() -> None:
    assert _http.parse_retry_after({"retry-after-ms": "soon", "Retry-After": "4"}) == 4.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Retry-After": ""},
        {"Retry-After": "garbage"},
        {"Retry-After": "nan"},
        {"retry-after-ms": "nan"},
        {"retry-after-ms": "x"},
    ],
)
def test_retry_after_unusable_is_none(headers: dict[str, str]) -> None:
    assert _http.parse_retry_after(headers) is None


@pytest.mark.parametrize(
    ("value", "expected"), [("3600", 60.0), ("inf", 60.0), ("-5", 0.0), ("0", 0.0)]
)
def test_retry_after_capped_and_floored(value: str, expected: float) -> None:
    assert _http.parse_retry_after({"Retry-After": value}) == expected


# --- error_from_response ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequest),
        (401, AuthError),
        (402, QuotaError),
        (403, AuthError),
        (404, InvalidRequest),
        (408, RateLimited),
        (409, InvalidRequest),
        (413, InvalidRequest),
        (422, InvalidRequest),
        (425, RateLimited),
        (429, RateLimited),
        (500, Transient),
        (502, Transient),
        (503, Transient),
        (504, Transient),
    ],
)
def test_status_table(status: int, cls: type[ProviderError]) -> None:
    err = _http.error_from_response(
        _response(status, json={"error": {"message": "nope"}}), provider="acme", model="m1"
    )
    assert type(err) is cls
    assert err.status_code == status
    assert err.provider == "acme"
    assert err.model == "m1"
    assert str(err) == f"acme: HTTP {status}: nope"
    if isinstance(err, Transient):
        assert err.maybe_accepted is False


def test_rate_limited_reads_retry_after() -> None:
    err = _http.error_from_response(
        _response(429, headers={"Retry-After": "9"}, text="slow down"), provider="acme"
    )
    assert isinstance(err, RateLimited)
    assert err.retry_after == 9.0
    assert str(err) == "acme: HTTP 429: slow down"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "bad prompt"}}, "bad prompt"),
        ({"error": "plain error string"}, "plain error string"),
        ({"detail": "Invalid version"}, "Invalid version"),
        ({"detail": [{"loc": ["body", "w"], "msg": "w too big"}]}, "w too big"),
        ({"errors": ["first", "second"]}, "first; second"),
        ({"error_message": "quota gone"}, "quota gone"),
        ({"message": "top-level message"}, "top-level message"),
        ({"title": "Forbidden", "status": 403}, "Forbidden"),
        ({"error": {"code": 5, "message": "multi\n  line\tmessage"}}, "multi line message"),
    ],
)
def test_message_from_json_shapes(body: Any, expected: str) -> None:
    err = _http.error_from_response(_response(400, json=body), provider="p")
    assert str(err) == f"p: HTTP 400: {expected}"


def test_message_from_json_without_text_falls_back_to_body() -> None:
    err = _http.error_from_response(_response(400, json={"code": 17}), provider="p")
    assert str(err) == 'p: HTTP 400: {"code":17}'
    numeric = _http.error_from_response(_response(400, json={"error": 5}), provider="p")
    assert str(numeric) == 'p: HTTP 400: {"error":5}'


def test_message_from_plain_text() -> None:
    err = _http.error_from_response(_response(500, text="upstream\nexploded"), provider="p")
    assert str(err) == "p: HTTP 500: upstream exploded"


def test_message_from_empty_body_uses_reason() -> None:
    err = _http.error_from_response(_response(503), provider="p")
    assert str(err) == "p: HTTP 503: Service Unavailable"


def test_html_error_page_is_not_dumped() -> None:
    html = "<html><head><title>502</title></head><body><h1>Bad Gateway</h1>nginx</body></html>"
    err = _http.error_from_response(
        _response(502, text=html, headers={"content-type": "text/html; charset=utf-8"}),
        provider="p",
    )
    message = str(err)
    assert "<" not in message
    assert "nginx" not in message
    assert message == "p: HTTP 502: Bad Gateway (HTML error page)"


def test_long_message_truncated() -> None:
    err = _http.error_from_response(_response(400, json={"detail": "x" * 5000}), provider="p")
    tail = str(err).removeprefix("p: HTTP 400: ")
    assert len(tail) == 300
    assert tail.endswith("…")


@pytest.mark.parametrize(
    ("header", "value"),
    [("x-request-id", "req-1"), ("x-fal-request-id", "fal-2"), ("cf-ray", "ray-3")],
)
def test_request_id_from_headers(header: str, value: str) -> None:
    err = _http.error_from_response(_response(500, text="x", headers={header: value}), provider="p")
    assert err.request_id == value


def test_no_request_id() -> None:
    assert _http.error_from_response(_response(500), provider="p").request_id is None


def test_echoed_key_in_body_is_redacted() -> None:
    key = ApiKey.of(SECRET, "ACME_KEY")
    body = {"error": {"message": f"invalid key {key.header_value()} for this model"}}
    err = _http.error_from_response(_response(401, json=body), provider="p")
    assert SECRET not in str(err)
    assert "sk-…ghij" in str(err)
    plain = _http.error_from_response(
        _response(401, text="Authorization: Bearer abcdef0123456789XYZ rejected"), provider="p"
    )
    assert "abcdef0123456789" not in str(plain)


# --- send -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_send_success_returns_read_response(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    route = router.post("/v1/go", headers={"Authorization": "Bearer tok"}).respond(
        201, json={"id": "abc"}
    )
    response = await _http.send(
        client,
        "POST",
        "/v1/go",
        provider="p",
        json={"a": 1},
        headers={"Authorization": "Bearer tok"},
    )
    assert response.status_code == 201
    assert _http.json_of(response, provider="p") == {"id": "abc"}
    assert json.loads(route.calls.last.request.content) == {"a": 1}


@pytest.mark.anyio
async def test_send_failure_raises_mapped_error(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.post("/v1/go").respond(
        429, json={"detail": "too many"}, headers={"Retry-After": "3", "x-request-id": "r9"}
    )
    with pytest.raises(RateLimited) as info:
        await _http.send(client, "POST", "/v1/go", provider="p", model="m")
    err = info.value
    assert (err.retry_after, err.request_id, err.model) == (3.0, "r9", "m")
    assert str(err) == "p: HTTP 429: too many"


@pytest.mark.anyio
async def test_send_refine_hook_replaces_error(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.post("/v1/go").respond(429, json={"error": {"message": "insufficient credit"}})
    seen: list[ProviderError] = []

    def refine(response: httpx.Response, error: ProviderError) -> ProviderError:
        seen.append(error)
        if "credit" in response.text:
            return QuotaError(error.message, provider="p", status_code=response.status_code)
        return error

    with pytest.raises(QuotaError) as info:
        await _http.send(client, "POST", "/v1/go", provider="p", refine=refine)
    assert isinstance(seen[0], RateLimited)
    assert str(info.value) == "p: HTTP 429: insufficient credit"
    assert info.value.status_code == 429


@pytest.mark.anyio
async def test_send_ok_hook_overrides_success(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.get("/v1/poll").respond(404, json={"status": "gone"})
    router.get("/v1/fine").respond(200, json={"error": "looks ok but is not"})
    response = await _http.send(
        client, "GET", "/v1/poll", provider="p", ok=lambda r: r.status_code in (200, 404)
    )
    assert response.status_code == 404
    with pytest.raises(InvalidRequest, match="HTTP 200: looks ok but is not"):
        await _http.send(
            client, "GET", "/v1/fine", provider="p", ok=lambda r: "error" not in r.text
        )


# --- map_http_errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "maybe_accepted"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, False),
        (httpx.PoolTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.RemoteProtocolError, True),
        (httpx.ReadError, True),
        (httpx.WriteError, True),  # other transport errors: assume the body may have left
    ],
)
@pytest.mark.anyio
async def test_transport_errors_become_transient(
    router: respx.Router,
    client: httpx.AsyncClient,
    exc: type[httpx.TransportError],
    maybe_accepted: bool,
) -> None:
    router.post("/v1/go").mock(side_effect=exc)
    with pytest.raises(Transient) as info:
        await _http.send(client, "POST", "/v1/go", provider="p", model="m")
    err = info.value
    assert err.maybe_accepted is maybe_accepted
    assert isinstance(err.__cause__, exc)
    assert err.provider == "p"
    assert err.model == "m"
    assert exc.__name__ in str(err)


def test_too_many_redirects_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="too many redirects") as info:  # noqa: PT012
        with _http.map_http_errors("p"):
            raise httpx.TooManyRedirects("loop")
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)


def test_map_http_errors_leaves_other_exceptions_alone() -> None:
    with pytest.raises(KeyError), _http.map_http_errors("p"):
        raise KeyError("ours")
    with _http.map_http_errors("p"):
        pass


# --- json_of, data URIs, base64 -------------------------------------------------------------


def test_json_of_non_json_is_invalid_request() -> None:
    response = _response(
        200, text="<html>hi</html>", headers={"content-type": "text/html", "x-request-id": "q"}
    )
    with pytest.raises(InvalidRequest) as info:
        _http.json_of(response, provider="p", model="m")
    assert str(info.value) == "p: expected JSON, got text/html (HTTP 200)"
    assert info.value.request_id == "q"
    assert info.value.__cause__ is not None


def test_json_of_reads_json() -> None:
    assert _http.json_of(_response(200, json=[1, 2]), provider="p") == [1, 2]


def test_data_uri_round_trip() -> None:
    data = bytes(range(256))
    uri = _http.data_uri(data, "image/png")
    assert uri.startswith("data:image/png;base64,")
    assert _http.decode_data_uri(uri, provider="p") == ("image/png", data)
    assert _http.b64decode(uri, provider="p") == data


def test_data_uri_without_mime_defaults() -> None:
    assert _http.decode_data_uri("data:;base64,aGk=", provider="p") == (
        "application/octet-stream",
        b"hi",
    )


@pytest.mark.parametrize(
    "uri",
    ["data:image/png,notbase64", "image/png;base64,aGk=", "data:image/png;base64", "hello"],
)
def test_malformed_data_uri(uri: str) -> None:
    with pytest.raises(InvalidRequest, match="malformed data URI"):
        _http.decode_data_uri(uri, provider="p")


def test_b64decode() -> None:
    assert _http.b64decode("aGVsbG8=", provider="p") == b"hello"
    with pytest.raises(InvalidRequest, match="not valid base64"):
        _http.b64decode("abc", provider="p")
    with pytest.raises(InvalidRequest, match="not valid base64"):
        _http.b64decode("data:image/png;base64,abc", provider="p")


# --- fetch_bytes ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_bytes_happy_path(router: respx.Router, client: httpx.AsyncClient) -> None:
    route = router.get("https://cdn.test/out.png").respond(
        200, content=b"PNGDATA", headers={"content-type": "image/png"}
    )
    data, ctype = await _http.fetch_bytes(
        client, "https://cdn.test/out.png", provider="p", headers={"X-A": "1"}, max_bytes=7
    )
    assert (data, ctype) == (b"PNGDATA", "image/png")
    assert route.calls.last.request.headers["X-A"] == "1"


@pytest.mark.anyio
async def test_fetch_bytes_declared_length_over_cap(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.get("https://cdn.test/big").respond(200, content=b"x" * 100)
    with pytest.raises(InvalidRequest, match="100 bytes, over the 10-byte cap"):
        await _http.fetch_bytes(client, "https://cdn.test/big", provider="p", max_bytes=10)


@pytest.mark.anyio
async def test_fetch_bytes_streamed_over_cap(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 64

    router.get("https://cdn.test/stream").mock(
        side_effect=lambda request: httpx.Response(200, content=chunks())
    )
    with pytest.raises(InvalidRequest, match="exceeded the 100-byte cap"):
        await _http.fetch_bytes(client, "https://cdn.test/stream", provider="p", max_bytes=100)


@pytest.mark.anyio
async def test_fetch_bytes_streamed_under_cap(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    router.get("https://cdn.test/stream").mock(
        side_effect=lambda request: httpx.Response(200, content=chunks())
    )
    data, ctype = await _http.fetch_bytes(
        client, "https://cdn.test/stream", provider="p", max_bytes=4
    )
    assert (data, ctype) == (b"abcd", None)


@pytest.mark.anyio
async def test_fetch_bytes_stops_a_trickle_at_its_deadline(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    """Bytes that keep coming never trip a read timeout; the overall deadline ends it."""

    async def trickle() -> AsyncIterator[bytes]:
        while True:
            yield b"x"
            await asyncio.sleep(0.01)

    router.get("https://cdn.test/slow").mock(
        side_effect=lambda request: httpx.Response(200, content=trickle())
    )
    with pytest.raises(Transient, match=r"did not finish within 0\.05 s") as caught:
        await _http.fetch_bytes(
            client, "https://cdn.test/slow", provider="p", max_bytes=10**6, deadline=0.05
        )
    assert caught.value.maybe_accepted is False  # a GET: safe to try again


@pytest.mark.anyio
async def test_fetch_bytes_refuses_redirect(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.get("https://cdn.test/moved").respond(302, headers={"location": "https://evil.test/"})
    with pytest.raises(InvalidRequest, match=r"redirected \(HTTP 302\)"):
        await _http.fetch_bytes(client, "https://cdn.test/moved", provider="p", max_bytes=10)


@pytest.mark.anyio
async def test_fetch_bytes_refuses_plain_http_unless_allowed(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    with pytest.raises(InvalidRequest, match="plain http"):
        await _http.fetch_bytes(client, "http://cdn.test/a.png", provider="p", max_bytes=10)
    router.get("http://cdn.test/a.png").respond(200, content=b"ok")
    data, _ = await _http.fetch_bytes(
        client, "http://cdn.test/a.png", provider="p", max_bytes=10, allow_http=True
    )
    assert data == b"ok"


@pytest.mark.anyio
async def test_fetch_bytes_404_is_invalid_request(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.get("https://cdn.test/gone").respond(404, text="expired")
    with pytest.raises(InvalidRequest) as info:
        await _http.fetch_bytes(client, "https://cdn.test/gone", provider="p", max_bytes=10)
    assert str(info.value) == "p: HTTP 404: expired"
    assert info.value.status_code == 404


@pytest.mark.anyio
async def test_fetch_bytes_connect_error_is_transient(
    router: respx.Router, client: httpx.AsyncClient
) -> None:
    router.get("https://cdn.test/x").mock(side_effect=httpx.ConnectError)
    with pytest.raises(Transient) as info:
        await _http.fetch_bytes(client, "https://cdn.test/x", provider="p", max_bytes=10)
    assert info.value.maybe_accepted is False


# --- nearest_aspect_ratio -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ratio"),
    [
        ((1024, 1024), "1:1"),
        ((768, 1024), "3:4"),
        ((1024, 768), "4:3"),
        ((832, 1216), "2:3"),
        ((1920, 1080), "16:9"),
        ((640, 1536), "9:21"),
        # 896x1152 is 7:9 = 0.778: nearer 4:5 (0.8) than 3:4 (0.75).
        ((896, 1152), "4:5"),
    ],
)
def test_nearest_aspect_ratio(size: tuple[int, int], ratio: str) -> None:
    assert _http.nearest_aspect_ratio(*size) == ratio


def test_nearest_aspect_ratio_among_given_choices() -> None:
    no_4_5 = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9")
    assert _http.nearest_aspect_ratio(896, 1152, no_4_5) == "3:4"


@pytest.mark.parametrize("size", [(0, 100), (100, 0), (-1, 5)])
def test_nearest_aspect_ratio_bad_input(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="positive"):
        _http.nearest_aspect_ratio(*size)
