"""A model folder's BERT tokenizer built with `tokenizers` alone, as transformers builds it, without importing transformers.

transformers (v5) builds a ``BertTokenizer`` from the folder's settings, not from the whole
``tokenizer.json``: the WordPiece vocabulary comes from the file, the normalizer from
``do_lower_case``/``strip_accents``/``tokenize_chinese_chars`` in ``tokenizer_config.json``, the
post-processor from the file (else ``[CLS] $A [SEP]``). :func:`load_folder_tokenizer` does the same
and declines (returns None) for any other tokenizer class or a setting it does not reproduce.

Added and special tokens (``[MASK]``, ...) are matched in raw text by transformers; a text that holds
one is tokenized by transformers itself (loaded on first need), so every result is exactly transformers'.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from .folder_layout import read_json_or_none

BERT_CLASSES = ("BertTokenizer", "BertTokenizerFast")
SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
# tokenizer_config.json keys that are reproduced, or that change nothing these tokenizers are asked for
_KNOWN_KEYS = frozenset(
    {
        *SPECIAL_KEYS,
        "added_tokens_decoder", "backend", "clean_up_tokenization_spaces", "do_basic_tokenize", "do_lower_case",
        "extra_special_tokens", "is_local", "local_files_only", "max_length", "model_input_names", "model_max_length",
        "name_or_path", "never_split", "pad_to_multiple_of", "pad_token_type_id", "padding_side", "stride",
        "strip_accents", "tokenize_chinese_chars", "tokenizer_class", "truncation_side", "truncation_strategy",
    }
)
BERT_DEFAULTS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
"""``BertTokenizer``'s special tokens when the folder names none."""
VERY_LARGE_INTEGER = int(1e30)  # transformers' model_max_length when a folder sets none


