"""Secrets: masking, ApiKey never rendering its value, and the redaction filter."""

from __future__ import annotations

import json
import logging
import pickle

import pytest

from canary import CANARY
from pinglass.secrets import ApiKey, mask, redact, redact_headers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("r8_abcdefghijklmnop3f9a", "r8_…3f9a"),
        ("sk-proj-abcdefghijklmn1234", "sk-…1234"),
        ("fw_abcdefghijkl9876", "fw_…9876"),
        ("abcdefghijklmnop", "…mnop"),  # no vendor prefix: only the last four
        ("AIzaSyA1234567890abcdefgh", "…efgh"),
    ],
)
def test_mask_shapes(value: str, expected: str) -> None:
    assert mask(value) == expected


@pytest.mark.parametrize("value", ["", "a", "short", "r8_abcdefgh"])
def test_mask_hides_short_values_entirely(value: str) -> None:
    shown = mask(value)
    assert shown == "***"
    for ch in set(value):
        assert ch not in shown


def test_mask_never_shows_more_than_prefix_and_last_four() -> None:
    shown = mask(CANARY)
    assert shown == "sk-…NARY"
    assert "0123456789" not in shown


def test_apikey_renderings_never_contain_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    key = ApiKey.of(CANARY, "OPENAI_API_KEY")
    renderings = [
        repr(key),
        str(key),
        f"{key}",
        f"{key!r}",
        "%s %r" % (key, key),  # noqa: UP031 - the logging style of formatting
        repr([key]),
        repr({"k": key}),
        repr(key.secret),
        key.mask(),
        key.fingerprint,
    ]
    with caplog.at_level(logging.INFO):
        logging.getLogger("pinglass.test").info("using %s / %r", key, key)
    renderings.append(caplog.text)
    for text in renderings:
        assert CANARY not in text
        assert "0123456789abcdef" not in text
    assert repr(key) == "ApiKey('sk-…NARY', source='OPENAI_API_KEY')"
    assert key.fingerprint == "OPENAI_API_KEY:sk-…NARY"


def test_header_value_is_the_raw_key_and_strips_whitespace() -> None:
    key = ApiKey.of(f"  {CANARY}\n", "X")
    assert key.header_value() == CANARY
    assert key.source == "X"
    assert ApiKey.of(CANARY).fingerprint == "sk-…NARY"


def test_apikey_is_a_frozen_value() -> None:
    a, b = ApiKey.of(CANARY, "X"), ApiKey.of(CANARY, "X")
    assert a == b
    assert a != ApiKey.of(CANARY, "Y")
    with pytest.raises(AttributeError):
        a.source = "Z"  # type: ignore[misc]


def test_pickle_round_trips_the_value() -> None:
    # Pickling is a serialisation, not an output channel: it must keep the secret to round-trip.
    # No pinglass code pickles keys; this pins the behaviour so a change is deliberate.
    key = ApiKey.of(CANARY, "X")
    back = pickle.loads(pickle.dumps(key))  # noqa: S301 - our own bytes
    assert back == key
    assert back.header_value() == CANARY
    assert CANARY not in repr(back)


def test_redact_scrubs_known_key_anywhere() -> None:
    ApiKey.of(CANARY, "X")
    text = f"prefix{CANARY}suffix and again: {CANARY}."
    out = redact(text)
    assert CANARY not in out
    assert out.count("sk-…NARY") == 2


