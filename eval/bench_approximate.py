"""Approximate search on two vector profiles: csr exact / pruned / approximate vs Seismic vs bmp, same vectors.

Profiles of one corpus (see `_corpora`; the scaled ``topic-<N>`` and ``synth-<N>`` corpora are drawn here
from SciFact's vectors alone, see `scaled_chunks`, and use SciFact's 300 test queries):

- ``flat``: the embedded tiny SPLADE's vectors as they are (~270 terms per document, ~53 per query);
- ``peaked``: the same vectors cut to each document's 120 and each query's 25 heaviest terms
  (engines.md, "A peaked vector profile without training"), about the shape of a real SPLADE model's;
- ``trained``: the vectors of a SPLADE model trained sparser (a stronger FLOPS weight; eval/approximate.md
  has the recipe), cached first with ``eval/_vectors.py scifact --model FOLDER --tag trained``; the
  scaled corpora are then drawn from those vectors alone.

Per corpus and profile, each engine runs in its own subprocess, one after the other, on the same
vectors: ``csr`` (build; ``exact``, whose top-10 is the reference; ``pruned``, the fastest exact
path; ``approximate`` over `CSR_GRID`; numba, the ``fast`` extra, makes its kernels), ``seismic``
(this package's seismic backend, one build per ``--seismic-build``; `SEISMIC_GRID` timed as
Seismic's own ``search`` call on prepared token arrays, and `SEISMIC_DEFAULT` also through
``index.search`` to show the backend's overhead) and ``bmp`` (Block-Max Pruning, alpha grid; needs
the ``bench`` extra). Latency: one query per call on one thread after 20 warm-up queries; median
and p99 over all queries, of the better of `PASSES` passes (the machine is shared; bmp: one pass). Recall@10:
share of csr exact's top-10 found. Results are merged into
``eval/_work/results/approximate-profiles.json``; ``report`` prints the markdown tables.

    nice .venv/bin/python eval/bench_approximate.py run topic-100000 --profiles flat peaked
    nice .venv/bin/python eval/bench_approximate.py report
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from _corpora import INDEXES, BenchCorpus, open_corpus, query_rows
from _gen import CHUNK, generate, generate_topical
from _vectors import WORK, load
from bench_search import RESULTS, K, recall, summary, timed

RESULTS_NAME = "approximate-profiles"
SOURCES = ("scifact",)  # real corpora the scaled ones are drawn from (`_gen`'s default adds ArguAna)
PEAKED = (120, 25)  # heaviest terms kept per document, per query
CSR_GRID = [*({"budget": b, "rerank": 300} for b in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)),
            *({"budget": b, "rerank": 1000} for b in (0.05, 0.1, 0.2, 0.3)),
            *({"budget": b, "rerank": 100} for b in (0.1, 0.2, 0.3, 0.4))]
SEISMIC_GRID = [{"query_cut": c, "heap_factor": h} for c in (3, 5, 10, 20) for h in (0.6, 0.8, 1.0)]
SEISMIC_DEFAULT = {"query_cut": 10, "heap_factor": 0.8}  # also timed through `index.search`, for the backend's overhead
PASSES = 2  # each setting's queries run this often; the pass with the lower median counts (the machine is shared)
BMP_ALPHAS = (1.0, 0.8, 0.6)  # one pass each: bmp takes ~0.3 s per query on the flat 1M corpus
RECALL_LEVELS = (0.9, 0.95, 0.97, 0.99)
ENGINES = ("csr", "seismic", "bmp")
PROFILES = ("flat", "peaked", "trained")
_BLOCK = 50_000


def top_terms(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row cut to its ``keep`` largest weights (ties: lower term id), in blocks of rows."""
    blocks = []
    for start in range(0, matrix.shape[0], _BLOCK):
        block = matrix[start : start + _BLOCK]
        lengths = np.diff(block.indptr)
        row_of = np.repeat(np.arange(block.shape[0]), lengths)
        order = np.lexsort((block.indices, -block.data, row_of))
        rank = np.arange(block.nnz) - np.repeat(block.indptr[:-1], lengths)
        kept = order[rank < keep]
        cut = sp.csr_matrix((block.data[kept], (row_of[kept], block.indices[kept])), shape=block.shape, dtype=np.float32)
        cut.sort_indices()
        blocks.append(cut)
    return sp.vstack(blocks, format="csr")


