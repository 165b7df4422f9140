"""index_corpus and SparseRetriever: encode a corpus into an index, resume, search with the right model."""

from __future__ import annotations

import json

import pytest
import torch

from splade_search.data import Document
from splade_search.errors import IndexMismatchError, InputError
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.staging import Staging
from splade_search.indexes.generations import current_folder

DOCS = [
    Document("d1", "Diabetes", "insulin and blood sugar in patients with diabetes"),
    Document("d2", "Pets", "the cat and the dog"),
    Document("d3", "", "heart disease risk increase"),
    Document("d4", "Weather", "rain and sun in the city"),
    Document("d5", "Cells", "cancer cells and genes"),
]


def test_index_then_search_matches_brute_force(splade_model, tmp_path):
    report = index_corpus(splade_model, DOCS, tmp_path / "idx", chunk_size=2, show_progress=False)
    assert report.documents == 5 and len(report.index) == 5
    retriever = SparseRetriever(splade_model, report.index)
    hits = retriever.search("diabetes insulin", k=5)
    doc_vectors = splade_model.encode_document([f"{d.title} {d.text}".strip() for d in DOCS], convert_to_sparse_tensor=False)
    query = splade_model.encode_query("diabetes insulin", convert_to_sparse_tensor=False)
    scores = doc_vectors @ query
    expected = [DOCS[i].id for i in torch.argsort(scores, descending=True).tolist() if scores[i] > 0][:5]
    assert [h.id for h in hits] == expected
    torch.testing.assert_close(torch.tensor([h.score for h in hits]), scores.sort(descending=True).values[: len(hits)], atol=1e-4, rtol=1e-4)
    assert hits[0].title in {d.title for d in DOCS}


def test_explain_terms_sum_to_the_score(splade_model, tmp_path):
    index = index_corpus(splade_model, DOCS, tmp_path / "idx", show_progress=False).index
    hit = SparseRetriever(splade_model, index).search("diabetes insulin", k=1, explain=True)[0]
    assert hit.terms and abs(sum(t.contribution for t in hit.terms) - hit.score) < 1e-3
    assert hit.terms == sorted(hit.terms, key=lambda t: -t.contribution)


def test_resume_skips_finished_chunks(splade_model, tmp_path, monkeypatch):
    path = tmp_path / "idx"
    calls = []
    original = type(splade_model).encode_document

    def counting(self, texts, **kwargs):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, texts, **kwargs)

    monkeypatch.setattr(type(splade_model), "encode_document", counting)
    with pytest.raises(KeyboardInterrupt):
        index_corpus(splade_model, DOCS, path, chunk_size=2, show_progress=False)
    assert not path.exists() and (tmp_path / "idx.partial").exists()
    calls.clear()
    monkeypatch.setattr(type(splade_model), "encode_document", original)
    report = index_corpus(splade_model, DOCS, path, chunk_size=2, show_progress=False)
    assert report.resumed_documents == 2 and report.documents == 5
    assert report.index.doc_ids == [d.id for d in DOCS]
    assert not (tmp_path / "idx.partial").exists()


def test_resume_refuses_a_different_corpus(splade_model, tmp_path):
    path = tmp_path / "idx"
    staging = Staging.open(path, {"model": "x"}, resume=True)
    staging.write(0, DOCS[:2], splade_model_rows(splade_model, DOCS[:2]))
    settings = {"model": "x"}
    with pytest.raises(InputError, match="other settings"):
        index_corpus(splade_model, DOCS, path, chunk_size=2, show_progress=False, model_reference="y")
    assert Staging.open(path, settings, resume=True).batch_count() == 1


def splade_model_rows(model, docs):
    from splade_search.sparse import to_scipy_csr

    return to_scipy_csr(model.encode_document([d.text for d in docs]))


def test_empty_corpus_is_an_error(splade_model, tmp_path):
    with pytest.raises(InputError, match="no documents"):
        index_corpus(splade_model, [], tmp_path / "idx", show_progress=False)
    assert not (tmp_path / "idx").exists()


def test_other_vocabulary_is_refused(splade_model, real_splade, tmp_path):
    index = index_corpus(splade_model, DOCS, tmp_path / "idx", show_progress=False).index
    with pytest.raises(IndexMismatchError, match="another vocabulary"):
        SparseRetriever(real_splade, index)


def test_empty_and_unknown_queries(splade_model, tmp_path):
    index = index_corpus(splade_model, DOCS, tmp_path / "idx", show_progress=False).index
    retriever = SparseRetriever(splade_model, index)
    with pytest.raises(InputError, match="empty"):
        retriever.search("   ")
    assert isinstance(retriever.search("zzzz qqqq"), list)


def test_inference_free_and_csr_models_index_and_search(inference_free_model, csr_model, tmp_path):
    for name, model in [("if", inference_free_model), ("csr", csr_model)]:
        index = index_corpus(model, DOCS, tmp_path / name, show_progress=False).index
        hits = SparseRetriever(model, index).search(["diabetes", "cat dog"], k=3)
        assert len(hits) == 2 and all(len(h) <= 3 for h in hits)
    assert index.vocab[0] == "latent_0"


def test_from_index_loads_the_recorded_model(splade_model, tiny_mlm_dir, tmp_path):
    index_corpus(splade_model, DOCS, tmp_path / "idx", model_reference=tiny_mlm_dir, show_progress=False)
    retriever = SparseRetriever.from_index(tmp_path / "idx")
    assert retriever.search("cat", k=1)[0].id == SparseRetriever(splade_model, retriever.index).search("cat", k=1)[0].id
    manifest = json.loads((current_folder(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["metadata"]["model"] == tiny_mlm_dir
