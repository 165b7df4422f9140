"""``splade-search demo``: index the bundled sample corpus with the embedded tiny SPLADE and search it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..hub import DEFAULT_MODEL
from .console import console, print_json, user_errors
from .options import check_output_folder, top_k_option

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def register(app: typer.Typer) -> None:
    """Add the ``demo`` verb to ``app``."""

    @app.command()
    def demo(
        out: Path = typer.Option(Path("indexes/sample"), "--out", "-o", help="Where to write the sample index."),
        k: int = top_k_option(3, "Hits per query."),
        json_output: bool = typer.Option(False, "--json", help="Print the index summary and the hits as JSON."),
    ) -> None:
        """Offline end-to-end run: encode and index the sample corpus, then answer the sample queries."""
        from ..data import read_corpus
        from ..retrieval import SparseRetriever
        from ..retrieval.indexing import index_corpus
        from .loading import load_encoder

        check_output_folder(out, "--out")
        queries = [q for q in (SAMPLES / "queries.txt").read_text(encoding="utf-8").splitlines() if q.strip()]
        with user_errors(out):
            if not json_output:
                console.rule("splade-search demo: embedded tiny SPLADE on the bundled sample corpus")
            model = load_encoder(DEFAULT_MODEL)
            corpus = read_corpus(SAMPLES / "corpus.jsonl")
            report = index_corpus(
                model, corpus, out, model_reference=DEFAULT_MODEL, resume=False, show_progress=not json_output
            )
            stats = report.index.stats()
            results = SparseRetriever(model, report.index).search(queries, k=k, explain=True)
        if json_output:
            answers = [{"query": q, "hits": [h.to_dict() for h in hits]} for q, hits in zip(queries, results)]
            print_json({"index": str(out), **stats.to_dict(), "encode_seconds": round(report.encode_seconds, 2), "queries": answers})
            return
        console.print(
            f"indexed {stats.documents} documents into {out} ({stats.postings:,} postings, "
            f"{stats.avg_doc_terms:.0f} terms/doc, {stats.bytes_on_disk / 1e3:.0f} kB) in {report.encode_seconds:.1f} s"
        )
        for text, hits in zip(queries, results):
            console.print(f"\n[bold cyan]? {escape(text)}[/]")
            for hit in hits:
                why = ", ".join(f"{t.token}={t.contribution:.2f}" for t in hit.terms[:3])
                console.print(f"  {hit.rank}. [bold]{escape(hit.title)}[/] ({escape(hit.id)}, score {hit.score:.2f}; {escape(why)})")
        console.print(f"\nNext: splade-search query \"your question\" --index {escape(str(out))}")
