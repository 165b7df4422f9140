"""backend="onnx" (and "openvino"): same vectors as torch within the stated tolerance, for the three architectures."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from splade_search import Pooling, SparseAutoEncoder, SparseEncoder, Transformer  # noqa: E402
from splade_search.errors import InputError  # noqa: E402

TEXTS = [
    "what causes diabetes and high blood sugar",
    "insulin",
    "the heart and the brain are organs; a study of cells, genes and protein in patients with cancer",
    "rain",
]
TOLERANCE = 1e-4  # max abs weight difference to torch, as stated in splade_search/backends/onnx.py


def assert_close_to_torch(expected: torch.Tensor, actual: torch.Tensor, top: int = 10) -> None:
    """Top-``top`` terms identical per row and every weight within TOLERANCE."""
    expected, actual = expected.to_dense(), actual.to_dense()
    assert (expected - actual).abs().max().item() <= TOLERANCE
    for e, a in zip(expected, actual):
        k = min(top, int((e > 0).sum()))
        assert set(e.topk(k).indices.tolist()) == set(a.topk(k).indices.tolist())


def test_splade_onnx_matches_torch_and_exports_beside_the_model(mlm_copy):
    torch_model = SparseEncoder(mlm_copy, device="cpu")
    onnx_model = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    assert onnx_model.get_backend() == "onnx"
    assert onnx_model[0].runtime.path == onnx_model[0].runtime.path.parent.parent / "onnx" / "model.onnx"
    assert str(onnx_model[0].runtime.path).startswith(mlm_copy)
    assert_close_to_torch(torch_model.encode_document(TEXTS), onnx_model.encode_document(TEXTS))
    assert_close_to_torch(torch_model.encode_query(TEXTS), onnx_model.encode_query(TEXTS))


def test_inference_free_queries_stay_static_and_documents_run_onnx(mlm_copy):
    from transformers import AutoTokenizer

    from splade_search import MLMTransformer, Router, SparseStaticEmbedding, SpladePooling, backends

    router = Router.for_query_document(
        [SparseStaticEmbedding(AutoTokenizer.from_pretrained(mlm_copy), frozen=False)],
        [MLMTransformer(mlm_copy), SpladePooling("max")],
    )
    model = SparseEncoder(modules=[router], device="cpu")
    expected_docs, expected_queries = model.encode_document(TEXTS), model.encode_query(TEXTS)
    assert backends.attach(model, "onnx") == 1  # only the document route has a transformer
    assert router.sub_modules["document"][0].runtime is not None
    assert torch.equal(model.encode_query(TEXTS).to_dense(), expected_queries.to_dense())
    assert_close_to_torch(expected_docs, model.encode_document(TEXTS))


def test_csr_body_runs_onnx_and_pooling_autoencoder_stay_torch(bert_copy):
    torch.manual_seed(0)
    autoencoder = SparseAutoEncoder(32, hidden_dim=128, k=16, k_aux=32)
    build = lambda backend: SparseEncoder(  # noqa: E731
        modules=[Transformer(bert_copy), Pooling(32, "mean"), autoencoder], device="cpu", backend=backend
    )
    expected, actual = build("torch").encode(TEXTS), build("onnx").encode(TEXTS)
    assert_close_to_torch(expected, actual, top=8)


def test_a_cached_export_is_reused_and_a_stale_one_is_replaced(mlm_copy):
    first = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    path = first[0].runtime.path
    mtime = path.stat().st_mtime_ns
    again = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    assert again[0].runtime.path == path and path.stat().st_mtime_ns == mtime  # found, not re-exported
    forced = SparseEncoder(mlm_copy, device="cpu", backend="onnx", model_kwargs={"export": True})
    assert forced[0].runtime.path == path and path.stat().st_mtime_ns != mtime

    torch_model = SparseEncoder(mlm_copy, device="cpu")
    with torch.no_grad():
        torch_model[0].auto_model.bert.encoder.layer[0].output.dense.weight.mul_(-1.5)
    torch_model.save(mlm_copy)  # new weights in the same folder: the old export no longer matches
    changed = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    assert changed[0].runtime.digest != first[0].runtime.digest
    assert_close_to_torch(torch_model.encode_document(TEXTS), changed.encode_document(TEXTS))
    assert not list(path.parent.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_weights_changed_in_memory_are_re_exported_before_the_next_encode(mlm_copy):
    model = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    before = model.encode_document(TEXTS).to_dense()
    with torch.no_grad():
        model[0].auto_model.bert.embeddings.word_embeddings.weight.mul_(3.0)
    after = model.encode_document(TEXTS).to_dense()
    assert (after - before).abs().max() > 0.01
    model[0].runtime = None
    assert_close_to_torch(model.encode_document(TEXTS), after)


def test_a_foreign_onnx_file_is_neither_loaded_nor_overwritten(mlm_copy, bert_copy, user_cache):
    import onnx

    other = SparseEncoder(bert_copy, device="cpu", backend="onnx")  # a valid ONNX file, but of another model
    foreign = onnx.load(str(other[0].runtime.path))
    del foreign.metadata_props[:]  # without the splade-search fingerprint: not ours
    target = Path(mlm_copy) / "onnx" / "model.onnx"
    target.parent.mkdir(exist_ok=True)
    onnx.save(foreign, str(target))
    untouched = target.read_bytes()
    model = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    assert str(model[0].runtime.path).startswith(str(user_cache))
    assert target.read_bytes() == untouched
    assert_close_to_torch(SparseEncoder(mlm_copy, device="cpu").encode_document(TEXTS), model.encode_document(TEXTS))


def test_embedded_models_export_to_the_user_cache(user_cache):
    model = SparseEncoder("splade-tiny", device="cpu", backend="onnx")
    assert str(model[0].runtime.path).startswith(str(user_cache / "splade-search" / "onnx"))
    expected = SparseEncoder("splade-tiny", device="cpu").encode_document(TEXTS)
    assert_close_to_torch(expected, model.encode_document(TEXTS))


def test_int8_quantized_file_on_first_use(mlm_copy):
    from splade_search.backends import export_dynamic_quantized_onnx_model
    from splade_search.backends.export import read_stamp

    torch_model = SparseEncoder(mlm_copy, device="cpu")
    [path] = export_dynamic_quantized_onnx_model(torch_model, "avx512_vnni")
    assert path.name == "model_qint8_avx512_vnni.onnx"
    assert read_stamp(path)["splade_search.variant"] == "qint8"
    import onnx

    assert "MatMulInteger" in {node.op_type for node in onnx.load(str(path)).graph.node}
    quantized = SparseEncoder(mlm_copy, device="cpu", backend="onnx", model_kwargs={"file_name": "onnx/" + path.name})
    assert quantized[0].runtime.path == path
    expected, actual = torch_model.encode_document(TEXTS).to_dense(), quantized.encode_document(TEXTS).to_dense()
    assert not torch.equal(expected, actual)
    overlap = [len(set(e.topk(5).indices.tolist()) & set(a.topk(5).indices.tolist())) for e, a in zip(expected, actual)]
    assert min(overlap) >= 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "tensorrt"}, "backend must be one of"),
        ({"backend": "onnx", "model_kwargs": {"file_name": "../model.onnx"}}, "file_name"),
        ({"backend": "onnx", "model_kwargs": {"file_name": "model_O3.onnx"}}, "no ONNX file"),
    ],
)
def test_bad_backend_arguments_are_input_errors(mlm_copy, kwargs, message):
    with pytest.raises(InputError, match=message):
        SparseEncoder(mlm_copy, device="cpu", **kwargs)


def test_training_runs_torch_and_the_model_pickles_without_its_session(mlm_copy):
    import pickle

    model = SparseEncoder(mlm_copy, device="cpu", backend="onnx")
    expected = model.encode_document(TEXTS).to_dense()
    features = model.tokenize(TEXTS)
    model.train()
    model(features)["sentence_embedding"].sum().backward()  # autograd on: the torch body, with gradients
    assert model[0].auto_model.bert.embeddings.word_embeddings.weight.grad is not None
    model.zero_grad()
    clone = pickle.loads(pickle.dumps(model))
    assert clone[0].runtime._session is None
    assert torch.equal(clone.encode_document(TEXTS).to_dense(), expected)


def test_openvino_matches_torch(mlm_copy):
    pytest.importorskip("openvino")
    expected = SparseEncoder(mlm_copy, device="cpu").encode_document(TEXTS)
    model = SparseEncoder(mlm_copy, device="cpu", backend="openvino")
    assert model.get_backend() == "openvino"
    assert_close_to_torch(expected, model.encode_document(TEXTS))