def sources_of(profile: str) -> tuple[str, ...]:
    """The cached real vectors a profile's corpora come from (`_vectors` names)."""
    return tuple(f"{name}@trained" for name in SOURCES) if profile == "trained" else SOURCES


def scaled_chunks(name: str, sources: tuple[str, ...] = SOURCES):
    """The scaled corpus ``name`` drawn from ``sources`` by `_gen` (same seeds), chunk by chunk, cached in ``eval/_work``."""
    kind, n_docs = name.split("-")[0], int(name.split("-")[1])
    make = generate_topical if kind == "topic" else generate
    for number, start in enumerate(range(0, n_docs, CHUNK)):
        size = min(CHUNK, n_docs - start)
        path = WORK / f"{name}-from-{'+'.join(sources)}-{number}-{size}.npz"
        if not path.exists():
            matrix = make(size, seed=n_docs * 1000 + number, names=sources)
            np.savez(path, indptr=matrix.indptr, indices=matrix.indices, data=matrix.data, shape=np.array(matrix.shape))
            del matrix
        with np.load(path, allow_pickle=False) as f:
            yield sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))


@dataclass
class ProfiledCorpus(BenchCorpus):
    """A benchmark corpus with its vectors in one profile (``flat``, ``peaked`` or ``trained``)."""

    profile: str = "flat"

    def chunks(self):
        if self.name.startswith(("synth-", "topic-")):
            chunks = scaled_chunks(self.name, sources_of(self.profile))
        elif self.profile == "trained":
            chunks = iter([load(f"{self.name}@trained").docs])
        else:
            chunks = super().chunks()
        for chunk in chunks:
            yield top_terms(chunk, PEAKED[0]) if self.profile == "peaked" else chunk

    def index_path(self, engine: str) -> Path:
        return INDEXES / f"{self.name}.{self.profile}" / engine


def open_profiled(name: str, profile: str) -> ProfiledCorpus:
    corpus = open_corpus(name)
    queries = top_terms(corpus.queries, PEAKED[1]) if profile == "peaked" else corpus.queries
    if profile == "trained":  # the scaled corpora use their source's queries
        source = sources_of(profile)[0] if name.startswith(("synth-", "topic-")) else f"{name}@trained"
        queries = load(source).queries
    return ProfiledCorpus(corpus.name, corpus.n_docs, corpus.vocab, queries, profile)


def reference_path(corpus: ProfiledCorpus) -> Path:
    return RESULTS / f"reference-{corpus.name}.{corpus.profile}.json"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def built(engine: str, corpus: ProfiledCorpus, path: Path, make, rebuild: bool) -> dict:
    """Build ``engine``'s index with ``make()`` unless one is there; its build time, peak RSS and size."""
    info_file = path.parent / f"{path.name}.build.json"
    if rebuild or not path.exists() or not info_file.exists():
        start = time.perf_counter()
        make()
        info = {"build_s": time.perf_counter() - start, "build_peak_rss_mb": peak_rss_mb(), "bytes": folder_bytes(path)}
        info_file.write_text(json.dumps(info))
    return json.loads(info_file.read_text())


def row_search(index, width: int, mode: str, knobs: dict):
    def search(terms, weights, k):
        row = sp.csr_matrix((weights, terms, [0, len(terms)]), shape=(1, width))
        return index.search(row, k, threads=1, mode=mode, **knobs)[0].indices.tolist()

    return search


