"""The ``splade-search`` command line: one module per verb, each with a ``register(app)``."""

from . import encode, info
from .app import app, main

for _verb in (info, encode):
    _verb.register(app)

__all__ = ["app", "main"]
