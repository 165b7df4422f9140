"""Hard-negative mining and teacher scoring for distillation data.

``mine_hard_negatives`` retrieves the top-k documents of every (query, positive) pair from a sparse
index (an existing one, or one built on the fly from a model and a corpus), drops the positives and,
optionally, the first few ranks (likely unjudged positives), and keeps ``n_negatives`` per query.
A teacher (``SparseTeacher``, ``DenseTeacher`` or ``CrossEncoderTeacher``) then scores
``[positive, negative_1, ...]`` so every row carries ``label = [s_pos, s_neg1, ...]``: the
``[batch, n+1]`` labels ``SparseMarginMSELoss`` and ``SparseDistillKLDivLoss`` take.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from ..errors import InputError

TEACHER_KINDS = ("sparse", "dense", "cross-encoder")


@dataclass
class MinedRow:
    """One training row: a query, its positive, the mined negatives and (once scored) teacher scores."""

    query: str
    positive: str
    negatives: list[str]
    label: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{query, positive, negative_1..n, label}`` (the JSONL layout ``splade-search train`` reads)."""
        row: dict[str, Any] = {"query": self.query, "positive": self.positive}
        row.update({f"negative_{i}": text for i, text in enumerate(self.negatives, start=1)})
        if self.label is not None:
            row["label"] = self.label
        return row


class Teacher(Protocol):
    """Scores one query against several documents."""

    def score(self, query: str, documents: list[str]) -> list[float]: ...


def normalize_text(text: str) -> str:
    """Lower-cased letters and digits only: ``"Title. Body"`` and ``"Title Body"`` compare equal."""
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def read_pairs(path: str | Path, query_column: str = "query", positive_column: str = "positive") -> list[tuple[str, str]]:
    """(query, positive) pairs from a JSONL file; a list-valued positive (``pos: [...]``) gives its first entry.

    A line that is not UTF-8 or not a JSON object, or a row without the two columns, raises `InputError`
    naming file and line.
    """
    from ..data.jsonl import read_jsonl

    path = Path(path)
    if not path.is_file():
        raise InputError(f"pairs file {path} does not exist")
    pairs = []
    for where, row in read_jsonl(path, on_decode_error="error"):
        if query_column not in row or positive_column not in row:
            raise InputError(
                f"{where}: lacks {query_column!r} or {positive_column!r}; its keys are {sorted(row)} "
                "(choose others with --query-column/--positive-column)"
            )
        positive = row[positive_column]
        if isinstance(positive, list):
            if not positive:
                continue
            positive = positive[0]
        pairs.append((str(row[query_column]), str(positive)))
    if not pairs:
        raise InputError(f"pairs file {path} holds no (query, positive) rows")
    return pairs


def select_negatives(hits: Iterable[str], positive: str, n_negatives: int, skip_top: int = 0) -> list[str]:
    """The first ``n_negatives`` hit texts after the ``skip_top`` best ranks, without the positive or duplicates."""
    excluded = {normalize_text(positive)}
    chosen: list[str] = []
    for rank, text in enumerate(hits):
        key = normalize_text(text)
        if rank < skip_top or not key or key in excluded:
            continue
        excluded.add(key)
        chosen.append(text)
        if len(chosen) == n_negatives:
            break
    return chosen


def _hit_text(hit: Any) -> str:
    return f"{hit.title} {hit.text}".strip() if hit.title else hit.text


def retrieve(retriever: Any, queries: Sequence[str], k: int, batch_size: int = 64) -> list[list[str]]:
    """The texts of the top-``k`` hits of every query, best first."""
    texts: list[list[str]] = []
    for start in range(0, len(queries), batch_size):
        for hits in retriever.search(list(queries[start : start + batch_size]), k=k):
            texts.append([_hit_text(hit) for hit in hits])
    if any(texts) and not any(text for hits in texts for text in hits):
        raise InputError("the index returned hits without document texts; rebuild it with stored documents")
    return texts


def mine_hard_negatives(
    pairs: Sequence[tuple[str, str]],
    retriever: Any,
    *,
    n_negatives: int = 4,
    top_k: int = 30,
    skip_top: int = 0,
    drop_incomplete: bool = True,
) -> list[MinedRow]:
    """One MinedRow per pair with ``n_negatives`` hard negatives from ``retriever`` (a SparseRetriever).

    Rows with fewer negatives than asked are dropped (``drop_incomplete``), so every row has the same columns.
    """
    if n_negatives <= 0 or top_k <= 0 or skip_top < 0:
        raise InputError(f"need n_negatives > 0, top_k > 0 and skip_top >= 0; got {n_negatives}, {top_k}, {skip_top}")
    if top_k <= skip_top:
        raise InputError(f"top_k ({top_k}) must exceed skip_top ({skip_top}) to leave any candidates")
    retrieved = retrieve(retriever, [query for query, _ in pairs], k=top_k)
    rows = []
    for (query, positive), hits in zip(pairs, retrieved):
        negatives = select_negatives(hits, positive, n_negatives, skip_top)
        if len(negatives) == n_negatives or not drop_incomplete:
            rows.append(MinedRow(query, positive, negatives))
    return rows