def test_redact_scrubs_known_key_inside_json_text() -> None:
    ApiKey.of(CANARY, "X")
    doc = json.dumps({"error": {"message": f"invalid key {CANARY}", "headers": [CANARY]}})
    out = redact(doc)
    assert CANARY not in out
    assert json.loads(out)["error"]["message"] == "invalid key sk-…NARY"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcDEF0123456789ghiJKL", "abcDEF0123456789ghiJKL"),
        ("authorization: bearer abcDEF0123456789ghiJKL", "abcDEF0123456789ghiJKL"),
        ("Authorization: Key 1234abcd-ef56-7890:0123456789abcdef", "0123456789abcdef"),
        ("Authorization: Token 0a1b2c3d4e5f6a7b8c9d", "0a1b2c3d4e5f6a7b8c9d"),
        ("got Basic dXNlcjpwYXNzd29yZDEyMw== back", "dXNlcjpwYXNzd29yZDEy"),
        ("GET https://x.test/v1/m?key=AIzaSyQ1234567890abcdefgh&alt=json", "1234567890abcdef"),
        ("GET /v1?api_key=0123456789secretvalue", "0123456789secret"),
        ("?token=abc123", "abc123"),
        ("key was r8_ABCDEFGHIJ1234567890xyz", "ABCDEFGHIJ1234567890"),
        ("nvapi-0123456789abcdefghij rejected", "0123456789abcdefghij"),
    ],
)
def test_redact_scrubs_credential_shapes_never_loaded(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out


def test_redact_keeps_query_param_name_and_other_params() -> None:
    out = redact("https://x.test/v1/m?key=AIzaSyQ1234567890abcdefgh&alt=json")
    assert "?key=" in out
    assert "&alt=json" in out


def test_redact_keeps_scheme_word() -> None:
    out = redact("Authorization: Bearer abcDEF0123456789ghiJKL")
    assert out.startswith("Authorization: Bearer ")
    assert out.endswith("…iJKL")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain message without secrets",
        "Incorrect API key provided",
        "please use your key carefully",
        "a token is required for this endpoint",
        "your key expired",
    ],
)
def test_redact_leaves_ordinary_prose_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_is_idempotent() -> None:
    ApiKey.of(CANARY, "X")
    text = f"Bearer {CANARY} and ?key=AIzaSyQ1234567890abcdefgh and {CANARY}"
    once = redact(text)
    assert redact(once) == once


def test_redact_headers_masks_credential_headers() -> None:
    ApiKey.of(CANARY, "X")
    headers = {
        "Authorization": f"Bearer {CANARY}",
        "X-Api-Key": "0123456789abcdefghij",
        "x-goog-api-key": "AIzaSyQ1234567890abcdefgh",
        "Cookie": "session=0123456789abcdef",
        "Accept": "application/json",
        "X-Echo": f"saw {CANARY}",
    }
    out = redact_headers(headers)
    assert set(out) == set(headers)
    assert out["Accept"] == "application/json"
    assert out["X-Api-Key"] == "…ghij"
    assert out["x-goog-api-key"] == "…efgh"
    for name, value in out.items():
        assert CANARY not in value, name
        assert "0123456789abcdef" not in value, name
    assert headers["Authorization"] == f"Bearer {CANARY}"  # the input is not modified


def test_redact_remembers_short_strings_and_answers_the_same() -> None:
    from pinglass import secrets

    text = "row 7: provider said 'quota exhausted for project 12' (plain text, no key)"
    first = redact(text)
    assert secrets._CACHE[text] == first  # remembered ...
    assert redact(text) == first  # ... and answered the same from memory


def test_a_key_made_later_is_redacted_from_a_string_seen_before() -> None:
    value = "zq-LATERKEY-9f8e7d6c5b4a39281"
    text = f"echoed body: credential={value} end"
    before = redact(text)
    assert "9f8e7d6c5b4a39281" in before  # not a known key yet, and not credential-shaped
    ApiKey.of(value, "LATER_KEY")
    after = redact(text)
    assert value not in after
    assert mask(value) in after


def test_long_documents_are_redacted_but_not_remembered() -> None:
    from pinglass import secrets

    doc = json.dumps({"rows": [f"row {i} {CANARY}" for i in range(400)]})
    assert len(doc) > secrets._CACHE_CHARS
    assert CANARY not in redact(doc)
    assert doc not in secrets._CACHE
