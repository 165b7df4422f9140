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


def register(app: typer.Typer) -> None:
    """Add the ``train`` verb to ``app``."""

    @app.command()
    def train(
        config: Path = typer.Option(
            None, "--config", "-c", help="YAML/JSON file with any of these settings (flags win)."
        ),
        train_data: str = typer.Option(
            None, "--train-data", "-d", help="Training rows: .jsonl/.csv/.tsv/.parquet file or hub dataset id."
        ),
        model: str = typer.Option(
            None,
            "--model",
            "-m",
            help="Base model: folder, hub id or alias (default splade-tiny; minilm for csr).",
        ),
        architecture: str = typer.Option(None, help="splade, inference-free or csr (default splade)."),
        output: str = typer.Option(
            None,
            "--output",
            "-o",
            help="Folder for checkpoints and the final model (default models/splade-search-model).",
        ),
        columns: str = typer.Option(None, help="Input columns in order, comma separated; the first is the query."),
        label_column: str = typer.Option(None, help="Column with labels/scores (renamed to 'label')."),
        train_split: str = typer.Option(None, help="Split of a hub dataset (default train)."),
        train_config: str = typer.Option(None, help="Configuration of a hub dataset."),
        max_rows: int = typer.Option(None, min=1, help="Use only the first N rows."),
        loss: str = typer.Option(
            None, help="mnrl, margin-mse, distill-kl, mse, cosent, angle, cosine or triplet (default mnrl)."
        ),
        query_weight: float = typer.Option(None, help="Query FLOPS weight (default 5e-5; 0 for inference-free)."),
        document_weight: float = typer.Option(
            None, help="Document FLOPS weight (default 3e-5; 3e-4 for inference-free)."
        ),
        cached_mini_batch_size: int = typer.Option(None, min=1, help="Use CachedSpladeLoss with mini-batches of this size."),
        idf_json: str = typer.Option(
            None, help="inference-free: initial query weights from an idf.json (default: corpus IDF)."
        ),
        static_lr: float = typer.Option(
            None, help="inference-free: learning rate of the query weights (default 1e-3)."
        ),
        csr_k: int = typer.Option(None, min=1, help="csr: active latents per embedding (default: the base model's k)."),
        csr_k_aux: int = typer.Option(None, min=0, help="csr: latents of the auxiliary (dead-latent) loss."),
        lr: float = typer.Option(None, help="Learning rate (default 2e-5; 4e-5 for csr)."),
        batch_size: int = typer.Option(None, min=1, help="Rows per batch (default 16)."),
        epochs: float = typer.Option(None, help="Training epochs (default 1)."),
        max_steps: int = typer.Option(None, min=1, help="Stop after this many optimizer steps (overrides epochs)."),
        max_length: int = typer.Option(
            None, min=1, help="Truncate training texts to N tokens (default 256); the saved model keeps its own length."
        ),
        warmup: float = typer.Option(None, help="Learning-rate warm-up, steps or a ratio < 1 (default 0.1)."),
        seed: int = typer.Option(None, min=0, help="Random seed (default 42)."),
        batch_sampler: str = typer.Option(
            None, help="batch_sampler, no_duplicates or group_by_label (default no_duplicates)."
        ),
        logging_steps: int = typer.Option(None, min=1, help="Print losses every N steps (default 10)."),
        save_steps: int = typer.Option(None, min=1, help="Save a checkpoint every N steps (default eval steps or 100)."),
        eval_data: str = typer.Option(None, help="BEIR folder to evaluate on (corpus.jsonl, queries.jsonl, qrels/)."),
        eval_split: str = typer.Option(None, help="qrels split of the BEIR folder (default test)."),
        eval_steps: int = typer.Option(None, min=1, help="Evaluate every N steps (default 100)."),
        eval_max_queries: int = typer.Option(None, min=1, help="Evaluate on the first N queries only."),
        fp16: bool = typer.Option(None, "--fp16/--no-fp16", help="Mixed precision (GPU)."),
        bf16: bool = typer.Option(None, "--bf16/--no-bf16", help="bfloat16 mixed precision."),
        resume: bool = typer.Option(
            None, "--resume/--no-resume", help="Continue from the newest checkpoint in --output."
        ),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON (no progress output)."),
    ) -> None:
        """Fine-tune a sparse encoder (SPLADE, inference-free SPLADE or CSR) on local or hub data.

        Ctrl-C saves a checkpoint after the current step; rerun with --resume to continue.
        """
        flags = {key: value for key, value in locals().items() if key not in ("config", "json_output")}
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
