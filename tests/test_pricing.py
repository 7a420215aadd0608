"""pricing: run costs, ordering, warnings, selection, and what a finished job cost."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from fakes import png_bytes
from pinglass.catalog import Catalog, load_catalog
from pinglass.errors import UsageError
from pinglass.jobs import preset_jobs
from pinglass.presets import load_preset
from pinglass.pricing import NO_REFERENCE_WARNING, billed_cost, catalog_rows, compare
from pinglass.providers.base import Billed
from pinglass.runner import run_batch
from pinglass.runner.plan import Job, Plan
from pinglass.secrets import ApiKey
from pinglass.settings import Settings


def test_every_non_retired_model_identity_first_then_cheapest() -> None:
    rows = compare(load_catalog(), load_preset("business"), configured={"fal"})
    assert rows, "the catalog has models"
    assert all(r.provider != "mock" for r in rows)
    assert not any(r.model == "gpt-image-1" for r in rows)  # retired (docs/providers.md, OpenAI)
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


def test_per_second_worst_case_is_what_the_run_estimates_and_reserves() -> None:
    """The row's worst case is the run's own: Plan.estimate's worst case, Job's reservation."""
    preset, catalog = load_preset("business"), load_catalog()
    entry = catalog.get("replicate", "flux-pulid")
    (row,) = compare(catalog, preset, provider="replicate")
    assert entry.unit == "second" and entry.deadline_seconds == 4 * 16  # the catalog default
    assert row.deadline_s == 64
    assert row.worst_per_image_usd == Decimal("0.0014") * 64
    plan = Plan(jobs=tuple(preset_jobs(preset, ())), chain=(entry,))
    est = plan.estimate()
    assert (row.run_usd, row.worst_case_usd) == (est.total_usd, est.worst_case_usd)
    assert row.worst_case_usd == Decimal("0.0896") * 23 > row.run_usd * 3
    assert [j.worst_price_on(entry) for j in plan.jobs] == [row.worst_per_image_usd] * 23


def test_per_image_worst_case_is_the_run_price() -> None:
    (row,) = compare(load_catalog(), load_preset("business"), provider="fal", model="flux-pulid")
    assert row.deadline_s is None
    assert (row.worst_case_usd, row.worst_per_image_usd) == (row.run_usd, row.per_image_usd)


def test_max_seconds_and_price_overrides_reach_the_worst_case() -> None:
    catalog = load_catalog({"replicate/flux-pulid": Decimal("0.01")})
    entry = catalog.get("replicate", "flux-pulid").model_copy(update={"max_seconds": Decimal(30)})
    (row,) = compare(Catalog([entry]), load_preset("business"), provider="replicate")
    assert (row.deadline_s, row.worst_per_image_usd) == (30, Decimal("0.3"))
    assert row.worst_case_usd == Decimal("6.9")


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


# --- what a finished job cost -------------------------------------------------------------


def test_billed_cost_money_is_the_providers_and_units_are_priced_at_the_entry() -> None:
    catalog = load_catalog({"replicate/flux-pulid": Decimal("0.01")})
    pulid, dev = catalog.get("replicate", "flux-pulid"), catalog.get("replicate", "flux-dev")
    assert billed_cost(pulid, None) == (None, "catalog")
    assert billed_cost(pulid, Billed(Decimal("0.02"), "usd")) == (Decimal("0.02"), "provider")
    assert billed_cost(pulid, Billed(Decimal("12.5"), "second")) == (Decimal("0.125"), "computed")
    # Seconds on a model priced per image say nothing about its price: the estimate stands.
    assert billed_cost(dev, Billed(Decimal("3"), "second")) == (None, "catalog")
    assert billed_cost(None, Billed(Decimal("3"), "second")) == (None, "catalog")


@pytest.mark.anyio
async def test_price_override_is_used_by_the_estimate_and_by_settlement(tmp_path: Path) -> None:
    """[prices] replicate/flux-pulid = $0.01/s: estimate 16 s x $0.01, settled 12.5 s x $0.01."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, prices={"replicate/flux-pulid": Decimal("0.01")}, poll_interval=0.01
    )
    entry = load_catalog(settings.prices).get("replicate", "flux-pulid")
    plan = Plan(jobs=(Job(index=1, prompt_id="p", prompt="portrait", seed=1),), chain=(entry,))
    assert plan.estimate().per_image_usd == Decimal("0.16")

    router, created = _flux_pulid_router(predict_time=12.5)
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        outcome = await run_batch(
            plan,
            keys={"replicate": [ApiKey.of("r8_override_test_0000001", "REPLICATE_API_TOKEN")]},
            settings=settings,
            out_dir=tmp_path / "out",
            client=client,
            sleep=_no_sleep,
        )
    (result,) = outcome.results
    assert result.status == "succeeded" and created.call_count == 1
    assert result.estimated_cost_usd == Decimal("0.16")
    assert (result.cost_usd, result.cost_source) == (Decimal("0.125"), "computed")


