"""Reading a file a user gave, or one in a folder a user can change, without ever hanging.

``Path.read_text`` on a FIFO waits for a writer forever, and on a device reads whatever it
yields. :func:`read_regular_file` opens without blocking (``O_NONBLOCK``), checks on the open
descriptor that it is a regular file (no window for the path to be swapped between a check and
the read), and reads at most a limit. Its errors are ``OSError`` subclasses, so each caller keeps
its own error class and message::

    OSError
    ├── FileNotFoundError, IsADirectoryError, PermissionError, …   as the OS says
    ├── NotRegularFile      a FIFO, socket or device
    └── FileTooLarge        more than ``limit`` bytes

This module imports nothing from pinglass.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["FileTooLarge", "NotRegularFile", "read_regular_file"]


class NotRegularFile(OSError):
    """The path is a FIFO, socket or device: it was not read."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EINVAL, "not a regular file", str(path))


class FileTooLarge(OSError):
    """The file holds more than the caller's limit: it was not read to the end."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than {limit} bytes", str(path))
        self.limit = limit


def read_regular_file(path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit``; ``None``: no limit).

    Raises ``NotRegularFile`` for a FIFO, socket or device (never waiting on it),
    ``IsADirectoryError`` for a folder, ``FileTooLarge`` past ``limit``, and any other
    ``OSError`` the open or the read raises.
    """
    with open(path, "rb", opener=_nonblocking) as fh:  # noqa: PTH123 - needs opener=
        mode = os.fstat(fh.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path)
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise FileTooLarge(path, limit)
    return data


def _nonblocking(name: str, flags: int) -> int:
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever;
    # O_NOCTTY: a terminal device named by mistake must not become our controlling terminal.
    extra = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    return os.open(name, flags | extra)
