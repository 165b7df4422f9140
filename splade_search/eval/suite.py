"""An evaluation suite: every system (a model on each backend, or an existing index) on every dataset.

`evaluate_suite` runs it and returns one `IndexEvaluation` per system and dataset; `system_means`
averages a system's metrics over its datasets; `write_results` keeps ``results.json`` and one TREC
run per system. `load_datasets` reads ``--data``-style names (a BEIR folder, or ``nano:NAME,...``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import BeirData
from ..errors import InputError
from .index_eval import IndexEvaluation, evaluate_retriever, index_model
from .systems import PipelineSpec

NANO_PREFIX = "nano:"
"""``--data`` values starting with this name NanoBEIR subsets (``nano:scifact,nfcorpus`` or ``nano:all``)."""

SELF_HIT_DATASETS = ("arguana", "quora")
"""Datasets whose queries are also documents: BEIR drops a hit whose id equals the query id there."""

Judged = tuple[dict[str, str], dict[str, dict[str, int]], str]
"""Queries, judgements and a name, for evaluating an index on its own documents."""


def nano_names(data: str) -> list[str] | None:
    """The NanoBEIR dataset names in ``nano:NAME,...`` (``nano:all``: every one); ``None`` for anything else."""
    from ..data import NANOBEIR_DATASETS

    if not data.lower().startswith(NANO_PREFIX):
        return None
    names = [name.strip() for name in data[len(NANO_PREFIX) :].split(",") if name.strip()]
    if names == ["all"]:
        return list(NANOBEIR_DATASETS)
    if not names:
        raise InputError(f"--data {data!r} names no NanoBEIR dataset; e.g. nano:scifact or nano:scifact,nfcorpus")
    return names


def load_datasets(data: str, split: str = "test", nano_dir: str | Path | None = None) -> list[BeirData]:
    """The benchmarks named by ``data``: one BEIR folder (qrels ``split``), or NanoBEIR subsets after ``nano:``
    (read from ``nano_dir`` when given, else the hub)."""
    from ..data import load_beir, load_nanobeir

    names = nano_names(data)
    if names is None:
        return [load_beir(data, split)]
    return [load_nanobeir(name, local_dir=nano_dir) for name in names]


def ignores_self_hits(dataset: str) -> bool:
    """Whether BEIR drops self hits (hit id = query id) on ``dataset`` (see `SELF_HIT_DATASETS`)."""
    return any(name in (dataset or "").lower() for name in SELF_HIT_DATASETS)


def run_name(*parts: str) -> str:
    """A file-name-safe name for a run, e.g. ``run_name(system, backend, dataset)``."""
    return re.sub(r"[^\w.-]+", "-", ".".join(parts)).strip("-.")


def index_benchmark(index: Any, judged: Judged) -> BeirData:
    """A benchmark whose corpus is ``index``'s documents, with ``judged`` queries and judgements."""
    from ..data import Document

    queries, qrels, name = judged
    return BeirData.from_parts((Document(doc_id) for doc_id in index.doc_ids), queries, qrels, name=name, split="")


@dataclass
class SuiteSettings:
    """What every system of a suite shares.

    ``build`` goes to the indexing of each model (``max_length``, ``batch_size``, ``show_progress``),
    ``search`` to every evaluation (``k``, ``query_max_length``, ``warmup``, ``latency_queries``).
    ``ignore_identical_ids``: ``None`` follows `ignores_self_hits` per dataset.
    """

    backends: Sequence[str] = ("csr",)
    mode: str = "exact"
    knobs: Mapping[str, Any] = field(default_factory=dict)
    ignore_identical_ids: bool | None = None
    build: Mapping[str, Any] = field(default_factory=dict)
    search: Mapping[str, Any] = field(default_factory=dict)

    def self_hits(self, dataset: str) -> bool:
        """Whether hits equal to the query id are dropped on ``dataset``."""
        return self.ignore_identical_ids if self.ignore_identical_ids is not None else ignores_self_hits(dataset)


