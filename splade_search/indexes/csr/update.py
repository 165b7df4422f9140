"""The posting arithmetic behind `CsrIndex.add` and `CsrIndex.delete`.

Added documents get the next document numbers; deleting renumbers the remaining documents
compactly, keeping their order. Stored weights of existing documents are copied as they are: an
integer-quantized index keeps its scale, and new weights beyond that scale's range are refused
(rebuild the index instead). Which ids, stored documents and fields carry over is `edits`' part.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError
from ..batches import Batch
from ..edits import added_rows, deleted_mask
from .postings import Postings, from_doc_major, keep, merge
from .quantization import Quantization

if TYPE_CHECKING:
    from .index import CsrIndex


def added_postings(index: CsrIndex, batches: Iterable[Batch], show_progress: bool) -> tuple[list[str], Postings]:
    """The new documents' ids and the postings of ``index`` with those documents appended."""
    new_ids, rows = added_rows(index, batches, show_progress)
    new = from_doc_major(rows)
    stored = _requantize(new.weights, index.quantization)
    new = keep(Postings(new.indptr, new.docs.astype(np.int64) + len(index), stored), stored != 0)
    return new_ids, merge(index.postings, new)


def remaining_postings(index: CsrIndex, ids: Iterable[str]) -> tuple[np.ndarray, Postings]:
    """Mask of the documents kept after deleting ``ids``, and the renumbered postings."""
    alive = deleted_mask(index, ids)
    postings = index.postings
    kept = keep(postings, alive[postings.docs])
    renumber = np.cumsum(alive) - 1
    return alive, kept._replace(docs=renumber[kept.docs])


def _requantize(weights: np.ndarray, quantization: Quantization) -> np.ndarray:
    dtype = quantization.numpy_dtype
    if quantization.scale is None:
        if dtype == np.float16 and weights.size and np.abs(weights).max() > np.finfo(np.float16).max:
            raise InputError("new weights exceed the float16 range (65504) of this index")
        return weights.astype(dtype)
    stored = np.rint(weights * np.float32(quantization.scale))
    limits = np.iinfo(dtype)
    if stored.size and (stored.min() < limits.min or stored.max() > limits.max):
        raise InputError(
            f"new weights exceed the {quantization.dtype} range of this index (largest storable weight "
            f"{limits.max / quantization.scale:.4g}); rebuild the index with all documents"
        )
    return stored.astype(dtype)
