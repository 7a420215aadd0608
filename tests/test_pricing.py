"""pricing.compare and catalog_rows: run costs, ordering, warnings, selection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pinglass.catalog import load_catalog
from pinglass.errors import UsageError
from pinglass.presets import load_preset
from pinglass.pricing import NO_REFERENCE_WARNING, catalog_rows, compare


def test_every_non_retired_model_identity_first_then_cheapest() -> None:
    rows = compare(load_catalog(), load_preset("business"), configured={"fal"})
    assert rows, "the catalog has models"
    assert all(r.provider != "mock" for r in rows)
    assert not any(r.model == "gpt-image-1" for r in rows)  # retired (PROVIDERS.md §0.2)
    groups = [(not r.identity, r.references == "none") for r in rows]
    assert groups == sorted(groups)
    identity = [r.run_usd for r in rows if r.identity]
    assert identity == sorted(identity)
    assert {r.key_configured for r in rows if r.provider == "fal"} == {True}
    assert {r.key_configured for r in rows if r.provider == "replicate"} == {False}


def test_run_cost_is_prompts_times_per_image_price_at_the_preset_size() -> None:
    preset = load_preset("business")
    (row,) = compare(load_catalog(), preset, provider="fal", model="flux-pulid")
    d = preset.defaults
    assert (d.width, d.height) == (896, 1152)
    per = Decimal("0.0333") * Decimal(896 * 1152) / Decimal(1_000_000)
    assert row.images == len(preset.prompts) == 23
    assert row.per_image_usd == per.quantize(Decimal("0.000001"))
    assert abs(row.run_usd - per * 23) < Decimal("0.00001")
    assert row.warning is None


def test_per_second_price_uses_typical_seconds() -> None:
    (row,) = compare(load_catalog(), load_preset("business"), provider="replicate")
    assert row.model == "flux-pulid"
    assert row.per_image_usd == Decimal("0.0014") * 16


def test_text_only_model_carries_the_warning() -> None:
    (row,) = compare(load_catalog(), load_preset("business"), provider="together", model="flux-dev")
    assert row.warning == NO_REFERENCE_WARNING


def test_model_alone_matches_every_provider() -> None:
    rows = compare(load_catalog(), load_preset("business"), model="flux-pulid")
    assert {r.provider for r in rows} >= {"replicate", "fal"}
    with pytest.raises(UsageError, match="unknown model"):
        compare(load_catalog(), load_preset("business"), model="no-such-model")


def test_price_overrides_flow_through() -> None:
    catalog = load_catalog({"openai/gpt-image-2": Decimal("1")})
    (row,) = compare(catalog, load_preset("business"), provider="openai")
    assert row.run_usd == Decimal(23)


def test_catalog_rows_show_key_variables_and_configured() -> None:
    rows = catalog_rows(load_catalog(), configured={"stability"})
    by_key = {f"{r.provider}/{r.model}": r for r in rows}
    assert by_key["stability/ultra"].key_env_vars == ["STABILITY_API_KEY", "STABILITY_KEY"]
    assert by_key["stability/ultra"].configured
    assert not by_key["replicate/flux-pulid"].configured
    assert by_key["mock/mock-portrait"].configured  # no key needed
    assert "openai/gpt-image-1" not in by_key
    retired = catalog_rows(load_catalog(), include_retired=True)
    assert any(r.retired and r.model == "gpt-image-1" for r in retired)
