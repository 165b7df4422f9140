"""Fixtures of the server tests: a small index of the tiny SPLADE and an app over it."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the serve extra (fastapi, uvicorn) is not installed")

from serve_helpers import corpus  # noqa: E402

from splade_search.retrieval import SparseRetriever, index_corpus  # noqa: E402


@pytest.fixture(scope="module")
def index_path(tiny_mlm_dir, tmp_path_factory):
    """An index of `corpus` built with the tiny SPLADE, shared by a module's tests (which must not change it)."""
    from splade_search import SparseEncoder

    path = tmp_path_factory.mktemp("served") / "idx"
    index_corpus(SparseEncoder(tiny_mlm_dir, device="cpu"), corpus(), path, show_progress=False)
    return path


@pytest.fixture(scope="module")
def retriever(index_path) -> SparseRetriever:
    """The index's retriever with the model the index records."""
    return SparseRetriever.from_index(index_path)


@pytest.fixture()
def client(retriever):
    """A test client of an app serving `retriever` (never reloading)."""
    from fastapi.testclient import TestClient

    from splade_search.serve import create_app

    with TestClient(create_app(retriever, check_every=None)) as test_client:
        yield test_client
