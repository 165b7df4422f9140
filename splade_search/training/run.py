"""run_training: one complete ``splade-search train`` run from a TrainConfig (also usable from Python)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import PrinterCallback, ProgressCallback, TrainerCallback

from ..errors import InputError
from .collator import SparseEncoderDataCollator, TruncatingTokenizer
from .config import TrainConfig
from .data import document_texts, load_training_data
from .dataset_checks import find_router, input_columns
from .interrupt import GracefulInterrupt
from .recipes import active_dims, build_evaluator, build_loss, build_model, training_arguments

SAMPLE_ROWS = 64


@dataclass
class TrainSummary:
    """What a run produced: where the model is, how long it took, and how it scores."""

    output: str
    steps: int
    wall_time_s: float
    train_loss: float | None
    interrupted: bool = False
    checkpoint: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    primary_metric: str | None = None
    active_dims: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class QuietProgress(ProgressCallback):
    """transformers' progress bar without its raw log dicts (the CLI prints its own lines)."""

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        return None


def final_metrics(trainer: Any) -> dict[str, float]:
    """The evaluation of the last step (transformers evaluates when training ends), else a new one."""
    step = trainer.state.global_step
    logged = next(
        (
            e
            for e in reversed(trainer.state.log_history)
            if e.get("step") == step and any(k.startswith("eval_") for k in e)
        ),
        None,
    )
    metrics = logged if logged is not None else trainer.evaluate()
    return {k: v for k, v in metrics.items() if k.startswith("eval_") and isinstance(v, float)}


def _describe_run(model: Any, config: TrainConfig) -> None:
    """Model-card names: the model after its output folder; the dataset after its file (or hub id)."""
    card = model.model_card_data
    card.model_name = card.model_name or Path(config.output).name
    if card.train_datasets:
        card.train_datasets[0]["name"] = Path(config.train_data).name
        if not Path(config.train_data).exists():
            card.train_datasets[0]["id"] = config.train_data


def run_training(
    config: TrainConfig, show_progress: bool = True, callbacks: list[TrainerCallback] | None = None
) -> TrainSummary:
    """Load the data, build model, loss and evaluator, train (resumable, Ctrl-C safe) and save to ``config.output``."""
    from .trainer import SparseEncoderTrainer

    started = time.perf_counter()
    dataset = load_training_data(
        config.train_data, config.train_split, config.train_config, config.columns, config.label_column, config.max_rows
    )
    model = build_model(config, document_texts(dataset))
    loss = build_loss(config, model)
    evaluator, note = build_evaluator(config)
    notes = [note] if note else []
    args = training_arguments(
        config, input_columns(dataset), has_router=find_router(model) is not None, evaluating=evaluator is not None
    )
    tokenize = TruncatingTokenizer(model, config.max_length) if config.max_length else model.tokenize
    collator = SparseEncoderDataCollator(tokenize, router_mapping=args.router_mapping, prompts=args.prompts)
    interrupt = GracefulInterrupt()
    trainer = SparseEncoderTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        loss=loss,
        evaluator=evaluator,
        data_collator=collator,
        callbacks=[interrupt, *(callbacks or [])],
    )
    _describe_run(model, config)
    for callback in (ProgressCallback, PrinterCallback):
        trainer.remove_callback(callback)
    if show_progress:
        trainer.add_callback(QuietProgress())
    resume = trainer.last_checkpoint() if config.resume else None
    if config.resume and resume is None:
        raise InputError(f"--resume: no checkpoint-N folder in {config.output} to resume from")
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    finally:
        interrupt.restore()
    summary = TrainSummary(
        output=config.output,
        steps=trainer.state.global_step,
        wall_time_s=0.0,
        train_loss=result.training_loss,
        interrupted=interrupt.interrupted,
        notes=notes,
    )
    if interrupt.interrupted:
        summary.checkpoint = trainer.last_checkpoint()
    else:
        trainer.save_model(config.output)
        if evaluator is not None:
            summary.metrics = final_metrics(trainer)
            summary.primary_metric = f"eval_{getattr(evaluator, 'primary_metric', '')}".rstrip("_")
    columns = input_columns(dataset)
    sample = dataset.select(range(min(SAMPLE_ROWS, len(dataset))))
    summary.active_dims = active_dims(model, list(sample[columns[0]]), document_texts(sample))
    summary.wall_time_s = round(time.perf_counter() - started, 1)
    return summary
