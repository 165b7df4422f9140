"""Sorted runs: from document-major batches to term-major postings in bounded memory.

`SortedRuns` gathers validated batches; whenever they hold `RUN_POSTINGS` postings it turns them
term-major and writes them as one *run* into its folder (two raw files: document numbers and
float32 weights; the run's term offsets stay in memory). `SortedRuns.merged` then reads every run
back term range by term range (about `MERGE_POSTINGS` postings at a time) and interleaves them.
Runs hold consecutive documents, so each term's postings are run 0's, then run 1's, ...: already
in document order, and the merge is a scatter, not a comparison sort. The last run stays in memory,
so a corpus of one run never touches the disk. Memory: one run being gathered, or one merged range,
plus the runs' term offsets (8 bytes per term per run).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..batches import DocMatrixBuilder
from .postings import Postings, doc_number_dtype, from_doc_major, term_ranges

RUN_POSTINGS = 1 << 25  # postings gathered before a run is written (~270 MB as they arrive, ~2x while sorted)
MERGE_POSTINGS = 1 << 24  # postings merged at a time


@dataclass
class _Run:
    """One run: term offsets in memory; documents and weights in memory or in two raw files."""

    indptr: np.ndarray
    docs: np.ndarray | Path
    weights: np.ndarray | Path
    docs_dtype: np.dtype

    def read(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Documents and weights of terms ``first`` to ``last`` (excluded)."""
        a, b = int(self.indptr[first]), int(self.indptr[last])
        if isinstance(self.docs, np.ndarray) and isinstance(self.weights, np.ndarray):
            return self.docs[a:b], self.weights[a:b]
        return _read_raw(self.docs, self.docs_dtype, a, b), _read_raw(self.weights, np.dtype(np.float32), a, b)


class SortedRuns:
    """Batches of document vectors turned into term-major runs, then merged (see the module docstring).

    ``doc_ids``: the ids of every document added, in order; ``n_postings``: their postings;
    ``peak`` and ``lowest``: their largest ``|weight|`` and smallest weight, or 0 (what a
    quantization recipe needs, see `quantization.recipe_for`).

    Use as a context manager: leaving it deletes the run files (the folder is created on the first spill).
    """

    def __init__(self, folder: Path, n_terms: int) -> None:
        self.folder = folder
        self.n_terms = n_terms
        self.doc_ids: list[str] = []
        self.peak, self.lowest = 0.0, 0.0
        self._runs: list[_Run] = []
        self._gathering = DocMatrixBuilder(n_terms)
        self._gathered = 0
        self.n_postings = 0
        self._made_folder = False

    def __enter__(self) -> SortedRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self._runs = []
        if self._made_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def n_runs(self) -> int:
        """Runs so far, the one being gathered included when it holds documents."""
        return len(self._runs) + bool(self._gathering.doc_ids)

    def add(self, ids: list[str], rows: sp.csr_matrix) -> None:
        """Append one validated batch (float32 CSR rows, in document order)."""
        self.doc_ids.extend(ids)
        self._gathering.add(ids, rows)
        self._gathered += rows.nnz
        self.n_postings += rows.nnz
        if rows.nnz:
            lowest, highest = float(rows.data.min()), float(rows.data.max())
            self.peak, self.lowest = max(self.peak, highest, -lowest), min(self.lowest, lowest)
        if self._gathered >= RUN_POSTINGS:
            self._runs.append(self._spill(self._sort()))

    def merged(self) -> Iterator[Postings]:
        """All postings, float32 weights, term range by term range (each piece's ``indptr`` starts at 0)."""
        if self._gathering.doc_ids:
            self._runs.append(self._sort())
        runs = self._runs
        total = np.zeros(self.n_terms + 1, dtype=np.int64)
        for run in runs:
            total += run.indptr
        bounds = term_ranges(total, MERGE_POSTINGS)
        for first, last in zip(bounds[:-1], bounds[1:]):
            yield _interleave([run.indptr[first : last + 1] - run.indptr[first] for run in runs],
                              [run.read(first, last) for run in runs])

    def _sort(self) -> _Run:
        """The gathered batches, term-major, with document numbers counted from the first run."""
        offset = len(self.doc_ids) - len(self._gathering.doc_ids)
        postings = from_doc_major(self._gathering.finish())
        self._gathering, self._gathered = DocMatrixBuilder(self.n_terms), 0
        dtype = doc_number_dtype(len(self.doc_ids))
        return _Run(postings.indptr, postings.docs.astype(dtype) + dtype.type(offset), postings.weights, dtype)

    def _spill(self, run: _Run) -> _Run:
        """``run`` with its documents and weights moved to files."""
        if not self._made_folder:
            self.folder.mkdir()
            self._made_folder = True
        stem = self.folder / f"run-{len(self._runs):06d}"
        docs, weights = stem.with_suffix(".docs"), stem.with_suffix(".weights")
        np.ascontiguousarray(run.docs).tofile(docs)
        np.ascontiguousarray(run.weights, dtype=np.float32).tofile(weights)
        return _Run(run.indptr, docs, weights, run.docs_dtype)


def _interleave(offsets: list[np.ndarray], parts: list[tuple[np.ndarray, np.ndarray]]) -> Postings:
    """One term range of several runs: each term's postings of run 0, then of run 1, ...

    ``offsets[r]``: run ``r``'s term offsets within its ``parts[r]`` (documents, weights).
    """
    if len(parts) == 1:
        return Postings(offsets[0], *parts[0])
    lengths = np.stack([np.diff(o) for o in offsets])
    indptr = np.zeros(lengths.shape[1] + 1, dtype=np.int64)
    np.cumsum(lengths.sum(axis=0), out=indptr[1:])
    before = indptr[:-1] + np.cumsum(lengths, axis=0) - lengths  # where each run's postings of a term go
    docs = np.empty(int(indptr[-1]), dtype=np.result_type(*(d.dtype for d, _ in parts)))
    weights = np.empty(len(docs), dtype=np.float32)
    for run_offsets, run_lengths, run_before, (run_docs, run_weights) in zip(offsets, lengths, before, parts):
        slots = np.arange(len(run_docs), dtype=np.int64) + np.repeat(run_before - run_offsets[:-1], run_lengths)
        docs[slots], weights[slots] = run_docs, run_weights
    return Postings(indptr, docs, weights)


def _read_raw(path: Path, dtype: np.dtype, a: int, b: int) -> np.ndarray:
    """Values ``a`` to ``b`` (excluded) of a raw file of ``dtype`` values (read, not mapped)."""
    return np.fromfile(path, dtype=dtype, count=b - a, offset=a * dtype.itemsize)
