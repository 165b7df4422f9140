"""Search that returns documents: passage hits aggregated per document, filters applied per document.

An index without passages has one row per document, so its document search is its row search. An
index built with passages (see `passage_map`) is searched passage by passage, deep enough that the
aggregated document top-k is exact (`passages.aggregate.search_documents`): max-passage by default,
also the sum of the best ``top_m`` passages, or the first passage only. A metadata filter selects
documents; all their passages take part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..passages.aggregate import PassageHits
from ..passages.aggregate import search_documents as aggregate_search
from ..passages.settings import AGGREGATIONS

if TYPE_CHECKING:
    from .base import SparseIndex


@dataclass(frozen=True, eq=False)
class DocumentResult:
    """The documents one query found, best first: ids, scores, document numbers, and the row (passage)
    number of each one's best passage (the document's own row in an index without passages)."""

    ids: list[str]
    scores: np.ndarray
    documents: np.ndarray
    best_rows: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def search_documents(
    index: SparseIndex,
    queries: Any,
    k: int,
    *,
    threads: int | None = None,
    mode: str = "exact",
    filter: Any = None,
    aggregation: str | None = None,
    top_m: int | None = None,
    **knobs: Any,
) -> list[DocumentResult]:
    """Top-``k`` documents per query row (see the module docstring); ``aggregation`` defaults to the index's."""
    passages = index.passages
    if passages is None:
        results = index.search(queries, k, threads=threads, mode=mode, filter=filter, **knobs)
        return [DocumentResult(r.ids, r.scores, r.indices, r.indices) for r in results]
    settings = passages.settings
    aggregation = aggregation or settings.get("aggregation", "max")
    top_m = top_m or int(settings.get("top_m", 3))
    if aggregation not in AGGREGATIONS:
        from ..errors import InputError

        raise InputError(f"unknown aggregation {aggregation!r}; choose one of {', '.join(AGGREGATIONS)}")
    matrix = index._query_matrix(queries)
    documents = index.filter_mask(filter)
    allowed = documents[passages.parents] if documents is not None else None
    ordinals = passages.ordinals()
    if aggregation == "first":
        first = ordinals == 0
        allowed = first if allowed is None else allowed & first
    counts = passages.counts()
    results = []
    for row in range(matrix.shape[0]):
        query = matrix[row]

        def passage_hits(depth: int) -> PassageHits:
            found = index.search(query, depth, threads=1, mode=mode, allowed=allowed, **knobs)[0]
            rows = found.indices
            return PassageHits(rows, found.scores, passages.parents[rows], ordinals[rows])

        ranking = aggregate_search(
            passage_hits,
            k,
            "max" if aggregation == "first" else aggregation,
            total_passages=len(index),
            top_m=top_m,
            passage_counts=counts,
        )
        ids = [passages.document_ids[n] for n in ranking.docs.tolist()]
        results.append(DocumentResult(ids, ranking.scores, ranking.docs, ranking.best_passages))
    return results
