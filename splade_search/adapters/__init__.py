"""Adapters that put a splade-search `Retriever` into other frameworks' pipelines (optional extras)."""
