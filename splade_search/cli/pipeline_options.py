"""The retrieval-pipeline options that ``query``, ``eval`` and ``serve`` share: ``--hybrid`` legs, their fusion, ``--rerank``.

Each verb lists the options with these functions as defaults and hands the values to
`pipeline_settings`, which checks them all (a usage error naming the flag) before any index or
model is opened. Defaults left unset are the library's (`retrieval.fusion`, `retrieval.hybrid`,
`retrieval.rerank`); the help texts quote them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from .options import about, check_choice, refuse

HYBRID_HELP = (
    "Fuse several indexes into one ranking: NAME=INDEX pairs, comma-separated (any index folders: sparse, BM25, "
    "dense); each hit says which legs found it, at what rank and score."
)


def hybrid_option(help: str = HYBRID_HELP) -> Any:
    """``--hybrid NAME=INDEX,...``: the legs of a fusion."""
    return typer.Option(None, "--hybrid", metavar="NAME=INDEX,...", help=help)


def fusion_option() -> Any:
    """``--fusion``: how the legs are fused."""
    return typer.Option(
        None, "--fusion", metavar="rrf|weighted", help="--hybrid: reciprocal rank fusion (rrf, default) or weighted normalised scores."
    )


def rrf_k_option() -> Any:
    """``--rrf-k``: the RRF constant."""
    return typer.Option(None, "--rrf-k", min=0.0, metavar="K", help="--fusion rrf: the constant k in 1/(k + rank) (default 60).")


def weights_option() -> Any:
    """``--weights NAME=W,...``: a weight per leg."""
    return typer.Option(None, "--weights", metavar="NAME=W,...", help="--hybrid: weight of each leg, e.g. a=0.7,b=0.3 (default 1 each).")


def normalization_option() -> Any:
    """``--normalization``: per-query score normalisation of weighted fusion."""
    return typer.Option(
        None, "--normalization", metavar="minmax|zscore", help="--fusion weighted: how each leg's scores are normalised per query (default minmax)."
    )


def depth_option() -> Any:
    """``--depth N|NAME=N,...``: hits asked of each leg."""
    return typer.Option(
        None, "--depth", metavar="N|NAME=N,...", help="--hybrid: hits each leg contributes, one number or per leg (default 100; never fewer than -k)."
    )


def rerank_option() -> Any:
    """``--rerank MODEL``: a second stage."""
    return typer.Option(
        None,
        "--rerank",
        metavar="MODEL",
        help="Rescore the top hits with a cross-encoder (a text classification model: folder or hub id) or a dense or sparse bi-encoder.",
    )


def rerank_depth_option() -> Any:
    """``--rerank-depth N``: hits the reranker rescored."""
    return typer.Option(None, "--rerank-depth", min=1, metavar="N", help="--rerank: how many of the first stage's top hits are rescored (default 100).")


@dataclass(frozen=True)
class Pipeline:
    """Checked pipeline options: the hybrid's legs (none: no hybrid) and fusion settings, and the rerank stage.

    ``legs``: ``{leg name: index folder}`` as given (in ``eval``, a value may name a system instead);
    ``fusion``: the `HybridRetriever` settings that were given; ``rerank``: the reranking model.
    """

    legs: dict[str, str] = field(default_factory=dict)
    fusion: dict[str, Any] = field(default_factory=dict)
    rerank: str | None = None
    rerank_depth: int | None = None

    @property
    def active(self) -> bool:
        """Whether the options ask for more than one index searched on its own."""
        return bool(self.legs) or self.rerank is not None

    def label(self) -> str:
        """What is searched, for titles: ``sparse=idx/a + bm25=idx/b``, then the reranker."""
        legs = " + ".join(f"{name}={path}" for name, path in self.legs.items())
        return " ".join(part for part in (legs, f"reranked by {self.rerank}" if self.rerank else "") if part)

    def check_legs(self, mode: str, knobs: dict[str, Any]) -> None:
        """Every leg is an index folder offering ``mode`` with ``knobs`` (dense legs search exactly); nothing is loaded."""
        check_index_folders({f"leg {name!r}": path for name, path in self.legs.items()}, mode, knobs, "--hybrid")

    def hybrid(self, mode: str = "exact", knobs: dict[str, Any] | None = None) -> Any:
        """The `HybridRetriever` over the legs, each opened with its recorded model (quietly)."""
        from ..retrieval.hybrid import HybridRetriever
        from .loading import open_index

        return HybridRetriever({name: open_index(path, mode=mode, knobs=knobs) for name, path in self.legs.items()}, **self.fusion)

    def reranking(self) -> Callable[[Any], Any] | None:
        """A function wrapping any first stage in the ``--rerank`` model (loaded once, quietly, on first use); None without one."""
        if self.rerank is None:
            return None
        from ..retrieval.pipeline import reranking
        from .loading import quiet_loading

        wrap = reranking(self.rerank, **({"depth": self.rerank_depth} if self.rerank_depth else {}))

        def quietly(first_stage: Any) -> Any:
            with quiet_loading():
                return wrap(first_stage)

        return quietly

    def reranked(self, first_stage: Any) -> Any:
        """``first_stage`` reranked by the ``--rerank`` model (unchanged without one)."""
        wrap = self.reranking()
        return wrap(first_stage) if wrap is not None else first_stage


def check_index_folders(folders: Mapping[str, Any], mode: str, knobs: dict[str, Any], flag: str) -> None:
    """Every folder (``{label: path}``) is an index offering ``mode`` with ``knobs`` (dense ones search exactly);
    a usage error naming ``flag`` and the label otherwise. Only manifests are read."""
    from ..errors import IndexFormatError
    from ..indexes import check_search_settings
    from ..retrieval.opener import index_kind

    for label, path in folders.items():
        try:
            kind = index_kind(path)
        except IndexFormatError as exc:
            refuse(flag, f"{label}: {exc}" if label != str(path) else str(exc))
        if kind != "dense":
            with about("--mode / --knob"):
                check_search_settings(kind, mode, knobs)


def pipeline_settings(
    hybrid: str | None,
    fusion: str | None,
    rrf_k: float | None,
    weights: str | None,
    normalization: str | None,
    depth: str | None,
    rerank: str | None,
    rerank_depth: int | None,
) -> Pipeline:
    """The pipeline options, checked; a usage error naming the flag for a bad value or a flag without its stage."""
    from ..retrieval.fusion import DEFAULT_RRF_K, FUSION_METHODS, NORMALIZATIONS, check_fusion
    from ..retrieval.hybrid import leg_depths
    from ..retrieval.pipeline import parse_assignments, parse_depth, parse_weights

    if rerank_depth is not None and rerank is None:
        refuse("--rerank-depth", "applies to --rerank MODEL; add --rerank")
    if rerank is not None:
        _check_model(rerank)
    given = {"--fusion": fusion, "--rrf-k": rrf_k, "--weights": weights, "--normalization": normalization, "--depth": depth}
    if hybrid is None:
        for flag, value in given.items():
            if value is not None:
                refuse(flag, "applies to --hybrid legs; add --hybrid NAME=INDEX,...")
        return Pipeline(rerank=rerank, rerank_depth=rerank_depth)
    method = check_choice(fusion or FUSION_METHODS[0], FUSION_METHODS, "--fusion", "fusion method")
    if normalization is not None:
        check_choice(normalization, NORMALIZATIONS, "--normalization", "score normalisation")
        if method != "weighted":
            refuse("--normalization", "applies to --fusion weighted")
    if rrf_k is not None:
        if method != "rrf":
            refuse("--rrf-k", "applies to --fusion rrf")
        with about("--rrf-k"):
            check_fusion(method, [], None, NORMALIZATIONS[0], rrf_k)
    with about("--hybrid"):
        legs = parse_assignments(hybrid, "--hybrid")
    with about("--weights"):
        leg_weights = parse_weights(weights)
        check_fusion(method, list(legs), leg_weights, NORMALIZATIONS[0], DEFAULT_RRF_K)
    with about("--depth"):
        depths = leg_depths(parse_depth(depth), list(legs)) if depth is not None else None
    settings = {"method": method, "weights": leg_weights or None, "depth": depths, "rrf_k": rrf_k, "normalization": normalization}
    return Pipeline(legs, {name: value for name, value in settings.items() if value is not None}, rerank, rerank_depth)


def _check_model(model: str) -> None:
    """``--rerank`` names a model folder that exists, an alias or a hub id; nothing is loaded."""
    from ..hub import looks_like_path

    path = Path(model).expanduser()
    if path.exists() and not path.is_dir():
        refuse("--rerank", f"{model} is a file; a model is a folder")
    if not path.exists() and looks_like_path(model):
        refuse("--rerank", f"{model} does not exist; give a model folder, an alias or a hub id")
