"""Loss values on small hand-computed tensors, label-shape rules and the wrapped-only guard."""

from __future__ import annotations

import math

import pytest
import torch

from splade_search.errors import InputError, TrainingError
from splade_search.similarity import pairwise_cos_sim
from splade_search.training import losses as L


class Stub(torch.nn.Module):
    """Stands in for a SparseEncoder where only the loss arithmetic matters."""

    similarity_fn_name = "dot"


@pytest.fixture()
def model():
    return Stub()


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_flops_value_and_threshold(model):
    x = t([[1, 0, 2], [3, 0, 0]])
    assert L.FlopsLoss(model).compute_loss_from_embeddings(x).item() == pytest.approx(5.0)  # mean [2,0,1] -> 4+0+1
    masked = L.FlopsLoss(model, threshold=1).compute_loss_from_embeddings(x)  # row 2 has 1 active dim -> dropped
    assert masked.item() == pytest.approx(0.25 + 1.0)


def test_l1_value(model):
    assert L.L1Loss().compute_loss_from_embeddings(t([[1, -2, 0], [0, 0, 3]])).item() == pytest.approx(3.0)


def test_mnrl_value(model):
    q, p = t([[1, 0], [0, 1]]), t([[1, 0], [0, 1]])
    loss = L.SparseMultipleNegativesRankingLoss(model).compute_loss_from_embeddings([q, p], None)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-1)))
    negatives = t([[0, 2], [2, 0]])
    with_neg = L.SparseMultipleNegativesRankingLoss(model, scale=2.0).compute_loss_from_embeddings(
        [q, p, negatives], None
    )
    row = -math.log(
        math.exp(2) / (math.exp(2) + 1 + 1 + math.exp(4))
    )  # scores: p_own 1, p_other 0, neg 0 and 2, x scale 2
    assert with_neg.item() == pytest.approx(row)


def test_splade_loss_components(model):
    loss = L.SpladeLoss(
        model,
        L.SparseMultipleNegativesRankingLoss(model),
        document_regularizer_weight=0.1,
        query_regularizer_weight=0.2,
    )
    q, p = t([[1, 0], [0, 1]]), t([[1, 0], [0, 1]])
    parts = loss.compute_loss_from_embeddings([q, p], None)
    assert set(parts) == {"base_loss", "document_regularizer_loss", "query_regularizer_loss"}
    assert parts["document_regularizer_loss"].item() == pytest.approx(0.1 * 0.5)  # mean [.5,.5] -> .25+.25
    assert parts["query_regularizer_loss"].item() == pytest.approx(0.2 * 0.5)


def test_splade_loss_document_only_and_plugged_regularizer(model):
    loss = L.SpladeLoss(
        model,
        L.SparseMultipleNegativesRankingLoss(model),
        document_regularizer_weight=1.0,
        query_regularizer_weight=0.5,
        use_document_regularizer_only=True,
        document_regularizer=L.L1Loss(),
    )
    assert loss.query_regularizer_weight is None
    q, p = t([[1, 0]]), t([[0, 2]])
    parts = loss.compute_loss_from_embeddings([q, p], None)
    assert "query_regularizer_loss" not in parts
    assert parts["document_regularizer_loss"].item() == pytest.approx(1.5)  # L1 over both columns: (1 + 2) / 2
    assert loss.get_config_dict()["document_regularizer"] == "L1Loss"


def test_splade_loss_without_query_weight_skips_query_term(model):
    loss = L.SpladeLoss(model, L.SparseMultipleNegativesRankingLoss(model), document_regularizer_weight=0.1)
    assert "query_regularizer_loss" not in loss.compute_loss_from_embeddings([t([[1, 0]]), t([[1, 0]])], None)


def test_splade_loss_rejects_losses_without_embedding_api(model):
    with pytest.raises(ValueError, match="compute_loss_from_embeddings"):
        L.SpladeLoss(model, torch.nn.MSELoss(), document_regularizer_weight=0.1)


