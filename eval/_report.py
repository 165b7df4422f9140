"""Markdown tables and plots from the recorded benchmark results (``eval/_work/results/*.json``).

    .venv/bin/python eval/_report.py   # prints the tables; writes search_latency.png, approximate_tradeoff.png
"""

from __future__ import annotations

import json
from pathlib import Path

from _vectors import WORK

RESULTS = WORK / "results"
HERE = Path(__file__).resolve().parent
PEERS = ["lucene:", "pyserini:", "pisa:maxscore", "pisa:block_max_wand", "bmp:"]
LABELS = {"csr:exact": "csr exact (scipy)", "csr:pruned": "csr pruned", "csr:pruned-numpy": "csr pruned, no numba",
          "lucene:": "Lucene (ours)", "pyserini:": "pyserini LuceneImpactSearcher", "pisa:maxscore": "PISA maxscore",
          "pisa:block_max_wand": "PISA block-max WAND", "bmp:": "bmp (alpha=beta=1)"}
ORDER = ["scifact", "arguana", "synth-100000", "topic-100000", "synth-1000000", "topic-1000000", "synth-3000000"]
SIZES = {"scifact": 5_183, "arguana": 8_674, "synth-100000": 100_000, "synth-1000000": 1_000_000}  # latency plot
TRADEOFF = ("synth-1000000", "topic-1000000")  # the approximate trade-off plot's corpora


def load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def by_corpus(results: dict) -> dict[str, dict[str, dict]]:
    table: dict[str, dict[str, dict]] = {}
    for key, value in results.items():
        corpus, run = key.split("/", 1)
        table.setdefault(corpus, {})[run] = value
    return dict(sorted(table.items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else 99))


def exact_tables(search: dict) -> str:
    lines = []
    for corpus, runs in by_corpus(search).items():
        ours = runs.get("csr:pruned") or runs["csr:exact"]
        lines += [f"\n**{corpus}** ({ours['queries']} queries)\n",
                  "| engine | median ms | p99 ms | QPS (2 threads) | recall@10 | csr pruned median / this |",
                  "|---|---:|---:|---:|---:|---:|"]
        for run in ["csr:exact", "csr:pruned", "csr:pruned-numpy", *PEERS]:
            if run in runs:
                r = runs[run]
                lines.append(f"| {LABELS[run]} | {r['median_ms']:.2f} | {r['p99_ms']:.2f} | {r['qps_2_threads']:.0f} | "
                             f"{r['recall_at_10']:.3f} | {ours['median_ms'] / r['median_ms']:.2f}x |")
    return "\n".join(lines)


def target_table(search: dict) -> str:
    lines = ["| corpus | csr pruned median ms | best peer | its median ms | ratio (target <= 0.25) |",
             "|---|---:|---|---:|---:|"]
    for corpus, runs in by_corpus(search).items():
        peers = [(runs[p]["median_ms"], p) for p in PEERS if p in runs]
        if not peers or "csr:pruned" not in runs:
            continue
        best, name = min(peers)
        ours = runs["csr:pruned"]["median_ms"]
        lines.append(f"| {corpus} | {ours:.2f} | {LABELS[name]} | {best:.2f} | {ours / best:.2f} |")
    return "\n".join(lines)


def build_table(build: dict) -> str:
    lines = ["| corpus | engine | docs/s | bytes/posting | csr docs/s / this | csr size / this |",
             "|---|---|---:|---:|---:|---:|"]
    for corpus, runs in by_corpus(build).items():
        csr = runs.get("csr")
        for engine in ["csr", "csr-uint8", "lucene", "pisa", "bmp"]:
            if engine in runs:
                r = runs[engine]
                speed = csr["docs_per_s"] / r["docs_per_s"]
                size = csr["bytes_per_posting"] / r["bytes_per_posting"]
                lines.append(f"| {corpus} | {engine} | {r['docs_per_s']:.0f} | {r['bytes_per_posting']:.2f} | "
                             f"{speed:.1f}x | {size:.2f}x |")
    return "\n".join(lines)


def approximate_table(approximate: dict) -> str:
    lines = []
    for corpus, runs in approximate.items():
        exact = next(r for r in runs if r["variant"] == "exact")
        pruned = next(r for r in runs if r["variant"] == "pruned")
        lines += [f"\n**{corpus}**\n", "| run | knobs | recall@10 | median ms | / csr exact | / csr pruned |",
                  "|---|---|---:|---:|---:|---:|"]
        for r in runs:
            knobs = ", ".join(f"{k}={v}" for k, v in r.get("knobs", {}).items()) or "-"
            lines.append(f"| {r['engine']} {r['variant']} | {knobs} | {r['recall_at_10']:.3f} | {r['median_ms']:.2f} | "
                         f"{r['median_ms'] / exact['median_ms']:.2f} | {r['median_ms'] / pruned['median_ms']:.2f} |")
    return "\n".join(lines)


def plots(search: dict, approximate: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = by_corpus(search)
    if _complete("search_latency.png", SIZES, table):
        _latency_plot(plt, table)
    if _complete("approximate_tradeoff.png", TRADEOFF, approximate):
        _tradeoff_plot(plt, approximate)


def _complete(plot: str, corpora, results: dict) -> bool:
    """Whether ``results`` cover every corpus the plot draws; says which are missing otherwise."""
    missing = [c for c in corpora if c not in results]
    if missing:
        print(f"\n{plot} not written: no results for {', '.join(missing)} (run their benchmarks first)")
    return not missing


def _latency_plot(plt, table: dict) -> None:
    sizes = {**SIZES, **({"synth-3000000": 3_000_000} if "synth-3000000" in table else {})}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in ["csr:exact", "csr:pruned", "csr:pruned-numpy", *PEERS]:
        points = sorted((sizes[c], table[c][run]["median_ms"]) for c in sizes if c in table and run in table[c])
        if points:
            ax.plot(*zip(*points), marker="o", label=LABELS[run])
    ax.set(xscale="log", yscale="log", xlabel="documents (SciFact, ArguAna, then synthetic)",
           ylabel="median latency, 1 thread (ms)", title="Exact top-10 latency vs corpus size")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "search_latency.png", dpi=120)


def _tradeoff_plot(plt, approximate: dict) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for corpus in TRADEOFF:
        runs = approximate[corpus]
        for engine in ("csr", "bmp"):
            chosen = [r for r in runs if r["engine"] == engine and r["variant"] == "approximate"]
            points = sorted((r["median_ms"], r["recall_at_10"]) for r in chosen)
            if points:
                ax.plot(*zip(*points), marker=".", linestyle="", label=f"{engine} approximate, {corpus}")
        for variant in ("exact", "pruned"):
            r = next(r for r in runs if r["variant"] == variant)
            ax.scatter([r["median_ms"]], [1.0], marker="x", label=f"csr {variant}, {corpus}")
    ax.axhline(0.97, color="grey", linewidth=0.8, linestyle="--")
    ax.set(xscale="log", xlabel="median latency, 1 thread (ms)", ylabel="recall@10 vs exact",
           title="Approximate search trade-off (1M documents)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "approximate_tradeoff.png", dpi=120)


def main() -> None:
    search, build, approximate = load("search"), load("build"), load("approximate")
    print("## Exact search\n" + exact_tables(search))
    print("\n## Target check\n" + target_table(search))
    print("\n## Build\n" + build_table(build))
    print("\n## Approximate\n" + approximate_table(approximate))
    plots(search, approximate)


if __name__ == "__main__":
    main()
