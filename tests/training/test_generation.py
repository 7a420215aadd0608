"""Generating with a subject: the model entry per provider and the trigger in each prompt."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from pinglass.catalog import load_catalog
from pinglass.errors import UsageError
from pinglass.training.generation import generation_entry, with_trigger
from pinglass.training.subject import Subject


def subject(**changes: Any) -> Subject:
    base: dict[str, Any] = {
        "name": "alex",
        "provider": "fal",
        "trainer": "flux-lora-portrait",
        "trainer_id": "fal-ai/flux-lora-portrait-trainer",
        "trigger_word": "PGL3FA9C",
        "trigger_phrase": "PGL3FA9C person",
        "steps": 2500,
        "lora_url": "https://v3.fal.media/files/x/pytorch_lora_weights.safetensors",
        "generation_model": "fal/flux-lora",
        "remote_id": "fal-ai/flux-lora-portrait-trainer/requests/r1",
        "cost_usd": 6.0,
        "cost_source": "catalog",
        "estimated_cost_usd": 6.0,
        "refs": [],
        "created_at": datetime(2026, 11, 29, tzinfo=UTC),
    }
    return Subject(**{**base, **changes})


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "Studio headshot of the person, 85mm lens",
            "Studio headshot of PGL3FA9C person, 85mm lens",
        ),
        ("The person laughs; the person's coat", "PGL3FA9C person laughs; PGL3FA9C person's coat"),
        ("a quiet harbour at dawn", "photo of PGL3FA9C person, a quiet harbour at dawn"),
    ],
)
def test_the_person_becomes_the_trigger_phrase(prompt: str, expected: str) -> None:
    assert with_trigger(prompt, "PGL3FA9C person") == expected


def test_fal_subject_runs_flux_lora_with_its_lora() -> None:
    entry = generation_entry(subject(), load_catalog())
    assert (entry.provider, entry.vendor_id) == ("fal", "fal-ai/flux-lora")
    assert entry.params["loras"] == [
        {"path": "https://v3.fal.media/files/x/pytorch_lora_weights.safetensors", "scale": 1.0}
    ]
    assert entry.unit == "megapixel" and entry.price == Decimal("0.035")


def test_replicate_subject_runs_its_own_model_per_second() -> None:
    trained = subject(
        provider="replicate",
        trainer="flux-dev-lora",
        lora_url="https://replicate.delivery/x/trained_model.tar",
        model_version=f"me/pinglass-alex:{'ab' * 32}",
        generation_model=f"replicate/me/pinglass-alex:{'ab' * 32}",
    )
    entry = generation_entry(trained, load_catalog())
    assert entry.provider == "replicate" and entry.vendor_id == "me/pinglass-alex"
    assert entry.model == "subject-alex" and entry.identity
    assert entry.unit == "second" and entry.price == Decimal("0.001525")
    assert entry.typical_seconds == Decimal("10.0")


def test_mock_subject_uses_the_mock_model() -> None:
    mocked = subject(provider="mock", trainer="mock-lora", generation_model="mock/mock-portrait")
    assert generation_entry(mocked, load_catalog()).key == "mock/mock-portrait"


def test_a_subject_missing_its_result_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no lora_url"):
        generation_entry(subject(lora_url=None), load_catalog())
    with pytest.raises(UsageError, match="no trained model_version"):
        generation_entry(
            subject(provider="replicate", generation_model="replicate/x"), load_catalog()
        )
