"""Every config in recipes/ trains end to end: 2 steps, 32 rows, a tiny model and a tiny eval slice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from splade_search.cli import train as train_verb

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
TOPICS = "diabetes insulin cancer heart brain lung liver kidney virus infection".split()
FAST = ["--max-steps", "2", "--max-rows", "32", "--max-length", "32", "--batch-size", "4", "--save-steps", "100"]


@pytest.fixture()
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """Test app."""

    train_verb.register(application)
    return application


@pytest.fixture()
def beir_slice(tmp_path) -> Path:
    """A 10-document, 5-query BEIR folder."""
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": "", "text": f"{t} is caused by the blood cells"} for i, t in enumerate(TOPICS)]
    queries = [{"_id": f"q{i}", "text": f"what causes {t}"} for i, t in enumerate(TOPICS[:5])]
    (folder / "corpus.jsonl").write_text("\n".join(map(json.dumps, docs)) + "\n")
    (folder / "queries.jsonl").write_text("\n".join(map(json.dumps, queries)) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(5)))
    return folder


@pytest.fixture()
def distill_rows(tmp_path) -> Path:
    """What mine-negatives writes: query, positive, negative_1..4 and 5 teacher scores."""
    path = tmp_path / "mined.jsonl"
    rows = []
    for i, t in enumerate(TOPICS):
        negatives = {f"negative_{j}": f"{TOPICS[(i + j) % len(TOPICS)]} study results" for j in range(1, 5)}
        rows.append({"query": f"what causes {t}", "positive": f"{t} is caused by blood", **negatives,
                     "label": [9.0, 6.0, 5.0, 4.0, 3.0]})
    path.write_text("\n".join(map(json.dumps, rows)) + "\n")
    return path


def _train_data(recipe: Path) -> str:
    import yaml

    return yaml.safe_load(recipe.read_text())["train_data"]


CASES = {
    "splade_scifact.yaml": "mlm",
    "splade_scifact_peaked.yaml": "mlm",
    "inference_free_arguana.yaml": "mlm",
    "distill_scifact.yaml": "mlm",
    "csr_scifact.yaml": "bert",
    "csr_arguana.yaml": "bert",
}


def test_every_recipe_is_covered():
    assert sorted(p.name for p in RECIPES.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_recipe_trains(name, app, tiny_mlm_dir, tiny_bert_dir, beir_slice, distill_rows, tmp_path, monkeypatch):
    recipe = RECIPES / name
    monkeypatch.chdir(ROOT)
    data = distill_rows if name.startswith("distill") else Path(_train_data(recipe))
    if not data.exists():
        pytest.skip(f"training data {data} is not on this machine")
    model = tiny_mlm_dir if CASES[name] == "mlm" else tiny_bert_dir
    small_csr = ["--csr-k", "8", "--csr-k-aux", "16"] if CASES[name] == "bert" else []  # the tiny BERT has 128 latents
    args = ["train", "--config", str(recipe), "--model", model, "--train-data", str(data), "--output",
            str(tmp_path / "out"), "--eval-data", str(beir_slice), "--eval-steps", "2", "--json", *FAST, *small_csr]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "modules.json").exists()
