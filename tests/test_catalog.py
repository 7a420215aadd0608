"""The model catalog: packaged data, lookups, price overrides and per-image prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pinglass.catalog import Catalog, ModelEntry, load_catalog
from pinglass.errors import ConfigError, UsageError
from pinglass.providers import PROVIDERS


def _entry(**kw: Any) -> ModelEntry:
    base: dict[str, Any] = {
        "provider": "mock",
        "model": "m",
        "vendor_id": "v/m",
        "price": Decimal("0.01"),
        "price_checked": dt.date(2026, 11, 1),
    }
    base.update(kw)
    return ModelEntry(**base)


def test_load_catalog_works_and_is_not_empty() -> None:
    catalog = load_catalog()
    assert catalog.entries
    assert "mock" in catalog.providers()
    assert catalog.get("mock").model == "mock-portrait"


def test_every_entry_provider_is_registered() -> None:
    for entry in load_catalog().entries:
        assert entry.provider in PROVIDERS, entry.key


def test_entry_keys_are_unique() -> None:
    keys = [e.key for e in load_catalog().entries]
    assert len(keys) == len(set(keys))


def test_each_provider_has_exactly_one_current_default() -> None:
    catalog = load_catalog()
    for provider in catalog.providers():
        entries = catalog.models(provider, include_retired=True)
        defaults = [e for e in entries if e.default]
        assert len(defaults) == 1, f"{provider}: defaults {[e.model for e in defaults]}"
        assert not defaults[0].retired, f"{provider}: default {defaults[0].model} is retired"
        assert catalog.get(provider) == defaults[0]


def test_per_second_entries_state_typical_seconds() -> None:
    for entry in load_catalog().entries:
        if entry.unit == "second":
            assert entry.typical_seconds is not None, entry.key


def test_providers_are_in_registry_order() -> None:
    order = list(PROVIDERS)
    names = load_catalog().providers()
    assert names == sorted(names, key=order.index)


def test_get_by_short_name_and_vendor_id() -> None:
    catalog = load_catalog()
    for entry in catalog.entries:
        if entry.retired:
            continue  # refused by name: test_retired_model_is_refused_naming_its_replacement
        assert catalog.get(entry.provider, entry.model) == entry
        assert catalog.get(entry.provider, entry.vendor_id).vendor_id == entry.vendor_id


def test_get_unknown_model_lists_names() -> None:
    catalog = load_catalog()
    with pytest.raises(UsageError) as info:
        catalog.get("mock", "no-such-model")
    message = str(info.value)
    assert "'no-such-model'" in message
    assert "mock-portrait" in message
    assert info.value.exit_code == 2


def test_get_unknown_provider() -> None:
    catalog = load_catalog()
    with pytest.raises(UsageError) as info:
        catalog.get("nope")
    assert "'nope'" in str(info.value)
    assert "mock" in str(info.value)


def test_models_hides_retired_unless_asked() -> None:
    catalog = Catalog([_entry(model="old", retired=True), _entry(model="new", default=True)])
    assert [e.model for e in catalog.models("mock")] == ["new"]
    assert [e.model for e in catalog.models("mock", include_retired=True)] == ["old", "new"]
    assert [e.model for e in catalog.models()] == ["new"]


def test_default_falls_back_to_first_current_model() -> None:
    catalog = Catalog([_entry(model="old", retired=True), _entry(model="a"), _entry(model="b")])
    assert catalog.get("mock").model == "a"


def test_retired_model_is_refused_naming_its_replacement() -> None:
    catalog = load_catalog()
    for provider, model, replacement in [
        ("openai", "gpt-image-1", "gpt-image-2"),
        ("google", "imagen-4", "gemini-3.1-flash-image"),
    ]:
        with pytest.raises(UsageError) as info:
            catalog.get(provider, model)
        message = str(info.value)
        assert f"{provider}/{model} is retired" in message
        assert f"use --model {replacement} instead" in message
        assert catalog.get(provider, replacement).retired is False


def test_default_when_every_model_is_retired_is_usage_error() -> None:
    catalog = Catalog([_entry(model="old", retired=True)])
    with pytest.raises(UsageError, match="retired"):
        catalog.get("mock")


def test_unknown_model_message_omits_retired_names() -> None:
    catalog = Catalog([_entry(model="old", retired=True), _entry(model="new")])
    with pytest.raises(UsageError) as info:
        catalog.get("mock", "x")
    assert "new" in str(info.value)
    assert "old" not in str(info.value)


def test_price_override_applied() -> None:
    base = load_catalog()
    target = base.entries[0]
    catalog = load_catalog({target.key: Decimal("0.123")})
    assert catalog.get(target.provider, target.model).price == Decimal("0.123")
    others = [e for e in catalog.entries if e.key != target.key]
    assert others == [e for e in base.entries if e.key != target.key]


def test_unknown_price_override_is_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_catalog({"mock/mock-portrait": Decimal(0), "mock/typo": Decimal(1)})
    assert "'mock/typo'" in str(info.value)
    assert "[prices]" in str(info.value)


def test_price_per_image_unit_image() -> None:
    entry = _entry(price=Decimal("0.04"), unit="image")
    assert entry.price_per_image() == Decimal("0.04")
    assert entry.price_per_image(4096, 4096) == Decimal("0.04")


def test_price_per_image_megapixel_is_exact() -> None:
    entry = _entry(price=Decimal("0.0333"), unit="megapixel", width=1024, height=1024)
    assert entry.price_per_image(896, 1152) == Decimal("0.0343719936")
    assert entry.price_per_image() == Decimal("0.0333") * Decimal("1.048576")


def test_price_per_image_second() -> None:
    entry = _entry(price=Decimal("0.0014"), unit="second", typical_seconds=Decimal("12.5"))
    assert entry.price_per_image() == Decimal("0.0175")
    assert _entry(price=Decimal("0.001"), unit="second").price_per_image() == Decimal("0.010")


def test_model_entry_key_and_strictness() -> None:
    assert _entry(provider="fal", model="flux-pulid").key == "fal/flux-pulid"
    with pytest.raises(ValueError, match="typo"):
        _entry(typo=1)
    with pytest.raises(ValueError, match="price"):
        _entry(price=Decimal(-1))
