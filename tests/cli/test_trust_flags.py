"""The CLI's trust flags: --force, --follow-symlinks, and queries refused when the recorded model changed."""

from __future__ import annotations

import json
import shutil

import torch
from cli_helpers import invoke

from splade_search import SparseEncoder


def test_force_writes_into_a_foreign_folder_without_deleting_its_files(tmp_path, tiny_mlm_dir):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"_id": "a", "text": "the cat"}\n{"_id": "b", "text": "the dog"}\n', encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("precious")
    refused = invoke("index", corpus, "--model", tiny_mlm_dir, "--out", project)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    done = invoke("index", corpus, "--model", tiny_mlm_dir, "--out", project, "--force", "--json")
    assert done.exit_code == 0, done.output
    assert (project / "notes.txt").read_text() == "precious"
    hits = invoke("query", "cat", "--index", project, "--json")
    assert json.loads(hits.stdout)[0]["hits"][0]["id"] == "a"


def test_links_out_of_a_text_folder_are_read_only_when_asked(tmp_path, tiny_mlm_dir):
    secret = tmp_path / "secret.txt"
    secret.write_text("the password is swordfish")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("the cat sat")
    (folder / "link.txt").symlink_to(secret)
    plain = invoke("index", folder, "--model", tiny_mlm_dir, "--out", tmp_path / "plain", "--json")
    assert plain.exit_code == 0 and json.loads(plain.stdout[plain.stdout.index("{"):])["documents"] == 1
    assert "link.txt" in plain.stderr and "--follow-symlinks" in plain.stderr
    followed = invoke("index", folder, "--model", tiny_mlm_dir, "--out", tmp_path / "followed", "--follow-symlinks", "--json")
    assert followed.exit_code == 0 and json.loads(followed.stdout[followed.stdout.index("{"):])["documents"] == 2


def test_query_refuses_an_index_whose_model_folder_changed(tmp_path, tiny_mlm_dir):
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_mlm_dir, model_dir)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"_id": "a", "text": "the cat"}\n', encoding="utf-8")
    assert invoke("index", corpus, "--model", model_dir, "--out", tmp_path / "idx").exit_code == 0
    assert invoke("query", "cat", "--index", tmp_path / "idx").exit_code == 0
    model = SparseEncoder(str(model_dir), device="cpu")
    with torch.no_grad():
        next(model.parameters()).mul_(2.0)
    model.save(str(model_dir))
    changed = invoke("query", "cat", "--index", tmp_path / "idx")
    assert changed.exit_code == 2 and "has changed since the index" in changed.stderr
    assert invoke("query", "cat", "--index", tmp_path / "idx", "--model", model_dir).exit_code == 0
