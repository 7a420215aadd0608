"""Every adapter through the one shared error table, plus a read timeout on the create."""

from __future__ import annotations

from typing import Any

import pytest
from _helpers import (
    ERROR_TABLE,
    TRANSPORT_CASES,
    Mount,
    assert_error_matches,
    assert_transport_error,
    response_for,
    submit_error,
)

from pinglass.providers.base import GenerationRequest, Provider
from pinglass.providers.fal import Fal
from pinglass.providers.openai import OpenAI
from pinglass.providers.replicate import Replicate
from pinglass.providers.stability import Stability
from pinglass.providers.together import Together

# adapter class, base URL, text-only model (vendor id), create route
ADAPTERS: list[tuple[type[Provider], str, str, Mount]] = [
    (
        Replicate,
        "https://api.replicate.com/v1",
        "black-forest-labs/flux-schnell",
        lambda r: r.post("/models/black-forest-labs/flux-schnell/predictions"),
    ),
    (Fal, "https://queue.fal.run", "fal-ai/flux/dev", lambda r: r.post("/fal-ai/flux/dev")),
    (
        Stability,
        "https://api.stability.ai",
        "stable-image-core",
        lambda r: r.post("/v2beta/stable-image/generate/core"),
    ),
    (
        Together,
        "https://api.together.xyz/v1",
        "black-forest-labs/FLUX.1-schnell",
        lambda r: r.post("/images/generations"),
    ),
    (OpenAI, "https://api.openai.com/v1", "gpt-image-2", lambda r: r.post("/images/generations")),
]
ADAPTER_IDS = [a[0].name for a in ADAPTERS]


@pytest.mark.anyio
@pytest.mark.parametrize(("cls", "base", "model", "mount"), ADAPTERS, ids=ADAPTER_IDS)
@pytest.mark.parametrize(("status", "body", "headers", "expected"), ERROR_TABLE)
async def test_status_maps_to_error_kind(
    cls: type[Provider],
    base: str,
    model: str,
    mount: Mount,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: type[Exception],
) -> None:
    req = GenerationRequest(prompt="a portrait", model=model)
    error = await submit_error(cls, base, mount, response_for(status, body, headers), req)
    assert_error_matches(error, status, headers, expected)  # type: ignore[arg-type]


@pytest.mark.anyio
@pytest.mark.parametrize(("cls", "base", "model", "mount"), ADAPTERS, ids=ADAPTER_IDS)
@pytest.mark.parametrize(("exc", "maybe_accepted"), TRANSPORT_CASES)
async def test_transport_errors_on_create(
    cls: type[Provider], base: str, model: str, mount: Mount, exc: Exception, maybe_accepted: bool
) -> None:
    req = GenerationRequest(prompt="a portrait", model=model)
    await assert_transport_error(cls, base, mount, req, exc, maybe_accepted)
