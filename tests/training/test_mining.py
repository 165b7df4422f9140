"""mine-negatives: negative selection, teachers, the JSONL layout and the CLI verb (tiny models, offline)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from splade_search.errors import InputError
from splade_search.retrieval import mining

TOPICS = "diabetes insulin cancer heart brain lung liver kidney virus infection".split()


@pytest.fixture()
def corpus_file(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [{"_id": f"d{i}", "title": "", "text": f"{t} is caused by the blood cells"} for i, t in enumerate(TOPICS)]
    rows += [{"_id": f"x{i}", "title": "", "text": f"the {t} study results for patients"} for i, t in enumerate(TOPICS)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture()
def pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"query": f"what causes {t}", "positive": f"{t} is caused by the blood cells"} for t in TOPICS]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_select_negatives_drops_positive_duplicates_and_skipped_ranks():
    hits = ["Top hit", "The positive.", "the positive", "a", "A", "b", "c"]
    assert mining.select_negatives(hits, "The Positive", 2) == ["Top hit", "a"]
    assert mining.select_negatives(hits, "The Positive", 3, skip_top=1) == ["a", "b", "c"]


def test_row_layout_matches_margin_mse_columns():
    row = mining.MinedRow("q", "p", ["n1", "n2"], [3.0, 1.0, 0.5])
    assert list(row.to_dict()) == ["query", "positive", "negative_1", "negative_2", "label"]


def test_read_pairs_takes_first_of_list_positives_and_names_missing_columns(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"query": "q", "pos": ["a", "b"]}) + "\n")
    assert mining.read_pairs(path, positive_column="pos") == [("q", "a")]
    with pytest.raises(InputError, match="lacks"):
        mining.read_pairs(path)


def test_mine_and_score_with_sparse_teacher(tiny_mlm_dir, corpus_file, pairs_file, tmp_path):
    retriever = mining.retriever_for(tiny_mlm_dir, corpus_file, workdir=tmp_path / "w")
    pairs = mining.read_pairs(pairs_file)
    rows = mining.mine_hard_negatives(pairs, retriever, n_negatives=3, top_k=10)
    assert rows and all(len(r.negatives) == 3 for r in rows)
    assert all(mining.normalize_text(r.positive) not in map(mining.normalize_text, r.negatives) for r in rows)
    mining.score_rows(rows, mining.load_teacher("sparse", tiny_mlm_dir))
    assert all(len(r.label) == 4 for r in rows)


def test_dense_teacher_scores_are_cosines(tiny_bert_dir):
    teacher = mining.load_teacher("dense", tiny_bert_dir, scale=1.0)
    scores = teacher.score("what causes diabetes", ["diabetes is caused by sugar", "the weather"])
    assert len(scores) == 2 and all(-1.0001 <= s <= 1.0001 for s in scores)


def test_bad_settings_are_input_errors(tiny_mlm_dir):
    with pytest.raises(InputError, match="top_k"):
        mining.mine_hard_negatives([("q", "p")], None, top_k=2, skip_top=2)
    with pytest.raises(InputError, match="teacher kind"):
        mining.load_teacher("bm25", tiny_mlm_dir)


def test_mined_labels_fit_margin_mse_and_distill_kl():
    import torch

    from splade_search.training.losses import SparseMarginMSELoss

    rows = [mining.MinedRow("q", "p", ["n1", "n2"], [3.0, 1.0, 0.5]), mining.MinedRow("r", "p", ["a", "b"], [2.0, 2.5, 0.0])]
    labels = torch.tensor([row.to_dict()["label"] for row in rows])
    margins = SparseMarginMSELoss.margins_from_labels(labels, batch_size=2, n_negatives=2)
    assert torch.allclose(margins, torch.tensor([[2.0, 2.5], [-0.5, 2.0]]))


def test_cli_writes_labelled_rows(tiny_mlm_dir, corpus_file, pairs_file, tmp_path):
    from splade_search.cli import mine

    app = typer.Typer()
    mine.register(app)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode
    out = tmp_path / "mined.jsonl"
    result = CliRunner().invoke(app, [
        "mine-negatives", str(pairs_file), "-o", str(out), "--corpus", str(corpus_file), "--model", tiny_mlm_dir,
        "-n", "2", "--depth", "8", "--teacher", tiny_mlm_dir, "--json",
    ])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(len(r["label"]) == 3 and "negative_2" in r for r in rows)
    assert json.loads(result.stdout)["rows_written"] == len(rows)


def test_cli_needs_exactly_one_source(pairs_file, tmp_path):
    from splade_search.cli import mine

    app = typer.Typer()
    mine.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["mine-negatives", str(pairs_file), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "exactly one" in result.output
