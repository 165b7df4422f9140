"""``splade-search index CORPUS``: encode a corpus and write a csr, Lucene or Milvus index."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..hub import DEFAULT_MODEL
from .console import console, print_json, reported_warnings, user_errors
from .loading import load_encoder
from .options import (
    ENCODER_BACKENDS,
    about,
    bm25_impl_option,
    check_backend,
    check_choice,
    check_max_length,
    check_output_folder,
    count_corpus,
    refuse,
    encoder_backend_option,
    trust_remote_code_option,
)

def register(app: typer.Typer) -> None:
    """Add the ``index`` verb to ``app``."""

    @app.command()
    def index(
        corpus: str = typer.Argument(..., help="Folder of .txt/.md files, JSONL, BEIR folder, CSV/TSV/parquet, or hub dataset id."),
        model: str = typer.Option(
            None, "--model", "-m", help="Model folder, hub id or embedded alias; default: splade-tiny (--update: the index's)."
        ),
        backend: str = typer.Option("csr", help="Index backend: csr (in-process), lucene (pyserini), milvus (Milvus Lite) or seismic (approximate)."),
        uri: str = typer.Option(
            None, "--uri", help="milvus: a Milvus server (http://host:19530) instead of Milvus Lite; token in $SPLADE_MILVUS_TOKEN."
        ),
        out: Path = typer.Option(None, "--out", "-o", help="Index folder; default: indexes/<corpus name>."),
        batch_size: int = typer.Option(32, min=1, help="Texts per forward pass."),
        max_length: int = typer.Option(None, min=1, help="Maximum tokens per document (default: the model's)."),
        max_active_dims: int = typer.Option(None, min=1, help="Keep at most this many terms per document."),
        fast: bool = typer.Option(False, "--fast", help="bfloat16 vocabulary projection (SPLADE; faster, approximate)."),
        quantization: str = typer.Option(None, help="csr weights: float16, int8 or uint8 (default float32)."),
        storage: str = typer.Option(
            None, help="csr postings on disk: plain (default, memory-mapped) or compact (smaller, blocks decoded as searches need them)."
        ),
        knob: list[str] = typer.Option(
            None,
            "--knob",
            metavar="NAME=VALUE",
            help="Build option of --backend (repeatable); seismic: n_postings=3500, centroid_fraction=0.1, "
            "summary_energy=0.4, doc_cut=15, max_fraction=1.5, min_cluster_size=2.",
        ),
        id_field: str = typer.Option(None, help="Id field of JSONL/CSV/parquet rows; default: _id, then id."),
        title_field: str = typer.Option("title", help="Title field."),
        text_field: str = typer.Option("text", help="Text field."),
        hub_config: str = typer.Option(None, help="Configuration of a hub dataset."),
        hub_split: str = typer.Option(None, help="Split of a hub dataset."),
        on_decode_error: str = typer.Option("warn", help="A non-UTF-8 file: 'warn' (skip it, named) or 'error'."),
        restart: bool = typer.Option(False, "--restart", help="Discard a partial run instead of resuming it."),
        passages: bool = typer.Option(
            False, "--passages", help="Index each document as passages cut by the model's tokenizer (nothing is truncated)."
        ),
        passage_tokens: int = typer.Option(
            None, "--passage-tokens", min=1, help="Tokens per passage (default: 128, from eval/long_docs.md); implies --passages."
        ),
        passage_stride: int = typer.Option(
            None, "--passage-stride", min=0, help="Tokens shared by consecutive passages (default: 32 per 128); implies --passages."
        ),
        passage_boundary: str = typer.Option(
            None, "--passage-boundary", help="End passages at a sentence, paragraph or none; default: none."
        ),
        aggregate: str = typer.Option(
            None, "--aggregate", help="How passages score a document by default: max, first or sum-top-<m>; default: max."
        ),
        bm25_impl: str = bm25_impl_option(),
        dense: str = typer.Option(
            None, "--dense", metavar="MODEL", help="Build a dense (faiss) index with this sentence-transformers model instead, e.g. minilm."
        ),
        shard: str = typer.Option(
            None,
            "--shard",
            help="Encode only shard i of N (e.g. 3/8: the documents at positions k with k mod N = i-1), for `merge`.",
        ),
        update: bool = typer.Option(
            False, "--update", help="Sync an existing index with CORPUS: encode only new or changed documents, drop removed ones."
        ),
        force: bool = typer.Option(
            False,
            "--force",
            help="Write into --out even if it is not an index or holds an index of another corpus (nothing else is deleted).",
        ),
        follow_symlinks: bool = typer.Option(
            False, "--follow-symlinks", help="Text folders: also read links that lead out of the folder."
        ),
        trust_remote_code: bool = trust_remote_code_option(),
        backend_encoder: str = encoder_backend_option(),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Encode CORPUS with a sparse encoder and build an index (resumable after an interruption); --model bm25: a BM25
        index; --dense MODEL: a dense one."""
        from ..bm25.indexing import IMPLEMENTATIONS as BM25_IMPLEMENTATIONS
        from ..data import read_corpus
        from ..retrieval.indexing import check_same_corpus, index_corpus
        from ..retrieval.locations import default_index_path

        check_choice(backend_encoder, ENCODER_BACKENDS, "--backend-encoder", "encoder backend")
        check_choice(bm25_impl, BM25_IMPLEMENTATIONS, "--bm25-impl", "BM25 implementation")
        if dense is not None:
            _check_dense_options(model, backend, update, fast, backend_encoder, quantization, storage, max_active_dims)
        spec = _shard_spec(shard, update, dense, model, backend)
        target = out or default_index_path(corpus, spec)
        source = corpus_source(corpus, hub_config, hub_split)
        _check_options(backend, quantization, storage, on_decode_error, target, force and not update)
        _check_server(backend, uri)
        build_knobs = _build_knobs(backend, knob)
        if update and build_knobs:
            refuse("--knob", "build options apply to a new build, not to --update (which keeps the index's settings)")
        if not update:
            with about("--out"):
                check_same_corpus(target, source, force)
        passage_settings = _passage_settings(passages, passage_tokens, passage_stride, passage_boundary, aggregate)
        read_options = {"id_field": id_field, "title_field": title_field, "text_field": text_field}
        read_options |= {"follow_symlinks": follow_symlinks, "on_decode_error": on_decode_error}
        if update:
            with user_errors(target), reported_warnings():
                _update(corpus, target, model, read_options, batch_size, trust_remote_code, json_output)
            return
        with user_errors(target), reported_warnings():
            total = count_corpus(corpus, **read_options) if Path(corpus).exists() else None
            documents = read_corpus(corpus, **read_options, hub_config=hub_config, hub_split=hub_split)
            model = model or DEFAULT_MODEL
            if dense is not None:
                report = _index_dense(documents, target, dense, batch_size, max_length, force and not update, json_output)
            elif model == "bm25":
                if passage_settings is not None or backend != "csr":
                    refuse("--model", "bm25 builds its own index (use --bm25-impl); --passages and --backend do not apply")
                from ..bm25 import index_bm25

                report = index_bm25(documents, target, implementation=bm25_impl, force=force, show_progress=not json_output)
            else:
                encoder = load_encoder(model, fast=fast, trust_remote_code=trust_remote_code, backend=backend_encoder)
                check_max_length(encoder, max_length)
                report = index_corpus(
                    encoder,
                    documents,
                    target,
                    backend=backend,
                    model_reference=model,
                    batch_size=batch_size,
                    max_length=max_length,
                    max_active_dims=max_active_dims,
                    resume=not restart,
                    total=total,
                    show_progress=not json_output,
                    backend_options={
                        n: v
                        for n, v in (("quantization", quantization), ("storage", storage), ("uri", uri), ("knobs", build_knobs))
                        if v
                    },
                    force=force,
                    passages=passage_settings,
                    corpus=source,
                    shard=spec,
                )
        _print_summary(report, target, json_output)


