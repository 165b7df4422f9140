"""Serve an index over HTTP: the FastAPI app behind `splade-search serve INDEX`, called in-process here.

`create_app` takes any retriever; `splade-search serve indexes/sample` runs the same app with uvicorn
(search page at /, OpenAPI docs at /docs). This example calls it through FastAPI's test client, so it
opens no port. Runs offline:
    python examples/serve_index.py "why does bread rise"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.serve.app import create_app

CORPUS = Path(__file__).resolve().parent.parent / "splade_search" / "samples" / "corpus.jsonl"


def main() -> None:
    query = " ".join(sys.argv[1:]) or "what causes diabetes"
    with tempfile.TemporaryDirectory() as tmp:
        model = SparseEncoder("splade-tiny")
        report = index_corpus(model, read_corpus(CORPUS), Path(tmp) / "index", model_reference="splade-tiny", show_progress=False)
        with TestClient(create_app(SparseRetriever(model, report.index))) as client:
            print("GET /health ->", client.get("/health").json())
            found = client.post("/search", json={"q": query, "k": 3, "explain": True}).json()
            for hit in found["hits"]:
                why = ", ".join(term["token"] for term in hit["terms"][:3])
                print(f"  {hit['rank']}. {hit['id']} ({hit['score']:.2f}; {why})")
            bad = client.post("/search", json={"q": query, "k": 0})
            print(f"a bad request gets {bad.status_code}: {bad.json()['error']}")
            search = client.get("/stats").json()["requests"]["/search"]
            print(f"GET /stats -> search: {search['count']} requests, {search['client_errors']} refused")


if __name__ == "__main__":
    main()
