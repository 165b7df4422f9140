"""Real SPLADE vectors of the benchmark corpora, encoded once and cached under ``eval/_work/``.

The embedded tiny SPLADE (``splade-tiny``) encodes each BEIR corpus (title + text) and its judged
test queries; the CSR arrays are stored with ``np.savez`` and read back with ``allow_pickle=False``.
Run directly to fill the cache:

    nice .venv/bin/python eval/_vectors.py scifact arguana

Vectors of another model are cached under ``<corpus>@<tag>`` (``--model FOLDER --tag TAG``), and
``load("scifact@TAG")`` reads them; the scaled corpora of `_gen` can be drawn from them.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

DATA = Path("/work/shared/data")
WORK = Path(__file__).resolve().parent / "_work"


@dataclass
class Corpus:
    """Document and query vectors of one corpus, with ids and the vocabulary."""

    name: str
    doc_ids: list[str]
    docs: sp.csr_matrix
    query_ids: list[str]
    queries: sp.csr_matrix
    vocab: list[str]


def _save_csr(path: Path, matrix: sp.csr_matrix) -> None:
    np.savez(path, indptr=matrix.indptr, indices=matrix.indices, data=matrix.data, shape=np.array(matrix.shape))


def _load_csr(path: Path) -> sp.csr_matrix:
    with np.load(path, allow_pickle=False) as f:
        return sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))


def encode(name: str, batch_size: int = 32, model_name: str = "splade-tiny", tag: str | None = None) -> None:
    """Encode corpus ``name`` from ``DATA/name`` with ``model_name`` into ``WORK/name.*`` (``WORK/name@tag.*``)."""
    import torch

    from splade_search import SparseEncoder
    from splade_search.data import load_beir
    from splade_search.sparse import to_scipy_csr

    torch.set_num_threads(2)
    data = load_beir(DATA / name, "test")
    model = SparseEncoder(model_name, device="cpu")
    stem = f"{name}@{tag}" if tag else name
    doc_ids = list(data.corpus)
    texts = [f"{d.title} {d.text}".strip() for d in data.corpus.values()]
    start = time.perf_counter()
    chunks = []
    for i in range(0, len(texts), 1024):
        out = model.encode_document(texts[i : i + 1024], batch_size=batch_size, max_active_dims=None)
        chunks.append(to_scipy_csr(out))
        done = i + chunks[-1].shape[0]
        print(f"{name}: {done}/{len(texts)} docs, {time.perf_counter() - start:.0f} s", flush=True)
    query_ids = list(data.queries)
    queries = to_scipy_csr(model.encode_query(list(data.queries.values()), batch_size=batch_size))
    WORK.mkdir(exist_ok=True)
    _save_csr(WORK / f"{stem}.docs.npz", sp.vstack(chunks).tocsr())
    _save_csr(WORK / f"{stem}.queries.npz", queries)
    (WORK / f"{stem}.ids.json").write_text(json.dumps({"docs": doc_ids, "queries": query_ids, "model": model_name}))
    (WORK / "vocab.json").write_text(json.dumps(model.tokenizer.convert_ids_to_tokens(list(range(queries.shape[1])))))


def load(name: str) -> Corpus:
    """The cached vectors of corpus ``name`` or ``name@tag`` (run `encode` first)."""
    ids = json.loads((WORK / f"{name}.ids.json").read_text())
    vocab = json.loads((WORK / "vocab.json").read_text())
    docs, queries = _load_csr(WORK / f"{name}.docs.npz"), _load_csr(WORK / f"{name}.queries.npz")
    return Corpus(name, ids["docs"], docs, ids["queries"], queries, vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--model", default="splade-tiny", help="encoder folder, hub id or alias")
    parser.add_argument("--tag", help="cache the vectors as <name>@<tag> (required with --model)")
    args = parser.parse_args()
    if args.model != "splade-tiny" and not args.tag:
        parser.error("--model needs --tag")
    for name in args.names:
        stem = f"{name}@{args.tag}" if args.tag else name
        if not (WORK / f"{stem}.docs.npz").exists():
            encode(name, model_name=args.model, tag=args.tag)
        corpus = load(stem)
        nnz_q = np.diff(corpus.queries.indptr)
        print(f"{name}: {corpus.docs.shape[0]} docs, {corpus.docs.nnz / corpus.docs.shape[0]:.1f} terms/doc; "
              f"{corpus.queries.shape[0]} queries, {nnz_q.mean():.1f} terms/query")


if __name__ == "__main__":
    main()