def measured(engine: str, variant: str, knobs: dict, search, rows, reference, passes: int = PASSES, **extra) -> dict:
    start = time.perf_counter()
    search(*rows[0], K)
    first = time.perf_counter() - start
    hits, seconds = min((timed(search, rows) for _ in range(passes)), key=lambda run: float(np.median(run[1])))
    result = {"engine": engine, "variant": variant, "knobs": knobs, "first_query_s": first, **summary(seconds),
              "recall_at_10": recall(hits, reference), **extra}
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def run_csr(corpus: ProfiledCorpus, rebuild: bool) -> list[dict]:
    from _engines import build
    from splade_search.indexes import CsrIndex

    path = corpus.index_path("csr")
    info = built("csr", corpus, path, lambda: build("csr", corpus, path), rebuild)
    index = CsrIndex.open(path, verify=False)
    rows, width = query_rows(corpus.queries), len(corpus.vocab)
    hits, _ = timed(row_search(index, width, "exact", {}), rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    reference_path(corpus).write_text(json.dumps(hits))
    results = [measured("csr", "exact", {}, row_search(index, width, "exact", {}), rows, hits, **info),
               measured("csr", "pruned", {}, row_search(index, width, "pruned", {}), rows, hits)]
    return results + [measured("csr", "approximate", g, row_search(index, width, "approximate", g), rows, hits) for g in CSR_GRID]


def run_seismic(corpus: ProfiledCorpus, build_knobs: dict, rebuild: bool) -> list[dict]:
    from splade_search.indexes.seismic import SeismicIndex
    from splade_search.indexes.seismic.engine import query_tokens

    tag = ",".join(f"{k}={v}" for k, v in sorted(build_knobs.items())) or "default"
    path = corpus.index_path(f"seismic-{tag}")

    def make():
        SeismicIndex.build(path, corpus.batches(), corpus.vocab, show_progress=False, knobs=build_knobs, threads=2)

    info = built("seismic", corpus, path, make, rebuild)
    start = time.perf_counter()
    index = SeismicIndex.open(path, verify=False)
    info = {**info, "open_s": time.perf_counter() - start, "build_knobs": index.build_settings.to_dict()}
    rows, width = query_rows(corpus.queries), len(corpus.vocab)
    reference = json.loads(reference_path(corpus).read_text())
    prepared = [(query_tokens(np.sort(t)), w[np.argsort(t)].astype(np.float32)) for t, w in rows]
    backend = row_search(index, width, "approximate", SEISMIC_DEFAULT)
    results = [measured("seismic", "backend", SEISMIC_DEFAULT, backend, rows, reference, **info)]
    for knobs in SEISMIC_GRID:
        def native(tokens, values, k, knobs=knobs):  # rows already as Seismic's token and value arrays
            return [int(hit[2]) for hit in index._engine.search("q", tokens, values, k, knobs["query_cut"], knobs["heap_factor"])]

        results.append(measured("seismic", "native", knobs, native, prepared, reference, build_knobs=info["build_knobs"]))
    return results


def run_bmp(corpus: ProfiledCorpus, rebuild: bool) -> list[dict]:
    import bmp

    from _engines import build

    path = corpus.index_path("bmp")
    info = built("bmp", corpus, path, lambda: build("bmp", corpus, path), rebuild)
    searcher = bmp.Searcher(str(path / "index.bmp"))
    rows = query_rows(corpus.queries)
    reference = json.loads(reference_path(corpus).read_text())
    results = []
    for alpha in BMP_ALPHAS:
        def search(terms, weights, k, alpha=alpha):
            query = {f"t{t}": float(w) for t, w in zip(terms.tolist(), weights.tolist(), strict=True)}
            return [int(d) for d in searcher.search(query, k=k, alpha=alpha, beta=1.0)[0]]

        results.append(measured("bmp", "approximate", {"alpha": alpha}, search, rows, reference, passes=1, **info))
    return results


def load_results() -> dict:
    path = RESULTS / f"{RESULTS_NAME}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def record(key: str, value: list[dict]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = load_results()
    results[key] = value
    (RESULTS / f"{RESULTS_NAME}.json").write_text(json.dumps(results, indent=1))


def parse_build(text: str) -> dict:
    from splade_search.indexes.knobs import parse_knobs

    return {} if text == "default" else parse_knobs(text.split(","))


def run_one(engine: str, name: str, profile: str, build_text: str, rebuild: bool) -> list[dict]:
    corpus = open_profiled(name, profile)
    if engine == "csr":
        return run_csr(corpus, rebuild)
    if engine == "seismic":
        return run_seismic(corpus, parse_build(build_text), rebuild)
    return run_bmp(corpus, rebuild)


def run(args: argparse.Namespace) -> None:
    for name in args.corpora:
        for profile in args.profiles:
            jobs = [(e, "default") for e in args.engines if e != "seismic"]
            jobs[1:1] = [("seismic", b) for b in args.seismic_build] if "seismic" in args.engines else []
            for engine, build_text in jobs:
                command = [sys.executable, __file__, "one", engine, name, profile, build_text, *(["--rebuild"] if args.rebuild else [])]
                command = ["flock", args.lock, *command] if args.lock else command
                out = subprocess.run(command, stdout=subprocess.PIPE, text=True)
                if out.returncode != 0:
                    print(f"{name}/{profile}/{engine} {build_text}: FAILED (exit {out.returncode})", flush=True)
                    continue
                key = f"{name}/{profile}/{engine}" + (f"/{build_text}" if engine == "seismic" else "")
                record(key, json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"{key}: recorded", flush=True)


def fastest_at(runs: list[dict], level: float) -> dict | None:
    reaching = [r for r in runs if r["recall_at_10"] >= level]
    return min(reaching, key=lambda r: r["median_ms"]) if reaching else None


def knob_text(run: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in run["knobs"].items()) or "-"


def report() -> str:
    lines: list[str] = []
    groups: dict[str, list[dict]] = {}
    for key, runs in load_results().items():
        name, profile = key.split("/")[:2]
        groups.setdefault(f"{name}/{profile}", []).extend({**r, "key": key} for r in runs)
    for group, runs in groups.items():
        exact = next(r for r in runs if r["engine"] == "csr" and r["variant"] == "exact")
        pruned = next(r for r in runs if r["engine"] == "csr" and r["variant"] == "pruned")
        lines += [f"\n**{group}** (csr exact {exact['median_ms']:.2f} ms, csr pruned {pruned['median_ms']:.2f} ms)\n",
                  "| engine | build | knobs | recall@10 | median ms | p99 ms | / csr exact | / csr pruned |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        for r in (r for r in runs if r["variant"] != "backend"):
            build_tag = r["key"].split("/", 3)[3] if r["engine"] == "seismic" else ""
            label = f"{r['engine']} {r['variant']}"
            lines.append(f"| {label} | {build_tag} | {knob_text(r)} | {r['recall_at_10']:.3f} | {r['median_ms']:.2f} | "
                         f"{r['p99_ms']:.2f} | {r['median_ms'] / exact['median_ms']:.3f}x | {r['median_ms'] / pruned['median_ms']:.2f}x |")
        lines += ["", "| recall@10 >= | csr approximate | Seismic | bmp | Seismic ms / csr ms |", "|---:|---|---|---|---:|"]
        families = {
            "csr": [r for r in runs if r["engine"] == "csr" and r["variant"] == "approximate"],
            "seismic": [r for r in runs if r["engine"] == "seismic" and r["variant"] == "native"],
            "bmp": [r for r in runs if r["engine"] == "bmp"],
        }
        for level in RECALL_LEVELS:
            best = {name: fastest_at(family, level) for name, family in families.items()}
            cells = [f"{b['median_ms']:.2f} ms ({knob_text(b)})" if b else "not reached" for b in best.values()]
            ratio = f"{best['seismic']['median_ms'] / best['csr']['median_ms']:.2f}x" if best["csr"] and best["seismic"] else "-"
            lines.append(f"| {level} | " + " | ".join(cells) + f" | {ratio} |")
        for r in (r for r in runs if r["engine"] == "seismic" and r["variant"] == "backend"):
            native = next(n for n in families["seismic"] if n["key"] == r["key"] and n["knobs"] == r["knobs"])
            lines.append(f"\nSeismic {r['key'].split('/', 3)[3]}, {knob_text(r)}: {r['median_ms']:.2f} ms through "
                         f"`index.search`, {native['median_ms']:.2f} ms as Seismic's own call.")
        builds = [r for r in runs if r.get("build_s") is not None and r["variant"] in ("exact", "backend", "approximate")]
        seen = set()
        lines += ["", "| index | build s | build peak RSS MB | size MB |", "|---|---:|---:|---:|"]
        for r in builds:
            label = r["key"].split("/", 2)[2]
            if label in seen:
                continue
            seen.add(label)
            lines.append(f"| {label} | {r['build_s']:.0f} | {r['build_peak_rss_mb']:.0f} | {r['bytes'] / 1e6:.0f} |")
    return "\n".join(lines)


def plot(group: str, path: Path) -> None:
    """Recall@10 against median latency for one ``corpus/profile`` group: one series per engine and build."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[float, float]]] = {}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, runs in load_results().items():
        if not key.startswith(group + "/"):
            continue
        for r in runs:
            if r["variant"] in ("exact", "pruned"):
                ax.axvline(r["median_ms"], color="grey", linewidth=0.8, linestyle=":")
                ax.annotate(f"csr {r['variant']}", (r["median_ms"], 0.02), rotation=90, fontsize=7,
                            xycoords=("data", "axes fraction"))
            elif r["variant"] != "backend":
                label = f"{r['engine']} {key.split('/', 3)[3]}" if r["engine"] == "seismic" else f"{r['engine']} approximate"
                series.setdefault(label, []).append((r["median_ms"], r["recall_at_10"]))
    for label, points in series.items():
        ax.plot(*zip(*sorted(points)), marker="o", markersize=3, linestyle="", label=label)
    ax.axhline(0.97, color="grey", linewidth=0.8, linestyle="--")
    ax.set(xscale="log", xlabel="median latency, 1 thread (ms)", ylabel="recall@10 vs csr exact",
           title=f"Approximate search: recall vs latency ({group})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="measure corpora (one subprocess per engine)")
    run_parser.add_argument("corpora", nargs="+")
    run_parser.add_argument("--profiles", nargs="+", default=["flat", "peaked"], choices=PROFILES)
    run_parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    run_parser.add_argument("--seismic-build", nargs="+", default=["default"],
                            help="Seismic build knobs per build: 'default' or NAME=VALUE,NAME=VALUE")
    run_parser.add_argument("--rebuild", action="store_true", help="rebuild indexes that exist")
    run_parser.add_argument("--lock", help="run each engine's subprocess under `flock LOCK` (big jobs one at a time)")
    one = sub.add_parser("one")
    one.add_argument("engine", choices=ENGINES)
    one.add_argument("corpus")
    one.add_argument("profile")
    one.add_argument("build")
    one.add_argument("--rebuild", action="store_true")
    report_parser = sub.add_parser("report", help="print the markdown tables")
    report_parser.add_argument("--plot", nargs=2, metavar=("GROUP", "PNG"), help="also plot CORPUS/PROFILE to PNG")
    generate_parser = sub.add_parser("generate", help="generate and cache scaled corpora")
    generate_parser.add_argument("corpora", nargs="+")
    args = parser.parse_args()
    missing = [f"{source}@trained" for source in SOURCES if not (WORK / f"{source}@trained.docs.npz").exists()]
    if args.command == "run" and "trained" in args.profiles and missing:
        parser.error(f"the trained profile needs the vectors {', '.join(missing)}: run "
                     "eval/_vectors.py scifact --model FOLDER --tag trained first")
    if args.command == "report" and args.plot:
        groups = {"/".join(key.split("/")[:2]) for key in load_results()}
        if args.plot[0] not in groups:
            parser.error(f"no results for {args.plot[0]!r}; recorded: {', '.join(sorted(groups)) or 'none'}")
    if args.command == "one":
        print(json.dumps(run_one(args.engine, args.corpus, args.profile, args.build, args.rebuild)))
    elif args.command == "run":
        run(args)
    elif args.command == "generate":
        for name in args.corpora:
            print(name, sum(chunk.nnz for chunk in scaled_chunks(name)), "postings", flush=True)
    else:
        print(report())
        if args.plot:
            plot(args.plot[0], Path(args.plot[1]))


if __name__ == "__main__":
    main()
