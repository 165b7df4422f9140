"""A request while the index is updated sees one generation, whole; the server moves on to newer generations."""

from __future__ import annotations

import threading

import httpx
import pytest
from serve_helpers import corpus, running

from splade_search.indexes import CsrIndex
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.vocabulary import prepare_rows
from splade_search.serve import LiveRetriever, create_app
from splade_search.sparse import to_scipy_csr

QUERIES = ["diabetes insulin blood", "the cat and the dog", "heart disease risk", "rain in the city", "cancer cells genes"]


def expected(retriever: SparseRetriever) -> dict[str, list[tuple[str, float, str]]]:
    """Per query: the (id, score, text) of each hit in ``retriever``'s generation."""
    return {q: [(h.id, h.score, h.text) for h in hits] for q, hits in zip(QUERIES, retriever.search(QUERIES, k=8))}


def add_documents(model, path, docs) -> None:
    vectors = model.encode_document([d.text for d in docs], convert_to_sparse_tensor=True, save_to_cpu=True)
    rows = prepare_rows(to_scipy_csr(vectors), "dot")
    CsrIndex.add(path, [([d.id for d in docs], rows)], documents=[(d.id, d.title, d.text) for d in docs], show_progress=False)


def test_every_answer_comes_from_exactly_one_generation(splade_model, tmp_path) -> None:
    path = tmp_path / "idx"
    index_corpus(splade_model, corpus(), path, show_progress=False)
    retriever = SparseRetriever.from_index(path)
    truth = {"gen-000001": expected(retriever)}
    seen: list[tuple[str, str, list[tuple[str, float, str]]]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def client_loop(offset: int) -> None:
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                i = offset
                while not stop.is_set():
                    query = QUERIES[i % len(QUERIES)]
                    body = client.post("/search", json={"q": query, "k": 8}).raise_for_status().json()
                    seen.append((body["generation"], query, [(h["id"], h["score"], h["text"]) for h in body["hits"]]))
                    i += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    with running(create_app(retriever, check_every=0.0)) as (url, _server):
        clients = [threading.Thread(target=client_loop, args=(n,)) for n in range(4)]
        for thread in clients:
            thread.start()
        CsrIndex.delete(path, [f"d{i}" for i in range(0, 40, 2)])  # renumbers every remaining document
        truth["gen-000002"] = expected(SparseRetriever.from_index(path))
        add_documents(splade_model, path, corpus(10, seed=7, prefix="n"))
        truth["gen-000003"] = expected(SparseRetriever.from_index(path))
        with httpx.Client(base_url=url) as probe:
            for _ in range(400):
                if probe.get("/health").json()["generation"] == "gen-000003" and len(seen) > 50:
                    break
                threading.Event().wait(0.05)
        stop.set()
        for thread in clients:
            thread.join(30)
    assert not failures, failures
    assert truth["gen-000001"] != truth["gen-000002"] != truth["gen-000003"]
    for generation, query, hits in seen:
        want = truth[generation][query]
        assert [(i, text) for i, _, text in hits] == [(i, text) for i, _, text in want], (generation, query)
        assert [score for _, score, _ in hits] == pytest.approx([score for _, score, _ in want], abs=1e-4)
    generations = [g for g, _, _ in seen]
    assert generations[-1] == "gen-000003" and "gen-000001" in generations


def test_a_damaged_new_generation_keeps_the_old_one_served(retriever, index_path, tmp_path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(index_path, copy)
    live = LiveRetriever(SparseRetriever(retriever.model, type(retriever.index).open(copy)), check_every=0.0)
    (copy / "gen-000002").mkdir()
    (copy / "CURRENT").write_text("gen-000002\n")
    assert live.reload() is False and live.current.index.folder.name == "gen-000001"
    (copy / "CURRENT").write_text("gen-000001\n")
    assert live.reload() is False and live.reloads == 0


def test_no_reload_when_disabled(retriever) -> None:
    live = LiveRetriever(retriever, check_every=None)
    assert live.pin() is retriever and live.reload() is False


@pytest.mark.parametrize("mode, knobs", [("pruned", {}), ("approximate", {"budget": 0.5})])
def test_settings_variants_are_cached_per_snapshot(retriever, mode, knobs) -> None:
    live = LiveRetriever(retriever, check_every=None)
    variant = live.with_settings(retriever, mode, knobs)
    assert variant.mode == mode and variant.index is retriever.index
    assert live.with_settings(retriever, mode, knobs) is variant
    assert live.with_settings(retriever, "exact", None) is retriever
