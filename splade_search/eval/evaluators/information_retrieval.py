"""SparseInformationRetrievalEvaluator: exact retrieval over a corpus, IR metrics and sparsity stats.

Queries are encoded with ``encode_query`` in one call, the corpus with ``encode_document`` chunk by
chunk; each chunk is scored against all queries and the best ``max(k)`` documents per query are
kept (see `ranking`). With the model's own dot or cosine similarity (the default), scores are
sparse matrix products (scipy) and documents that share no active dimension with a query (score 0)
are not retrieved, as in the indexes; any other score function, and any given in
``score_functions``, returns a dense ``[queries, chunk]`` matrix in which every document competes. Metrics come from
:func:`splade_search.eval.metrics.evaluate_run` (trec_eval semantics: graded relevance, ``map@k``
divided by the number of relevant documents, ties broken by doc id).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from ...data.documents import Document
from ...errors import InputError
from ...retrieval.rows import document_text
from ...similarity import normalize_embeddings
from ...sparse import to_scipy_csr
from ..metrics import evaluate_run, metric_key
from .base import SparseEvaluator
from .ranking import NO_EXCLUSION, ChunkedTopK

ScoreFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SPARSE_PRODUCT_FUNCTIONS = ("dot", "cosine")
SPARSITY_KEYS = ("query_active_dims", "query_sparsity_ratio", "corpus_active_dims", "corpus_sparsity_ratio", "avg_flops")
CSV_METRIC_NAMES = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "mrr": "MRR", "ndcg": "NDCG", "map": "MAP"}
_BLOCK_ENTRIES = 20_000_000  # at most this many query x document scores at once


class SparseInformationRetrievalEvaluator(SparseEvaluator):
    """Retrieve from ``corpus`` for each judged query and report IR metrics plus query/corpus sparsity.

    Keys: ``{fn}_{metric}@{k}`` for ``accuracy@accuracy_at_k``, ``precision@``/``recall@precision_recall_at_k``,
    ``mrr@mrr_at_k``, ``ndcg@ndcg_at_k``, ``map@map_at_k``; then ``query_active_dims``,
    ``query_sparsity_ratio``, ``corpus_active_dims``, ``corpus_sparsity_ratio``, ``avg_flops``; all
    prefixed ``{name}_`` when named. ``relevant_docs`` maps query id to a set of relevant doc ids or
    to ``{doc id: grade}``. ``ignore_identical_ids`` never retrieves a document whose id equals the
    query id (BEIR's rule for ArguAna and Quora). After a call, :attr:`runs` holds each score
    function's run (query id -> doc id -> score).
    """

    def __init__(
        self,
        queries: Mapping[str, str],
        corpus: Mapping[str, str | Document],
        relevant_docs: Mapping[str, Iterable[str] | Mapping[str, int]],
        corpus_chunk_size: int = 50000,
        mrr_at_k: Sequence[int] = (10,),
        ndcg_at_k: Sequence[int] = (10,),
        accuracy_at_k: Sequence[int] = (1, 3, 5, 10),
        precision_recall_at_k: Sequence[int] = (1, 3, 5, 10),
        map_at_k: Sequence[int] = (100,),
        show_progress_bar: bool = False,
        batch_size: int = 32,
        name: str = "",
        write_csv: bool = True,
        max_active_dims: int | None = None,
        score_functions: Mapping[str, ScoreFunction] | None = None,
        main_score_function: str | None = None,
        query_prompt: str | None = None,
        query_prompt_name: str | None = None,
        corpus_prompt: str | None = None,
        corpus_prompt_name: str | None = None,
        write_predictions: bool = False,
        ignore_identical_ids: bool = False,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        if corpus_chunk_size < 1:
            raise InputError(f"corpus_chunk_size must be a positive integer, got {corpus_chunk_size}")
        self.qrels = _as_qrels(relevant_docs)
        self.query_ids = [qid for qid in queries if qid in self.qrels]
        if not self.query_ids:
            raise InputError(f"none of the {len(queries)} queries has relevance judgements: nothing to evaluate")
        self.qrels = {qid: self.qrels[qid] for qid in self.query_ids}
        self.queries = [queries[qid] for qid in self.query_ids]
        if not corpus:
            raise InputError("the corpus is empty: give at least one document")
        self.corpus_ids = list(corpus)
        self.corpus = [_text(corpus[cid]) for cid in self.corpus_ids]
        self.corpus_chunk_size = corpus_chunk_size
        self.at_k = {
            "accuracy": list(accuracy_at_k),
            "precision": list(precision_recall_at_k),
            "recall": list(precision_recall_at_k),
            "mrr": list(mrr_at_k),
            "ndcg": list(ndcg_at_k),
            "map": list(map_at_k),
        }
        if not ndcg_at_k or any(k < 1 for ks in self.at_k.values() for k in ks):
            raise InputError("the @k lists must hold positive integers, and ndcg_at_k at least one")
        self.score_functions = dict(score_functions) if score_functions else None
        self.main_score_function = score_function_name(main_score_function)
        self.query_prompt, self.query_prompt_name = query_prompt, query_prompt_name
        self.corpus_prompt, self.corpus_prompt_name = corpus_prompt, corpus_prompt_name
        self.write_predictions = write_predictions
        self.ignore_identical_ids = ignore_identical_ids
        suffix = f"_{name}" if name else ""
        self.csv_file = f"Information-Retrieval_evaluation{suffix}_results.csv"
        self.predictions_file = f"Information-Retrieval_evaluation{suffix}_predictions.jsonl"
        self.score_function_names: list[str] = sorted(self.score_functions) if self.score_functions else []
        self.runs: dict[str, dict[str, dict[str, float]]] = {}

    @classmethod
    def from_beir(cls, data: Any, **kwargs: Any) -> SparseInformationRetrievalEvaluator:
        """An evaluator for a loaded :class:`~splade_search.data.BeirData` (named after it unless ``name`` is given)."""
        kwargs.setdefault("name", data.name)
        return cls(data.queries, data.corpus, data.qrels, **kwargs)

    @property
    def depth(self) -> int:
        """How many documents are retrieved per query: the largest cutoff."""
        return max(k for ks in self.at_k.values() for k in ks)

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Retrieve, score every score function, and add the sparsity stats."""
        functions = self._functions(model)
        if self.main_score_function and self.main_score_function not in functions:
            raise InputError(f"main_score_function {self.main_score_function!r} is not one of the score functions {sorted(functions)}")
        self.score_function_names = sorted(functions)
        runs = self._retrieve(model, functions)
        metrics: dict[str, float] = {}
        for fn_name in self.score_function_names:
            metrics.update(self._metrics(fn_name, runs[fn_name]))
        self.runs = runs
        metrics.update(self.sparsity.stats("query", weighted=True))
        metrics.update(self.sparsity.stats("corpus", weighted=True))
        metrics["avg_flops"] = self.sparsity.avg_flops("query", "corpus")
        best = self.main_score_function or max(self.score_function_names, key=lambda fn: metrics[self._ndcg_key(fn)])
        self.primary_metric = self._ndcg_key(best)
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """IR columns per score function (see :func:`ir_csv_columns`), then the sparsity stats."""
        return ir_csv_columns(self.score_function_names, self.at_k) + [(key, key) for key in SPARSITY_KEYS]

    def write_outputs(self, output_path: Path) -> None:
        """With ``write_predictions``: one JSONL per score function, ``{query_id, query, results: [{corpus_id, score}]}``."""
        if not self.write_predictions:
            return
        texts = dict(zip(self.query_ids, self.queries))
        for fn_name, run in self.runs.items():
            path = output_path / self.predictions_file.replace(".jsonl", f"_{fn_name}.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for qid in self.query_ids:
                    results = [{"corpus_id": cid, "score": score} for cid, score in run.get(qid, {}).items()]
                    f.write(json.dumps({"query_id": qid, "query": texts[qid], "results": results}) + "\n")

    def _ndcg_key(self, fn_name: str) -> str:
        return metric_key("ndcg", max(self.at_k["ndcg"]), fn_name)

    def _functions(self, model: Any) -> dict[str, ScoreFunction | None]:
        """Score functions by name; ``None`` marks the model's own dot/cosine (the sparse product path)."""
        if self.score_functions:
            return dict(self.score_functions)
        name = model.similarity_fn_name
        return {name: None if name in SPARSE_PRODUCT_FUNCTIONS else model.similarity}

    def _retrieve(self, model: Any, functions: Mapping[str, ScoreFunction | None]) -> dict[str, dict[str, dict[str, float]]]:
        queries = self.encode(model, self.queries, "query", "query", prompt=self.query_prompt, prompt_name=self.query_prompt_name)
        query_rows = {name: _product_rows(queries, name) for name, fn in functions.items() if fn is None}
        tops = {name: ChunkedTopK(len(self.query_ids), self.depth, self._exclusions()) for name in functions}
        for start in range(0, len(self.corpus), self.corpus_chunk_size):
            chunk = self.encode(
                model,
                self.corpus[start : start + self.corpus_chunk_size],
                "document",
                "corpus",
                prompt=self.corpus_prompt,
                prompt_name=self.corpus_prompt_name,
            )
            for name, fn in functions.items():
                if fn is None:
                    self._add_sparse(tops[name], query_rows[name], _product_rows(chunk, name), start)
                else:
                    self._add_dense(tops[name], fn, queries, chunk, start)
        return {name: self._run(top) for name, top in tops.items()}

    @staticmethod
    def _add_sparse(top: ChunkedTopK, queries: Any, chunk: Any, offset: int) -> None:
        rows = max(1, _BLOCK_ENTRIES // max(1, chunk.shape[0]))
        chunk_t = chunk.T.tocsr()
        for first in range(0, queries.shape[0], rows):
            top.add_sparse(queries[first : first + rows] @ chunk_t, offset, first)

    @staticmethod
    def _add_dense(top: ChunkedTopK, fn: ScoreFunction, queries: torch.Tensor, chunk: torch.Tensor, offset: int) -> None:
        rows = max(1, _BLOCK_ENTRIES // max(1, chunk.shape[0]))
        for first in range(0, queries.shape[0], rows):
            block = queries.index_select(0, torch.arange(first, min(first + rows, queries.shape[0])))
            scores = fn(block, chunk)
            top.add_dense(torch.as_tensor(scores).to_dense().float().cpu().numpy(), offset, first)

    def _exclusions(self) -> list[int] | None:
        if not self.ignore_identical_ids:
            return None
        numbers = {cid: number for number, cid in enumerate(self.corpus_ids)}
        return [numbers.get(qid, NO_EXCLUSION) for qid in self.query_ids]

    def _run(self, top: ChunkedTopK) -> dict[str, dict[str, float]]:
        return {
            qid: {self.corpus_ids[n]: float(s) for n, s in zip(numbers.tolist(), scores.tolist())}
            for qid, (numbers, scores) in zip(self.query_ids, top.results())
        }

    def _metrics(self, fn_name: str, run: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
        k_values = sorted({k for ks in self.at_k.values() for k in ks})
        scores = evaluate_run(self.qrels, run, k_values, ignore_identical_ids=self.ignore_identical_ids).aggregate
        return {metric_key(metric, k, fn_name): scores[metric_key(metric, k)] for metric, ks in self.at_k.items() for k in ks}


def score_function_name(value: Any) -> str | None:
    """A score function name given as a string or a ``SimilarityFunction`` member (None stays None)."""
    return str(getattr(value, "value", value)) if value else None


def ir_csv_columns(score_function_names: Sequence[str], at_k: Mapping[str, Sequence[int]]) -> list[tuple[str, str]]:
    """``{fn}-Accuracy@k``, then ``{fn}-Precision@k, {fn}-Recall@k`` per k, ``{fn}-MRR@k``, ``{fn}-NDCG@k``, ``{fn}-MAP@k``."""
    columns = []
    for fn_name in score_function_names:
        pairs = [("accuracy", k) for k in at_k["accuracy"]]
        pairs += [(metric, k) for k in at_k["precision"] for metric in ("precision", "recall")]
        pairs += [(metric, k) for metric in ("mrr", "ndcg", "map") for k in at_k[metric]]
        columns += [(f"{fn_name}-{CSV_METRIC_NAMES[metric]}@{k}", metric_key(metric, k, fn_name)) for metric, k in pairs]
    return columns


def _product_rows(embeddings: torch.Tensor, fn_name: str) -> Any:
    """Scipy CSR rows whose dot products give ``fn_name`` scores (rows L2-normalised for cosine)."""
    return to_scipy_csr(normalize_embeddings(embeddings) if fn_name == "cosine" else embeddings)


def _text(value: str | Document) -> str:
    return document_text(value) if isinstance(value, Document) else value


def _as_qrels(relevant_docs: Mapping[str, Iterable[str] | Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Judgements as query id -> doc id -> grade (a set or list of ids means grade 1); empty ones dropped."""
    qrels: dict[str, dict[str, int]] = {}
    for qid, judged in relevant_docs.items():
        if isinstance(judged, Mapping):
            grades = {str(cid): int(grade) for cid, grade in judged.items()}
        elif isinstance(judged, (str, bytes)):
            raise InputError(f"relevant_docs[{qid!r}] must be a set of doc ids or a dict of grades, got a string")
        else:
            grades = {str(cid): 1 for cid in judged}
        if grades:
            qrels[str(qid)] = grades
    return qrels
