"""Fine-tune the embedded tiny SPLADE on (query, positive) pairs with SpladeLoss + in-batch negatives.

Runs offline in about a minute on a laptop CPU:
    python examples/train_splade.py                       # built-in toy pairs
    python examples/train_splade.py --data ../shared/data/scifact/train_pairs.jsonl --max-steps 50
Multi-GPU, unchanged: torchrun --nproc_per_node 4 examples/train_splade.py --data pairs.jsonl
"""

from __future__ import annotations

from splade_search import SparseEncoder
from splade_search.training import (
    BatchSamplers,
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
    SpladeLoss,
)

from _pairs import pairs_dataset, pairs_parser  # examples/_pairs.py: toy pairs, --data/--output/--max-steps


def main() -> None:
    args = pairs_parser(__doc__, output="models/splade-tiny-finetuned").parse_args()
    dataset = pairs_dataset(args.data)

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
