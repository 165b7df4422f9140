"""Document encoding throughput and peak memory: splade_search vs sentence-transformers, same model folder.

Each engine runs in its own subprocess (so peak RSS is its own), on the same documents, batch size,
max length and thread count. ``splade_search_fast`` is the bfloat16 vocabulary projection (``--fast``).
Usage:

    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 512 --max-length 256 --batch-size 32
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_engine(engine: str, corpus: str, docs: int, max_length: int, batch_size: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    from splade_search.data import read_corpus
    from splade_search.hub import resolve_model_path

    texts = []
    for doc in read_corpus(corpus):
        texts.append(f"{doc.title} {doc.text}".strip())
        if len(texts) == docs:
            break
    path = str(resolve_model_path("splade-tiny"))
    if engine.startswith("splade_search"):
        from splade_search import SparseEncoder
    else:
        from sentence_transformers import SparseEncoder
    model = SparseEncoder(path, device="cpu")
    model.max_seq_length = max_length
    options = {"projection_dtype": "bfloat16"} if engine == "splade_search_fast" else {}
    model.encode_document(texts[:batch_size], batch_size=batch_size, **options)
    start = time.perf_counter()
    out = model.encode_document(texts, batch_size=batch_size, **options)
    seconds = time.perf_counter() - start
    dense = out.to_dense()
    top = torch.topk(dense, 20, dim=1)
    return {
        "engine": engine,
        "docs": len(texts),
        "seconds": seconds,
        "docs_per_s": len(texts) / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "top_ids": top.indices.tolist(),
        "top_vals": top.values.tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--docs", type=int, default=512)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.corpus, args.docs, args.max_length, args.batch_size, args.threads)))
        return
    results = {}
    for engine in ("sentence_transformers", "splade_search", "splade_search_fast"):
        cmd = [sys.executable, __file__, args.corpus, "--engine", engine, "--docs", str(args.docs),
               "--max-length", str(args.max_length), "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""}).stdout
        results[engine] = json.loads(out.strip().splitlines()[-1])
    theirs = results["sentence_transformers"]
    print("| engine | docs/s | peak RSS MB | docs/s ratio | memory ratio | top-20 terms same as ST | top-20 overlap | max weight diff |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for r in results.values():
        max_diff = max(abs(a - b) for ra, rb in zip(r["top_vals"], theirs["top_vals"]) for a, b in zip(ra, rb))
        same = all(set(a) == set(b) for a, b in zip(r["top_ids"], theirs["top_ids"]))
        overlap = sum(len(set(a) & set(b)) for a, b in zip(r["top_ids"], theirs["top_ids"])) / (20 * len(r["top_ids"]))
        print(f"| {r['engine']} | {r['docs_per_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['docs_per_s'] / theirs['docs_per_s']:.2f}x "
              f"| {r['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x | {same} | {overlap:.3f} | {max_diff:.2e} |")


if __name__ == "__main__":
    main()
