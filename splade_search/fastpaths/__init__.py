"""Fast paths behind the plain encode path: each gives exactly the plain result or declines (returns None).

- `static_query`: inference-free query encoding (tokenizer -> ids -> weight lookup) without torch modules.
- `wordpiece`: a pure-Python BERT WordPiece tokenizer with a word cache, used by `static_query`.
"""
