"""The output-folder lock: one holder at a time, freed on release or when its process ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pinglass.errors import ExitCode
from pinglass.folder_lock import LOCK_NAME, FolderBusy, FolderLock


def test_a_held_folder_refuses_a_second_holder_naming_pid_and_command(tmp_path: Path) -> None:
    with FolderLock.acquire(tmp_path, ["pinglass", "generate", "refs", "--out", "x"]):
        with pytest.raises(FolderBusy) as caught:
            FolderLock.acquire(tmp_path, ["pinglass", "report", "x"])
    message = str(caught.value)
    assert f"PID {os.getpid()}" in message
    assert "`pinglass generate refs --out x`" in message
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert not (tmp_path / LOCK_NAME).exists()


def test_release_frees_the_folder_and_is_idempotent(tmp_path: Path) -> None:
    lock = FolderLock.acquire(tmp_path, ["pinglass"])
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.release()
    lock.release()
    FolderLock.acquire(tmp_path, ["pinglass"]).release()


def test_a_lock_file_left_behind_without_a_holder_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": 999_999_999, "argv": "pinglass old"}))
    with FolderLock.acquire(tmp_path, ["pinglass", "new"]):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["argv"] == "pinglass new"


def test_the_command_shown_is_redacted(tmp_path: Path) -> None:
    secret = "sk-live0123456789abcdefXYZ"
    with FolderLock.acquire(tmp_path, ["pinglass", f"--token={secret}"]):
        assert secret not in (tmp_path / LOCK_NAME).read_text()
