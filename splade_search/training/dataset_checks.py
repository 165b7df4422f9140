"""Checks run before training starts: every dataset fits its loss, routes and losses cover the data.

Each failure is an InputError that names the dataset, its columns and what to change, so a bad
configuration stops before any compute is spent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from torch import nn

from ..errors import InputError
from .losses.base import ColumnSpec

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ("label", "score")
RESERVED_COLUMNS = ("dataset_name",)


def as_datasets(data: Any, split: str) -> Any:
    """A ``datasets.Dataset`` or ``DatasetDict`` (a plain dict becomes a DatasetDict); None stays None."""
    if data is None:
        return None
    from datasets import Dataset, DatasetDict, IterableDataset

    if isinstance(data, dict) and not isinstance(data, DatasetDict):
        data = DatasetDict(data)
    if isinstance(data, DatasetDict):
        for name, part in data.items():
            if not isinstance(part, Dataset):
                raise InputError(f"{split} dataset {name!r} is a {type(part).__name__}; use a datasets.Dataset")
        return data
    if isinstance(data, IterableDataset):
        raise InputError(f"streaming (IterableDataset) {split} data is not supported; load it with streaming=False")
    if not isinstance(data, Dataset):
        raise InputError(
            f"the {split} data must be a datasets.Dataset, DatasetDict or dict of Datasets, got {type(data).__name__}"
        )
    return data


def named_parts(data: Any) -> list[tuple[str | None, Any]]:
    """``[(name, dataset)]``: one unnamed entry for a Dataset, one per key for a DatasetDict."""
    return list(data.items()) if isinstance(data, dict) else [(None, data)]


def input_columns(dataset: Any) -> list[str]:
    """The columns that are tokenized, in order (everything but the label and dataset_name)."""
    label = next((c for c in LABEL_COLUMNS if c in dataset.column_names), None)
    return [c for c in dataset.column_names if c != label and c not in RESERVED_COLUMNS]


def loss_for(loss: nn.Module | Mapping[str, nn.Module], name: str | None) -> nn.Module:
    """The loss that trains dataset ``name``."""
    return loss[name] if isinstance(loss, Mapping) else loss


def check_datasets(data: Any, loss: nn.Module | Mapping[str, nn.Module], split: str) -> None:
    """Reject empty datasets, reserved column names, missing losses and column counts the loss cannot use."""
    if isinstance(loss, Mapping):
        if not isinstance(data, dict):
            raise InputError(f"a dict of losses needs a dict (or DatasetDict) of {split} datasets with the same keys")
        missing = sorted(set(data) - set(loss))
        if missing:
            raise InputError(f"no loss for {split} dataset(s) {missing}; the loss dict has keys {sorted(loss)}")
    for name, dataset in named_parts(data):
        label = f"{split} dataset" + (f" {name!r}" if name else "")
        if len(dataset) == 0:
            raise InputError(f"the {label} is empty: it needs at least one row")
        reserved = [c for c in dataset.column_names if c in RESERVED_COLUMNS]
        if reserved:
            raise InputError(f"the {label} has a column named {reserved[0]!r}, which is reserved; rename it")
        spec: ColumnSpec | None = getattr(loss_for(loss, name), "columns", None)
        if spec is None:
            continue
        inputs = input_columns(dataset)
        has_labels = len(inputs) < len(dataset.column_names)
        problem = spec.problem(len(inputs), has_labels)
        if problem:
            raise InputError(
                f"the {label} (columns {dataset.column_names}) does not fit "
                f"{type(loss_for(loss, name)).__name__}: {problem}. "
                "Select and order the columns with dataset.select_columns([...]) (or --columns on the command line)."
            )
        if has_labels and spec.labels is False:
            logger.warning("the %s has a label column that %s does not use", label, type(loss_for(loss, name)).__name__)


def find_router(model: nn.Module) -> Any:
    """The model's Router module, or None."""
    from ..modules import Router

    return next((m for m in model.modules() if isinstance(m, Router)), None)


def check_router_mapping(model: nn.Module, router_mapping: Mapping[str, Any], data: Any) -> None:
    """A Router model needs a route for its columns; every mapped column and route must exist."""
    router = find_router(model)
    parts = named_parts(data) if data is not None else []
    if router is None:
        if router_mapping:
            logger.warning("router_mapping is set but the model has no Router; it is ignored")
        return
    if not router_mapping:
        columns = input_columns(parts[0][1]) if parts else ["query", "positive"]
        example = {c: ("query" if i == 0 else "document") for i, c in enumerate(columns)}
        raise InputError(
            f"the model has a Router (routes {router.routes}) but router_mapping is empty: without it every column "
            f"goes through the default route. Set SparseEncoderTrainingArguments(router_mapping={example})"
        )
    nested = all(isinstance(v, Mapping) for v in router_mapping.values())
    for name, dataset in parts:
        mapping = router_mapping.get(name, {}) if nested else router_mapping
        for column, route in mapping.items():
            if column not in dataset.column_names:
                where = f"dataset {name!r}" if name else "the dataset"
                raise InputError(
                    f"router_mapping names column {column!r}, which {where} lacks (columns {dataset.column_names})"
                )
            if route not in router.routes:
                raise InputError(
                    f"router_mapping sends column {column!r} to route {route!r}; "
                    f"the Router's routes are {router.routes}"
                )
