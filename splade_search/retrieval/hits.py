"""What every retriever returns and promises: the `Hit` record and the `Retriever` interface.

Sparse, BM25 and dense retrievers, fusions of them and rerankers all return `Hit`s, so pipelines
compose them freely: a fusion is a retriever over retrievers, a reranker wraps any retriever.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..indexes import TermContribution
from ..passages.snippet import Snippet


@dataclass
class LegResult:
    """Where one retriever of a pipeline (a fusion "leg", or a stage before reranking) placed a hit."""

    rank: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"rank": self.rank, "score": self.score}


@dataclass
class Hit:
    """One search result, best first by ``rank`` (1-based).

    ``terms``: why a sparse hit matched (query x document weight per shared term), when asked;
    ``legs``: for fused or reranked hits, the rank and score each contributing retriever gave it;
    ``metadata``: stored fields of the document, when the index keeps any; ``passage``: the character
    span of the best-matching passage in ``text`` (indexes built with passages); ``snippet``: that
    passage (or the text) trimmed around the query's strongest matches, which it marks.
    """

    id: str
    score: float
    rank: int
    title: str = ""
    text: str = ""
    doc_number: int = -1
    terms: list[TermContribution] = field(default_factory=list)
    legs: dict[str, LegResult] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    passage: tuple[int, int] | None = None
    snippet: Snippet | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``legs`` and ``metadata`` only when present)."""
        data: dict[str, Any] = {
            "rank": self.rank,
            "id": self.id,
            "score": self.score,
            "title": self.title,
            "text": self.text,
            "terms": [t._asdict() for t in self.terms],
        }
        if self.legs:
            data["legs"] = {name: leg.to_dict() for name, leg in self.legs.items()}
        if self.metadata:
            data["metadata"] = self.metadata
        if self.passage is not None:
            data["passage"] = {"start": self.passage[0], "end": self.passage[1]}
        if self.snippet is not None:
            data["snippet"] = self.snippet.to_dict()
        return data


class Retriever(ABC):
    """Anything that answers text queries with ranked `Hit`s."""

    name: str = "retriever"

    @abstractmethod
    def search_batch(self, queries: list[str], k: int = 10, **options: Any) -> list[list[Hit]]:
        """Top-``k`` hits for each query, in query order (queries are non-empty strings).

        ``options``: what the retriever supports beyond ``k``, e.g. ``filter`` (metadata filter) for
        retrievers over an index that stores fields; an unsupported option raises `InputError`.
        """

    def search(self, queries: str | list[str], k: int = 10, **options: Any) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` hits per query (a list for one string, a list of lists for several)."""
        single = isinstance(queries, str)
        batch = check_queries([queries] if single else list(queries))
        check_k(k)
        results = self.search_batch(batch, k, **_given(options)) if batch else []
        return results[0] if single else results

    def run(self, queries: dict[str, str], k: int = 10, **options: Any) -> dict[str, dict[str, float]]:
        """A run (``{query_id: {doc_id: score}}``) for many queries, e.g. for evaluation or a TREC file."""
        ids = list(queries)
        batch = check_queries([queries[q] for q in ids])
        results = self.search_batch(batch, check_k(k), **_given(options)) if ids else []
        return {qid: {hit.id: float(hit.score) for hit in hits} for qid, hits in zip(ids, results)}


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """The options a caller actually set (``None`` means "not given")."""
    return {name: value for name, value in options.items() if value is not None}


def supports(retriever: Retriever, option: str) -> bool:
    """Whether ``retriever.search_batch`` takes the keyword ``option`` (e.g. ``explain``, ``filter``)."""
    return option in inspect.signature(retriever.search_batch).parameters


def check_queries(queries: list[Any]) -> list[str]:
    """``queries`` if every one is a non-empty string, else `InputError` naming the first bad one."""
    for i, query in enumerate(queries):
        if not isinstance(query, str) or not query.strip():
            raise InputError(f"query {i} is empty; give some text to search for")
    return queries


def check_k(k: Any) -> int:
    """``k`` if it is a positive integer, else `InputError`."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    return k
