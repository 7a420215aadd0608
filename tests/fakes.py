"""Shared fakes: a scriptable provider, a fake clock with a recording sleep, image factories.

``FakeProvider`` follows llm's ``MockModel``: ``enqueue(outcome | exception, op=..., prompt=...)``
scripts what the next call of ``op`` returns (``submit``, ``poll``, ``find``, ``download``,
``cancel``), and ``calls`` records ``(op, arg, key)``. Un-scripted calls behave like a healthy
create-then-poll provider. ``creates`` counts, per prompt, the jobs the provider *accepted*
(what a real provider would bill), which is what the no-double-charge tests assert on.
"""

from __future__ import annotations

import asyncio
import heapq
import io
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pinglass.catalog import ModelEntry
from pinglass.errors import AuthError, QuotaError, RemoteJobFailed, Transient
from pinglass.providers import ProviderSpec
from pinglass.providers.base import (
    Finished,
    GenerationRequest,
    ImageData,
    KeyStatus,
    Pending,
    Provider,
)
from pinglass.runner.plan import Job, Plan
from pinglass.runner.results import RunOutcome
from pinglass.secrets import ApiKey

__all__ = [
    "DROP",
    "FAIL",
    "HANG",
    "FakeClock",
    "FakeProvider",
    "entry",
    "make_plan",
    "png_bytes",
]

_PNG: dict[tuple[int, int, str], bytes] = {}


def png_bytes(width: int = 8, height: int = 8, color: str = "orange") -> bytes:
    """A tiny real PNG, drawn with Pillow (cached)."""
    key = (width, height, color)
    if key not in _PNG:
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (width, height), color).save(out, format="PNG")
        _PNG[key] = out.getvalue()
    return _PNG[key]


@dataclass(frozen=True)
class _Marker:
    name: str


DROP = _Marker("drop")
"""Script for ``submit``: the provider accepts the job, then the response is lost."""
HANG = _Marker("hang")
"""Script for ``submit``: the provider accepts the job and the response never comes."""
FAIL = _Marker("fail")
"""Script for ``poll``: the provider answers that the job failed (not billed)."""


class FakeClock:
    """Virtual monotonic time with an auto-jumping, recording :meth:`sleep`.

    Sleepers queue up; once every runnable task has reached its next sleep (approximated by
    letting the loop spin a few dozen times), time jumps to the earliest wake-up. So ordering
    between tasks is as with real time, but no test ever really waits (trio's MockClock idea).
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._jumper: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record ``seconds`` and wait that long in virtual time."""
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._heap, (self.now + seconds, self._seq, fut))
        if self._jumper is None or self._jumper.done():
            self._jumper = asyncio.create_task(self._jump())
        await fut

    async def _jump(self) -> None:
        while self._heap:
            for _ in range(40):
                await asyncio.sleep(0)
            if not self._heap:
                break
            when, _, fut = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            if not fut.done():
                fut.set_result(None)

    def wall(self) -> float:
        """Epoch-like seconds for journal timestamps, moving with the clock."""
        return 1_700_000_000.0 + self.now


