"""Studio mode: many people in one run, through one engine and one budget.

``pinglass generate PEOPLE_DIR`` (a folder of folders, one per person) or ``--manifest
people.csv`` (:mod:`pinglass.studio.people`) prepares each person as an ordinary single-person
session into ``OUT/<person>/`` and runs them all at once over one
:class:`~pinglass.runner.SharedEngine` (:mod:`pinglass.studio.run`). The run is summed up in
``OUT/studio-report.json`` (:mod:`pinglass.studio.models`) and ``OUT/index.html``
(:mod:`pinglass.studio.gallery`).
"""

from __future__ import annotations

from pinglass.studio.models import STUDIO_REPORT_NAME, STUDIO_SCHEMA_VERSION, StudioReport
from pinglass.studio.people import Person, is_people_dir, people_in_dir, read_manifest
from pinglass.studio.run import (
    MIN_USABLE_REFS,
    Studio,
    StudioRequest,
    check_studio_budget,
    exit_code,
    prepare_studio,
    run_studio,
)

__all__ = [
    "MIN_USABLE_REFS",
    "STUDIO_REPORT_NAME",
    "STUDIO_SCHEMA_VERSION",
    "Person",
    "Studio",
    "StudioReport",
    "StudioRequest",
    "check_studio_budget",
    "exit_code",
    "is_people_dir",
    "people_in_dir",
    "prepare_studio",
    "read_manifest",
    "run_studio",
]
