"""Scale: build and search csr indexes of millions of scaled documents in bounded memory.

For each corpus (``synth-<N>`` / ``topic-<N>``, see `_gen`) and variant (quantization, storage):

- **build**: a *feeder* subprocess produces the document vectors (from the `_gen` cache, generated
  on the fly with ``--no-cache`` so that no copy of them lands on disk, or, with ``--recycle DONOR``,
  the cached chunks of a smaller corpus cycled as jittered near-copies, see `recycled`) and sends them
  batch by batch (`BATCH` documents) through a pipe to a *build* subprocess, which runs
  `CsrIndex.build` on them, as an encoder would feed it. Recorded for the build process alone:
  wall seconds, seconds spent waiting for the feeder, CPU seconds, peak RSS (``ru_maxrss`` and
  ``VmHWM``; and sampled, its anonymous and file-backed parts apart: the build ends by opening the
  new index, whose check reads every memory-mapped posting), the largest batch in bytes, the
  index's bytes on disk, its runs, and the load average;
- **search** (another subprocess, SciFact's 300 test queries, one thread, 20 warm-up queries):
  median / p99 latency of ``exact`` (scipy) and ``pruned`` (the exact-results numba kernel), and
  of ``approximate`` with its default knobs, with recall@10 against ``exact``; the approximate
  structure is held in memory (two copies of the postings), so it runs only where
  ``--approximate-limit`` GiB (an address-space limit on that step) allow.

Results are merged into ``eval/_work/results/scale.json``; the index is deleted afterwards unless
``--keep``. Run every step of a big corpus under the machine's big-job lock, niced:

    flock /work/wt/bigjob.lock nice .venv/bin/python eval/bench_scale.py synth-3000000 --sources scifact
    flock /work/wt/bigjob.lock nice .venv/bin/python eval/bench_scale.py synth-8841823 --sources scifact \\
        --quantization uint8 --recycle synth-3000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from _corpora import BATCH, INDEXES
from _gen import SOURCES, chunk_paths, chunks
from _vectors import WORK, load

RESULTS = WORK / "results"
FRAME = struct.Struct("<qqq")  # first document number, rows, postings; rows = -1 ends the stream
K, WARMUP = 10, 20


def recycled(corpus: str, donor: str, sources: tuple[str, ...]) -> Iterator[sp.csr_matrix]:
    """``corpus``'s size in chunks of the cached corpus ``donor``, cycled: each later pass permutes
    the chunk's documents and multiplies every weight by a log-normal jitter (sigma 0.05, as `_gen`
    does), so documents are near-copies of the donor's, not exact ones (no tied scores)."""
    remaining, paths = int(corpus.split("-")[1]), chunk_paths(donor, sources)
    for number in itertools.count():
        if remaining <= 0:
            return
        with np.load(paths[number % len(paths)], allow_pickle=False) as f:
            chunk = sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))
        if number >= len(paths):
            rng = np.random.default_rng(number)
            chunk = chunk[rng.permutation(chunk.shape[0])]
            chunk.data *= np.exp(rng.normal(0.0, 0.05, size=chunk.nnz)).astype(np.float32)
        yield chunk[:remaining]
        remaining -= chunk.shape[0]


def feed(corpus: str, sources: tuple[str, ...], cache: bool, donor: str | None) -> None:
    """Write the corpus to stdout as frames: header, int64 indptr, int32 term ids, float32 weights."""
    out, first = sys.stdout.buffer, 0
    for chunk in recycled(corpus, donor, sources) if donor else chunks(corpus, sources, cache):
        for start in range(0, chunk.shape[0], BATCH):
            rows = chunk[start : start + BATCH]
            out.write(FRAME.pack(first, rows.shape[0], rows.nnz))
            for array, dtype in ((rows.indptr, np.int64), (rows.indices, np.int32), (rows.data, np.float32)):
                out.write(np.ascontiguousarray(array, dtype=dtype).tobytes())
            first += rows.shape[0]
    out.write(FRAME.pack(first, -1, 0))
    out.flush()


