"""Multi-process encoding: ``start_multi_process_pool`` / ``encode(..., pool=...)`` / ``stop_multi_process_pool``.

Each worker is a spawned process holding the model (its tensors in shared memory; an ONNX/OpenVINO
session is opened anew in each worker). ``encode`` sorts the texts by length exactly as the one-process
path does and sends whole batches to the workers, so every batch, and therefore every vector, is the
same as without a pool (with the same threads per worker).

When it pays: with several GPUs (one worker each), and on CPUs whenever the serial Python parts
(tokenization, the per-text loop of the fused max pooling) matter: two one-thread workers encoded
splade-tiny 1.3x faster than one two-thread process on a 2-core machine (``eval/RESULTS.md``). Starting
workers costs seconds (spawn, imports), so it pays for corpora, not for a few texts; the more the
transformer body dominates (BERT-base), the less a pool adds over one process using every core.
"""

from __future__ import annotations

import logging
import math
import os
import queue
from typing import Any

import torch

logger = logging.getLogger(__name__)


def start_pool(model: Any, target_devices: list[str] | None = None, threads_per_worker: int | None = None) -> dict[str, Any]:
    """Start one worker per entry of ``target_devices`` (default: each GPU, else two CPU workers).

    CPU workers get ``threads_per_worker`` intra-op threads each (default: the cores divided among them).
    """
    import torch.multiprocessing as mp

    if target_devices is None:
        if torch.cuda.is_available():
            target_devices = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        else:
            target_devices = ["cpu"] * 2
    if not target_devices:
        raise ValueError("target_devices must name at least one device")
    cpu_workers = sum(1 for d in target_devices if str(d).startswith("cpu"))
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // max(1, cpu_workers))
    model.to("cpu")
    model.share_memory()
    ctx = mp.get_context("spawn")
    inputs, outputs = ctx.Queue(), ctx.Queue()
    processes = []
    for device in target_devices:
        process = ctx.Process(target=_worker, args=(str(device), threads, model, inputs, outputs), daemon=True)
        process.start()
        processes.append(process)
    logger.info("started %d encoding workers on %s", len(processes), ", ".join(map(str, target_devices)))
    return {"input": inputs, "output": outputs, "processes": processes}


def stop_pool(pool: dict[str, Any]) -> None:
    """Terminate the pool's workers and close its queues."""
    for process in pool["processes"]:
        process.terminate()
    for process in pool["processes"]:
        process.join()
        process.close()
    pool["input"].cancel_join_thread()
    pool["input"].close()
    pool["output"].close()


def encode(
    texts: list[Any], pool: dict[str, Any], order: list[int], batch_size: int, chunk_size: int | None, kwargs: dict[str, Any]
) -> list[torch.Tensor]:
    """Sparse [n, dim] results of ``texts`` (already in length ``order``) per chunk of whole batches, in order.

    ``chunk_size`` (texts per task) is rounded up to whole batches; by default each worker gets about
    four tasks. ``kwargs`` are ``encode``'s own arguments for the worker.
    """
    batches = math.ceil(len(texts) / batch_size)
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
    per_task = math.ceil(chunk_size / batch_size) if chunk_size else max(1, math.ceil(batches / (4 * len(pool["processes"]))))
    step = per_task * batch_size
    sorted_texts = [texts[i] for i in order]
    starts = range(0, len(texts), step)
    for task, start in enumerate(starts):
        pool["input"].put((task, sorted_texts[start : start + step], dict(kwargs, batch_size=batch_size)))
    results: list[Any] = [None] * len(starts)
    for _ in starts:
        task, result = _next_result(pool)
        if isinstance(result, Exception):
            raise result
        indices, values, shape = result
        results[task] = torch.sparse_coo_tensor(
            torch.from_numpy(indices), torch.from_numpy(values), shape, check_invariants=False
        ).coalesce()
    return results


def _next_result(pool: dict[str, Any]) -> Any:
    """The next worker result, noticing dead workers instead of waiting forever."""
    while True:
        try:
            return pool["output"].get(timeout=1.0)
        except queue.Empty:
            dead = [p for p in pool["processes"] if not p.is_alive()]
            if dead:
                codes = ", ".join(f"pid {p.pid} (exit code {p.exitcode})" for p in dead)
                raise RuntimeError(f"encoding worker(s) died: {codes}; stop the pool and start a new one") from None


def _worker(device: str, threads: int, model: Any, inputs: Any, outputs: Any) -> None:
    """Encode tasks from ``inputs`` until terminated; results go out as numpy (indices, values, shape)."""
    torch.set_num_threads(threads)
    model.to(device)
    while True:
        task, texts, kwargs = inputs.get()
        try:
            out = model.encode(texts, convert_to_tensor=True, convert_to_sparse_tensor=True, save_to_cpu=True, **kwargs)
            out = out.coalesce()
            outputs.put((task, (out.indices().numpy(), out.values().numpy(), tuple(out.shape))))
        except Exception as exc:  # reported to the caller, who re-raises it
            outputs.put((task, RuntimeError(f"encoding worker on {device} failed: {type(exc).__name__}: {exc}")))