@pytest.mark.parametrize("labels", [[3.0], [[3.0]], [[5.0, 2.0]]])
def test_margin_mse_label_shapes(model, labels):
    q, p, n = t([[1, 0]]), t([[2, 0]]), t([[1, 0]])  # margin s(q,p) - s(q,n) = 1
    value = L.SparseMarginMSELoss(model).compute_loss_from_embeddings([q, p, n], torch.tensor(labels))
    assert value.item() == pytest.approx(4.0)  # (1 - 3)^2


def test_margin_mse_several_negatives_and_bad_shape(model):
    q, p, n1, n2 = t([[1, 0]]), t([[2, 0]]), t([[1, 0]]), t([[0, 0]])  # margins 1 and 2
    value = L.SparseMarginMSELoss(model).compute_loss_from_embeddings([q, p, n1, n2], torch.tensor([[1.0, 4.0]]))
    assert value.item() == pytest.approx((0 + 4) / 2)
    with pytest.raises(InputError, match="do not fit"):
        L.SparseMarginMSELoss(model).compute_loss_from_embeddings([q, p, n1, n2], torch.tensor([[1.0, 2.0, 3.0, 4.0]]))


def test_distill_kl_value_temperature_and_checks(model):
    q, c1, c2 = t([[1, 0]]), t([[1, 0]]), t([[0, 1]])  # student scores [1, 0]
    loss = L.SparseDistillKLDivLoss(model)  # T = 2
    value = loss.compute_loss_from_embeddings([q, c1, c2], torch.tensor([[2.0, 0.0]]))
    p = torch.softmax(torch.tensor([1.0, 0.0]), 0)  # teacher / T
    s = torch.log_softmax(torch.tensor([0.5, 0.0]), 0)  # student / T
    expected = (p * (p.log() - s)).sum().item() * 4
    assert value.item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(InputError, match="at least 2 candidate"):
        loss.compute_loss_from_embeddings([q, c1], torch.tensor([[1.0]]))
    with pytest.raises(InputError, match="shape"):
        loss.compute_loss_from_embeddings([q, c1, c2], torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="positive finite"):
        L.SparseDistillKLDivLoss(model, temperature=0)
    assert L.SparseDistillKLDivLoss(model, student_temperature=1.0).get_config_dict()["student_temperature"] == 1.0


def test_cosent_uses_pairwise_cosine_by_default(model):
    loss = L.SparseCoSENTLoss(model)
    assert loss.similarity_fct is pairwise_cos_sim and model.similarity_fn_name == "cosine"
    u, v = t([[1, 0], [1, 0]]), t([[1, 1], [0, 1]])  # cos 0.7071 and 0
    value = loss.compute_loss_from_embeddings([u, v], torch.tensor([0.0, 1.0]))  # pair 2 should score higher
    assert value.item() == pytest.approx(math.log(1 + math.exp(20 * (2**-0.5 - 0))), rel=1e-5)
    correct = loss.compute_loss_from_embeddings([u, v], torch.tensor([1.0, 0.0]))
    assert correct.item() == pytest.approx(math.log(1 + math.exp(-20 * 2**-0.5)), abs=1e-7)


def test_angle_similarity_and_loss(model):
    assert L.pairwise_angle_sim(t([[1, 0]]), t([[1, 0]])).item() == pytest.approx(1.0)
    assert L.pairwise_angle_sim(t([[0, 1]]), t([[1, 0]])).item() == pytest.approx(1.0)
    loss = L.SparseAnglELoss(model)
    value = loss.compute_loss_from_embeddings([t([[1, 0], [2, 0]]), t([[1, 0], [1, 0]])], torch.tensor([1.0, 0.0]))
    s = L.pairwise_angle_sim(t([[1, 0], [2, 0]]), t([[1, 0], [1, 0]]))
    assert value.item() == pytest.approx(math.log(1 + math.exp(20 * (s[1] - s[0]).item())), rel=1e-5)


def test_cosine_similarity_loss(model):
    value = L.SparseCosineSimilarityLoss(model).compute_loss_from_embeddings(
        [t([[1, 0]]), t([[0, 1]])], torch.tensor([1.0])
    )
    assert value.item() == pytest.approx(1.0)
    with pytest.raises(InputError, match="one label per pair"):
        L.SparseCosineSimilarityLoss(model).compute_loss_from_embeddings(
            [t([[1, 0]]), t([[0, 1]])], torch.tensor([1.0, 0.0])
        )


