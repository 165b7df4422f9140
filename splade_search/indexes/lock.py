"""One writer per index: an OS file lock on ``<index>/write.lock``, held for a whole build, add or delete.

The lock is ``flock``'s exclusive lock, so the operating system releases it when the writing process
ends, however it ends (a ``kill -9`` leaves no stale lock behind). The file keeps the writer's PID so
the next writer can say who holds it. Inside one process the lock is re-entrant for the thread that
holds it (indexing holds it while encoding, then builds under the same lock); other threads and
processes wait up to ``timeout`` seconds, then get `IndexLockedError`.

Readers never take this lock: they open the published snapshot (see `generations`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..errors import IndexLockedError, InputError

LOCK_FILE = "write.lock"
_POLL_SECONDS = 0.05


@dataclass
class _Held:
    """This process's hold on one index's lock."""

    guard: threading.RLock = field(default_factory=threading.RLock)
    fd: int = -1
    depth: int = 0


_held: dict[Path, _Held] = {}
_registry = threading.Lock()


class WriteLock:
    """Exclusive write access to the index at ``root`` (created as an empty folder if missing)."""

    def __init__(self, root: str | os.PathLike[str], timeout: float = 0.0) -> None:
        self.root = Path(root)
        self.timeout = timeout
        self.created_root = False
        self._key: Path | None = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; raises `IndexLockedError` naming the holder."""
        self._make_root()
        self._key = self.root.resolve()
        with _registry:
            held = _held.setdefault(self._key, _Held())
        deadline = time.monotonic() + max(self.timeout, 0.0)
        acquired = held.guard.acquire(timeout=self.timeout) if self.timeout > 0 else held.guard.acquire(blocking=False)
        if not acquired:
            raise IndexLockedError(f"{self.root} is being written by another thread of this process (PID {os.getpid()})")
        try:
            if held.depth == 0:
                held.fd = self._lock_file(deadline)
            held.depth += 1
        except BaseException:
            held.guard.release()
            raise

    def release(self) -> None:
        """Give the lock back; a root folder this lock created and left empty is removed."""
        if self._key is None:
            return
        held = _held[self._key]
        held.depth -= 1
        if held.depth == 0:
            if self.created_root:
                self._remove_unused_root()
            os.close(held.fd)
            held.fd = -1
        held.guard.release()
        self._key = None

    def _make_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root} exists and is not a folder; choose another index path")
        try:
            self.root.mkdir(parents=True)
            self.created_root = True
        except FileExistsError:
            if not self.root.is_dir():
                raise InputError(f"{self.root} exists and is not a folder; choose another index path") from None

    def _lock_file(self, deadline: float) -> int:
        path = self.root / LOCK_FILE
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
            try:
                _flock(fd, deadline, self.root)
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, path):
                break
            os.close(fd)  # the lock file was removed with an emptied root meanwhile: lock the new one
            self._make_root()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    def _remove_unused_root(self) -> None:
        """Remove the root this lock created if nothing but the lock file is in it."""
        try:
            names = {entry.name for entry in os.scandir(self.root)}
            if names <= {LOCK_FILE}:
                (self.root / LOCK_FILE).unlink(missing_ok=True)
                self.root.rmdir()
        except OSError:
            pass


def _flock(fd: int, deadline: float, root: Path) -> None:
    """Lock ``fd`` exclusively, polling until ``deadline``; raises `IndexLockedError` naming the holder."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise IndexLockedError(f"{root} is being written by {_read_holder(fd)}; wait for it to finish, then run again")
        time.sleep(_POLL_SECONDS)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (on_disk.st_ino, on_disk.st_dev) == (opened.st_ino, opened.st_dev)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"PID {text}" if text.isdigit() else "another process"
