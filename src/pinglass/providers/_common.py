"""Small pieces every adapter shares: auth headers, multipart fields, body-text refinement.

``refine_by_text`` is what :meth:`pinglass.providers.base.Provider.refine` does by default: it
reads the failed response's body and turns the generic status error into a
:class:`~pinglass.errors.QuotaError` or :class:`~pinglass.errors.ContentRejected` when the body
says so. Vendors answer "out of credit" and "refused by the safety filter" with many statuses
(400, 402, 403, 406, 429), so the words decide, not the status (docs/providers.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pinglass.errors import ContentRejected, ProviderError, QuotaError, RateLimited
from pinglass.providers._http import RETRY_AFTER_CAP

if TYPE_CHECKING:
    import httpx

    from pinglass.secrets import ApiKey

__all__ = [
    "bearer",
    "body_text",
    "form_fields",
    "rebrand",
    "refine_by_text",
    "with_retry_after",
]

_BODY_LIMIT = 4000


def bearer(key: ApiKey, scheme: str = "Bearer", *, header: str = "Authorization") -> dict[str, str]:
    """``{header: "<scheme> <key>"}``; the one raw read of the key per request."""
    return {header: f"{scheme} {key.header_value()}"}


def form_fields(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """Multipart text parts ``(name, (None, value))``; booleans as ``true``/``false``.

    Sending them through ``files=`` forces ``multipart/form-data`` even without a file part.
    """

    def text(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    return [(name, (None, text(value))) for name, value in fields.items()]


def body_text(response: httpx.Response) -> str:
    """The response body as lower-case text (first 4000 characters), for signal matching."""
    try:
        return response.text[:_BODY_LIMIT].lower()
    except (UnicodeDecodeError, ValueError):  # pragma: no cover - binary body
        return ""


def rebrand(error: ProviderError, cls: type[ProviderError]) -> ProviderError:
    """The same failure as another taxonomy class, keeping message and context."""
    if isinstance(error, cls):
        return error
    message = str(error).removeprefix(f"{error.provider}: ") if error.provider else str(error)
    return cls(
        message,
        provider=error.provider,
        model=error.model,
        status_code=error.status_code,
        request_id=error.request_id,
    )


def with_retry_after(error: RateLimited, seconds: float) -> RateLimited:
    """``error`` with a wait the vendor gave outside ``Retry-After`` (a body field, a reset time).

    Capped like ``Retry-After`` (:data:`pinglass.providers._http.RETRY_AFTER_CAP`).
    """
    message = str(error).removeprefix(f"{error.provider}: ") if error.provider else str(error)
    return RateLimited(
        message,
        retry_after=min(max(seconds, 0.0), RETRY_AFTER_CAP),
        provider=error.provider,
        model=error.model,
        status_code=error.status_code,
        request_id=error.request_id,
    )


def refine_by_text(
    response: httpx.Response,
    error: ProviderError,
    *,
    quota: Iterable[str] = (),
    safety: Iterable[str] = (),
) -> ProviderError:
    """Turn ``error`` into ``QuotaError``/``ContentRejected`` when the body holds a signal word.

    Words are matched case-insensitively anywhere in the body. Safety wins over quota, so a
    429 whose body names a billing problem (OpenAI's ``insufficient_quota``) becomes a
    ``QuotaError`` and a 400 naming a moderation block becomes ``ContentRejected``.
    """
    text = body_text(response)
    if any(word.lower() in text for word in safety):
        return rebrand(error, ContentRejected)
    if any(word.lower() in text for word in quota):
        return rebrand(error, QuotaError)
    return error
