"""Query-encoding speed of full SPLADE against inference-free SPLADE on a BEIR folder's queries.

Usage: python recipes/query_speed.py ../shared/data/arguana [--if-model FOLDER] [--spladelike splade-tiny]
Without --if-model the inference-free model is built untrained (IDF query weights over the corpus):
its query encoding costs the same as a trained one, since only the weight values change.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch


def seconds_per_query(model: Any, queries: list[str], batch_size: int, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time of encoding all ``queries``, per query, on one thread."""
    model.encode_query(queries[:batch_size], batch_size=batch_size)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        model.encode_query(queries, batch_size=batch_size)
        best = min(best, time.perf_counter() - started)
    return best / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="BEIR folder")
    parser.add_argument("--splade", default="splade-tiny", help="full SPLADE model")
    parser.add_argument("--if-model", default=None, help="trained inference-free model folder")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-queries", type=int, default=500)
    args = parser.parse_args()

    from splade_search import SparseEncoder
    from splade_search.data import load_beir
    from splade_search.retrieval.indexing import document_text
    from splade_search.training.config import TrainConfig
    from splade_search.training.recipes import build_model

    torch.set_num_threads(1)
    data = load_beir(args.data)
    queries = list(data.queries.values())[: args.max_queries]
    splade = SparseEncoder(args.splade)
    if args.if_model:
        inference_free = SparseEncoder(args.if_model)
    else:
        config = TrainConfig(architecture="inference-free", model=args.splade, train_data="-")
        inference_free = build_model(config, [document_text(d) for d in data.corpus.values()])
    full = seconds_per_query(splade, queries, args.batch_size)
    free = seconds_per_query(inference_free, queries, args.batch_size)
    print(f"queries: {len(queries)}, batch {args.batch_size}, 1 thread")
    print(f"full SPLADE      {1000 * full:8.3f} ms/query")
    print(f"inference-free   {1000 * free:8.3f} ms/query")
    print(f"speed-up         {full / free:8.1f}x")


if __name__ == "__main__":
    main()
