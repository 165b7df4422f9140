"""The one place that calls the ``seismic`` package (pyseismic-lsr): import, fill, build, save, load, search.

Vectors go in by term id (``add_documents_by_id`` with ``dim`` = the vocabulary size), so Seismic's
component ``i`` is vocabulary column ``i`` and a query names it by the string ``"i"``: no token
string is ever truncated to Seismic's fixed-width string dtype (U30 in older releases), and no two
tokens can collide. Seismic's document id of each vector is its document number, as a string.

Variants: ``SeismicIndex`` stores components as 16-bit integers, so vocabularies of more than
65,535 tokens use ``SeismicIndexLV`` (32-bit components). Seismic stores document weights as
float16 and scores in float32 from them.

Files: ``save`` writes one ``.index.seismic`` file serialised by Rust's bincode (little-endian,
fixed-width integers; no pickle anywhere), which ``load`` reads back without checking its contents:
a damaged file can load and answer wrongly, so only a file whose SHA-256 the manifest vouches for
should be loaded (`SparseIndex.open` verifies it by default). Seismic prints progress to the
process's stdout; that is silenced here, so ``--json`` output stays clean.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...errors import BackendUnavailableError, IndexFormatError
from .settings import BuildSettings

INSTALL_HINT = "install the seismic backend with: pip install 'splade-search[seismic]'"
PACKAGE = "pyseismic-lsr"
SMALL_VOCAB_LIMIT = 65_535  # tokens a 16-bit-component SeismicIndex holds
VARIANTS = {"SeismicIndex": "SeismicDataset", "SeismicIndexLV": "SeismicDatasetLV"}
FILE_STEM = "seismic"
FILE_NAME = f"{FILE_STEM}.index.seismic"  # what ``save(FILE_STEM)`` writes


def module() -> Any:
    """The ``seismic`` package; `BackendUnavailableError` when it is missing or lacks what this backend calls."""
    try:
        seismic = importlib.import_module("seismic")
    except ImportError as exc:
        raise BackendUnavailableError(f"the seismic package is not installed ({exc}); {INSTALL_HINT}") from None
    if not hasattr(getattr(seismic, "SeismicDataset", None), "add_documents_by_id"):
        raise BackendUnavailableError(f"the installed seismic package is too old (needs {PACKAGE} 0.5.4); {INSTALL_HINT}")
    return seismic


def package_version() -> str | None:
    """The installed pyseismic-lsr version (``None`` when unknown)."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def variant_for(vocab_size: int) -> str:
    """``"SeismicIndex"`` for vocabularies Seismic's 16-bit components hold, else ``"SeismicIndexLV"``."""
    return "SeismicIndex" if vocab_size <= SMALL_VOCAB_LIMIT else "SeismicIndexLV"


class DatasetWriter:
    """A Seismic dataset filled batch by batch with rows numbered from 0 (empty rows are left out)."""

    def __init__(self, variant: str, vocab_size: int) -> None:
        self.dataset = getattr(module(), VARIANTS[variant])(vocab_size)
        self.rows = 0
        self.empty: list[int] = []

    def add(self, rows: sp.csr_matrix) -> None:
        """Append canonical CSR rows (sorted, unique, non-zero components); they get the next document numbers."""
        numbers = np.arange(self.rows, self.rows + rows.shape[0])
        lengths = np.diff(rows.indptr)
        self.empty.extend(numbers[lengths == 0].tolist())
        self.dataset.add_documents_by_id(  # Seismic skips empty rows, with their ids
            [str(n) for n in numbers.tolist()],
            rows.indices.astype(np.int64),
            rows.data.astype(np.float32),
            rows.indptr.astype(np.int64),
        )
        self.rows += rows.shape[0]

    def build(self, variant: str, settings: BuildSettings, threads: int) -> Any:
        """The Seismic index of everything added (the dataset is released)."""
        with quiet_stdout():
            engine = getattr(module(), variant).build_from_dataset(self.dataset, **settings.to_dict(), num_threads=threads)
        self.dataset = None
        return engine


def save(engine: Any, folder: Path) -> str:
    """Write ``engine`` into ``folder``; returns the file's name (relative to ``folder``)."""
    with quiet_stdout():
        engine.save(str(folder / FILE_STEM))
    return FILE_NAME


def load(path: Path, variant: str, written_by: str | None) -> Any:
    """The Seismic index saved at ``path``; `IndexFormatError` when Seismic cannot read it as ``variant``."""
    if variant not in VARIANTS:
        raise IndexFormatError(f"{path}: unknown Seismic variant {variant!r}; rebuild the index")
    loader = getattr(module(), variant)
    try:
        return loader.load(str(path))
    except Exception as exc:
        version = package_version()
        hint = f" (written by {PACKAGE} {written_by}, this is {version})" if written_by != version else ""
        raise IndexFormatError(f"{path} cannot be read as a {variant}{hint}: {exc}; rebuild the index") from None


def query_tokens(terms: np.ndarray) -> np.ndarray:
    """Term ids as the token strings Seismic's search takes."""
    return np.array([str(t) for t in terms.tolist()], dtype=_string_dtype())


@cache
def _string_dtype() -> str:
    return module().get_seismic_string()


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what native code prints to file descriptor 1 to /dev/null for the block's duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