def evaluate_suite(
    encoders: Mapping[str, Any],
    retrievers: Mapping[str, Any],
    datasets: Sequence[BeirData] | None,
    root: str | Path,
    settings: SuiteSettings,
    judged: Judged | None = None,
    *,
    bm25: str | None = None,
    dense: Mapping[str, Any] | None = None,
    pipeline: PipelineSpec | None = None,
) -> list[IndexEvaluation]:
    """One `IndexEvaluation` per system and dataset, dataset by dataset.

    ``encoders`` (name: sparse encoder) are indexed on each dataset's corpus on every backend, under
    ``root``; so are BM25 (``bm25``: its implementation, ``"auto"``, ``"lucene"`` or ``"inprocess"``;
    ``None``: no BM25 system) and ``dense`` models (name: `DenseEncoder`, faiss exact search).
    ``retrievers`` (name: retriever of an existing index) are evaluated as they are, on ``datasets``
    or, without any, on their own documents with the ``judged`` queries. ``pipeline`` adds a hybrid
    of those systems and/or reranked ones (see `PipelineSpec`); an encoder on several backends is a
    leg and a first stage on its first backend. Queries are never cut for BM25.
    """
    if datasets is None and retrievers and judged is None:
        raise InputError("give datasets, or queries and judgements to evaluate the indexes on")
    if datasets is None and (encoders or bm25 or dense):
        raise InputError("models are indexed on a dataset's corpus; give datasets to evaluate them")
    root, results = Path(root), []
    for dataset in datasets or [None]:
        singles = _built_systems(encoders, bm25, dense or {}, dataset, root, settings) if dataset is not None else []
        singles += [(name, retriever, None, dataset or index_benchmark(retriever.index, judged)) for name, retriever in retrievers.items()]
        for name, retriever, report, benchmark in singles:
            results.append(_evaluate(retriever, benchmark, name, settings, report))
        if pipeline is not None and singles:
            firsts: dict[str, Any] = {}
            for name, retriever, _, _ in singles:
                firsts.setdefault(name, retriever)
            for name, system in pipeline.systems(firsts).items():
                results.append(_evaluate(system, singles[0][3], name, settings))
    return results


def _built_systems(
    encoders: Mapping[str, Any], bm25: str | None, dense: Mapping[str, Any], dataset: BeirData, root: Path, settings: SuiteSettings
) -> list[tuple[str, Any, Any, BeirData]]:
    """``(name, retriever, indexing report, dataset)`` of every system indexed on ``dataset`` under ``root``."""
    from ..bm25 import BM25Retriever

    built = []
    for name, encoder in encoders.items():
        for backend in dict.fromkeys(settings.backends):
            path = root / run_name(name, backend, dataset.name)
            retriever, report = index_model(
                encoder, dataset, path, backend=backend, model_reference=name, mode=settings.mode, knobs=settings.knobs, **settings.build
            )
            built.append((name, retriever, report, dataset))
    progress = bool(settings.build.get("show_progress", False))
    if bm25 is not None:
        retriever = BM25Retriever.build(dataset.corpus.values(), root / run_name("bm25", dataset.name), implementation=bm25, show_progress=progress)
        built.append(("bm25", retriever, retriever.report, dataset))
    for name, encoder in dense.items():
        from ..dense import DenseRetriever

        if settings.build.get("max_length"):
            encoder.max_seq_length = settings.build["max_length"]
        path = root / run_name(name, "faiss", dataset.name)
        batch_size = settings.build.get("batch_size", 32)
        retriever = DenseRetriever.build(encoder, dataset.corpus.values(), path, model_reference=name, batch_size=batch_size, show_progress=progress)
        built.append((name, retriever, retriever.report, dataset))
    return built


def _evaluate(retriever: Any, benchmark: BeirData, name: str, settings: SuiteSettings, report: Any = None) -> IndexEvaluation:
    """Sparse-index systems (sparse, BM25) with query encoding, search and sparsity apart; any other end to end."""
    from ..indexes import SparseIndex
    from .pipeline_eval import evaluate_pipeline

    ignore = settings.self_hits(benchmark.name)
    evaluate = evaluate_retriever if isinstance(getattr(retriever, "index", None), SparseIndex) else evaluate_pipeline
    return evaluate(retriever, benchmark, ignore_identical_ids=ignore, system=name, indexing=report, **settings.search)


def system_means(results: Sequence[IndexEvaluation]) -> dict[str, dict[str, float]]:
    """Unweighted metric means per system (``"<system> [<backend>]"``) over its datasets, for systems with several."""
    grouped: dict[str, list[IndexEvaluation]] = {}
    for result in results:
        grouped.setdefault(f"{result.system} [{result.backend}]", []).append(result)
    return {
        system: {key: sum(r.metrics[key] for r in group) / len(group) for key in group[0].metrics}
        for system, group in grouped.items()
        if len(group) > 1
    }


def results_payload(results: Sequence[IndexEvaluation]) -> dict[str, Any]:
    """Plain JSON of a suite: every result (without runs) and the per-system means."""
    return {"results": [r.to_dict() for r in results], "means": system_means(results)}


def write_results(results: Sequence[IndexEvaluation], out: str | Path) -> Path:
    """``results.json`` and one ``<system>.<backend>.<dataset>.run`` TREC file per result, in folder ``out``."""
    from ..data import write_run

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for result in results:
        name = run_name(result.system, result.backend, result.dataset)
        write_run(out / f"{name}.run", result.run, tag=name[:60] or "splade-search")
    text = json.dumps(results_payload(results), indent=2, default=str) + "\n"
    (out / "results.json").write_text(text, encoding="utf-8")
    return out
