"""A LangChain retriever over any splade-search `Retriever` (``pip install 'splade-search[langchain]'``).

    from splade_search.adapters.langchain import SpladeSearchRetriever
    docs = SpladeSearchRetriever.from_options("indexes/scifact", k=5).invoke("what causes diabetes")

Each hit becomes a LangChain ``Document``: ``page_content`` is the stored text, ``metadata`` holds
the id, title, score, rank, the legs of a fused or reranked hit and the stored metadata.
"""

from __future__ import annotations

from typing import Any

from ..errors import BackendUnavailableError
from ..retrieval.hits import Hit, Retriever, check_k

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise BackendUnavailableError("the LangChain adapter needs langchain-core: pip install 'splade-search[langchain]'") from exc


class SpladeSearchRetriever(BaseRetriever):
    """LangChain ``BaseRetriever`` answering with the top ``k`` hits of ``retriever``."""

    retriever: Any
    k: int = 4

    model_config = {"arbitrary_types_allowed": True}

    def model_post_init(self, context: Any) -> None:
        if not isinstance(self.retriever, Retriever):
            raise TypeError(f"retriever must be a splade-search Retriever, got {type(self.retriever).__name__}")
        check_k(self.k)

    @classmethod
    def from_options(cls, index: str | None = None, *, k: int = 4, **options: Any) -> "SpladeSearchRetriever":
        """Open an index (or ``hybrid=...`` legs, ``rerank=...``) with `build_retriever` and wrap it."""
        from ..retrieval.pipeline import build_retriever

        return cls(retriever=build_retriever(index, **options), k=k)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(hit) for hit in self.retriever.search(query, k=self.k)]


def to_document(hit: Hit) -> Document:
    """A LangChain ``Document`` for one hit."""
    metadata: dict[str, Any] = {**hit.metadata, "id": hit.id, "title": hit.title, "score": hit.score, "rank": hit.rank}
    if hit.legs:
        metadata["legs"] = {name: leg.to_dict() for name, leg in hit.legs.items()}
    return Document(page_content=hit.text, metadata=metadata, id=hit.id)
