"""Long-document benchmark: truncation at the model's 512 tokens vs passages (MaxP / sum-top-m / first).

Long documents are made of 8-15 SciFact abstracts each (``--abstracts`` of the corpus: every abstract
judged relevant to a test query plus a seeded random sample of the others; all of them with
``--abstracts 0``). Grouping: the chosen abstracts are shuffled with ``--seed`` and cut into
consecutive groups whose sizes are drawn uniformly from 8..15 by the same generator (a last group
under 8 joins the one before). A long document's text is its abstracts as paragraphs
("title\\ntext", separated by a blank line), without a title of its own; it is relevant to a query
(with the best grade) when it contains an abstract relevant to that query.

Systems, all encoded with the embedded ``splade-tiny`` and searched in csr indexes built by the library:
- ``truncate-512``: each long document encoded whole (the model cuts it at 512 tokens);
- ``passages N/S boundary``: each long document split by `PassageSplitter`, documents ranked by each aggregation;
- ``abstracts``: the abstracts themselves (title + text), mapped to their long document by MaxP.

Vectors are encoded once and cached under ``eval/_work/long_docs/``; rerunning only searches.

    nice .venv/bin/python eval/bench_long_docs.py            # writes nothing but stdout
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

DATA = Path("/work/shared/data/scifact")
WORK = Path(__file__).resolve().parent / "_work" / "long_docs"
CONFIGS = ["256/32/sentence", "256/32/none", "128/32/sentence"]
AGGREGATIONS = ["max", "sum-top-3", "first"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abstracts", type=int, default=1200, help="abstracts to use (0: the whole corpus)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--configs", nargs="*", default=CONFIGS, help="tokens/overlap/boundary")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    import torch

    from splade_search import SparseEncoder

    torch.set_num_threads(2)
    model = SparseEncoder("splade-tiny", device="cpu")
    corpus, queries, qrels = _load()
    docs, long_qrels, owner = _long_documents(corpus, qrels, args.abstracts, args.seed)
    work = WORK / f"n{args.abstracts}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{len(owner)} abstracts -> {len(docs)} long documents; {len(long_qrels)} judged queries", flush=True)
    _report_beyond(model, docs, corpus, qrels, owner)

    query_ids = sorted(long_qrels)
    query_vectors = _cached(work / "queries", lambda: _encode(model, [queries[q] for q in query_ids], True, 64))
    doc_ids = sorted(docs)
    rows = []

    texts = [docs[d] for d in doc_ids]
    vectors, seconds = _timed_cache(work / "truncate", lambda: _encode(model, texts, False, args.batch_size))
    index, size, build = _index(work / "idx-truncate", doc_ids, vectors, model)
    run = {q: [doc_ids[i] for i in r.indices] for q, r in zip(query_ids, index.search(query_vectors, 100))}
    rows.append(("truncate-512", "-", len(doc_ids), seconds, build, size, run))

    for config in args.configs:
        rows += _passage_rows(model, config, docs, doc_ids, query_ids, query_vectors, work, args.batch_size)

    abstract_ids = sorted(owner)
    abstract_texts = [f"{corpus[a][0]} {corpus[a][1]}".strip() for a in abstract_ids]
    vectors, seconds = _timed_cache(work / "abstracts", lambda: _encode(model, abstract_texts, False, args.batch_size))
    parents = np.array([doc_ids.index(owner[a]) for a in abstract_ids])
    index, size, build = _index(work / "idx-abstracts", abstract_ids, vectors, model)
    run = _aggregated_run(index, query_ids, query_vectors, parents, None, doc_ids, "max")
    rows.append(("abstracts (MaxP)", "max", len(abstract_ids), seconds, build, size, run))
    _print_table(rows, long_qrels)


def _load() -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    corpus = {}
    with open(DATA / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            corpus[str(record["_id"])] = (record.get("title", ""), record["text"])
    with open(DATA / "queries.jsonl", encoding="utf-8") as f:
        queries = {str(r["_id"]): r["text"] for r in map(json.loads, f)}
    qrels: dict[str, dict[str, int]] = {}
    with open(DATA / "qrels" / "test.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            query_id, doc_id, grade = line.rstrip("\n").split("\t")
            qrels.setdefault(query_id, {})[doc_id] = int(grade)
    return corpus, queries, qrels


def _long_documents(corpus, qrels, count: int, seed: int):
    """``(docs: long id -> text, qrels over long ids, owner: abstract id -> long id)``."""
    rng = np.random.default_rng(seed)
    relevant = sorted({d for judged in qrels.values() for d, g in judged.items() if g > 0 and d in corpus})
    others = sorted(set(corpus) - set(relevant))
    extra = len(others) if count <= 0 else max(0, count - len(relevant))
    chosen = relevant + list(rng.choice(others, size=min(extra, len(others)), replace=False))
    chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    groups, i = [], 0
    while i < len(chosen):
        size = int(rng.integers(8, 16))
        groups.append(chosen[i : i + size])
        i += size
    if len(groups) > 1 and len(groups[-1]) < 8:
        last = groups.pop()
        groups[-1] += last
    docs, owner = {}, {}
    for number, group in enumerate(groups):
        long_id = f"long-{number:04d}"
        docs[long_id] = "\n\n".join(f"{corpus[a][0]}\n{corpus[a][1]}".strip() for a in group)
        owner.update({a: long_id for a in group})
    long_qrels = {}
    for query_id, judged in qrels.items():
        grades = {}
        for doc_id, grade in judged.items():
            if grade > 0 and doc_id in owner:
                grades[owner[doc_id]] = max(grade, grades.get(owner[doc_id], 0))
        if grades:
            long_qrels[query_id] = grades
    return docs, long_qrels, owner


def _report_beyond(model, docs, corpus, qrels, owner) -> None:
    """Print the share of relevant abstracts lying wholly beyond the model's first 512 tokens."""
    limit = model.max_seq_length - model.tokenizer.num_special_tokens_to_add(pair=False)
    relevant = sorted({d for judged in qrels.values() for d, g in judged.items() if g > 0 and d in owner})
    beyond = 0
    for abstract in relevant:
        text = docs[owner[abstract]]
        start = text.index(f"{corpus[abstract][0]}\n{corpus[abstract][1]}".strip())
        offsets = model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        first_token = sum(1 for a, _ in offsets["offset_mapping"] if a < start)
        beyond += first_token >= limit
    print(f"relevant abstracts starting beyond token {limit}: {beyond}/{len(relevant)} ({beyond / len(relevant):.0%})")


