"""``pinglass train``, before any money is spent: the plan and the budget check.

:func:`plan_training` scores the refs, refuses a set that fails ``not_same_person``, makes the
square crops and the zip in memory, and prices the training and a later 23-image session; or,
when the subject's journal shows an unfinished training, plans a re-attach instead (no new
create). :func:`check_budget` refuses a new training estimated over ``--max-cost``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.errors import BudgetRefused, NoUsableProvider, RefsError, UsageError
from pinglass.money import ZERO, usd
from pinglass.training.base import TrainingSpec
from pinglass.training.catalog import TrainerEntry, get_trainer
from pinglass.training.journal import Ledger, ledger
from pinglass.training.subject import SUBJECT_NAME, check_name

if TYPE_CHECKING:
    from pinglass.secrets import ApiKey
    from pinglass.settings import Settings
    from pinglass.training.dataset import Crop

__all__ = [
    "MIN_IMAGES",
    "SESSION_IMAGES",
    "TrainRequest",
    "TrainingPlan",
    "check_budget",
    "plan_training",
    "trigger_for",
]

MIN_IMAGES = 8
"""Fewest usable photos the trainers are happy with; fewer is allowed with a warning."""
SESSION_IMAGES = 23
"""Images in a stock preset session, for the "later session" price."""


@dataclass(frozen=True, slots=True)
class TrainRequest:
    """What the user asked for; mirrors ``pinglass train``'s flags."""

    refs_dir: Path
    provider: str
    name: str | None = None
    trainer: str | None = None
    steps: int | None = None
    max_cost: Decimal | None = None
    timeout_s: float = 4 * 3600.0
    """How long to wait for the training before leaving it running (re-run to re-attach)."""


@dataclass(slots=True)
class TrainingPlan:
    """Everything decided before any money is spent."""

    request: TrainRequest
    entry: TrainerEntry
    name: str
    folder: Path
    trigger: str
    steps: int
    key: ApiKey
    book: Ledger
    crops: list[Crop] = field(default_factory=list)
    dataset: bytes = field(default=b"", repr=False)
    usable: int = 0
    total: int = 0
    estimate_usd: Decimal = ZERO
    session_usd: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)

    @property
    def resuming(self) -> bool:
        """True when an earlier training must be re-attached or looked up, not started."""
        return self.book.state in ("pending", "ambiguous")

    @property
    def spec(self) -> TrainingSpec:
        """The training to send (or, when resuming, to look up)."""
        return TrainingSpec(self.name, self.trigger, self.steps, self.dataset, len(self.crops))


def trigger_for(name: str) -> str:
    """A made-up trigger word for ``name`` (``PGL`` + 5 hex digits): no real word collides."""
    return "PGL" + hashlib.sha256(name.encode()).hexdigest()[:5].upper()


def plan_training(
    request: TrainRequest, settings: Settings, *, environ: Mapping[str, str] | None = None
) -> TrainingPlan:
    """Score, crop, zip and price, or plan a re-attach. Sends nothing.

    Raises ``UsageError``/``RefsError`` (exit 2) or ``NoUsableProvider`` (exit 4).
    """
    from pinglass.settings import collect_keys, merged_environ

    entry = get_trainer(request.provider, request.trainer, price_overrides=settings.prices)
    name = check_name(request.name or _default_name(request.refs_dir))
    folder = Path(settings.subjects_dir) / name
    if (folder / SUBJECT_NAME).is_file():
        raise UsageError(
            f"{folder / SUBJECT_NAME}: subject {name!r} is already trained; use it with "
            f"`pinglass generate --subject {name}`, or pick another --name"
        )
    key = _key(entry.provider, collect_keys(merged_environ() if environ is None else environ))
    book = ledger(folder)
    if book.state in ("pending", "ambiguous") and book.intent is not None:
        intent = book.intent
        if intent.get("provider") != entry.provider:
            raise UsageError(
                f"subject {name!r} has a {intent.get('provider')} training in progress; "
                f"re-run with --provider {intent.get('provider')} to re-attach to it"
            )
        plan = TrainingPlan(
            request,
            get_trainer(entry.provider, str(intent.get("trainer"))),
            name,
            folder,
            str(intent["trigger"]),
            int(intent["steps"]),
            key,
            book,
        )
        plan.estimate_usd = usd(str(intent.get("estimate_usd") or 0))
        return plan
    steps = entry.default_steps if request.steps is None else request.steps
    entry.check_steps(steps)
    plan = TrainingPlan(request, entry, name, folder, trigger_for(name), steps, key, book)
    _choose_refs(plan, settings)
    plan.estimate_usd = entry.estimate(steps)
    plan.session_usd = usd(entry.generation_price_per_image * SESSION_IMAGES)
    return plan


def _default_name(refs_dir: Path) -> str:
    raw = refs_dir.resolve().name.lower()
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in raw).strip("-_")
    return cleaned[:40] or "subject"


def _key(provider: str, keys: Mapping[str, list[ApiKey]]) -> ApiKey:
    from pinglass.providers import PROVIDERS
    from pinglass.secrets import ApiKey

    names = PROVIDERS[provider].key_env_vars
    if not names:
        return ApiKey.of("offline", "mock")
    found = keys.get(provider)
    if not found:
        raise NoUsableProvider(
            f"no key for {provider}: set {' or '.join(names)} in the environment or .env "
            "(or try `--provider mock` for a free offline training)"
        )
    return found[0]


def _choose_refs(plan: TrainingPlan, settings: Settings) -> None:
    from pinglass.identity.outputs import setup as identity_setup
    from pinglass.refs import score_folder
    from pinglass.training.dataset import square_crops, zip_crops

    identity = identity_setup(settings.identity_threshold)
    refs = score_folder(
        plan.request.refs_dir, workers=min(4, os.cpu_count() or 2), face_check=identity.check
    )
    others = [r.file for r in refs.references if r.rejected_reason == "not_same_person"]
    if others:
        raise RefsError(
            f"refusing to train: {', '.join(others)} show(s) someone else (not_same_person); "
            "a LoRA learns every face it sees. Remove them and run again",
            file=plan.request.refs_dir,
        )
    if not identity.available:
        plan.warnings.append(
            f"cannot check that every photo shows the same person ({identity.reason})"
        )
    usable = refs.usable
    plan.usable, plan.total = len(usable), len(refs.references)
    if not usable:
        reasons = sorted({r.rejected_reason or "low score" for r in refs.references})
        raise RefsError(
            f"no usable reference photo ({', '.join(reasons)}); run `pinglass refs` to see why",
            file=plan.request.refs_dir,
        )
    if len(usable) < MIN_IMAGES:
        plan.warnings.append(
            f"only {len(usable)} usable photo(s); trainers want at least {MIN_IMAGES} "
            "(10-20 varied, sharp selfies train a better likeness)"
        )
    plan.crops = square_crops(plan.request.refs_dir, usable, plan.entry.resolution)
    plan.dataset = zip_crops(plan.crops)


def check_budget(plan: TrainingPlan) -> None:
    """Refuse (exit 3) a new training whose estimate exceeds ``--max-cost``."""
    cap = plan.request.max_cost
    if cap is not None and not plan.resuming and plan.estimate_usd > cap:
        raise BudgetRefused(
            f"training {plan.name!r} on {plan.entry.key} is estimated at ${plan.estimate_usd} "
            f"({plan.steps} steps), over --max-cost ${usd(cap)}; raise --max-cost or use "
            "fewer --steps",
            estimated_usd=plan.estimate_usd,
            max_cost_usd=cap,
        )
