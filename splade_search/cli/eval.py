"""``splade-search eval``: quality, sparsity, index size and latency of models and indexes on BEIR/NanoBEIR data.

Each ``--model`` is indexed once per ``--backend`` and evaluated through that index; each
``--index`` is evaluated with the model it records. Every system searches in ``--mode`` (with its
``--knob`` options); a mode other than exact also reports its recall against exact search. All
systems on all datasets land in one comparison table (or JSON), and optionally in ``--out``
(``results.json`` and one TREC run per system) and a ``--plot``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..errors import InputError
from .console import console, print_json, reported_warnings, user_errors
from .options import MAX_K, about, check_backend, check_input_file, check_max_length, check_output_file, check_output_folder
from .search_options import knob_option, mode_option, search_settings

NANO_PREFIX = "nano:"
SELF_HIT_DATASETS = ("arguana", "quora")


def register(app: typer.Typer) -> None:
    """Add the ``eval`` verb to ``app``."""

    @app.command("eval")
    def eval_command(
        model: list[str] = typer.Option(None, "--model", "-m", help="Model to index and evaluate (repeatable)."),
        index: list[Path] = typer.Option(None, "--index", "-i", help="Existing index to evaluate with its recorded model (repeatable)."),
        data: str = typer.Option(None, "--data", "-d", help="BEIR folder, or NanoBEIR names: nano:scifact, nano:scifact,nfcorpus, nano:all."),
        qrels: Path = typer.Option(None, "--qrels", help="Judgements file (TREC or BEIR TSV), with --queries and --index."),
        queries: Path = typer.Option(None, "--queries", help="Queries file (queries.jsonl, id<TAB>text), with --qrels and --index."),
        nano_dir: Path = typer.Option(None, "--nano-dir", help="Local folder of NanoBEIR BEIR folders (instead of the hub)."),
        backend: list[str] = typer.Option(["csr"], "--backend", "-b", help="Index backend for --model: csr or lucene (repeatable)."),
        split: str = typer.Option("test", help="Qrels split of a BEIR folder."),
        k: int = typer.Option(100, "-k", min=1, max=MAX_K, help="Documents retrieved per query."),
        max_length: int = typer.Option(None, "--max-length", min=1, help="Maximum tokens per document (default: the model's)."),
        query_max_length: int = typer.Option(None, "--query-max-length", min=1, help="Maximum tokens per query (default: the model's)."),
        batch_size: int = typer.Option(32, min=1, help="Texts per forward pass when indexing."),
        fast: bool = typer.Option(False, "--fast", help="bfloat16 vocabulary projection when encoding (SPLADE; faster, approximate)."),
        ignore_identical_ids: bool = typer.Option(
            None, "--ignore-identical-ids/--keep-identical-ids", help="Drop hits whose id equals the query id (default: on for ArguAna/Quora)."
        ),
        warmup: int = typer.Option(10, min=0, help="Untimed queries before the latency measurement."),
        latency_queries: int = typer.Option(1000, min=1, help="At most this many queries are timed one by one."),
        out: Path = typer.Option(None, "--out", "-o", help="Results folder: results.json, a TREC run per system, the indexes."),
        plot: Path = typer.Option(None, "--plot", help="Write a PNG of nDCG@10 against --plot-x."),
        plot_x: str = typer.Option("sparsity", help="Plot x axis: sparsity, latency or flops."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Evaluate models (indexed on the fly) and indexes: nDCG/MRR/recall, sparsity, index size, latency."""
        models, indexes = list(model or []), list(index or [])
        settings = search_settings(mode, knob)
        _check_options(models, indexes, data, (qrels, queries), backend, plot_x, settings)
        _check_paths(qrels, queries, nano_dir, out, plot)
        with user_errors(out), reported_warnings():
            datasets = _datasets(data, split, nano_dir) if data else None
            judged = _judged(qrels, queries)
            with _index_root(out) as root:
                results = _evaluate_all(
                    models,
                    indexes,
                    datasets,
                    judged,
                    root,
                    backends=list(dict.fromkeys(backend)),
                    settings=settings,
                    fast=fast,
                    ignore_identical_ids=ignore_identical_ids,
                    build={"max_length": max_length, "batch_size": batch_size, "show_progress": not json_output},
                    search={"k": k, "query_max_length": query_max_length, "warmup": warmup, "latency_queries": latency_queries},
                )
            written = _write_outputs(results, out) if out else None
            if plot:
                from ..eval.plots import plot_tradeoff

                plot_tradeoff(results, plot, x=plot_x)
        if json_output:
            payload = {"results": [r.to_dict() for r in results], "means": _means(results)}
            print_json({**payload, "out": written, "plot": str(plot) if plot else None})
            return
        console.print(_table(results, k))
        if written:
            console.print(f"results and runs written to {written}")
        if plot:
            console.print(f"plot written to {plot}")