class Fed:
    """The feeder's batches as ``(ids, rows)``, timing how long the reader waits for them."""

    def __init__(self, command: list[str], n_terms: int) -> None:
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE)
        self.n_terms = n_terms
        self.waited = 0.0
        self.largest_batch = 0
        self.runs = 0
        self._gathered = 0

    def __iter__(self) -> Iterator[tuple[list[str], sp.csr_matrix]]:
        pipe = self._process.stdout
        while True:
            start = time.perf_counter()
            first, n_rows, nnz = FRAME.unpack(self._read(pipe, FRAME.size))
            if n_rows < 0:
                break
            indptr = np.frombuffer(self._read(pipe, 8 * (n_rows + 1)), dtype=np.int64)
            indices = np.frombuffer(self._read(pipe, 4 * nnz), dtype=np.int32)
            data = np.frombuffer(self._read(pipe, 4 * nnz), dtype=np.float32)
            self.waited += time.perf_counter() - start
            self.largest_batch = max(self.largest_batch, indptr.nbytes + indices.nbytes + data.nbytes)
            self._count_runs(nnz)
            yield [str(n) for n in range(first, first + n_rows)], sp.csr_matrix((data, indices, indptr), shape=(n_rows, self.n_terms))
        if self._process.wait() != 0:
            raise RuntimeError("the feeder failed")

    def _count_runs(self, nnz: int) -> None:
        """Follow `SortedRuns`: a run ends once it gathers ``RUN_POSTINGS``; the last one may be shorter."""
        from splade_search.indexes.csr import runs

        self.runs += self._gathered == 0
        self._gathered += nnz
        if self._gathered >= runs.RUN_POSTINGS:
            self._gathered = 0

    @staticmethod
    def _read(pipe, size: int) -> bytes:
        data = pipe.read(size)
        if len(data) != size:
            raise RuntimeError("the feeder's stream ended early")
        return data


