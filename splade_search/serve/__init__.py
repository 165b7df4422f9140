"""Serving a retriever over HTTP (the ``serve`` extra: FastAPI and uvicorn): an API and a search page."""

from .app import create_app
from .live import LiveRetriever, describe, reopen_sparse
from .server import load_retriever, serve

__all__ = ["LiveRetriever", "create_app", "describe", "load_retriever", "reopen_sparse", "serve"]
