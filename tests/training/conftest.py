"""Fixtures for the training tests: tiny datasets, fast training arguments and a fake evaluator."""

from __future__ import annotations

from typing import Any

import pytest

TOPICS = "diabetes insulin cancer heart brain lung liver kidney virus infection apple banana dog cat music film".split()


@pytest.fixture()
def pairs():
    """16 (query, positive) rows with distinct texts."""
    from datasets import Dataset

    return Dataset.from_dict(
        {
            "query": [f"what causes {t}" for t in TOPICS],
            "positive": [f"{t} is caused by the blood cells" for t in TOPICS],
        }
    )


@pytest.fixture()
def triplets():
    """8 (anchor, positive, negative) rows."""
    from datasets import Dataset

    return Dataset.from_dict(
        {
            "anchor": [f"what is {t}" for t in TOPICS[:8]],
            "positive": [f"{t} is a study" for t in TOPICS[:8]],
            "negative": [f"{t} is the weather" for t in TOPICS[8:]],
        }
    )


def _fast_args(output_dir: Any, **overrides: Any):
    """Training arguments for a few CPU steps with no reporting."""
    from splade_search.training import SparseEncoderTrainingArguments

    settings = dict(
        output_dir=str(output_dir),
        max_steps=2,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=True,
        seed=0,
    )
    settings.update(overrides)
    return SparseEncoderTrainingArguments(**settings)


class FakeEvaluator:
    """Counts its calls and reports a fixed metric, like an IR evaluator would."""

    primary_metric = "fake_ndcg@10"

    def __init__(self, value: float = 0.5) -> None:
        self.value = value
        self.calls: list[tuple[float, int]] = []

    def __call__(
        self, model: Any, output_path: str | None = None, epoch: float = -1, steps: int = -1
    ) -> dict[str, float]:
        self.calls.append((epoch, steps))
        return {self.primary_metric: self.value, "fake_query_active_dims": 12.0}


@pytest.fixture()
def fast_args():
    """``fast_args(output_dir, **overrides)``: arguments for a few CPU steps with no reporting."""
    return _fast_args


@pytest.fixture()
def evaluator_class() -> type[FakeEvaluator]:
    """The FakeEvaluator class: ``evaluator_class(value)`` reports ``fake_ndcg@10 = value``."""
    return FakeEvaluator
