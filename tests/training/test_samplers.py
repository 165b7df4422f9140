"""Batch samplers: no duplicate texts, label pairs, and multi-dataset batch counts."""

from __future__ import annotations

from collections import Counter

import pytest
from datasets import Dataset
from torch.utils.data import ConcatDataset

from splade_search.errors import InputError
from splade_search.training.samplers import (
    DefaultBatchSampler,
    GroupByLabelBatchSampler,
    NoDuplicatesBatchSampler,
    ProportionalBatchSampler,
    RoundRobinBatchSampler,
)


def test_default_sampler_covers_every_row_and_reshuffles_per_epoch():
    sampler = DefaultBatchSampler(list(range(10)), batch_size=4, seed=3)
    first = list(sampler)
    assert len(sampler) == len(first) == 3
    assert sorted(i for batch in first for i in batch) == list(range(10))
    assert first == list(sampler)  # deterministic for one epoch
    sampler.set_epoch(1)
    assert first != list(sampler)
    assert len(DefaultBatchSampler(list(range(10)), batch_size=4, drop_last=True)) == 2


def test_no_duplicates_sampler_keeps_texts_unique_within_batches():
    queries = ["a", "a", "a", "b", "c", "d", "e", "f", "g", "h"]
    positives = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "a", "p9", "p10"]  # "a" also appears as a positive
    data = Dataset.from_dict({"query": queries, "positive": positives, "label": [1.0] * 10})
    sampler = NoDuplicatesBatchSampler(data, batch_size=3, seed=0)
    batches = list(sampler)
    for batch in batches:
        texts = [queries[i] for i in batch] + [positives[i] for i in batch]
        assert len(texts) == len(set(texts)), batch
    assert sorted(i for batch in batches for i in batch) == list(range(10))
    assert len(sampler) >= 1


def test_no_duplicates_sampler_ignores_labels():
    data = Dataset.from_dict(
        {"query": ["a", "b", "c", "d"], "positive": ["w", "x", "y", "z"], "score": [1.0, 1.0, 1.0, 1.0]}
    )
    assert [len(b) for b in NoDuplicatesBatchSampler(data, batch_size=4)] == [4]


def test_group_by_label_sampler_pairs_labels():
    data = Dataset.from_dict({"text": [str(i) for i in range(9)], "label": [0, 0, 1, 1, 1, 1, 2, 2, 3]})
    sampler = GroupByLabelBatchSampler(data, batch_size=4, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 2
    for batch in batches:
        counts = Counter(data["label"][i] for i in batch)
        assert all(count >= 2 for count in counts.values())
    with pytest.raises(InputError, match="even batch size"):
        GroupByLabelBatchSampler(data, batch_size=3)


def multi(sizes, batch_size=2):
    datasets = [list(range(n)) for n in sizes]
    samplers = [DefaultBatchSampler(d, batch_size=batch_size, seed=0) for d in datasets]
    return ConcatDataset(datasets), samplers


def source(batch, sizes):
    ends, start = [], 0
    for n in sizes:
        ends.append((start, start + n))
        start += n
    owners = {next(k for k, (lo, hi) in enumerate(ends) if lo <= i < hi) for i in batch}
    assert len(owners) == 1, "a batch mixes datasets"
    return owners.pop()


def test_round_robin_alternates_until_the_smallest_dataset_is_used_up():
    concat, samplers = multi([8, 4])
    sampler = RoundRobinBatchSampler(concat, samplers, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 4  # min(4, 2) rounds x 2 datasets
    assert [source(b, [8, 4]) for b in batches] == [0, 1, 0, 1]


def test_proportional_uses_every_batch_of_every_dataset():
    concat, samplers = multi([8, 4])
    sampler = ProportionalBatchSampler(concat, samplers, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 6
    assert Counter(source(b, [8, 4]) for b in batches) == {0: 4, 1: 2}
    assert sorted(i for b in batches for i in b) == list(range(12))
    sampler.set_epoch(5)
    again = ProportionalBatchSampler(concat, samplers, seed=0)
    again.set_epoch(5)
    assert list(again) == list(sampler)  # the same seed and epoch give the same batches (resumable)