class MemorySampler:
    """Samples this process's anonymous and file-backed resident memory (``/proc``) every 0.1 s.

    ``ru_maxrss`` adds both: memory-mapped index files that a step reads count as resident (they
    can be dropped by the kernel at any time), so the split shows what the step itself allocates.
    """

    def __init__(self) -> None:
        self.peaks = {"RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def _sample(self) -> None:
        for line in Path("/proc/self/status").read_text().splitlines():
            name = line.split(":", 1)[0]
            if name in self.peaks:
                self.peaks[name] = max(self.peaks[name], int(line.split()[1]) * 1024)

    def result(self) -> dict:
        return {"peak_anon_bytes": self.peaks["RssAnon"], "peak_file_bytes": self.peaks["RssFile"]}


def peak_rss() -> dict:
    """This process's peak resident memory, as ``getrusage`` and ``/proc`` say."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "vm_hwm_bytes": int(status["VmHWM"].split()[0]) * 1024}


def index_path(corpus: str, variant: str) -> Path:
    return INDEXES / corpus / f"scale-{variant}"


def build_step(corpus: str, variant: str, options: dict, feeder: list[str]) -> dict:
    """Build the index in this process from the feeder's pipe; what it cost."""
    from splade_search.indexes import CsrIndex
    from splade_search.indexes.csr import runs
    from splade_search.indexes.generations import current_folder

    vocab = json.loads((WORK / "vocab.json").read_text())
    path = index_path(corpus, variant)
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fed = Fed(feeder, len(vocab))
    load_before, cpu_before, start = os.getloadavg(), time.process_time(), time.perf_counter()
    with MemorySampler() as memory:
        index = CsrIndex.build(path, fed, vocab, show_progress=False, **options)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_before
    size = sum(f.stat().st_size for f in current_folder(path).rglob("*") if f.is_file())
    postings = int(index.manifest["num_postings"])
    return {"docs": len(index), "postings": postings, "build_s": seconds, "waited_for_feeder_s": fed.waited,
            "build_cpu_s": cpu, "index_bytes": size, "bytes_per_posting": size / postings,
            "largest_batch_bytes": fed.largest_batch, "runs": fed.runs,
            "run_postings": runs.RUN_POSTINGS, **peak_rss(), **memory.result(), "load_before": load_before, "load_after": os.getloadavg()}


def timed(search, rows) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Hits, wall seconds and this thread's CPU seconds per query (after a warm-up); CPU time is
    what a query costs when the shared machine's other work is left out."""
    for row in rows[:WARMUP]:
        search(row)
    hits, seconds, cpu = [], [], []
    for row in rows:
        start, start_cpu = time.perf_counter(), time.thread_time()
        hits.append(search(row))
        seconds.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return hits, np.array(seconds), np.array(cpu)


def search_step(corpus: str, variant: str, mode: str, limit_gib: float) -> dict:
    """Latency (and recall against exact, read from ``reference``) of one search mode, in this process."""
    from splade_search.indexes import CsrIndex
    from splade_search.indexes.csr import fast

    if limit_gib:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit_gib * 2**30), resource.RLIM_INFINITY))
    queries = load("scifact").queries
    rows = [queries[i] for i in range(queries.shape[0])]
    start = time.perf_counter()
    index = CsrIndex.open(index_path(corpus, variant), verify=False)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    index.search(rows[0], K, threads=1, mode=mode)
    first = time.perf_counter() - start
    hits, seconds, cpu = timed(lambda row: index.search(row, K, threads=1, mode=mode)[0].indices.tolist(), rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    reference = RESULTS / f"scale-reference-{corpus}-{variant}.json"
    if mode == "exact":
        reference.write_text(json.dumps(hits))
    exact = json.loads(reference.read_text())
    found = [len(set(h) & set(r)) / len(r) for h, r in zip(hits, exact, strict=True) if r]
    return {"mode": mode, "open_s": opened, "first_query_s": first, "median_ms": 1000 * float(np.median(seconds)),
            "p99_ms": 1000 * float(np.percentile(seconds, 99)), "cpu_median_ms": 1000 * float(np.median(cpu)),
            "cpu_p99_ms": 1000 * float(np.percentile(cpu, 99)), "recall_at_10": float(np.mean(found)),
            "queries": len(rows), "numba": fast.available(), **peak_rss(), "load": os.getloadavg()}


def record(key: str, value: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = value
    path.write_text(json.dumps(results, indent=1))


def report() -> str:
    """The recorded results as the markdown tables of ``scale.md``."""
    results = json.loads((RESULTS / "scale.json").read_text())
    gb = 1e9
    lines = ["| corpus | variant | docs | postings | runs | build s (waiting for input) | build CPU s | index GB | "
             "largest batch GB | peak RSS GB (anon / file) | peak RSS / (index + batch) | load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    searches = ["| corpus | variant | mode | median ms | p99 ms | CPU median ms | CPU p99 ms | recall@10 | first query s | "
                "peak RSS GB | numba | load |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for key, r in results.items():
        b, name = r["build"], r["corpus"] + (f" (from {r['recycled_from']}'s chunks)" if r.get("recycled_from") else "")
        name += "".join(f" ({tag})" for tag in key.split("/")[3:])  # e.g. an earlier run kept under another key
        if "failed" in b:
            lines.append(f"| {name} | {r['variant']} | build failed: {b['failed'][-120:]!r} |")
            continue
        ratio = b["ru_maxrss_bytes"] / (b["index_bytes"] + b["largest_batch_bytes"])
        memory = f"{b['ru_maxrss_bytes'] / gb:.2f}"
        if "peak_anon_bytes" in b:
            memory += f" ({b['peak_anon_bytes'] / gb:.2f} / {b['peak_file_bytes'] / gb:.2f})"
        lines.append(f"| {name} | {r['variant']} | {b['docs']:,} | {b['postings'] / 1e6:.0f} M | {b['runs']} | "
                     f"{b['build_s']:.0f} ({b['waited_for_feeder_s']:.0f}) | {b['build_cpu_s']:.0f} | {b['index_bytes'] / gb:.2f} | "
                     f"{b['largest_batch_bytes'] / gb:.2f} | {memory} | {ratio:.2f} | {b['load_before'][0]:.1f}-{b['load_after'][0]:.1f} |")
        for mode in ("exact", "pruned", "approximate"):
            m = r.get(mode)
            if not m:
                continue
            if "failed" in m:
                reason = m["failed"].strip().splitlines()[-1][:100]
                searches.append(f"| {name} | {r['variant']} | {mode} | not run: {reason} |")
                continue
            searches.append(f"| {name} | {r['variant']} | {mode} | {m['median_ms']:.1f} | {m['p99_ms']:.1f} | "
                            f"{m.get('cpu_median_ms', float('nan')):.1f} | {m.get('cpu_p99_ms', float('nan')):.1f} | "
                            f"{m['recall_at_10']:.3f} | {m['first_query_s']:.1f} | {m['ru_maxrss_bytes'] / gb:.2f} | "
                            f"{m.get('numba', '?')} | {m['load'][0]:.1f} |")
    return "\n".join(lines + [""] + searches)


def step(arguments: list[str]) -> dict | None:
    """Run ``bench_scale.py`` with ``arguments`` in a subprocess; its JSON result, or None when it failed."""
    out = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"{' '.join(arguments)}: FAILED\n{out.stderr[-2000:]}", flush=True)
        return {"failed": out.stderr[-400:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="*")
    parser.add_argument("--report", action="store_true", help="print the recorded results as markdown tables")
    parser.add_argument("--sources", nargs="+", default=list(SOURCES))
    parser.add_argument("--quantization", default=None)
    parser.add_argument("--storage", default="plain")
    parser.add_argument("--no-cache", action="store_true", help="generate the vectors in the feeder, never on disk")
    parser.add_argument("--approximate-limit", type=float, default=16.0, help="GiB of address space for that step (0: none)")
    parser.add_argument("--recycle", metavar="DONOR", help="feed the cached chunks of corpus DONOR, cycled (see `recycled`)")
    parser.add_argument("--modes", nargs="+", default=["exact", "pruned", "approximate"], help="search modes to time")
    parser.add_argument("--keep", action="store_true", help="keep the index afterwards")
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report:
        print(report())
        return
    variant = f"{args.quantization or 'float32'}-{args.storage}"
    sources = tuple(args.sources)
    if args.step:
        kind, corpus, mode = args.step
        if kind == "feed":
            feed(corpus, sources, cache=not args.no_cache, donor=args.recycle)
            return
        if kind == "build":
            feeder = [sys.executable, __file__, corpus, "--step", "feed", corpus, "-", "--sources", *sources]
            feeder += (["--no-cache"] if args.no_cache else []) + (["--recycle", args.recycle] if args.recycle else [])
            options = {"quantization": args.quantization, "storage": args.storage}
            print(json.dumps(build_step(corpus, variant, options, feeder)))
        else:
            print(json.dumps(search_step(corpus, variant, mode, args.approximate_limit if mode == "approximate" else 0)))
        return
    common = ["--sources", *sources, "--storage", args.storage] + (["--quantization", args.quantization] if args.quantization else [])
    for corpus in args.corpora:
        key = f"{corpus}/{variant}" + ("" if sources == SOURCES else f"/from-{'+'.join(sources)}")
        result = {"corpus": corpus, "variant": variant, "sources": list(sources), "recycled_from": args.recycle,
                  "cpu": os.cpu_count()}
        feeding = (["--no-cache"] if args.no_cache else []) + (["--recycle", args.recycle] if args.recycle else [])
        result["build"] = step([corpus, "--step", "build", corpus, "-", *common, *feeding])
        print(f"{key}: build {json.dumps(result['build'])}", flush=True)
        if "failed" not in result["build"]:
            for mode in args.modes:
                result[mode] = step([corpus, "--step", "search", corpus, mode, *common,
                                     "--approximate-limit", str(args.approximate_limit)])
                print(f"{key}: {mode} {json.dumps(result[mode])}", flush=True)
        record(key, result)
        if not args.keep:
            shutil.rmtree(index_path(corpus, variant), ignore_errors=True)


if __name__ == "__main__":
    main()
