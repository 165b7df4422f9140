"""One csr index assembled from several csr indexes whose documents interleave (see `interleave`).

Postings are merged term by term, a block of terms at a time, straight from the parts' memory-mapped
arrays into the new files, so memory holds one block (about `BLOCK_POSTINGS` postings) besides
the per-row numbering, whatever the size of the index. Within a term the postings are put in the
combined row order. The parts keep float32 weights; the merged index stores them as ``quantization``
asks, with the scale of all parts together, and drops the weights that become zero, exactly as
`CsrIndex.build` does for the same vectors. Everything is written into a new generation of ``path``
(see `generations`): a failure or a kill leaves the index there as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError
from ...progress import progress_bar
from ..generations import new_generation
from ..interleave import Interleaving
from ..layout import write_index_files
from ..storage import ArrayAppender, load_array, save_array
from . import compact
from .index import CsrIndex
from .postings import Postings, doc_number_dtype
from .quantization import Quantization, recipe_for, store
from .writers import PLAIN_FILES, write_postings

BLOCK_POSTINGS = 1 << 20
_SCRATCH = "merging"  # plain postings of a compact merge, inside the new generation until compacted


def merge_csr(
    path: str | os.PathLike[str],
    parts: Sequence[CsrIndex],
    placement: Sequence[np.ndarray],
    *,
    metadata: dict[str, Any],
    quantization: str = "float32",
    storage: str = "plain",
    force: bool = False,
    lock_timeout: float = 0.0,
    show_progress: bool = True,
) -> CsrIndex:
    """Write the csr index at ``path`` holding the documents of ``parts``, document ``j`` of ``parts[p]`` at
    number ``placement[p][j]``; returns it opened.

    The parts must share one vocabulary and keep float32 weights. ``metadata``: the new index's metadata.
    ``force``, ``lock_timeout``: see `SparseIndex.build`.
    """
    for part in parts:
        if part.quantization.dtype != "float32" or part.storage != "plain":
            raise IndexFormatError(f"{part.path} keeps {part.quantization.dtype} {part.storage} postings; parts keep float32 plain ones")
    layout = compact.parse_storage(storage)
    recipe = _recipe(parts, quantization)
    plan = Interleaving(parts, placement)
    row_ids = plan.row_ids()
    with new_generation(Path(path), force=force, lock_timeout=lock_timeout) as folder:
        if layout == "compact":
            num_postings = _write_postings(folder / _SCRATCH, parts, plan, recipe, show_progress)
            files, extra = _compacted(folder, plan.num_rows, recipe)
        else:
            num_postings = _write_postings(folder, parts, plan, recipe, show_progress)
            files, extra = list(PLAIN_FILES), {}
        write_index_files(
            folder,
            backend=CsrIndex.backend,
            doc_ids=row_ids,
            vocab=parts[0].vocab,
            metadata=metadata,
            num_postings=num_postings,
            quantization=recipe.to_dict(),
            backend_files=files,
            documents=plan.documents(),
            show_progress=show_progress,
            model=parts[0].model_folder,
            fields=plan.fields(),
            passages=plan.passage_map(),
            **extra,
        )
    return CsrIndex.open(path, verify=False)


def _recipe(parts: Sequence[CsrIndex], quantization: str) -> Quantization:
    """How the merged index stores weights: the scale of every part's weights together, as one build picks it."""
    lowest, highest = 0.0, 0.0
    if quantization != "float32":
        for part in parts:
            weights = part.postings.weights
            for start in range(0, len(weights), BLOCK_POSTINGS):
                piece = weights[start : start + BLOCK_POSTINGS]
                lowest, highest = min(lowest, float(piece.min())), max(highest, float(piece.max()))
    return recipe_for(quantization, max(highest, -lowest), lowest)


def _write_postings(
    folder: Path, parts: Sequence[CsrIndex], plan: Interleaving, recipe: Quantization, show_progress: bool
) -> int:
    """Write the merged plain postings into ``folder`` (made if missing); returns how many were kept."""
    folder.mkdir(exist_ok=True)
    sources = [part.postings for part in parts]
    row_maps = [plan.row_map(number) for number in range(len(parts))]
    sizes = sum(np.diff(source.indptr) for source in sources)
    indptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    indptr_file, docs_file, weights_file = (folder / name for name in PLAIN_FILES)
    with (
        ArrayAppender(docs_file, doc_number_dtype(plan.num_rows)) as docs,
        ArrayAppender(weights_file, recipe.numpy_dtype) as weights,
        progress_bar("merging postings", total=int(sizes.sum()), enabled=show_progress) as advance,
    ):
        for first, stop in _term_blocks(sizes, BLOCK_POSTINGS):
            rows, stored, counts = _merged_block(sources, row_maps, first, stop, plan.num_rows, recipe)
            indptr[first + 1 : stop + 1] = docs.count + np.cumsum(counts)
            docs.append(rows)
            weights.append(stored)
            advance(int(sizes[first:stop].sum()))
    save_array(folder, indptr_file.name, indptr)
    return int(indptr[-1])


def _term_blocks(sizes: np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """Consecutive term ranges holding about ``budget`` postings each (a larger term alone)."""
    ends = np.cumsum(sizes)
    first = 0
    while first < len(sizes):
        base = int(ends[first - 1]) if first else 0
        stop = max(int(np.searchsorted(ends, base + budget, side="right")), first + 1)
        yield first, stop
        first = stop


def _merged_block(
    sources: Sequence[Postings], row_maps: Sequence[np.ndarray], first: int, stop: int, n_rows: int, recipe: Quantization
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The merged postings of terms ``first .. stop - 1``: combined row numbers, stored weights, count per term."""
    keys, weights = [], []
    for source, row_map in zip(sources, row_maps):
        bounds = np.asarray(source.indptr[first : stop + 1], dtype=np.int64)
        key = np.repeat(np.arange(stop - first, dtype=np.int64) * n_rows, np.diff(bounds))
        key += row_map[source.docs[bounds[0] : bounds[-1]]]
        keys.append(key)
        weights.append(source.weights[bounds[0] : bounds[-1]])
    key = np.concatenate(keys)
    del keys
    order = np.argsort(key, kind="stable")  # each part's postings are already in order: a merge of sorted runs
    stored = store(np.concatenate(weights)[order], recipe)
    key = key[order]
    del order
    kept = stored != 0
    if not kept.all():
        key, stored = key[kept], stored[kept]
    terms, rows = np.divmod(key, n_rows)
    return rows, stored, np.bincount(terms, minlength=stop - first)


def _compacted(folder: Path, n_rows: int, recipe: Quantization) -> tuple[list[str], dict[str, Any]]:
    """Compact the plain postings written into ``folder/merging`` into ``folder``; returns the files and manifest fields."""
    scratch = folder / _SCRATCH
    postings = Postings(*(load_array(scratch, name) for name in PLAIN_FILES))
    written = write_postings(folder, postings, "compact", n_rows, recipe.numpy_dtype)
    del postings
    shutil.rmtree(scratch)
    return written
