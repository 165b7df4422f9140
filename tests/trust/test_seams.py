"""Seams and surface (issue 15): the eval suite lives in the library, scripts never import the CLI, help and
tables fit 80 columns, user errors are the package's, defaults have one source, no hidden work."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.main import get_command
from typer.testing import CliRunner

from splade_search.cli import app
from splade_search.cli.eval_table import eval_table
from splade_search.errors import InputError
from splade_search.eval.index_eval import IndexEvaluation
from splade_search.eval.latency import LatencyStats
from splade_search.eval.suite import ignores_self_hits, nano_names, run_name, system_means
from splade_search.indexes import IndexStats

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "splade_search"
runner = CliRunner()


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved against the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("folder", ["recipes", "eval", "examples"])
def test_no_script_imports_the_cli(folder: str) -> None:
    scripts = sorted((ROOT / folder).rglob("*.py"))
    assert scripts
    offenders = [str(p) for p in scripts if any(name.startswith("splade_search.cli") for name in _imports(p))]
    assert offenders == []


def test_training_and_eval_library_never_import_the_cli() -> None:
    files = [*(PACKAGE / "training").rglob("*.py"), *(PACKAGE / "eval").rglob("*.py"), *(PACKAGE / "retrieval").rglob("*.py")]
    offenders = [str(p) for p in files if any(name.startswith("splade_search.cli") for name in _imports(p))]
    assert offenders == []


def test_training_needs_no_index() -> None:
    files = list((PACKAGE / "training").rglob("*.py"))
    offenders = [str(p) for p in files if any(n.startswith(("splade_search.indexes", "splade_search.retrieval")) for n in _imports(p))]
    assert offenders == []
    from splade_search.retrieval import mining

    assert callable(mining.mine_hard_negatives)


# ----- the eval suite as a library -----------------------------------------------------------------
def test_suite_names_and_rules() -> None:
    assert nano_names("nano:SciFact, nfcorpus") == ["SciFact", "nfcorpus"]
    assert len(nano_names("nano:all")) > 5
    assert nano_names("/data/beir/scifact") is None
    with pytest.raises(InputError, match="names no NanoBEIR dataset"):
        nano_names("nano: ,")
    assert ignores_self_hits("NanoArguAna") and ignores_self_hits("quora") and not ignores_self_hits("scifact")
    assert run_name("models/my model", "csr", "scifact") == "models-my-model.csr.scifact"


def _result(system: str, dataset: str, ndcg: float, mode: str = "exact") -> IndexEvaluation:
    latency = LatencyStats(count=10, mean_ms=1.5, p50_ms=1.25, p95_ms=2.0, p99_ms=3.0, max_ms=4.0, qps=800.0)
    stats = IndexStats("csr", 5183, 1_234_567, 30522, 120.5, 12_345_678, "float16", None)
    return IndexEvaluation(
        system=system, dataset=dataset, backend="csr", k=100, queries=300,
        metrics={"ndcg@10": ndcg, "mrr@10": 0.5, "recall@100": 0.9}, index=stats, query_encoding=latency,
        search=latency, batch_qps=12345.0, batch_encode_seconds=1.0,
        sparsity={"query_active_dims": 30.5, "corpus_active_dims": 150.25, "avg_flops": 1.5},
        indexing={"docs_per_second": 321.0}, search_mode=mode,
        recall_vs_exact={"@10": 0.97, "@k": 0.95} if mode != "exact" else None,
    )


def test_system_means_average_over_datasets_only_for_several() -> None:
    results = [_result("a", "scifact", 0.5), _result("a", "nfcorpus", 0.7), _result("b", "scifact", 0.4)]
    means = system_means(results)
    assert list(means) == ["a [csr]"]
    assert means["a [csr]"]["ndcg@10"] == pytest.approx(0.6)


LONG = "/home/someone/experiments/2026-12-01/splade-cocondenser-ensembledistil-finetuned/index"


def _render(results: list[IndexEvaluation], width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(eval_table(results, 100, width))
    return console.export_text()


@pytest.mark.parametrize("width", [60, 80, 100])
def test_eval_table_fits_narrow_terminals_without_cut_cells(width: int) -> None:
    results = [_result(LONG, "NanoSciFact", 0.6543), _result("splade-tiny", "NanoSciFact", 0.5, mode="approximate")]
    text = _render(results, width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for shown in ("nDCG@10", "0.6543", "0.5000", "S1", "S2"):
        assert shown in text
    legend = re.sub(r"\s+", "", text)
    assert f"S1={LONG}" in legend and "S2=splade-tiny" in legend


def test_eval_table_shows_every_column_and_whole_names_when_wide() -> None:
    results = [_result(LONG, "NanoSciFact", 0.6543), _result("splade-tiny", "NanoNFCorpus", 0.5)]
    text = _render(results, 400)
    assert LONG in text and "S1" not in text and "…" not in text
    for header in ("MRR@10", "q dims", "FLOPs", "size MB", "postings", "docs/s", "p99 ms", "batch QPS"):
        assert header in text
    assert "more column" not in text


# ----- help at 80 columns ---------------------------------------------------------------------------
@pytest.mark.parametrize("verb", ["eval", "mine-negatives", "train"])
def test_help_shows_every_option_name_whole_at_80_columns(verb: str) -> None:
    result = runner.invoke(app, [verb, "--help"], env={"COLUMNS": "80"})  # not TERMINAL_WIDTH: typer reads it once, at import
    assert result.exit_code == 0, result.output
    assert "…" not in result.output and "``" not in result.output and "[default: ]" not in result.output
    command = get_command(app).commands[verb]
    for param in command.params:
        for name in [*param.opts, *param.secondary_opts]:
            if name.startswith("--"):
                assert re.search(rf"{re.escape(name)}\b", result.output), f"{name} not shown whole"
    assert [line for line in result.output.splitlines() if "<bool>" in line and "--help" not in line] == []


def test_train_help_states_the_config_defaults() -> None:
    from splade_search.training.config import TrainConfig
    from splade_search.training.defaults import REGULARIZER_WEIGHTS

    output = " ".join(runner.invoke(app, ["train", "--help"], env={"COLUMNS": "80"}).output.replace("│", " ").split())
    config = TrainConfig(train_data="x")
    assert f"Rows per batch (default: {config.batch_size})" in output
    assert f"(default: {config.max_length})" in output
    assert f"(default: {REGULARIZER_WEIGHTS['splade'][0]:g}; 0 for inference-free)" in output


def test_mine_negatives_names_its_depth_and_takes_out_or_output(tmp_path: Path) -> None:
    command = get_command(app).commands["mine-negatives"]
    names = {name for param in command.params for name in param.opts}
    assert "--depth" in names and "--top-k" not in names
    assert {"--out", "--output", "-o"} <= names
    eval_names = {name for param in get_command(app).commands["eval"].params for name in param.opts}
    assert {"-k", "--top-k", "--out", "--output", "--warmup-queries"} <= eval_names and "--warmup" not in eval_names


def test_eval_refuses_both_identical_ids_flags() -> None:
    result = runner.invoke(
        app, ["eval", "-m", "x", "--data", "nano:scifact", "--ignore-identical-ids", "--keep-identical-ids"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2 and "not both" in result.output


# ----- one error family -----------------------------------------------------------------------------
OWNED = [
    "encoder.py", "encoding.py", "hub.py", "model_card.py", "modules", "eval", "training", "retrieval/mining.py",
    "retrieval/retriever.py", "indexes/csr/search_modes.py", "indexes/csr/pruning.py", "indexes/csr/approximate.py",
    "indexes/csr/blockmax.py", "indexes/csr/compact.py",
]


def test_no_bare_value_or_type_error_for_user_input() -> None:
    files = [p for entry in OWNED for p in ([PACKAGE / entry] if entry.endswith(".py") else (PACKAGE / entry).rglob("*.py"))]
    bare = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") in ("ValueError", "TypeError"):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_user_errors_are_input_errors_and_still_value_errors() -> None:
    import numpy as np

    from splade_search.encoder import SparseEncoder
    from splade_search.indexes.csr.blockmax import block_maxima
    from splade_search.indexes.csr.postings import Postings
    from splade_search.modules import SpladePooling

    with pytest.raises(InputError, match="max_active_dims"):
        SparseEncoder(modules=[], max_active_dims=0, device="cpu")
    with pytest.raises(ValueError, match="pooling_strategy"):
        SpladePooling(pooling_strategy="mean")
    with pytest.raises(InputError, match="block_size"):
        block_maxima(Postings(np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)), 1, block_size=0)


# ----- one source per default -----------------------------------------------------------------------
def test_defaults_are_written_once() -> None:
    weights = re.compile(r"\b[35]e-0?[45]\b")
    places = [
        str(p.relative_to(ROOT))
        for p in (PACKAGE / "training").rglob("*.py")
        if p.name != "defaults.py" and weights.search(p.read_text(encoding="utf-8"))
    ]
    places += [str(p) for p in (PACKAGE / "cli").glob("train.py") if weights.search(p.read_text(encoding="utf-8"))]
    assert places == []
    alias = [
        str(p.relative_to(ROOT))
        for p in [*(PACKAGE / "training").rglob("*.py"), *(PACKAGE / "eval").rglob("*.py"), PACKAGE / "cli/mine.py", PACKAGE / "cli/train.py", PACKAGE / "retrieval/mining.py"]
        if '"splade-tiny"' in p.read_text(encoding="utf-8")
    ]
    assert alias == []


def test_saved_folders_record_the_one_layout_version(tmp_path: Path, splade_model) -> None:
    import json

    from splade_search.model_folder import ST_CONFIG_FILE, ST_LAYOUT_VERSION

    splade_model.save(str(tmp_path / "m"), create_model_card=False)
    recorded = json.loads((tmp_path / "m" / ST_CONFIG_FILE).read_text())["__version__"]
    assert recorded["sentence_transformers"] == ST_LAYOUT_VERSION
    source = (PACKAGE / "encoder.py").read_text(encoding="utf-8")
    assert ST_LAYOUT_VERSION not in source
