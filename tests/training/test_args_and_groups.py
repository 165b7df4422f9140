"""Training arguments parsing, learning-rate groups (class-qualified patterns too) and the collator."""

from __future__ import annotations

import pytest
import torch

from splade_search.errors import InputError, TrainingError
from splade_search.training import (
    BatchSamplers,
    MultiDatasetBatchSamplers,
    SparseEncoderDataCollator,
    SparseEncoderTrainingArguments,
)
from splade_search.training.param_groups import class_qualified_names, parameter_groups


def make_args(tmp_path, **kwargs):
    return SparseEncoderTrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True, **kwargs)


def test_arguments_accept_cli_strings(tmp_path):
    args = make_args(
        tmp_path,
        router_mapping='{"query": "query", "positive": "document"}',
        learning_rate_mapping='{"SparseStaticEmbedding\\\\.weight": "1e-3"}',
        prompts='{"query": "query: "}',
        batch_sampler="no_duplicates",
        multi_dataset_batch_sampler="round_robin",
    )
    assert args.router_mapping == {"query": "query", "positive": "document"}
    assert args.learning_rate_mapping == {r"SparseStaticEmbedding\.weight": 1e-3}
    assert args.prompts == {"query": "query: "}
    assert args.batch_sampler is BatchSamplers.NO_DUPLICATES
    assert args.multi_dataset_batch_sampler is MultiDatasetBatchSamplers.ROUND_ROBIN
    assert args.prediction_loss_only is True and args.ddp_broadcast_buffers is False
    assert make_args(tmp_path, prompts="query: ").prompts == "query: "


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("router_mapping", "{not json", "router_mapping must be a dict"),
        ("learning_rate_mapping", {"x": "fast"}, "must be numbers"),
        ("batch_sampler", "random", "batch_sampler must be one of"),
        ("prompts", {"query": 3}, "prompts"),
    ],
)
def test_bad_arguments_are_input_errors(tmp_path, field, value, message):
    with pytest.raises(InputError, match=message):
        make_args(tmp_path, **{field: value})


def test_class_qualified_names_for_router_models(inference_free_model):
    names = class_qualified_names(inference_free_model)
    assert names["0.sub_modules.query.0.weight"] == "0.Router.sub_modules.query.0.SparseStaticEmbedding.weight"
    assert any(
        alias.startswith("0.Router.sub_modules.document.0.MLMTransformer.auto_model.") for alias in names.values()
    )


def groups_for(model, mapping, weight_decay=0.01):
    decay = {n for n, _ in model.named_parameters() if "bias" not in n and "LayerNorm" not in n}
    return parameter_groups(model, weight_decay, decay, mapping)


def test_learning_rate_mapping_with_class_qualified_pattern(inference_free_model):
    static = inference_free_model[0].sub_modules["query"][0].weight
    groups = groups_for(inference_free_model, {r"SparseStaticEmbedding\.weight": 1e-3})
    special = [g for g in groups if g.get("lr") == 1e-3]
    assert len(special) == 1 and len(special[0]["params"]) == 1 and special[0]["params"][0] is static
    assert "lr" not in groups[0]  # the base learning-rate groups come first
    assert sum(len(g["params"]) for g in groups) == len(
        [p for p in inference_free_model.parameters() if p.requires_grad]
    )


def test_learning_rate_mapping_with_plain_names_and_several_patterns(inference_free_model):
    groups = groups_for(inference_free_model, {r"sub_modules\.query": 1e-3, r"MLMTransformer": 5e-5})
    by_lr = {g.get("lr"): sum(len(x["params"]) for x in groups if x.get("lr") == g.get("lr")) for g in groups}
    assert by_lr[1e-3] == 1 and by_lr[5e-5] > 10 and None not in by_lr


def test_learning_rate_pattern_matching_nothing_is_an_error(splade_model):
    with pytest.raises(InputError, match="matches no parameter"):
        groups_for(splade_model, {r"SparseStaticEmbedding\.weight": 1e-3})
    splade_model.requires_grad_(False)
    with pytest.raises(TrainingError, match="no trainable parameters"):
        groups_for(splade_model, {})


def test_learning_rate_pattern_matching_only_frozen_parameters(inference_free_model):
    inference_free_model[0].sub_modules["query"][0].frozen = True
    with pytest.raises(InputError, match="only frozen"):
        groups_for(inference_free_model, {r"SparseStaticEmbedding": 1e-3})


def fake_tokenize(texts, task=None):
    return {"input_ids": torch.zeros(len(texts), 2, dtype=torch.long), "texts": list(texts), "task": task}


def test_collator_labels_routes_and_column_order():
    collator = SparseEncoderDataCollator(fake_tokenize, router_mapping={"q": "query", "d": "document"})
    batch = collator([{"q": "x", "d": "y", "score": 1.0}, {"q": "z", "d": "w", "score": 0.0}])
    assert batch["label"].tolist() == [1.0, 0.0]
    assert [f["texts"] for f in batch["features"]] == [["x", "z"], ["y", "w"]]
    assert [f["task"] for f in batch["features"]] == ["query", "document"]


@pytest.mark.parametrize(
    ("prompts", "dataset", "expected"),
    [
        ("P: ", None, ["P: x", "P: y"]),
        ({"q": "Q: "}, None, ["Q: x", "y"]),
        ({"nq": "N: "}, "nq", ["N: x", "N: y"]),
        ({"nq": {"d": "D: "}}, "nq", ["x", "D: y"]),
        ({"nq": {"d": "D: "}}, "other", ["x", "y"]),
    ],
)
def test_collator_prompt_forms(prompts, dataset, expected):
    collator = SparseEncoderDataCollator(fake_tokenize, prompts=prompts)
    row = {"q": "x", "d": "y"}
    if dataset:
        row["dataset_name"] = dataset
    batch = collator([row])
    assert [f["texts"][0] for f in batch["features"]] == expected
    assert batch.get("dataset_name") == dataset


def test_collator_per_dataset_routes():
    collator = SparseEncoderDataCollator(fake_tokenize, router_mapping={"a": {"q": "query"}, "b": {"q": "document"}})
    assert collator([{"q": "x", "dataset_name": "b"}])["features"][0]["task"] == "document"


def test_truncating_tokenizer_leaves_the_model_length_alone(splade_model):
    from splade_search.training.collator import TruncatingTokenizer

    before = splade_model.max_seq_length
    features = TruncatingTokenizer(splade_model, 8)(["the cat and the dog in the house with a river and a car"])
    assert features["input_ids"].shape[1] == 8 and splade_model.max_seq_length == before
    with pytest.raises(InputError, match="max_length"):
        TruncatingTokenizer(splade_model, 0)
