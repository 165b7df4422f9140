"""`index --update`, `add` and `delete` from the command line."""

from __future__ import annotations

import json

from cli_helpers import invoke


def summary(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


def test_update_add_and_delete(tmp_path, tiny_mlm_dir):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(6):
        (folder / f"n{i}.txt").write_text(f"the cat number {i} and the dog", encoding="utf-8")
    idx = tmp_path / "idx"
    assert summary(invoke("index", folder, "--model", tiny_mlm_dir, "--out", idx, "--json"))["documents"] == 6
    (folder / "n2.txt").write_text("heart disease and insulin", encoding="utf-8")
    (folder / "n5.txt").unlink()
    updated = summary(invoke("index", folder, "--out", idx, "--update", "--json"))
    assert (updated["documents"], updated["encoded"], updated["kept"], updated["deleted"]) == (5, 1, 4, 1)
    hits = json.loads(invoke("query", "heart disease insulin", "--index", idx, "-k", "5", "--json").stdout)[0]["hits"]
    changed = next(hit for hit in hits if hit["id"] == "n2.txt")
    assert changed["text"] == "heart disease and insulin" and changed["metadata"]["path"] == "n2.txt"
    assert "n5.txt" not in {hit["id"] for hit in hits}
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"_id": "x1", "text": "rain in the city"}\n', encoding="utf-8")
    assert summary(invoke("add", idx, extra, "--json")) == {"index": str(idx), "added": 1, "documents": 6}
    again = invoke("add", idx, extra)
    assert again.exit_code == 2 and "already in the index" in again.stderr
    assert summary(invoke("delete", idx, "x1", "n0.txt", "--json"))["documents"] == 4
    missing = invoke("delete", idx, "nope")
    assert missing.exit_code == 2 and "not in the index" in missing.stderr and "nothing was deleted" in missing.stderr