def _print_summary(report: Any, target: Path, json_output: bool) -> None:
    """The index run's summary: a table and notes, or JSON."""
    stats = report.index.stats().to_dict()
    summary = {
        "index": str(target),
        **stats,
        "resumed_documents": report.resumed_documents,
        "encode_seconds": round(report.encode_seconds, 2),
        "docs_per_second": round(report.docs_per_second, 1),
        "build_seconds": round(report.build_seconds, 2),
        "truncated_documents": report.truncated,
        "coerced_fields": report.coerced_fields,
    }
    shard = report.index.metadata.get("shard")
    if shard is not None:
        summary["shard"] = f"{shard['index']}/{shard['count']}"
    if json_output:
        print_json(summary)
        return
    table = Table("", "", title=f"Index {target}", show_header=False)
    table.add_row("backend", stats["backend"])
    table.add_row("documents", f"{stats['documents']:,}")
    per = 'passage' if stats['passages'] is not None else 'doc'
    if stats["backend"] == "faiss":
        table.add_row("vectors", f"{stats['documents']:,} x {stats['vocab_size']} dimensions")
    else:
        table.add_row("postings", f"{stats['postings']:,} ({stats['avg_doc_terms']:.1f} terms/{per})")
    layout = getattr(report.index, "storage", None)
    table.add_row("size on disk", f"{stats['bytes_on_disk'] / 1e6:.2f} MB" + (f" ({layout})" if layout else ""))
    table.add_row("encoding", f"{summary['encode_seconds']} s ({summary['docs_per_second']} docs/s)")
    table.add_row("index build", f"{summary['build_seconds']} s")
    if report.passages is not None:
        table.add_row("passages", f"{report.passages:,} ({report.passages / max(report.documents, 1):.1f} per document)")
    console.print(table)
    if shard is not None:
        console.print(
            f"[yellow]note:[/] shard {summary['shard']} of a corpus of {shard['corpus']['documents']:,} documents; "
            f"once all {shard['count']} are built: splade-search merge OUT SHARD_FOLDER...",
            soft_wrap=True,
        )
    for name in report.coerced_fields:
        console.print(f"[yellow]note:[/] metadata field {name!r} mixes integers and decimals; it is stored as decimals")
    if report.truncated:
        console.print(
            f"[yellow]note:[/] {report.truncated:,} of {report.documents:,} documents were longer than the model's "
            f"{report.index.metadata.get('max_length')} tokens and were cut there; index with --passages to keep all text",
            soft_wrap=True,
        )


