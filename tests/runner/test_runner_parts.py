"""Unit tests for the engine's parts: retry policies, limiter, files, journal, keys."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from fakes import FakeClock, FakeProvider, entry, png_bytes
from pinglass.errors import (
    AuthError,
    ContentRejected,
    InvalidRequest,
    InvalidResponse,
    QuotaError,
    RateLimited,
    RemoteJobFailed,
    Transient,
    UsageError,
)
from pinglass.runner.files import image_extension, is_image_file, write_atomic
from pinglass.runner.journal import (
    CancelledRecord,
    FinishedRecord,
    IntentRecord,
    JobRef,
    Journal,
    SubmittedRecord,
    Target,
    job_key,
    job_states,
    read_journal,
    read_records,
)
from pinglass.runner.keys import NO_KEY, Breaker, KeyPool, shown_key
from pinglass.runner.limiter import RateLimiter
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import ImageError, ImageResult
from pinglass.runner.retry import (
    is_billed_failure,
    poll_policy,
    retryable_poll,
    retryable_submit,
    submit_policy,
)
from pinglass.secrets import ApiKey

ambiguous = Transient("read timeout", maybe_accepted=True)
refused = Transient("connect refused", maybe_accepted=False)
answered_5xx = Transient("HTTP 503", status_code=503)
job_failed = RemoteJobFailed("prediction failed", billed=False)
billed_job_failed = RemoteJobFailed("prediction failed", billed=True)


@pytest.mark.parametrize(
    ("exc", "submit", "poll"),
    [
        (RateLimited("429"), True, True),
        (refused, True, True),
        (answered_5xx, True, True),
        (ambiguous, False, True),
        (job_failed, False, False),
        (billed_job_failed, False, False),
        (AuthError("401"), False, False),
        (QuotaError("402"), False, False),
        (ContentRejected("nsfw"), False, False),
        (InvalidRequest("422"), False, False),
        (ValueError("bug"), False, False),
    ],
)
def test_policy_table(exc: BaseException, submit: bool, poll: bool) -> None:
    assert retryable_submit(exc) is submit
    assert retryable_poll(exc) is poll


@pytest.mark.parametrize("bills", [True, False])
def test_a_failed_job_is_billed_when_the_adapter_says_so(bills: bool) -> None:
    prov = FakeProvider()
    prov.bills_failed_jobs = bills  # RemoteJobFailed carries its own answer
    assert is_billed_failure(billed_job_failed, prov)
    assert not is_billed_failure(job_failed, prov)
    # A refusal answered by a job that ran is billed only where the provider bills failures.
    assert is_billed_failure(InvalidRequest("x", status_code=200), prov) is bills
    assert not is_billed_failure(InvalidRequest("x", status_code=422), prov)
    assert not is_billed_failure(answered_5xx, prov)


def _script(*items: object):  # type: ignore[no-untyped-def]
    queue = list(items)
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return str(item)

    return fn, calls


@pytest.mark.anyio
async def test_retry_after_then_backoff_then_success() -> None:
    clock = FakeClock()
    seen: list[tuple[str, float, int]] = []
    fn, calls = _script(RateLimited("429", retry_after=7.0), answered_5xx, "ok")
    policy = submit_policy(
        sleep=clock.sleep, on_retry=lambda e, w, n: seen.append((type(e).__name__, w, n))
    )
    assert await policy(fn) == "ok"
    assert len(calls) == 3 and clock.sleeps[0] == 7.0 and 0 <= clock.sleeps[1] <= 2.0
    assert [s[0] for s in seen] == ["RateLimited", "Transient"] and seen[1][2] == 2


@pytest.mark.anyio
async def test_retry_after_is_capped_and_errors_reraise_as_themselves() -> None:
    clock = FakeClock()
    fn, calls = _script(RateLimited("429", retry_after=3600.0), AuthError("401"))
    with pytest.raises(AuthError):
        await poll_policy(sleep=clock.sleep)(fn)
    assert clock.sleeps == [60.0] and len(calls) == 2


@pytest.mark.anyio
async def test_ambiguous_create_is_not_retried_and_attempts_are_bounded() -> None:
    clock = FakeClock()
    fn, calls = _script(ambiguous)
    with pytest.raises(Transient):
        await submit_policy(sleep=clock.sleep)(fn)
    assert len(calls) == 1
    fn, calls = _script(*[refused] * 5)
    with pytest.raises(Transient):
        await poll_policy(attempts=3, sleep=clock.sleep, max_wait=0.5)(fn)
    assert len(calls) == 3 and all(0 <= s <= 0.5 for s in clock.sleeps)


@pytest.mark.anyio
async def test_limiter_spaces_creates_after_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=clock.sleep)  # 1/s, burst of 6
    for _ in range(8):
        await limiter.acquire()
    assert clock() - 1000.0 == pytest.approx(2.0)
    assert limiter.waited == pytest.approx(2.0)


@pytest.mark.anyio
async def test_limiter_pause_holds_every_caller() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6000, clock=clock, sleep=clock.sleep)
    limiter.pause(5.0)
    limiter.pause(2.0)  # a shorter pause never shortens a longer one
    assert limiter.paused_for == 5.0
    await asyncio.gather(limiter.acquire(), limiter.wait_pause())
    assert clock() == pytest.approx(1005.0) and limiter.paused_for == 0
    with pytest.raises(ValueError, match="rpm"):
        RateLimiter(0, clock=clock, sleep=clock.sleep)


def test_image_extension_and_atomic_write(tmp_path: Path) -> None:
    assert image_extension(png_bytes()) == "png"
    with pytest.raises(InvalidResponse) as info:
        image_extension(b"<html>rate limited</html>", provider="x")
    assert info.value.kind == "invalid_response"
    target = tmp_path / "images" / "01-a.png"
    write_atomic(target, png_bytes())
    write_atomic(target, png_bytes(4, 4, "red"))
    assert is_image_file(target) and not is_image_file(tmp_path / "missing.png")
    assert [p.name for p in target.parent.iterdir()] == ["01-a.png"]  # no temp files left


TARGET = Target("fake", "m", "env:FAKE_API_KEY:fk_…aaaa", "f1", Decimal("0.03"))


def test_journal_fold_and_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    jobs = [Job(index=1, prompt_id="a", prompt="A"), Job(index=2, prompt_id="b", prompt="B")]
    r1, r2 = JobRef.of(jobs[0]), JobRef.of(jobs[1])
    j = Journal(path)
    j.append(IntentRecord(r1, 1.0, TARGET))
    j.append(SubmittedRecord(r1, 2.0, TARGET, "r1"))
    j.append(CancelledRecord(r1, 3.0, "r1", accepted=True))
    j.append(IntentRecord(r2, 4.0, TARGET))
    j.close()
    j.close()
    with pytest.raises(RuntimeError):
        j.append(IntentRecord(r1, 5.0, TARGET))
    with path.open("a") as fh:
        fh.write('{"ev":"result","job":"' + r2.key)  # torn by a kill
    again = Journal(path)
    done = ImageResult(2, "b", "B", "succeeded", file="images/02-b.png", cost_usd=Decimal("0.03"))
    again.append(FinishedRecord.of(r2, 6.0, done))
    again.close()
    records = read_records(path)
    assert len(read_journal(path)) == 5  # the raw lines
    assert len(records) == 5 and path.read_text().count("\n") == 6
    states = job_states(records, jobs)
    assert states[1].pending == SubmittedRecord(r1, 2.0, TARGET, "r1")
    assert states[1].cancelled and states[1].intent is None
    assert states[2].done is not None and states[2].intent is None
    assert states[2].done.row.file == "images/02-b.png"
    assert states[2].done.row.cost_usd == Decimal("0.03")
    assert read_records(tmp_path / "none.jsonl") == read_journal(tmp_path / "none.jsonl") == []
    first = json.loads(path.read_text().splitlines()[0])
    assert first["ev"] == "intent" and first["job"] == job_key(jobs[0]) == r1.key
    assert first["price"] == "0.03" and first["key_id"] == TARGET.key_id


def test_records_read_back_as_they_were_written(tmp_path: Path) -> None:
    ref = JobRef.of(Job(index=3, prompt_id="c", prompt="C"))
    failed = ImageResult(
        3,
        "c",
        "C",
        "failed",
        provider="fake",
        model="m",
        key="fk_…aaaa",
        seed=7,
        attempts=2,
        latency_s=1.5,
        cost_usd=Decimal("0.02"),
        cost_source="provider",
        remote_id="r9",
        error=ImageError("remote_failed", "fake: job r9 failed"),
    )
    written = [
        IntentRecord(ref, 1.0, TARGET),
        SubmittedRecord(ref, 2.0, TARGET, "r9"),
        CancelledRecord(ref, 3.0, "r9", accepted=False),
        FinishedRecord.of(ref, 4.0, failed, recoverable=True),
    ]
    journal = Journal(tmp_path / "journal.jsonl")
    for rec in written:
        journal.append(rec)
    journal.close()
    assert read_records(tmp_path / "journal.jsonl") == written


def test_a_refused_cancel_leaves_the_remote_job_to_be_polled_normally() -> None:
    job = Job(index=1, prompt_id="a", prompt="A")
    ref = JobRef.of(job)
    submitted = SubmittedRecord(ref, 1.0, TARGET, "r1")
    refused = CancelledRecord(ref, 2.0, "r1", accepted=False)
    assert job_states([submitted, refused], [job])[1].cancelled is False
    other = CancelledRecord(ref, 2.0, "r0", accepted=True)  # an older remote job's cancel
    assert job_states([submitted, other], [job])[1].cancelled is False
    accepted = CancelledRecord(ref, 2.0, "r1", accepted=True)
    assert job_states([submitted, accepted], [job])[1].cancelled is True


def test_recoverable_failure_keeps_the_remote_job_pending() -> None:
    job = Job(index=1, prompt_id="a", prompt="A")
    ref = JobRef.of(job)
    failed = ImageResult(1, "a", "A", "failed")
    submitted = SubmittedRecord(ref, 1.0, TARGET, "r1")
    recs = [submitted, FinishedRecord.of(ref, 2.0, failed, recoverable=True)]
    assert job_states(recs, [job])[1].pending == submitted
    recs[1] = FinishedRecord.of(ref, 2.0, failed, recoverable=False)
    assert job_states(recs, [job])[1].pending is None


def test_key_pool_rotates_and_retires() -> None:
    a, b = ApiKey.of("sk-aaaaaaaaaaaa1111", "A"), ApiKey.of("sk-bbbbbbbbbbbb2222", "B")
    pool = KeyPool([a, b])
    assert [pool.take(), pool.take(), pool.take()] == [a, b, a]
    pool.retire(b)
    assert pool.take() is a and pool.take() is a and pool.is_retired(b)
    assert pool.find(a.fingerprint) is a and pool.find(b.fingerprint) is None
    pool.retire(a)
    assert pool.take() is None and pool.active == []
    assert shown_key(NO_KEY) is None and shown_key(a) == "sk-…1111"


def test_breaker_opens_after_consecutive_failures() -> None:
    breaker = Breaker(3)
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert not breaker.is_open
    breaker.failure()
    assert breaker.is_open
    with pytest.raises(ValueError, match="threshold"):
        Breaker(0)


@pytest.mark.parametrize(
    ("prompt", "negative", "what", "length"),
    [("x" * 21, "", "prompt", 21), ("short", "n" * 25, "negative prompt", 25)],
)
def test_a_prompt_or_negative_prompt_over_the_model_limit_is_refused_before_paying(
    prompt: str, negative: str, what: str, length: int
) -> None:
    limited = entry().model_copy(update={"max_prompt_chars": 20})
    job = Job(index=1, prompt_id="wordy", prompt=prompt, negative_prompt=negative)
    with pytest.raises(UsageError, match=f"'wordy': the {what} is {length} characters; fake/m1"):
        Plan(jobs=(job,), chain=(limited,))
    Plan(
        jobs=(Job(index=1, prompt_id="ok", prompt="x" * 20, negative_prompt="n" * 20),),
        chain=(limited,),
    )
