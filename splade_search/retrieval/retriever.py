"""SparseRetriever: search an index with the model it was built with (the pipeline API)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import IndexMismatchError
from ..indexes import SearchResult, SparseIndex, check_search_settings
from ..sparse import to_scipy_csr
from .hits import Hit, Retriever, check_k, check_queries
from .model_record import check_recorded_model, recorded_model
from .vocabulary import check_same_vocabulary, model_vocabulary, prepare_rows, score_space


class SparseRetriever(Retriever):
    """Encode queries with ``model`` and search ``index`` in one search mode; safe to call from several threads.

    ``mode`` and ``knobs`` are the search settings of `SparseIndex.search` (``"exact"``,
    ``"pruned"`` or ``"approximate"``, and that mode's options). They are checked here, and
    whatever the mode needs in memory is built here rather than on the first query; a mode or knob
    the index does not offer raises `InputError`.
    """

    name = "sparse"

    def __init__(self, model: Any, index: SparseIndex, *, mode: str = "exact", knobs: Mapping[str, Any] | None = None) -> None:
        check_same_vocabulary(index.vocab, model_vocabulary(model), str(index.path), str(getattr(model, "model_name_or_path", "")))
        self.model = model
        self.index = index
        self.space = score_space(model)
        if index.metadata.get("similarity", "dot") != self.space:
            raise IndexMismatchError(
                f"the index was built for {index.metadata.get('similarity')!r} scores but the model uses {self.space!r}"
            )
        check_search_settings(index.backend, mode, knobs)
        self._mode, self._knobs = mode, dict(knobs or {})
        self.search_vectors(sp.csr_matrix((0, len(index.vocab)), dtype=np.float32))  # builds what the mode needs now

    @property
    def mode(self) -> str:
        """The search mode."""
        return self._mode

    @property
    def knobs(self) -> dict[str, Any]:
        """The search mode's options (a copy)."""
        return dict(self._knobs)

    @classmethod
    def from_index(
        cls,
        path: str | Path,
        model: Any = None,
        *,
        verify: bool = True,
        mode: str = "exact",
        knobs: Mapping[str, Any] | None = None,
    ) -> "SparseRetriever":
        """Open the index at ``path`` and load the model it records (or use ``model``: a name or an encoder).

        The recorded model must still be the one the index was built with (`model_record`).
        """
        from ..encoder import SparseEncoder

        index = SparseIndex.open(path, verify=verify)
        if model is None:
            model = SparseEncoder(recorded_model(index))
            check_recorded_model(index, model)
        elif isinstance(model, str):
            model = SparseEncoder(model)
        return cls(model, index, mode=mode, knobs=knobs)

    def encode_queries(self, queries: list[str]) -> Any:
        """Query vectors as the index scores them (scipy CSR rows)."""
        vectors = self.model.encode_query(queries, convert_to_sparse_tensor=True, save_to_cpu=True)
        return prepare_rows(to_scipy_csr(vectors), self.space)

    def search_vectors(
        self, vectors: Any, k: int = 10, *, threads: int | None = None, filter: Any = None
    ) -> list[SearchResult]:
        """Top-``k`` index results for query vectors (as `encode_queries` gives), in this retriever's mode.

        ``filter``: a metadata filter (see `indexes.filters`), applied inside the top-k.
        """
        return self.index.search(vectors, k=k, threads=threads, mode=self._mode, filter=filter, **self._knobs)

    def search(
        self, queries: str | list[str], k: int = 10, *, explain: bool = False, filter: Any = None
    ) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` hits per query (a list for one string, a list of lists for several).

        ``explain``: fill each hit's ``terms`` with the query terms it shares and their weights.
        ``filter``: only documents whose metadata passes it (see `indexes.filters`), inside the top-k.
        """
        single = isinstance(queries, str)
        batch = check_queries([queries] if single else list(queries))
        check_k(k)
        results = self.search_batch(batch, k, explain=explain, filter=filter) if batch else []
        return results[0] if single else results

    def search_batch(
        self, queries: list[str], k: int = 10, *, explain: bool = False, filter: Any = None
    ) -> list[list[Hit]]:
        vectors = self.encode_queries(queries)
        docs, fields = self.index.documents, self.index.fields
        all_hits = []
        for row, result in enumerate(self.search_vectors(vectors, k=k, filter=filter)):
            hits = []
            for rank, (doc_id, score, number) in enumerate(zip(result.ids, result.scores, result.indices), start=1):
                stored = docs[int(number)] if docs is not None else None
                hit = Hit(
                    id=doc_id,
                    score=float(score),
                    rank=rank,
                    title=stored.title if stored else "",
                    text=stored.text if stored else "",
                    doc_number=int(number),
                    metadata=fields.record(int(number)) if fields is not None else {},
                )
                if explain:
                    hit.terms = self.index.explain(vectors[row], int(number))
                hits.append(hit)
            all_hits.append(hits)
        return all_hits

    def run(self, queries: dict[str, str], k: int = 10, *, filter: Any = None) -> dict[str, dict[str, float]]:
        """A run (``{query_id: {doc_id: score}}``) for many queries, e.g. for evaluation or a TREC file."""
        ids = list(queries)
        if not ids:
            return {}
        vectors = self.encode_queries(check_queries([queries[q] for q in ids]))
        results = self.search_vectors(vectors, k=check_k(k), filter=filter)
        return {qid: dict(zip(r.ids, np.asarray(r.scores, dtype=float).tolist())) for qid, r in zip(ids, results)}
