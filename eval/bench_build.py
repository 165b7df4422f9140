"""Index build rate (documents/s from ready vectors) and bytes on disk per posting: csr vs Lucene vs PISA (and bmp).

Engines: those of `_engines` plus ``csr-compact`` and ``csr-uint8-compact`` (`CsrIndex` with
``storage="compact"``: doc numbers delta + variable-byte coded, weights as stored, deflated in blocks
decoded as searches need them).
For csr variants the time to open the fresh index (``verify=False``; plain ones are memory-mapped, compact
ones decode nothing until searched, format 2 ones decoded whole) is recorded as ``open_s`` (best of 3, files
in page cache).

Each build runs in its own subprocess (so one engine's memory or JVM never affects another),
from vectors already encoded and cached (`_vectors`, `_gen`). The build indexes stay under
``eval/_work/indexes/<corpus>/<engine>`` for `bench_search`; results are merged into
``eval/_work/results/build.json``. Usage (the machine is shared: nice it):

    nice .venv/bin/python eval/bench_build.py scifact arguana synth-100000 synth-1000000 --engines csr lucene pisa bmp
    nice .venv/bin/python eval/bench_build.py scifact arguana --engines csr-compact csr-uint8-compact
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

from _corpora import open_corpus
from _vectors import WORK

RESULTS = WORK / "results"
COMPACT = {"csr-compact": None, "csr-uint8-compact": "uint8"}  # engine -> quantization


def build(engine: str, corpus, path) -> None:
    """`_engines.build`, plus the compact csr variants."""
    from _engines import build as build_engine

    if engine not in COMPACT:
        build_engine(engine, corpus, path)
        return
    from splade_search.indexes import CsrIndex

    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    CsrIndex.build(path, corpus.batches(), corpus.vocab, show_progress=False, quantization=COMPACT[engine], storage="compact")


def open_seconds(path) -> float:
    """Best of 3 times to open a csr index without checksums (compact: decode into memory)."""
    from splade_search.indexes import CsrIndex

    times = []
    for _ in range(3):
        start = time.perf_counter()
        CsrIndex.open(path, verify=False)
        times.append(time.perf_counter() - start)
    return min(times)


def build_one(engine: str, corpus_name: str) -> dict:
    """Build one index in this process and describe it."""
    from _engines import search_bytes

    corpus = open_corpus(corpus_name)
    list(corpus.chunks())  # load (and generate) the vectors before timing
    postings = sum(chunk.nnz for chunk in corpus.chunks())
    path = corpus.index_path(engine)
    start = time.perf_counter()
    build(engine, corpus, path)
    seconds = time.perf_counter() - start
    size = search_bytes(engine, path)
    result = {"engine": engine, "corpus": corpus_name, "docs": corpus.n_docs, "postings": postings, "seconds": seconds,
              "docs_per_s": corpus.n_docs / seconds, "bytes": size, "bytes_per_posting": size / postings}
    if engine.startswith("csr"):
        result["open_s"] = open_seconds(path)
    return result


def record(result: dict) -> None:
    """Merge ``result`` into ``build.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "build.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"{result['corpus']}/{result['engine']}"] = result
    path.write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--engines", nargs="+", default=["csr", "csr-uint8", *COMPACT, "lucene", "pisa", "bmp"])
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(build_one(*args.one)))
        return
    for corpus in args.corpora:
        for engine in args.engines:
            command = [sys.executable, __file__, "-", "--one", engine, corpus]
            out = subprocess.run(command, capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{corpus}/{engine}: FAILED\n{out.stderr[-3000:]}", flush=True)
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
            record(result)
            speed, size = result["docs_per_s"], result["bytes_per_posting"]
            opened = f", open {result['open_s']:.3f} s" if "open_s" in result else ""
            print(f"{corpus}/{engine}: {speed:.0f} docs/s, {size:.2f} bytes/posting{opened}", flush=True)


if __name__ == "__main__":
    main()
