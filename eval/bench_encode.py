"""Document encoding throughput and peak memory: splade_search vs sentence-transformers, same model folder.

Each engine runs in its own subprocess (so peak RSS is its own), on the same documents, batch size,
max length and thread count. Engines (``--engines``, comma-separated; default: the first six):

- ``sentence_transformers``: sentence-transformers' SparseEncoder, torch (the reference);
- ``splade_search``: torch, exact; ``splade_search_fast``: torch with the bfloat16 vocabulary projection (``--fast``);
- ``splade_search_onnx``: the transformer body in ONNX Runtime (float32), exact projection;
- ``splade_search_onnx_int8``: the body int8-quantized (``model_qint8_avx512_vnni.onnx``) + bfloat16 projection;
- ``splade_search_openvino``: the body in OpenVINO (float32), exact projection;
- ``splade_search_pool``: torch exact through a pool of ``--threads`` one-thread worker processes;
- ``sentence_transformers_onnx``: sentence-transformers' own onnx backend (needs optimum; skipped without it).

``--model distilbert-random`` / ``bert-base-random`` build a DistilBERT-sized (6 layers, hidden 768) or
BERT-base-sized (12 layers, hidden 768: every naver/splade-* checkpoint) MLM with random weights and the
tiny SPLADE's vocabulary once under eval/_work, to show how the ratios scale with the body. ONNX exports
are made on the first run (beside those folders, in the user cache for splade-tiny) and not timed.
``--quality BEIR_FOLDER`` instead indexes that whole corpus with each engine and reports nDCG@10.
Usage:

    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 256 --max-length 256 --batch-size 32
    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 128 --batch-sizes 8,16,32,64 --plot eval/encode_batch.png
    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --docs 64 --model bert-base-random --repeats 2
    .venv/bin/python eval/bench_encode.py ../shared/data/scifact --quality ../shared/data/scifact \
        --engines splade_search,splade_search_onnx_int8
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

INT8_FILE = "model_qint8_avx512_vnni.onnx"
ENGINES = {  # name: (library, backend, model_kwargs, encode options)
    "sentence_transformers": ("sentence_transformers", "torch", {}, {}),
    "splade_search": ("splade_search", "torch", {}, {}),
    "splade_search_fast": ("splade_search", "torch", {}, {"projection_dtype": "bfloat16"}),
    "splade_search_onnx": ("splade_search", "onnx", {}, {}),
    "splade_search_onnx_int8": ("splade_search", "onnx", {"file_name": INT8_FILE}, {"projection_dtype": "bfloat16"}),
    "splade_search_openvino": ("splade_search", "openvino", {}, {}),
    "splade_search_pool": ("splade_search", "torch", {}, {"pool": True}),
    "sentence_transformers_onnx": ("sentence_transformers", "onnx", {}, {}),
}
DEFAULT_ENGINES = list(ENGINES)[:6]
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


def load_engine(engine: str, model: str, threads: int, max_length: int | None = None) -> tuple:
    """``(encoder, encode options)`` of ``engine`` for ``model``, truncating at ``max_length`` tokens."""
    import torch

    torch.set_num_threads(threads)
    library, backend, model_kwargs, options = ENGINES[engine]
    if library == "splade_search":
        from splade_search import SparseEncoder
    else:
        from sentence_transformers import SparseEncoder
    kwargs = {"backend": backend, "model_kwargs": dict(model_kwargs)} if backend != "torch" else {}
    encoder = SparseEncoder(model_folder(model), device="cpu", **kwargs)
    if max_length is not None:
        encoder.max_seq_length = max_length  # before a pool starts: its workers copy the model as it is then
    options = dict(options)
    if options.pop("pool", False):
        import splade_search.backends.pool as pool

        options["pool"] = pool.start_pool(encoder, ["cpu"] * threads, threads_per_worker=1)
    return encoder, options


def run_engine(engine: str, corpus: str, model: str, docs: int, max_length: int, batch_size: int, threads: int) -> dict:
    import torch

    from splade_search.data import read_corpus

    texts = []
    for doc in read_corpus(corpus):
        texts.append(f"{doc.title} {doc.text}".strip())
        if len(texts) == docs:
            break
    encoder, options = load_engine(engine, model, threads, max_length)
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


def run_quality(engine: str, data: str, model: str, max_length: int, batch_size: int, threads: int) -> dict:
    """SciFact-style quality of ``engine``: index the whole BEIR corpus in a temporary csr index, then search."""
    import tempfile

    from splade_search.data import load_beir
    from splade_search.eval.index_eval import evaluate_model

    encoder, options = load_engine(engine, model, threads, max_length)
    if "projection_dtype" in options:
        from splade_search.modules import SpladePooling

        for pooling in encoder.modules():
            if isinstance(pooling, SpladePooling):
                pooling.projection_dtype = options["projection_dtype"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate_model(encoder, load_beir(data), Path(tmp) / "index", max_length=max_length, batch_size=batch_size,
                                query_max_length=64, system=engine, latency_queries=10)
    return {"engine": engine, "metrics": result.metrics, "minutes": (time.perf_counter() - start) / 60}


def compare(results: dict[str, dict]) -> list[str]:
    """Table rows for one batch size: each engine against sentence-transformers."""
    theirs = results.get("sentence_transformers") or next(iter(results.values()))
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
    for engine in runs[sizes[0]]:
        ax.plot(sizes, [runs[b][engine]["docs_per_s"] for b in sizes], marker="o", label=engine)
    ax.set(xscale="log", xlabel="batch size", ylabel="documents / s", title=title)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def child_env() -> dict[str, str]:
    """The engines' environment: offline, and this checkout's package and cache settings."""
    env = {"HF_HUB_OFFLINE": "1", "PATH": ""}
    env.update({k: os.environ[k] for k in ("PYTHONPATH", "HOME", "XDG_CACHE_HOME") if k in os.environ})
    return env


def available(engine: str) -> str | None:
    """Why ``engine`` cannot run here, or None."""
    if engine == "sentence_transformers_onnx" and importlib.util.find_spec("optimum") is None:
        return "sentence-transformers' onnx backend needs optimum[onnxruntime], which is not installed"
    if engine == "splade_search_openvino" and importlib.util.find_spec("openvino") is None:
        return "openvino is not installed"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--model", default="splade-tiny", help="splade-tiny, distilbert-random, bert-base-random or a model folder")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES), help=f"comma-separated, of {', '.join(ENGINES)}")
    parser.add_argument("--docs", type=int, default=512)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batch-sizes", default=None, help="comma-separated batch sizes to sweep (overrides --batch-size)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs per engine (alternating); the fastest is reported")
    parser.add_argument("--plot", default=None, help="PNG of docs/s against batch size")
    parser.add_argument("--quality", default=None, help="a BEIR folder: report each engine's nDCG@10 on it instead of speed")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        if args.quality:
            result = run_quality(args.engine, args.quality, args.model, args.max_length, args.batch_size, args.threads)
        else:
            result = run_engine(args.engine, args.corpus, args.model, args.docs, args.max_length, args.batch_size, args.threads)
        print(json.dumps(result))
        return
    model_folder(args.model)  # build it once, before the engines race to
    engines = []
    for engine in args.engines.split(","):
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
        reason = available(engine)
        if reason:
            print(f"skipped {engine}: {reason}")
        else:
            engines.append(engine)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.quality:
        report_quality(args, engines)
    else:
        report_speed(args, engines)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run_child(args: argparse.Namespace, engine: str, batch_size: int) -> dict:
    cmd = [sys.executable, __file__, args.corpus, "--engine", engine, "--model", args.model, "--docs", str(args.docs),
           "--max-length", str(args.max_length), "--batch-size", str(batch_size), "--threads", str(args.threads)]
    if args.quality:
        cmd += ["--quality", args.quality]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=child_env()).stdout
    return json.loads(out.strip().splitlines()[-1])


def report_speed(args: argparse.Namespace, engines: list[str]) -> None:
    sizes = [int(b) for b in args.batch_sizes.split(",")] if args.batch_sizes else [args.batch_size]
    runs: dict[int, dict[str, dict]] = {size: {} for size in sizes}
    for engine in engines:  # untimed first load: exports and quantizes what the engine needs
        if ENGINES[engine][1] != "torch":
            subprocess.run([sys.executable, "-c", f"import sys; sys.argv = {[__file__, '--engine', engine]!r}; "
                            f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_encode as b; "
                            f"b.load_engine({engine!r}, {args.model!r}, {args.threads})"], check=True, env=child_env())
    for _ in range(args.repeats):  # engines take turns, so load changes hit them alike; the best run counts
        for size in sizes:
            for engine in engines:
                result = run_child(args, engine, size)
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


def report_quality(args: argparse.Namespace, engines: list[str]) -> None:
    results = [run_child(args, engine, args.batch_size) for engine in engines]
    print(f"model {args.model}, {args.quality}, documents max length {args.max_length}, queries 64\n")
    print("| engine | nDCG@10 | MRR@10 | R@100 | nDCG@10 vs first | minutes |")
    print("|---|---:|---:|---:|---:|---:|")
    first = results[0]["metrics"]["ndcg@10"]
    for r in results:
        m = r["metrics"]
        print(f"| {r['engine']} | {m['ndcg@10']:.4f} | {m['mrr@10']:.4f} | {m['recall@100']:.4f} "
              f"| {m['ndcg@10'] - first:+.4f} | {r['minutes']:.1f} |")


if __name__ == "__main__":
    main()
