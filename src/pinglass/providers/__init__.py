"""Provider registry: names to adapter classes, imported only when a provider is chosen.

Key variable names live here as data too, so settings can collect keys without importing any
adapter (and without importing httpx at start-up).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pinglass.errors import UsageError

if TYPE_CHECKING:
    from pinglass.providers.base import Provider

__all__ = ["PROVIDERS", "ProviderEntry", "get_provider_class", "provider_names"]


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """Where a provider's adapter lives and which variables hold its keys."""

    target: str
    key_env_vars: tuple[str, ...]


PROVIDERS: dict[str, ProviderEntry] = {
    "replicate": ProviderEntry("pinglass.providers.replicate:Replicate", ("REPLICATE_API_TOKEN",)),
    "fal": ProviderEntry("pinglass.providers.fal:Fal", ("FAL_KEY",)),
    "stability": ProviderEntry(
        "pinglass.providers.stability:Stability", ("STABILITY_API_KEY", "STABILITY_KEY")
    ),
    "together": ProviderEntry("pinglass.providers.together:Together", ("TOGETHER_API_KEY",)),
    "fireworks": ProviderEntry("pinglass.providers.fireworks:Fireworks", ("FIREWORKS_API_KEY",)),
    "openrouter": ProviderEntry(
        "pinglass.providers.openrouter:OpenRouter", ("OPENROUTER_API_KEY",)
    ),
    # The google-genai SDK prefers GOOGLE_API_KEY when both are set (PROVIDERS.md §7.1).
    "google": ProviderEntry(
        "pinglass.providers.google:Google", ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    ),
    "openai": ProviderEntry("pinglass.providers.openai:OpenAI", ("OPENAI_API_KEY",)),
    "deepinfra": ProviderEntry(
        "pinglass.providers.deepinfra:DeepInfra", ("DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN")
    ),
    "segmind": ProviderEntry("pinglass.providers.segmind:Segmind", ("SEGMIND_API_KEY",)),
    "huggingface": ProviderEntry("pinglass.providers.huggingface:HuggingFace", ("HF_TOKEN",)),
    "nvidia": ProviderEntry("pinglass.providers.nvidia:Nvidia", ("NVIDIA_API_KEY",)),
    "pollinations": ProviderEntry(
        "pinglass.providers.pollinations:Pollinations", ("POLLINATIONS_API_KEY",)
    ),
    "mock": ProviderEntry("pinglass.providers.mock:Mock", ()),
}


def provider_names() -> list[str]:
    """Every provider name, in catalog order."""
    return list(PROVIDERS)


def get_provider_class(name: str) -> type[Provider]:
    """Import and return the adapter class for ``name``; unknown names are a ``UsageError``."""
    entry = PROVIDERS.get(name)
    if entry is None:
        raise UsageError(f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}")
    module_name, _, attr = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UsageError(f"provider {name!r} is not available in this build") from exc
    cls: type[Provider] = getattr(module, attr)
    return cls
