"""How an index folder publishes new versions: immutable generation folders and one atomic pointer.

An index folder (the *root*) holds::

    CURRENT          the name of the live generation, e.g. "gen-000003" (one line)
    gen-000003/      the live generation: manifest.json, doc_ids.txt, vocab.json, backend files, docs/
    write.lock       the writers' lock (see `lock`)

A writer (holding the `WriteLock`) writes the next generation into a hidden ``.gen-<n>.tmp-<pid>``
folder, flushes it to disk, renames it to ``gen-<n>`` and then replaces ``CURRENT`` with one
``rename``: that rename is the single atomic step that publishes it. A kill at any moment leaves
either the old or the new generation live, never neither and never half of one. Generations that are
no longer live, and temporary folders of killed writers, are removed by the next write.

A reader resolves ``CURRENT`` once and opens every file of that generation right away (arrays are
memory-mapped, the document store mapped), so it keeps one consistent snapshot for its whole life,
also after a writer has published and removed that generation. If a writer publishes between
resolving ``CURRENT`` and opening the files, the reader notices and resolves again (`open_snapshot`).

A root is only ever written when it is provably ours (`check_writable`): new, empty, or holding
nothing but the names above with a ``CURRENT`` that names a verified generation. Folders written by
splade-search 0.1 before generations existed (files directly in the root, "legacy") are read as they
are and replaced by a generation on the next write, deleting only the files their manifest lists.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..errors import IndexFormatError, InputError
from ..files import fsync_dir, fsync_tree
from .lock import LOCK_FILE, WriteLock
from .layout import DOCS_FOLDER, INDEX_FORMAT, INDEX_FORMATS
from .manifest import read_manifest
from .storage import MANIFEST_NAME, read_json

CURRENT_FILE = "CURRENT"
_GENERATION = re.compile(r"gen-(\d{6,})")
_TEMPORARY = re.compile(r"\.gen-(\d{6,})\.tmp-\d+")
_OPEN_ATTEMPTS = 20
T = TypeVar("T")


def generation_name(number: int) -> str:
    """The folder name of generation ``number``."""
    return f"gen-{number:06d}"


def current_folder(root: Path) -> Path:
    """The folder holding the live files of the index at ``root`` (a generation, or the root of a legacy index).

    Raises `IndexFormatError` when ``root`` is not an index, or ``CURRENT`` is damaged.
    """
    if not root.is_dir():
        raise IndexFormatError(f"{root} does not exist or is not a folder")
    pointer = root / CURRENT_FILE
    if pointer.is_file() and not pointer.is_symlink():
        name = _read_pointer(pointer)
        return root / name
    if (root / MANIFEST_NAME).is_file():
        return root
    if (root / LOCK_FILE).exists() and not any(_GENERATION.fullmatch(p.name) for p in root.iterdir()):
        raise IndexFormatError(f"{root} is an index whose first build has not finished; wait for it or rebuild it")
    raise IndexFormatError(f"{root} is not a splade-search index (it has no {CURRENT_FILE} or {MANIFEST_NAME})")


def is_index(root: Path) -> bool:
    """Whether ``root`` looks like a published index (without opening or verifying it)."""
    try:
        return (current_folder(root) / MANIFEST_NAME).is_file()
    except IndexFormatError:
        return False


def open_snapshot(root: Path, opener: Callable[[Path], T]) -> T:
    """``opener(folder)`` on the live generation of ``root``, retried while writers publish meanwhile.

    A writer may publish (and remove the generation just resolved) between reading ``CURRENT`` and
    opening the files; then ``CURRENT`` has moved on and the open is retried on the new generation.
    An error that persists while ``CURRENT`` stays put is the index's own and is raised.
    """
    for attempt in range(_OPEN_ATTEMPTS):
        pointer = _pointer_state(root)
        try:
            return opener(current_folder(root))
        except (IndexFormatError, OSError):
            if attempt + 1 == _OPEN_ATTEMPTS or _pointer_state(root) == pointer:
                raise
        time.sleep(0.001 * attempt)
    raise AssertionError("unreachable")


def _pointer_state(root: Path) -> tuple[int, int, str] | None:
    """What ``CURRENT`` says right now, and its identity (a replaced pointer is a new file)."""
    try:
        status = (root / CURRENT_FILE).stat()
        return status.st_ino, status.st_mtime_ns, (root / CURRENT_FILE).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def check_writable(root: Path, force: bool = False, *, verify: bool = True) -> None:
    """Raise `InputError` unless the folder ``root`` may be (re)written as an index.

    Allowed: a missing or empty folder, or one of our indexes (a verified live generation or legacy
    index, plus only names we create). ``force`` allows any folder; even then nothing but our own
    names is ever deleted from it. ``verify=False`` checks file sizes instead of checksums: enough
    to tell our folders from others before taking the lock; the writer verifies under the lock.
    """
    if not root.exists() or force:
        return
    if not root.is_dir():
        raise InputError(f"{root} exists and is not a folder; choose another index path")
    names = {p.name for p in root.iterdir()}
    if not names - {LOCK_FILE}:
        return
    refuse = f"{root} is not a splade-search index"
    advice = "choose a new or empty folder, or pass --force (force=True) to write the index into it anyway"
    if CURRENT_FILE in names:
        foreign = sorted(n for n in names if not _ours(n))
        if foreign:
            raise InputError(f"{refuse}: it also holds {', '.join(foreign[:3])}; {advice}")
        try:
            live = current_folder(root)
            read_manifest(live, index_format(live), verify=verify)
        except IndexFormatError as exc:
            raise InputError(f"{refuse} that can be verified ({exc}); {advice}") from None
        return
    if MANIFEST_NAME in names:
        try:
            legacy_files(root, verify)
        except IndexFormatError as exc:
            raise InputError(f"{refuse}: its {MANIFEST_NAME} cannot be verified as one ({exc}); {advice}") from None
        return
    raise InputError(f"{refuse} (no {CURRENT_FILE}); {advice}")


def index_format(folder: Path) -> str:
    """The format a generation folder's manifest names, when it is one of `layout.INDEX_FORMATS`."""
    manifest = read_json(folder / MANIFEST_NAME)
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found not in INDEX_FORMATS:
        raise IndexFormatError(f"{folder / MANIFEST_NAME} describes format {found!r:.80}, not an index")
    return found


