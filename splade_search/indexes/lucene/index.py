"""The Lucene backend: an Anserini impact index, built by Anserini's indexer and searched in-process.

Folder: the common files (see `layout`) plus ``lucene/``, a plain Anserini impact index that
pyserini's ``LuceneImpactSearcher`` can also open (its terms are spelled per `anserini.lucene_terms`).
Document and query weights are both stored as ``round(weight x scale)`` (default scale 100, as in
pyserini's SPLADE indexes), so a score is the integer dot product divided by ``scale**2``, exact for
those integers while the dot product stays below 2**24 (Lucene scores are float32).

Queries run through ``io.anserini.search.SimpleImpactSearcher`` via pyjnius: no pyserini import
(slow, needs workarounds), no idf filtering of query terms. Ties are re-ranked to the shared rule
(score descending, then document number ascending), fetching deeper when the k-th score is tied.
Needs ``pip install 'splade-search[lucene]'``; the JVM starts on first use.

Indexing time grows with the sum of the integer weights: Anserini's JsonVectorCollection expands
each ``term: n`` into ``n`` repeated tokens (about 55 s for 100k documents of 70 terms at scale 100
on 2 cores, against well under a second for the csr backend).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError, InputError
from ...progress import progress_note
from .anserini import impacts, lucene_terms, write_collection
from ..base import SparseIndex
from ..batches import Batch, read_batches
from .java import anserini_jar, autoclass, java_home, run_java_main
from ..layout import check_metadata, check_vocab, write_index_files
from ..fields import Records, field_columns
from ..passage_map import PassageMap
from ..generations import check_writable, new_generation
from ..lock import WriteLock
from ..topk import top_k

LUCENE_FOLDER = "lucene"
_FIELD = "contents"
_LOCK_FILE = "write.lock"


class LuceneIndex(SparseIndex):
    """Exact dot-product search on integer impacts with Lucene (Anserini)."""

    backend = "lucene"
    _threaded_search = False

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        super().__init__(root, folder, manifest, verify)
        scale = manifest.get("quantization", {}).get("scale")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale < float("inf"):
            raise IndexFormatError(f"{folder}/manifest.json lacks a positive quantization scale")
        self._scale = float(scale)
        self._terms = lucene_terms(self._vocab)
        self._numbers = {doc_id: number for number, doc_id in enumerate(self._doc_ids)}
        lucene_path = str((folder / LUCENE_FOLDER).resolve())
        self._searcher = autoclass("io.anserini.search.SimpleImpactSearcher")(lucene_path)
        self._reader = autoclass("org.apache.lucene.index.DirectoryReader").open(
            autoclass("org.apache.lucene.store.FSDirectory").open(autoclass("java.io.File")(lucene_path).toPath())
        )
        self._hash_map = autoclass("java.util.HashMap")
        self._integer = autoclass("java.lang.Integer")
        self._search_lock = threading.Lock()  # SimpleImpactSearcher is not safe for concurrent searches

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        vocab: list[str],
        *,
        metadata: dict[str, Any] | None = None,
        documents: Iterable[tuple[str, str, str]] | None = None,
        show_progress: bool = True,
        model: Any = None,
        fields: Records | None = None,
        passages: PassageMap | None = None,
        force: bool = False,
        lock_timeout: float = 0.0,
        scale: float = 100.0,
        threads: int | None = None,
        optimize: bool = True,
    ) -> LuceneIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, published as a new generation of the index there.

        ``scale``: weights are stored as ``round(weight x scale)``; ``threads``: indexing threads
        (default: CPU count, at most 8); ``optimize``: merge into one segment (faster search).
        Negative weights raise `InputError`. Other arguments as in `SparseIndex.build`.
        """
        vocab = check_vocab(vocab)
        metadata = check_metadata(metadata)
        if not scale > 0:
            raise InputError(f"scale must be positive, got {scale!r}")
        n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
        jar = anserini_jar()
        java_home()  # fail before consuming the batches when Java is missing
        check_writable(Path(path), force, verify=False)  # verified under the lock
        with WriteLock(path, lock_timeout), new_generation(Path(path), force=force) as tmp:
            collection = tmp / "collection"
            valid_batches = read_batches(batches, len(vocab), show_progress)
            doc_ids, postings = write_collection(collection, valid_batches, lucene_terms(vocab), scale, n_threads)
            progress_note(f"building the Lucene index with {jar.name} ({n_threads} threads)", show_progress)
            args = ["-collection", "JsonVectorCollection", "-generator", "DefaultLuceneDocumentGenerator"]
            args += ["-impact", "-pretokenized", "-input", str(collection), "-index", str(tmp / LUCENE_FOLDER)]
            args += ["-threads", str(n_threads), *(["-optimize"] if optimize else [])]
            run_java_main("io.anserini.index.IndexCollection", args, tmp / "indexing.log")
            shutil.rmtree(collection)
            (tmp / "indexing.log").unlink()
            (tmp / LUCENE_FOLDER / _LOCK_FILE).unlink(missing_ok=True)
            write_index_files(
                tmp,
                backend=cls.backend,
                doc_ids=doc_ids,
                vocab=vocab,
                metadata=metadata,
                num_postings=postings,
                quantization={"dtype": "int32", "scale": float(scale)},
                backend_files=[f"{LUCENE_FOLDER}/{f.name}" for f in (tmp / LUCENE_FOLDER).iterdir()],
                documents=documents,
                show_progress=show_progress,
                model=model,
                fields=field_columns(fields, passages.document_ids if passages is not None else doc_ids),
                passages=passages,
                anserini=jar.name,
            )
        return cls.open(path, verify=False)

    @classmethod
    def check_available(cls) -> None:
        anserini_jar()
        java_home()

    def _scored_weights(self, weights: np.ndarray) -> np.ndarray:
        return (impacts(weights, self._scale) / self._scale).astype(np.float32)

    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if weights.min() < 0:
            raise InputError("the lucene backend scores non-negative query weights only; use the csr backend")
        query = self._hash_map()
        for term, value in zip(terms.tolist(), impacts(weights, self._scale).tolist(), strict=True):
            if value:
                query.put(self._terms[term], self._integer(value))
        if query.isEmpty():
            return np.empty(0, np.int64), np.empty(0, np.float32)
        k = min(k, len(self))  # Lucene allocates its result heap for the depth asked: never beyond the index
        depth = min(k + 1, len(self))
        with self._search_lock:
            hits = self._searcher.search(query, depth)
            while len(hits) == depth < len(self) and hits[depth - 1].score == hits[k - 1].score:
                depth = min(depth * 2, len(self))
                hits = self._searcher.search(query, depth)
        numbers = np.array([self._numbers[hit.docid] for hit in hits], dtype=np.int64)
        scores = (np.array([hit.score for hit in hits], dtype=np.float64) / self._scale**2).astype(np.float32)
        return top_k(numbers, scores, k)

    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        reader = self._reader
        lucene_doc = autoclass("io.anserini.index.IndexReaderUtils").convertDocidToLuceneDocid(
            reader, self._doc_ids[doc_number]
        )
        multi_terms = autoclass("org.apache.lucene.index.MultiTerms")
        bytes_ref = autoclass("org.apache.lucene.util.BytesRef")
        found = np.zeros(len(terms), dtype=np.float32)
        if lucene_doc < 0:
            return found
        for i, term in enumerate(terms.tolist()):
            postings = multi_terms.getTermPostingsEnum(reader, _FIELD, bytes_ref(self._terms[term].encode("utf-8")))
            if postings is not None and postings.advance(lucene_doc) == lucene_doc:
                found[i] = postings.freq() / self._scale
        return found

