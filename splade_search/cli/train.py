"""``splade-search train``: train a SPLADE, inference-free SPLADE or CSR model from flags or a config file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from .console import console, err_console, print_json, user_errors
from .options import check_input_file

STEP_KEYS = (
    "base_loss",
    "document_regularizer_loss",
    "query_regularizer_loss",
    "reconstruction_loss_k",
    "document_regularizer_weight",
)

EVAL_KEYS = ("ndcg@10", "mrr@10", "recall@10", "active_dims", "eval_loss", "sequential_score")


def _console_callback() -> Any:
    """A TrainerCallback printing one line per training log and per evaluation."""
    from tqdm.auto import tqdm
    from transformers import TrainerCallback

    class ConsoleLines(TrainerCallback):
        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any
        ) -> None:
            logs = logs or {}
            if "loss" in logs:
                parts = [f"loss {logs['loss']:.4f}"] + [f"{k} {logs[k]:.4g}" for k in STEP_KEYS if k in logs]
                tqdm.write(f"step {state.global_step}/{state.max_steps}  " + "  ".join(parts))
            evaluated = {
                k: v for k, v in logs.items() if k.startswith("eval_") and not k.endswith(("runtime", "per_second"))
            }
            if evaluated:
                keys = [k for k in evaluated if any(part in k for part in EVAL_KEYS)] or list(evaluated)[:6]
                shown = "  ".join(f"{k[5:]} {evaluated[k]:.4f}" for k in keys if isinstance(evaluated[k], float))
                tqdm.write(f"eval at step {state.global_step}: {shown}")

    return ConsoleLines()


def _print_summary(summary: Any) -> None:
    status = "[yellow]interrupted[/]" if summary.interrupted else "[green]done[/]"
    console.print(f"{status} after {summary.steps} steps in {summary.wall_time_s:.1f} s")
    if summary.train_loss is not None:
        console.print(f"train loss: {summary.train_loss:.4f}")
    if summary.primary_metric and summary.primary_metric in summary.metrics:
        console.print(f"{summary.primary_metric}: {summary.metrics[summary.primary_metric]:.4f}")
    for key, value in summary.metrics.items():
        if key.endswith("active_dims"):
            console.print(f"{key}: {value:.1f}")
    for key, value in summary.active_dims.items():
        console.print(f"{key.replace('_', ' ')} (training sample): {value:.1f}")
    for note in summary.notes:
        console.print(f"[yellow]note:[/] {note}")
    if summary.interrupted:
        where = summary.checkpoint or summary.output
        console.print(f"checkpoint: {where}\nresume with the same command plus --resume")
    else:
        console.print(f"model saved to {summary.output}")


METAVARS = {int: "N", float: "NUM", bool: ""}
"""Short value names keep the option names whole in an 80-column help."""


def _setting(name: str, text: str, *names: str, **bounds: Any) -> Any:
    """A flag for training setting ``name`` (unset: ``None``, the config file or default decides), its help
    ending in the default that `TrainConfig` holds."""
    from ..training.config import default_words, setting_type

    default = default_words(name)
    help_text = f"{text} (default: {default})." if default else f"{text}."
    bounds.setdefault("metavar", METAVARS.get(setting_type(name), "TEXT"))
    return typer.Option(None, *(names or (f"--{name.replace('_', '-')}",)), help=help_text, **bounds)


def register(app: typer.Typer) -> None:
    """Add the ``train`` verb to ``app``."""

    @app.command()
    def train(
        ctx: typer.Context,
        config: Path = typer.Option(None, "--config", "-c", help="YAML/JSON file with any of these settings (flags win)."),
        train_data: str = _setting("train_data", "Training rows: .jsonl/.csv/.tsv/.parquet file or hub dataset id", "--train-data", "-d"),
        model: str = _setting("model", "Base model: folder, hub id or alias", "--model", "-m"),
        architecture: str = _setting("architecture", "splade, inference-free or csr"),
        output: str = _setting("output", "Folder for checkpoints and the final model", "--out", "--output", "-o"),
        columns: str = _setting("columns", "Input columns in order, comma separated; the first is the query"),
        label_column: str = _setting("label_column", "Column with labels/scores (renamed to 'label')"),
        train_split: str = _setting("train_split", "Split of a hub dataset"),
        train_config: str = _setting("train_config", "Configuration of a hub dataset"),
        max_rows: int = _setting("max_rows", "Use only the first N rows", min=1),
        loss: str = _setting("loss", "mnrl, margin-mse, distill-kl, mse, cosent, angle, cosine or triplet"),
        query_weight: float = _setting("query_weight", "Query FLOPS regularizer weight"),
        document_weight: float = _setting("document_weight", "Document FLOPS regularizer weight"),
        cached_mini_batch_size: int = _setting("cached_mini_batch_size", "Use CachedSpladeLoss with mini-batches of this size", min=1),
        idf_json: str = _setting("idf_json", "inference-free: initial query weights from an idf.json (default: corpus IDF)"),
        static_lr: float = _setting("static_lr", "inference-free: learning rate of the query weights"),
        csr_k: int = _setting("csr_k", "csr: active latents per embedding (default: the base model's k)", min=1),
        csr_k_aux: int = _setting("csr_k_aux", "csr: latents of the auxiliary (dead-latent) loss", min=0),
        lr: float = _setting("lr", "Learning rate"),
        batch_size: int = _setting("batch_size", "Rows per batch", min=1),
        epochs: float = _setting("epochs", "Training epochs"),
        max_steps: int = _setting("max_steps", "Stop after this many optimizer steps (overrides epochs)", min=1),
        max_length: int = _setting("max_length", "Truncate training texts to N tokens; the saved model keeps its own length", min=1),
        warmup: float = _setting("warmup", "Learning-rate warm-up, steps or a ratio < 1"),
        seed: int = _setting("seed", "Random seed", min=0),
        batch_sampler: str = _setting("batch_sampler", "batch_sampler, no_duplicates or group_by_label"),
        logging_steps: int = _setting("logging_steps", "Print losses every N steps", min=1),
        save_steps: int = _setting("save_steps", "Save a checkpoint every N steps", min=1),
        eval_data: str = _setting("eval_data", "BEIR folder to evaluate on (corpus.jsonl, queries.jsonl, qrels/)"),
        eval_split: str = _setting("eval_split", "qrels split of the BEIR folder"),
        eval_steps: int = _setting("eval_steps", "Evaluate every N steps", min=1),
        eval_max_queries: int = _setting("eval_max_queries", "Evaluate on the first N queries only", min=1),
        fp16: bool = _setting("fp16", "Mixed precision (GPU)", "--fp16"),
        bf16: bool = _setting("bf16", "bfloat16 mixed precision", "--bf16"),
        resume: bool = _setting("resume", "Continue from the newest checkpoint in --out", "--resume"),
        json_output: bool = typer.Option(False, "--json", metavar="", help="Print the summary as JSON (no progress output)."),
    ) -> None:
        """Fine-tune a sparse encoder (SPLADE, inference-free SPLADE or CSR) on local or hub data.

        Ctrl-C saves a checkpoint after the current step; rerun with --resume to continue.
        """
        flags = {name: value for name, value in ctx.params.items() if name not in ("config", "json_output")}
        check_input_file(config, "--config")
        with user_errors():
            from ..training.config import build_config, read_config_file

            settings = build_config(read_config_file(config) if config else {}, flags)
        with user_errors(settings.output):
            from transformers.utils import logging as hf_logging

            from ..training.run import run_training

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            if not json_output:
                err_console.print(
                    f"training {settings.architecture} from {settings.model} "
                    f"on {settings.train_data} -> {settings.output}"
                )
            summary = run_training(
                settings, show_progress=not json_output, callbacks=[] if json_output else [_console_callback()]
            )
        if json_output:
            print_json(asdict(summary))
        else:
            _print_summary(summary)