@pytest.mark.parametrize(("metric", "expected"), [("euclidean", 9.0), ("manhattan", 11.0), ("cosine", 5.0)])
def test_triplet_signs(model, metric, expected):
    a, p, n = t([[3, 0]]), t([[0, 4]]), t([[2, 0]])  # euclidean d(a,p)=5, d(a,n)=1; manhattan 7 and 1; cosine 1 and 0
    loss = L.SparseTripletLoss(model, distance_metric=metric)
    assert loss.compute_loss_from_embeddings([a, p, n]).item() == pytest.approx(
        expected + 1.0 if metric == "cosine" else expected
    )


def test_mse_loss_is_standalone(model):
    student = t([[1, 2], [3, 4]])
    target = t([[1, 2], [3, 6]])
    loss = L.SparseMSELoss(model)
    assert loss.compute_loss_from_embeddings([student], target).item() == pytest.approx(1.0)
    assert loss.compute_loss_from_embeddings([student, student], target).item() == pytest.approx(1.0)
    with pytest.raises(InputError, match="needs labels"):
        loss.compute_loss_from_embeddings([student], None)


def test_csr_reconstruction_terms(model):
    x = t([[1, 2], [3, 4]])
    output = {
        "sentence_embedding_backbone": x,
        "decoded_embedding_k": torch.zeros(2, 2),
        "decoded_embedding_4k": x.clone(),
        "decoded_embedding_aux": None,  # k_aux = 0
        "decoded_embedding_k_pre_bias": torch.zeros(2, 2),
    }
    terms = L.CSRReconstructionLoss(model, beta=0.5).compute_loss_from_embeddings([output])
    assert terms["reconstruction_loss_k"].item() == pytest.approx(7.5)
    assert terms["reconstruction_loss_4k"].item() == pytest.approx(0.0)
    assert terms["reconstruction_loss_aux"].item() == 0.0
    output["decoded_embedding_aux"] = torch.zeros(2, 2)  # NMSE: 7.5 / spread 1
    terms = L.CSRReconstructionLoss(model, beta=0.5).compute_loss_from_embeddings([output])
    assert terms["reconstruction_loss_aux"].item() == pytest.approx(0.5 * 7.5)


@pytest.mark.parametrize(
    "factory",
    [
        L.SparseMultipleNegativesRankingLoss,
        L.SparseMarginMSELoss,
        L.SparseDistillKLDivLoss,
        L.SparseCoSENTLoss,
        L.SparseAnglELoss,
        L.SparseCosineSimilarityLoss,
        L.SparseTripletLoss,
    ],
)
def test_main_losses_refuse_to_run_alone(model, factory):
    loss = factory(model)
    with pytest.raises(L.UnwrappedLossError, match="SpladeLoss or CSRLoss") as info:
        loss([{}], None)
    assert isinstance(info.value, TrainingError) and isinstance(info.value, AttributeError)
    assert loss.citation.strip().startswith("@") and isinstance(loss.get_config_dict(), dict)


def test_regularizers_refuse_to_run_alone(model):
    with pytest.raises(TrainingError, match="SpladeLoss"):
        L.FlopsLoss(model)([{}], None)


def test_wrappers_report_configs_and_citations(model):
    splade = L.SpladeLoss(
        model, L.SparseMultipleNegativesRankingLoss(model), 3e-5, 5e-5, document_regularizer_threshold=10
    )
    config = splade.get_config_dict()
    assert config["loss"] == "SparseMultipleNegativesRankingLoss(scale=1.0, similarity_fct='dot_score')"
    assert config["document_regularizer_threshold"] == 10 and config["query_regularizer_weight"] == 5e-5
    csr = L.CSRLoss(model)
    assert csr.get_config_dict() == {
        "beta": 0.1,
        "gamma": 1.0,
        "loss": "SparseMultipleNegativesRankingLoss(scale=1.0, similarity_fct='dot_score')",
    }
    assert "2503.01776" in csr.citation and "2205.04733" in splade.citation
