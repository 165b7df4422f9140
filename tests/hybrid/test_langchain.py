"""The LangChain adapter, with the real langchain-core package."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from hybrid_fixtures import DOCS  # noqa: E402
from splade_search.dense import DenseEncoder, DenseRetriever  # noqa: E402
from splade_search.retrieval import HybridRetriever  # noqa: E402


def test_langchain_retriever_returns_documents(tiny_dense_dir, tmp_path):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from splade_search.adapters.langchain import SpladeSearchRetriever

    DenseRetriever.build(DenseEncoder(tiny_dense_dir, device="cpu"), DOCS, tmp_path / "dense")
    adapter = SpladeSearchRetriever.from_options(str(tmp_path / "dense"), k=2)
    assert isinstance(adapter, BaseRetriever)
    docs = adapter.invoke("the cat and the dog")
    expected = adapter.retriever.search("the cat and the dog", k=2)
    assert [d.metadata["id"] for d in docs] == [h.id for h in expected] and all(isinstance(d, Document) for d in docs)
    assert docs[0].page_content == expected[0].text and docs[0].metadata["rank"] == 1
    fused = SpladeSearchRetriever(retriever=HybridRetriever({"dense": adapter.retriever}), k=3).invoke("rain")
    assert len(fused) == 3 and fused[0].metadata["legs"]["dense"]["rank"] >= 1
    batch = adapter.batch(["rain", "genes"])
    assert [len(docs) for docs in batch] == [2, 2]


def test_langchain_retriever_checks_its_fields():
    from splade_search.adapters.langchain import SpladeSearchRetriever

    with pytest.raises(TypeError, match="Retriever"):
        SpladeSearchRetriever(retriever="not a retriever")
