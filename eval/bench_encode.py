"""Document encoding throughput and peak memory: splade_search vs sentence-transformers, same model folder.

Each engine runs in its own subprocess (so peak RSS is its own), on the same documents, batch size,
max length and thread count. ``splade_search_fast`` is the bfloat16 vocabulary projection (``--fast``).
``--model distilbert-random`` builds a DistilBERT-sized MLM with random weights (6 layers, hidden 768,
the tiny SPLADE's vocabulary) once under eval/_work, to show how the ratios scale with the body.
Usage:

    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 256 --max-length 256 --batch-size 32
    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 128 --batch-sizes 8,16,32,64 --plot eval/encode_batch.png
    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 64 --model distilbert-random
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ENGINES = ("sentence_transformers", "splade_search", "splade_search_fast")
WORK = Path(__file__).resolve().parent / "_work"


RANDOM_MODELS = ("distilbert-random", "bert-base-random")


def model_folder(name: str) -> str:
    """The folder of ``name``: ``splade-tiny``, a random MLM of ``RANDOM_MODELS`` (built on first use) or a path."""
    from splade_search.hub import resolve_model_path

    if name not in RANDOM_MODELS:
        return str(resolve_model_path(name))
    folder = WORK / f"{name}-mlm"
    if not (folder / "config.json").exists():
        import torch
        from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, DistilBertConfig, DistilBertForMaskedLM

        tokenizer = AutoTokenizer.from_pretrained(str(resolve_model_path("splade-tiny")))
        torch.manual_seed(0)
        if name == "distilbert-random":
            config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=768, hidden_dim=3072, n_layers=6, n_heads=12)
            model = DistilBertForMaskedLM(config)
        else:  # the size of every BERT-base SPLADE checkpoint (naver/splade-*): 12 layers, hidden 768, vocab 30522
            config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
            model = BertForMaskedLM(config)
        model.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))
    return str(folder)


def run_engine(engine: str, corpus: str, model: str, docs: int, max_length: int, batch_size: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    from splade_search.data import read_corpus

    texts = []
    for doc in read_corpus(corpus):
        texts.append(f"{doc.title} {doc.text}".strip())
        if len(texts) == docs:
            break
    if engine.startswith("splade_search"):
        from splade_search import SparseEncoder
    else:
        from sentence_transformers import SparseEncoder
    encoder = SparseEncoder(model_folder(model), device="cpu")
    encoder.max_seq_length = max_length
    options = {"projection_dtype": "bfloat16"} if engine == "splade_search_fast" else {}
    encoder.encode_document(texts[:batch_size], batch_size=batch_size, **options)
    start = time.perf_counter()
    out = encoder.encode_document(texts, batch_size=batch_size, **options)
    seconds = time.perf_counter() - start
    top = torch.topk(out.to_dense(), 20, dim=1)
    return {
        "engine": engine,
        "batch_size": batch_size,
        "docs": len(texts),
        "seconds": seconds,
        "docs_per_s": len(texts) / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "top_ids": top.indices.tolist(),
        "top_vals": top.values.tolist(),
    }


def compare(results: dict[str, dict]) -> list[str]:
    """Table rows for one batch size: each engine against sentence-transformers."""
    theirs = results["sentence_transformers"]
    rows = []
    for r in results.values():
        max_diff = max(abs(a - b) for ra, rb in zip(r["top_vals"], theirs["top_vals"]) for a, b in zip(ra, rb))
        same = all(set(a) == set(b) for a, b in zip(r["top_ids"], theirs["top_ids"]))
        overlap = sum(len(set(a) & set(b)) for a, b in zip(r["top_ids"], theirs["top_ids"])) / (20 * len(r["top_ids"]))
        rows.append(
            f"| {r['batch_size']} | {r['engine']} | {r['docs_per_s']:.2f} | {r['peak_rss_mb']:.0f} "
            f"| {r['docs_per_s'] / theirs['docs_per_s']:.2f}x | {r['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x "
            f"| {same} | {overlap:.3f} | {max_diff:.2e} |"
        )
    return rows


def plot(runs: dict[int, dict[str, dict]], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    sizes = sorted(runs)
    fig, ax = plt.subplots(figsize=(6, 4))
    for engine in ENGINES:
        ax.plot(sizes, [runs[b][engine]["docs_per_s"] for b in sizes], marker="o", label=engine)
    ax.set(xscale="log", xlabel="batch size", ylabel="documents / s", title=title)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--model", default="splade-tiny", help="splade-tiny, distilbert-random or a model folder")
    parser.add_argument("--docs", type=int, default=512)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batch-sizes", default=None, help="comma-separated batch sizes to sweep (overrides --batch-size)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs per engine (alternating); the fastest is reported")
    parser.add_argument("--plot", default=None, help="PNG of docs/s against batch size")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        result = run_engine(args.engine, args.corpus, args.model, args.docs, args.max_length, args.batch_size, args.threads)
        print(json.dumps(result))
        return
    model_folder(args.model)  # build it once, before the engines race to
    sizes = [int(b) for b in args.batch_sizes.split(",")] if args.batch_sizes else [args.batch_size]
    runs: dict[int, dict[str, dict]] = {size: {} for size in sizes}
    for _ in range(args.repeats):  # engines take turns, so load changes hit them alike; the best run counts
        for size in sizes:
            for engine in ENGINES:
                cmd = [sys.executable, __file__, args.corpus, "--engine", engine, "--model", args.model, "--docs", str(args.docs),
                       "--max-length", str(args.max_length), "--batch-size", str(size), "--threads", str(args.threads)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""}).stdout
                result = json.loads(out.strip().splitlines()[-1])
                best = runs[size].get(engine)
                if best is None or result["docs_per_s"] > best["docs_per_s"]:
                    runs[size][engine] = result
    print(f"model {args.model}, {args.docs} documents, max length {args.max_length}, {args.threads} threads, "
          f"best of {args.repeats} alternating runs\n")
    print("| batch | engine | docs/s | peak RSS MB | docs/s ratio | memory ratio | top-20 terms same as ST | top-20 overlap | max weight diff |")
    print("|---:|---|---:|---:|---:|---:|---|---:|---:|")
    for size in sizes:
        print("\n".join(compare(runs[size])))
    if args.plot:
        plot(runs, args.plot, f"encode_document, {args.model}, max length {args.max_length}")
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
