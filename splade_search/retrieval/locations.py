"""Where indexes live by default, and finding the newest one."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..indexes.generations import CURRENT_FILE, current_folder, is_index

INDEXES_DIR = Path("indexes")


def latest_index(root: Path = INDEXES_DIR) -> Path:
    """The most recently published index folder under ``root``; `InputError` when there is none."""
    candidates = [p for p in root.iterdir() if p.is_dir() and is_index(p)] if root.is_dir() else []
    if not candidates:
        raise InputError(f"no index found under {root}/; build one with `splade-search index CORPUS` or pass --index")
    return max(candidates, key=_published_at)


def _published_at(root: Path) -> float:
    pointer = root / CURRENT_FILE
    return (pointer if pointer.is_file() else current_folder(root)).stat().st_mtime
