"""Batch samplers: which rows form each training batch.

Every sampler is deterministic given ``seed`` and the epoch (``set_epoch``), so a resumed run sees
the same batches. Multi-dataset samplers yield batches that each hold rows of a single dataset.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import BatchSampler, ConcatDataset

from ..errors import InputError

DEFAULT_LABEL_COLUMNS = ("label", "score")


class DefaultBatchSampler(BatchSampler):
    """Shuffled batches of ``batch_size`` rows, reshuffled every epoch."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        drop_last: bool = False,
        valid_label_columns: Sequence[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(range(len(dataset)), batch_size, drop_last)
        self.dataset = dataset
        self.valid_label_columns = tuple(valid_label_columns or DEFAULT_LABEL_COLUMNS)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the shuffle of ``epoch``."""
        self.epoch = epoch

    def permutation(self) -> list[int]:
        """This epoch's row order."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.randperm(len(self.dataset), generator=generator).tolist()

    def __iter__(self) -> Iterator[list[int]]:
        order = self.permutation()
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)


class NoDuplicatesBatchSampler(DefaultBatchSampler):
    """Batches in which no text occurs twice (in any input column), so in-batch negatives are never
    copies of the positive. A row that clashes with the batch being built waits for a later batch.
    ``len`` is an upper bound when rows have to wait."""

    def __init__(self, dataset: Any, batch_size: int, drop_last: bool = False, **kwargs: Any) -> None:
        super().__init__(dataset, batch_size, drop_last, **kwargs)
        columns = [c for c in dataset.column_names if c not in self.valid_label_columns and c != "dataset_name"]
        values = [list(dataset[c]) for c in columns]
        self.row_keys = [frozenset(hash(str(column[i])) for column in values) for i in range(len(dataset))]

    def __iter__(self) -> Iterator[list[int]]:
        stream = iter(self.permutation())
        waiting: deque[int] = deque()
        exhausted = False
        while True:
            batch, seen = [], set()
            for _ in range(len(waiting)):
                index = waiting.popleft()
                if len(batch) < self.batch_size and not (self.row_keys[index] & seen):
                    batch.append(index)
                    seen |= self.row_keys[index]
                else:
                    waiting.append(index)
            while len(batch) < self.batch_size and not exhausted:
                index = next(stream, None)
                if index is None:
                    exhausted = True
                elif self.row_keys[index] & seen:
                    waiting.append(index)
                else:
                    batch.append(index)
                    seen |= self.row_keys[index]
            if not batch or (len(batch) < self.batch_size and self.drop_last):
                return
            yield batch


class GroupByLabelBatchSampler(DefaultBatchSampler):
    """Batches made of pairs of rows with the same label, so every label in a batch occurs at least
    twice (what batch-hard triplet losses need). Labels with a single row are skipped."""

    def __init__(self, dataset: Any, batch_size: int, drop_last: bool = False, **kwargs: Any) -> None:
        super().__init__(dataset, batch_size, drop_last, **kwargs)
        if batch_size % 2:
            raise InputError(f"the GROUP_BY_LABEL batch sampler needs an even batch size, got {batch_size}")
        label_column = next((c for c in self.valid_label_columns if c in dataset.column_names), None)
        if label_column is None:
            raise InputError(
                f"the GROUP_BY_LABEL batch sampler needs a label column (one of {list(self.valid_label_columns)})"
            )
        groups: dict[Any, list[int]] = {}
        for index, label in enumerate(dataset[label_column]):
            groups.setdefault(label, []).append(index)
        self.groups = [rows for rows in groups.values() if len(rows) >= 2]

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        pairs = []
        for rows in self.groups:
            shuffled = [rows[i] for i in torch.randperm(len(rows), generator=generator).tolist()]
            pairs += [shuffled[i : i + 2] for i in range(0, len(shuffled) - 1, 2)]
        pairs = [pairs[i] for i in torch.randperm(len(pairs), generator=generator).tolist()]
        per_batch = self.batch_size // 2
        for start in range(0, len(pairs), per_batch):
            chunk = pairs[start : start + per_batch]
            if len(chunk) < per_batch and self.drop_last:
                return
            yield [index for pair in chunk for index in pair]

    def __len__(self) -> int:
        pairs = sum(len(rows) // 2 for rows in self.groups)
        full, rest = divmod(pairs, self.batch_size // 2)
        return full + (1 if rest and not self.drop_last else 0)


class MultiDatasetBatchSampler(BatchSampler):
    """Base of the samplers over a ConcatDataset: they interleave the batches of one sampler per dataset."""

    def __init__(
        self, dataset: ConcatDataset, batch_samplers: list[BatchSampler], generator: Any = None, seed: int = 0
    ) -> None:
        if not batch_samplers:
            raise InputError("multi-dataset training needs at least one dataset")
        first = batch_samplers[0]
        super().__init__(range(len(dataset)), first.batch_size, first.drop_last)
        self.batch_samplers = batch_samplers
        self.offsets = [0, *dataset.cumulative_sizes[:-1]]
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the order of ``epoch`` for this sampler and every per-dataset sampler."""
        self.epoch = epoch
        for sampler in self.batch_samplers:
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)

    def shifted(self, which: int, batch: list[int]) -> list[int]:
        """Indices of dataset ``which`` turned into ConcatDataset indices."""
        return [self.offsets[which] + index for index in batch]


class RoundRobinBatchSampler(MultiDatasetBatchSampler):
    """One batch of each dataset in turn, for as many rounds as the smallest dataset has batches."""

    def __iter__(self) -> Iterator[list[int]]:
        iterators = [iter(sampler) for sampler in self.batch_samplers]
        for _ in range(min(len(s) for s in self.batch_samplers)):
            for which, iterator in enumerate(iterators):
                batch = next(iterator, None)
                if batch is None:
                    return
                yield self.shifted(which, batch)

    def __len__(self) -> int:
        return min(len(s) for s in self.batch_samplers) * len(self.batch_samplers)


class ProportionalBatchSampler(MultiDatasetBatchSampler):
    """Every batch of every dataset, in a random order (seed + epoch): larger datasets come up more often."""

    def __iter__(self) -> Iterator[list[int]]:
        schedule = [which for which, sampler in enumerate(self.batch_samplers) for _ in range(len(sampler))]
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(len(schedule), generator=generator).tolist()
        iterators = [iter(sampler) for sampler in self.batch_samplers]
        for position in order:
            which = schedule[position]
            batch = next(iterators[which], None)
            if batch is not None:
                yield self.shifted(which, batch)

    def __len__(self) -> int:
        return sum(len(s) for s in self.batch_samplers)
