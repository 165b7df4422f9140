"""The query side of an inference-free SPLADE model in numpy: no torch, no transformers.

A query vector of such a model is ``presence(token) * weight[token]`` (``SparseStaticEmbedding``):
`InferenceFreeQueryEncoder` reads the weights with ``safetensors.numpy`` (or from the folder's
``idf.json``), tokenizes with `folder_tokenizer`, and gives the CSR rows ``SparseRetriever`` searches
with (`encode_query_rows`), equal to what ``SparseEncoder.encode_query`` gives. It also hands the model's tensors to the index's
fingerprint check (`state_items`), the document encoder's included, read from the same files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ModelFormatError
from .bag_of_words import csr_rows, term_weights
from .folder_layout import STATIC_PREFIX, WEIGHTS_NAME, Layout, mlm_state, read_json_or_none
from .folder_tokenizer import FolderTokenizer, load_folder_tokenizer, same_tokenizer_files

_MAX_LENGTH_FALLBACK = 512  # SparseStaticEmbedding's length when the tokenizer sets none


class InferenceFreeQueryEncoder:
    """Encodes queries as an inference-free SparseEncoder's ``encode_query`` does, and offers what a retriever reads."""

    def __init__(
        self,
        name: str,
        layout: Layout,
        query_tokenizer: FolderTokenizer,
        weight: np.ndarray,
        tokenizer: FolderTokenizer,
        document_state: dict[str, np.ndarray],
    ) -> None:
        self.model_name_or_path = name
        self.similarity_fn_name = layout.similarity
        self.tokenizer = tokenizer
        self._layout = layout
        self._query_tokenizer = query_tokenizer
        self._weight = weight
        self._document_state = document_state
        length = query_tokenizer.model_max_length
        self.max_seq_length = length if length < 1_000_000 else _MAX_LENGTH_FALLBACK

    @classmethod
    def load(cls, name: str, layout: Layout) -> "InferenceFreeQueryEncoder | None":
        """The encoder of an inference-free ``layout``; None when its files are not ones this reproduces."""
        from safetensors.numpy import load_file

        query_tokenizer = load_folder_tokenizer(str(layout.static))
        shared = same_tokenizer_files(str(layout.static), layout.tokenizer_folder)
        tokenizer = query_tokenizer if shared else load_folder_tokenizer(layout.tokenizer_folder)
        if query_tokenizer is None or tokenizer is None:
            return None
        weight = _idf_weights(layout.idf, query_tokenizer) if layout.idf else load_file(os.path.join(str(layout.static), WEIGHTS_NAME)).get("weight")
        if weight is None or weight.ndim != 1 or len(query_tokenizer) > len(weight):
            return None
        weight = weight.astype(np.float32)
        document = mlm_state(load_file(os.path.join(layout.mlm, WEIGHTS_NAME)), layout.architecture)
        if document is None or not np.isfinite(weight).all() or len(weight) != layout.vocab_size:
            return None
        return cls(name, layout, query_tokenizer, weight, tokenizer, document)

    def get_sentence_embedding_dimension(self) -> int:
        return len(self._weight)

    def encode_query_rows(self, queries: list[str]) -> Any:
        """The query vectors as a float32 scipy CSR matrix, one row per query (prompt, strip, tokenize, look up)."""
        texts = [(self._layout.query_prompt + q).strip() for q in queries]
        ids = self._query_tokenizer.encode_ids(texts, self.max_seq_length)
        found = term_weights(ids, self._weight)
        if found is None:
            raise ModelFormatError(f"{self._layout.static}: a query token has no weight; the tokenizer does not fit the weights")
        return csr_rows(*found, len(queries), len(self._weight))

    def state_items(self) -> Iterator[tuple[str, str, tuple[int, ...], Any]]:
        """``(name, torch dtype name, shape, bytes)`` of every tensor of the SparseEncoder's state dict."""
        yield _item(STATIC_PREFIX + "weight", self._weight)
        prefix = self._layout.mlm_prefix + "auto_model."
        for key, array in self._document_state.items():
            yield _item(prefix + key, array)


def _idf_weights(path: str, tokenizer: FolderTokenizer) -> np.ndarray | None:
    """``SparseStaticEmbedding.from_json``'s weights: each vocabulary token's value in the ``{token: weight}`` file, else 0."""
    idf = read_json_or_none(path)
    if idf is None:
        return None
    vocab = tokenizer.get_vocab()
    weight = np.zeros(len(tokenizer), dtype=np.float32)
    for token, value in idf.items():
        if token in vocab and vocab[token] < len(weight):
            weight[vocab[token]] = float(value)
    return weight


def _item(name: str, array: np.ndarray) -> tuple[str, str, tuple[int, ...], Any]:
    contiguous = np.ascontiguousarray(array)
    return name, f"torch.{contiguous.dtype.name}", tuple(contiguous.shape), contiguous.reshape(-1).view(np.uint8)
