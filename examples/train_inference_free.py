"""Train an inference-free SPLADE: queries are a weighted bag of their own tokens (no transformer at
query time), documents go through the tiny SPLADE. The query weights start from corpus IDF and
train with a much higher learning rate than the document encoder.

    python examples/train_inference_free.py [--data pairs.jsonl] [--max-steps 20]
"""

from __future__ import annotations

import argparse

from datasets import Dataset

from splade_search import Router, SparseEncoder, SparseStaticEmbedding
from splade_search.training import (
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
    SpladeLoss,
)
from splade_search.training.recipes import corpus_idf

TOY_PAIRS = [
    ("what causes diabetes", "Type 2 diabetes is caused by insulin resistance and high blood sugar."),
    ("how do vaccines work", "Vaccines train the immune system to recognise a virus without causing disease."),
    ("why is the sky blue", "Sunlight is scattered by air molecules; blue light scatters the most."),
    ("what do bees eat", "Bees feed on nectar and pollen collected from flowers."),
    ("how are mountains formed", "Mountains form where tectonic plates collide and the crust folds upwards."),
    ("what is photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen."),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="JSONL file with 'query' and 'positive' fields (default: toy pairs)")
    parser.add_argument("--output", default="models/inference-free-splade")
    parser.add_argument("--max-steps", type=int, default=10)
    args = parser.parse_args()

    if args.data:
        dataset = Dataset.from_json(args.data).select_columns(["query", "positive"])
    else:
        dataset = Dataset.from_dict({"query": [q for q, _ in TOY_PAIRS], "positive": [p for _, p in TOY_PAIRS]})

    document_side = SparseEncoder("splade-tiny")  # MLMTransformer + SpladePooling
    document_modules = list(document_side)
    tokenizer = document_modules[0].tokenizer
    idf = corpus_idf(tokenizer, list(dataset["positive"]), vocab_size=document_side.get_sentence_embedding_dimension())
    router = Router.for_query_document([SparseStaticEmbedding(tokenizer, weight=idf)], document_modules)
    model = SparseEncoder(modules=[router], similarity_fn_name="dot")
    model.max_seq_length = 128

    loss = SpladeLoss(
        model, SparseMultipleNegativesRankingLoss(model), query_regularizer_weight=0, document_regularizer_weight=3e-4
    )
    training_args = SparseEncoderTrainingArguments(
        output_dir=args.output,
        max_steps=args.max_steps,
        per_device_train_batch_size=6,
        learning_rate=2e-5,
        router_mapping={"query": "query", "positive": "document"},  # which Router route encodes each column
        learning_rate_mapping={r"SparseStaticEmbedding\.weight": 1e-3},  # class-qualified patterns work
        logging_steps=5,
        save_strategy="no",
        report_to="none",
    )
    SparseEncoderTrainer(model=model, args=training_args, train_dataset=dataset, loss=loss).train()
    model.save(args.output)

    query = model.encode_query(["what causes diabetes"])
    print("query terms (inference-free):", model.decode(query[0]))
    print("saved to", args.output)


if __name__ == "__main__":
    main()
