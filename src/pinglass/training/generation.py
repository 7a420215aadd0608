"""Generating with a subject: which model runs it, with which inputs, and the prompts' trigger.

- fal: ``fal-ai/flux-lora`` (catalog ``fal/flux-lora``) with ``loras: [{path, scale}]`` pointing
  at the subject's ``diffusers_lora_file.url``.
- Replicate: the subject's own model (``owner/pinglass-NAME``), which the training made; it is
  run like any per-second model, by its latest version (the trained one: each subject has its
  own destination, and a subject is never trained twice), priced per GPU second.
- mock: the mock model, drawing from the subject's crops.

Every LoRA was trained on a made-up trigger word, so each prompt's "the person" becomes the
subject's trigger phrase (``PGL3FA9C person``); a prompt that never says "the person" is led by
it instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pinglass.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pinglass.catalog import Catalog, ModelEntry
    from pinglass.report.models import Report
    from pinglass.runner.plan import Job
    from pinglass.secrets import ApiKey
    from pinglass.session import GenerateRequest
    from pinglass.settings import Settings
    from pinglass.training.subject import Subject

__all__ = [
    "LORA_SCALE",
    "generation_entry",
    "record_subject_session",
    "subject_catalog",
    "subject_chain",
    "subject_crops",
    "subject_for",
    "subject_run",
    "with_subject",
    "with_trigger",
]

LORA_SCALE = 1.0
"""Strength of the subject's LoRA in ``loras: [{path, scale}]``."""

_THE_PERSON = re.compile(r"\bthe person\b", re.IGNORECASE)


def with_trigger(prompt: str, phrase: str) -> str:
    """``prompt`` with every "the person" replaced by ``phrase`` (or led by it when absent)."""
    if not phrase:
        return prompt
    replaced, count = _THE_PERSON.subn(phrase, prompt)
    return replaced if count else f"photo of {phrase}, {prompt}"


def generation_entry(subject: Subject, catalog: Catalog) -> ModelEntry:
    """The model entry that generates with ``subject``, carrying its LoRA where needed.

    Raises ``UsageError`` when the subject lacks what its provider needs.
    """
    from decimal import Decimal

    from pinglass.catalog import ModelEntry
    from pinglass.training.catalog import get_trainer

    provider, _, model = subject.generation_model.partition("/")
    if provider == "replicate":
        if not subject.model_version:
            raise UsageError(f"subject {subject.name!r} has no trained model_version")
        trainer = get_trainer("replicate", subject.trainer)
        seconds = (trainer.generation_price_per_image / trainer.price).quantize(Decimal("0.1"))
        return ModelEntry(
            provider="replicate",
            model=f"subject-{subject.name}",
            vendor_id=subject.model_version.partition(":")[0],
            references="none",
            identity=True,
            price=trainer.price,
            unit="second",
            typical_seconds=seconds,
            price_checked=trainer.price_checked,
            price_source=f"the trainer's GPU rate ({trainer.price_source})",
            width=896,
            height=1152,
            notes=f"Your trained model for {subject.name} (trigger {subject.trigger_word}).",
        )
    entry = catalog.get(provider, model)
    if provider == "fal":
        if not subject.lora_url:
            raise UsageError(f"subject {subject.name!r} has no lora_url")
        loras = [{"path": subject.lora_url, "scale": LORA_SCALE}]
        return entry.model_copy(update={"params": {**entry.params, "loras": loras}})
    return entry


def subject_catalog(root: Path, name: str, catalog: Catalog) -> Catalog:
    """A catalog holding only the model that generates with subject ``name`` (for estimates)."""
    from pinglass.catalog import Catalog
    from pinglass.training.subject import read_subject

    return Catalog([generation_entry(read_subject(root, name), catalog)])


def subject_for(name: str | None, root: Path) -> Subject | None:
    """The subject ``name`` under ``root`` (``None`` when no subject was asked for)."""
    from pinglass.training.subject import read_subject

    return None if name is None else read_subject(root, name)


def subject_crops(root: Path, name: str | None) -> Path:
    """A subject's crops folder: what its model learned from, used as a run's references."""
    if name is None:
        raise UsageError("give REFS (a folder of selfies) or --subject NAME")
    return Path(root) / name / "crops"


def subject_chain(
    subject: Subject,
    providers: Sequence[str],
    model: str | None,
    catalog: Catalog,
    keys: Mapping[str, Sequence[ApiKey]],
) -> list[ModelEntry]:
    """The one model that generates with ``subject`` (no fallback: the LoRA lives there).

    ``providers``/``model`` are what the user asked for; only the subject's provider fits.
    Raises ``UsageError``, or ``NoUsableProvider`` when its provider has no key.
    """
    from pinglass.errors import NoUsableProvider
    from pinglass.providers import PROVIDERS

    asked = {p.strip().partition("/")[0] for p in providers}
    if asked - {subject.provider} or len(providers) > 1 or model:
        raise UsageError(
            f"subject {subject.name!r} was trained on {subject.provider}: generate with "
            f"--provider {subject.provider} (or leave --provider out)"
        )
    entry = generation_entry(subject, catalog)
    names = PROVIDERS[entry.provider].key_env_vars
    if names and not keys.get(entry.provider):
        raise NoUsableProvider(
            f"no key for {entry.provider}: set {' or '.join(names)} (or {names[0]}_1..N) in "
            "the environment or .env"
        )
    return [entry]


def record_subject_session(
    request: GenerateRequest, settings: Settings, report: Report, out: Path
) -> None:
    """Add a finished ``generate --subject`` run and its cost to the subject's sessions
    (nothing without a subject)."""
    from decimal import Decimal

    from pinglass.training.subject import record_session

    if request.subject is None:
        return
    cost = Decimal(repr(report.totals.cost_usd))
    root = settings.subjects_dir
    record_session(root, request.subject, run_id=report.run_id, out=out, cost_usd=cost)


def subject_run(
    request: GenerateRequest,
    settings: Settings,
    catalog: Catalog,
    keys: Mapping[str, Sequence[ApiKey]],
) -> tuple[Subject | None, Path, list[ModelEntry] | None]:
    """For ``generate``: the subject asked for, the references folder and, with a subject, the
    chain (``None`` without one: the caller resolves ``--provider`` as usual)."""
    subject = subject_for(request.subject, settings.subjects_dir)
    refs_dir = request.refs_dir or subject_crops(settings.subjects_dir, request.subject)
    if subject is None:
        return None, refs_dir, None
    return (
        subject,
        refs_dir,
        subject_chain(subject, request.providers, request.model, catalog, keys),
    )


def with_subject(jobs: list[Job], subject: Subject | None) -> list[Job]:
    """``jobs`` with the subject's trigger phrase in each prompt (unchanged without a subject):
    its LoRA knows the person by that phrase."""
    from dataclasses import replace

    if subject is None:
        return jobs
    return [replace(j, prompt=with_trigger(j.prompt, subject.trigger_phrase)) for j in jobs]
