"""Small pieces every adapter shares: auth headers, body-text error refinement, catalog lookup.

``refine_by_text`` is the usual ``refine`` hook for :func:`pinglass.providers._http.send`: it
reads the failed response's body and turns the generic status error into a
:class:`~pinglass.errors.QuotaError` or :class:`~pinglass.errors.ContentRejected` when the body
says so (PROVIDERS.md §14 items 2 and 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from pinglass.errors import ContentRejected, ProviderError, QuotaError

if TYPE_CHECKING:
    import httpx

    from pinglass.catalog import ModelEntry
    from pinglass.secrets import ApiKey

__all__ = ["bearer", "body_text", "catalog_entry", "form_fields", "rebrand", "refine_by_text"]

_BODY_LIMIT = 4000


def bearer(key: ApiKey, scheme: str = "Bearer") -> dict[str, str]:
    """``{"Authorization": "<scheme> <key>"}``; the one raw read of the key per request."""
    return {"Authorization": f"{scheme} {key.header_value()}"}


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


@cache
def _catalog_entries() -> dict[tuple[str, str], ModelEntry]:
    from pinglass.catalog import load_catalog

    out: dict[tuple[str, str], ModelEntry] = {}
    for entry in load_catalog().models(include_retired=True):
        out[(entry.provider, entry.vendor_id)] = entry
        out.setdefault((entry.provider, entry.model), entry)
    return out


def catalog_entry(provider: str, model: str) -> ModelEntry | None:
    """The packaged catalog entry for ``provider`` and a vendor id or short name, if any.

    Adapters read model facts from here (reference field, per-second hardware rate) so models
    stay data. Unknown models return ``None``; the adapter then uses its generic defaults.
    """
    return _catalog_entries().get((provider, model))
