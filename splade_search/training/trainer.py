"""SparseEncoderTrainer: the transformers Trainer loop for SPLADE, inference-free SPLADE and CSR models.

Everything transformers' Trainer does (gradient accumulation, mixed precision, checkpoints, resume,
logging integrations) works as usual. On top of it: dict-valued losses are summed and each
component is logged; evaluators run at ``eval_strategy`` with ``eval_``-prefixed metrics; every
SpladeLoss gets a regularizer warm-up; checkpoints are full model folders that
``SparseEncoder(path)`` loads; a NaN loss stops training with a TrainingError, keeping the last
good checkpoint.

Multi-GPU / multi-node runs the same script unchanged (DDP, one process per GPU)::

    torchrun --nproc_per_node 4 train.py
    accelerate launch --multi_gpu --num_processes 4 train.py

Each process draws its own batches of ``per_device_train_batch_size`` rows; in-batch negatives and
the FLOPS regularizer are computed per process, so regularizer weights keep their meaning when the
number of GPUs changes. Evaluators run on the main process and their metrics are shared.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader
from transformers import Trainer
from transformers.trainer_utils import get_last_checkpoint

from ..errors import InputError, TrainingError
from ..hub import DEFAULT_MODEL
from .args import SparseEncoderTrainingArguments
from .callbacks import SpladeRegularizerWeightSchedulerCallback
from .collator import SparseEncoderDataCollator
from .dataloaders import build_dataloader
from .dataset_checks import as_datasets, check_datasets, check_router_mapping, loss_for
from .evaluation import run_evaluator
from .losses import CSRLoss, SparseMultipleNegativesRankingLoss, SpladeLoss
from .model_card_callback import ModelCardCallback
from .param_groups import parameter_groups

logger = logging.getLogger(__name__)

EVALUATOR_ONLY = "evaluator-only"  # stands in for a missing eval_dataset while transformers validates its arguments


class SparseEncoderTrainer(Trainer):
    """Train a SparseEncoder on ``datasets`` data with a sparse loss.

    ``train_dataset``/``eval_dataset``: a Dataset, a DatasetDict or a dict of Datasets (each batch then
    comes from one dataset). Columns: ``label``/``score`` are the labels, the others the inputs in
    order. ``loss``: a loss module, a ``{dataset: loss}`` dict, or a ``f(model)`` factory; by default
    SpladeLoss(SparseMultipleNegativesRankingLoss) with `defaults.REGULARIZER_WEIGHTS`, or CSRLoss for a model
    ending in a SparseAutoEncoder. ``evaluator``: a callable ``evaluator(model, output_path, epoch,
    steps) -> dict`` or a list of them, run at ``eval_strategy``.
    """

    def __init__(
        self,
        model: nn.Module,
        args: SparseEncoderTrainingArguments | None = None,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        loss: nn.Module | Mapping[str, nn.Module] | Callable[[nn.Module], nn.Module] | None = None,
        evaluator: Any = None,
        data_collator: Callable[..., Any] | None = None,
        callbacks: list[Any] | None = None,
        optimizers: tuple[Any, Any] = (None, None),
        **kwargs: Any,
    ) -> None:
        if model is None:
            raise InputError(f"SparseEncoderTrainer needs a model, e.g. SparseEncoder({DEFAULT_MODEL!r})")
        args = args if args is not None else SparseEncoderTrainingArguments(output_dir="trainer_output")
        if not isinstance(args, SparseEncoderTrainingArguments):
            raise InputError(f"args must be SparseEncoderTrainingArguments, got {type(args).__name__}")
        train_dataset, eval_dataset = as_datasets(train_dataset, "train"), as_datasets(eval_dataset, "eval")
        if args.eval_strategy != "no" and eval_dataset is None and evaluator is None:
            raise InputError(
                f"eval_strategy={args.eval_strategy!s} needs an eval_dataset or an evaluator; or set eval_strategy='no'"
            )
        if isinstance(evaluator, (list, tuple)):
            from ..eval import SequentialEvaluator

            evaluator = SequentialEvaluator(list(evaluator))
        collator = data_collator or SparseEncoderDataCollator(
            model.tokenize, router_mapping=args.router_mapping, prompts=args.prompts
        )
        # the defaults (for the model card) must reuse the distributed state, not reset it
        default_args = SparseEncoderTrainingArguments(
            output_dir="unused", accelerator_config={"use_configured_state": True}
        ).to_dict()
        placeholder = EVALUATOR_ONLY if eval_dataset is None and evaluator is not None else eval_dataset
        super().__init__(
            model=model,
            args=args,
            data_collator=collator,
            train_dataset=train_dataset,
            eval_dataset=placeholder,
            callbacks=callbacks,
            optimizers=optimizers,
            **kwargs,
        )
        self.eval_dataset = eval_dataset
        self.evaluator = evaluator
        self.can_return_loss = True
        self.loss = self.prepare_loss(loss if loss is not None else self.get_default_loss(model), model)
        for data, split in ((train_dataset, "train"), (eval_dataset, "eval")):
            if data is not None:
                check_datasets(data, self.loss, split)
        check_router_mapping(model, args.router_mapping, train_dataset if train_dataset is not None else eval_dataset)
        self._components: dict[str, dict[str, torch.Tensor]] = {"train": {}, "eval": {}}
        self._component_steps = {"train": 0, "eval": 0}
        self._bound_model: nn.Module | None = None
        self._add_regularizer_schedulers()
        card = ModelCardCallback(model, default_args)
        card.record_setup(train_dataset, eval_dataset, self.loss)
        self.add_callback(card)

    # ----- losses --------------------------------------------------------------------------------
    def get_default_loss(self, model: nn.Module) -> nn.Module:
        """SpladeLoss(SparseMNRL) with the default regularizer weights (`defaults.REGULARIZER_WEIGHTS`); CSRLoss for CSR models."""
        from ..modules import SparseAutoEncoder

        if any(isinstance(m, SparseAutoEncoder) for m in model.modules()):
            logger.info("no loss given: training the CSR model with CSRLoss(SparseMultipleNegativesRankingLoss)")
            return CSRLoss(model)
        from .defaults import REGULARIZER_WEIGHTS, regularizer_text

        logger.info("no loss given: using SpladeLoss(SparseMultipleNegativesRankingLoss, %s)", regularizer_text())
        query_weight, document_weight = REGULARIZER_WEIGHTS["splade"]
        return SpladeLoss(
            model,
            SparseMultipleNegativesRankingLoss(model),
            document_regularizer_weight=document_weight,
            query_regularizer_weight=query_weight,
        )

    def prepare_loss(self, loss: Any, model: nn.Module) -> nn.Module | dict[str, nn.Module]:
        """Build factories ``f(model)`` and move every loss to the model's device."""
        if isinstance(loss, Mapping):
            return {name: self.prepare_loss(value, model) for name, value in loss.items()}
        if not isinstance(loss, nn.Module):
            loss = loss(model)
        return loss.to(self.args.device)

    def _add_regularizer_schedulers(self) -> None:
        """One warm-up callback per SpladeLoss in use (a loss dict may hold several)."""
        losses = list(self.loss.items()) if isinstance(self.loss, Mapping) else [(None, self.loss)]
        splade = [(name, loss) for name, loss in losses if isinstance(loss, SpladeLoss)]
        existing = {
            id(cb.loss): cb
            for cb in self.callback_handler.callbacks
            if isinstance(cb, SpladeRegularizerWeightSchedulerCallback)
        }
        for position, (name, loss) in enumerate(splade, start=1):
            callback = existing.get(id(loss))
            if callback is None:
                prefix = f"{name}_" if name is not None and len(splade) > 1 else ""
                callback = SpladeRegularizerWeightSchedulerCallback(loss, log_prefix=prefix)
            else:
                self.callback_handler.callbacks.remove(callback)
            # early in the list, so the weights are set before other callbacks see a step
            self.callback_handler.callbacks.insert(position, callback)

    def _loss_root(self) -> nn.Module:
        if isinstance(self.loss, Mapping):
            return nn.ModuleDict({name.replace(".", "_"): loss for name, loss in self.loss.items()})
        return self.loss

    def _bind_model(self, model: nn.Module) -> None:
        """Make every loss (and losses nested in them) call the wrapped model, e.g. DistributedDataParallel."""
        if self._bound_model is model:
            return
        for module in list(self._loss_root().modules()):
            if getattr(module, "model", None) is self.model:
                module.model = model
        self._bound_model = model

    def compute_loss(
        self, model: nn.Module, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        """Run the loss of the batch's dataset; sum dict components (each is tracked for logging)."""
        loss_fn = loss_for(self.loss, inputs.get("dataset_name"))
        if model is not self.model:
            self._bind_model(model)
        output = loss_fn(inputs["features"], inputs.get("label"))
        total = torch.stack(list(output.values())).sum() if isinstance(output, dict) else output
        if model.training:
            self._check_finite(total, output)
        if isinstance(output, dict):
            self._track(output, "train" if model.training else "eval")
        return (total, {}) if return_outputs else total

    def _check_finite(self, total: torch.Tensor, output: Any) -> None:
        if bool(torch.isfinite(total).all()):
            return
        parts = (
            ", ".join(f"{k}={v.item():.4g}" for k, v in output.items())
            if isinstance(output, dict)
            else f"loss={total.item()}"
        )
        raise TrainingError(
            f"the loss became {total.item()} at step {self.state.global_step} ({parts}); training stopped before "
            f"this update. Last good checkpoint: {self.last_checkpoint() or 'none yet'}. Try a lower learning rate, "
            "max_grad_norm, no fp16, or check the data for empty texts; resume with resume_from_checkpoint."
        )

    def last_checkpoint(self) -> str | None:
        """The newest ``checkpoint-N`` folder in ``output_dir``, if any."""
        return get_last_checkpoint(self.args.output_dir) if os.path.isdir(self.args.output_dir) else None

    # ----- logging -------------------------------------------------------------------------------
    def _track(self, components: dict[str, torch.Tensor], kind: str) -> None:
        sums = self._components[kind]
        for key, value in components.items():
            value = value.detach().float()
            sums[key] = sums[key] + value if key in sums else value
        self._component_steps[kind] += 1

    def _drain(self, kind: str) -> dict[str, float]:
        """Average tracked components since the last log (over processes too), then reset."""
        steps, sums = self._component_steps[kind], self._components[kind]
        if not steps or not sums:
            return {}
        keys = sorted(sums)
        values = torch.stack([sums[k] for k in keys]) / steps
        if self.accelerator.num_processes > 1:
            values = self.accelerator.reduce(values, reduction="mean")
        self._components[kind], self._component_steps[kind] = {}, 0
        prefix = "eval_" if kind == "eval" else ""
        return {f"{prefix}{k}": round(v, 6) for k, v in zip(keys, values.tolist())}

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the loss components and the current regularizer weights to the logs."""
        kind = "train" if "loss" in logs else "eval" if "eval_loss" in logs else None
        if kind is not None:
            logs = {**logs, **self._drain(kind)}
        if kind == "train":
            for callback in self.callback_handler.callbacks:
                if isinstance(callback, SpladeRegularizerWeightSchedulerCallback):
                    logs.update(callback.current_weights())
        super().log(logs, start_time)

    # ----- evaluation ----------------------------------------------------------------------------
    def evaluation_loop(
        self,
        dataloader: DataLoader,
        description: str,
        prediction_loss_only: bool | None = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> Any:
        """The eval loss (when there is an eval_dataset) plus the evaluator's metrics, prefixed."""
        output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys, metric_key_prefix)
        if self.evaluator is None:
            return output
        if isinstance(self.eval_dataset, dict) and metric_key_prefix != "eval":
            # one evaluator run per evaluation: with the first dataset's pass, under the plain "eval" prefix
            if metric_key_prefix != f"eval_{next(iter(self.eval_dataset))}":
                return output
            metric_key_prefix = "eval"
        metrics = run_evaluator(self, self.evaluator)
        output.metrics.update(
            {k if k.startswith(f"{metric_key_prefix}_") else f"{metric_key_prefix}_{k}": v for k, v in metrics.items()}
        )
        return output

    # ----- data ----------------------------------------------------------------------------------
    def _dataloader(self, data: Any, batch_size: int) -> DataLoader:
        loader = build_dataloader(
            data,
            self.data_collator,
            batch_size,
            self.args.batch_sampler,
            self.args.multi_dataset_batch_sampler,
            drop_last=self.args.dataloader_drop_last,
            seed=self.args.seed,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory and torch.cuda.is_available(),
        )
        return self.accelerator.prepare(loader)

    def get_train_dataloader(self) -> DataLoader:
        if self.train_dataset is None:
            raise InputError("training needs a train_dataset")
        self.accelerator.even_batches = False  # padding the last batch with repeated rows would mix datasets
        return self._dataloader(self.train_dataset, self._train_batch_size)

    def get_eval_dataloader(self, eval_dataset: Any = None) -> DataLoader:
        if isinstance(eval_dataset, str):
            eval_dataset = self.eval_dataset[eval_dataset]
        data = as_datasets(eval_dataset, "eval") if eval_dataset is not None else self.eval_dataset
        if data is None:
            if self.evaluator is not None:
                return DataLoader([])
            raise InputError("evaluation needs an eval_dataset or an evaluator")
        self.accelerator.even_batches = True
        return self._dataloader(data, self.args.eval_batch_size)

    # ----- optimizer -----------------------------------------------------------------------------
    def create_optimizer(self, model: nn.Module | None = None) -> torch.optim.Optimizer:
        """Optimizer over the losses' parameters (the model plus any trainable loss weights), with
        ``learning_rate_mapping`` groups."""
        if self.optimizer is None:
            root = self._loss_root()
            groups = parameter_groups(
                root, self.args.weight_decay, self.get_decay_parameter_names(root), self.args.learning_rate_mapping
            )
            optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, root)
            for key in ("params", "model", "optimizer_dict"):
                optimizer_kwargs.pop(key, None)
            self.optimizer = optimizer_cls(groups, **optimizer_kwargs)
        return self.optimizer

    # ----- checkpoints ---------------------------------------------------------------------------
    def _save(self, output_dir: str | None = None, state_dict: dict[str, Any] | None = None) -> None:
        """Write a full model folder (loadable with ``SparseEncoder(path)``) plus the training arguments."""
        output_dir = output_dir or self.args.output_dir
        if not self.args.should_save:
            return
        bad = [name for name, p in self.model.named_parameters() if not torch.isfinite(p).all()]
        if bad:
            raise TrainingError(
                f"the weights became NaN/inf at step {self.state.global_step} (e.g. {bad[0]}); not saving over "
                f"{output_dir}. Last good checkpoint: {self.last_checkpoint() or 'none yet'}. "
                "Lower the learning rate or set max_grad_norm."
            )
        self.model.save(output_dir)
        with open(os.path.join(output_dir, "training_args.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(self.args.to_dict(), indent=2, default=str))

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: nn.Module | None = None) -> None:
        """Load the weights of a checkpoint folder written by ``_save``."""
        from ..encoder import SparseEncoder

        target = model if model is not None else self.model
        target = getattr(target, "module", target)
        loaded = SparseEncoder(resume_from_checkpoint, device="cpu")
        target.load_state_dict(loaded.state_dict())

    def _load_best_model(self) -> None:
        if self.state.best_model_checkpoint:
            self._load_from_checkpoint(self.state.best_model_checkpoint)
