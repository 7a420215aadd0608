"""``read_regular_file``: a user's file read without ever waiting on a FIFO or a device."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fifo_guard import call_with_timeout, make_fifo
from pinglass.regular_file import FileTooLarge, NotRegularFile, read_regular_file


def test_a_regular_file_is_read_whole_or_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"12345")
    assert read_regular_file(path) == b"12345"
    assert read_regular_file(path, limit=5) == b"12345"
    with pytest.raises(FileTooLarge, match="larger than 4 bytes") as info:
        read_regular_file(path, limit=4)
    assert info.value.filename == str(path)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "people.csv")
    with pytest.raises(NotRegularFile) as info:
        call_with_timeout(fifo, read_regular_file, fifo)
    assert info.value.strerror == "not a regular file" and info.value.filename == str(fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_refused_not_read() -> None:
    with pytest.raises(NotRegularFile):
        read_regular_file(Path("/dev/zero"))  # would never end


def test_a_folder_and_a_missing_file_raise_what_the_os_says(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        read_regular_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "nope.txt")
