"""Build a BM25 index: an ordinary csr index of BM25 weights, plus Anserini's own index for the Lucene implementation.

The index folder is a normal splade-search index (generations, manifest, checksums; `SparseIndex.open`
reads it): its postings are the corpus's BM25 document weights (`BM25Encoder`), its stored documents
the corpus, and the model it keeps (``model/``, see `indexes.layout`) is the fitted ``bm25.json``.
With the ``"lucene"`` implementation that model folder also holds ``lucene/``, an Anserini index of
the same texts, so the Lucene index is published, checksummed and pinned with its generation.
The manifest's metadata says ``"model": "bm25"`` and records the implementation, ``k1``, ``b`` and
the analyzer. Documents' metadata are stored as the index's fields (for filters and hits).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..data.documents import Document
from ..errors import BackendUnavailableError, InputError
from ..indexes import build_index
from ..indexes.generations import check_writable
from ..indexes.lock import WriteLock
from ..progress import progress_bar, progress_note
from .analyzer import Analyzer
from .encoder import DEFAULT_B, DEFAULT_K1, BM25Encoder
from .marker import MODEL_NAME

IMPLEMENTATIONS = ("auto", "lucene", "inprocess")
LUCENE_FOLDER = "lucene"


def resolve_implementation(implementation: str) -> str:
    """``"lucene"`` or ``"inprocess"``: ``"auto"`` is Lucene when Anserini and Java are installed."""
    if implementation not in IMPLEMENTATIONS:
        raise InputError(f"unknown BM25 implementation {implementation!r}; choose one of {', '.join(IMPLEMENTATIONS)}")
    if implementation != "auto":
        return implementation
    try:
        from .lucene import check_available

        check_available()
    except BackendUnavailableError:
        return "inprocess"
    return "lucene"


def index_bm25(
    documents: Iterable[Document],
    path: str | Path,
    *,
    implementation: str = "auto",
    k1: float = DEFAULT_K1,
    b: float = DEFAULT_B,
    analyzer: Analyzer | None = None,
    threads: int | None = None,
    show_progress: bool = True,
    force: bool = False,
    lock_timeout: float = 0.0,
) -> Any:
    """Index ``documents`` (title and text in one field, as BEIR's flat indexes) with BM25 at ``path``.

    ``implementation``: ``"lucene"`` (Anserini; needs ``splade-search[lucene]``), ``"inprocess"``
    (no Java) or ``"auto"``. ``threads``: Anserini's indexing threads. ``force``, ``lock_timeout``:
    see `SparseIndex.build`. The report's encode time is the analysis and BM25 weighting, its build
    time the csr index plus, for Lucene, Anserini's indexing. Returns an `IndexingReport`.
    """
    from ..indexes.fields import flatten
    from ..retrieval.indexing import IndexingReport
    from ..retrieval.rows import document_text

    path = Path(path)
    chosen = resolve_implementation(implementation)
    analyzer = analyzer or Analyzer()
    anserini = None
    if chosen == "lucene":
        from .lucene import check_available

        anserini = check_available()  # fail before reading the corpus when Java is missing
    check_writable(path, force, verify=False)  # verified under the lock
    with WriteLock(path, lock_timeout):
        check_writable(path, force)
        start = time.perf_counter()
        docs = _checked(documents)
        texts = [document_text(doc) for doc in docs]
        encoder, weights = BM25Encoder.fit_encode(_progress(texts, show_progress), k1=k1, b=b, analyzer=analyzer)
        encode_seconds = time.perf_counter() - start
        start = time.perf_counter()
        settings = {"implementation": chosen, "k1": encoder.k1, "b": encoder.b, "analyzer": analyzer.to_dict()}
        metadata = {"model": MODEL_NAME, "similarity": "dot", MODEL_NAME: {**settings, "anserini": anserini}}
        with tempfile.TemporaryDirectory(prefix=f".{path.name}.bm25-", dir=path.parent) as scratch:
            model_folder = Path(scratch) / "model"
            encoder.save(model_folder)
            if chosen == "lucene":
                from .lucene import build_lucene_index

                progress_note(f"building the Lucene BM25 index with {anserini}", show_progress)
                build_lucene_index(model_folder / LUCENE_FOLDER, zip((d.id for d in docs), texts), analyzer, threads=threads)
            index = build_index(
                path,
                [([d.id for d in docs], weights)],
                encoder.vocabulary,
                backend="csr",
                metadata=metadata,
                documents=((d.id, d.title, d.text) for d in docs),
                show_progress=False,
                model=model_folder,
                fields=_fields(docs, flatten),
                force=force,
            )
            shutil.rmtree(model_folder)
        build_seconds = time.perf_counter() - start
    return IndexingReport(index, len(docs), 0, encode_seconds, build_seconds)


def _fields(docs: list[Document], flatten: Any) -> list[dict[str, Any]] | None:
    """The documents' metadata records for the index (filters, hits), or ``None`` when none has any."""
    records = [flatten(doc.metadata) for doc in docs]
    return records if any(records) else None


def _checked(documents: Iterable[Document]) -> list[Document]:
    docs = list(documents)
    if not docs:
        raise InputError("the corpus has no documents to index")
    seen: set[str] = set()
    for doc in docs:
        if not isinstance(doc, Document):
            raise InputError(f"BM25 indexes Document records, got {type(doc).__name__}")
        if doc.id in seen:
            raise InputError(f"the document id {doc.id!r} appears twice; ids must be unique")
        seen.add(doc.id)
    return docs


def _progress(texts: list[str], enabled: bool) -> Iterator[str]:
    """``texts``, one at a time, advancing the package's progress bar."""
    with progress_bar("Analyzing", total=len(texts), enabled=enabled) as advance:
        for text in texts:
            yield text
            advance(1)
