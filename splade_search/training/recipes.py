"""Ready-made training setups for ``splade-search train``: SPLADE, inference-free SPLADE and CSR.

Each recipe turns a TrainConfig into a model, a loss and SparseEncoderTrainingArguments, with the
defaults of the reference recipes (sentence-transformers docs, naver/splade).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch
from torch import nn

from ..errors import InputError
from .config import TrainConfig
from .defaults import DEFAULT_EVAL_STEPS, REGULARIZER_WEIGHTS

# (query weight, document weight) defaults per architecture


def corpus_idf(tokenizer: Any, documents: list[str], vocab_size: int) -> torch.Tensor:
    """BM25 IDF ``log(1 + (N − df + 0.5) / (df + 0.5))`` of every token id over ``documents``."""
    df: Counter[int] = Counter()
    for start in range(0, len(documents), 1024):
        encoded = tokenizer(documents[start : start + 1024], add_special_tokens=False, truncation=True)["input_ids"]
        for ids in encoded:
            df.update(set(ids))
    counts = torch.zeros(vocab_size)
    for token_id, count in df.items():
        if token_id < vocab_size:
            counts[token_id] = count
    n = len(documents)
    return torch.log1p((n - counts + 0.5) / (counts + 0.5))


def _load(name: str) -> Any:
    from ..encoder import SparseEncoder

    return SparseEncoder(name)


def _freeze_backbone(model: nn.Module, config: TrainConfig) -> nn.Module:
    """A CSR model with only its SparseAutoEncoder trainable, at the ``csr_k``/``csr_k_aux`` asked for."""
    from ..modules import SparseAutoEncoder

    autoencoders = [m for m in model if isinstance(m, SparseAutoEncoder)]
    if not autoencoders:
        raise InputError(
            f"--architecture csr needs a dense or CSR base model (e.g. minilm); {config.model} has no SparseAutoEncoder"
        )
    autoencoder = autoencoders[-1]
    for name, attribute in (("csr_k", "k"), ("csr_k_aux", "k_aux")):
        value = getattr(config, name)
        if value is not None and value > autoencoder.hidden_dim:
            raise InputError(f"{name}={value} exceeds the autoencoder's {autoencoder.hidden_dim} latents")
        if value is not None:
            setattr(autoencoder, attribute, value)
    for module in model:
        if not isinstance(module, SparseAutoEncoder):
            module.requires_grad_(False)
    return model


def _inference_free(base: nn.Module, config: TrainConfig, documents: list[str]) -> nn.Module:
    """A Router: SparseStaticEmbedding queries (IDF-initialised) and the SPLADE ``base`` for documents."""
    from ..encoder import SparseEncoder
    from ..modules import Router, SparseStaticEmbedding

    document_modules = list(base)
    tokenizer = document_modules[0].tokenizer
    vocab = base.get_sentence_embedding_dimension()
    if config.idf_json:
        static = SparseStaticEmbedding.from_json(config.idf_json, tokenizer, vocab_size=vocab)
    else:
        static = SparseStaticEmbedding(tokenizer, weight=corpus_idf(tokenizer, documents, vocab))
    model = SparseEncoder(modules=[Router.for_query_document([static], document_modules)], similarity_fn_name="dot")
    model.model_name_or_path = base.model_name_or_path
    return model


def build_model(config: TrainConfig, documents: list[str]) -> nn.Module:
    """The model to train: the base model (SPLADE; CSR with a frozen backbone) or, for inference-free,
    the base as the document side of a query/document Router. ``documents`` give the query IDF."""
    from ..modules import Router, SpladePooling

    base = _load(config.model)
    if config.architecture == "csr":
        if config.loss == "mnrl":
            base.similarity_fn_name = "cosine"  # trained on cosine scores (below): searched with them too
        return _freeze_backbone(base, config)
    classes = {type(m) for m in base.modules()}
    if SpladePooling not in classes:
        raise InputError(
            f"--architecture {config.architecture} needs a masked-LM (SPLADE) base model such as splade-tiny; "
            f"{config.model} is not one"
        )
    if config.architecture == "inference-free" and Router not in classes:
        return _inference_free(base, config, documents)
    return base


def build_base_loss(config: TrainConfig, model: nn.Module) -> nn.Module:
    """The ranking/similarity loss named by ``config.loss``."""
    from ..similarity import cos_sim
    from . import losses

    if config.loss == "mnrl":
        if config.architecture == "csr":
            return losses.SparseMultipleNegativesRankingLoss(model, scale=config.scale or 20.0, similarity_fct=cos_sim)
        return losses.SparseMultipleNegativesRankingLoss(model, scale=config.scale or 1.0)
    table = {
        "margin-mse": losses.SparseMarginMSELoss,
        "distill-kl": losses.SparseDistillKLDivLoss,
        "mse": losses.SparseMSELoss,
        "cosent": losses.SparseCoSENTLoss,
        "angle": losses.SparseAnglELoss,
        "cosine": losses.SparseCosineSimilarityLoss,
        "triplet": losses.SparseTripletLoss,
    }
    return table[config.loss](model)


def build_loss(config: TrainConfig, model: nn.Module) -> nn.Module:
    """The base loss wrapped for the architecture: CSRLoss, SpladeLoss or CachedSpladeLoss."""
    from . import losses

    base = build_base_loss(config, model)
    if isinstance(base, losses.SparseMSELoss):
        return base
    if config.architecture == "csr":
        return losses.CSRLoss(model, loss=base, beta=config.csr_beta, gamma=config.csr_gamma)
    query_default, document_default = REGULARIZER_WEIGHTS[config.architecture]
    document_weight = document_default if config.document_weight is None else config.document_weight
    query_weight = query_default if config.query_weight is None else config.query_weight
    weights = {"document_regularizer_weight": document_weight, "query_regularizer_weight": query_weight}
    if config.cached_mini_batch_size:
        return losses.CachedSpladeLoss(model, base, mini_batch_size=config.cached_mini_batch_size, **weights)
    return losses.SpladeLoss(model, base, **weights)


def training_arguments(config: TrainConfig, columns: list[str], has_router: bool, evaluating: bool) -> Any:
    """SparseEncoderTrainingArguments for the run (``config.extra`` may add any other argument)."""
    from .args import SparseEncoderTrainingArguments

    eval_steps = config.eval_steps or config.save_steps or DEFAULT_EVAL_STEPS
    settings: dict[str, Any] = {
        "output_dir": config.output,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "warmup_steps": config.warmup,
        "seed": config.seed,
        "batch_sampler": config.batch_sampler,
        "logging_steps": config.logging_steps,
        "save_strategy": "steps",
        "save_steps": config.save_steps or eval_steps,
        "save_total_limit": config.save_total_limit,
        "eval_strategy": "steps" if evaluating else "no",
        "eval_steps": eval_steps if evaluating else None,
        "fp16": config.fp16,
        "bf16": config.bf16,
        "report_to": "none",
    }
    if has_router:
        settings["router_mapping"] = {column: ("query" if i == 0 else "document") for i, column in enumerate(columns)}
        settings["learning_rate_mapping"] = {r"SparseStaticEmbedding\.weight": config.static_lr}
    if config.bf16 and not torch.cuda.is_available():
        settings["use_cpu"] = True  # bfloat16 autocast on the CPU (transformers asks for it explicitly)
    settings.update(config.extra)
    try:
        return SparseEncoderTrainingArguments(**settings)
    except ValueError as exc:
        raise InputError(f"bad training arguments: {exc}") from None


def active_dims(model: Any, queries: list[str], documents: list[str]) -> dict[str, float]:
    """Mean active dimensions of the model's query and document embeddings on a sample."""
    result = {}
    if queries:
        result["query_active_dims"] = model.sparsity(model.encode_query(queries, batch_size=32))["active_dims"]
    if documents:
        result["document_active_dims"] = model.sparsity(model.encode_document(documents, batch_size=32))["active_dims"]
    return result


def build_evaluator(config: TrainConfig) -> tuple[Any, str | None]:
    """An IR evaluator over the BEIR folder ``config.eval_data``, or ``(None, why not)``."""
    if config.eval_data is None:
        return None, None
    try:
        from ..data.beir import load_beir
        from ..eval import SparseInformationRetrievalEvaluator
    except (ImportError, AttributeError):
        return None, "evaluation skipped: splade_search.eval has no SparseInformationRetrievalEvaluator in this version"
    data = load_beir(config.eval_data, config.eval_split)
    queries = dict(
        list(data.queries.items())[: config.eval_max_queries] if config.eval_max_queries else data.queries.items()
    )
    relevant = {qid: judged for qid, judged in data.qrels.items() if qid in queries}
    evaluator = SparseInformationRetrievalEvaluator(
        queries=queries, corpus=data.corpus, relevant_docs=relevant, name=data.name or "eval"
    )
    return evaluator, None
