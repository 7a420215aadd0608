"""Subjects: fine-tune a LoRA on the person once, then generate every session from it.

Entry points: :func:`plan_training` (free: score, crop, zip, price, or plan a re-attach),
:func:`check_budget`, :func:`run_training` (journal, create once, poll, ``subject.json``),
:func:`read_subject` and :func:`list_subjects`. Trainers: :mod:`.fal`, :mod:`.replicate`,
:mod:`.mock`; their prices live in ``catalog/trainers.toml``.
"""

from __future__ import annotations

from pinglass.training.catalog import TrainerEntry, get_trainer, load_trainers
from pinglass.training.generation import generation_entry, subject_catalog, with_trigger
from pinglass.training.run import (
    TrainingEvent,
    TrainingPlan,
    TrainRequest,
    check_budget,
    plan_training,
    run_training,
)
from pinglass.training.subject import Subject, list_subjects, read_subject

__all__ = [
    "Subject",
    "TrainRequest",
    "TrainerEntry",
    "TrainingEvent",
    "TrainingPlan",
    "check_budget",
    "generation_entry",
    "get_trainer",
    "list_subjects",
    "load_trainers",
    "plan_training",
    "read_subject",
    "run_training",
    "subject_catalog",
    "with_trigger",
]
