"""Generating with trained subjects on the real adapters: fal's loras input, Replicate's model.

fal: the request for ``fal-ai/flux-lora`` carries ``loras: [{path, scale}]`` and the trigger
phrase, checked on the adapter's own body. Replicate: ``generate --subject`` end to end over the
loopback Replicate stand-in (``tests/standin.py``), which runs the subject's own model by its
latest version like any per-second model.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from test_generation import subject
from typer.testing import CliRunner

from conftest import SAMPLE_REFS
from pinglass.catalog import load_catalog
from pinglass.cli import app
from pinglass.providers.fal import Fal
from pinglass.runner.plan import Job
from pinglass.training.generation import generation_entry, with_trigger
from pinglass.training.subject import write_subject
from standin import StandIn

PROMPT = "Classic head-and-shoulders studio headshot of the person, 85mm lens"


def test_fal_flux_lora_request_carries_the_lora_and_the_trigger() -> None:
    trained = subject()
    entry = generation_entry(trained, load_catalog())
    job = Job(index=1, prompt_id="studio", prompt=with_trigger(PROMPT, trained.trigger_phrase))
    request = job.request_for(entry)
    body = Fal(httpx.AsyncClient()).model_input(request)
    assert body["loras"] == [{"path": trained.lora_url, "scale": 1.0}]
    assert body["prompt"].startswith(
        "Classic head-and-shoulders studio headshot of PGL3FA9C person"
    )
    assert "image_url" not in json.dumps(body)  # no reference photo: the LoRA carries the face


@pytest.mark.slow
@pytest.mark.usefixtures("loopback")
def test_generate_subject_on_replicate_runs_the_trained_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crops = tmp_path / "subjects" / "alex" / "crops"
    crops.mkdir(parents=True)
    for name in ("IMG_0412.jpg", "IMG_0415.jpg", "IMG_0423.jpg"):
        shutil.copy(SAMPLE_REFS / name, crops / name)
    version = f"standin/pinglass-alex:{'ab' * 32}"
    write_subject(
        crops.parent,
        subject(
            provider="replicate",
            trainer="flux-dev-lora",
            trainer_id="ostris/flux-dev-lora-trainer",
            lora_url="https://replicate.delivery/x/trained_model.tar",
            model_version=version,
            generation_model=f"replicate/{version}",
            created_at=datetime(2026, 11, 29, tzinfo=UTC),
        ),
    )
    with StandIn(latency=0.05) as server:
        monkeypatch.setenv("PINGLASS_REPLICATE_BASE_URL", server.base_url)
        monkeypatch.setenv("PINGLASS_POLL_INTERVAL", "0.05")
        monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_standin_subject_000001")
        out = tmp_path / "run"
        args = ["generate", "--subject", "alex", "--out", str(out), "--yes", "--json"]
        result = CliRunner().invoke(app, [*args, "--only", "studio-grey,boardroom"])
        predictions = list(server.predictions.values())
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["provider_chain"] == ["replicate/subject-alex"]
    assert report["totals"]["succeeded"] == 2
    assert len(predictions) == 2 and not server.uploads  # no reference photo is sent
    assert {p["version"] for p in predictions} == {"v-standin-0001"}  # the model's latest
    assert all("PGL3FA9C person" in p["input"]["prompt"] for p in predictions)
    sessions = (crops.parent / "sessions.jsonl").read_text().splitlines()
    assert json.loads(sessions[-1])["cost_usd"] == report["totals"]["cost_usd"]
