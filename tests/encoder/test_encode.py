"""encode / encode_query / encode_document: output types, ordering, prompts, kwargs and input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from splade_search.errors import InputError

TEXTS = ["what causes diabetes", "the cat", "insulin and blood sugar level in patients with diabetes", "a"]


@pytest.mark.parametrize("convert_to_tensor", [True, False])
@pytest.mark.parametrize("convert_to_sparse_tensor", [True, False])
@pytest.mark.parametrize("single", [True, False])
def test_output_type_grid(splade_model, convert_to_tensor, convert_to_sparse_tensor, single):
    inputs = TEXTS[0] if single else TEXTS
    out = splade_model.encode(inputs, convert_to_tensor=convert_to_tensor, convert_to_sparse_tensor=convert_to_sparse_tensor)
    vocab = splade_model.get_sentence_embedding_dimension()
    if single:
        assert isinstance(out, torch.Tensor) and out.shape == (vocab,)
        assert out.is_sparse == convert_to_sparse_tensor
    elif convert_to_tensor:
        assert isinstance(out, torch.Tensor) and out.shape == (len(TEXTS), vocab)
        assert out.is_sparse == convert_to_sparse_tensor
    else:
        assert isinstance(out, list) and len(out) == len(TEXTS)
        assert all(row.shape == (vocab,) and row.is_sparse == convert_to_sparse_tensor for row in out)


def test_all_layouts_hold_the_same_values(splade_model):
    dense = splade_model.encode(TEXTS, convert_to_sparse_tensor=False)
    sparse = splade_model.encode(TEXTS).to_dense()
    rows = torch.stack([r.to_dense() for r in splade_model.encode(TEXTS, convert_to_tensor=False)])
    single = torch.stack([splade_model.encode(t, convert_to_sparse_tensor=False) for t in TEXTS])
    torch.testing.assert_close(sparse, dense)
    torch.testing.assert_close(rows, dense)
    torch.testing.assert_close(single, dense, atol=1e-5, rtol=1e-5)


def test_batch_size_and_length_sorting_keep_input_order(splade_model):
    one_batch = splade_model.encode(TEXTS, batch_size=32).to_dense()
    tiny_batches = splade_model.encode(TEXTS, batch_size=1).to_dense()
    torch.testing.assert_close(one_batch, tiny_batches, atol=1e-5, rtol=1e-5)
    reversed_out = splade_model.encode(TEXTS[::-1], batch_size=2).to_dense()
    torch.testing.assert_close(reversed_out.flip(0), one_batch, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("convert_to_tensor", [True, False])
@pytest.mark.parametrize("convert_to_sparse_tensor", [True, False])
def test_empty_input(splade_model, convert_to_tensor, convert_to_sparse_tensor):
    out = splade_model.encode([], convert_to_tensor=convert_to_tensor, convert_to_sparse_tensor=convert_to_sparse_tensor)
    if convert_to_tensor:
        assert isinstance(out, torch.Tensor) and out.numel() == 0 and out.is_sparse == convert_to_sparse_tensor
    else:
        assert out == []


def test_numpy_array_is_a_batch(splade_model):
    out = splade_model.encode(np.array(TEXTS[:2]))
    assert out.shape[0] == 2


def test_unknown_kwargs_are_rejected(splade_model):
    with pytest.raises(ValueError, match="unexpected keyword arguments \\['colour'\\]"):
        splade_model.encode(TEXTS, colour="red")


@pytest.mark.parametrize("bad", [[1, 2], ["ok", None], 3.5, [{"text": "x"}]])
def test_non_string_inputs_are_refused(splade_model, bad):
    with pytest.raises(InputError, match="expects"):
        splade_model.encode(bad)


def test_max_active_dims_caps_every_row(splade_model):
    out = splade_model.encode(TEXTS, max_active_dims=3)
    counts = torch.bincount(out.coalesce().indices()[0], minlength=len(TEXTS))
    assert counts.max().item() <= 3
    full = splade_model.encode(TEXTS, convert_to_sparse_tensor=False)
    capped = out.to_dense()
    for row_full, row_capped in zip(full, capped):
        kept = row_capped.nonzero().flatten()
        assert torch.equal(row_capped[kept], row_full[kept])
        if len(kept):
            assert row_full[kept].min() >= torch.topk(row_full, 3).values.min() - 1e-6


def test_csr_default_max_active_dims_follows_the_autoencoder_k(csr_model):
    previous = csr_model[-1].k
    try:
        csr_model[-1].k = 3
        assert csr_model.max_active_dims == 3
        assert (csr_model.encode(TEXTS).to_dense() > 0).sum(dim=1).max().item() == 3
        csr_model.max_active_dims = 2  # an explicit setting wins
        assert (csr_model.encode(TEXTS).to_dense() > 0).sum(dim=1).max().item() == 2
    finally:
        csr_model[-1].k, csr_model.max_active_dims = previous, None


def test_max_active_dims_must_be_positive(splade_model):
    with pytest.raises(ValueError, match="positive"):
        splade_model.encode(TEXTS, max_active_dims=0)


class TestPrompts:
    def test_explicit_prompt_wins(self, splade_model):
        splade_model.prompts = {"query": "query: ", "document": "", "other": "other: "}
        a = splade_model.encode_query("diabetes", prompt="cat ", convert_to_sparse_tensor=False)
        b = splade_model.encode("cat diabetes", convert_to_sparse_tensor=False)
        torch.testing.assert_close(a, b)

    def test_prompt_name_resolves(self, splade_model):
        splade_model.prompts = {"query": "", "document": "", "other": "the cat "}
        a = splade_model.encode("diabetes", prompt_name="other", convert_to_sparse_tensor=False)
        b = splade_model.encode("the cat diabetes", convert_to_sparse_tensor=False)
        torch.testing.assert_close(a, b)

    def test_unknown_prompt_name_error_message(self, splade_model):
        with pytest.raises(ValueError, match="Prompt name 'nope' not found in the configured prompts dictionary with keys"):
            splade_model.encode("x", prompt_name="nope")

    def test_default_prompt_name(self, tiny_mlm_dir):
        from splade_search import SparseEncoder

        model = SparseEncoder(tiny_mlm_dir, device="cpu", prompts={"cls": "the cat "}, default_prompt_name="cls")
        a = model.encode("diabetes", convert_to_sparse_tensor=False)
        b = model.encode("the cat diabetes", prompt="", convert_to_sparse_tensor=False)
        torch.testing.assert_close(a, b)

    def test_encode_query_uses_query_prompt_and_task(self, splade_model):
        splade_model.prompts = {"query": "what ", "document": "the "}
        q = splade_model.encode_query(TEXTS, convert_to_sparse_tensor=False)
        e = splade_model.encode(TEXTS, prompt_name="query", task="query", convert_to_sparse_tensor=False)
        torch.testing.assert_close(q, e)
        d = splade_model.encode_document(TEXTS, convert_to_sparse_tensor=False)
        e = splade_model.encode(TEXTS, prompt_name="document", task="document", convert_to_sparse_tensor=False)
        torch.testing.assert_close(d, e)

    def test_passage_prompt_used_for_documents_when_no_document_prompt(self, tiny_mlm_dir):
        from splade_search import SparseEncoder

        model = SparseEncoder(tiny_mlm_dir, device="cpu")
        model.prompts = {"query": "", "passage": "the cat "}
        d = model.encode_document("diabetes", convert_to_sparse_tensor=False)
        torch.testing.assert_close(d, model.encode("the cat diabetes", convert_to_sparse_tensor=False))