def _check_dense_options(
    model: str | None, backend: str, update: bool, fast: bool, encoder: str, quantization: str | None, storage: str | None, dims: int | None
) -> None:
    """Refuse the sparse-index options that ``--dense`` cannot take, before anything is read."""
    sparse_only = {
        "--model": model is not None, "--backend": backend != "csr", "--update": update, "--fast": fast,
        "--backend-encoder": encoder != "torch", "--quantization": quantization is not None, "--storage": storage is not None,
        "--max-active-dims": dims is not None,
    }
    for flag, given in sparse_only.items():
        if given:
            refuse(flag, "applies to sparse indexes; --dense MODEL builds a dense (faiss) index with that model")


def _index_dense(documents: Any, target: Path, name: str, batch_size: int, max_length: int | None, force: bool, json_output: bool) -> Any:
    """Encode ``documents`` with the dense model ``name`` into a dense index at ``target``; the indexing report."""
    from ..dense import DenseRetriever
    from .loading import load_dense

    encoder = load_dense(name)
    check_max_length(encoder, max_length)
    if max_length is not None:
        encoder.max_seq_length = max_length
    retriever = DenseRetriever.build(
        encoder, documents, target, model_reference=name, batch_size=batch_size, force=force, show_progress=not json_output
    )
    return retriever.report


def corpus_source(corpus: str, hub_config: str | None = None, hub_split: str | None = None) -> str:
    """What an index records as its corpus: the resolved path of a local corpus, else the hub id (with config and split)."""
    if Path(corpus).exists():
        return str(Path(corpus).resolve())
    parts = [f"config {hub_config}" if hub_config else "", f"split {hub_split}" if hub_split else ""]
    extra = ", ".join(p for p in parts if p)
    return f"{corpus} ({extra})" if extra else corpus


