"""A deterministic stand-in encoder for evaluator tests: bag of words over a fixed vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from splade_search.similarity import similarity_functions
from splade_search.sparse import sparsity

VOCAB = "apple banana cherry date elder fig grape honey ice jam kiwi lime mango nut olive pear".split()


class StubEncoder:
    """Each known word adds its count on its own dimension; queries and documents are encoded alike."""

    def __init__(self, similarity_fn_name: str = "dot", vocab: list[str] = VOCAB) -> None:
        self.similarity_fn_name = similarity_fn_name
        self.vocab = {word: i for i, word in enumerate(vocab)}
        self.calls: list[tuple[str | None, int]] = []

    def vector(self, text: str) -> torch.Tensor:
        row = torch.zeros(len(self.vocab))
        for word in text.lower().split():
            if word in self.vocab:
                row[self.vocab[word]] += 1.0
        return row

    def encode(self, sentences: Any, convert_to_sparse_tensor: bool = True, task: str | None = None, **_: Any) -> torch.Tensor:
        texts = [sentences] if isinstance(sentences, str) else list(sentences)
        self.calls.append((task, len(texts)))
        dense = torch.stack([self.vector(text) for text in texts]) if texts else torch.zeros(0, len(self.vocab))
        return dense.to_sparse() if convert_to_sparse_tensor else dense

    def encode_query(self, sentences: Any, **kwargs: Any) -> torch.Tensor:
        return self.encode(sentences, task="query", **kwargs)

    def encode_document(self, sentences: Any, **kwargs: Any) -> torch.Tensor:
        return self.encode(sentences, task="document", **kwargs)

    def similarity(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return similarity_functions(self.similarity_fn_name)[0](a, b)

    @staticmethod
    def sparsity(embeddings: torch.Tensor) -> dict[str, float]:
        return sparsity(embeddings)


def write_beir(folder: Path, corpus: dict[str, str], queries: dict[str, str], qrels: dict[str, dict[str, int]], split: str = "test") -> Path:
    """A BEIR folder with the given texts and judgements."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"_id": i, "title": "", "text": t}) + "\n" for i, t in corpus.items())
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"_id": i, "text": t}) + "\n" for i, t in queries.items())
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{g}" for q, docs in qrels.items() for d, g in docs.items()]
    (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
