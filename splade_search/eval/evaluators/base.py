"""What every evaluator shares: the call interface, key prefixing, ``primary_metric``, encoding with
sparsity tracking, and CSV results appended one row per call.

Interface (what the trainer calls)::

    evaluator(model, output_path=None, epoch=-1, steps=-1) -> dict[str, float]

Keys are prefixed ``"{name}_"`` when the evaluator has a name, and so is ``primary_metric``. With
``output_path`` set and ``write_csv`` on, one row ``epoch, steps, <metrics...>, <sparsity stats...>``
is appended to ``output_path/csv_file`` (the header is written when the file is new), as the
sentence-transformers evaluators do.
"""

from __future__ import annotations

import csv
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from ...errors import InputError
from .sparsity import SparsityTracker

logger = logging.getLogger(__name__)

EncodeSide = Literal["query", "document", None]


class SparseEvaluator(ABC):
    """Base class: subclasses implement :meth:`compute_metrics` and :meth:`csv_columns`."""

    greater_is_better: bool = True
    csv_file: str = ""

    def __init__(
        self,
        name: str = "",
        *,
        write_csv: bool = True,
        batch_size: int = 32,
        show_progress_bar: bool = False,
        max_active_dims: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size}")
        if max_active_dims is not None and max_active_dims < 1:
            raise InputError(f"max_active_dims must be a positive integer, got {max_active_dims}")
        self.name = name
        self.write_csv = write_csv
        self.batch_size = batch_size
        self.show_progress_bar = show_progress_bar
        self.max_active_dims = max_active_dims
        self.sparsity = SparsityTracker()
        self._primary_metric: str | None = None

    @property
    def primary_metric(self) -> str | None:
        """The key of the score to optimise, prefixed with ``"{name}_"`` like the returned keys."""
        if self._primary_metric is None:
            return None
        return prefixed(self._primary_metric, self.name)

    @primary_metric.setter
    def primary_metric(self, value: str | None) -> None:
        if value is not None and self.name and value.startswith(self.name + "_"):
            value = value[len(self.name) + 1 :]
        self._primary_metric = value

    def __call__(
        self, model: Any, output_path: str | None = None, epoch: float = -1, steps: int = -1
    ) -> dict[str, float]:
        """Evaluate ``model``; append a CSV row (and predictions, when enabled) under ``output_path``."""
        self.sparsity = SparsityTracker()
        metrics = {key: float(value) for key, value in self.compute_metrics(model).items()}
        if output_path is not None:
            os.makedirs(output_path, exist_ok=True)
            if self.write_csv and self.csv_file:
                header = ["epoch", "steps", *(column for column, _ in self.csv_columns())]
                write_csv_row(Path(output_path) / self.csv_file, header, [epoch, steps, *self.csv_row(metrics)])
            self.write_outputs(Path(output_path))
        return self.prefix_name_to_metrics(metrics, self.name)

    @abstractmethod
    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Unprefixed metrics of ``model``; also sets the (unprefixed) primary metric."""

    @abstractmethod
    def csv_columns(self) -> list[tuple[str, str]]:
        """``(CSV column, metric key)`` pairs after ``epoch, steps``, valid after :meth:`compute_metrics`."""

    def csv_row(self, metrics: Mapping[str, float]) -> list[float]:
        """The CSV values after ``epoch, steps``: by default the metric named by each column."""
        return [metrics[key] for _, key in self.csv_columns()]

    def write_outputs(self, output_path: Path) -> None:
        """Write extra files (e.g. predictions) after an evaluation; nothing by default."""

    @staticmethod
    def prefix_name_to_metrics(metrics: Mapping[str, float], name: str) -> dict[str, float]:
        """``metrics`` with keys prefixed ``"{name}_"`` (unchanged when ``name`` is empty)."""
        return {prefixed(key, name): float(value) for key, value in metrics.items()}

    def encode(self, model: Any, texts: Sequence[str], side: EncodeSide, record_as: str | None, **kwargs: Any) -> torch.Tensor:
        """Encode ``texts`` as queries, documents or plain texts (``side=None``) into a sparse COO tensor on CPU.

        The embeddings' sparsity is recorded under ``record_as`` (nothing when None).
        """
        method = {"query": model.encode_query, "document": model.encode_document, None: model.encode}[side]
        embeddings = method(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=self.show_progress_bar,
            convert_to_sparse_tensor=True,
            save_to_cpu=True,
            max_active_dims=self.max_active_dims,
            **kwargs,
        )
        if record_as is not None:
            self.sparsity.record(record_as, embeddings)
        return embeddings


def prefixed(key: str, name: str) -> str:
    """``"{name}_{key}"``, or ``key`` when ``name`` is empty."""
    return f"{name}_{key}" if name else key


def write_csv_row(path: Path, header: Sequence[str], row: Sequence[Any]) -> None:
    """Append ``row`` to the CSV at ``path``, writing ``header`` first when the file is new.

    An existing file with another header gets the row anyway (its columns are then mislabelled),
    with a warning naming the file.
    """
    values = [float(v) if hasattr(v, "item") else v for v in row]
    exists = path.is_file()
    if exists:
        with open(path, newline="", encoding="utf-8") as f:
            current = next(csv.reader(f), [])
        if current != list(header):
            logger.warning("%s was written with other columns; appending a row for %s anyway", path, ", ".join(header))
    with open(path, "a" if exists else "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if not exists:
            writer.writerow(header)
        writer.writerow(values)


def check_same_length(**lists: Sequence[Any]) -> int:
    """The common length of the named lists; raises :class:`InputError` naming them when they differ or are empty."""
    lengths = {name: len(values) for name, values in lists.items()}
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{name}={length}" for name, length in lengths.items())
        raise InputError(f"these inputs must have the same length: {detail}")
    length = next(iter(lengths.values()))
    if length == 0:
        raise InputError(f"{' / '.join(lengths)} are empty: give at least one example")
    return length
