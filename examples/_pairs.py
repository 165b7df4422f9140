"""What the training examples share: toy (query, positive) pairs, their common flags and the training dataset.

Not an example itself; `train_*.py` import it (``from _pairs import ...``) when run as ``python examples/<name>.py``.
"""

from __future__ import annotations

import argparse

from datasets import Dataset

TOY_PAIRS = [
    ("what causes diabetes", "Type 2 diabetes is caused by insulin resistance and high blood sugar."),
    ("how do vaccines work", "Vaccines train the immune system to recognise a virus without causing disease."),
    ("why is the sky blue", "Sunlight is scattered by air molecules; blue light scatters the most."),
    ("what do bees eat", "Bees feed on nectar and pollen collected from flowers."),
    ("how are mountains formed", "Mountains form where tectonic plates collide and the crust folds upwards."),
    ("what is photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen."),
    ("who wrote hamlet", "Hamlet is a tragedy written by William Shakespeare around 1600."),
    ("how does a compass work", "A magnetised needle aligns itself with the Earth's magnetic field."),
]


def example_parser(doc: str | None, output: str) -> argparse.ArgumentParser:
    """A parser with the flags of every training example: ``--output`` (model folder) and ``--max-steps``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=output, help=f"where the trained model is saved (default: {output})")
    parser.add_argument("--max-steps", type=int, default=10, help="training steps (default: 10)")
    return parser


def pairs_parser(doc: str | None, output: str) -> argparse.ArgumentParser:
    """`example_parser` plus ``--data``: a JSONL file of (query, positive) pairs."""
    parser = example_parser(doc, output)
    parser.add_argument("--data", help="JSONL file with 'query' and 'positive' fields (default: toy pairs)")
    return parser


def pairs_dataset(path: str | None) -> Dataset:
    """The ``query``/``positive`` columns of the JSONL file at ``path``, or the toy pairs when ``path`` is None."""
    if path:
        return Dataset.from_json(path).select_columns(["query", "positive"])
    return Dataset.from_dict({"query": [q for q, _ in TOY_PAIRS], "positive": [p for _, p in TOY_PAIRS]})
