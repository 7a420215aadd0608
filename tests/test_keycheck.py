"""keycheck.probe_keys: every configured key probed once, for free, failures reported."""

from __future__ import annotations

import httpx
import pytest
import respx

from pinglass.errors import NoUsableProvider, UsageError
from pinglass.keycheck import NO_FREE_PROBE, _probe_one, any_failed, probe_keys
from pinglass.providers.base import GenerationRequest, KeyStatus, Pending, Provider
from pinglass.secrets import ApiKey
from pinglass.settings import load_settings

GOOD = ApiKey.of("r8_GOODGOODGOODGOOD1111", "REPLICATE_API_TOKEN")
BAD = ApiKey.of("r8_BADBADBADBADBADB2222", "REPLICATE_API_TOKEN_2")
STAB = ApiKey.of("sk-STABSTABSTABSTAB3333", "STABILITY_API_KEY")


def router() -> respx.Router:
    r = respx.Router(assert_all_called=True)
    r.get("https://api.replicate.com/v1/account").mock(
        side_effect=lambda request: (
            httpx.Response(200, json={"username": "me"})
            if request.headers["Authorization"] == f"Bearer {GOOD.header_value()}"
            else httpx.Response(401, json={"detail": "Invalid token."})
        )
    )
    r.get("https://api.stability.ai/v1/user/balance").respond(json={"credits": 100})
    return r


@pytest.mark.anyio
async def test_probes_every_key_and_reports_in_registry_order() -> None:
    r = router()
    keys = {"stability": [STAB], "replicate": [GOOD, BAD]}
    async with httpx.AsyncClient(transport=httpx.MockTransport(r.handler)) as client:
        reports = await probe_keys(keys, load_settings(), client=client)
    r.assert_all_called()
    assert [(x.provider, x.key, x.ok) for x in reports] == [
        ("replicate", GOOD.mask(), True),
        ("replicate", BAD.mask(), False),
        ("stability", STAB.mask(), True),
    ]
    assert reports[1].error is not None and "Invalid token" in reports[1].error
    assert reports[2].balance == "100 credits ($1.00)"
    assert all(x.latency_ms is not None and x.latency_ms >= 0 for x in reports)
    assert reports[1].source == "REPLICATE_API_TOKEN_2"
    assert any_failed(reports)
    assert GOOD.header_value() not in repr(reports)


@pytest.mark.anyio
async def test_provider_filter_probes_only_that_provider() -> None:
    r = respx.Router(assert_all_called=True)
    r.get("https://api.stability.ai/v1/user/balance").respond(json={"credits": 1})
    keys = {"stability": [STAB], "replicate": [GOOD]}
    async with httpx.AsyncClient(transport=httpx.MockTransport(r.handler)) as client:
        reports = await probe_keys(keys, load_settings(), client=client, provider="stability")
    assert [x.provider for x in reports] == ["stability"]
    assert not any_failed(reports)


@pytest.mark.anyio
async def test_base_url_override_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGLASS_REPLICATE_BASE_URL", "https://proxy.example/v1")
    r = respx.Router(assert_all_called=True)
    r.get("https://proxy.example/v1/account").respond(json={})
    async with httpx.AsyncClient(transport=httpx.MockTransport(r.handler)) as client:
        reports = await probe_keys({"replicate": [GOOD]}, load_settings(), client=client)
    assert reports[0].ok


@pytest.mark.anyio
async def test_no_key_at_all_names_the_variables() -> None:
    with pytest.raises(NoUsableProvider, match="REPLICATE_API_TOKEN"):
        await probe_keys({}, load_settings())
    with pytest.raises(NoUsableProvider, match="FAL_KEY"):
        await probe_keys({"replicate": [GOOD]}, load_settings(), provider="fal")


@pytest.mark.anyio
async def test_unknown_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown provider"):
        await probe_keys({"replicate": [GOOD]}, load_settings(), provider="nope")


class _NoProbe(Provider):
    name = "noprobe"
    key_env_vars = ("NOPROBE_KEY",)
    default_base_url = "https://noprobe.example"

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending:
        raise AssertionError("a probe must never create a job")

    async def probe(self, key: ApiKey) -> KeyStatus:
        return KeyStatus(ok=False, probed=False)


@pytest.mark.anyio
async def test_a_provider_without_a_free_probe_is_listed_but_not_a_failure() -> None:
    async with httpx.AsyncClient() as client:
        report = await _probe_one("noprobe", GOOD, _NoProbe(client))
    assert report.probed is False
    assert report.ok is False
    assert report.error == NO_FREE_PROBE
    assert report.latency_ms is None
    assert not any_failed([report])
