"""How a chunk of documents becomes index rows: one row per document, or one row per passage.

Without passages a document is encoded whole (title and text) and cut at the model's length; the
documents that are cut are counted, so truncation is reported, never silent. With passages
(`passages.PassageSettings`) each document is split by the model's own tokenizer and every passage
(the title prepended) is encoded on its own; the spans say where each passage lies in the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data.documents import Document
from ..passages import PassageSettings, PassageSplitter, count_truncated, passage_texts
from ..sparse import to_scipy_csr
from .vocabulary import prepare_rows

Spans = list[list[tuple[int, int]]]


def document_text(doc: Document) -> str:
    """The text a document is encoded from: title and body, BEIR-style."""
    return f"{doc.title} {doc.text}".strip() if doc.title else doc.text


@dataclass
class EncodedChunk:
    """The rows of one chunk of documents, each document's passage spans (``None`` without passages),
    and how many documents the model's length cut (``None`` with passages)."""

    rows: sp.csr_matrix
    spans: Spans | None
    truncated: int | None


class RowEncoder:
    """Encodes chunks of documents into index rows with ``model`` (see the module docstring)."""

    def __init__(
        self,
        model: Any,
        space: str,
        *,
        batch_size: int = 32,
        max_active_dims: int | None = None,
        passages: PassageSettings | None = None,
    ) -> None:
        self.model = model
        self.space = space
        self.batch_size = batch_size
        self.max_active_dims = max_active_dims
        self.splitter = PassageSplitter.for_model(model, passages) if passages is not None else None

    def encode(self, docs: list[Document]) -> EncodedChunk:
        """The rows of ``docs``, in order."""
        if self.splitter is None:
            texts = [document_text(d) for d in docs]
            limit = self.model.max_seq_length
            truncated = count_truncated(texts, self.model.tokenizer, limit) if limit else 0
            return EncodedChunk(self._rows(texts), None, truncated)
        spans = [self.splitter.spans(d.text, d.title) for d in docs]
        texts = [text for d, doc_spans in zip(docs, spans) for text in passage_texts(d.title, d.text, doc_spans)]
        return EncodedChunk(self._rows(texts), spans, None)

    def _rows(self, texts: list[str]) -> sp.csr_matrix:
        vectors = self.model.encode_document(
            texts,
            batch_size=self.batch_size,
            max_active_dims=self.max_active_dims,
            convert_to_sparse_tensor=True,
            save_to_cpu=True,
        )
        return prepare_rows(to_scipy_csr(vectors), self.space)


def passage_parents(spans: Spans) -> np.ndarray:
    """The document number of each passage, given each document's spans in order."""
    return np.repeat(np.arange(len(spans), dtype=np.int64), [len(s) for s in spans])
