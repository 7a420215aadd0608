"""Probe every configured provider key, concurrently, with requests that cost nothing.

:func:`probe_keys` is the library behind ``pinglass test-keys``. Each adapter's
:meth:`~pinglass.providers.base.Provider.probe` uses a free endpoint (docs/providers.md): it
never creates a job and never spends money. A provider without a free probe is listed as
``probed: false`` with the reason, and does not count as a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from pinglass import __version__
from pinglass.errors import NoUsableProvider, ProviderError, UsageError
from pinglass.providers import PROVIDERS
from pinglass.providers.base import KeyStatus
from pinglass.secrets import ApiKey, redact

if TYPE_CHECKING:
    import httpx

    from pinglass.providers.base import Provider
    from pinglass.settings import Settings

__all__ = ["KeyReport", "KeysDocument", "NO_FREE_PROBE", "any_failed", "probe_keys"]

NO_FREE_PROBE = "no free probe: key not checked"
_PROBE_TIMEOUT = 20.0


class KeyReport(BaseModel):
    """One key's probe result (the ``test-keys --json`` entry; the key is masked)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    provider: str
    """Provider name."""
    key: str
    """The key, masked (``r8_…3f9a``)."""
    ok: bool
    """True when the provider accepted the key."""
    error: str | None = None
    """Why it failed (or why it was not checked), one line."""
    latency_ms: int | None = None
    """Round-trip time of the probe in milliseconds."""
    balance: str | None = None
    """Remaining credit where the provider reports it."""
    probed: bool = True
    """False when the provider has no free probe and the key was not checked."""
    source: str = ""
    """The variable the key came from (``REPLICATE_API_TOKEN_2``)."""


class KeysDocument(BaseModel):
    """``pinglass test-keys --json``: ``{"keys": [...]}``."""

    keys: list[KeyReport]


def any_failed(reports: Sequence[KeyReport]) -> bool:
    """True when a key that could be checked was refused (``test-keys`` then exits 1)."""
    return any(r.probed and not r.ok for r in reports)


async def probe_keys(
    keys: Mapping[str, Sequence[ApiKey]],
    settings: Settings,
    client: httpx.AsyncClient | None = None,
    provider: str | None = None,
) -> list[KeyReport]:
    """Probe every key in ``keys`` (or only ``provider``'s) at once; reports in registry order.

    The mock provider has no key and is skipped. Raises ``UsageError`` for an unknown provider
    and ``NoUsableProvider`` (exit 4) when no key is configured, naming the variables to set.
    """
    if provider is not None and provider not in PROVIDERS:
        raise UsageError(f"unknown provider {provider!r}; choose one of: {', '.join(PROVIDERS)}")
    names = [p for p in PROVIDERS if p != "mock" and (provider is None or p == provider)]
    work = [(p, k) for p in names for k in keys.get(p, ())]
    if provider == "mock":  # needs no key and is always ready: asked for by name, it says so
        work = [("mock", ApiKey.of("", ""))]
    if not work:
        raise NoUsableProvider(_no_key_message(names))
    owned = client is None
    if client is None:
        import httpx

        client = httpx.AsyncClient(
            timeout=httpx.Timeout(_PROBE_TIMEOUT, connect=5.0),
            headers={"User-Agent": f"pinglass/{__version__}"},
            follow_redirects=False,
        )
    try:
        adapters = {p: _adapter(p, client, settings) for p in dict.fromkeys(p for p, _ in work)}
        reports = await asyncio.gather(*(_probe_one(p, k, adapters[p]) for p, k in work))
        return [
            r.model_copy(update={"key": "none needed"}) if r.provider == "mock" else r
            for r in reports
        ]
    finally:
        if owned:
            await client.aclose()


def _adapter(name: str, client: httpx.AsyncClient, settings: Settings) -> Provider | UsageError:
    """The provider's adapter, or the ``UsageError`` saying it is not in this build."""
    try:
        return settings.make_provider(name, client)
    except UsageError as exc:
        return exc


async def _probe_one(name: str, key: ApiKey, adapter: Provider | UsageError) -> KeyReport:
    if isinstance(adapter, UsageError):
        status = KeyStatus(ok=False, error=str(adapter), probed=False)
        elapsed: int | None = None
    else:
        start = time.perf_counter()
        try:
            status = await adapter.probe(key)
        except NotImplementedError:
            status = KeyStatus(ok=False, error=NO_FREE_PROBE, probed=False)
        except ProviderError as exc:
            status = KeyStatus(ok=False, error=str(exc))
        elapsed = round((time.perf_counter() - start) * 1000)
    error = status.error
    if not status.probed:
        error = error or NO_FREE_PROBE
        elapsed = None
    return KeyReport(
        provider=name,
        key=key.mask(),
        ok=status.ok and status.probed,
        error=redact(error) if error else None,
        latency_ms=elapsed,
        balance=redact(status.balance) if status.balance else None,
        probed=status.probed,
        source=key.source,
    )


def _no_key_message(names: Sequence[str]) -> str:
    variables = [v for p in names for v in PROVIDERS[p].key_env_vars[:1]]
    shown = ", ".join(variables[:6]) + (", …" if len(variables) > 6 else "")
    several = f"{variables[0]}_1..N" if variables else "NAME_1..N"
    if len(variables) > 1:
        several = f"each also as NAME_1..N, e.g. {several}"
    return (
        f"no provider key is configured: set {shown} (or {several} for several keys) "
        "in the environment or .env; see `pinglass providers`"
    )
