"""DataLoaders for SparseEncoderTrainer: batch samplers per dataset, one dataset per batch."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from torch.utils.data import BatchSampler, ConcatDataset, DataLoader, Dataset

from ..errors import InputError
from .args import BatchSamplers, MultiDatasetBatchSamplers
from .samplers import (
    DefaultBatchSampler,
    GroupByLabelBatchSampler,
    NoDuplicatesBatchSampler,
    ProportionalBatchSampler,
    RoundRobinBatchSampler,
)

BATCH_SAMPLERS = {
    BatchSamplers.BATCH_SAMPLER: DefaultBatchSampler,
    BatchSamplers.NO_DUPLICATES: NoDuplicatesBatchSampler,
    BatchSamplers.GROUP_BY_LABEL: GroupByLabelBatchSampler,
}
MULTI_DATASET_SAMPLERS = {
    MultiDatasetBatchSamplers.ROUND_ROBIN: RoundRobinBatchSampler,
    MultiDatasetBatchSamplers.PROPORTIONAL: ProportionalBatchSampler,
}


class NamedDataset(Dataset):
    """A dataset whose rows also carry ``dataset_name``, so the collator and trainer know the source."""

    def __init__(self, name: str, dataset: Any) -> None:
        self.name = name
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {**self.dataset[index], "dataset_name": self.name}


def _build(choice: Any, table: dict[Any, type], *args: Any, **kwargs: Any) -> BatchSampler:
    """An enum member picks a class from ``table``; a sampler class or callable is called as is."""
    factory = table.get(choice) if isinstance(choice, Enum) else choice
    if not callable(factory):
        raise InputError(f"unknown batch sampler {choice!r}; use one of {[m.value for m in table]} or a sampler class")
    return factory(*args, **kwargs)


def build_dataloader(
    data: Any,
    collator: Callable[[list[dict[str, Any]]], dict[str, Any]],
    batch_size: int,
    batch_sampler: Any,
    multi_dataset_batch_sampler: Any,
    drop_last: bool,
    seed: int,
    **loader_kwargs: Any,
) -> DataLoader:
    """A DataLoader over a Dataset, or over the datasets of a DatasetDict with one dataset per batch."""
    sampler_kwargs = {"batch_size": batch_size, "drop_last": drop_last, "seed": seed}
    if isinstance(data, dict):
        parts = list(data.items())
        samplers = [_build(batch_sampler, BATCH_SAMPLERS, part, **sampler_kwargs) for _, part in parts]
        dataset = ConcatDataset([NamedDataset(name, part) for name, part in parts])
        sampler = _build(
            multi_dataset_batch_sampler, MULTI_DATASET_SAMPLERS, dataset, batch_samplers=samplers, seed=seed
        )
    else:
        dataset = data
        sampler = _build(batch_sampler, BATCH_SAMPLERS, data, **sampler_kwargs)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collator, **loader_kwargs)
