"""Distil a teacher into the tiny SPLADE: mine hard negatives with an index, score them, train with MarginMSE.

Runs offline in about a minute (the teacher is the dense all-MiniLM-L6-v2 that the `minilm` extra embeds):
    python examples/train_distillation.py                   # the bundled sample corpus, a few toy queries
    python examples/train_distillation.py --corpus ../shared/data/scifact \
        --pairs ../shared/data/scifact/train_pairs.jsonl --max-steps 100 --teacher-scale 63
The teacher scale multiplies the teacher's cosine scores: pick it so that the teacher's margins
(positive minus negative) spread as widely as the student's dot-product margins (recipes/README.md).
"""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.retrieval import document_text
from splade_search.training import SparseEncoderTrainer, SparseEncoderTrainingArguments, SparseMarginMSELoss, SpladeLoss
from splade_search.retrieval.mining import load_teacher, mine_hard_negatives, read_pairs, retriever_for, score_rows

from _pairs import example_parser  # examples/_pairs.py: --output/--max-steps

SAMPLES = Path(__file__).resolve().parent.parent / "splade_search" / "samples"
TOY_QUERIES = {  # query -> title of its positive in the sample corpus
    "what causes type 2 diabetes": "Type 2 diabetes",
    "how do plants make sugar from light": "Photosynthesis",
    "why do we need to sleep": "Why we sleep",
    "how do vaccines protect us": "How vaccines train immunity",
}


def main() -> None:
    parser = example_parser(__doc__, output="models/splade-tiny-distilled")
    parser.add_argument("--corpus", default=str(SAMPLES / "corpus.jsonl"), help="corpus to mine negatives from")
    parser.add_argument("--pairs", help="JSONL of (query, positive) pairs (default: toy pairs over the sample corpus)")
    parser.add_argument("--teacher-scale", type=float, default=63.0)
    args = parser.parse_args()

    student = SparseEncoder("splade-tiny")
    student.max_seq_length = 128
    retriever = retriever_for(student, corpus_path=args.corpus, max_length=256)
    if args.pairs:
        pairs = read_pairs(args.pairs)
    else:
        by_title = {doc.title: document_text(doc) for doc in read_corpus(args.corpus)}
        pairs = [(query, by_title[title]) for query, title in TOY_QUERIES.items()]
    rows = mine_hard_negatives(pairs, retriever, n_negatives=2, top_k=10, skip_top=1)
    rows = score_rows(rows, load_teacher("dense", "minilm", max_length=256, scale=args.teacher_scale))
    print(f"{len(rows)} rows; first label (positive, negatives): {[round(s, 2) for s in rows[0].label]}")

    dataset = Dataset.from_list([row.to_dict() for row in rows])
    loss = SpladeLoss(student, SparseMarginMSELoss(student), query_regularizer_weight=5e-5, document_regularizer_weight=3e-5)
    training_args = SparseEncoderTrainingArguments(
        output_dir=args.output, max_steps=args.max_steps, per_device_train_batch_size=4, learning_rate=3e-5,
        logging_steps=5, save_strategy="no", report_to="none",
    )
    SparseEncoderTrainer(model=student, args=training_args, train_dataset=dataset, loss=loss).train()
    student.save(args.output)
    print("saved to", args.output)


if __name__ == "__main__":
    main()
