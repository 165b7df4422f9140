"""Train an inference-free SPLADE: queries are a weighted bag of their own tokens (no transformer at
query time), documents go through the tiny SPLADE. The query weights start from corpus IDF and
train with a much higher learning rate than the document encoder.

    python examples/train_inference_free.py [--data pairs.jsonl] [--max-steps 20]
"""

from __future__ import annotations

from splade_search import Router, SparseEncoder, SparseStaticEmbedding
from splade_search.training import (
    SparseEncoderTrainer,
    SparseEncoderTrainingArguments,
    SparseMultipleNegativesRankingLoss,
    SpladeLoss,
)
from splade_search.training.recipes import corpus_idf

from _pairs import pairs_dataset, pairs_parser  # examples/_pairs.py: toy pairs, --data/--output/--max-steps


def main() -> None:
    args = pairs_parser(__doc__, output="models/inference-free-splade").parse_args()
    dataset = pairs_dataset(args.data)

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
        per_device_train_batch_size=8,
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
