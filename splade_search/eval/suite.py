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
from .index_eval import IndexEvaluation, evaluate_model, evaluate_retriever

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
) -> list[IndexEvaluation]:
    """One `IndexEvaluation` per system and dataset, dataset by dataset.

    ``encoders`` (name: encoder) are indexed on each dataset's corpus on every backend, under ``root``;
    ``retrievers`` (name: `SparseRetriever`) are evaluated as they are, on ``datasets`` or, without
    any, on their own documents with the ``judged`` queries.
    """
    if datasets is None and retrievers and judged is None:
        raise InputError("give datasets, or queries and judgements to evaluate the indexes on")
    if datasets is None and encoders:
        raise InputError("models are indexed on a dataset's corpus; give datasets to evaluate them")
    root, results = Path(root), []
    for dataset in datasets or [None]:
        for name, encoder in encoders.items():
            for backend in dict.fromkeys(settings.backends):
                results.append(
                    evaluate_model(
                        encoder, dataset, root / run_name(name, backend, dataset.name), backend=backend,
                        model_reference=name, system=name, ignore_identical_ids=settings.self_hits(dataset.name),
                        mode=settings.mode, knobs=settings.knobs, **settings.build, **settings.search,
                    )
                )
        for name, retriever in retrievers.items():
            benchmark = dataset or index_benchmark(retriever.index, judged)
            ignore = settings.self_hits(benchmark.name)
            results.append(evaluate_retriever(retriever, benchmark, ignore_identical_ids=ignore, system=name, **settings.search))
    return results


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
