"""SparseAutoEncoder: output keys in training vs inference, out-of-place aux masking, k_aux=0."""

from __future__ import annotations

import torch

from splade_search import SparseAutoEncoder

TRAIN_KEYS = {
    "sentence_embedding",
    "sentence_embedding_backbone",
    "sentence_embedding_encoded",
    "sentence_embedding_encoded_4k",
    "auxiliary_embedding",
    "decoded_embedding_k",
    "decoded_embedding_4k",
    "decoded_embedding_aux",
    "decoded_embedding_k_pre_bias",
}


def make(k=4, k_aux=8, normalize=False):
    torch.manual_seed(0)
    sae = SparseAutoEncoder(16, hidden_dim=64, k=k, k_aux=k_aux, normalize=normalize)
    torch.nn.init.normal_(sae.latent_bias, std=0.1)
    return sae


def test_inference_mode_only_emits_the_embedding():
    sae = make().eval()
    with torch.inference_mode():
        out = sae({"sentence_embedding": torch.randn(5, 16)})
    assert set(out) == {"sentence_embedding"}
    assert ((out["sentence_embedding"] != 0).sum(dim=1) <= 4).all()


def test_training_emits_all_keys_and_topk_counts():
    sae = make().train()
    x = torch.randn(5, 16)
    out = sae({"sentence_embedding": x})
    assert set(out) == TRAIN_KEYS
    assert ((out["sentence_embedding"] != 0).sum(dim=1) <= 4).all()
    assert ((out["sentence_embedding_encoded_4k"] != 0).sum(dim=1) <= 16).all()
    torch.testing.assert_close(out["sentence_embedding_backbone"], x)


def test_4k_latents_come_from_unmasked_pre_activations():
    sae = make().train()
    out = sae({"sentence_embedding": torch.randn(5, 16)})
    pre = out["sentence_embedding_encoded"]
    expected = torch.relu(torch.zeros_like(pre).scatter(-1, pre.topk(16).indices, pre.topk(16).values))
    torch.testing.assert_close(out["sentence_embedding_encoded_4k"], expected)
    assert (out["sentence_embedding_encoded_4k"] != 0).any()
    assert torch.count_nonzero(out["auxiliary_embedding"]) == 0, "no latent is dead yet"


def test_dead_latents_feed_the_aux_branch():
    sae = make().train()
    sae.stats_last_nonzero.fill_(100)
    out = sae({"sentence_embedding": torch.randn(5, 16)})
    assert (out["auxiliary_embedding"] != 0).any()
    used = (out["sentence_embedding"] > 1e-5).any(dim=0)
    assert (sae.stats_last_nonzero[used] == 0).all()
    assert (sae.stats_last_nonzero[~used] == 101).all()


def test_k_aux_zero_is_allowed():
    sae = make(k_aux=0).train()
    out = sae({"sentence_embedding": torch.randn(5, 16)})
    assert out["auxiliary_embedding"] is None and out["decoded_embedding_aux"] is None


def test_max_active_dims_overrides_k():
    sae = make().eval()
    with torch.inference_mode():
        out = sae({"sentence_embedding": torch.randn(5, 16)}, max_active_dims=2)
    assert ((out["sentence_embedding"] != 0).sum(dim=1) <= 2).all()


def test_tied_decoder_and_normalize_reconstruction():
    sae = make(normalize=True).train()
    x = torch.randn(5, 16) * 3 + 1
    out = sae({"sentence_embedding": x})
    prepared, info = sae.prepare(x)
    latents = out["sentence_embedding"]
    expected = (latents @ sae.encoder.weight + sae.pre_bias) * info["std"] + info["mu"]
    torch.testing.assert_close(out["decoded_embedding_k"], expected)


def test_save_load_round_trip(tmp_path):
    sae = make()
    sae.stats_last_nonzero.fill_(7)
    sae.save(str(tmp_path))
    from safetensors.torch import load_file

    assert set(load_file(str(tmp_path / "model.safetensors"))) == {"pre_bias", "latent_bias", "encoder.weight", "stats_last_nonzero"}
    loaded = SparseAutoEncoder.load(str(tmp_path))
    assert loaded.get_config_dict() == sae.get_config_dict()
    for a, b in zip(sae.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
