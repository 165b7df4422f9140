"""Fusion functions and HybridRetriever: RRF and weighted normalised scores, legs recorded on every hit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from splade_search.errors import InputError
from splade_search.retrieval import Hit, HybridRetriever, Retriever
from splade_search.retrieval.fusion import fuse_hits, normalize_scores, reciprocal_rank_fusion, rrf_scores


class Fixed(Retriever):
    """Returns fixed ``(id, score)`` lists per query; records the depth it was asked for."""

    def __init__(self, name: str, ranked: list[tuple[str, float]], text: bool = False) -> None:
        self.name, self.ranked, self.text, self.asked = name, ranked, text, []

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        self.asked.append(k)
        return [
            [Hit(id=d, score=s, rank=r, title=f"T{d}" if self.text else "", text=f"text {d}" if self.text else "") for r, (d, s) in enumerate(self.ranked[:k], start=1)]
            for _ in queries
        ]


SPARSE = [("a", 9.0), ("b", 7.0), ("c", 1.0)]
DENSE = [("c", 0.9), ("d", 0.8), ("a", 0.1)]


def test_rrf_scores_are_the_canonical_sum():
    scores = rrf_scores([["a", "b", "c"], ["c", "d", "a"]], rrf_k=60)
    assert math.isclose(scores["a"], 1 / 61 + 1 / 63) and math.isclose(scores["d"], 1 / 62)
    assert [d for d, _ in reciprocal_rank_fusion([["a", "b", "c"], ["c", "d", "a"]])] == ["a", "c", "b", "d"]
    assert math.isclose(rrf_scores([["a"], ["a"]], 0, weights=[2.0, 0.5])["a"], 2.5)


def test_normalisations():
    np.testing.assert_allclose(normalize_scores([4.0, 2.0, 0.0]), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(normalize_scores([3.0, 3.0]), [1.0, 1.0])
    z = normalize_scores([4.0, 2.0, 0.0], "zscore")
    assert math.isclose(z.mean(), 0.0, abs_tol=1e-12) and math.isclose(z.std(), 1.0)
    with pytest.raises(InputError, match="normalisation"):
        normalize_scores([1.0], "l2")


def test_hybrid_rrf_records_every_leg():
    sparse, dense = Fixed("sparse", SPARSE, text=True), Fixed("dense", DENSE)
    hits = HybridRetriever({"sparse": sparse, "dense": dense}, depth=3).search("q", k=4)
    assert [h.id for h in hits] == ["a", "c", "b", "d"] and [h.rank for h in hits] == [1, 2, 3, 4]
    assert math.isclose(hits[0].score, 1 / 61 + 1 / 63)
    assert hits[1].legs["sparse"].rank == 3 and hits[1].legs["dense"].rank == 1 and math.isclose(hits[1].legs["dense"].score, 0.9)
    assert set(hits[3].legs) == {"dense"}
    assert hits[3].title == "" and hits[1].title == "Tc"  # text comes from whichever leg has it
    assert sparse.asked == [4] and dense.asked == [4]  # max(depth, k)


def test_weighted_minmax_counts_missing_documents_at_the_legs_floor():
    hits = fuse_hits(
        {"sparse": Fixed("s", SPARSE).search_batch(["q"], 3)[0], "dense": Fixed("d", DENSE).search_batch(["q"], 3)[0]},
        k=4,
        method="weighted",
        weights={"sparse": 1.0, "dense": 2.0},
    )
    expected = {"a": 1.0 + 2 * 0.0, "b": 0.75 + 0.0, "c": 0.0 + 2 * 1.0, "d": 0.0 + 2 * 0.875}
    assert [h.id for h in hits] == sorted(expected, key=lambda d: -expected[d])
    for hit in hits:
        assert math.isclose(hit.score, expected[hit.id])


def test_weighted_zscore_and_per_leg_depth():
    sparse, dense = Fixed("sparse", SPARSE), Fixed("dense", DENSE)
    hybrid = HybridRetriever({"sparse": sparse, "dense": dense}, method="weighted", normalization="zscore", depth={"dense": 2})
    hits = hybrid.search("q", k=2)
    assert sparse.asked == [100] and dense.asked == [2] and len(hits) == 2
    zs, zd = normalize_scores([9.0, 7.0, 1.0], "zscore"), normalize_scores([0.9, 0.8], "zscore")
    expected = {"a": zs[0] + zd.min(), "c": zs[2] + zd[0]}  # a is missing from the dense top-2: its floor
    assert [h.id for h in hits] == ["a", "c"] and all(math.isclose(h.score, expected[h.id]) for h in hits)


def test_depth_never_below_k_and_run():
    leg = Fixed("sparse", SPARSE)
    run = HybridRetriever({"only": leg}, depth=1).run({"q1": "x"}, k=3)
    assert leg.asked == [3] and list(run["q1"]) == ["a", "b", "c"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"method": "max"}, "unknown fusion method"),
        ({"weights": {"bm25": 1.0}}, "unknown leg"),
        ({"weights": {"sparse": -1.0}}, "non-negative"),
        ({"depth": 0}, "depth of leg"),
        ({"depth": {"other": 5}}, "unknown leg"),
        ({"rrf_k": -1}, "rrf_k"),
        ({"normalization": "l2"}, "normalisation"),
    ],
)
def test_bad_settings_are_input_errors(options, message):
    with pytest.raises(InputError, match=message):
        HybridRetriever({"sparse": Fixed("sparse", SPARSE)}, **options)


def test_no_legs_or_bad_leg():
    with pytest.raises(InputError, match="at least one leg"):
        HybridRetriever({})
    with pytest.raises(InputError, match="Retriever"):
        HybridRetriever({"x": object()})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="empty"):
        HybridRetriever({"sparse": Fixed("sparse", SPARSE)}).search([""])


class Explaining(Fixed):
    """`Fixed` that can explain: asked to, it gives each hit one matching term."""

    def search_batch(self, queries: list[str], k: int = 10, *, explain: bool = False) -> list[list[Hit]]:
        from splade_search.indexes import TermContribution

        hits = super().search_batch(queries, k)
        for row in hits if explain else []:
            for hit in row:
                hit.terms = [TermContribution("term", 1.0, hit.score, hit.score)]
        return hits


def test_explain_reaches_the_legs_that_can_explain():
    hybrid = HybridRetriever({"sparse": Explaining("sparse", SPARSE), "dense": Fixed("dense", DENSE)})
    explained = {hit.id: hit for hit in hybrid.search("q", k=4, explain=True)}
    assert {hit_id for hit_id, hit in explained.items() if hit.terms} == {"a", "b", "c"}  # d: dense only, which cannot explain
    assert not any(hit.terms for hit in hybrid.search("q", k=4))
