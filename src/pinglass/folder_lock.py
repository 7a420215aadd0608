"""One run at a time per output folder: an advisory lock on ``OUT/.pinglass.lock``.

Two ``generate`` processes writing into one folder would each pay for every image the other has
not finished yet, and each would rewrite the other's report. The lock is an ``flock`` on a file
in the folder, so the kernel drops it when the holder exits for any reason (SIGKILL included): a
lock left by a killed run is simply taken over. The holder writes its PID and command line into
the file so the refusal can say who holds the folder.

Where ``flock`` is missing (not POSIX) the file is created exclusively and a recorded PID that is
no longer alive is treated as stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinglass.errors import UsageError
from pinglass.secrets import redact

__all__ = ["LOCK_NAME", "FolderBusy", "FolderLock"]

LOCK_NAME = ".pinglass.lock"


class FolderBusy(UsageError):
    """Another live process holds the output folder. Exit 2."""


@dataclass(slots=True)
class FolderLock:
    """A held lock on one output folder; :meth:`release` (or ``with``) gives it back."""

    path: Path
    _fd: int | None = field(default=None, repr=False)

    @classmethod
    def acquire(cls, folder: Path, argv: list[str] | None = None) -> FolderLock:
        """Lock ``folder`` for this process, taking over a lock whose holder has died.

        Raises :class:`FolderBusy` naming the holder's PID and command when it is alive, and
        ``UsageError`` when the lock file cannot be made.
        """
        path = folder / LOCK_NAME
        holder = json.dumps({"pid": os.getpid(), "argv": redact(_command(argv))})
        try:
            fd = _lock_fd(path)
        except OSError as exc:
            raise UsageError(f"{path}: cannot create the lock file ({exc.strerror})") from None
        os.ftruncate(fd, 0)
        os.write(fd, holder.encode("utf-8") + b"\n")
        os.fsync(fd)
        return cls(path, fd)

    def release(self) -> None:
        """Remove the lock file and unlock. Safe to call twice."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            if _same_file(fd, self.path):
                self.path.unlink()
        os.close(fd)  # closing the descriptor drops the flock

    def __del__(self) -> None:  # a session dropped without release must not keep the folder
        self.release()

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _command(argv: list[str] | None) -> str:
    args = list(sys.argv if argv is None else argv)
    if args and Path(args[0]).name in ("__main__.py", "pinglass"):
        args[0] = "pinglass"
    return " ".join(args)


def _lock_fd(path: Path) -> int:
    """An open descriptor of ``path`` that this process holds the lock on."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return _exclusive_fd(path)
    for _ in range(5):  # the holder may unlink the file between our open and our flock
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 4096, 0)
            os.close(fd)
            raise _busy(path, text) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)
    raise OSError(0, "the lock file keeps changing")  # pragma: no cover - a hostile race


def _exclusive_fd(path: Path) -> int:  # pragma: no cover - not POSIX
    for _ in range(2):
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            text = path.read_bytes()
            pid = _holder(text).get("pid")
            if isinstance(pid, int) and _alive(pid):
                raise _busy(path, text) from None
            path.unlink(missing_ok=True)  # stale: its holder is gone
    raise OSError(0, "the lock file keeps coming back")


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _holder(text: bytes) -> dict[str, Any]:
    try:
        value = json.loads(text.decode("utf-8", errors="replace") or "{}")
    except (json.JSONDecodeError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _alive(pid: int) -> bool:  # pragma: no cover - not POSIX
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _busy(path: Path, text: bytes) -> FolderBusy:
    info = _holder(text)
    pid = info.get("pid")
    who = f"PID {pid}" if isinstance(pid, int) else "another process"
    command = str(info.get("argv") or "").strip()
    running = f" running `{command}`" if command else ""
    return FolderBusy(
        f"{path.parent}: another pinglass run is using this folder ({who}{running}); wait for "
        "it to finish, stop it, or choose another --out"
    )
