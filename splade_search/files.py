"""Filesystem helpers every writer shares: permissions that follow the user's umask, and durable writes.

Python's ``tempfile`` creates private files (0600) and folders (0700) whatever the umask; a folder
or run file made that way is unreadable by the service account that serves it. Writers here create
with ``os.mkdir``/``open`` (which apply the umask) or, where ``tempfile`` is needed, call
`apply_umask` on the result.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read from /proc where possible, else set and restored under a lock)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def apply_umask(path: str | os.PathLike[str]) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would have given it (0666/0777 minus the umask)."""
    base = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


def apply_umask_tree(folder: str | os.PathLike[str]) -> None:
    """`apply_umask` to ``folder`` and everything under it (links are left alone)."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            if not path.is_symlink():
                apply_umask(path)
    apply_umask(folder)


def fsync_file(path: Path) -> None:
    """Flush one file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` (including it) to disk."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            fsync_file(Path(root, name))
        for name in dirs:
            fsync_dir(Path(root, name))
    fsync_dir(folder)
