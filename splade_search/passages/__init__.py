"""Documents as passages: split texts by the model's tokens, aggregate passage hits into documents,
count what truncation would cut, and show the matching passage as a marked snippet."""

from .aggregate import DocumentRanking, PassageHits, aggregate, needed_depth, search_documents
from .settings import AGGREGATIONS, BOUNDARIES, PassageSettings, parse_aggregate
from .snippet import Snippet, make_snippet, render_rich
from .split import PassageSplitter, Span, passage_texts
from .truncation import count_truncated, token_counts

__all__ = [
    "AGGREGATIONS",
    "BOUNDARIES",
    "DocumentRanking",
    "PassageHits",
    "PassageSettings",
    "PassageSplitter",
    "Snippet",
    "Span",
    "aggregate",
    "count_truncated",
    "make_snippet",
    "needed_depth",
    "parse_aggregate",
    "passage_texts",
    "render_rich",
    "search_documents",
    "token_counts",
]
