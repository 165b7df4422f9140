"""Rerankers: rescore the top hits of any retriever with a stronger model; a reranker is a retriever too.

- `CrossEncoderReranker`: a ``*ForSequenceClassification`` model (a local folder or a hub id)
  reads each (query, document) pair; loaded with ``trust_remote_code=False`` and safetensors only.
- `BiEncoderReranker`: a dense (`DenseEncoder`) or sparse (`SparseEncoder`) model encodes the query
  and the hits' texts and scores them by its similarity (e.g. a sparse first stage rescored densely).

A reranker asks its first stage for ``max(depth, k)`` hits, rescores all of them and returns the
best ``k``; every hit keeps the first stage's rank and score in ``legs`` under the first stage's
name (and the legs the first stage recorded). Hits need their text: build indexes with documents.
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, ModelFormatError
from .hits import Hit, LegResult, Retriever, check_k, supports

DEFAULT_RERANK_DEPTH = 100


class Reranker(Retriever):
    """Rescore the top ``depth`` hits of ``first_stage`` with `score`."""

    name = "rerank"

    def __init__(self, first_stage: Retriever, depth: int = DEFAULT_RERANK_DEPTH) -> None:
        if not isinstance(first_stage, Retriever):
            raise InputError(f"a reranker wraps a Retriever, got {type(first_stage).__name__}")
        self.first_stage = first_stage
        self.depth = check_k(depth)

    @abstractmethod
    def score(self, query: str, texts: list[str]) -> np.ndarray:
        """One relevance score per text for ``query`` (higher is better)."""

    def search_batch(self, queries: list[str], k: int = 10, *, explain: bool = False) -> list[list[Hit]]:
        """The best ``k`` of the first stage's top ``max(depth, k)``; ``explain`` goes to a first stage that can explain."""
        options = {"explain": True} if explain and supports(self.first_stage, "explain") else {}
        candidates = self.first_stage.search_batch(queries, max(self.depth, k), **options)
        return [self.rerank(query, hits)[:k] for query, hits in zip(queries, candidates)]

    def over(self, first_stage: Retriever) -> Reranker:
        """This reranker (the same loaded model, the same depth) on another first stage."""
        if not isinstance(first_stage, Retriever):
            raise InputError(f"a reranker wraps a Retriever, got {type(first_stage).__name__}")
        other = copy.copy(self)
        other.first_stage = first_stage
        return other

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """``hits`` reordered by `score` (ties keep the first stage's order), first-stage rank/score in ``legs``."""
        if not hits:
            return []
        texts = [hit_text(hit) for hit in hits]
        scores = np.asarray(self.score(query, texts), dtype=np.float64)
        stage = getattr(self.first_stage, "name", "first_stage")
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        return [
            replace(hits[i], score=float(scores[i]), rank=rank, legs={**hits[i].legs, stage: LegResult(hits[i].rank, float(hits[i].score))})
            for rank, i in enumerate(order, start=1)
        ]


def hit_text(hit: Hit) -> str:
    """The text a model reads for a hit: title and body, BEIR-style; `InputError` when the hit has none."""
    if not hit.title and not hit.text:
        raise InputError(f"hit {hit.id!r} has no stored text to rerank; build the index with its documents")
    return f"{hit.title} {hit.text}".strip() if hit.title else hit.text


class CrossEncoderReranker(Reranker):
    """Rescore with a sequence-classification model reading ``(query, document)`` pairs.

    One output label: its logit is the score; two labels: the log-odds of the second ("relevant").
    """

    name = "cross-encoder"

    def __init__(
        self,
        first_stage: Retriever,
        model_name_or_path: str,
        *,
        depth: int = DEFAULT_RERANK_DEPTH,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str | None = None,
        local_files_only: bool = False,
    ) -> None:
        super().__init__(first_stage, depth)
        self.model, self.tokenizer = load_cross_encoder(model_name_or_path, local_files_only=local_files_only)
        limit = self.tokenizer.model_max_length if isinstance(self.tokenizer.model_max_length, int) else 512
        self.max_length = min(max_length or 512, limit, getattr(self.model.config, "max_position_embeddings", 512) or 512)
        self.batch_size = check_k(batch_size)
        self.model_name_or_path = model_name_or_path
        if device:
            self.model.to(device)

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        import torch

        scores = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            features = self.tokenizer(
                [query] * len(chunk), chunk, padding=True, truncation="longest_first", max_length=self.max_length, return_tensors="pt"
            )
            features = {name: tensor.to(self.model.device) for name, tensor in features.items()}
            with torch.inference_mode():
                logits = self.model(**features).logits.float()
            scores.append((logits[:, 0] if logits.shape[1] == 1 else logits[:, 1] - logits[:, 0]).cpu().numpy())
        return np.concatenate(scores)


def load_cross_encoder(model_name_or_path: str, *, local_files_only: bool = False) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a ``*ForSequenceClassification`` folder or hub id with 1 or 2 labels.

    Never runs the folder's code and never unpickles: ``trust_remote_code=False``, safetensors only.
    """
    import transformers

    from ..hub import resolve_model_path
    from ..modules.base import read_json
    from ..modules.hf_text import check_tokenizer, refuse_pickled_only

    path = resolve_model_path(model_name_or_path, local_files_only=local_files_only)
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        raise ModelFormatError(f"{path} has no config.json: a cross-encoder is a Hugging Face *ForSequenceClassification folder")
    architectures = read_json(str(config_file)).get("architectures") or []
    if not isinstance(architectures, list) or not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise ModelFormatError(f"{config_file}: architectures {architectures!r} name no *ForSequenceClassification model; it is not a cross-encoder")
    refuse_pickled_only(str(path))
    try:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(str(path), use_safetensors=True, trust_remote_code=False)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise ModelFormatError(f"{path} cannot be loaded as a cross-encoder ({type(exc).__name__}: {detail})") from exc
    check_tokenizer(tokenizer, str(path), model)
    if model.config.num_labels not in (1, 2):
        raise ModelFormatError(f"{config_file}: a cross-encoder has 1 or 2 labels, this model has {model.config.num_labels}")
    return model.eval(), tokenizer


class BiEncoderReranker(Reranker):
    """Rescore with a bi-encoder: a `DenseEncoder` (its similarity) or a `SparseEncoder` (dot product)."""

    name = "bi-encoder"

    def __init__(self, first_stage: Retriever, model: Any, *, depth: int = DEFAULT_RERANK_DEPTH, batch_size: int = 32) -> None:
        super().__init__(first_stage, depth)
        if not hasattr(model, "encode_query") or not hasattr(model, "encode_document"):
            raise InputError(f"a bi-encoder reranker needs a DenseEncoder or SparseEncoder, got {type(model).__name__}")
        self.model, self.batch_size = model, check_k(batch_size)

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        from ..dense import DenseEncoder

        if isinstance(self.model, DenseEncoder):
            queries = self.model.encode_query([query], batch_size=self.batch_size)
            return self.model.encode_document(texts, batch_size=self.batch_size) @ queries[0]
        from ..sparse import to_scipy_csr
        from .vocabulary import prepare_rows, score_space

        space = score_space(self.model)
        queries = prepare_rows(to_scipy_csr(self.model.encode_query([query], convert_to_sparse_tensor=True, save_to_cpu=True)), space)
        docs = self.model.encode_document(texts, batch_size=self.batch_size, convert_to_sparse_tensor=True, save_to_cpu=True)
        docs = prepare_rows(to_scipy_csr(docs), space)
        return np.asarray((docs @ queries.T).todense()).ravel()
