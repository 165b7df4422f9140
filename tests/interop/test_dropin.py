"""splade_search is a drop-in for sentence-transformers' sparse-encoder training: a real script ports by its imports."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fixtures" / "st_train_splade.py.txt"

# sentence-transformers module -> the splade_search module that holds the same names
MODULES = {
    "sentence_transformers.sparse_encoder.losses": "splade_search.losses",
    "sentence_transformers.sparse_encoder.evaluation": "splade_search.evaluation",
    "sentence_transformers.sparse_encoder": "splade_search",
    "sentence_transformers.evaluation": "splade_search.evaluation",
    "sentence_transformers.training_args": "splade_search.training",
    "sentence_transformers.base.sampler": "splade_search.training",
    "sentence_transformers": "splade_search",
}
IMPORT = re.compile(r"^(from|import) (sentence_transformers[\w.]*)")


def port(source: str) -> str:
    """``source`` with only its sentence-transformers import lines pointed at splade_search."""

    def ported(line: str) -> str:
        match = IMPORT.match(line)
        if not match:
            return line
        return line[: match.start(2)] + MODULES[match.group(2)] + line[match.end(2) :]

    return "".join(ported(line) for line in source.splitlines(keepends=True))


def run_script(source: str, tmp_path: Path, model_dir: str, pythonpath: list[Path]) -> tuple[str, Path]:
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath)), "HF_HUB_OFFLINE": "1"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(script), model_dir, str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, out


def assert_trained_evaluated_saved(stdout: str, out: Path) -> None:
    assert re.search(r"^tiny_dot_ndcg@10: [01]\.\d{4}$", stdout, re.M), stdout
    assert re.search(r"^train loss: \d+\.\d{4}$", stdout, re.M), stdout
    for name in ("modules.json", "config_sentence_transformers.json", "model.safetensors", "README.md"):
        assert (out / "final" / name).is_file(), name


def test_only_import_lines_change():
    original = SCRIPT.read_text(encoding="utf-8")
    ported = port(original)
    changed = [line for line in difflib.unified_diff(original.splitlines(), ported.splitlines(), n=0, lineterm="")]
    edits = [line for line in changed if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert edits and all(IMPORT.match(line[1:]) or line[1:].startswith("from splade_search") for line in edits)
    assert "sentence_transformers" not in ported


def test_readme_shows_the_real_diff():
    original = SCRIPT.read_text(encoding="utf-8").splitlines()
    ported = port(SCRIPT.read_text(encoding="utf-8")).splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    for line in difflib.unified_diff(original, ported, n=0, lineterm=""):
        if line[:1] in "+-" and line[:3] not in ("+++", "---"):
            assert line in readme, f"README.md lacks the diff line {line!r}"


def test_ported_script_trains_evaluates_and_saves_without_sentence_transformers(tmp_path, tiny_mlm_dir):
    blocker = tmp_path / "blocker" / "sentence_transformers"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('sentence_transformers is blocked in this test')\n")
    source = port(SCRIPT.read_text(encoding="utf-8"))
    stdout, out = run_script(source, tmp_path, tiny_mlm_dir, [blocker.parent, ROOT])
    assert_trained_evaluated_saved(stdout, out)

    from splade_search import SparseEncoder

    reloaded = SparseEncoder(str(out / "final"), device="cpu")
    assert reloaded.encode_query(["what causes diabetes"]).shape[-1] == reloaded.get_sentence_embedding_dimension()


@pytest.mark.slow
def test_original_script_runs_on_sentence_transformers(tmp_path, tiny_mlm_dir):
    pytest.importorskip("sentence_transformers")
    stdout, out = run_script(SCRIPT.read_text(encoding="utf-8"), tmp_path, tiny_mlm_dir, [])
    assert_trained_evaluated_saved(stdout, out)


def test_names_match_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    import splade_search
    import splade_search.evaluation
    import splade_search.losses
    from sentence_transformers.sparse_encoder import evaluation, losses

    sparse_names = ("SparseEncoder", "SparseEncoderTrainer", "SparseEncoderTrainingArguments", "SparseEncoderModelCardData")
    assert all(name in st.__all__ and name in splade_search.__all__ for name in sparse_names)
    assert set(losses.__all__) <= set(splade_search.losses.__all__)
    assert set(evaluation.__all__) <= set(splade_search.evaluation.__all__)
    from splade_search.eval.evaluators import SparseNanoBEIREvaluator
    from splade_search.training import BatchSamplers
    from splade_search.training.losses import SpladeLoss

    assert splade_search.losses.SpladeLoss is SpladeLoss
    assert splade_search.evaluation.SparseNanoBEIREvaluator is SparseNanoBEIREvaluator
    assert {b.value for b in BatchSamplers} <= {b.value for b in st.base.sampler.BatchSamplers}


def test_importing_the_aliases_is_light():
    code = (
        "import sys, splade_search, splade_search.losses, splade_search.evaluation; "
        "print(sorted({'torch', 'transformers', 'datasets'} & set(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert output.strip() == "[]"