def retriever_for(
    model: Any,
    corpus_path: str | Path | None = None,
    index_path: str | Path | None = None,
    max_length: int | None = None,
    workdir: str | Path | None = None,
) -> Any:
    """A SparseRetriever over an existing index, or over ``corpus_path`` indexed with ``model`` into ``workdir``."""
    from ..data import read_corpus
    from ..encoder import SparseEncoder
    from .indexing import index_corpus
    from .retriever import SparseRetriever

    if index_path is not None:
        return SparseRetriever.from_index(index_path, model=model)
    if corpus_path is None or model is None:
        raise InputError("give an index, or a model and a corpus to index")
    encoder = SparseEncoder(model) if isinstance(model, str) else model
    workdir = Path(workdir or tempfile.mkdtemp(prefix="splade-mine-"))
    reference = model if isinstance(model, str) else None
    documents = read_corpus(corpus_path)
    report = index_corpus(
        encoder, documents, workdir / "index", model_reference=reference, max_length=max_length, show_progress=False
    )
    return SparseRetriever(encoder, report.index)


class SparseTeacher:
    """Dot-product scores of one of our SparseEncoders (a name, folder or loaded model)."""

    def __init__(self, model: Any, max_length: int | None = None) -> None:
        from ..encoder import SparseEncoder

        self.model = SparseEncoder(model) if isinstance(model, str) else model
        if max_length is not None:
            self.model.max_seq_length = max_length

    def score(self, query: str, documents: list[str]) -> list[float]:
        q = self.model.encode_query([query], convert_to_tensor=True)
        d = self.model.encode_document(documents, convert_to_tensor=True)
        return self.model.similarity(q, d)[0].tolist()


def _model_folder(name: str) -> str:
    from ..hub import resolve_model_path

    return str(resolve_model_path(name))


class DenseTeacher:
    """A transformers encoder with mean pooling; cosine scores (``normalize``) times ``scale``."""

    def __init__(self, name: str, max_length: int = 256, normalize: bool = True, scale: float = 1.0) -> None:
        from transformers import AutoModel, AutoTokenizer

        folder = _model_folder(name)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        self.model = AutoModel.from_pretrained(folder, trust_remote_code=False, use_safetensors=True).eval()
        self.max_length, self.normalize, self.scale = max_length, normalize, scale

    @torch.inference_mode()
    def embed(self, texts: list[str]) -> torch.Tensor:
        """Mean-pooled (and, if ``normalize``, unit-length) embeddings."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1) if self.normalize else pooled

    def score(self, query: str, documents: list[str]) -> list[float]:
        embeddings = self.embed([query, *documents])
        return (self.scale * embeddings[1:] @ embeddings[0]).tolist()


class CrossEncoderTeacher:
    """A transformers sequence-classification model scoring (query, document) pairs by its first logit."""

    def __init__(self, name: str, max_length: int = 512, scale: float = 1.0) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        folder = _model_folder(name)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            folder, trust_remote_code=False, use_safetensors=True
        ).eval()
        self.max_length, self.scale = max_length, scale

    @torch.inference_mode()
    def score(self, query: str, documents: list[str]) -> list[float]:
        batch = self.tokenizer(
            [query] * len(documents),
            documents,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        return (self.scale * self.model(**batch).logits[:, 0]).tolist()


def load_teacher(kind: str, name: str, max_length: int | None = None, scale: float = 1.0) -> Teacher:
    """A teacher of ``kind`` (sparse, dense or cross-encoder) loaded from ``name`` (alias, folder or hub id)."""
    if kind == "sparse":
        return SparseTeacher(name, max_length)
    if kind == "dense":
        return DenseTeacher(name, max_length or 256, scale=scale)
    if kind == "cross-encoder":
        return CrossEncoderTeacher(name, max_length or 512, scale=scale)
    raise InputError(f"teacher kind must be one of {', '.join(TEACHER_KINDS)}, got {kind!r}")


def iter_scored(rows: Iterable[MinedRow], teacher: Teacher) -> Iterator[MinedRow]:
    """Yield each row with ``label = [s_pos, s_neg1, ...]`` from ``teacher`` (lazily, for streaming writes)."""
    for row in rows:
        row.label = [float(s) for s in teacher.score(row.query, [row.positive, *row.negatives])]
        yield row


def score_rows(rows: Sequence[MinedRow], teacher: Teacher) -> list[MinedRow]:
    """Set ``label`` on every row from ``teacher`` (rows are changed in place)."""
    return list(iter_scored(rows, teacher))


def write_rows(rows: Iterable[MinedRow], path: str | Path) -> int:
    """Write rows as JSONL, one line as soon as each row arrives; returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
            f.flush()
            count += 1
    return count
