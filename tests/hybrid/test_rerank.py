"""Rerankers (cross-encoder and bi-encoder) and build_retriever: options -> a ready (hybrid, reranked) retriever."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import torch

from hybrid_fixtures import DOCS
from splade_search.dense import DenseEncoder, DenseRetriever
from splade_search.errors import InputError, ModelFormatError
from splade_search.retrieval import (
    BiEncoderReranker,
    CrossEncoderReranker,
    Hit,
    HybridRetriever,
    Retriever,
    SparseRetriever,
    build_retriever,
    index_corpus,
)
from splade_search.retrieval.pipeline import index_kind, parse_assignments

TEXTS = {d.id: f"{d.title} {d.text}".strip() for d in DOCS}


class Listed(Retriever):
    name = "first"

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        docs = DOCS[:k]
        return [[Hit(id=d.id, score=10.0 - r, rank=r, title=d.title, text=d.text) for r, d in enumerate(docs, start=1)] for _ in queries]


def _logits(folder: str, query: str, texts: list[str]) -> np.ndarray:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model, tokenizer = AutoModelForSequenceClassification.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        return model(**tokenizer([query] * len(texts), texts, padding=True, truncation=True, return_tensors="pt")).logits[:, 0].numpy()


def test_cross_encoder_rescores_and_keeps_the_first_stage(tiny_cross_encoder_dir):
    reranker = CrossEncoderReranker(Listed(), tiny_cross_encoder_dir, depth=4)
    hits = reranker.search("blood sugar", k=3)
    expected = _logits(tiny_cross_encoder_dir, "blood sugar", [TEXTS[d.id] for d in DOCS[:4]])
    order = np.argsort(-expected, kind="stable")[:3]
    assert [h.id for h in hits] == [DOCS[i].id for i in order] and [h.rank for h in hits] == [1, 2, 3]
    np.testing.assert_allclose([h.score for h in hits], expected[order], rtol=1e-4, atol=1e-5)
    assert all(h.legs["first"].rank == int(h.id[1:]) and h.legs["first"].score == 10.0 - int(h.id[1:]) for h in hits)
    assert len(reranker.search("x", k=5)) == 5  # k above depth: reranks k hits


def test_cross_encoder_never_runs_folder_code(tiny_cross_encoder_dir, tmp_path):
    folder = tmp_path / "evil"
    shutil.copytree(tiny_cross_encoder_dir, folder)
    marker = tmp_path / "ran"
    (folder / "evil_model.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "evil_model.Evil", "AutoConfig": "evil_model.EvilConfig"}
    (folder / "config.json").write_text(json.dumps(config))
    try:
        CrossEncoderReranker(Listed(), str(folder)).search("cat", k=2)
    except ModelFormatError:
        pass
    assert not marker.exists()


def test_cross_encoder_refusals(tiny_cross_encoder_dir, tiny_bert_dir, tmp_path):
    with pytest.raises(ModelFormatError, match="ForSequenceClassification"):
        CrossEncoderReranker(Listed(), tiny_bert_dir)
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_cross_encoder_dir, pickled)
    os.replace(pickled / "model.safetensors", pickled / "pytorch_model.bin")
    with pytest.raises(ModelFormatError, match="pickled"):
        CrossEncoderReranker(Listed(), str(pickled))


def test_rerank_needs_text(tiny_cross_encoder_dir):
    class Bare(Retriever):
        def search_batch(self, queries, k=10):
            return [[Hit(id="x", score=1.0, rank=1)] for _ in queries]

    with pytest.raises(InputError, match="no stored text"):
        CrossEncoderReranker(Bare(), tiny_cross_encoder_dir).search("q")


def test_bi_encoder_dense_and_sparse(tiny_dense_dir, splade_model):
    dense = DenseEncoder(tiny_dense_dir, device="cpu")
    hits = BiEncoderReranker(Listed(), dense, depth=5).search("cat and dog", k=5)
    scores = dense.encode_document([TEXTS[d.id] for d in DOCS]) @ dense.encode_query(["cat and dog"])[0]
    assert [h.id for h in hits] == [DOCS[i].id for i in np.argsort(-scores, kind="stable")]
    sparse_hits = BiEncoderReranker(Listed(), splade_model, depth=5).search("cat and dog", k=5)
    docs = splade_model.encode_document([TEXTS[d.id] for d in DOCS], convert_to_sparse_tensor=False)
    sparse_scores = (docs @ splade_model.encode_query("cat and dog", convert_to_sparse_tensor=False)).numpy()
    np.testing.assert_allclose(sorted((h.score for h in sparse_hits), reverse=True), np.sort(sparse_scores)[::-1], rtol=1e-4, atol=1e-5)


@pytest.fixture()
def two_indexes(splade_model, tiny_dense_dir, tmp_path):
    sparse = tmp_path / "sparse"
    index_corpus(splade_model, DOCS, sparse, show_progress=False)
    dense = tmp_path / "dense"
    DenseRetriever.build(DenseEncoder(tiny_dense_dir, device="cpu"), DOCS, dense)
    return sparse, dense


def test_build_retriever_from_cli_options(two_indexes, tiny_cross_encoder_dir, tiny_dense_dir):
    sparse, dense = two_indexes
    assert index_kind(sparse) == "csr" and index_kind(dense) == "dense"
    assert isinstance(build_retriever(sparse), SparseRetriever) and isinstance(build_retriever(dense), DenseRetriever)
    hybrid = build_retriever(hybrid=f"s={sparse},d={dense}", fusion="weighted", weights="s=2", depth="d=3", normalization="zscore")
    assert isinstance(hybrid, HybridRetriever) and hybrid.weights == {"s": 2.0, "d": 1.0} and hybrid.depths == {"s": 100, "d": 3}
    hits = hybrid.search("insulin blood sugar", k=5)
    assert hits and all(set(h.legs) <= {"s", "d"} for h in hits) and any(len(h.legs) == 2 for h in hits)
    reranked = build_retriever(hybrid=f"s={sparse},d={dense}", rerank=tiny_cross_encoder_dir, rerank_depth=4)
    assert isinstance(reranked, CrossEncoderReranker)
    top = reranked.search("insulin blood sugar", k=3)
    assert all("hybrid" in h.legs for h in top) and all(h.text or h.title for h in top)
    assert isinstance(build_retriever(sparse, rerank=tiny_dense_dir), BiEncoderReranker)


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "give an index"),
        ({"hybrid": "a=x,a=y"}, "given twice"),
        ({"hybrid": "nopath"}, "name=value"),
        ({"hybrid": "a=x", "index": "y"}, "not both"),
        ({"hybrid": "a=x", "depth": "a=1.5"}, "whole number"),
    ],
)
def test_build_retriever_bad_options(options, message):
    with pytest.raises(InputError, match=message):
        build_retriever(**options)


def test_parse_assignments():
    assert parse_assignments(" sparse = a/b , dense=c ", "--hybrid") == {"sparse": "a/b", "dense": "c"}
    assert parse_assignments(None, "--weights") == {}


def test_one_reranking_model_over_several_first_stages(tiny_cross_encoder_dir, monkeypatch):
    from splade_search.retrieval import pipeline

    loads = []
    real = pipeline.load_reranker
    monkeypatch.setattr(pipeline, "load_reranker", lambda *args, **kwargs: loads.append(1) or real(*args, **kwargs))
    wrap = pipeline.reranking(tiny_cross_encoder_dir, depth=3)
    first, second = Listed(), Listed()
    one, two = wrap(first), wrap(second)
    assert len(loads) == 1 and one.model is two.model and (one.first_stage, two.first_stage) == (first, second)
    assert [h.id for h in one.search("blood sugar", k=3)] == [h.id for h in two.search("blood sugar", k=3)] and two.depth == 3
