"""Re-indexing a folder after 1 % of its files changed: `index --update` (sync) against a full rebuild.

The folder holds ``--docs`` SciFact abstracts as ``.txt`` files. The script indexes it with the embedded
splade-tiny, edits 1 % of the files (appends a sentence), then times a sync of the index and, for
comparison, a full rebuild of the changed folder into a fresh index, and checks that both give the same
ids, fields, vectors (max difference) and top-10 for 100 SciFact test queries. Results go to eval/sync.md.

    nice .venv/bin/python eval/bench_sync.py --docs 1000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval.updates import sync_corpus

SCIFACT = Path("/work/shared/data/scifact")
RESULTS = Path(__file__).resolve().parent / "sync.md"


def write_folder(folder: Path, n: int) -> None:
    folder.mkdir()
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as f:
        for _, line in zip(range(n), f):
            record = json.loads(line)
            (folder / f"{record['_id']}.txt").write_text(f"{record['title']}\n{record['text']}", encoding="utf-8")


def doc_vectors(index) -> dict:
    postings = index.postings
    out = {}
    for term in range(len(index.vocab)):
        for p in range(int(postings.indptr[term]), int(postings.indptr[term + 1])):
            out[(index.doc_ids[int(postings.docs[p])], term)] = float(postings.weights[p])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()
    model = SparseEncoder("splade-tiny", device="cpu")
    queries = [json.loads(line)["text"] for line in open(SCIFACT / "queries.jsonl", encoding="utf-8")][:100]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        write_folder(folder, args.docs)
        start = time.perf_counter()
        index_corpus(model, read_corpus(folder), Path(tmp) / "idx", model_reference="splade-tiny", max_length=256, show_progress=False)
        first = time.perf_counter() - start
        changed = sorted(folder.iterdir())[:: 100][: max(1, args.docs // 100)]
        for path in changed:
            path.write_text(path.read_text(encoding="utf-8") + "\nThis abstract was revised.", encoding="utf-8")
        start = time.perf_counter()
        report = sync_corpus(model, lambda: read_corpus(folder), Path(tmp) / "idx")
        sync_seconds = time.perf_counter() - start
        start = time.perf_counter()
        full = index_corpus(model, read_corpus(folder), Path(tmp) / "full", model_reference="splade-tiny", max_length=256, show_progress=False).index
        rebuild_seconds = time.perf_counter() - start
        synced = report.index
        a, b = doc_vectors(synced), doc_vectors(full)
        same_top = sum(
            [h.id for h in x] == [h.id for h in y]
            for x, y in zip(SparseRetriever(model, synced).search(queries, k=10), SparseRetriever(model, full).search(queries, k=10))
        )
        fields_equal = all(synced.fields.record(i) == full.fields.record(i) for i in range(len(full)))
    load = os.getloadavg()
    lines = [
        "# Folder sync after a 1 % change: `index --update` against a full rebuild",
        "",
        f"Command: `nice .venv/bin/python eval/bench_sync.py --docs {args.docs}`. SciFact abstracts as .txt files, "
        f"splade-tiny, 256 tokens, csr; {len(changed)} files edited. Machine load (1/5/15 min): "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores (shared with other jobs: "
        "compare the two times of this run, not across runs).",
        "",
        "| run | seconds | documents encoded |",
        "|---|---:|---:|",
        f"| first full index | {first:.1f} | {args.docs} |",
        f"| sync (`index --update`) | {sync_seconds:.1f} | {report.encoded} |",
        f"| full rebuild of the changed folder | {rebuild_seconds:.1f} | {args.docs} |",
        "",
        f"Sync is **{rebuild_seconds / sync_seconds:.1f}x** faster than the rebuild (target >= 20x). Same result: "
        f"ids {'equal' if synced.doc_ids == full.doc_ids else 'DIFFERENT'}, fields {'equal' if fields_equal else 'DIFFERENT'}, "
        f"postings {'equal' if a.keys() == b.keys() else 'DIFFERENT'} with max weight difference "
        f"{max((abs(a[key] - b.get(key, 0.0)) for key in a), default=0.0):.2e}, top-10 identical for {same_top}/{len(queries)} queries.",
        "The sync reads every file (text and metadata compared with the stored documents), encodes the",
        "changed ones, re-reads the folder to make sure nothing changed meanwhile, and writes one new generation.",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
