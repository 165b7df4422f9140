"""SparseEncoderDataCollator: dataset rows -> tokenized features per column plus labels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import InputError

logger = logging.getLogger(__name__)

DEFAULT_LABEL_COLUMNS = ("label", "score")
EXPECTED_POSITIONS = {"anchor": 0, "query": 0, "question": 0, "positive": 1, "answer": 1, "document": 1, "negative": 2}


@dataclass
class SparseEncoderDataCollator:
    """Turn a list of rows into ``{"features": [per-column features], "label": tensor, "dataset_name": str}``.

    The first of ``label``/``score`` is the label column; ``dataset_name`` (added by the trainer for
    multi-dataset training) picks per-dataset prompts and routes; every other column is an input,
    in dataset column order (the first is the query/anchor). Each input column is tokenized with
    ``tokenize_fn(texts, task=route)``, the route coming from ``router_mapping``, after its prompt is
    prepended.
    """

    tokenize_fn: Callable[..., dict[str, Any]]
    valid_label_columns: tuple[str, ...] = DEFAULT_LABEL_COLUMNS
    router_mapping: dict[str, Any] = field(default_factory=dict)
    prompts: str | dict[str, Any] | None = None
    _warned: set[tuple[str, ...]] = field(default_factory=set, init=False, repr=False)

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        if not rows:
            raise InputError("the data collator got an empty batch")
        columns = list(rows[0].keys())
        batch: dict[str, Any] = {}
        if "dataset_name" in columns:
            columns.remove("dataset_name")
            batch["dataset_name"] = rows[0]["dataset_name"]
        label_column = next((c for c in self.valid_label_columns if c in columns), None)
        if label_column is not None:
            columns.remove(label_column)
            batch["label"] = _to_tensor([row[label_column] for row in rows], label_column)
        self._warn_about_order(columns)
        name = batch.get("dataset_name")
        routes = self.routes_for(name)
        features = []
        for column in columns:
            prompt = self.prompt_for(name, column)
            texts = [row[column] for row in rows]
            if prompt:
                texts = [prompt + text for text in texts]
            features.append(self.tokenize_fn(texts, task=routes.get(column)))
        batch["features"] = features
        return batch

    def routes_for(self, dataset_name: str | None) -> dict[str, str]:
        """``{column: route}`` for a batch of ``dataset_name``."""
        mapping = self.router_mapping or {}
        if mapping and all(isinstance(v, dict) for v in mapping.values()):
            return mapping.get(dataset_name, {}) if dataset_name is not None else {}
        return mapping

    def prompt_for(self, dataset_name: str | None, column: str) -> str | None:
        """The prompt of ``column`` in a batch of ``dataset_name`` (any of the four prompt forms)."""
        prompts = self.prompts
        if not prompts or isinstance(prompts, str):
            return prompts or None
        if dataset_name is not None and dataset_name in prompts:
            chosen = prompts[dataset_name]
            return chosen if isinstance(chosen, str) else chosen.get(column)
        value = prompts.get(column)
        return value if isinstance(value, str) else None

    def _warn_about_order(self, columns: list[str]) -> None:
        key = tuple(columns)
        if key in self._warned:
            return
        self._warned.add(key)
        for column, expected in EXPECTED_POSITIONS.items():
            if column in columns and columns.index(column) != expected:
                logger.warning(
                    "column %r is input %d but usually input %d; the losses read columns by position "
                    "(query/anchor first, then positive, then negatives): reorder with dataset.select_columns([...])",
                    column,
                    columns.index(column),
                    expected,
                )
                return


class TruncatingTokenizer:
    """``model.tokenize`` with texts cut to ``max_length`` tokens, for training on shorter texts than
    the model encodes at inference time (its own ``max_seq_length`` is left as it is)."""

    def __init__(self, model: Any, max_length: int) -> None:
        if max_length <= 0:
            raise InputError(f"max_length must be a positive number of tokens, got {max_length}")
        self.model = model
        self.max_length = max_length

    def __call__(self, texts: list[Any], task: str | None = None) -> dict[str, Any]:
        saved = self.model.max_seq_length
        self.model.max_seq_length = min(self.max_length, saved or self.max_length)
        try:
            return self.model.tokenize(texts, task=task)
        finally:
            self.model.max_seq_length = saved


def _to_tensor(values: list[Any], column: str) -> torch.Tensor:
    if isinstance(values[0], torch.Tensor):
        return torch.stack(values)
    try:
        return torch.tensor(values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the {column!r} column must hold numbers or equal-length lists of numbers: {exc}") from None
