"""Which files of a text folder are read: the walk and its trust rules (see :mod:`.textfiles`).

Listing opens nothing but folders: every entry is classified from ``lstat``/``stat``, so a FIFO,
a device or a link can never block, loop or lead the walk out of the folder unless asked.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Files larger than this are skipped (a document is text for search, not a data dump)."""

Identity = tuple[int, int]


@dataclass(frozen=True)
class TextFile:
    """One file to read: ``path`` is what is opened (a followed link's target), ``relative`` its name in the folder."""

    path: Path
    relative: str
    identity: Identity


@dataclass
class FolderListing:
    """The files to read (sorted by relative path), ``(path, reason)`` for each one skipped, and a count by
    suffix of the files of other types."""

    files: list[TextFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)


def text_files(folder: Path, *, follow_symlinks: bool = False, max_bytes: int = MAX_FILE_BYTES) -> FolderListing:
    """List the text files under ``folder`` by the rules of :mod:`.textfiles`; nothing is read or warned here."""
    walk = _Walk(folder, follow_symlinks, max_bytes)
    walk.run()
    walk.listing.files.sort(key=lambda file: file.relative)
    walk.listing.skipped.sort()
    return walk.listing


def identity(status: os.stat_result) -> Identity:
    """What tells two names of one file or folder apart from two files: device and inode."""
    return status.st_dev, status.st_ino


def not_regular(mode: int) -> str | None:
    """Why a file of this mode is not read (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    return "not a regular file"


def too_large(size: int, max_bytes: int) -> str:
    """The reason given for a file over the size limit."""
    return f"larger than {max_bytes} bytes ({size} bytes); split it into smaller files"


class _Walk:
    """One walk: real folders first, then the links found on the way (so a file keeps its own name)."""

    def __init__(self, folder: Path, follow_symlinks: bool, max_bytes: int) -> None:
        self.folder = folder
        self.root = Path(os.path.realpath(folder))
        self.follow_symlinks = follow_symlinks
        self.max_bytes = max_bytes
        self.listing = FolderListing()
        self.folders: dict[Identity, str] = {}
        self.files: dict[Identity, str] = {}
        self.links: deque[tuple[Path, str]] = deque()

    def run(self) -> None:
        try:
            self.folders[identity(os.stat(self.folder))] = ""
        except OSError as err:
            self._skip("", f"cannot be read ({err.strerror})")
            return
        self._walk(self.folder, "")
        while self.links:
            self._follow(*self.links.popleft())

    def _walk(self, top: Path, top_relative: str) -> None:
        pending = [(top, top_relative)]
        while pending:
            folder, relative = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as err:
                self._skip(relative, f"folder cannot be listed ({err.strerror})")
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path, name = Path(entry.path), f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_symlink():
                    self.links.append((path, name))
                elif entry.is_dir(follow_symlinks=False):
                    status = self._lstat(path, name)
                    if status is not None and self._claim(self.folders, status, name):
                        pending.append((path, name))
                elif self._is_text(name):
                    status = self._lstat(path, name)
                    if status is not None:
                        self._add_file(path, name, status)

    def _follow(self, link: Path, name: str) -> None:
        try:
            status = os.stat(link)
        except FileNotFoundError:
            self._skip(name, f"a dangling link (its target {_link_text(link)!r} does not exist)")
            return
        except OSError as err:
            if err.errno == errno.ELOOP:
                self._skip(name, f"a link loop (its target {_link_text(link)!r} leads back to it)")
            else:
                self._skip(name, f"a link that cannot be followed ({err.strerror})")
            return
        if not stat.S_ISDIR(status.st_mode) and not self._is_text(name):
            return
        target = Path(os.path.realpath(link))
        if target.is_relative_to(self.root):
            if any(part.startswith(".") for part in target.relative_to(self.root).parts):
                self._skip(name, f"a link to the hidden {target.relative_to(self.root).as_posix()!r}")
                return
        elif not self.follow_symlinks:
            outside = f"a link to {str(target)!r}, outside the folder"
            self._skip(name, f"{outside} (follow_symlinks=True or --follow-symlinks reads it)")
            return
        if stat.S_ISDIR(status.st_mode):
            if self._claim(self.folders, status, name):
                self._walk(target, name)
        else:
            self._add_file(target, name, status)

    def _add_file(self, path: Path, name: str, status: os.stat_result) -> None:
        if not self._claim(self.files, status, name):
            return
        reason = not_regular(status.st_mode)
        if reason is None and status.st_size > self.max_bytes:
            reason = too_large(status.st_size, self.max_bytes)
        if reason is None and not os.access(path, os.R_OK):
            reason = "cannot be read (permission denied)"
        if reason is not None:
            self._skip(name, reason)
            return
        self.listing.files.append(TextFile(path, name, identity(status)))

    def _claim(self, seen: dict[Identity, str], status: os.stat_result, name: str) -> bool:
        """Record that ``name`` is read as this file or folder, or skip it when that one is read already."""
        first = seen.setdefault(identity(status), name)
        if first == name:
            return True
        shown = repr(first) if first else "the corpus folder itself"
        if first == "" or name.startswith(first + "/"):
            self._skip(name, f"a loop: it leads back to {shown}, which holds it")
        else:
            self._skip(name, f"a second name for {shown}, which is read once")
        return False

    def _lstat(self, path: Path, name: str) -> os.stat_result | None:
        try:
            return os.lstat(path)
        except OSError as err:
            self._skip(name, f"cannot be read ({err.strerror})")
            return None

    def _is_text(self, name: str) -> bool:
        if Path(name).suffix.lower() in TEXT_SUFFIXES:
            return True
        self.listing.ignored[_suffix(name)] += 1
        return False

    def _skip(self, name: str, reason: str) -> None:
        self.listing.skipped.append((str(self.folder / name) if name else str(self.folder), reason))


def _suffix(name: str) -> str:
    return Path(name).suffix.lower() or "(no suffix)"


def _link_text(link: Path) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "?"
