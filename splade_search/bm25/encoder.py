"""`BM25Encoder`: BM25 as sparse vectors over a vocabulary fitted to a corpus.

Fitting reads a corpus once and keeps what BM25 needs: the analyzer settings, ``k1`` and ``b``, the
vocabulary with each term's document frequency, the number of documents ``N`` and their mean length
``avgdl``. Documents then encode to their BM25 term weights (`scoring.document_weights`) and queries
to their term counts, so that a query's BM25 score for a document is the dot product of the two:
a BM25 index is an ordinary sparse index. Saved as one plain JSON file, ``bm25.json``::

    {"format": "splade-search-bm25", "format_version": 1,
     "analyzer": {"name": "anserini-default-english", "stemmer": "porter", "stopwords": "english"},
     "k1": 0.9, "b": 0.4, "N": 5183, "avgdl": 147.3,
     "df": {"0": 12, "1": 57, ...}}

The keys of ``df`` are the vocabulary, in column order.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError, ModelFormatError
from .analyzer import Analyzer
from .scoring import document_weights, idf as lucene_idf

FILE_NAME = "bm25.json"
FORMAT = "splade-search-bm25"
FORMAT_VERSION = 1
DEFAULT_K1, DEFAULT_B = 0.9, 0.4  # Anserini's defaults


@dataclass(frozen=True, eq=False)
class BM25Encoder:
    """BM25 statistics of a corpus; encodes documents to BM25 weights and queries to term counts."""

    vocabulary: list[str]
    df: np.ndarray
    num_docs: int
    avgdl: float
    k1: float = DEFAULT_K1
    b: float = DEFAULT_B
    analyzer: Analyzer = field(default_factory=Analyzer)

    def __post_init__(self) -> None:
        check_parameters(self.k1, self.b)
        if len(self.df) != len(self.vocabulary):
            raise InputError(f"{len(self.vocabulary)} vocabulary terms but {len(self.df)} document frequencies")
        object.__setattr__(self, "_columns", {term: i for i, term in enumerate(self.vocabulary)})
        object.__setattr__(self, "_idf", lucene_idf(self.df, self.num_docs))

    @classmethod
    def fit(
        cls, texts: Iterable[str], *, k1: float = DEFAULT_K1, b: float = DEFAULT_B, analyzer: Analyzer | None = None
    ) -> BM25Encoder:
        """Fit to the corpus ``texts`` (see `fit_encode`)."""
        return cls.fit_encode(texts, k1=k1, b=b, analyzer=analyzer)[0]

    @classmethod
    def fit_encode(
        cls, texts: Iterable[str], *, k1: float = DEFAULT_K1, b: float = DEFAULT_B, analyzer: Analyzer | None = None
    ) -> tuple[BM25Encoder, sp.csr_matrix]:
        """Fit to the corpus ``texts`` and return the encoder with the BM25 weights of those texts (one row each).

        Raises `InputError` when no text has a term (empty, or only stop words).
        """
        check_parameters(k1, b)
        analyzer = analyzer or Analyzer()
        columns: dict[str, int] = {}
        counts = _count_terms(texts, analyzer, columns, grow=True)
        if not columns:
            raise InputError("the corpus has no terms to index (every document is empty or only stop words)")
        order = sorted(columns, key=columns.__getitem__)
        by_term = np.argsort(np.array(order, dtype=object))
        counts = counts[:, by_term].tocsr()
        counts.sort_indices()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        num_docs = int(np.count_nonzero(lengths))
        df = np.bincount(counts.indices, minlength=len(order)).astype(np.int64)
        encoder = cls(sorted(order), df, num_docs, float(lengths.sum()) / num_docs, float(k1), float(b), analyzer)
        return encoder, encoder.weights(counts)

    @property
    def idf(self) -> np.ndarray:
        """Lucene's BM25 idf of each vocabulary term (float32)."""
        return self._idf  # type: ignore[attr-defined]

    def term_counts(self, texts: Iterable[str]) -> sp.csr_matrix:
        """How often each vocabulary term occurs in each text (terms outside the vocabulary are dropped)."""
        return _count_terms(texts, self.analyzer, self._columns, grow=False)  # type: ignore[attr-defined]

    def weights(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """BM25 document weights from `term_counts` rows, with this corpus's statistics."""
        return document_weights(counts, self.idf, self.avgdl, self.k1, self.b)

    def encode_documents(self, texts: Iterable[str]) -> sp.csr_matrix:
        """BM25 weights of documents (float32 CSR, one row per text, one column per vocabulary term)."""
        return self.weights(self.term_counts(texts))

    def encode_queries(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Query vectors: each term's count in the query (Anserini's bag-of-words query), float32 CSR."""
        return self.term_counts(texts)

    def to_dict(self) -> dict[str, Any]:
        """The plain-JSON form written to ``bm25.json``."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "analyzer": self.analyzer.to_dict(),
            "k1": self.k1,
            "b": self.b,
            "N": self.num_docs,
            "avgdl": self.avgdl,
            "df": dict(zip(self.vocabulary, self.df.tolist(), strict=True)),
        }

    def save(self, folder: str | Path) -> Path:
        """Write ``bm25.json`` into ``folder`` (created if missing); returns the file's path."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        path = target / FILE_NAME
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> BM25Encoder:
        """Read a ``bm25.json`` (or the folder holding one); `ModelFormatError` names what is wrong."""
        source = Path(path)
        if source.is_dir():
            source = source / FILE_NAME
        try:
            data = json.loads(source.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
        except FileNotFoundError:
            raise ModelFormatError(f"{source} does not exist; a BM25 model folder holds {FILE_NAME}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelFormatError(f"{source} is not a readable BM25 JSON file ({exc})") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: Any = "the BM25 settings") -> BM25Encoder:
        """The encoder ``data`` describes (as `to_dict` writes it); `ModelFormatError` names a bad field."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelFormatError(f"{source} is not a BM25 model (its 'format' must be {FORMAT!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ModelFormatError(f"{source} has format_version {data.get('format_version')!r}; this version reads {FORMAT_VERSION}")
        num_docs, avgdl, df = data.get("N"), data.get("avgdl"), data.get("df")
        if not _is_int(num_docs) or num_docs < 1:
            raise ModelFormatError(f"{source}: 'N' must be a positive integer (documents with at least one term)")
        if not _is_number(avgdl) or not 0 < avgdl < math.inf:
            raise ModelFormatError(f"{source}: 'avgdl' must be a positive number (mean document length in terms)")
        if not isinstance(df, dict) or not df:
            raise ModelFormatError(f"{source}: 'df' must map every vocabulary term to its document frequency")
        bad = next((t for t, n in df.items() if not t or not _is_int(n) or not 1 <= n <= num_docs), None)
        if bad is not None:
            raise ModelFormatError(f"{source}: 'df' of {bad!r} must be an integer from 1 to N ({num_docs})")
        try:
            analyzer = Analyzer.from_dict(data.get("analyzer") or {})
            k1, b = data.get("k1", DEFAULT_K1), data.get("b", DEFAULT_B)
            return cls(list(df), np.array(list(df.values()), dtype=np.int64), num_docs, float(avgdl), k1, b, analyzer)
        except InputError as exc:
            raise ModelFormatError(f"{source}: {exc}") from None


def check_parameters(k1: Any, b: Any) -> None:
    """Raise `InputError` unless ``k1 >= 0`` and ``0 <= b <= 1`` are numbers."""
    if not _is_number(k1) or not 0 <= k1 < math.inf:
        raise InputError(f"BM25 k1 must be a number >= 0, got {k1!r}")
    if not _is_number(b) or not 0 <= b <= 1:
        raise InputError(f"BM25 b must be a number from 0 to 1, got {b!r}")


def _count_terms(texts: Iterable[str], analyzer: Analyzer, columns: dict[str, int], *, grow: bool) -> sp.csr_matrix:
    """Term-count rows of ``texts`` over ``columns`` (new terms get new columns when ``grow``)."""
    indptr, indices, data = [0], [], []
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"BM25 encodes strings, got {type(text).__name__}")
        row = Counter(analyzer(text))
        if grow:
            for term in row:
                columns.setdefault(term, len(columns))
        known = sorted((columns[t], n) for t, n in row.items() if t in columns)
        indices.extend(c for c, _ in known)
        data.extend(n for _, n in known)
        indptr.append(len(indices))
    shape = (len(indptr) - 1, max(len(columns), 1))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)), shape=shape
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"the key {duplicate!r} appears twice")
    return dict(pairs)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)

