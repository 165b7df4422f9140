"""Trade-off plots: retrieval quality against corpus sparsity or query latency, one point per system.

matplotlib is imported only here, when a plot is drawn (``pip install 'splade-search[plot]'``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError, InputError

X_AXES = {
    "sparsity": ("corpus active dims (mean per document)", ("sparsity", "corpus_active_dims")),
    "latency": ("search latency p50 (ms, 1 thread)", ("search", "p50_ms")),
    "flops": ("avg FLOPs per query-document pair", ("sparsity", "avg_flops")),
}


def plot_tradeoff(
    results: Sequence[Mapping[str, Any] | Any],
    path: str | Path,
    *,
    x: str = "sparsity",
    metric: str = "ndcg@10",
    title: str | None = None,
) -> Path:
    """Draw ``metric`` against ``x`` (``sparsity``, ``latency`` or ``flops``) for evaluation results and save a PNG.

    ``results`` are :class:`~splade_search.eval.index_eval.IndexEvaluation` objects or their
    ``to_dict()`` forms; each is labelled ``system (dataset)``. Systems without the x value
    (sparsity of dense, hybrid and reranked systems) are left out.
    """
    if x not in X_AXES:
        raise InputError(f"unknown x axis {x!r}; choose one of {', '.join(X_AXES)}")
    records = [result.to_dict() if hasattr(result, "to_dict") else dict(result) for result in results]
    if not records:
        raise InputError("nothing to plot: no evaluation results")
    label, (section, key) = X_AXES[x]
    points = []
    for record in records:
        x_value = (record.get(section) or {}).get(key)
        y_value = record.get("metrics", {}).get(metric)
        if y_value is None:
            raise InputError(f"{record.get('system')}: no {metric!r} to plot")
        if x_value is not None:  # dense, hybrid and reranked systems have no sparsity
            points.append((float(x_value), float(y_value), f"{record.get('system')} ({record.get('dataset')})"))
    if not points:
        raise InputError(f"no system has {key!r} to plot; choose another x axis")
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for x_value, y_value, name in points:
        axes.scatter([x_value], [y_value], s=40)
        axes.annotate(name, (x_value, y_value), textcoords="offset points", xytext=(5, 5), fontsize=8)
    axes.set_xlabel(label)
    axes.set_ylabel(metric)
    axes.set_title(title or f"{metric} vs {x}")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=120)
    pyplot.close(figure)
    return target


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise BackendUnavailableError("plots need matplotlib: pip install 'splade-search[plot]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot
