"""Malformed provider answers become typed, one-line errors in the report, never a crash.

The engine runs the real Replicate adapter over the loopback stand-in, which answers each create
with one kind of nonsense. A last test checks, at the adapter level with respx, that an output
URL on plain http is refused when the configured base URL is https.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import respx

from pinglass.errors import InvalidRequest
from pinglass.providers.base import ImageData
from pinglass.providers.replicate import Replicate
from pinglass.runner import EngineConfig, run_batch
from pinglass.runner.results import RunOutcome
from pinglass.secrets import ApiKey
from pinglass.settings import Settings
from standin import StandIn
from standin_run import TOKEN, plan_of

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]

# fault injected on every create → (error kind in the report, words of its one-line message)
ANSWERS = {
    "moved": ("invalid_request", "HTTP 307"),
    "html": ("transient", "HTTP 502: Bad Gateway (HTML error page)"),
    "nonjson": ("invalid_request", "expected JSON, got text/plain"),
    "noid": ("invalid_request", "has no id"),
    "noimage": ("invalid_request", "has no output"),
    "notimage": ("invalid_response", "not a readable image"),
    "huge": ("invalid_request", "byte cap"),
    "redirect": ("invalid_request", "download redirected (HTTP 302)"),
    "bomb": ("invalid_response", "claims too many pixels"),  # issue 12 row 6
}


async def _fast_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.01))


async def _run(server: StandIn, out: Path, **settings_: float) -> RunOutcome:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        base_urls={"replicate": server.base_url},
        poll_interval=0.05,
        max_download_mb=0.05,  # 52 kB: the stand-in's "huge" file is 200 kB
        **settings_,
    )
    return await run_batch(
        plan_of(1, concurrency=1),
        keys={"replicate": [ApiKey.of(TOKEN, "REPLICATE_API_TOKEN")]},
        settings=settings,
        out_dir=out,
        sleep=_fast_sleep,
        config=EngineConfig(retry_initial=0.01, retry_max=0.02, poll_attempts=2),
    )


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(ANSWERS))
async def test_bad_answer_is_one_typed_line_in_the_report(fault: str, tmp_path: Path) -> None:
    kind, words = ANSWERS[fault]
    with StandIn(latency=0.05, faults=[fault] * 10) as server:
        outcome = await _run(server, tmp_path / "out")
    [result] = outcome.results
    assert result.status == "failed"
    assert result.error is not None
    assert (result.error.kind, words in result.error.message) == (kind, True), result.error
    assert "\n" not in result.error.message and len(result.error.message) <= 300
    assert result.file is None
    assert not list((tmp_path / "out").glob("images/*"))
    assert TOKEN not in result.error.message


@pytest.mark.anyio
async def test_a_trickled_download_ends_at_its_deadline(tmp_path: Path) -> None:
    """Issue 12 row 9: bytes every 0.2 s never trip the read timeout; the overall deadline does.

    The stand-in needs about 20 s to send its 98-byte image; each of the two tries stops at the
    0.5 s deadline, the job fails as retryable (paid, the remote id kept for the next run).
    """
    with StandIn(latency=0.05, faults=["trickle"]) as server:
        outcome = await _run(server, tmp_path / "out", download_timeout=0.5)
    [result] = outcome.results
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.kind == "transient"
    assert "download did not finish within 0.5 s" in result.error.message
    assert result.remote_id is not None
    assert sum(server.creates.values()) == 1


@pytest.mark.anyio
async def test_plain_http_output_is_refused_when_the_base_url_is_https() -> None:
    with respx.mock(assert_all_called=False) as router:
        fetch = router.get("http://cdn.example/out.png").respond(200, content=b"\x89PNG")
        async with httpx.AsyncClient(transport=httpx.MockTransport(router.handler)) as client:
            provider = Replicate(client, base_url="https://api.replicate.com/v1")
            with pytest.raises(InvalidRequest, match="plain http"):
                await provider.download(
                    ImageData(url="http://cdn.example/out.png"),
                    ApiKey.of(TOKEN, "REPLICATE_API_TOKEN"),
                    max_bytes=1000,
                )
    assert not fetch.called
