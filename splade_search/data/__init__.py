"""Data readers: corpora of any shape as a stream of documents, BEIR and NanoBEIR benchmarks, TREC files.

Every reader raises :class:`~splade_search.errors.DataFormatError` for input it cannot read (the
message names file, line and field) and reports input it skips with a :class:`DataWarning`
(``warnings.warn``), never silently. Optional heavy packages (``datasets``, ``pyarrow``) are
imported only by the functions that need them; the names here load on first use.
"""

from __future__ import annotations

from .._alias import lazy_names

_LAZY = {
    "BeirData": ".beir",
    "beir_splits": ".beir",
    "load_beir": ".beir",
    "read_queries": ".beir",
    "CorpusKind": ".corpus",
    "count_documents": ".corpus",
    "detect_kind": ".corpus",
    "read_corpus": ".corpus",
    "read_rows": ".corpus",
    "Document": ".documents",
    "NANOBEIR_DATASETS": ".nanobeir",
    "load_nanobeir": ".nanobeir",
    "nanobeir_name": ".nanobeir",
    "DataWarning": ".problems",
    "read_query_file": ".queries",
    "Qrels": ".trec",
    "Run": ".trec",
    "read_qrels": ".trec",
    "read_run": ".trec",
    "write_qrels": ".trec",
    "write_run": ".trec",
}

__all__ = [
    "NANOBEIR_DATASETS",
    "BeirData",
    "CorpusKind",
    "DataWarning",
    "Document",
    "Qrels",
    "Run",
    "beir_splits",
    "count_documents",
    "detect_kind",
    "load_beir",
    "load_nanobeir",
    "nanobeir_name",
    "read_corpus",
    "read_qrels",
    "read_queries",
    "read_query_file",
    "read_rows",
    "read_run",
    "write_qrels",
    "write_run",
]

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