class FolderTokenizer:
    """The subset of a transformers fast tokenizer that query encoding, snippets and vocabulary checks use."""

    is_fast = True

    def __init__(self, folder: str, backend: Any, config: dict[str, Any], added: list[str], vocab: dict[str, int]) -> None:
        self.folder = folder
        self.backend = backend
        self._tokens: list[str | None] = [None] * (max(vocab.values(), default=-1) + 1)
        for token, index in vocab.items():
            self._tokens[index] = token
        self.model_max_length: int = config.get("model_max_length") or VERY_LARGE_INTEGER
        self.truncation_side: str = config["truncation_side"]
        self.padding_side: str = config["padding_side"]
        self.pad_token: str = _content(config["pad_token"])
        self.pad_token_type_id: int = config["pad_token_type_id"]
        self._added = sorted({t for token in added for t in (token, token.lower())}, key=len, reverse=True)
        self._reference: Any = None
        self._lock = threading.Lock()  # each call sets the backend's truncation and padding

    def __len__(self) -> int:
        return int(self.backend.get_vocab_size(with_added_tokens=True))

    def get_vocab(self) -> dict[str, int]:
        """Token -> id, added tokens included (they are all in the vocabulary)."""
        return {token: index for index, token in enumerate(self._tokens) if token is not None}

    def convert_ids_to_tokens(self, ids: int | Sequence[int]) -> Any:
        """The token of each id (None for an id outside the vocabulary)."""
        tokens, size = self._tokens, len(self._tokens)
        if isinstance(ids, int):
            return tokens[ids] if 0 <= ids < size else None
        return [tokens[i] if 0 <= i < size else None for i in ids]

    def holds_added_token(self, text: str) -> bool:
        """Whether ``text`` holds an added or special token, as written or once normalized (then transformers tokenizes it)."""
        forms = (text, text.lower(), self.backend.normalizer.normalize_str(text))
        return any(token in form for form in forms for token in self._added)

    def reference(self) -> Any:
        """transformers' own tokenizer for this folder (loaded once, on first need)."""
        if self._reference is None:
            from transformers import AutoTokenizer

            self._reference = AutoTokenizer.from_pretrained(self.folder)
        return self._reference

    def encode_ids(self, texts: list[str], max_length: int) -> list[list[int]]:
        """Token ids of each text without special tokens, truncated to ``max_length`` (as ``tokenizer(texts,
        add_special_tokens=False, truncation=True, max_length=max_length)``)."""
        if any(map(self.holds_added_token, texts)):
            found = self.reference()(texts, add_special_tokens=False, truncation=True, max_length=max_length)
            return [list(ids) for ids in found["input_ids"]]
        with self._lock:
            self.backend.no_padding()
            self.backend.enable_truncation(max_length, stride=0, strategy="longest_first", direction=self.truncation_side)
            return [encoding.ids for encoding in self.backend.encode_batch(texts, add_special_tokens=False)]

    def encode_batch(self, texts: list[str], max_length: int) -> dict[str, list[list[int]]]:
        """``input_ids``, ``token_type_ids`` and ``attention_mask`` with special tokens, padded to the longest
        and truncated to ``max_length`` (as ``tokenizer(texts, padding=True, truncation="longest_first", ...)``)."""
        if any(map(self.holds_added_token, texts)):
            found = self.reference()(texts, padding=True, truncation="longest_first", max_length=max_length)
            return {key: [list(row) for row in found[key]] for key in ("input_ids", "token_type_ids", "attention_mask")}
        pad_id = self.backend.token_to_id(self.pad_token)
        with self._lock:
            self.backend.enable_padding(direction=self.padding_side, pad_id=pad_id, pad_token=self.pad_token, pad_type_id=self.pad_token_type_id)
            self.backend.enable_truncation(max_length, stride=0, strategy="longest_first", direction=self.truncation_side)
            found = self.backend.encode_batch(texts, add_special_tokens=True)
        return {
            "input_ids": [e.ids for e in found],
            "token_type_ids": [e.type_ids for e in found],
            "attention_mask": [e.attention_mask for e in found],
        }

    def __call__(self, text: str, add_special_tokens: bool = True, truncation: bool = False, **kwargs: Any) -> Any:
        """One text's encoding, untruncated, with ``input_ids``, ``offset_mapping`` and ``word_ids()`` (for snippets)."""
        if truncation or not isinstance(text, str):
            raise NotImplementedError("FolderTokenizer encodes one text without truncation here")
        if self.holds_added_token(text):
            return self.reference()(text, add_special_tokens=add_special_tokens, truncation=False, **kwargs)
        with self._lock:
            self.backend.no_padding()
            self.backend.no_truncation()
            return _Encoded(self.backend.encode(text, add_special_tokens=add_special_tokens))


class _Encoded(dict):
    """``input_ids``/``offset_mapping`` of one encoding, and its ``word_ids()``, as transformers' BatchEncoding."""

    def __init__(self, encoding: Any) -> None:
        super().__init__(input_ids=encoding.ids, offset_mapping=encoding.offsets)
        self._words = encoding.word_ids

    def word_ids(self) -> list[int | None]:
        return list(self._words)


def load_folder_tokenizer(folder: str) -> FolderTokenizer | None:
    """The folder's tokenizer when transformers would load it as a plain ``BertTokenizer``; else None."""
    config = read_json_or_none(os.path.join(folder, "tokenizer_config.json"))
    spec = read_json_or_none(os.path.join(folder, "tokenizer.json"))
    if config is None or spec is None or config.get("tokenizer_class") not in BERT_CLASSES or set(config) - _KNOWN_KEYS:
        return None
    if any(os.path.exists(os.path.join(folder, name)) for name in ("special_tokens_map.json", "added_tokens.json")):
        return None
    config = {**_json_defaults(spec), **BERT_DEFAULTS, **config}
    model = spec.get("model") or {}
    vocab = model.get("vocab")
    if isinstance(vocab, list):
        vocab = {token[0] if isinstance(token, list) else token: i for i, token in enumerate(vocab)}
    if model.get("type") not in (None, "WordPiece") or not isinstance(vocab, dict) or not _plain_settings(config):
        return None
    specials = {key: _content(config.get(key)) for key in SPECIAL_KEYS}
    unk = specials["unk_token"]
    added = [t for t in specials.values() if t] + _added_contents(config, spec)
    if unk not in vocab or any(token not in vocab for token in added):
        return None  # transformers would give such tokens new ids
    try:
        post = _post_processor(spec) if spec.get("post_processor") is not None else None
        backend = _build(vocab, unk, config, post, specials)
    except Exception:  # noqa: BLE001 - a setting `tokenizers` refuses: let transformers handle the folder
        return None
    return FolderTokenizer(folder, backend, config, added, vocab)


