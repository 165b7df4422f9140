"""Serving throughput and latency on loopback: 1, 4, 16, 32 concurrent clients against `splade-search serve`.

The server (``create_app`` under uvicorn, access log off) runs in a child process on 127.0.0.1; the
clients are asyncio tasks in this process, each sending one ``GET /search?q=...&k=10`` at a time on
its own keep-alive connection (a minimal HTTP/1.1 client, so the load generator costs little CPU).
Each level runs ``--duration`` seconds or ``--max-requests`` requests, whichever comes first, after
a short warm-up. The reference is the in-process ``SparseRetriever.search_batch`` throughput
(batches of 32, the same hits with titles and texts) measured in this process first, with the
server not yet started. Queries: the corpus's ``queries.jsonl``, cycled.

``--model splade`` serves the index with the model it records; ``--model inference-free`` serves
the same index with an inference-free query side built from the same SPLADE (corpus IDF query
weights, the project's ``build_model``): its document side is that SPLADE, so the index fits it,
and its queries need no transformer. Usage:

    nice .venv/bin/python eval/bench_serve.py INDEX /work/shared/data/scifact --model splade --duration 20
    nice .venv/bin/python eval/bench_serve.py INDEX /work/shared/data/scifact --model inference-free --duration 20
    nice .venv/bin/python eval/bench_serve.py INDEX DATA --levels 16 --max-batch 1   # no micro-batching
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WARMUP_SECONDS = 2.0
HOST = "127.0.0.1"


def load_retriever(index: str, data: str, model: str):
    """The retriever to serve: the index's own model, or an inference-free query side over the same index."""
    from splade_search.retrieval import SparseRetriever

    retriever = SparseRetriever.from_index(index)
    if model == "splade":
        return retriever
    from splade_search.data import load_beir
    from splade_search.retrieval.indexing import document_text
    from splade_search.training.config import TrainConfig
    from splade_search.training.recipes import build_model

    base = str(retriever.index.metadata.get("model") or "splade-tiny")
    corpus = load_beir(data).corpus.values()
    free = build_model(TrainConfig(architecture="inference-free", model=base, train_data="-"), [document_text(d) for d in corpus])
    return SparseRetriever(free.to("cpu").eval(), retriever.index)


def queries(data: str) -> list[str]:
    from splade_search.data import read_queries

    return [q for q in read_queries(Path(data) / "queries.jsonl").values() if q.strip()]


def in_process_qps(retriever, texts: list[str], batch: int = 32, seconds: float = 10.0) -> float:
    """Queries per second of ``retriever.search_batch`` in batches of ``batch`` (k=10), over about ``seconds``."""
    retriever.search_batch(texts[:batch], 10)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        chunk = [texts[(done + i) % len(texts)] for i in range(batch)]
        retriever.search_batch(chunk, 10)
        done += batch
    return done / (time.perf_counter() - start)


def child(args: argparse.Namespace) -> None:
    """Serve the retriever on ``args.port`` until terminated (the server process)."""
    from splade_search.serve import serve

    serve(load_retriever(args.index, args.data, args.model), host=HOST, port=args.port, log_level="warning", access_log=False,
          torch_threads=args.threads, max_batch=args.max_batch, batch_wait=args.batch_wait_ms / 1000, check_every=None)


async def client(port: int, texts: list[str], offset: int, stop_at: float, budget: list[int], out: list, errors: list) -> None:
    """One client: a keep-alive connection, one request at a time, until ``stop_at`` or the shared budget is spent."""
    reader, writer = await asyncio.open_connection(HOST, port)
    i = offset
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            target = "/search?" + urlencode({"q": texts[i % len(texts)], "k": 10})
            start = time.perf_counter()
            writer.write(f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            body = await reader.readexactly(length)
            elapsed = time.perf_counter() - start
            if head.split(b" ")[1] != b"200" or not body.startswith(b"{"):
                errors.append(head.split(b"\r\n")[0].decode())
            out.append(elapsed)
            i += 1
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(repr(exc))
    finally:
        writer.close()


async def level(port: int, texts: list[str], clients: int, duration: float, max_requests: int) -> dict:
    """Run ``clients`` concurrent clients for ``duration`` seconds (at most ``max_requests``)."""
    warm: list[float] = []
    await asyncio.gather(*(client(port, texts, 7919 * n, time.perf_counter() + WARMUP_SECONDS, [10**9], warm, []) for n in range(clients)))
    latencies: list[float] = []
    errors: list[str] = []
    budget = [max_requests]
    start = time.perf_counter()
    await asyncio.gather(*(client(port, texts, 104729 * n, start + duration, budget, latencies, errors) for n in range(clients)))
    wall = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:3],
        "seconds": round(wall, 2),
        "qps": len(latencies) / wall,
        "p50_ms": float(np.percentile(ms, 50)) if len(ms) else float("nan"),
        "p99_ms": float(np.percentile(ms, 99)) if len(ms) else float("nan"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen:
    command = [sys.executable, __file__, "--child", "--port", str(port), args.index, args.data, "--model", args.model,
               "--max-batch", str(args.max_batch), "--batch-wait-ms", str(args.batch_wait_ms)]
    command += ["--threads", str(args.threads)] if args.threads else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start within 300 s")


def run(args: argparse.Namespace) -> dict:
    texts = queries(args.data)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    reference = in_process_qps(load_retriever(args.index, args.data, args.model), texts, seconds=args.reference_seconds)
    port = free_port()
    server = start_server(args, port)
    try:
        levels = [asyncio.run(level(port, texts, n, args.duration, args.max_requests)) for n in args.levels]
    finally:
        server.terminate()
        server.wait(30)
    return {"model": args.model, "threads": args.threads, "max_batch": args.max_batch, "batch_wait_ms": args.batch_wait_ms, "duration_s": args.duration,
            "queries": len(texts), "in_process_qps": reference, "levels": levels, "load": os.getloadavg()}


def table(result: dict) -> str:
    """Markdown rows and the target ratios."""
    lines = [f"**{result['model']}**, torch threads {result.get('threads') or 'default'}, max_batch {result['max_batch']}, batch wait {result['batch_wait_ms']} ms, "
             f"{result['duration_s']} s per level; in-process `search_batch` (32 per call): {result['in_process_qps']:.1f} q/s; "
             f"load average after: {', '.join(f'{x:.1f}' for x in result['load'])}\n",
             "| clients | requests | errors | QPS | p50 ms | p99 ms | QPS / in-process |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["levels"]:
        lines.append(f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['qps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['qps'] / result['in_process_qps']:.2f} |")
    by = {r["clients"]: r for r in result["levels"]}
    if 1 in by and 16 in by:
        lines += ["", f"16 clients: throughput {by[16]['qps'] / result['in_process_qps']:.2f}x in-process (target >= 0.8); "
                  f"p99 {by[16]['p99_ms'] / by[1]['p50_ms']:.2f}x the 1-client p50 (target <= 5); "
                  f"errors {sum(r['errors'] for r in result['levels'])} (target 0)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", help="index folder")
    parser.add_argument("data", help="BEIR folder with queries.jsonl (and corpus.jsonl for --model inference-free)")
    parser.add_argument("--model", choices=("splade", "inference-free"), default="splade")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level")
    parser.add_argument("--max-requests", type=int, default=100_000, help="requests per level at most")
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--batch-wait-ms", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads in the server and the reference")
    parser.add_argument("--reference-seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    result = run(args)
    print(json.dumps(result) if args.json else table(result), flush=True)


if __name__ == "__main__":
    main()
