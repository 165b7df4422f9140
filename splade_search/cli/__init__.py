"""The ``splade-search`` command line: one module per verb, each with a ``register(app)``."""

from . import add, delete, demo, encode, eval, export, index, info, merge, mine, query, serve, train
from .app import app, main

for _verb in (info, demo, train, mine, index, merge, add, delete, query, eval, encode, export, serve):
    _verb.register(app)

__all__ = ["app", "main"]