async def _no_sleep(seconds: float) -> None:
    return None


def _flux_pulid_router(predict_time: float) -> tuple[respx.Router, respx.Route]:
    """Replicate's API for bytedance/flux-pulid: the model's version, a create answered
    ``succeeded`` at once with ``predict_time`` seconds billed, and the output PNG. Returns the
    router and the create route (its calls hold the requests sent)."""
    base, out_url = "https://api.replicate.com/v1", "https://replicate.delivery/x/out.png"
    router = respx.Router(assert_all_called=False)
    router.get(f"{base}/models/bytedance/flux-pulid").respond(
        json={"latest_version": {"id": "v1", "openapi_schema": {}}}
    )
    created = router.post(f"{base}/predictions").respond(
        201,
        json={
            "id": "p1",
            "model": "bytedance/flux-pulid",
            "status": "succeeded",
            "output": [out_url],
            "metrics": {"predict_time": predict_time},
        },
    )
    router.get(out_url).respond(content=png_bytes(), headers={"content-type": "image/png"})
    return router, created


async def _cancel_after_per_create(tmp_path: Path, cap: Decimal) -> tuple[list[str], list[str]]:
    """Three flux-pulid images run one at a time under ``cap``: each create's Cancel-After
    header, and the images' statuses (every prediction bills its typical 16 s)."""
    preset = load_preset("business")
    three = preset.model_copy(update={"prompts": preset.prompts[:3]})
    entry = load_catalog().get("replicate", "flux-pulid")
    plan = Plan(jobs=tuple(preset_jobs(three, ())), chain=(entry,), max_cost=cap, concurrency=1)
    router, created = _flux_pulid_router(predict_time=16)
    settings = Settings(_env_file=None, poll_interval=0.01)  # type: ignore[call-arg]
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
        outcome = await run_batch(
            plan,
            keys={"replicate": [ApiKey.of("r8_worst_case_test_00001", "REPLICATE_API_TOKEN")]},
            settings=settings,
            out_dir=tmp_path / str(cap),
            client=client,
            sleep=_no_sleep,
        )
    headers = [c.request.headers["Cancel-After"] for c in created.calls]
    return headers, [r.status for r in sorted(outcome.results, key=lambda r: r.index)]


@pytest.mark.anyio
async def test_max_cost_at_the_estimates_worst_case_holds_no_image_back(tmp_path: Path) -> None:
    """The gap estimate now shows: --max-cost at the typical figure cuts deadlines and leaves an
    image not run; at the worst case every image goes out with its full 64 s deadline."""
    preset = load_preset("business")
    three = preset.model_copy(update={"prompts": preset.prompts[:3]})
    (row,) = compare(load_catalog(), three, provider="replicate")
    assert (row.run_usd, row.worst_case_usd) == (Decimal("0.0672"), Decimal("0.2688"))

    headers, statuses = await _cancel_after_per_create(tmp_path, row.worst_case_usd)
    assert headers == ["64s"] * 3 and statuses == ["succeeded"] * 3

    headers, statuses = await _cancel_after_per_create(tmp_path, row.run_usd)
    assert statuses[-1] == "not_run" and len(headers) == 2
    assert all(int(h.removesuffix("s")) < 64 for h in headers)
