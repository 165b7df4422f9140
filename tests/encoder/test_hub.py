"""Model resolution: embedded aliases, offline hub ids, push_to_hub against a mocked hub API."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from splade_search import hub
from splade_search.errors import OfflineError


def test_embedded_aliases_resolve_without_importing_the_package():
    import sys

    path = hub.resolve_model_path("splade-tiny")
    assert (path / "config.json").exists() and (path / "model.safetensors").exists()
    assert hub.resolve_model_path("default") == path
    assert "cognition" not in sys.modules


def test_minilm_alias():
    path = hub.resolve_model_path("minilm")
    assert (path / "modules.json").exists()


def test_hub_id_offline_fails_at_once_naming_local_options(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError, match="splade-tiny"):
        hub.resolve_model_path("naver/some-model-that-is-not-cached")


def test_hub_id_goes_through_snapshot_download(monkeypatch, tmp_path):
    calls = {}

    def fake_snapshot_download(repo_id, **kwargs):
        calls.update(kwargs, repo_id=repo_id)
        return str(tmp_path)

    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    assert hub.resolve_model_path("naver/splade-v3", revision="main") == tmp_path
    assert calls["repo_id"] == "naver/splade-v3" and calls["revision"] == "main" and calls["local_files_only"] is False


def test_push_to_hub_with_mocked_api(splade_model, monkeypatch):
    uploaded = {}

    class FakeApi:
        def __init__(self, token=None):
            uploaded["token"] = token

        def create_repo(self, repo_id, private=None, exist_ok=False, repo_type=None):
            uploaded["create"] = (repo_id, private, exist_ok)
            return SimpleNamespace(repo_id=repo_id)

        def create_branch(self, repo_id, branch, exist_ok=True):
            uploaded["branch"] = branch

        def upload_folder(self, repo_id, folder_path, commit_message, revision, create_pr):
            import os

            uploaded["files"] = sorted(os.listdir(folder_path))
            uploaded["message"] = commit_message
            return SimpleNamespace(commit_url=f"https://hub/{repo_id}/commit/abc", pr_url=None)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    url = splade_model.push_to_hub("me/tiny-splade", token="t0k", private=True, exist_ok=True)
    assert url == "https://hub/me/tiny-splade/commit/abc"
    assert uploaded["create"] == ("me/tiny-splade", True, True) and uploaded["token"] == "t0k"
    assert {"modules.json", "config_sentence_transformers.json", "README.md", "1_SpladePooling"} <= set(uploaded["files"])
