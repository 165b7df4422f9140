"""The embedded tiny SPLADE (real weights) gives sensible expansions."""

from __future__ import annotations


def test_decode_what_causes_diabetes(real_splade):
    query = real_splade.encode_query("what causes diabetes")
    tokens = [t for t, _ in real_splade.decode(query, top_k=10)]
    assert tokens[:2] == ["causes", "diabetes"] or set(tokens[:2]) == {"causes", "diabetes"}
    assert "disease" in tokens and "cause" in tokens


def test_relevant_document_scores_higher(real_splade):
    query = real_splade.encode_query(["what causes diabetes"])
    docs = real_splade.encode_document(
        ["Type 2 diabetes is caused by insulin resistance and obesity.", "The river flows through the old city."]
    )
    scores = real_splade.similarity(query, docs)[0]
    assert scores[0] > 5 * scores[1]


def test_document_sparsity_is_healthy(real_splade):
    docs = real_splade.encode_document(["Insulin resistance is a hallmark of type 2 diabetes and metabolic syndrome."] * 2)
    stats = real_splade.sparsity(docs)
    assert 10 < stats["active_dims"] < 400
