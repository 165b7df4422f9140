"""Evaluate a sparse encoder on a BEIR folder two ways: the exact in-memory evaluator (as training does)
and through a real index (quality plus index size, throughput and query latency).

Run: .venv/bin/python examples/evaluate_beir.py [BEIR_FOLDER] [MODEL]
     (defaults: the tiny test fixture and the embedded tiny SPLADE; try ../shared/data/scifact)
"""

import sys
import tempfile
from pathlib import Path

from splade_search import SparseEncoder
from splade_search.data import load_beir
from splade_search.eval import SparseInformationRetrievalEvaluator, evaluate_model

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "beir_tiny"
model_name = sys.argv[2] if len(sys.argv) > 2 else "splade-tiny"

data = load_beir(folder, split="test")  # warns about judgements naming unknown queries or documents
print(data, data.stats)
model = SparseEncoder(model_name)
model.max_seq_length = 256  # document length; queries get 64 tokens below

# 1. The sentence-transformers-style evaluator: exact top-k by sparse matrix products, keys like
#    "<name>_dot_ndcg@10", sparsity stats, and a CSV row per call when output_path is given.
evaluator = SparseInformationRetrievalEvaluator.from_beir(data, batch_size=32, ignore_identical_ids="arguana" in folder.name)
with tempfile.TemporaryDirectory() as out:
    results = evaluator(model, output_path=out)
print(f"\n{evaluator.primary_metric} = {results[evaluator.primary_metric]:.4f}")
for key in ("query_active_dims", "corpus_active_dims", "avg_flops"):
    print(f"  {key}: {results[f'{evaluator.name}_{key}']:.1f}")

# 2. Through an index: build it, run every judged query, time queries one by one.
with tempfile.TemporaryDirectory() as tmp:
    report = evaluate_model(model, data, Path(tmp) / "index", backend="csr", k=100, query_max_length=64, system=model_name)
stats = report.to_dict()
print(f"\nthrough the {report.backend} index:")
print(f"  nDCG@10 {report.metrics['ndcg@10']:.4f}  MRR@10 {report.metrics['mrr@10']:.4f}  R@100 {report.metrics['recall@100']:.4f}")
print(f"  index {stats['index']['bytes_on_disk'] / 1e6:.1f} MB, {stats['index']['postings']:,} postings, "
      f"{stats['indexing']['docs_per_second']:.1f} docs/s")
print(f"  search p50 {report.search.p50_ms:.3f} ms, p99 {report.search.p99_ms:.3f} ms, {report.search.qps:,.0f} QPS (1 thread); "
      f"query encoding p50 {report.query_encoding.p50_ms:.2f} ms")
