"""Fill the model's SparseEncoderModelCardData from a training run, so every save has a full card."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from torch import nn
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ..model_card import SparseEncoderModelCardData
from .dataset_checks import named_parts

RUNTIME_KEYS = ("runtime", "samples_per_second", "steps_per_second", "epoch")
MAX_HYPERPARAMETER_CHARS = 200


def dataset_entries(data: Any) -> list[dict[str, Any]]:
    """``{"name", "size", "columns"}`` for each dataset of a Dataset or DatasetDict."""
    if data is None:
        return []
    entries = []
    for name, dataset in named_parts(data):
        entries.append(
            {
                "name": name or getattr(dataset.info, "dataset_name", None) or "train",
                "size": len(dataset),
                "columns": list(dataset.column_names),
            }
        )
    return entries


def loss_entries(loss: nn.Module | Mapping[str, nn.Module]) -> list[dict[str, Any]]:
    """``{"dataset", "name", "config", "citation"}`` for each loss."""
    items = list(loss.items()) if isinstance(loss, Mapping) else [(None, loss)]
    entries = []
    for dataset, module in items:
        config = module.get_config_dict() if hasattr(module, "get_config_dict") else {}
        entries.append(
            {
                "dataset": dataset,
                "name": type(module).__name__,
                "config": json.loads(json.dumps(config, default=str)),
                "citation": getattr(module, "citation", "") or "",
            }
        )
    return entries


def changed_arguments(args: TrainingArguments, defaults: dict[str, Any]) -> dict[str, Any]:
    """The training arguments that differ from their defaults (paths and logging noise left out)."""
    skip = {"output_dir", "logging_dir", "run_name", "hub_token", "push_to_hub_token", "report_to"}
    changed = {}
    for key, value in args.to_dict().items():
        if key in skip or defaults.get(key) == value:
            continue
        text = value if isinstance(value, (int, float, bool)) else str(value)
        if len(str(text)) <= MAX_HYPERPARAMETER_CHARS:
            changed[key] = text
    return changed


class ModelCardCallback(TrainerCallback):
    """Records datasets and losses at start, the changed hyper-parameters when training begins, and
    the latest evaluation metrics, into ``model.model_card_data``."""

    def __init__(self, model: nn.Module, default_args: dict[str, Any]) -> None:
        super().__init__()
        if getattr(model, "model_card_data", None) is None:
            model.model_card_data = SparseEncoderModelCardData()
        self.data: SparseEncoderModelCardData = model.model_card_data
        self.default_args = default_args
        if self.data.base_model is None and getattr(model, "model_name_or_path", None):
            self.data.base_model = model.model_name_or_path

    def record_setup(self, train_data: Any, eval_data: Any, loss: nn.Module | Mapping[str, nn.Module]) -> None:
        """Datasets and losses, before the regularizer warm-up changes any weight."""
        self.data.train_datasets = dataset_entries(train_data)
        self.data.eval_datasets = dataset_entries(eval_data)
        self.data.losses = loss_entries(loss)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.data.training_hyperparameters = changed_arguments(args, self.default_args)

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not metrics:
            return
        kept = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not k.endswith(RUNTIME_KEYS)}
        self.data.eval_results.update(kept)
