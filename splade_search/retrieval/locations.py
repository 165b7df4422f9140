"""Where indexes live by default, what a corpus's index is called, finding the newest one, and which corpus an index records."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IndexFormatError, InputError
from ..indexes.generations import CURRENT_FILE, current_folder, is_index
from ..indexes.storage import MANIFEST_NAME, read_json

if TYPE_CHECKING:
    from .sharding import ShardSpec

INDEXES_DIR = Path("indexes")


def default_index_path(corpus: str, shard: ShardSpec | None = None) -> Path:
    """``indexes/<corpus name>``: a folder name derived from the corpus path or hub id; ``shard`` i/N adds
    ``.shard-<i>-of-<N>``."""
    name = Path(corpus.rstrip("/")).name or "corpus"
    stem = re.sub(r"[^\w.-]+", "-", re.sub(r"\.(jsonl|jsonl\.gz|csv|tsv|parquet)$", "", name))
    if shard is not None:
        stem += f".shard-{shard.index}-of-{shard.count}"
    return INDEXES_DIR / stem


def latest_index(root: Path = INDEXES_DIR) -> Path:
    """The most recently published index folder under ``root``; `InputError` when there is none."""
    candidates = [p for p in root.iterdir() if p.is_dir() and is_index(p)] if root.is_dir() else []
    if not candidates:
        raise InputError(f"no index found under {root}/; build one with `splade-search index CORPUS` or pass --index")
    return max(candidates, key=_published_at)


def _published_at(root: Path) -> float:
    pointer = root / CURRENT_FILE
    return (pointer if pointer.is_file() else current_folder(root)).stat().st_mtime


def recorded_corpus(path: Path) -> str | None:
    """The corpus the live index at ``path`` records (``None``: no index there, or built before corpora were recorded)."""
    if not is_index(path):
        return None
    try:
        manifest = read_json(current_folder(path) / MANIFEST_NAME)
    except (IndexFormatError, OSError):
        return None
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    corpus = metadata.get("corpus") if isinstance(metadata, dict) else None
    return corpus if isinstance(corpus, str) else None


def check_same_corpus(path: Path, corpus: str | None, force: bool = False) -> None:
    """Refuse to replace the index at ``path`` with one of another ``corpus`` unless ``force``."""
    recorded = recorded_corpus(path) if corpus is not None and not force else None
    if recorded is not None and recorded != corpus:
        raise InputError(
            f"{path} holds an index of {recorded}, not of {corpus}; choose another --out, "
            "or pass --force (force=True) to replace it (index --update syncs an index with its own corpus)"
        )
