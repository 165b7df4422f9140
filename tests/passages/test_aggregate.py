"""Aggregating passage hits into documents: MaxP deepening and sum-top-m / first equal brute force."""

from __future__ import annotations

import numpy as np
import pytest

from splade_search.errors import InputError
from splade_search.passages import aggregate, needed_depth, search_documents
from splade_search.passages.aggregate import PassageHits


def _corpus(seed: int, docs: int = 60):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 8, size=docs)
    parents = np.repeat(np.arange(docs), counts)
    ordinals = np.concatenate([np.arange(c) for c in counts])
    scores = rng.random(len(parents)).astype(np.float32)
    scores[rng.random(len(parents)) < 0.3] = 0.0  # passages without a shared term
    return parents, ordinals, scores, counts


def _searcher(parents, ordinals, scores, calls):
    order = np.lexsort((np.arange(len(scores)), -scores))
    order = order[scores[order] > 0]

    def search(depth: int) -> PassageHits:
        calls.append(depth)
        top = order[:depth]
        return PassageHits(top, scores[top], parents[top], ordinals[top])

    return search


def _brute(parents, ordinals, scores, k, how, m=3):
    per_doc = {}
    for p, o, s in zip(parents, ordinals, scores):
        if s > 0:
            per_doc.setdefault(int(p), []).append((float(s), int(o)))
    ranked = []
    for doc, hits in per_doc.items():
        values = sorted((s for s, _ in hits), reverse=True)
        if how == "max":
            ranked.append((values[0], doc))
        elif how == "sum-top-m":
            ranked.append((float(np.float32(sum(values[:m]))), doc))
        elif any(o == 0 for _, o in hits):
            ranked.append((next(s for s, o in hits if o == 0), doc))
    ranked.sort(key=lambda x: (-x[0], x[1]))
    return ranked[:k]


@pytest.mark.parametrize("how", ["max", "sum-top-m", "first"])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 5, 20])
def test_deepening_gives_the_brute_force_top_k(how, seed, k):
    parents, ordinals, scores, counts = _corpus(seed)
    calls = []
    ranking = search_documents(
        _searcher(parents, ordinals, scores, calls), k, how, total_passages=len(parents), top_m=3,
        passage_counts=counts, depth=k,
    )
    expected = _brute(parents, ordinals, scores, k, how)
    assert ranking.exact
    assert list(ranking.docs) == [doc for _, doc in expected]
    np.testing.assert_allclose(ranking.scores, [s for s, _ in expected], rtol=1e-6)
    for doc, passage in zip(ranking.docs, ranking.best_passages):
        assert parents[passage] == doc
        if how != "first":
            assert scores[passage] == scores[parents == doc].max(), "the best passage is the snippet"
        else:
            assert ordinals[passage] == 0
    if how == "max":
        assert calls[-1] < len(parents), "MaxP stops once k distinct parents are seen"


def test_maxp_top_k_are_the_first_distinct_parents():
    parents = np.array([4, 4, 2, 4, 7, 2, 9])
    hits = PassageHits(np.arange(7), np.linspace(1, 0.4, 7), parents)
    assert needed_depth(parents, 3) == 5
    assert needed_depth(parents, 5) is None
    ranking = aggregate(hits, 3, "max")
    assert list(ranking.docs) == [4, 2, 7] and ranking.exact
    assert list(ranking.best_passages) == [0, 2, 4]
    assert not aggregate(hits, 5, "max").exact
    assert aggregate(hits, 5, "max", exhausted=True).exact


def test_sum_top_m_is_not_exact_while_a_deeper_passage_could_win():
    parents = np.array([1, 2, 2, 2])
    hits = PassageHits(np.arange(4), np.array([1.0, 0.5, 0.45, 0.4], np.float32), parents)
    ranking = aggregate(hits, 1, "sum-top-m", top_m=3)
    assert list(ranking.docs) == [2]
    assert ranking.scores[0] == pytest.approx(1.35)
    assert not aggregate(PassageHits(np.arange(2), np.array([1.0, 0.5], np.float32), parents[:2]), 1, "sum-top-m").exact


def test_bad_arguments_are_refused():
    hits = PassageHits(np.arange(2), np.ones(2, np.float32), np.zeros(2, np.int64))
    with pytest.raises(InputError, match="--aggregate"):
        aggregate(hits, 1, "mean")
    with pytest.raises(InputError, match="k must be"):
        aggregate(hits, 0)
    with pytest.raises(InputError, match="ordinals"):
        aggregate(hits, 1, "first")
