"""Lucene BM25 through Anserini: build an Anserini index of texts, search it with ``SimpleSearcher``.

The index is Anserini's own (``IndexCollection -collection JsonCollection``, one ``contents`` field
holding title and text, the default English analyzer), built by a child JVM (`java.run_java_main`)
and searched in-process through pyjnius (`java.autoclass`): queries go through Anserini's analyzer
and bag-of-words query as its regressions run them, with ``BM25Similarity(k1, b)``. Needs
``pip install 'splade-search[lucene]'``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..indexes.lucene.java import anserini_jar, autoclass, java_home, run_java_main
from .analyzer import Analyzer

FIELD = "contents"
_LOCK_FILE = "write.lock"


def check_available() -> str:
    """The Anserini jar's name; `BackendUnavailableError` when Anserini (pyserini) or Java is missing."""
    jar = anserini_jar()
    java_home()
    return jar.name


def build_lucene_index(
    folder: Path, documents: Iterable[tuple[str, str]], analyzer: Analyzer, *, threads: int | None = None
) -> list[str]:
    """Index ``(id, text)`` pairs into the new folder ``folder``; returns its files (relative names).

    Texts with no characters but spaces are skipped, as Anserini skips them (they have no terms).
    """
    collection = folder.parent / f".{folder.name}-collection"
    collection.mkdir()
    try:
        with open(collection / "docs.jsonl", "w", encoding="utf-8") as out:
            for doc_id, text in documents:
                out.write(json.dumps({"id": doc_id, FIELD: text}, ensure_ascii=False) + "\n")
        n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
        args = ["-collection", "JsonCollection", "-generator", "DefaultLuceneDocumentGenerator"]
        args += ["-input", str(collection), "-index", str(folder), "-threads", str(n_threads), "-optimize"]
        args += ["-stemmer", analyzer.stemmer] + (["-keepStopwords"] if analyzer.stopwords == "none" else [])
        run_java_main("io.anserini.index.IndexCollection", args, collection / "indexing.log")
    finally:
        for path in collection.iterdir():
            path.unlink()
        collection.rmdir()
    (folder / _LOCK_FILE).unlink(missing_ok=True)
    return sorted(path.name for path in folder.iterdir())


class LuceneBM25Searcher:
    """Anserini's ``SimpleSearcher`` on one BM25 index, with ``k1``, ``b`` and the analyzer it was built with.

    Calls from several Python threads are served one at a time (`search_batch` runs in parallel in Java).
    """

    def __init__(self, folder: Path, k1: float, b: float, analyzer: Analyzer) -> None:
        self._searcher = autoclass("io.anserini.search.SimpleSearcher")(str(folder.resolve()))
        self._searcher.set_bm25(float(k1), float(b))
        if analyzer != Analyzer():
            english = autoclass("io.anserini.analysis.DefaultEnglishAnalyzer")
            self._searcher.set_analyzer(english.fromArguments(analyzer.stemmer, analyzer.stopwords == "none", None))
        self._size = int(self._searcher.get_total_num_docs())
        self._array_list = autoclass("java.util.ArrayList")
        self._boolean_query = autoclass("org.apache.lucene.search.BooleanQuery$Builder")
        self._boost_query = autoclass("org.apache.lucene.search.BoostQuery")
        self._term_query = autoclass("org.apache.lucene.search.TermQuery")
        self._term = autoclass("org.apache.lucene.index.Term")
        self._should = autoclass("org.apache.lucene.search.BooleanClause$Occur").SHOULD
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Anserini's top-``k`` ``(doc id, score)`` for the text ``query``."""
        if not self._size:
            return []
        with self._lock:
            return _pairs(self._searcher.search(query, min(k, self._size)))

    def search_batch(self, queries: list[str], k: int, threads: int | None = None) -> list[list[tuple[str, float]]]:
        """`search` for many queries, run by Anserini's own thread pool."""
        if not self._size or not queries:
            return [[] for _ in queries]
        texts, ids = self._array_list(), self._array_list()
        for i, query in enumerate(queries):
            texts.add(query)
            ids.add(str(i))
        workers = max(1, min(threads or os.cpu_count() or 1, 8))
        with self._lock:
            found = self._searcher.batch_search(texts, ids, min(k, self._size), workers)
            return [_pairs(found.get(str(i))) for i in range(len(queries))]

    def search_terms(self, counts: Mapping[str, float], k: int) -> list[tuple[str, float]]:
        """Top-``k`` for an analyzed query: ``{term: count}``, scored as Anserini's bag-of-words query scores it."""
        if not self._size or not counts:
            return []
        with self._lock:
            return self._search_query(counts, k)

    def _search_query(self, counts: Mapping[str, float], k: int) -> list[tuple[str, float]]:
        builder = self._boolean_query()
        for term, count in counts.items():
            clause = self._term_query(self._term(FIELD, term))
            if count != 1:
                clause = self._boost_query(clause, float(count))
            builder.add(clause, self._should)
        return _pairs(self._searcher.search(builder.build(), min(k, self._size)))

    def close(self) -> None:
        """Release the index files."""
        with self._lock:
            self._searcher.close()


def _pairs(hits: Any) -> list[tuple[str, float]]:
    return [(hit.docid, float(hit.score)) for hit in hits] if hits is not None else []
