"""Train a CSR model: a sparse autoencoder (top-k latents) on top of the frozen dense all-MiniLM-L6-v2.

`SparseEncoder("minilm")` appends the SparseAutoEncoder automatically (hidden 1536, k=96).
    python examples/train_csr.py [--data pairs.jsonl] [--max-steps 20]
"""

from __future__ import annotations

import argparse

from datasets import Dataset

from splade_search import SparseAutoEncoder, SparseEncoder
from splade_search.similarity import cos_sim
from splade_search.training import (
    BatchSamplers,
    CSRLoss,
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
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
    parser.add_argument("--output", default="models/csr-minilm")
    parser.add_argument("--max-steps", type=int, default=10)
    args = parser.parse_args()

    if args.data:
        dataset = Dataset.from_json(args.data).select_columns(["query", "positive"])
    else:
        dataset = Dataset.from_dict({"query": [q for q, _ in TOY_PAIRS], "positive": [p for _, p in TOY_PAIRS]})

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
