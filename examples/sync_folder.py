"""Keep an index in step with a folder of notes: only new or changed files are encoded again.

Builds an index of a small folder (as passages, with each file's path, size and date as metadata),
edits one file, adds one and removes one, then syncs: the index equals a full rebuild, and a filter
on the stored metadata ranks inside the top-k. Runs offline:
    python examples/sync_folder.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.passages import PassageSettings
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.updates import sync_corpus

NOTES = {
    "bread.md": "# Bread\nYeast ferments sugar into carbon dioxide, and the gas makes the dough rise.",
    "tea.txt": "Green and black tea come from the same plant; black tea is oxidised.",
    "bees.md": "# Bees\nBees collect nectar and pollen and turn nectar into honey.",
}


def main() -> None:
    model = SparseEncoder("splade-tiny")
    with tempfile.TemporaryDirectory() as tmp:
        folder, index = Path(tmp) / "notes", Path(tmp) / "index"
        folder.mkdir()
        for name, text in NOTES.items():
            (folder / name).write_text(text, encoding="utf-8")
        first = index_corpus(model, read_corpus(folder), index, passages=PassageSettings(), show_progress=False)
        print(f"indexed {len(first.index.document_ids)} files as {first.passages} passages")
        (folder / "tea.txt").write_text("Tea: green, black and oolong all come from Camellia sinensis.", encoding="utf-8")
        (folder / "bees.md").unlink()
        (folder / "coffee.txt").write_text("Coffee beans are roasted seeds of the coffee plant.", encoding="utf-8")
        report = sync_corpus(model, lambda: read_corpus(folder), index)
        print(f"sync: {report.encoded} encoded, {report.kept} kept, {report.deleted} removed")
        retriever = SparseRetriever.from_index(index)
        for hit in retriever.search("which plant does tea come from", k=2, filter="extension = txt", explain=True):
            print(f"  {hit.id}: {hit.metadata['path']} ({hit.metadata['size']} bytes) -> {hit.snippet.text!r}")


if __name__ == "__main__":
    main()
