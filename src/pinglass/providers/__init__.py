"""Provider registry: one :class:`ProviderSpec` per provider, adapters imported only when chosen.

A spec is the single declaration of a provider's identity: its name, the adapter class, the
variables that hold its keys, its default API base, whether it bills jobs that fail and whether
it can be polled. Settings, ``test-keys``, the catalog table and the adapters all read these
facts from here, so none of them needs to import an adapter (or httpx) to know them. An adapter
class names its spec (``spec = PROVIDERS["replicate"]``) and everything else about it is code.

Adding a provider: a spec here, an adapter module, a ``catalog/models/<name>.toml`` and its
tests (``docs/providers.md`` has the vendor notes). The order of :data:`PROVIDERS` is the
preference order: the catalog lists providers in it and ``generate`` without ``--provider``
picks the first configured one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pinglass.errors import UsageError

if TYPE_CHECKING:
    from pinglass.providers.base import Provider

__all__ = ["PROVIDERS", "ProviderSpec", "get_provider_class"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSpec:
    """What pinglass must know about a provider before importing its adapter."""

    name: str
    """Provider name as users type it (``replicate``)."""
    adapter: str
    """``"module:Class"`` of the adapter, imported on first use."""
    key_env_vars: tuple[str, ...]
    """The vendor's own key variable names, most preferred first (each also as ``NAME_1``…)."""
    base_url: str
    """The API base; ``PINGLASS_<NAME>_BASE_URL`` or ``[base_urls]`` in pinglass.toml replace it."""
    bills_failed_jobs: bool
    """True when a job the provider accepted and then failed may still be charged (compute
    time): the runner then counts its reservation as spent instead of releasing it. No default:
    every provider states its rule (``docs/providers.md``)."""
    can_poll: bool
    """True when a create may answer "accepted, still running" and the adapter implements
    :meth:`~pinglass.providers.base.Provider.poll`."""


def _spec(
    name: str,
    adapter: str,
    keys: tuple[str, ...],
    base_url: str,
    *,
    bills_failed_jobs: bool,
    can_poll: bool,
) -> ProviderSpec:
    return ProviderSpec(
        name=name,
        adapter=f"pinglass.providers.{adapter}",
        key_env_vars=keys,
        base_url=base_url,
        bills_failed_jobs=bills_failed_jobs,
        can_poll=can_poll,
    )


# Billing rules and endpoints, vendor by vendor, with their sources: docs/providers.md.
_SPECS = (
    # Billed for hardware time, so a failed prediction may have cost money.
    _spec(
        "replicate",
        "replicate:Replicate",
        ("REPLICATE_API_TOKEN",),
        "https://api.replicate.com/v1",
        bills_failed_jobs=True,
        can_poll=True,
    ),
    # fal charges successful outputs only; server errors are not billed.
    _spec(
        "fal",
        "fal:Fal",
        ("FAL_KEY",),
        "https://queue.fal.run",
        bills_failed_jobs=False,
        can_poll=True,
    ),
    _spec(
        "stability",
        "stability:Stability",
        ("STABILITY_API_KEY", "STABILITY_KEY"),
        "https://api.stability.ai",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec(
        "together",
        "together:Together",
        ("TOGETHER_API_KEY",),
        "https://api.together.xyz/v1",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    # Kontext jobs run asynchronously; a failed one is treated as possibly billed.
    _spec(
        "fireworks",
        "fireworks:Fireworks",
        ("FIREWORKS_API_KEY",),
        "https://api.fireworks.ai/inference/v1",
        bills_failed_jobs=True,
        can_poll=True,
    ),
    _spec(
        "openrouter",
        "openrouter:OpenRouter",
        ("OPENROUTER_API_KEY",),
        "https://openrouter.ai/api/v1",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    # The google-genai SDK prefers GOOGLE_API_KEY when both are set.
    _spec(
        "google",
        "google:Google",
        ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        "https://generativelanguage.googleapis.com/v1beta",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec(
        "openai",
        "openai:OpenAI",
        ("OPENAI_API_KEY",),
        "https://api.openai.com/v1",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec(
        "deepinfra",
        "deepinfra:DeepInfra",
        ("DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN"),
        "https://api.deepinfra.com/v1",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec(
        "segmind",
        "segmind:Segmind",
        ("SEGMIND_API_KEY",),
        "https://api.segmind.com",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec(
        "huggingface",
        "huggingface:HuggingFace",
        ("HF_TOKEN",),
        "https://router.huggingface.co",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    # Answers 200 with the image, or 202 and a request id to poll when the job runs long.
    _spec(
        "nvidia",
        "nvidia:Nvidia",
        ("NVIDIA_API_KEY",),
        "https://ai.api.nvidia.com/v1/genai",
        bills_failed_jobs=False,
        can_poll=True,
    ),
    _spec(
        "pollinations",
        "pollinations:Pollinations",
        ("POLLINATIONS_API_KEY",),
        "https://gen.pollinations.ai",
        bills_failed_jobs=False,
        can_poll=False,
    ),
    _spec("mock", "mock:Mock", (), "mock://local", bills_failed_jobs=False, can_poll=False),
)

PROVIDERS: dict[str, ProviderSpec] = {spec.name: spec for spec in _SPECS}
"""Every provider's spec by name, in preference order."""


def get_provider_class(name: str) -> type[Provider]:
    """Import and return the adapter class for ``name``; unknown names are a ``UsageError``."""
    spec = PROVIDERS.get(name)
    if spec is None:
        raise UsageError(f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}")
    module_name, _, attr = spec.adapter.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UsageError(f"provider {name!r} is not available in this build") from exc
    cls: type[Provider] = getattr(module, attr)
    return cls
