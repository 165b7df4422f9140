"""Training speed and loss curve: splade_search's trainer vs sentence-transformers', identical config.

Tiny SPLADE, SpladeLoss(SparseMNRL, query 5e-5, document 3e-5), batch 16, max length 128, 30 steps,
seed 42, SciFact train pairs. Each engine trains in its own subprocess on the same rows; a third check
computes the first batch's loss with both libraries in eval mode (no dropout) to compare values exactly.

    .venv/bin/python eval/bench_train.py ../shared/data/scifact/train_pairs.jsonl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

STEPS, BATCH, MAX_LENGTH, SEED = 30, 16, 128, 42


def pairs(path: str, rows: int) -> dict[str, list[str]]:
    queries, positives = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            queries.append(row["query"])
            positives.append(row["positive"])
            if len(queries) == rows:
                break
    return {"query": queries, "positive": positives}


def libraries(engine: str):
    if engine == "splade_search":
        from splade_search import SparseEncoder
        from splade_search.training import (
            SparseEncoderTrainer,
            SparseEncoderTrainingArguments,
            SparseMultipleNegativesRankingLoss,
            SpladeLoss,
        )
    else:
        from sentence_transformers import SparseEncoder
        from sentence_transformers.sparse_encoder import SparseEncoderTrainer, SparseEncoderTrainingArguments
        from sentence_transformers.sparse_encoder.losses import SparseMultipleNegativesRankingLoss, SpladeLoss
    return SparseEncoder, SparseEncoderTrainer, SparseEncoderTrainingArguments, SparseMultipleNegativesRankingLoss, SpladeLoss


def train(engine: str, data: str) -> dict:
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback

    from splade_search.hub import resolve_model_path

    torch.set_num_threads(2)
    Encoder, Trainer, Args, MNRL, Splade = libraries(engine)
    model = Encoder(str(resolve_model_path("splade-tiny")), device="cpu")
    model.max_seq_length = MAX_LENGTH
    loss = Splade(model, MNRL(model), query_regularizer_weight=5e-5, document_regularizer_weight=3e-5)
    losses: list[float] = []
    stamps: list[float] = []

    class Record(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))
                stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        args = Args(output_dir=out, max_steps=STEPS, per_device_train_batch_size=BATCH, learning_rate=2e-5, seed=SEED,
                    logging_steps=1, save_strategy="no", report_to="none", dataloader_drop_last=True)
        trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_dict(pairs(data, STEPS * BATCH)), loss=loss,
                          callbacks=[Record()])
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    steady = (stamps[-1] - stamps[4]) / (len(stamps) - 5) if len(stamps) > 5 else seconds / STEPS
    return {"engine": engine, "seconds": seconds, "steps_per_s": STEPS / seconds, "steady_steps_per_s": 1 / steady, "losses": losses}


def first_batch_loss(engine: str, data: str) -> dict:
    import torch

    from splade_search.hub import resolve_model_path

    Encoder, _, _, MNRL, Splade = libraries(engine)
    model = Encoder(str(resolve_model_path("splade-tiny")), device="cpu")
    model.max_seq_length = MAX_LENGTH
    model.eval()
    loss = Splade(model, MNRL(model), query_regularizer_weight=5e-5, document_regularizer_weight=3e-5)
    rows = pairs(data, BATCH)
    features = [model.tokenize(rows["query"]), model.tokenize(rows["positive"])]
    with torch.no_grad():
        out = loss(features, None)
    total = sum(v for v in out.values()) if isinstance(out, dict) else out
    return {"engine": engine, "loss": float(total)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        result = first_batch_loss(args.engine, args.data) if args.check else train(args.engine, args.data)
        print(json.dumps(result))
        return

    def run(engine: str, check: bool = False) -> dict:
        cmd = [sys.executable, __file__, args.data, "--engine", engine] + (["--check"] if check else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""}).stdout
        return json.loads(out.strip().splitlines()[-1])

    checks = {e: run(e, check=True)["loss"] for e in ("sentence_transformers", "splade_search")}
    results = {e: run(e) for e in ("sentence_transformers", "splade_search")}
    ours, theirs = results["splade_search"], results["sentence_transformers"]
    print("| engine | steps/s (whole run) | steps/s (after step 5) | loss step 1 | loss step 30 |\n|---|---:|---:|---:|---:|")
    for r in (theirs, ours):
        print(f"| {r['engine']} | {r['steps_per_s']:.3f} | {r['steady_steps_per_s']:.3f} | {r['losses'][0]:.4f} | {r['losses'][-1]:.4f} |")
    print(f"\nspeed ratio: {ours['steps_per_s'] / theirs['steps_per_s']:.2f}x (steady {ours['steady_steps_per_s'] / theirs['steady_steps_per_s']:.2f}x)")
    print(f"first-batch loss, eval mode: sentence-transformers {checks['sentence_transformers']:.6f}, "
          f"splade_search {checks['splade_search']:.6f}, difference {abs(checks['sentence_transformers'] - checks['splade_search']):.2e}")
    print("loss curves (every step):")
    for r in (theirs, ours):
        print(f"  {r['engine']}: " + " ".join(f"{x:.3f}" for x in r["losses"]))


if __name__ == "__main__":
    main()
