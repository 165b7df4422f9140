"""Train a CSR model: a sparse autoencoder (top-k latents) on top of the frozen dense all-MiniLM-L6-v2.

`SparseEncoder("minilm")` appends the SparseAutoEncoder automatically (hidden 1536, k=96).
    python examples/train_csr.py [--data pairs.jsonl] [--max-steps 20]
"""

from __future__ import annotations

from splade_search import SparseAutoEncoder, SparseEncoder
from splade_search.similarity import cos_sim
from splade_search.training import (
    BatchSamplers,
    CSRLoss,
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
)

from _pairs import pairs_dataset, pairs_parser  # examples/_pairs.py: toy pairs, --data/--output/--max-steps


def main() -> None:
    args = pairs_parser(__doc__, output="models/csr-minilm").parse_args()
    dataset = pairs_dataset(args.data)

    model = SparseEncoder("minilm")
    for module in model:
        if not isinstance(module, SparseAutoEncoder):
            module.requires_grad_(False)  # only the autoencoder learns

    loss = CSRLoss(
        model, loss=SparseMultipleNegativesRankingLoss(model, scale=20.0, similarity_fct=cos_sim), beta=0.1, gamma=0.1
    )
    training_args = SparseEncoderTrainingArguments(
        output_dir=args.output,
        max_steps=args.max_steps,
        per_device_train_batch_size=8,
        learning_rate=4e-5,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        logging_steps=5,
        save_strategy="no",
        report_to="none",
    )
    SparseEncoderTrainer(model=model, args=training_args, train_dataset=dataset, loss=loss).train()
    model.save(args.output)

    for k in (8, 32, 96):
        embedding = model.encode_document(["Bees feed on nectar."], max_active_dims=k)
        print(
            f"k={k}: active dims {model.sparsity(embedding)['active_dims']:.0f} of {model.get_sentence_embedding_dimension()}"
        )
    print("saved to", args.output)


if __name__ == "__main__":
    main()
