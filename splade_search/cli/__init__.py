"""The ``splade-search`` command line: one module per verb, each with a ``register(app)``."""

from . import demo, encode, index, info, query
from .app import app, main

for _verb in (info, demo, index, query, encode):
    _verb.register(app)

__all__ = ["app", "main"]
