"""Fixtures for the gallery tests: one real mock run shared by the slow tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from gallery_support import mock_run


@pytest.fixture(scope="session")
def mock_run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished mock run of 23 prompts, one of them carrying ``<script>alert(1)</script>``."""
    return mock_run(tmp_path_factory.mktemp("gallery-run"))