def _check_options(
    models: list[str],
    indexes: list[Path],
    data: str | None,
    files: tuple[Path | None, Path | None],
    backends: list[str],
    plot_x: str,
    settings: tuple[str, dict[str, Any]],
) -> None:
    """Refuse option combinations that cannot work, before any model is loaded."""
    from ..eval.plots import X_AXES

    has_files = any(files)
    problems = [
        (not models and not indexes, "give --model and/or --index", "--model / --index"),
        (bool(data) and has_files, "give either --data or --qrels with --queries, not both", "--data"),
        (not data and not all(files), "give --data (a BEIR folder or nano:NAME), or --qrels FILE --queries FILE with --index", "--data"),
        (has_files and bool(models), "--qrels/--queries evaluate existing indexes; to index with --model, give a corpus with --data", "--qrels"),
        (plot_x not in X_AXES, f"choose one of {', '.join(X_AXES)}", "--plot-x"),
    ]
    for failed, message, hint in problems:
        if failed:
            raise typer.BadParameter(message, param_hint=hint)
    for name in backends:
        check_backend(name, *(settings if models else ("exact", {})))


def _check_paths(qrels: Path | None, queries: Path | None, nano_dir: Path | None, out: Path | None, plot: Path | None) -> None:
    """The files to read exist, and the results can be written where asked."""
    check_input_file(qrels, "--qrels")
    check_input_file(queries, "--queries")
    if nano_dir is not None and not nano_dir.is_dir():
        raise typer.BadParameter(f"{nano_dir} is not a folder", param_hint="--nano-dir")
    check_output_folder(out, "--out")
    check_output_file(plot, "--plot")


def _datasets(data: str, split: str, nano_dir: Path | None) -> list[Any]:
    """The benchmarks named by ``--data``: a BEIR folder, or NanoBEIR subsets after ``nano:``."""
    from ..data import NANOBEIR_DATASETS, load_beir, load_nanobeir

    if not data.lower().startswith(NANO_PREFIX):
        return [load_beir(data, split)]
    names = [name.strip() for name in data[len(NANO_PREFIX) :].split(",") if name.strip()]
    if names == ["all"]:
        names = list(NANOBEIR_DATASETS)
    if not names:
        raise InputError(f"--data {data!r} names no NanoBEIR dataset; e.g. nano:scifact or nano:scifact,nfcorpus")
    return [load_nanobeir(name, local_dir=nano_dir) for name in names]


Judged = tuple[dict[str, str], dict[str, dict[str, int]], str]
"""Queries, judgements and a name, read from ``--queries`` and ``--qrels``."""


def _judged(qrels: Path | None, queries: Path | None) -> Judged | None:
    """The ``--queries`` and ``--qrels`` files, read (before any model loads)."""
    from ..data import read_qrels, read_query_file

    return (read_query_file(queries), read_qrels(qrels), queries.stem) if queries and qrels else None


def _index_data(index: Any, judged: Judged) -> Any:
    """A benchmark whose corpus is the index's documents, with the queries and judgements read from files."""
    from ..data import BeirData, Document

    queries, qrels, name = judged
    return BeirData.from_parts((Document(doc_id) for doc_id in index.doc_ids), queries, qrels, name=name, split="")


def _evaluate_all(
    models: list[str],
    indexes: list[Path],
    datasets: list[Any] | None,
    judged: Judged | None,
    root: Path,
    *,
    backends: list[str],
    settings: tuple[str, dict[str, Any]],
    fast: bool,
    ignore_identical_ids: bool | None,
    build: dict[str, Any],
    search: dict[str, Any],
) -> list[Any]:
    """One :class:`~splade_search.eval.index_eval.IndexEvaluation` per system and dataset.

    ``settings`` (search mode, knobs) and ``fast`` (bfloat16 projection) apply to every system; ``build`` goes to the indexing of each
    model, ``search`` to every evaluation.
    """
    from ..eval.index_eval import evaluate_model, evaluate_retriever
    from ..indexes import SparseIndex, check_search_settings
    from ..retrieval import SparseRetriever
    from .loading import load_encoder, load_index_encoder

    results = []
    mode, knobs = settings
    opened = [SparseIndex.open(path) for path in indexes]
    for idx in opened:
        with about("--mode / --knob"):
            check_search_settings(idx.backend, mode, knobs)
    encoders = {name: load_encoder(name, fast=fast) for name in models}
    retrievers = [SparseRetriever(load_index_encoder(idx, fast=fast), idx, mode=mode, knobs=knobs) for idx in opened]
    for encoder in [*encoders.values(), *(retriever.model for retriever in retrievers)]:
        check_max_length(encoder, build["max_length"], "--max-length")
        check_max_length(encoder, search["query_max_length"], "--query-max-length")
    for dataset in datasets or [None]:
        for name, encoder in encoders.items():
            for backend in backends:
                target = root / _slug(f"{name}.{backend}.{dataset.name}")
                ignore = _self_hits(ignore_identical_ids, dataset)
                results.append(
                    evaluate_model(
                        encoder, dataset, target, backend=backend, model_reference=name, system=name,
                        ignore_identical_ids=ignore, mode=mode, knobs=knobs, **build, **search,
                    )
                )
        for path, retriever in zip(indexes, retrievers):
            benchmark = dataset or _index_data(retriever.index, judged)
            ignore = _self_hits(ignore_identical_ids, benchmark)
            results.append(evaluate_retriever(retriever, benchmark, ignore_identical_ids=ignore, system=str(path), **search))
    return results


