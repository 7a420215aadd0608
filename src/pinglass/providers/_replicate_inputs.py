"""Replicate wire details: model inputs from a request, and predictions into results.

Replicate models name the same idea differently (``num_steps`` / ``num_inference_steps``,
``id_weight`` / ``ip_adapter_scale``). For a community model the version's ``openapi_schema``
lists the real names: generic fields go to the first candidate the schema
has, and a reference field or catalog parameter the schema lacks is an ``InvalidRequest``.
Official models have no schema here; they get the safe common set (prompt, aspect ratio, seed).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from pinglass.errors import InvalidRequest
from pinglass.providers import _http
from pinglass.providers._create_poll import State
from pinglass.providers.base import Billed, Finished, GenerationRequest, ImageData

__all__ = [
    "REF_PLACEHOLDER",
    "STATES",
    "build_input",
    "finished_prediction",
    "same_input",
    "schema_properties",
]

REF_PLACEHOLDER = "<reference>"
"""Stands for an uploaded reference URL when matching inputs (it changes after a resume)."""

STATES: dict[str, State] = {
    "starting": "pending",
    "processing": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
    "aborted": "canceled",  # Cancel-After deadline passed before it started: not charged
}

# Ratios every official FLUX model on Replicate accepts (flux-dev has no 3:4).
_OFFICIAL_RATIOS = ("1:1", "16:9", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "guidance": ("guidance_scale", "guidance", "prompt_strength"),
    "steps": ("num_steps", "num_inference_steps"),
    "identity_weight": ("id_weight", "ip_adapter_scale", "instant_id_strength"),
}


def schema_properties(version: dict[str, Any]) -> frozenset[str]:
    """Input names from a version's ``openapi_schema.components.schemas.Input.properties``."""
    schema = version.get("openapi_schema") or {}
    props = schema.get("components", {}).get("schemas", {}).get("Input", {}).get("properties")
    return frozenset(props) if isinstance(props, dict) else frozenset()


def build_input(
    req: GenerationRequest,
    *,
    reference_urls: list[str],
    schema: Collection[str] | None,
) -> dict[str, Any]:
    """The ``input`` object for ``req``.

    ``schema`` is the set of input names of a community model's version, or ``None`` for an
    official model. Raises ``InvalidRequest`` when a required name is not in the schema.
    """
    reference_field = req.reference_field
    out: dict[str, Any] = {"prompt": req.prompt}
    if schema is None:
        out["aspect_ratio"] = _http.nearest_aspect_ratio(req.width, req.height, _OFFICIAL_RATIOS)
        if req.seed is not None:
            out["seed"] = req.seed
    else:
        _fill_from_schema(out, req, schema)
    if reference_urls:
        if not reference_field or (schema is not None and reference_field not in schema):
            raise InvalidRequest(
                f"{req.model} has no reference input {reference_field!r} "
                "(the model's inputs changed; update the catalog)",
                provider="replicate",
                model=req.model,
            )
        out[reference_field] = reference_urls[0]
    for name, value in req.params.items():
        if schema is not None and schema and name not in schema:
            raise InvalidRequest(
                f"{req.model} has no input {name!r}; check the catalog params",
                provider="replicate",
                model=req.model,
            )
        out[name] = value
    return out


def _fill_from_schema(out: dict[str, Any], req: GenerationRequest, schema: Collection[str]) -> None:
    if "width" in schema and "height" in schema:
        out["width"], out["height"] = req.width, req.height
    elif "aspect_ratio" in schema:
        out["aspect_ratio"] = _http.nearest_aspect_ratio(req.width, req.height)
    if req.negative_prompt and "negative_prompt" in schema:
        out["negative_prompt"] = req.negative_prompt
    if req.seed is not None and "seed" in schema:
        out["seed"] = req.seed
    generic = {"guidance": req.guidance, "steps": req.steps, "identity_weight": req.identity_weight}
    for concept, value in generic.items():
        if value is None:
            continue
        name = next((n for n in _CANDIDATES[concept] if n in schema), None)
        if name is not None:
            out[name] = value


def finished_prediction(body: dict[str, Any], remote_id: str) -> Finished:
    """A succeeded prediction as :class:`Finished`.

    ``output`` is a URI or a list of URIs (HTTPS or ``data:``). ``metrics.predict_time`` is the
    hardware time Replicate bills per-second models for; the runner prices it with the catalog.
    """
    output = body.get("output")
    uris = [output] if isinstance(output, str) else list(output or [])
    images = tuple(ImageData(url=u) for u in uris if isinstance(u, str))
    if not images:
        raise InvalidRequest(f"prediction {remote_id} has no output", provider="replicate")
    seconds = (body.get("metrics") or {}).get("predict_time")
    billed = Billed(Decimal(str(seconds)), "second") if isinstance(seconds, int | float) else None
    seed = (body.get("input") or {}).get("seed")
    return Finished(images, remote_id, billed, seed if isinstance(seed, int) else None)


def same_input(got: Any, wanted: dict[str, Any]) -> bool:
    """True when ``got`` equals ``wanted``; a ``REF_PLACEHOLDER`` value matches any URL."""
    if not isinstance(got, dict) or set(got) != set(wanted):
        return False
    return all(v == REF_PLACEHOLDER or got[k] == v for k, v in wanted.items())
