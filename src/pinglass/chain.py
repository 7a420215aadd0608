"""The provider chain of a run: ``--provider a,b/model`` (or the first configured provider) as
catalog entries, dropping providers without a key.

Raises :class:`~pinglass.errors.UsageError` for an unknown provider and
:class:`~pinglass.errors.NoUsableProvider` (exit 4) when no provider of the chain has a key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pinglass.catalog import Catalog, ModelEntry
from pinglass.errors import NoUsableProvider, UsageError
from pinglass.providers import PROVIDERS

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey

__all__ = ["default_provider", "key_hint", "resolve_chain"]


def resolve_chain(
    wanted: Sequence[str],
    model: str | None,
    catalog: Catalog,
    keys: Mapping[str, Sequence[ApiKey]],
    warnings: list[str],
) -> list[ModelEntry]:
    """The fallback chain for ``--provider`` ``wanted`` (``name`` or ``name/model``, in order;
    empty: the first configured provider) and ``--model`` (of the first provider).

    Providers without a key are dropped, each with a line in ``warnings``.
    """
    wanted = list(wanted)
    if not wanted:
        wanted = [default_provider(catalog, keys)]
    chain: list[ModelEntry] = []
    for i, item in enumerate(wanted):
        name, _, named = item.strip().partition("/")
        if name not in PROVIDERS:
            raise UsageError(f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}")
        chosen_model = named or (model if i == 0 else None)
        chain.append(catalog.get(name, chosen_model or None))
    usable = [e for e in chain if not PROVIDERS[e.provider].key_env_vars or keys.get(e.provider)]
    for e in chain:
        if e not in usable:
            warnings.append(f"skipping {e.provider}: no key ({key_hint(e.provider)})")
    if not usable:
        missing = chain[0].provider
        raise NoUsableProvider(
            f"no key for {missing}: set {key_hint(missing)} in the environment or .env "
            "(or try `--provider mock` for a free offline run)"
        )
    return usable


def default_provider(catalog: Catalog, keys: Mapping[str, Sequence[ApiKey]]) -> str:
    """The first configured provider, preferring ones whose default model keeps identity."""
    configured = [p for p in catalog.providers() if p != "mock" and keys.get(p)]
    if not configured:
        raise NoUsableProvider(
            "no provider key is configured: set one (e.g. REPLICATE_API_TOKEN or FAL_KEY; "
            "see `pinglass providers`) or use `--provider mock` for a free offline run"
        )
    for p in configured:
        if catalog.get(p).identity:
            return p
    return configured[0]


def key_hint(provider: str) -> str:
    """How to configure ``provider``'s key: its variable names (``NAME or ALT (or NAME_1..N)``)."""
    names = PROVIDERS[provider].key_env_vars
    first = names[0] if names else ""
    alts = " or ".join(names)
    return f"{alts} (or {first}_1..N)" if names else "no key needed"