class FakeProvider(Provider):
    """A scriptable provider; see the module docstring."""

    spec = ProviderSpec(
        name="fake",
        adapter="fakes:FakeProvider",
        key_env_vars=("FAKE_API_KEY",),
        base_url="https://fake.invalid/v1",
        bills_failed_jobs=False,
        can_poll=True,
    )

    def __init__(
        self,
        name: str = "fake",
        *,
        asynchronous: bool = True,
        can_reattach: bool = True,
        can_cancel: bool = True,
        dead_keys: Iterable[str] = (),
        broke_keys: Iterable[str] = (),
        keyless: bool = False,
        polls_before_done: int = 1,
        image: bytes | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        super().__init__(None, base_url=None)  # type: ignore[arg-type]
        self.name = name  # type: ignore[misc]
        self.key_env_vars = () if keyless else (f"{name.upper()}_API_KEY",)  # type: ignore[misc]
        self.can_reattach = can_reattach  # type: ignore[misc]
        self.can_cancel = can_cancel  # type: ignore[misc]
        self.asynchronous = asynchronous
        self.dead_keys = set(dead_keys)
        self.broke_keys = set(broke_keys)
        self.polls_before_done = polls_before_done
        self.image = image if image is not None else png_bytes()
        self.calls: list[tuple[str, Any, str]] = []
        self.creates: Counter[str] = Counter()
        self.remote: dict[str, GenerationRequest] = {}
        self.created_at: dict[str, float] = {}
        self.cancelled: list[str] = []
        self._polls: Counter[str] = Counter()
        self._script: dict[tuple[str, str | None], deque[Any]] = defaultdict(deque)
        self.in_flight = 0
        self.max_in_flight = 0
        self.clock = clock
        self.cancel_effective = False
        """When true, a cancelled remote job answers polls as canceled (no image)."""
        self.times: list[tuple[str, str, float]] = []
        """``(op, prompt, clock time)`` of every submit and poll when ``clock`` is given."""

    # -- scripting ------------------------------------------------------------------------

    def enqueue(self, *items: Any, op: str = "submit", prompt: str | None = None) -> None:
        """Script the next calls of ``op`` (optionally only for ``prompt``)."""
        self._script[(op, prompt)].extend(items)

    def _next(self, op: str, prompt: str | None) -> Any:
        for slot in ((op, prompt), (op, None)):
            if self._script[slot]:
                return self._script[slot].popleft()
        return None

    def _key_check(self, key: ApiKey) -> None:
        raw = key.header_value()
        if raw in self.dead_keys:
            raise AuthError("HTTP 401: invalid token", provider=self.name, status_code=401)
        if raw in self.broke_keys:
            raise QuotaError("HTTP 402: out of credit", provider=self.name, status_code=402)

    # -- Provider -------------------------------------------------------------------------

    async def submit(self, req: GenerationRequest, key: ApiKey) -> Pending | Finished:
        self.calls.append(("submit", req.prompt, key.mask()))
        if self.clock is not None:
            self.times.append(("submit", req.prompt, self.clock()))
        self._key_check(key)
        item = self._next("submit", req.prompt)
        if isinstance(item, BaseException):
            raise item
        rid = f"{self.name}-{len(self.remote) + 1}"
        self.remote[rid] = req
        self.creates[req.prompt] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0)
        if item is HANG:
            await asyncio.Event().wait()
        if item is DROP:
            raise Transient(
                "connection lost after the request was sent (ReadTimeout)",
                provider=self.name,
                maybe_accepted=True,
            )
        if isinstance(item, Pending | Finished):
            return item
        if self.asynchronous:
            return Pending(rid)
        self.in_flight -= 1
        return Finished(images=(ImageData(data=self.image, mime="image/png"),), remote_id=None)

    async def poll(self, remote_id: str, key: ApiKey) -> Pending | Finished:
        self.calls.append(("poll", remote_id, key.mask()))
        req = self.remote[remote_id]
        if self.clock is not None:
            self.times.append(("poll", req.prompt, self.clock()))
        item = self._next("poll", req.prompt)
        if isinstance(item, BaseException):
            raise item
        if self.cancel_effective and remote_id in self.cancelled:
            raise Transient(f"job {remote_id} canceled", provider=self.name)
        if item is FAIL:
            self.in_flight -= 1
            raise RemoteJobFailed(
                "prediction failed: CUDA out of memory", provider=self.name, billed=False
            )
        if isinstance(item, Pending | Finished):
            return item
        self._polls[remote_id] += 1
        if self._polls[remote_id] < self.polls_before_done:
            return Pending(remote_id)
        self.in_flight -= 1
        return Finished(
            images=(ImageData(url=f"https://cdn.fake.invalid/{remote_id}.png"),),
            remote_id=remote_id,
        )

    async def find_submitted(
        self, req: GenerationRequest, key: ApiKey, *, since: float
    ) -> Pending | Finished | None:
        self.calls.append(("find", req.prompt, key.mask()))
        item = self._next("find", req.prompt)
        if isinstance(item, BaseException):
            raise item
        for rid, made in reversed(self.remote.items()):
            if made.fingerprint() == req.fingerprint():
                return Pending(rid)
        return None

    async def download(
        self, image: ImageData, key: ApiKey, *, max_bytes: int, deadline: float | None = None
    ) -> ImageData:
        self.calls.append(("download", image.url, key.mask()))
        item = self._next("download", None)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, bytes):
            return ImageData(data=item)
        if image.data is not None:
            return image
        return ImageData(data=self.image, mime="image/png")

    async def cancel(self, remote_id: str, key: ApiKey) -> bool:
        self.calls.append(("cancel", remote_id, key.mask()))
        if self._next("cancel", None) is False:
            return False  # scripted: the provider refused to cancel
        self.cancelled.append(remote_id)
        return True

    async def probe(self, key: ApiKey) -> KeyStatus:
        self._key_check(key)
        return KeyStatus(ok=True)

    def ops(self, op: str) -> list[tuple[str, Any, str]]:
        """The recorded calls of one operation."""
        return [c for c in self.calls if c[0] == op]


def entry(
    provider: str = "fake",
    model: str = "m1",
    *,
    price: str = "0.03",
    concurrency: int = 4,
    rpm: int = 600,
    references: str = "none",
) -> ModelEntry:
    """A catalog entry for tests."""
    return ModelEntry(
        provider=provider,
        model=model,
        vendor_id=f"{provider}/{model}",
        price=Decimal(price),
        price_checked=date(2026, 11, 1),
        concurrency=concurrency,
        rpm=rpm,
        references=references,  # type: ignore[arg-type]
    )


def make_plan(
    n: int,
    chain: Iterable[ModelEntry] | None = None,
    *,
    max_cost: str | None = None,
    concurrency: int | None = None,
    seed: int | None = 7,
) -> Plan:
    """``n`` jobs ``p01``… with distinct prompts over ``chain`` (default one fake model)."""
    jobs = tuple(
        Job(index=i, prompt_id=f"p{i:02d}", prompt=f"portrait number {i}", seed=seed)
        for i in range(1, n + 1)
    )
    return Plan(
        jobs=jobs,
        chain=tuple(chain or (entry(),)),
        max_cost=None if max_cost is None else Decimal(max_cost),
        concurrency=concurrency,
    )


def keys_for(**by_provider: Iterable[str]) -> Mapping[str, list[ApiKey]]:
    """``keys_for(fake=["k1", ...])`` → the run's key mapping."""
    return {
        name: [ApiKey.of(v, f"{name.upper()}_API_KEY_{i}") for i, v in enumerate(vals, 1)]
        for name, vals in by_provider.items()
    }


__all__ += ["RunFn", "keys_for"]

RunFn = Callable[..., Awaitable["RunOutcome"]]
"""The runner tests' ``run`` fixture: ``await run(plan, providers, keys, **kw)``."""
