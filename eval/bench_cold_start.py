"""CLI cold start: ``splade-search query`` on SPLADE, inference-free and BM25 indexes against importing torch + transformers.

One run measures every case as a fresh process (wall and CPU time, HF_HUB_OFFLINE=1), round-robin so
that load changes spread over all cases, and writes ``eval/cold_start.md``: best and median seconds,
their ratios to ``python -c "import torch, transformers"``, whether each case imported torch /
transformers (one extra run with ``-X importtime``), and the machine load (``os.getloadavg``) before,
during and after. Python bytecode is cached (under ``--work``; ``PYTHONDONTWRITEBYTECODE`` is
dropped), as in an installed package. ``--compare TREE`` times the same queries with the splade_search
of another source tree in the same rounds (e.g. ``git archive main | tar -x -C /tmp/main`` for a before/after).

    .venv/bin/python eval/bench_cold_start.py [--runs 7] [--work /tmp/bench_cold_start] [--out eval/cold_start.md] [--compare TREE]

Set-up (not timed): the sample corpus indexed with the embedded splade-tiny (as ``splade-search demo``
does), an inference-free model built from splade-tiny (its query route a ``SparseStaticEmbedding``)
and its index, and BM25 indexes (in-process; Lucene too when Java is available). The OS file cache is
warm after the first round: "cold" is a new process, not a cold disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLES = REPO / "splade_search" / "samples"
QUERY = "what is sparse retrieval"
QUIET_LOAD = 2.0  # 1-minute load average above which absolute times are not to be trusted
FLOOR = "import typer, pydantic, rich.console, rich.table, numpy, scipy.sparse"  # what any torch-free query imports
TARGETS = {"query: splade-tiny index": ("ratio", 1.3), "query: inference-free index": ("seconds", 0.5),
           "query: BM25 index (in-process)": ("seconds", 0.5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_cold_start"), help="where the indexes are built")
    parser.add_argument("--out", type=Path, default=HERE / "cold_start.md", help="the report to write")
    parser.add_argument("--reuse", action="store_true", help="reuse the indexes of an earlier run in --work")
    parser.add_argument("--compare", type=Path, help="also time the queries with the splade_search of this source tree (e.g. an older one)")
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(REPO))
    env["PYTHONPYCACHEPREFIX"] = str(args.work.resolve() / "pycache")  # bytecode cached outside the source trees
    cli = _cli()
    indexes = _build(args.work, cli, env, args.reuse)
    queries = {
        "query: splade-tiny index": [*cli, "query", "-i", str(indexes["splade"]), QUERY],
        "query: inference-free index": [*cli, "query", "-i", str(indexes["inference-free"]), QUERY],
        "query: BM25 index (in-process)": [*cli, "query", "-i", str(indexes["bm25"]), QUERY],
    }
    if "bm25-lucene" in indexes:
        queries["query: BM25 index (Lucene, JVM start)"] = [*cli, "query", "-i", str(indexes["bm25-lucene"]), QUERY]
    cases = {
        "python -c pass": ([sys.executable, "-c", "pass"], env),
        "import torch, transformers (baseline)": ([sys.executable, "-c", "import torch, transformers"], env),
        "floor: import typer, pydantic, rich, numpy, scipy.sparse": ([sys.executable, "-c", FLOOR], env),
        "splade-search --help": ([*cli, "--help"], env),
        **{name: (command, env) for name, command in queries.items()},
    }
    if args.compare is not None:
        other = {**env, "PYTHONPATH": str(args.compare.resolve())}
        cases.update({f"{name} [{args.compare}]": (command, other) for name, command in queries.items()})
    imports = {name: _imports(command, case_env) for name, (command, case_env) in cases.items()}  # also warms the bytecode cache
    loads = [os.getloadavg()]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (command, case_env) in cases.items():
            times[name].append(_timed(command, case_env))
        loads.append(os.getloadavg())
    _report(args, cases, times, imports, loads)


def _cli() -> list[str]:
    """How to start ``splade-search``: the console script next to this Python, else the same entry point."""
    script = Path(sys.executable).parent / "splade-search"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from splade_search.cli import main; main()"]


def _build(work: Path, cli: list[str], env: dict[str, str], reuse: bool) -> dict[str, Path]:
    """The indexes the queries run on (built here, untimed)."""
    indexes = {"splade": work / "sample", "inference-free": work / "inference-free", "bm25": work / "bm25"}
    model = work / "inference-free-model"
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        corpus = str(SAMPLES / "corpus.jsonl")
        _run([*cli, "demo", "--out", str(indexes["splade"]), "--json"], env)
        _run([sys.executable, "-c", _INFERENCE_FREE.format(folder=str(model))], env)
        _run([*cli, "index", corpus, "--model", str(model), "--out", str(indexes["inference-free"]), "--json"], env)
        _run([*cli, "index", corpus, "--model", "bm25", "--bm25-impl", "inprocess", "--out", str(indexes["bm25"]), "--json"], env)
        lucene = subprocess.run(
            [*cli, "index", corpus, "--model", "bm25", "--bm25-impl", "lucene", "--out", str(work / "bm25-lucene"), "--json"],
            env=env, capture_output=True, text=True,
        )
        if lucene.returncode != 0:
            print(f"no Lucene BM25 index (Java missing?): {lucene.stderr.strip()[-200:]}")
    if (work / "bm25-lucene").exists():
        indexes["bm25-lucene"] = work / "bm25-lucene"
    return indexes


_INFERENCE_FREE = """
import torch
from transformers import AutoTokenizer
from splade_search import MLMTransformer, Router, SparseEncoder, SparseStaticEmbedding, SpladePooling
from splade_search.hub import embedded_model_path
path = str(embedded_model_path("splade-tiny"))
tokenizer = AutoTokenizer.from_pretrained(path)
weight = torch.rand(len(tokenizer), generator=torch.Generator().manual_seed(0)) * 3
router = Router.for_query_document([SparseStaticEmbedding(tokenizer, weight=weight, frozen=True)], [MLMTransformer(path), SpladePooling("max")])
SparseEncoder(modules=[router], device="cpu").save({folder!r})
"""


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"set-up failed: {' '.join(command)}\n{done.stderr[-2000:]}")


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall seconds, CPU seconds)`` of one run of ``command``."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _imports(command: list[str], env: dict[str, str]) -> tuple[bool, bool]:
    """Whether one run of ``command`` imports torch / transformers (from ``-X importtime``)."""
    done = subprocess.run(command, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return "torch" in names, "transformers" in names


def _report(args: argparse.Namespace, cases: dict, times: dict, imports: dict, loads: list) -> None:
    walls = {name: [wall for wall, _ in runs] for name, runs in times.items()}
    cpus = {name: [cpu for _, cpu in runs] for name, runs in times.items()}
    base = "import torch, transformers (baseline)"
    best_base, median_base, cpu_base = min(walls[base]), statistics.median(walls[base]), min(cpus[base])
    lines = [
        "# CLI cold start: `splade-search query` against `import torch, transformers`",
        "",
        f"Command: `{' '.join([Path(sys.executable).name, *map(str, sys.argv)])}` ({args.runs} runs per case, "
        "round-robin; each run a new process, HF_HUB_OFFLINE=1, bytecode cached, OS file cache warm).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average (1/5/15 min) before: {_load(loads[0])}, after: {_load(loads[-1])}, "
        f"highest 1-min during: {max(l[0] for l in loads):.2f}.",
        *([f"Load above {QUIET_LOAD} during the run: wall times are inflated (other processes share the CPUs); read the ratios "
           "and CPU seconds, and rerun on a quieter machine for absolute times."] if max(l[0] for l in loads) > QUIET_LOAD else []),
        "",
        "| case | best s | median s | best / baseline | median / baseline | best CPU s | CPU / baseline | imports torch | imports transformers |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for name in cases:
        best, median, cpu = min(walls[name]), statistics.median(walls[name]), min(cpus[name])
        torch_used, transformers_used = imports[name]
        lines.append(
            f"| {name} | {best:.3f} | {median:.3f} | {best / best_base:.2f}x | {median / median_base:.2f}x | {cpu:.3f} "
            f"| {cpu / cpu_base:.2f}x | {'yes' if torch_used else 'no'} | {'yes' if transformers_used else 'no'} |"
        )
    lines += ["", "Targets (issue 13), on the best wall time:", ""]
    for name, (kind, limit) in TARGETS.items():
        best = min(walls[name])
        value = best / best_base if kind == "ratio" else best
        shown = f"{value:.2f}x the baseline" if kind == "ratio" else f"{value:.3f} s"
        goal = f"≤ {limit}x" if kind == "ratio" else f"≤ {limit} s"
        lines.append(f"- {name}: {shown}; target {goal}: {'met' if value <= limit else 'NOT met'}.")
    lines += ["", NOTES]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


NOTES = """How the query paths start (`splade_search/fastpaths`): for an index whose recorded model is a local folder
or embedded alias, `query` first tries a light encoder and keeps it only when its tensors match the
fingerprint the index records and its vocabulary the index's (else the model loads as before).
A BERT SPLADE model runs `light_bert` (the BertForMaskedLM forward in plain torch, same ops as
transformers, no `transformers` import: its modeling code alone costs more than importing torch); an
inference-free model encodes queries with numpy and `tokenizers` (`inference_free`), and BM25 queries
are analysed in Python: neither imports torch. What remains on those two paths is mostly the "floor" row:
the CLI (typer, which builds a pydantic validator for every option of the verb, and rich), numpy and
`scipy.sparse` (the indexes' query vectors; its import alone pulls numpy.f2py, numpy.testing and more
through scipy's array-API layer).
CPU seconds are less sensitive than wall seconds to other processes on a shared machine."""


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
