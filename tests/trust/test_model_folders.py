"""Model folders are untrusted input: they cannot switch on remote code, point outside themselves,
load without a vocabulary, carry absurd settings or crash the loader with mistyped configs."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pytest
import torch

from splade_search import SparseEncoder
from splade_search.errors import InputError, ModelFormatError
from splade_search.modules.untrusted import folder_kwargs

ALL_GROUPS = ("model_args", "tokenizer_args", "config_args")
EVIL_CODE = """
import pathlib
pathlib.Path({marker!r}).write_text("remote code ran")
raise RuntimeError("remote code ran")
"""


def read(path: Path) -> object:
    return json.loads(path.read_text())


def write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data))


def plant_remote_code(folder: Path, marker: Path, model_type: str | None = None, groups: tuple[str, ...] = ALL_GROUPS) -> None:
    """An ``auto_map`` in every config plus the module it names, which leaves ``marker`` when imported."""
    (folder / "evil.py").write_text(EVIL_CODE.format(marker=str(marker)))
    config = read(folder / "config.json")
    config["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModel": "evil.EvilModel", "AutoModelForMaskedLM": "evil.EvilModel"}
    if model_type is not None:
        config["model_type"] = model_type
    write(folder / "config.json", config)
    tokenizer_config = read(folder / "tokenizer_config.json")
    tokenizer_config["auto_map"] = {"AutoTokenizer": ["evil.EvilTokenizer", "evil.EvilTokenizer"]}
    write(folder / "tokenizer_config.json", tokenizer_config)
    asks = {"trust_remote_code": True, "code_revision": "main"}
    sbert = read(folder / "sentence_bert_config.json") if (folder / "sentence_bert_config.json").exists() else {}
    sbert.update({group: dict(asks) for group in groups})
    write(folder / "sentence_bert_config.json", sbert)


@pytest.fixture()
def st_folder(splade_model, tmp_path) -> Path:
    """A saved tiny SPLADE in the sentence-transformers layout (MLMTransformer in the root)."""
    folder = tmp_path / "model"
    splade_model.save(str(folder))
    return folder


@pytest.fixture()
def hf_folder(tiny_mlm_dir, tmp_path) -> Path:
    """A copy of the plain Hugging Face tiny masked LM folder."""
    folder = tmp_path / "hf"
    shutil.copytree(tiny_mlm_dir, folder)
    return folder


# ----- 1. remote code is the caller's decision only -------------------------------------------------
@pytest.mark.parametrize("groups", [("model_args",), ALL_GROUPS])
@pytest.mark.parametrize("layout", ["st_folder", "hf_folder"])
def test_folder_cannot_enable_remote_code(layout, groups, request, tmp_path):
    folder = request.getfixturevalue(layout)
    marker = tmp_path / "marker"
    plant_remote_code(folder, marker, groups=groups)
    with pytest.warns(UserWarning, match=r"sentence_bert_config\.json: ignored model_args \['code_revision', 'trust_remote_code'\]"):
        model = SparseEncoder(str(folder), device="cpu")
    assert not marker.exists()
    assert type(model.transformers_model).__name__ == "BertForMaskedLM"
    assert model.encode(["diabetes"]).shape[-1] == model.get_sentence_embedding_dimension()


def test_folder_that_needs_its_own_code_is_refused(hf_folder, tmp_path):
    marker = tmp_path / "marker"
    plant_remote_code(hf_folder, marker, model_type="evil-bert")
    with pytest.warns(UserWarning), pytest.raises(ModelFormatError, match="trust_remote_code=True"):
        SparseEncoder(str(hf_folder), device="cpu")
    assert not marker.exists()


def _record_trust(monkeypatch) -> list[tuple[str, object]]:
    """Record the trust_remote_code each transformers loader gets, then load without remote code."""
    import transformers

    seen: list[tuple[str, object]] = []
    depth = [0]
    for name in ("AutoConfig", "AutoModelForMaskedLM", "AutoTokenizer"):
        cls = getattr(transformers, name)
        original = cls.from_pretrained.__func__

        def spy(klass, *args, _name=name, _original=original, **kwargs):
            if depth[0] == 0:  # calls transformers makes inside another load are not ours
                seen.append((_name, kwargs.get("trust_remote_code", "missing")))
            kwargs["trust_remote_code"] = False
            depth[0] += 1
            try:
                return _original(klass, *args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(cls, "from_pretrained", classmethod(spy))
    return seen


@pytest.mark.parametrize(
    "caller, expected",
    [({}, False), ({"trust_remote_code": True}, True), ({"model_kwargs": {"trust_remote_code": True}}, True)],
)
def test_only_the_caller_enables_remote_code(caller, expected, st_folder, tmp_path, monkeypatch):
    plant_remote_code(st_folder, tmp_path / "marker")
    seen = _record_trust(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SparseEncoder(str(st_folder), device="cpu", **caller)
    assert sorted(name for name, _ in seen) == ["AutoConfig", "AutoModelForMaskedLM", "AutoTokenizer"]
    assert all(value is expected for _, value in seen), seen


def test_sanitiser_drops_code_and_path_keys_only():
    asked = {
        "trust_remote_code": True,
        "code_revision": "x",
        "revision": "x",
        "subfolder": "../x",
        "gguf_file": "/etc/passwd",
        "vocab_file": "/etc/passwd",
        "use_safetensors": False,
        "attn_implementation": "kernels-community/flash-attn",
        "dtype": "float32",
    }
    with pytest.warns(UserWarning, match="cfg.json"):
        kept = folder_kwargs(asked, "cfg.json", "model_args")
    assert kept == {"dtype": "float32"}
    assert folder_kwargs({"attn_implementation": "sdpa"}, "cfg.json", "model_args") == {"attn_implementation": "sdpa"}
    with pytest.raises(ModelFormatError, match="cfg.json"):
        folder_kwargs(["trust_remote_code"], "cfg.json", "model_args")


# ----- 2. module paths stay inside the folder -----------------------------------------------------
@pytest.mark.parametrize("bad_path", ["/etc", "../other", "link_out"])
def test_module_paths_leaving_the_folder_are_refused(bad_path, st_folder, tmp_path):
    outside = tmp_path / "other"
    shutil.copytree(st_folder / "1_SpladePooling", outside)
    os.symlink(outside, st_folder / "link_out")
    modules = read(st_folder / "modules.json")
    modules[1]["path"] = bad_path
    write(st_folder / "modules.json", modules)
    with pytest.raises(ModelFormatError, match=rf"modules\.json: entry .*{bad_path}.* outside the model folder"):
        SparseEncoder(str(st_folder), device="cpu")


def test_router_paths_leaving_the_folder_are_refused(inference_free_model, tmp_path):
    folder = tmp_path / "router"
    inference_free_model.save(str(folder))
    config = read(folder / "router_config.json")
    name = config["structure"]["query"][0]
    config["types"]["../" + name] = config["types"].pop(name)
    config["structure"]["query"] = ["../" + name]
    write(folder / "router_config.json", config)
    with pytest.raises(ModelFormatError, match=r"router_config\.json: entry .* outside the model folder"):
        SparseEncoder(str(folder), device="cpu")


def test_static_embedding_weights_file_stays_inside(inference_free_model, tmp_path):
    folder = tmp_path / "router"
    inference_free_model.save(str(folder))
    sub = next(folder.glob("query_0_*"))
    write(sub / "config.json", {"frozen": False, "path": "../../idf.json"})
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        SparseEncoder(str(folder), device="cpu")


# ----- 3. tokenizer, vocabulary and max_seq_length ------------------------------------------------
def test_folder_without_tokenizer_files_is_refused(hf_folder):
    for name in ("vocab.txt", "tokenizer.json"):
        os.remove(hf_folder / name)
    with pytest.raises(ModelFormatError, match=rf"{hf_folder.name} has no tokenizer vocabulary .*vocab\.txt"):
        SparseEncoder(str(hf_folder), device="cpu")


def test_tokenizer_larger_than_the_embeddings_is_refused(hf_folder):
    from transformers import BertForMaskedLM

    config = read(hf_folder / "config.json")
    model = BertForMaskedLM.from_pretrained(str(hf_folder))
    model.resize_token_embeddings(config["vocab_size"] - 10)
    model.save_pretrained(str(hf_folder))
    with pytest.raises(ModelFormatError, match="vocabulary/embedding size mismatch"):
        SparseEncoder(str(hf_folder), device="cpu")


@pytest.mark.parametrize("value", [0, -3, "128", 1.5, True, 10**9])
def test_absurd_max_seq_length_in_a_folder_is_refused(value, st_folder):
    sbert = read(st_folder / "sentence_bert_config.json")
    sbert["max_seq_length"] = value
    write(st_folder / "sentence_bert_config.json", sbert)
    with pytest.raises(ModelFormatError, match=r"sentence_bert_config\.json: max_seq_length"):
        SparseEncoder(str(st_folder), device="cpu")


@pytest.mark.parametrize("value", [0, -1, 1.5, "64", 10**9])
def test_absurd_max_seq_length_from_the_caller_is_an_input_error(value, splade_model, inference_free_model):
    for model in (splade_model, inference_free_model):
        before = model.max_seq_length
        with pytest.raises(InputError, match="max_seq_length"):
            model.max_seq_length = value
        assert model.max_seq_length == before
    splade_model.max_seq_length = 16
    assert splade_model.tokenize(["diabetes " * 100])["input_ids"].shape[1] == 16


# ----- 4. untrained autoencoders are flagged --------------------------------------------------------
@pytest.fixture(scope="module")
def minilm():
    with pytest.warns(UserWarning, match="minilm has no trained sparse head"):
        return SparseEncoder("minilm", device="cpu")


def test_dense_folder_autoencoder_is_flagged_untrained(minilm, tmp_path):
    assert minilm.has_untrained_modules
    minilm.save(str(tmp_path / "csr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        saved = SparseEncoder(str(tmp_path / "csr"), device="cpu")
    assert not saved.has_untrained_modules
    assert torch.equal(saved.encode(["heart disease"]).to_dense(), minilm.encode(["heart disease"]).to_dense())


def test_trained_and_built_models_are_not_flagged(splade_model, csr_model):
    assert not splade_model.has_untrained_modules and not csr_model.has_untrained_modules


def test_a_training_step_clears_the_flag(tiny_bert_dir):
    with pytest.warns(UserWarning, match="no trained sparse head"):
        model = SparseEncoder(tiny_bert_dir, device="cpu")
    assert model.has_untrained_modules
    model.train()
    features = model.tokenize(["blood sugar"])
    model(features)["sentence_embedding"].sum().backward()
    assert not model.has_untrained_modules


def test_cli_encode_with_a_dense_model_shows_latents_and_warns():
    from typer.testing import CliRunner

    from splade_search.cli import app

    result = CliRunner().invoke(app, ["encode", "heart disease", "-m", "minilm", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    rows = json.loads(result.stdout)
    assert len(rows[0]["terms"]) == 3 and rows[0]["terms"][0][0].startswith("dim ")
    warning_lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning_lines) == 1 and "no trained sparse head" in warning_lines[0]


# ----- 5. every config is type-checked -------------------------------------------------------------
def _edit_json(folder: Path, name: str, change):
    path = folder / name
    data = read(path) if path.exists() else None
    write(path, change(data))


MALFORMED = {
    "modules.json is an object": ("modules.json", lambda d: {"0": d[0]}, r"modules\.json must hold a JSON list"),
    "modules.json entry not an object": ("modules.json", lambda d: [d[0], "1_SpladePooling"], r"modules\.json: entry 1"),
    "idx not an int": ("modules.json", lambda d: [{**d[0], "idx": "0"}, d[1]], r"modules\.json: .*non-integer 'idx'"),
    "type not a string": ("modules.json", lambda d: [d[0], {**d[1], "type": ["x"]}], r"modules\.json: .*'type' string"),
    "path not a string": ("modules.json", lambda d: [d[0], {**d[1], "path": 1}], r"modules\.json: .*not a string"),
    "sbert config is a list": ("sentence_bert_config.json", lambda d: [d], r"sentence_bert_config\.json must hold a JSON object"),
    "model_args is a list": ("sentence_bert_config.json", lambda d: {**d, "model_args": []}, r"sentence_bert_config\.json: 'model_args'"),
    "do_lower_case not bool": ("sentence_bert_config.json", lambda d: {**d, "do_lower_case": "yes"}, r"sentence_bert_config\.json: do_lower_case"),
    "prompts not a dict": ("config_sentence_transformers.json", lambda d: {**d, "prompts": ["q"]}, r"config_sentence_transformers\.json: 'prompts'"),
    "model_type not str": ("config_sentence_transformers.json", lambda d: {**d, "model_type": 3}, r"config_sentence_transformers\.json: 'model_type'"),
    "pooling config mistyped": ("1_SpladePooling/config.json", lambda d: {**d, "pooling_strategy": 7}, r"1_SpladePooling cannot be loaded as SpladePooling"),
    "pooling config a list": ("1_SpladePooling/config.json", lambda d: [d], r"1_SpladePooling/config\.json must hold a JSON object"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_configs_are_model_format_errors(case, st_folder):
    name, change, message = MALFORMED[case]
    _edit_json(st_folder, name, change)
    with pytest.raises(ModelFormatError, match=message):
        SparseEncoder(str(st_folder), device="cpu")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: {**d, "k": "8"}, "cannot be loaded as SparseAutoEncoder"),
        (lambda d: {**d, "hidden_dim": 10**9}, r"says hidden_dim x input_dim = \(1000000000, 32\)"),
        (lambda d: {**d, "bogus": 1}, "cannot be loaded as SparseAutoEncoder"),
    ],
)
def test_autoencoder_config_must_match_its_weights(change, message, csr_model, tmp_path):
    csr_model.save(str(tmp_path))
    _edit_json(tmp_path, "2_SparseAutoEncoder/config.json", change)
    with pytest.raises(ModelFormatError, match=message):
        SparseEncoder(str(tmp_path), device="cpu")


def test_router_config_mistyped(inference_free_model, tmp_path):
    inference_free_model.save(str(tmp_path))
    _edit_json(tmp_path, "router_config.json", lambda d: {**d, "types": list(d["types"])})
    with pytest.raises(ModelFormatError, match=r"router_config\.json needs 'types'"):
        SparseEncoder(str(tmp_path), device="cpu")


def test_pickled_transformer_weights_are_refused(hf_folder):
    os.remove(hf_folder / "model.safetensors")
    (hf_folder / "pytorch_model.bin").write_bytes(b"never unpickled")
    with pytest.raises(ModelFormatError, match="never unpickles"):
        SparseEncoder(str(hf_folder), device="cpu")


def test_config_that_is_not_a_regular_file_is_refused(st_folder):
    os.remove(st_folder / "sentence_bert_config.json")
    os.mkfifo(st_folder / "sentence_bert_config.json")
    with pytest.raises(ModelFormatError, match="not a regular file"):
        SparseEncoder(str(st_folder), device="cpu")


def test_sanitiser_is_quiet_about_harmless_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert folder_kwargs({"trust_remote_code": False, "dtype": "auto"}, "cfg.json", "model_args") == {"dtype": "auto"}