@contextmanager
def new_generation(root: Path, *, force: bool = False, lock_timeout: float = 0.0) -> Iterator[Path]:
    """Yield an empty folder for the next generation of ``root`` and publish it when the block succeeds.

    Holds the index's `WriteLock` for the whole block. On an exception the folder is removed and the
    live generation stays as it was; a root this call created is removed again.
    """
    check_writable(root, force, verify=False)  # before the lock file is made: a foreign folder gets nothing of ours
    with WriteLock(root, timeout=lock_timeout):
        check_writable(root, force)
        legacy = _verified_legacy_files(root)
        remove_leftovers(root)
        folder = root / f".{generation_name(_next_number(root))}.tmp-{os.getpid()}"
        folder.mkdir()
        try:
            yield folder
            published = _publish(root, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        remove_leftovers(root, keep=published)
        _remove_legacy(root, legacy)


def remove_leftovers(root: Path, keep: str | None = None) -> None:
    """Delete generations that are not live and temporary folders of writers that died (lock held)."""
    live = keep or _live_name(root)
    for entry in root.iterdir():
        stale = _GENERATION.fullmatch(entry.name) and entry.name != live
        if (stale or _TEMPORARY.fullmatch(entry.name)) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
    stray = root / f"{CURRENT_FILE}.tmp"
    if stray.is_file():
        stray.unlink()


def _publish(root: Path, folder: Path) -> str:
    """Rename the finished ``folder`` to its generation name and point ``CURRENT`` at it (atomically)."""
    name = folder.name[1:].split(".tmp-")[0]
    fsync_tree(folder)
    os.rename(folder, root / name)
    pointer = root / f"{CURRENT_FILE}.tmp"
    with open(pointer, "w", encoding="ascii") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(pointer, root / CURRENT_FILE)
    fsync_dir(root)
    return name


def _read_pointer(pointer: Path) -> str:
    try:
        name = pointer.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"{pointer} is unreadable ({exc}); rebuild the index") from exc
    if not _GENERATION.fullmatch(name):
        raise IndexFormatError(f"{pointer} names {name[:40]!r}, not a generation folder; the index is damaged")
    folder = pointer.parent / name
    if not folder.is_dir() or folder.is_symlink():
        raise IndexFormatError(f"{pointer} names {name}, which is missing; the index is damaged, rebuild it")
    return name


def _live_name(root: Path) -> str | None:
    pointer = root / CURRENT_FILE
    try:
        return _read_pointer(pointer) if pointer.is_file() else None
    except IndexFormatError:
        return None


def _next_number(root: Path) -> int:
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _GENERATION.fullmatch(p.name) or _TEMPORARY.fullmatch(p.name))]
    return max(numbers, default=0) + 1


def _ours(name: str) -> bool:
    return name in (CURRENT_FILE, LOCK_FILE, f"{CURRENT_FILE}.tmp") or bool(
        _GENERATION.fullmatch(name) or _TEMPORARY.fullmatch(name)
    )


def legacy_files(root: Path, verify: bool = True) -> list[Path]:
    """The files of the legacy (pre-generation) index at ``root``, as its (verified) manifest lists them."""
    manifest = read_manifest(root, INDEX_FORMAT, verify=verify)
    files = [root / name for name in manifest["files"]] + [root / MANIFEST_NAME]
    if manifest.get("has_documents"):
        docs = root / DOCS_FOLDER
        store = read_json(docs / MANIFEST_NAME)
        listed = store.get("files", {}) if isinstance(store, dict) else {}
        files += [docs / name for name in listed if isinstance(name, str)] + [docs / MANIFEST_NAME]
    return files


def _verified_legacy_files(root: Path) -> list[Path]:
    """`legacy_files` of ``root`` if it is a verifiable legacy index, else nothing (nothing will be deleted)."""
    if (root / CURRENT_FILE).exists() or not (root / MANIFEST_NAME).is_file():
        return []
    try:
        return legacy_files(root)
    except IndexFormatError:
        return []


def _remove_legacy(root: Path, files: list[Path]) -> None:
    """Delete a replaced legacy index's own files, then the folders they leave empty."""
    for path in files:
        path.unlink(missing_ok=True)
    for folder in sorted({p.parent for p in files}, key=lambda p: len(p.parts), reverse=True):
        if folder != root:
            try:
                folder.rmdir()
            except OSError:
                pass
