"""``splade-search train``: flags, config files, each architecture, bad input, Ctrl-C and resume."""

from __future__ import annotations

import json
import math
import os
import signal

import pytest
import typer
from transformers import TrainerCallback
from typer.testing import CliRunner

from splade_search import SparseEncoder
from splade_search.cli import train as train_verb
from splade_search.training.config import TrainConfig
from splade_search.training.run import run_training

TOPICS = "diabetes insulin cancer heart brain lung liver kidney virus infection apple banana".split()


@pytest.fixture()
def app():
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """Test app."""

    train_verb.register(application)
    return application


@pytest.fixture()
def pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"id": i, "question": f"what causes {t}", "answer": f"{t} is caused by blood", "score": 1.0}
        for i, t in enumerate(TOPICS)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def invoke(app, *args):
    result = CliRunner().invoke(app, ["train", *map(str, args)])
    return result


def test_train_splade_from_flags(app, pairs_file, tiny_mlm_dir, tmp_path):
    out = tmp_path / "model"
    result = invoke(
        app,
        "-d",
        pairs_file,
        "-m",
        tiny_mlm_dir,
        "-o",
        out,
        "--columns",
        "question,answer",
        "--max-steps",
        2,
        "--batch-size",
        4,
        "--max-length",
        32,
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["steps"] == 2 and summary["interrupted"] is False and summary["train_loss"] > 0
    assert summary["active_dims"]["query_active_dims"] > 0
    model = SparseEncoder(str(out), device="cpu")
    assert model.encode_query(["what causes diabetes"]).shape[1] == model.get_sentence_embedding_dimension()
    assert "- splade" in (out / "README.md").read_text()


def test_train_inference_free_from_a_config_file(app, pairs_file, tiny_mlm_dir, tmp_path):
    config = tmp_path / "train.yaml"
    out = tmp_path / "if-model"
    config.write_text(
        f"model: {tiny_mlm_dir}\narchitecture: inference-free\ntrain-data: {pairs_file}\ncolumns: [question, answer]\n"
        f"output: {out}\nmax_steps: 5\nbatch_size: 4\nmax_length: 32\nlogging_steps: 1\n"
    )
    result = invoke(app, "--config", config, "--max-steps", 2)  # the flag wins over the file
    assert result.exit_code == 0, result.output
    assert "done after 2 steps" in result.output and "step 2/2" in result.output
    model = SparseEncoder(str(out), device="cpu")
    assert "asymmetric" in (out / "README.md").read_text()
    query = model.encode_query(["what causes diabetes"]).coalesce()
    assert query.values().numel() <= 4  # a bag of its own tokens (no special tokens), IDF-weighted


def test_train_csr(app, pairs_file, tiny_bert_dir, tmp_path):
    out = tmp_path / "csr"
    result = invoke(
        app,
        "-d",
        pairs_file,
        "-m",
        tiny_bert_dir,
        "--architecture",
        "csr",
        "-o",
        out,
        "--columns",
        "question,answer",
        "--max-steps",
        2,
        "--batch-size",
        4,
        "--csr-k",
        5,
        "--csr-k-aux",
        7,
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert "csr" in (out / "README.md").read_text()
    trained = SparseEncoder(str(out), device="cpu")
    assert (trained[-1].k, trained[-1].k_aux) == (5, 7)
    assert trained.similarity_fn_name == "cosine"  # trained with cosine MNRL, searched the same way
    embeddings = trained.encode_document(["a document about sparse retrieval", "another one"])
    assert (embeddings.to_dense() > 0).sum(dim=1).tolist() == [5, 5]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--csr-k", "100000"], "csr_k=100000 exceeds the autoencoder's 128 latents"),
        (["--csr-k", "0"], "'--csr-k': Input should be greater than or equal to 1"),
    ],
)
def test_train_csr_bad_k(app, pairs_file, tiny_bert_dir, tmp_path, extra, message):
    result = invoke(app, "-d", pairs_file, "-m", tiny_bert_dir, "--architecture", "csr", "-o", tmp_path / "o",
                    "--columns", "question,answer", "--max-steps", 1, *extra)
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "query,answer"], "column(s) ['query'] not found"),
        (["--architecture", "colbert"], "architecture (--architecture) must be one of"),
        (["--resume"], "no checkpoint-N folder"),
        (["--loss", "triplet"], "does not fit SpladeLoss"),
    ],
)
def test_bad_input_is_a_one_line_error(app, pairs_file, tiny_mlm_dir, tmp_path, extra, message):
    result = invoke(
        app,
        "-d",
        pairs_file,
        "-m",
        tiny_mlm_dir,
        "-o",
        tmp_path / "x",
        "--columns",
        "question,answer",
        "--max-steps",
        1,
        *extra,
    )
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_missing_training_file_and_bad_config(app, tmp_path):
    assert "does not exist" in invoke(app, "-d", tmp_path / "nope.jsonl").output
    bad = tmp_path / "bad.yaml"
    bad.write_text("learning_rate_typo: 1\ntrain_data: x.jsonl\n")
    result = invoke(app, "--config", bad)
    assert result.exit_code == 2 and "unknown setting(s) ['learning_rate_typo']" in result.output


