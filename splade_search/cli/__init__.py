"""The ``splade-search`` command line: one module per verb, each with a ``register(app)``."""

from . import demo, encode, eval, index, info, query
from .app import app, main

for _verb in (info, demo, index, query, encode, eval):
    _verb.register(app)

__all__ = ["app", "main"]
