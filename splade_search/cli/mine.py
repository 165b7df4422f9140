"""``splade-search mine-negatives``: hard negatives for (query, positive) pairs, scored by a teacher."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import typer

from ..hub import DEFAULT_MODEL
from .console import console, print_json, user_errors
from .options import K_RANGE, check_choice, check_finite, check_input_file, check_max_length, check_output_file, count_corpus, refuse


def register(app: typer.Typer) -> None:
    """Add the ``mine-negatives`` verb to ``app``."""

    @app.command("mine-negatives")
    def mine_negatives(
        pairs: Path = typer.Argument(..., metavar="PAIRS", help="JSONL with query and positive columns (e.g. train_pairs.jsonl)."),
        output: Path = typer.Option(..., "--out", "--output", "-o", metavar="FILE", help="JSONL to write: query, positive, negative_1..n, label."),
        index: str = typer.Option(None, "--index", "-i", metavar="PATH", help="Mine from this existing index (it records its model)."),
        corpus: str = typer.Option(None, "--corpus", metavar="PATH", help="Or index this corpus (BEIR folder, JSONL, ...) on the fly."),
        model: str = typer.Option(None, "--model", "-m", metavar="NAME", help=f"Retriever model (default: the index's, else {DEFAULT_MODEL})."),
        n_negatives: int = typer.Option(4, "--negatives", "-n", min=1, metavar="N", help="Negatives per query."),
        depth: int = typer.Option(30, "--depth", **K_RANGE, metavar="N", help="Candidates retrieved per query to pick negatives from."),
        skip_top: int = typer.Option(0, "--skip-top", min=0, metavar="N", help="Ignore the best N ranks (likely unjudged positives)."),
        teacher: str = typer.Option(None, "--teacher", metavar="NAME", help="Teacher model (alias, folder or hub id); none: no labels."),
        teacher_kind: str = typer.Option("sparse", "--teacher-kind", metavar="KIND", help="sparse, dense or cross-encoder."),
        teacher_scale: float = typer.Option(1.0, "--teacher-scale", metavar="NUM", help="Multiply dense/cross-encoder scores."),
        max_length: int = typer.Option(None, "--max-length", min=1, metavar="N", help="Truncate documents to N tokens (index and teacher)."),
        max_rows: int = typer.Option(None, "--max-rows", min=1, metavar="N", help="Use only the first N pairs."),
        query_column: str = typer.Option("query", "--query-column", metavar="NAME", help="Query column of the pairs file."),
        positive_column: str = typer.Option("positive", "--positive-column", metavar="NAME", help="Positive column of the pairs file (or 'pos')."),
        json_output: bool = typer.Option(False, "--json", metavar="", help="Print the summary as JSON."),
    ) -> None:
        """Mine hard negatives from a sparse index and label them with teacher scores for distillation.

        The output feeds 'splade-search train --loss margin-mse' (or distill-kl) directly.
        """
        from ..retrieval import mining

        if (index is None) == (corpus is None):
            refuse("--index / --corpus", "give exactly one of --index or --corpus")
        if depth <= skip_top:
            refuse("--depth", f"{depth} must exceed --skip-top ({skip_top}) to leave any candidates")
        check_choice(teacher_kind, mining.TEACHER_KINDS, "--teacher-kind", "teacher kind")
        check_finite(teacher_scale, "--teacher-scale")
        check_input_file(pairs, "PAIRS")
        check_output_file(output, "--out")
        with user_errors(output):
            from .loading import load_encoder

            started = time.perf_counter()
            rows_in = mining.read_pairs(pairs, query_column, positive_column)[:max_rows]
            if corpus and Path(corpus).exists():
                count_corpus(corpus)
            retriever_model = load_encoder(model or DEFAULT_MODEL) if corpus else model
            if corpus:
                check_max_length(retriever_model, max_length)
            scorer = mining.load_teacher(teacher_kind, teacher, max_length, teacher_scale) if teacher else None
            if scorer is not None:
                check_max_length(scorer.model, max_length)
            with tempfile.TemporaryDirectory(prefix="splade-mine-") as workdir:  # the on-the-fly index, if any
                retriever = mining.retriever_for(retriever_model, corpus, index, max_length, workdir)
                rows = mining.mine_hard_negatives(
                    rows_in, retriever, n_negatives=n_negatives, top_k=depth, skip_top=skip_top
                )
            written = mining.write_rows(mining.iter_scored(rows, scorer) if scorer else rows, output)
            summary = {
                "pairs": len(rows_in),
                "rows_written": written,
                "dropped": len(rows_in) - written,
                "negatives": n_negatives,
                "teacher": teacher,
                "output": str(output),
                "seconds": round(time.perf_counter() - started, 1),
            }
            if json_output:
                print_json(summary)
            else:
                console.print(
                    f"wrote {written} rows ({summary['dropped']} pairs without {n_negatives} negatives dropped) "
                    f"to {output} in {summary['seconds']} s"
                )