class InterruptAt(TrainerCallback):
    """Sends the process a SIGINT (Ctrl-C) at the end of one step."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_saves_a_resumable_checkpoint(pairs_file, tiny_mlm_dir, tmp_path):
    settings = dict(
        train_data=str(pairs_file),
        model=tiny_mlm_dir,
        output=str(tmp_path / "run"),
        columns=["question", "answer"],
        max_steps=4,
        batch_size=4,
        max_length=32,
        save_steps=100,
    )
    summary = run_training(TrainConfig(**settings), show_progress=False, callbacks=[InterruptAt(1)])
    assert summary.interrupted and summary.steps == 2 and summary.checkpoint.endswith("checkpoint-2")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    resumed = run_training(TrainConfig(**settings, resume=True), show_progress=False)
    assert resumed.steps == 4 and not resumed.interrupted
    assert (tmp_path / "run" / "modules.json").exists()


def test_evaluation_on_a_beir_folder(pairs_file, tiny_mlm_dir, tmp_path):
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": "", "text": f"{t} is caused by blood"} for i, t in enumerate(TOPICS[:6])]
    (beir / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    (beir / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": f"q{i}", "text": f"what causes {t}"}) for i, t in enumerate(TOPICS[:3])) + "\n"
    )
    (beir / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(3))
    )
    config = TrainConfig(
        train_data=str(pairs_file),
        model=tiny_mlm_dir,
        output=str(tmp_path / "run"),
        columns=["question", "answer"],
        max_steps=2,
        batch_size=4,
        max_length=32,
        eval_data=str(beir),
    )
    summary = run_training(config, show_progress=False)
    if summary.notes:  # the evaluators are optional
        assert "evaluation skipped" in summary.notes[0]
    else:
        assert summary.primary_metric in summary.metrics and 0 <= summary.metrics[summary.primary_metric] <= 1
        assert summary.primary_metric.startswith("eval_beir_")


def test_config_precedence_and_defaults(tmp_path):
    from splade_search.training.config import build_config, read_config_file

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"train-data": "a.jsonl", "architecture": "csr", "batch_size": 8, "columns": "q, d"}))
    config = build_config(read_config_file(path), {"batch_size": 4, "lr": None})
    assert (config.model, config.batch_size, config.columns, config.learning_rate) == ("minilm", 4, ["q", "d"], 4e-5)
    assert build_config({}, {"train_data": "a.jsonl"}).model == "splade-tiny"


def test_train_bf16_on_cpu_runs_the_fused_pooling_under_autocast(app, pairs_file, tiny_mlm_dir, tmp_path):
    out = tmp_path / "bf16"
    result = invoke(app, "-d", pairs_file, "-m", tiny_mlm_dir, "-o", out, "--columns", "question,answer",
                    "--max-steps", 2, "--batch-size", 4, "--bf16", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert math.isfinite(summary["train_loss"])
    assert (out / "model.safetensors").exists() or any(out.glob("**/model.safetensors"))
