"""The error taxonomy: exit codes, one-line messages, formatting of file/provider context."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pinglass.errors import (
    AmbiguousCreate,
    AuthError,
    BudgetRefused,
    ConfigError,
    ContentRejected,
    ExitCode,
    InvalidRequest,
    InvalidResponse,
    NoUsableProvider,
    PinglassError,
    PresetError,
    ProviderDown,
    ProviderError,
    QuotaError,
    RateLimited,
    RefsError,
    RemoteJobFailed,
    Transient,
    UsageError,
)


def test_exit_code_values_are_the_documented_ones() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4, 130]
    assert ExitCode.OK == 0
    assert ExitCode.IMAGES_FAILED == 1
    assert ExitCode.BAD_INPUT == 2
    assert ExitCode.COST_REFUSED == 3
    assert ExitCode.NO_PROVIDER == 4
    assert ExitCode.INTERRUPTED == 130


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PinglassError("x"), 2),
        (UsageError("x"), 2),
        (PresetError("x", file="p.toml"), 2),
        (RefsError("x"), 2),
        (ConfigError("x"), 2),
        (BudgetRefused("x"), 3),
        (NoUsableProvider("x"), 4),
        (ProviderError("x"), 1),
        (AuthError("x"), 1),
        (QuotaError("x"), 1),
        (RateLimited("x"), 1),
        (ContentRejected("x"), 1),
        (InvalidRequest("x"), 1),
        (Transient("x"), 1),
        (RemoteJobFailed("x", billed=False), 1),
        (AmbiguousCreate("x"), 1),
        (InvalidResponse("x"), 1),
        (ProviderDown("x"), 1),
    ],
)
def test_exit_code_per_class(error: PinglassError, code: int) -> None:
    assert error.exit_code == code
    assert isinstance(error.exit_code, ExitCode)


@pytest.mark.parametrize(
    "cls", [PinglassError, UsageError, ConfigError, BudgetRefused, NoUsableProvider]
)
def test_message_is_folded_to_one_line(cls: type[PinglassError]) -> None:
    err = cls("first line\n  second\tline\r\n\nthird  ")
    assert str(err) == "first line second line third"
    assert err.message == str(err)
    assert "\n" not in str(err)


def test_usage_subclasses() -> None:
    for cls in (PresetError, RefsError, ConfigError):
        assert issubclass(cls, UsageError)
    for cls in (AuthError, QuotaError, RateLimited, ContentRejected, InvalidRequest, Transient):
        assert issubclass(cls, ProviderError)
    assert issubclass(ProviderDown, ProviderError)


def test_preset_error_file_line_col() -> None:
    err = PresetError("prompt 'id' missing", file=Path("presets/x.toml"), line=14, col=3)
    assert str(err) == "presets/x.toml:14:3: prompt 'id' missing"
    assert (err.file, err.line, err.col) == ("presets/x.toml", 14, 3)


def test_preset_error_file_line_only_and_file_only() -> None:
    assert str(PresetError("bad", file="a.toml", line=2)) == "a.toml:2: bad"
    assert str(PresetError("bad", file="a.toml")) == "a.toml: bad"
    # A column without a line means nothing: it is not shown.
    assert str(PresetError("bad", file="a.toml", col=5)) == "a.toml: bad"


def test_preset_error_message_folded() -> None:
    err = PresetError("two\nlines", file="a.toml", line=1, col=1)
    assert str(err) == "a.toml:1:1: two lines"


def test_refs_error_with_and_without_file() -> None:
    err = RefsError("no usable photo", file=Path("refs/selfies"))
    assert str(err) == "refs/selfies: no usable photo"
    assert err.file == "refs/selfies"
    bare = RefsError("no usable photo")
    assert str(bare) == "no usable photo"
    assert bare.file is None


def test_budget_refused_keeps_numbers() -> None:
    err = BudgetRefused("too dear", estimated_usd=Decimal("1.5"), max_cost_usd=Decimal("1"))
    assert err.estimated_usd == Decimal("1.5")
    assert err.max_cost_usd == Decimal("1")
    assert str(err) == "too dear"


def test_provider_prefix_added_once() -> None:
    err = AuthError("key refused", provider="replicate")
    assert str(err) == "replicate: key refused"
    again = AuthError(str(err), provider="replicate")
    assert str(again) == "replicate: key refused"
    assert not str(again).startswith("replicate: replicate:")


def test_provider_error_without_provider_has_no_prefix() -> None:
    assert str(InvalidRequest("bad size")) == "bad size"


def test_provider_error_context_attributes() -> None:
    err = QuotaError("out of credit", provider="fal", model="m", status_code=402, request_id="r1")
    assert (err.provider, err.model, err.status_code, err.request_id) == ("fal", "m", 402, "r1")


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (ProviderError, "provider_error"),
        (AuthError, "auth"),
        (QuotaError, "quota"),
        (RateLimited, "rate_limited"),
        (ContentRejected, "content_rejected"),
        (InvalidRequest, "invalid_request"),
        (Transient, "transient"),
        (AmbiguousCreate, "ambiguous"),
        (InvalidResponse, "invalid_response"),
        (ProviderDown, "provider_down"),
    ],
)
def test_kind_strings(cls: type[ProviderError], kind: str) -> None:
    assert cls.kind == kind
    assert cls("x").kind == kind


def test_remote_job_failed_says_whether_it_was_billed() -> None:
    err = RemoteJobFailed("job r1 failed: CUDA out of memory", billed=True, provider="replicate")
    assert err.billed is True and err.kind == "remote_failed"
    assert str(err) == "replicate: job r1 failed: CUDA out of memory"
    assert RemoteJobFailed("x", billed=False).billed is False
    # Not a Transient: no retry policy treats the provider's answer as a dropped request.
    assert not isinstance(err, Transient)
    assert isinstance(InvalidResponse("x"), InvalidRequest)


def test_rate_limited_retry_after() -> None:
    err = RateLimited("slow down", retry_after=7.5, provider="p", status_code=429, request_id="q")
    assert err.retry_after == 7.5
    assert str(err) == "p: slow down"
    assert err.status_code == 429
    assert err.request_id == "q"
    assert RateLimited("x").retry_after is None


def test_transient_maybe_accepted() -> None:
    assert Transient("x").maybe_accepted is False
    err = Transient("read timeout", maybe_accepted=True, provider="p", model="m", status_code=504)
    assert err.maybe_accepted is True
    assert (err.provider, err.model, err.status_code) == ("p", "m", 504)
    assert str(err) == "p: read timeout"
