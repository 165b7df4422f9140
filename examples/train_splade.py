"""Fine-tune the embedded tiny SPLADE on (query, positive) pairs with SpladeLoss + in-batch negatives.

Runs offline in about a minute on a laptop CPU:
    python examples/train_splade.py                       # built-in toy pairs
    python examples/train_splade.py --data ../shared/data/scifact/train_pairs.jsonl --max-steps 50
Multi-GPU, unchanged: torchrun --nproc_per_node 4 examples/train_splade.py --data pairs.jsonl
"""

from __future__ import annotations

import argparse

from datasets import Dataset

from splade_search import SparseEncoder
from splade_search.training import (
    BatchSamplers,
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
    SpladeLoss,
)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="JSONL file with 'query' and 'positive' fields (default: toy pairs)")
    parser.add_argument("--output", default="models/splade-tiny-finetuned")
    parser.add_argument("--max-steps", type=int, default=10)
    args = parser.parse_args()

    if args.data:
        dataset = Dataset.from_json(args.data).select_columns(["query", "positive"])
    else:
        dataset = Dataset.from_dict({"query": [q for q, _ in TOY_PAIRS], "positive": [p for _, p in TOY_PAIRS]})

    model = SparseEncoder("splade-tiny")
    model.max_seq_length = 128
    loss = SpladeLoss(
        model,
        SparseMultipleNegativesRankingLoss(model),
        query_regularizer_weight=5e-5,  # FLOPS weights; raise them if the vectors get too dense
        document_regularizer_weight=3e-5,
    )
    training_args = SparseEncoderTrainingArguments(
        output_dir=args.output,
        max_steps=args.max_steps,
        per_device_train_batch_size=8,
        learning_rate=2e-5,
        warmup_steps=0.1,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # duplicate texts would be false in-batch negatives
        logging_steps=5,
        save_strategy="no",
        report_to="none",
    )
    trainer = SparseEncoderTrainer(model=model, args=training_args, train_dataset=dataset, loss=loss)
    trainer.train()
    model.save(args.output)

    query = model.encode_query(["what causes diabetes"])
    print("query active dims:", model.sparsity(query)["active_dims"])
    print("top query terms:", model.decode(query[0], top_k=8))
    print("saved to", args.output)


if __name__ == "__main__":
    main()
