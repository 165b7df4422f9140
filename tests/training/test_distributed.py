"""Two-process DistributedDataParallel training on CPU (gloo), launched with torchrun, as on GPUs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datasets import Dataset
    from splade_search import SparseEncoder
    from splade_search.training import SparseEncoderTrainer, SparseEncoderTrainingArguments

    model_dir, output_dir = sys.argv[1], sys.argv[2]
    words = "diabetes insulin cancer heart brain lung liver kidney virus infection apple banana dog cat music film".split()
    data = Dataset.from_dict({"query": [f"what causes {w}" for w in words], "positive": [f"{w} is caused by blood" for w in words]})
    args = SparseEncoderTrainingArguments(
        output_dir=output_dir, max_steps=2, per_device_train_batch_size=4, logging_steps=1, save_steps=2,
        report_to="none", disable_tqdm=True, use_cpu=True, ddp_backend="gloo",
    )
    trainer = SparseEncoderTrainer(SparseEncoder(model_dir, device="cpu"), args, train_dataset=data)
    trainer.train()
    if trainer.is_world_process_zero():
        result = {
            "world_size": args.world_size,
            "wrapped": type(trainer.loss.model).__name__,
            "logs": [entry for entry in trainer.state.log_history if "loss" in entry],
        }
        with open(output_dir + "/result.json", "w") as f:
            json.dump(result, f)
    import torch.distributed as dist
    dist.barrier()
    dist.destroy_process_group()  # a clean gloo shutdown: without it a rank can abort at interpreter exit
    """
)


def test_torchrun_two_processes(tiny_mlm_dir, tmp_path):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    output = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        str(script),
        tiny_mlm_dir,
        str(output),
    ]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads((output / "result.json").read_text())
    assert result["world_size"] == 2 and result["wrapped"] == "DistributedDataParallel"
    assert {"base_loss", "document_regularizer_loss", "query_regularizer_weight"} <= set(result["logs"][-1])
    assert (output / "checkpoint-2" / "modules.json").exists()
