"""The pinglass error taxonomy and exit codes.

Every error a user can see is a :class:`PinglassError`; its message is one line, user-facing and
free of secrets. Programming errors stay ``TypeError``/``ValueError``/``RuntimeError``.

::

    PinglassError                     base; .exit_code
    ├── UsageError            (2)     bad flags, unknown provider/model, bad path
    │   ├── PresetError       (2)     .file, .line -> "presets/x.toml:14: prompt 'id' missing"
    │   ├── RefsError         (2)     .file        -> unreadable folder, no usable photo
    │   └── ConfigError       (2)     settings / pinglass.toml / .env problems
    ├── BudgetRefused         (3)     estimate > --max-cost, or the user declined
    ├── NoUsableProvider      (4)     no key configured / every key failed
    ├── TrainingFailed        (1)     a training failed, was canceled or cannot be resolved
    └── ProviderError                 per image; never ends the process by itself
        ├── AuthError                 next key, then next provider; never retried
        ├── QuotaError                next key / provider
        ├── RateLimited               .retry_after; wait and retry
        ├── ContentRejected           not retried on the same prompt; reported
        ├── InvalidRequest            our bug or a model limit; not retried
        │   └── InvalidResponse       the answer is not a usable image (or has none)
        ├── Transient                 .maybe_accepted; timeouts, 5xx, resets
        ├── RemoteJobFailed           .billed; the provider accepted the job, then said it failed
        ├── AmbiguousCreate           a create may have been accepted and cannot be found again
        └── ProviderDown              raised by the runner after repeated Transient; fallback

This module imports nothing from pinglass.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import TypedDict, Unpack

__all__ = [
    "AmbiguousCreate",
    "AuthError",
    "BudgetRefused",
    "ConfigError",
    "ContentRejected",
    "ExitCode",
    "InvalidRequest",
    "InvalidResponse",
    "NoUsableProvider",
    "PinglassError",
    "PresetError",
    "ProviderDown",
    "ProviderError",
    "QuotaError",
    "RateLimited",
    "RefsError",
    "RemoteJobFailed",
    "TrainingFailed",
    "Transient",
    "UsageError",
]


class ExitCode(IntEnum):
    """Process exit codes (the README's "Exit codes" section lists them for users)."""

    OK = 0
    IMAGES_FAILED = 1
    BAD_INPUT = 2
    COST_REFUSED = 3
    NO_PROVIDER = 4
    INTERRUPTED = 130  # 128 + SIGINT


class PinglassError(Exception):
    """Base of every error shown to a user. The message is one line and holds no secret."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)


class UsageError(PinglassError):
    """Bad flags, unknown provider or model, a path that is not there. Exit 2."""


class PresetError(UsageError):
    """A preset file that cannot be used; the message starts with ``file:line:col``."""

    def __init__(
        self, message: str, *, file: Path | str, line: int | None = None, col: int | None = None
    ) -> None:
        self.file = str(file)
        self.line = line
        self.col = col
        self.detail = " ".join(message.split())
        """The message without the ``file:line:`` prefix."""
        where = self.file
        if line is not None:
            where += f":{line}"
            if col is not None:
                where += f":{col}"
        super().__init__(f"{where}: {message}")


class RefsError(UsageError):
    """The references folder cannot be used (missing, empty, no usable photo)."""

    def __init__(self, message: str, *, file: Path | str | None = None) -> None:
        self.file = None if file is None else str(file)
        super().__init__(message if file is None else f"{file}: {message}")


class ConfigError(UsageError):
    """Settings, ``pinglass.toml`` or ``.env`` problems."""


class BudgetRefused(PinglassError):
    """The run was refused for cost: the estimate exceeds ``--max-cost`` or the user declined."""

    exit_code = ExitCode.COST_REFUSED

    def __init__(
        self,
        message: str,
        *,
        estimated_usd: Decimal | None = None,
        max_cost_usd: Decimal | None = None,
    ) -> None:
        self.estimated_usd = estimated_usd
        self.max_cost_usd = max_cost_usd
        super().__init__(message)


class NoUsableProvider(PinglassError):
    """No provider in the chain has a configured, working key."""

    exit_code = ExitCode.NO_PROVIDER


class TrainingFailed(PinglassError):
    """A training failed or was canceled (the message has the vendor's reason and the billed
    cost), or its state cannot be resolved without risking a second one. Exit 1."""

    exit_code = ExitCode.IMAGES_FAILED

    def __init__(self, message: str, *, billed_usd: Decimal | None = None) -> None:
        self.billed_usd = billed_usd
        super().__init__(message)


class ErrorContext(TypedDict, total=False):
    """Where a provider error came from; every ``ProviderError`` takes these keywords."""

    provider: str
    model: str | None
    status_code: int | None
    request_id: str | None


class ProviderError(PinglassError):
    """A failure of one request to one provider. Recorded per image; never ends the process.

    ``kind`` is the string written to ``report.json`` (``error.kind``).
    """

    kind: str = "provider_error"
    exit_code = ExitCode.IMAGES_FAILED

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.request_id = request_id
        prefix = f"{provider}: " if provider and not message.startswith(f"{provider}:") else ""
        super().__init__(prefix + message)


class AuthError(ProviderError):
    """The key was refused (bad, expired, lacks permission). Runner: next key, never retried."""

    kind = "auth"


class QuotaError(ProviderError):
    """The account is out of credit or over a spend limit. Runner: next key, then provider."""

    kind = "quota"


class RateLimited(ProviderError):
    """The provider asked us to slow down. Runner: wait ``retry_after`` seconds and retry."""

    kind = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: Unpack[ErrorContext]
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, **context)


class ContentRejected(ProviderError):
    """A safety filter refused the prompt, a reference or the output. Not retried; reported."""

    kind = "content_rejected"


class InvalidRequest(ProviderError):
    """The provider refused the request as malformed or beyond a model limit. Not retried."""

    kind = "invalid_request"


class InvalidResponse(InvalidRequest):
    """The provider answered with something that is not a usable image. Not retried."""

    kind = "invalid_response"


class Transient(ProviderError):
    """A timeout, 5xx or dropped connection. Retried with backoff.

    ``maybe_accepted`` is true when the request body was sent and the provider may have accepted
    (and billed) it: a billable create with this flag is never blindly repeated.
    """

    kind = "transient"

    def __init__(
        self, message: str, *, maybe_accepted: bool = False, **context: Unpack[ErrorContext]
    ) -> None:
        self.maybe_accepted = maybe_accepted
        super().__init__(message, **context)


class RemoteJobFailed(ProviderError):
    """The provider accepted a job (it had a remote id) and then answered that it failed.

    Not retried as a request: polling a failed job again is pointless. ``billed`` is true when
    the provider may have charged for the failed job (it bills compute time): the runner then
    counts it. Either way the runner may make the image again as a new job (``--retry-failed``).
    ``quantity`` is what the provider reported billing for it, ``(amount, unit)`` in a unit the
    catalog prices (``second``, ``usd``), or ``None`` when it said nothing (the estimate counts).
    """

    kind = "remote_failed"

    def __init__(
        self,
        message: str,
        *,
        billed: bool,
        quantity: tuple[Decimal, str] | None = None,
        **context: Unpack[ErrorContext],
    ) -> None:
        self.billed = billed
        self.quantity = quantity
        super().__init__(message, **context)


class AmbiguousCreate(ProviderError):
    """A create may have reached the provider and cannot be found again: maybe billed.

    Raised by the runner, never by an adapter; the reservation is kept and the create is not
    sent again.
    """

    kind = "ambiguous"


class ProviderDown(ProviderError):
    """Raised by the runner after repeated ``Transient`` failures; triggers fallback."""

    kind = "provider_down"
