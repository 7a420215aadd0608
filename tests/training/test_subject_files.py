"""A subject folder's files replaced by a FIFO: one line naming the file, never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from fifo_guard import call_with_timeout, make_fifo
from pinglass.errors import UsageError
from pinglass.training import list_subjects, read_subject
from pinglass.training.journal import JOURNAL_NAME
from pinglass.training.subject import SESSIONS_NAME, SUBJECT_NAME


def test_a_subject_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "alex").mkdir()
    fifo = make_fifo(tmp_path / "alex" / SUBJECT_NAME)  # `generate --subject alex`
    with pytest.raises(UsageError) as info:
        call_with_timeout(fifo, read_subject, tmp_path, "alex")
    assert str(info.value) == f"{fifo}: cannot read (not a regular file)"


@pytest.mark.parametrize("name", [SESSIONS_NAME, JOURNAL_NAME])
def test_listing_subjects_refuses_a_fifo_in_a_subject_folder(tmp_path: Path, name: str) -> None:
    (tmp_path / "alex").mkdir()
    fifo = make_fifo(tmp_path / "alex" / name)
    with pytest.raises(UsageError) as info:
        call_with_timeout(fifo, list_subjects, tmp_path)
    message = str(info.value)
    assert (
        message.startswith(f"{fifo}: not a regular file, where pinglass ") and "\n" not in message
    )