def _passage_rows(model, config, docs, doc_ids, query_ids, query_vectors, work, batch_size):
    from splade_search.passages import PassageSettings, PassageSplitter, passage_texts

    tokens, overlap, boundary = config.split("/")
    settings = PassageSettings(int(tokens), int(overlap), boundary)
    splitter = PassageSplitter.for_model(model, settings)
    texts, parents, ordinals = [], [], []
    for number, doc_id in enumerate(doc_ids):
        spans = splitter.spans(docs[doc_id])
        texts += passage_texts("", docs[doc_id], spans)
        parents += [number] * len(spans)
        ordinals += range(len(spans))
    name = f"passages-{tokens}-{overlap}-{boundary}"
    print(f"{config}: {len(texts)} passages", flush=True)
    vectors, seconds = _timed_cache(work / name, lambda: _encode(model, texts, False, batch_size))
    index, size, build = _index(work / f"idx-{name}", [f"p{i}" for i in range(len(texts))], vectors, model)
    rows = []
    for aggregation in AGGREGATIONS:
        run = _aggregated_run(index, query_ids, query_vectors, np.array(parents), np.array(ordinals), doc_ids, aggregation)
        rows.append((f"passages {config}", aggregation, len(texts), seconds, build, size, run))
    return rows


def _aggregated_run(index, query_ids, query_vectors, parents, ordinals, doc_ids, aggregation):
    from splade_search.passages import parse_aggregate, search_documents
    from splade_search.passages.aggregate import PassageHits

    name, top_m = parse_aggregate(aggregation)
    counts = np.bincount(parents, minlength=len(doc_ids))
    run = {}
    for row, query_id in enumerate(query_ids):
        vector = query_vectors[row]

        def search(depth: int, vector=vector) -> PassageHits:
            result = index.search(vector, depth)[0]
            hits = result.indices
            return PassageHits(hits, result.scores, parents[hits], None if ordinals is None else ordinals[hits])

        ranking = search_documents(
            search, 100, name, total_passages=len(parents), top_m=top_m, passage_counts=counts
        )
        run[query_id] = [doc_ids[d] for d in ranking.docs]
    return run


def _encode(model, texts, is_query: bool, batch_size: int) -> sp.csr_matrix:
    from splade_search.sparse import to_scipy_csr

    encode = model.encode_query if is_query else model.encode_document
    start, chunks = time.perf_counter(), []
    for i in range(0, len(texts), 256):
        chunks.append(to_scipy_csr(encode(texts[i : i + 256], batch_size=batch_size, convert_to_sparse_tensor=True)))
        print(f"  encoded {i + len(chunks[-1].indptr) - 1}/{len(texts)} in {time.perf_counter() - start:.0f} s", flush=True)
    return sp.vstack(chunks).tocsr()


def _timed_cache(path: Path, make):
    """``(vectors, encode seconds)``, from the cache at ``path`` when present."""
    timing = path.with_suffix(".seconds")
    start = time.perf_counter()
    vectors = _cached(path, make)
    if not timing.exists():
        timing.write_text(f"{time.perf_counter() - start:.1f}")
    return vectors, float(timing.read_text())


def _cached(path: Path, make) -> sp.csr_matrix:
    file = path.with_suffix(".npz")
    if file.exists():
        with np.load(file, allow_pickle=False) as f:
            return sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))
    matrix = make()
    partial = file.with_suffix(".partial.npz")
    np.savez(partial, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr, shape=np.array(matrix.shape))
    partial.replace(file)
    return matrix


def _index(path: Path, ids, vectors, model):
    """``(index, size in MB, build seconds)`` of a fresh csr index of ``vectors``."""
    from splade_search.indexes import build_index
    from splade_search.retrieval import model_vocabulary

    shutil.rmtree(path, ignore_errors=True)
    start = time.perf_counter()
    batches = ((ids[i : i + 4096], vectors[i : i + 4096]) for i in range(0, len(ids), 4096))
    index = build_index(path, batches, model_vocabulary(model), show_progress=False)
    seconds = time.perf_counter() - start
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return index, size, seconds


def _print_table(rows, qrels) -> None:
    from splade_search.eval.metrics import evaluate_rankings

    print("\n| system | aggregation | vectors | nDCG@10 | R@10 | R@100 | encode s | index build s | index MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, aggregation, count, seconds, build, size, run in rows:
        scores = evaluate_rankings(qrels, run, k_values=[10, 100], metrics=["ndcg", "recall"]).aggregate
        print(
            f"| {name} | {aggregation} | {count:,} | {scores['ndcg@10']:.4f} | {scores['recall@10']:.4f} "
            f"| {scores['recall@100']:.4f} "
            f"| {seconds:.0f} | {build:.2f} | {size:.1f} |"
        )


if __name__ == "__main__":
    main()