def same_tokenizer_files(first: str, second: str) -> bool:
    """Whether two folders hold byte-identical tokenizer files (then one `FolderTokenizer` serves both)."""
    names = ("tokenizer.json", "tokenizer_config.json")
    try:
        return all(_bytes(os.path.join(first, name)) == _bytes(os.path.join(second, name)) for name in names)
    except OSError:
        return False


def _bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _build(vocab: dict[str, int], unk: str, config: dict[str, Any], post: Any, specials: dict[str, str | None]) -> Any:
    """``BertTokenizer.__init__``'s backend: WordPiece(vocab), BertNormalizer from the config, the file's post-processor."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    backend = Tokenizer(WordPiece(vocab, unk_token=unk))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=config.get("tokenize_chinese_chars", True),
        strip_accents=config.get("strip_accents"),
        lowercase=config.get("do_lower_case", True),
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    if post is not None:
        backend.post_processor = post
    else:
        cls, sep = specials["cls_token"], specials["sep_token"]
        backend.post_processor = processors.TemplateProcessing(
            single=f"{cls}:0 $A:0 {sep}:0",
            pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
            special_tokens=[(cls, vocab.get(cls, 2)), (sep, vocab.get(sep, 3))],
        )
    return backend


def _post_processor(spec: dict[str, Any]) -> Any:
    """The post-processor of a ``tokenizer.json`` (read as transformers does: the file without its vocabulary)."""
    from tokenizers import Tokenizer

    minimal = {**spec, "model": {**spec["model"], "vocab": {}}, "added_tokens": []}
    return Tokenizer.from_str(json.dumps(minimal)).post_processor


def _json_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    """The settings transformers takes from ``tokenizer.json`` when ``tokenizer_config.json`` gives none."""
    truncation, padding = spec.get("truncation") or {}, spec.get("padding") or {}
    return {
        "truncation_side": str(truncation.get("direction", "right")).lower(),
        "padding_side": str(padding.get("direction", "right")).lower(),
        "pad_token_type_id": padding.get("pad_type_id", 0),
    }


def _plain_settings(config: dict[str, Any]) -> bool:
    """Whether the settings are ones transformers' BertTokenizer takes as this module reproduces them."""
    checks = (
        isinstance(config.get("do_lower_case", True), bool),
        isinstance(config.get("tokenize_chinese_chars", True), bool),
        config.get("strip_accents") in (None, True, False),
        config.get("model_max_length") is None or _positive_int(config["model_max_length"]),
        config["truncation_side"] in ("left", "right"),
        config["padding_side"] in ("left", "right"),
        config.get("pad_to_multiple_of") is None,
        config["pad_token_type_id"] in (0, 1),
        _content(config["pad_token"]) is not None,
        not config.get("extra_special_tokens"),
    )
    return all(checks)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _content(value: Any) -> str | None:
    """A special token's text, whether written as a string or as an AddedToken object."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else None


def _added_contents(config: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Every added token either file names (transformers matches them in raw text)."""
    entries = list((config.get("added_tokens_decoder") or {}).values()) + list(spec.get("added_tokens") or [])
    return [text for text in map(_content, entries) if text]
