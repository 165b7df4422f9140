"""The evaluators under their sentence-transformers module name (``sentence_transformers.sparse_encoder.evaluation``).

An alias of `splade_search.eval.evaluators`, loaded on first use:
``from splade_search.evaluation import SparseNanoBEIREvaluator`` is
``from splade_search.eval.evaluators import SparseNanoBEIREvaluator``. It also holds
``SequentialEvaluator``, which sentence-transformers keeps in ``sentence_transformers.evaluation``.
"""

from __future__ import annotations

from ._alias import lazy_alias

__getattr__, __dir__ = lazy_alias(__name__, "splade_search.eval.evaluators")