def _update(
    corpus: str, target: Path, model: str | None, read_options: dict, batch_size: int, trust: bool, json_output: bool
) -> None:
    """``index --update``: sync the index at ``target`` with ``corpus`` using the index's own model."""
    from ..data import read_corpus
    from ..indexes import SparseIndex
    from ..retrieval.updates import sync_corpus
    from .loading import load_index_encoder

    count_corpus(corpus, **read_options)  # a bad record is refused before anything is encoded
    opened = SparseIndex.open(target)
    encoder = load_index_encoder(opened, model, trust_remote_code=trust)
    start = time.perf_counter()
    report = sync_corpus(encoder, lambda: read_corpus(corpus, **read_options), target, batch_size=batch_size)
    summary = {
        "index": str(target),
        "documents": len(report.index),
        "kept": report.kept,
        "encoded": report.encoded,
        "deleted": report.deleted,
        "seconds": round(time.perf_counter() - start, 2),
    }
    if json_output:
        print_json(summary)
        return
    console.print(
        f"updated {target}: {summary['documents']:,} documents ({report.encoded:,} new or changed encoded, "
        f"{report.kept:,} kept, {report.deleted:,} removed) in {summary['seconds']} s"
    )


def _shard_spec(shard: str | None, update: bool, dense: str | None, model: str | None, backend: str) -> Any:
    """The `sharding.ShardSpec` that ``--shard`` asks for (``None`` without it); refused where it does not apply."""
    if shard is None:
        return None
    from ..retrieval.sharding import ShardSpec

    if update or dense is not None or model == "bm25" or backend != "csr":
        refuse(
            "--shard",
            "cuts a csr index into shards for `merge`; it does not apply to --update, --dense, --model bm25 or another --backend",
        )
    with about("--shard"):
        return ShardSpec.parse(shard)


def _passage_settings(
    enabled: bool, tokens: int | None, stride: int | None, boundary: str | None, aggregate: str | None
) -> object:
    """The passage settings the flags ask for (``None``: whole documents); `typer.BadParameter` naming the flag."""
    from ..errors import InputError
    from ..passages import PassageSettings

    if not (enabled or tokens is not None or stride is not None or boundary is not None):
        if aggregate is not None:
            raise typer.BadParameter("applies to indexes built with --passages", param_hint="--aggregate")
        return None
    defaults = PassageSettings()
    try:
        tokens = tokens if tokens is not None else defaults.tokens
        if stride is None:  # the default overlap, in proportion to a smaller window
            stride = min(defaults.overlap, tokens * defaults.overlap // defaults.tokens)
        settings = PassageSettings(tokens, stride, boundary if boundary is not None else defaults.boundary)
        return settings.with_aggregate(aggregate) if aggregate is not None else settings
    except InputError as exc:
        flag = next((f for f in ("--passage-stride", "--passage-tokens", "--passage-boundary", "--aggregate") if f in str(exc)), "--passages")
        raise typer.BadParameter(str(exc), param_hint=flag) from None


def _check_server(backend: str, uri: str | None) -> None:
    """``--uri``: for the milvus backend only, and a server that answers (checked before anything is encoded)."""
    if uri is None:
        return
    if backend != "milvus":
        raise typer.BadParameter("applies to the milvus backend only", param_hint="--uri")
    from ..indexes.milvus.connection import Connection, check_uri

    with about("--uri"):
        address = check_uri(uri)
    with user_errors():
        Connection(uri=address).close()
def _build_knobs(backend: str, knobs: list[str] | None) -> dict[str, Any]:
    """The ``--knob`` build options, checked against ``backend``'s build (`typer.BadParameter` naming ``--knob``)."""
    from ..indexes import check_build_settings
    from ..indexes.knobs import parse_knobs

    with about("--knob"):
        parsed = parse_knobs(list(knobs or []))
        check_build_settings(backend, parsed)
    return parsed


def _check_options(
    backend: str, quantization: str | None, storage: str | None, on_decode_error: str, target: Path, force: bool
) -> None:
    """Refuse option values that cannot work, before the corpus is read or a model loaded."""
    from ..indexes.csr.compact import parse_storage
    from ..indexes.generations import check_writable
    from ..indexes.csr.quantization import parse_mode

    check_backend(backend)
    for flag, value, parse in (("--quantization", quantization, parse_mode), ("--storage", storage, parse_storage)):
        if value is not None and backend != "csr":
            raise typer.BadParameter("applies to the csr backend only", param_hint=flag)
        with about(flag):
            parse(value)
    check_choice(on_decode_error, ("warn", "error"), "--on-decode-error", "policy")
    check_output_folder(target, "--out")
    with about("--out"):
        check_writable(target, force, verify=False)  # checksums are verified under the index's lock