def _self_hits(flag: bool | None, dataset: Any) -> bool:
    """The ``--ignore-identical-ids`` setting, or on by default for datasets where BEIR removes self hits."""
    if flag is not None:
        return flag
    return any(name in dataset.name.lower() for name in SELF_HIT_DATASETS)


def _write_outputs(results: list[Any], out: Path) -> str:
    """``results.json`` and ``<system>.<backend>.<dataset>.run`` files in ``out``."""
    import json

    from ..data import write_run

    out.mkdir(parents=True, exist_ok=True)
    for result in results:
        slug = _slug(f"{result.system}.{result.backend}.{result.dataset}")
        write_run(out / f"{slug}.run", result.run, tag=slug[:60] or "splade-search")
    payload = {"results": [r.to_dict() for r in results], "means": _means(results)}
    (out / "results.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return str(out)


def _means(results: list[Any]) -> dict[str, dict[str, float]]:
    """Unweighted metric means per system over its datasets (only for systems with several datasets)."""
    grouped: dict[str, list[Any]] = {}
    for result in results:
        grouped.setdefault(f"{result.system} [{result.backend}]", []).append(result)
    return {
        system: {key: sum(r.metrics[key] for r in group) / len(group) for key in group[0].metrics}
        for system, group in grouped.items()
        if len(group) > 1
    }


COLUMNS: list[tuple[str, Callable[[Any, int], str]]] = [
    ("nDCG@10", lambda r, k: _fmt(r.metrics.get("ndcg@10"), ".4f")),
    ("MRR@10", lambda r, k: _fmt(r.metrics.get("mrr@10"), ".4f")),
    ("R@100", lambda r, k: _fmt(r.metrics.get(f"recall@{min(k, 100)}"), ".4f")),
    ("q dims", lambda r, k: _fmt(r.sparsity["query_active_dims"], ".1f")),
    ("d dims", lambda r, k: _fmt(r.sparsity["corpus_active_dims"], ".1f")),
    ("FLOPs", lambda r, k: _fmt(r.sparsity["avg_flops"], ".2f")),
    ("size MB", lambda r, k: _fmt(r.index.bytes_on_disk / 1e6, ".2f")),
    ("postings", lambda r, k: f"{r.index.postings:,}"),
    ("docs/s", lambda r, k: _fmt(r.indexing["docs_per_second"] if r.indexing else None, ".1f")),
    ("q enc ms", lambda r, k: _fmt(r.query_encoding.p50_ms, ".2f")),
    ("p50 ms", lambda r, k: _fmt(r.search.p50_ms, ".3f")),
    ("p99 ms", lambda r, k: _fmt(r.search.p99_ms, ".3f")),
    ("QPS", lambda r, k: _fmt(r.search.qps, ",.0f")),
    ("batch QPS", lambda r, k: _fmt(r.batch_qps, ",.0f")),
]
VS_EXACT = ("vs exact@10", lambda r, k: _fmt(r.recall_vs_exact["@10"] if r.recall_vs_exact else None, ".4f"))


def _table(results: list[Any], k: int) -> Table:
    """The comparison table: one row per system and dataset, quality, sparsity, size and speed."""
    inexact = [r for r in results if r.search_mode != "exact"]
    columns = COLUMNS[:3] + [VS_EXACT] + COLUMNS[3:] if inexact else COLUMNS
    headers = [name if name != "R@100" or k >= 100 else f"R@{k}" for name, _ in columns]
    table = Table("system", "backend", "mode", "data", *headers, title="splade-search eval")
    for result in results:
        row = (result.system, result.backend, result.search_mode, result.dataset)
        table.add_row(*row, *(cell(result, k) for _, cell in columns))
    notes = [
        f"{r.dataset}: {r.data[key]} judgement(s) name unknown {what}"
        for r in results
        for key, what in (("judgements_unknown_query", "queries"), ("judgements_unknown_doc", "docs"))
        if r.data.get(key)
    ]
    latency = "latency: per query after warm-up, 1 thread (q enc = query encoding p50; p50/p99/QPS = index search)"
    modes = [
        f"vs exact@10: share of exact search's top-10 that {r.search_mode} search found"
        + (f" ({', '.join(f'{name}={value}' for name, value in r.search_knobs.items())})" if r.search_knobs else "")
        for r in inexact
    ]
    table.caption = "\n".join(dict.fromkeys([latency, *modes, *notes]))
    return table


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-.")


@contextmanager
def _index_root(out: Path | None) -> Iterator[Path]:
    """``out/indexes`` when results are kept, else a temporary folder removed afterwards."""
    if out is not None:
        yield out / "indexes"
        return
    with tempfile.TemporaryDirectory(prefix="splade-eval-") as tmp:
        yield Path(tmp)
