"""Data readers: corpora of any shape as a stream of documents, BEIR and NanoBEIR benchmarks, TREC files.

Every reader raises :class:`~splade_search.errors.DataFormatError` for input it cannot read (the
message names file, line and field) and reports input it skips with a :class:`DataWarning`
(``warnings.warn``), never silently. Optional heavy packages (``datasets``, ``pyarrow``) are
imported only by the functions that need them.
"""

from __future__ import annotations

from .beir import BeirData, beir_splits, load_beir, read_queries
from .corpus import CorpusKind, count_documents, detect_kind, read_corpus, read_rows
from .documents import Document
from .nanobeir import NANOBEIR_DATASETS, load_nanobeir, nanobeir_name
from .problems import DataWarning
from .queries import read_query_file
from .trec import Qrels, Run, read_qrels, read_run, write_qrels, write_run

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
