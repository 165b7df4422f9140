"""Backends write exports beside copies of the tiny models, and their user cache under a temporary folder."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(autouse=True)
def user_cache(tmp_path, monkeypatch):
    """``$XDG_CACHE_HOME`` for the test: exports that cannot go beside a model land here."""
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture()
def mlm_copy(tiny_mlm_dir, tmp_path):
    """A private copy of the tiny MLM folder (tests write onnx/ into it)."""
    folder = tmp_path / "mlm"
    shutil.copytree(tiny_mlm_dir, folder)
    return str(folder)


@pytest.fixture()
def bert_copy(tiny_bert_dir, tmp_path):
    """A private copy of the tiny BertModel folder (the CSR backbone)."""
    folder = tmp_path / "bert"
    shutil.copytree(tiny_bert_dir, folder)
    return str(folder)
