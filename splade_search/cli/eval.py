"""``splade-search eval``: quality, sparsity, index size and latency of models, indexes and hybrids on BEIR/NanoBEIR data.

Each ``--model`` is indexed once per ``--backend`` and evaluated through that index (``-m bm25``:
BM25); each ``--dense`` model gets a dense (faiss) index; each ``--index`` (sparse, BM25 or dense)
is evaluated with the model it records. ``--hybrid`` adds the fusion of some of those systems (a
leg names a ``--model``/``--dense`` of the run or an index folder, which is then evaluated on its
own too); ``--rerank`` adds the hybrid reranked, or without ``--hybrid`` every system reranked.
Every sparse system searches in ``--mode`` (with its ``--knob`` options); a mode other than exact
also reports its recall against exact search. All systems on all datasets land in one comparison
table (or JSON), and optionally in ``--out`` (``results.json`` and one TREC run per system) and a
``--plot``. The work is `splade_search.eval.suite`'s; this verb checks options, loads models, and prints.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from .console import console, print_json, reported_warnings, user_errors
from .options import (
    K_RANGE,
    bm25_impl_option,
    check_backend,
    check_choice,
    check_input_file,
    check_max_length,
    check_output_file,
    check_output_folder,
)
from .pipeline_options import (
    check_index_folders,
    depth_option,
    fusion_option,
    hybrid_option,
    normalization_option,
    pipeline_settings,
    rerank_depth_option,
    rerank_option,
    rrf_k_option,
    weights_option,
)
from .search_options import knob_option, mode_option, search_settings

LEGS_HELP = "Add the fusion of systems: NAME=SYSTEM pairs, comma-separated (a --model or --dense of this run, or an index folder, also evaluated alone)."


def register(app: typer.Typer) -> None:
    """Add the ``eval`` verb to ``app``."""

    @app.command("eval")
    def eval_command(
        model: list[str] = typer.Option(None, "--model", "-m", metavar="NAME", help="Model to index and evaluate (repeatable; bm25: BM25)."),
        dense: list[str] = typer.Option(None, "--dense", metavar="MODEL", help="Dense model to index (faiss) and evaluate (repeatable)."),
        index: list[Path] = typer.Option(None, "--index", "-i", metavar="PATH", help="Existing index to evaluate with its recorded model (repeatable)."),
        data: str = typer.Option(None, "--data", "-d", metavar="DATA", help="BEIR folder, or NanoBEIR datasets: nano:all, nano:scifact, nano:scifact,nfcorpus (several)."),
        qrels: Path = typer.Option(None, "--qrels", metavar="FILE", help="Judgements file (TREC or BEIR TSV), with --queries and --index."),
        queries: Path = typer.Option(None, "--queries", metavar="FILE", help="Queries file (queries.jsonl, id<TAB>text), with --qrels and --index."),
        nano_dir: Path = typer.Option(None, "--nano-dir", metavar="DIR", help="Local folder of NanoBEIR BEIR folders (instead of the hub)."),
        backend: list[str] = typer.Option(["csr"], "--backend", "-b", metavar="NAME", help="Index backend for --model: csr, lucene, milvus or seismic (repeatable)."),
        split: str = typer.Option("test", "--split", metavar="NAME", help="Qrels split of a BEIR folder."),
        k: int = typer.Option(100, "--top-k", "-k", **K_RANGE, metavar="N", help="Documents retrieved per query."),
        max_length: int = typer.Option(None, "--max-length", min=1, metavar="N", help="Maximum tokens per document (default: the model's)."),
        query_max_length: int = typer.Option(None, "--query-max-length", min=1, metavar="N", help="Maximum tokens per query (default: the model's)."),
        batch_size: int = typer.Option(32, "--batch-size", min=1, metavar="N", help="Texts per forward pass when indexing."),
        fast: bool = typer.Option(False, "--fast", metavar="", help="bfloat16 vocabulary projection when encoding (SPLADE; faster, approximate)."),
        ignore_identical_ids: bool = typer.Option(
            False, "--ignore-identical-ids", metavar="", help="Drop hits whose id equals the query id (default: only on ArguAna and Quora)."
        ),
        keep_identical_ids: bool = typer.Option(False, "--keep-identical-ids", metavar="", help="Keep such hits on ArguAna and Quora too."),
        warmup_queries: int = typer.Option(10, "--warmup-queries", min=0, metavar="N", help="Untimed queries before the latency measurement."),
        latency_queries: int = typer.Option(1000, "--latency-queries", min=1, metavar="N", help="At most this many queries are timed one by one."),
        out: Path = typer.Option(None, "--out", "--output", "-o", metavar="DIR", help="Results folder: results.json, a TREC run per system, the indexes."),
        plot: Path = typer.Option(None, "--plot", metavar="FILE", help="Write a PNG of nDCG@10 against --plot-x."),
        plot_x: str = typer.Option("sparsity", "--plot-x", metavar="AXIS", help="Plot x axis: sparsity, latency or flops."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        bm25_impl: str = bm25_impl_option(),
        hybrid: str = hybrid_option(LEGS_HELP),
        fusion: str = fusion_option(),
        rrf_k: float = rrf_k_option(),
        weights: str = weights_option(),
        normalization: str = normalization_option(),
        depth: str = depth_option(),
        rerank: str = rerank_option(),
        rerank_depth: int = rerank_depth_option(),
        json_output: bool = typer.Option(False, "--json", metavar="", help="Print JSON (every column)."),
    ) -> None:
        """Evaluate models (indexed on the fly), indexes and their hybrids: nDCG/MRR/recall, sparsity, index size, latency."""
        from ..bm25.indexing import IMPLEMENTATIONS
        from ..eval.suite import SuiteSettings
        from ..eval.systems import leg_systems

        models, dense_models = list(dict.fromkeys(model or [])), list(dict.fromkeys(dense or []))
        mode, knobs = search_settings(mode, knob)
        check_choice(bm25_impl, IMPLEMENTATIONS, "--bm25-impl", "BM25 implementation")
        pipeline = pipeline_settings(hybrid, fusion, rrf_k, weights, normalization, depth, rerank, rerank_depth)
        legs, leg_folders = leg_systems(pipeline.legs, [*models, *dense_models], list(index or []))
        indexes = list(dict.fromkeys([*(index or []), *leg_folders.values()]))
        _check_options(models + dense_models, indexes, data, (qrels, queries), plot_x)
        check_index_folders({str(path): path for path in index or []}, mode, knobs, "--index")
        check_index_folders({f"leg {leg!r}": path for leg, path in leg_folders.items()}, mode, knobs, "--hybrid")
        if ignore_identical_ids and keep_identical_ids:
            raise typer.BadParameter("give --ignore-identical-ids or --keep-identical-ids, not both", param_hint="--keep-identical-ids")
        _check_paths(qrels, queries, nano_dir, out, plot)
        settings = SuiteSettings(
            backends=list(dict.fromkeys(backend)),
            mode=mode,
            knobs=knobs,
            ignore_identical_ids=True if ignore_identical_ids else False if keep_identical_ids else None,
            build={"max_length": max_length, "batch_size": batch_size, "show_progress": not json_output},
            search={"k": k, "query_max_length": query_max_length, "warmup": warmup_queries, "latency_queries": latency_queries},
        )
        for name in settings.backends:
            check_backend(name, *((mode, knobs) if models else ()))
        spec = _pipeline_spec(pipeline, legs)
        with user_errors(out), reported_warnings():
            systems = {"models": models, "dense": dense_models, "indexes": indexes, "bm25": bm25_impl, "pipeline": spec}
            results, written = _run(systems, data, (qrels, queries), split, nano_dir, out, settings, fast)
            if plot:
                from ..eval.plots import plot_tradeoff

                plot_tradeoff(results, plot, x=plot_x)
        _print(results, k, written, plot, json_output)


def _pipeline_spec(pipeline: Any, legs: dict[str, str]) -> Any:
    """The hybrid and reranked systems to add (``None``: none)."""
    from ..eval.systems import PipelineSpec
    from ..retrieval.rerank import DEFAULT_RERANK_DEPTH

    if not pipeline.active:
        return None
    name = f"rerank {Path(pipeline.rerank).name}@{pipeline.rerank_depth or DEFAULT_RERANK_DEPTH}" if pipeline.rerank else ""
    return PipelineSpec(legs, pipeline.fusion, pipeline.reranking(), name)


def _run(
    systems: dict[str, Any],
    data: str | None,
    files: tuple[Path | None, Path | None],
    split: str,
    nano_dir: Path | None,
    out: Path | None,
    settings: Any,
    fast: bool,
) -> tuple[list[Any], Path | None]:
    """Read the data, open the indexes, load the models, run the suite; the results and where they were written.

    ``systems``: ``models`` (bm25 among them), ``dense`` models, ``indexes``, the ``bm25`` implementation, the ``pipeline`` spec.
    """
    from ..data import read_qrels, read_query_file
    from ..eval.suite import evaluate_suite, load_datasets, write_results
    from .loading import load_dense, load_encoder, open_index

    qrels, queries = files
    datasets = load_datasets(data, split, nano_dir) if data else None
    judged = (read_query_file(queries), read_qrels(qrels), queries.stem) if queries and qrels else None
    retrievers = {str(path): open_index(path, mode=settings.mode, knobs=settings.knobs, fast=fast) for path in systems["indexes"]}
    encoders = {name: load_encoder(name, fast=fast) for name in systems["models"] if name != "bm25"}
    dense = {name: load_dense(name) for name in systems["dense"]}
    recorded = [getattr(retriever, "model", None) for retriever in retrievers.values()]
    for encoder in [*encoders.values(), *dense.values(), *(m for m in recorded if hasattr(m, "max_seq_length"))]:
        check_max_length(encoder, settings.build["max_length"], "--max-length")
        check_max_length(encoder, settings.search["query_max_length"], "--query-max-length")
    bm25 = systems["bm25"] if "bm25" in systems["models"] else None
    with _index_root(out) as root:
        results = evaluate_suite(encoders, retrievers, datasets, root, settings, judged, bm25=bm25, dense=dense, pipeline=systems["pipeline"])
    return results, write_results(results, out) if out else None


def _print(results: list[Any], k: int, written: Path | None, plot: Path | None, json_output: bool) -> None:
    """The results as JSON, or as a table sized to the terminal, and where files went."""
    from ..eval.suite import results_payload
    from .eval_table import eval_table

    if json_output:
        print_json({**results_payload(results), "out": str(written) if written else None, "plot": str(plot) if plot else None})
        return
    console.print(eval_table(results, k, console.width))
    if written:
        console.print(f"results and runs written to {written}")
    if plot:
        console.print(f"plot written to {plot}")


def _check_options(
    models: list[str], indexes: list[Path], data: str | None, files: tuple[Path | None, Path | None], plot_x: str
) -> None:
    """Refuse option combinations that cannot work, before any model is loaded."""
    from ..eval.plots import X_AXES

    has_files = any(files)
    problems = [
        (not models and not indexes, "give --model, --dense, --index and/or --hybrid", "--model / --index"),
        (bool(data) and has_files, "give either --data or --qrels with --queries, not both", "--data"),
        (not data and not all(files), "give --data (a BEIR folder or nano:NAME), or --qrels FILE --queries FILE with --index", "--data"),
        (has_files and bool(models), "--qrels/--queries evaluate existing indexes; to index --model/--dense, give a corpus with --data", "--qrels"),
        (plot_x not in X_AXES, f"choose one of {', '.join(X_AXES)}", "--plot-x"),
    ]
    for failed, message, hint in problems:
        if failed:
            raise typer.BadParameter(message, param_hint=hint)


def _check_paths(qrels: Path | None, queries: Path | None, nano_dir: Path | None, out: Path | None, plot: Path | None) -> None:
    """The files to read exist, and the results can be written where asked."""
    check_input_file(qrels, "--qrels")
    check_input_file(queries, "--queries")
    if nano_dir is not None and not nano_dir.is_dir():
        raise typer.BadParameter(f"{nano_dir} is not a folder", param_hint="--nano-dir")
    check_output_folder(out, "--out")
    check_output_file(plot, "--plot")


@contextmanager
def _index_root(out: Path | None) -> Iterator[Path]:
    """``out/indexes`` when results are kept, else a temporary folder removed afterwards."""
    if out is not None:
        yield out / "indexes"
        return
    with tempfile.TemporaryDirectory(prefix="splade-eval-") as tmp:
        yield Path(tmp)
