"""SparseRetriever: search an index with the model it was built with (the pipeline API)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexMismatchError
from ..indexes import SparseIndex
from ..indexes.document_search import DocumentResult
from ..passages.snippet import make_snippet
from .hits import Hit, Retriever, check_k, check_queries
from .model_record import check_recorded_model, recorded_model
from .vocabulary import check_same_vocabulary, model_vocabulary, prepare_rows, score_space


class SparseRetriever(Retriever):
    """Encode queries with ``model`` and search ``index`` in one search mode; safe to call from several threads.

    ``mode`` and ``knobs`` are the search settings of `SparseIndex.search` (``"exact"``,
    ``"pruned"`` or ``"approximate"``, and that mode's options). The index checks them and builds
    what the mode needs in memory here (`SparseIndex.prepare`), not on the first query; a mode or
    knob the index does not offer raises `InputError`.
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
        index.prepare(mode, knobs)
        self._mode, self._knobs = mode, dict(knobs or {})

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
        return cls.for_index(SparseIndex.open(path, verify=verify), model, mode=mode, knobs=knobs)

    @classmethod
    def for_index(
        cls, index: SparseIndex, model: Any = None, *, mode: str = "exact", knobs: Mapping[str, Any] | None = None
    ) -> "SparseRetriever":
        """A retriever on the opened ``index`` with the model it records (checked) or ``model`` (a name or an encoder)."""
        from ..encoder import SparseEncoder

        if model is None:
            model = SparseEncoder(recorded_model(index))
            check_recorded_model(index, model)
        elif isinstance(model, str):
            model = SparseEncoder(model)
        return cls(model, index, mode=mode, knobs=knobs)

    def encode_queries(self, queries: list[str]) -> Any:
        """Query vectors as the index scores them (scipy CSR rows).

        A torch-free model (`fastpaths.inference_free`) gives the rows itself (``encode_query_rows``).
        """
        if hasattr(self.model, "encode_query_rows"):
            return prepare_rows(self.model.encode_query_rows(queries), self.space)
        from ..sparse import to_scipy_csr

        vectors = self.model.encode_query(queries, convert_to_sparse_tensor=True, save_to_cpu=True)
        return prepare_rows(to_scipy_csr(vectors), self.space)

    def search_vectors(
        self,
        vectors: Any,
        k: int = 10,
        *,
        threads: int | None = None,
        filter: Any = None,
        aggregation: str | None = None,
    ) -> list[DocumentResult]:
        """Top-``k`` documents for query vectors (as `encode_queries` gives), in this retriever's mode.

        ``filter``: a metadata filter (see `indexes.filters`), applied inside the top-k.
        ``aggregation``: how passages make a document's score (indexes built with passages; default: the index's).
        """
        return self.index.search_documents(
            vectors, k, threads=threads, mode=self._mode, filter=filter, aggregation=aggregation, **self._knobs
        )

    def search(
        self,
        queries: str | list[str],
        k: int = 10,
        *,
        explain: bool = False,
        filter: Any = None,
        aggregation: str | None = None,
        passages: bool = False,
    ) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` documents per query (a list for one string, a list of lists for several).

        ``explain``: fill each hit's ``terms`` (the query terms its best passage shares, with weights)
        and ``snippet``. ``filter``: only documents whose metadata passes it (see `indexes.filters`),
        inside the top-k. ``aggregation``: "max", "sum-top-m" or "first" (indexes built with passages).
        ``passages``: return the best passages themselves instead of documents.
        """
        single = isinstance(queries, str)
        batch = check_queries([queries] if single else list(queries))
        check_k(k)
        options = {"explain": explain, "filter": filter, "aggregation": aggregation, "passages": passages}
        results = self.search_batch(batch, k, **options) if batch else []
        return results[0] if single else results

    def search_batch(
        self,
        queries: list[str],
        k: int = 10,
        *,
        explain: bool = False,
        filter: Any = None,
        aggregation: str | None = None,
        passages: bool = False,
    ) -> list[list[Hit]]:
        vectors = self.encode_queries(queries)
        if passages:
            found = self.index.search(vectors, k, mode=self._mode, filter=filter, **self._knobs)
            results = [DocumentResult(r.ids, r.scores, r.indices, r.indices) for r in found]
        else:
            results = self.search_vectors(vectors, k, filter=filter, aggregation=aggregation)
        return [
            [self._hit(vectors[row], result, i, explain, passages) for i in range(len(result))]
            for row, result in enumerate(results)
        ]

    def _hit(self, query: Any, result: DocumentResult, i: int, explain: bool, passages: bool) -> Hit:
        """One hit: the document (or, with ``passages``, the passage row) at position ``i`` of ``result``."""
        index, row = self.index, int(result.best_rows[i])
        passage_map = index.passages
        document = int(passage_map.parents[row]) if passage_map is not None else row
        span = tuple(int(x) for x in passage_map.spans[row]) if passage_map is not None else None
        stored = index.documents[document] if index.documents is not None else None
        text = stored.text if stored else ""
        hit = Hit(
            id=result.ids[i],
            score=float(result.scores[i]),
            rank=i + 1,
            title=stored.title if stored else "",
            text=text[span[0] : span[1]] if passages and span else text,
            doc_number=document,
            metadata=index.fields.record(document) if index.fields is not None else {},
            passage=span if not passages else None,
        )
        if explain:
            hit.terms = index.explain(query, row)
            shown = text[span[0] : span[1]] if span else text
            hit.snippet = make_snippet(shown, self.model.tokenizer, hit.terms) if shown else None
        return hit

    def run(
        self, queries: dict[str, str], k: int = 10, *, filter: Any = None, aggregation: str | None = None
    ) -> dict[str, dict[str, float]]:
        """A run (``{query_id: {doc_id: score}}``) for many queries, e.g. for evaluation or a TREC file."""
        ids = list(queries)
        if not ids:
            return {}
        vectors = self.encode_queries(check_queries([queries[q] for q in ids]))
        results = self.search_vectors(vectors, k=check_k(k), filter=filter, aggregation=aggregation)
        return {qid: dict(zip(r.ids, np.asarray(r.scores, dtype=float).tolist())) for qid, r in zip(ids, results)}
