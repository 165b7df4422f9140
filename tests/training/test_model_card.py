"""The README written on save describes the trained model: type, tags, datasets, losses, metrics, usage."""

from __future__ import annotations

from splade_search.model_card import SparseEncoderModelCardData, render_model_card
from splade_search.training import SparseEncoderTrainer, SparseMultipleNegativesRankingLoss, SpladeLoss


def test_card_after_inference_free_training(inference_free_model, pairs, tmp_path, fast_args, evaluator_class):
    args = fast_args(
        tmp_path, router_mapping={"query": "query", "positive": "document"}, eval_strategy="steps", eval_steps=2
    )
    loss = SpladeLoss(
        inference_free_model,
        SparseMultipleNegativesRankingLoss(inference_free_model),
        document_regularizer_weight=3e-4,
        query_regularizer_weight=0,
    )
    trainer = SparseEncoderTrainer(
        inference_free_model, args, train_dataset=pairs, loss=loss, evaluator=evaluator_class(0.61)
    )
    trainer.train()
    trainer.save_model(str(tmp_path / "final"))
    card = (tmp_path / "final" / "README.md").read_text()
    for text in (
        "- sparse-encoder",
        "- asymmetric",
        "- inference-free",
        "- splade",
        "# Asymmetric Inference-free SPLADE Sparse Encoder",
        "**Similarity function:** Dot Product",
        "### Loss: `SpladeLoss`",
        '"document_regularizer_weight": 0.0003',
        "SparseMultipleNegativesRankingLoss(scale=1.0, similarity_fct='dot_score')",
        "- **train** (size: 16; columns: ['query', 'positive'])",
        "| eval_fake_ndcg@10 | 0.6100 |",
        "model.encode_query(",
        "model.encode_document(",
        "`max_steps`: 2",
        "2205.04733",
    ):
        assert text in card, text


def test_card_for_csr_models(csr_model):
    csr_model.model_card_data = SparseEncoderModelCardData(language="en", license="apache-2.0", base_model="minilm")
    card = render_model_card(csr_model, model_name="my-csr")
    for text in (
        "- csr",
        "# CSR Sparse Encoder: my-csr",
        "**Maximum active dimensions:** 16",
        "license: apache-2.0",
        "- en",
        "base_model: minilm",
        "128 dimensions",
    ):
        assert text in card, text


def test_model_card_data_helpers():
    data = SparseEncoderModelCardData()
    data.add_tags(["splade", "sparse"])
    data.add_tags("custom")
    assert data.tags == ["sentence-transformers", "sparse-encoder", "sparse", "splade", "custom"]
