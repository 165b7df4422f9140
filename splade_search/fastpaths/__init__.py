"""Fast paths behind the plain encode path: each gives exactly the plain result or declines (returns None).

- `static_query`: inference-free query encoding (tokenizer -> ids -> weight lookup) without torch modules.
- `bag_of_words`: its numpy core (distinct ids x term weights, as CSR rows), shared with `light_encoders`.
- `wordpiece`: a pure-Python BERT WordPiece tokenizer with a word cache, used by `static_query`.
- `folder_tokenizer`: a folder's BERT tokenizer built with `tokenizers` alone, as transformers builds it.
- `light_bert`: a BertForMaskedLM forward in plain torch (no transformers import), as transformers computes it.
- `light_encoders`: query encoders for `splade-search query` that skip importing transformers (SPLADE on
  BERT) or torch itself (inference-free models), read straight from the model folder.
"""
