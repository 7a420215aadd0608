"""``pinglass train``: send the training once, follow it, write ``subject.json``.

:func:`run_training` journals the intent, sends the create once (policy A: retried only when it
was certainly refused), looks a lost answer up instead of re-sending, polls (policy B) with
progress events, and writes ``subject.json`` on success. A failure raises
:class:`~pinglass.errors.TrainingFailed` with the vendor's reason and the billed cost. The plan
comes from :mod:`pinglass.training.plan`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pinglass.errors import ProviderError, TrainingFailed, Transient
from pinglass.money import ZERO, to_json, usd
from pinglass.training.base import Trainer, TrainingStatus
from pinglass.training.catalog import TrainerEntry
from pinglass.training.journal import TrainingJournal
from pinglass.training.plan import (
    MIN_IMAGES,
    SESSION_IMAGES,
    TrainingPlan,
    TrainRequest,
    check_budget,
    plan_training,
    trigger_for,
)
from pinglass.training.subject import Subject, SubjectRef, write_subject

if TYPE_CHECKING:
    import httpx

    from pinglass.settings import Settings

__all__ = [
    "MIN_IMAGES",
    "SESSION_IMAGES",
    "TrainRequest",
    "TrainingEvent",
    "TrainingPlan",
    "check_budget",
    "plan_training",
    "run_training",
    "trigger_for",
]

_TRAINERS = {
    "fal": "pinglass.training.fal:FalTrainer",
    "replicate": "pinglass.training.replicate:ReplicateTrainer",
    "mock": "pinglass.training.mock:MockTrainer",
}
_FIND_ATTEMPTS = 3
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TrainingEvent:
    """Progress for the CLI: ``kind`` says what happened."""

    kind: Literal["sent", "reattached", "reconciled", "status", "cancel"]
    remote_id: str | None = None
    status: TrainingStatus | None = None
    elapsed_s: float = 0.0
    message: str = ""


Observer = Callable[[TrainingEvent], None]
Sleep = Callable[[float], Awaitable[None]]


def run_training(
    plan: TrainingPlan,
    settings: Settings,
    *,
    observer: Observer | None = None,
    client: httpx.AsyncClient | None = None,
    sleep: Sleep | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Subject:
    """Train (or re-attach) and write ``subject.json``; returns the subject.

    Raises ``TrainingFailed`` (exit 1) for a failed, canceled, unresolved or timed-out training,
    with what it cost; a ``ProviderError`` when the create was refused (nothing billed).
    """
    return asyncio.run(
        _train(plan, settings, observer or (lambda _e: None), client, sleep or asyncio.sleep, clock)
    )


async def _train(
    plan: TrainingPlan,
    settings: Settings,
    observer: Observer,
    client: httpx.AsyncClient | None,
    sleep: Sleep,
    clock: Callable[[], float],
) -> Subject:
    from pinglass.runner.engine import make_client

    own = client is None
    http = make_client(settings) if client is None else client
    journal = TrainingJournal(plan.folder)
    try:
        trainer = _make_trainer(plan.entry, http, settings)
        remote, intent = await _start(plan, trainer, journal, observer, sleep, settings)
        interval = 0.0 if plan.entry.provider == "mock" else settings.poll_interval
        status = await _wait(plan, trainer, remote, observer, sleep, clock, interval)
        return _finish(plan, trainer, journal, remote, intent, status)
    finally:
        journal.close()
        if own:
            await http.aclose()


def _make_trainer(entry: TrainerEntry, client: httpx.AsyncClient, settings: Settings) -> Trainer:
    import importlib

    module, _, attr = _TRAINERS[entry.provider].partition(":")
    cls: type[Trainer] = getattr(importlib.import_module(module), attr)
    options: dict[str, Any] = {}
    if entry.provider == "fal" and settings.fal_platform_url:
        options["platform_url"] = settings.fal_platform_url
    return cls(client, entry, base_url=settings.base_url(entry.provider), options=options)


async def _retrying(policy: Any, call: Callable[[], Awaitable[T]]) -> T:
    async for attempt in policy:
        with attempt:
            return await call()
    raise AssertionError("unreachable: the policy re-raises")  # pragma: no cover


async def _start(
    plan: TrainingPlan,
    trainer: Trainer,
    journal: TrainingJournal,
    observer: Observer,
    sleep: Sleep,
    settings: Settings,
) -> tuple[str, Mapping[str, Any]]:
    """The remote id to poll: re-attached, looked up, or from one new create."""
    from pinglass.runner.retry import poll_policy, submit_policy

    book, spec, key = plan.book, plan.spec, plan.key
    if book.state == "pending" and book.remote_id and book.intent is not None:
        observer(TrainingEvent("reattached", book.remote_id))
        return book.remote_id, book.intent
    if book.state == "ambiguous" and book.intent is not None:
        remote = await _reconcile(plan, trainer, book.intent, observer, sleep, settings)
        journal.write("submit", remote_id=remote, t=time.time(), reconciled=True)
        return remote, book.intent
    _write_crops(plan)
    prepared = await _retrying(poll_policy(sleep=sleep), lambda: trainer.prepare(spec, key))
    intent = _intent(plan, prepared)
    journal.write("intent", **intent)  # before the create: a crash after this is looked up
    try:
        remote = await _retrying(
            submit_policy(sleep=sleep), lambda: trainer.create(spec, prepared, key)
        )
    except Transient as exc:
        if not exc.maybe_accepted:
            journal.write("result", status="not_sent", billed_usd=0, error=str(exc))
            raise
        observer(TrainingEvent("reconciled", message=f"the answer was lost ({exc}); looking up"))
        remote = await _reconcile(plan, trainer, intent, observer, sleep, settings)
    except ProviderError as exc:  # refused outright (auth, quota, invalid): nothing was billed
        journal.write("result", status="not_sent", billed_usd=0, error=str(exc))
        raise
    journal.write("submit", remote_id=remote, t=time.time())  # before the first poll
    observer(TrainingEvent("sent", remote))
    return remote, intent


def _intent(plan: TrainingPlan, prepared: Mapping[str, str]) -> dict[str, Any]:
    return {
        "t": time.time(),
        "provider": plan.entry.provider,
        "trainer": plan.entry.trainer,
        "trainer_id": plan.entry.vendor_id,
        "trigger": plan.trigger,
        "steps": plan.steps,
        "resolution": plan.entry.resolution,
        "dataset_sha256": plan.spec.dataset_sha256,
        "prepared": dict(prepared),
        "estimate_usd": to_json(plan.estimate_usd),
        "refs": [
            {
                "file": c.source,
                "sha256": c.source_sha256,
                "crop": f"crops/{c.name}",
                "crop_sha256": c.sha256,
                "score": c.score,
            }
            for c in plan.crops
        ],
    }


def _write_crops(plan: TrainingPlan) -> None:
    from pinglass.runner.files import write_atomic

    crops = plan.folder / "crops"
    crops.mkdir(parents=True, exist_ok=True)
    for old in crops.glob("*.jpg"):  # an earlier failed attempt's crops
        old.unlink()
    for crop in plan.crops:
        write_atomic(crops / crop.name, crop.data)


async def _reconcile(
    plan: TrainingPlan,
    trainer: Trainer,
    intent: Mapping[str, Any],
    observer: Observer,
    sleep: Sleep,
    settings: Settings,
) -> str:
    """Find the training a lost create made; never send it again."""
    from pinglass.runner.retry import poll_policy

    prepared = {str(k): str(v) for k, v in (intent.get("prepared") or {}).items()}
    since = float(intent.get("t") or time.time())
    for attempt in range(_FIND_ATTEMPTS):
        found = await _retrying(
            poll_policy(sleep=sleep),
            lambda: trainer.find(plan.spec, prepared, plan.key, since=since),
        )
        if found:
            observer(TrainingEvent("reconciled", found, message="found the training it made"))
            return found
        if attempt + 1 < _FIND_ATTEMPTS:
            await sleep(settings.poll_interval)  # a new training can take a moment to be listed
    raise TrainingFailed(
        f"the create for subject {plan.name!r} may have reached {plan.entry.provider} (its "
        "answer was lost) and no matching training is listed yet; nothing was sent again. "
        f"Run the same command later to look again, or check the {plan.entry.provider} "
        f"dashboard; delete {plan.folder} only if you are sure nothing runs"
    )


async def _wait(
    plan: TrainingPlan,
    trainer: Trainer,
    remote: str,
    observer: Observer,
    sleep: Sleep,
    clock: Callable[[], float],
    interval: float,
) -> TrainingStatus:
    """Poll until the training ends; cancel it when per-second cost would pass ``--max-cost``."""
    from pinglass.runner.retry import poll_policy

    started = clock()
    running_since: float | None = None
    cancelled = False
    cap = plan.request.max_cost
    while True:
        status = await _retrying(poll_policy(sleep=sleep), lambda: trainer.poll(remote, plan.key))
        now = clock()
        observer(TrainingEvent("status", remote, status, now - started))
        if status.done:
            return status
        if status.state == "running" and running_since is None:
            running_since = now
        if (
            cap is not None
            and not cancelled
            and running_since is not None
            and plan.entry.unit == "second"
            and plan.entry.price * Decimal(repr(now - running_since)) > cap
        ):
            cancelled = True
            observer(TrainingEvent("cancel", remote, message=f"--max-cost ${cap} reached"))
            await _retrying(poll_policy(sleep=sleep), lambda: trainer.cancel(remote, plan.key))
        if now - started > plan.request.timeout_s:
            raise TrainingFailed(
                f"training {remote} still running after {plan.request.timeout_s:.0f}s; it keeps "
                "running at the provider: run the same command again to re-attach"
            )
        await sleep(interval)


def _finish(
    plan: TrainingPlan,
    trainer: Trainer,
    journal: TrainingJournal,
    remote: str,
    intent: Mapping[str, Any],
    status: TrainingStatus,
) -> Subject:
    estimate = usd(str(intent.get("estimate_usd") or 0))
    if status.billed_usd is not None:
        billed, source = usd(status.billed_usd), status.cost_source
    elif status.state == "succeeded" or (
        trainer.bills_failures if status.charged is None else status.charged
    ):
        billed, source = estimate, "catalog"
    else:  # fal bills successful requests only (docs/providers.md, "Training")
        billed, source = ZERO, "catalog"
    journal.write(
        "result",
        status=status.state,
        remote_id=remote,
        billed_usd=to_json(billed),
        cost_source=source,
        error=status.error,
    )
    if status.state != "succeeded":
        raise TrainingFailed(
            f"training {remote} {status.state}: {status.error or 'no reason given'}; "
            f"billed ${billed:.4f} ({source})",
            billed_usd=billed,
        )
    subject = Subject(
        name=plan.name,
        provider=plan.entry.provider,
        trainer=str(intent.get("trainer") or plan.entry.trainer),
        trainer_id=str(intent.get("trainer_id") or plan.entry.vendor_id),
        trigger_word=plan.trigger,
        trigger_phrase=f"{plan.trigger} person",
        steps=plan.steps,
        lora_url=status.lora_url,
        model_version=status.model_version,
        generation_model=_generation_model(plan.entry, status),
        remote_id=remote,
        cost_usd=float(billed),
        cost_source=source,
        estimated_cost_usd=float(estimate),
        refs=[SubjectRef.model_validate(r) for r in intent.get("refs") or []],
        created_at=datetime.now(UTC),
    )
    write_subject(plan.folder, subject)
    return subject


def _generation_model(entry: TrainerEntry, status: TrainingStatus) -> str:
    if entry.provider == "replicate" and status.model_version:
        return f"replicate/{status.model_version}"
    return f"{entry.provider}/{entry.generation_model}"
