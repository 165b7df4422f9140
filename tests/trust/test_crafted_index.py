"""Crafted index folders (checksums re-sealed) fail on open with one clear error, never a crash.

Each crafted folder is opened and searched in all three modes in a child process, so a kernel that
reads out of bounds shows up as a signal (negative return code) instead of killing the test run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.indexes import CsrIndex
from splade_search.indexes.csr import compact, writers
from splade_search.indexes.manifest import file_record
from splade_search.indexes.csr.postings import Postings

N_DOCS, N_TERMS = 40, 12
CHILD = """
import sys
import numpy as np
from splade_search.indexes import SparseIndex

index = SparseIndex.open(sys.argv[1])
query = np.ones(len(index.vocab), dtype=np.float32)
hits = [index.search(query, k=5, mode=mode)[0].ids for mode in ("exact", "pruned", "approximate")]
stored = index.documents
print("searched", len(hits[0]), stored[len(stored) - 1].id if stored is not None else None)
"""


def files_folder(root: Path) -> Path:
    """The folder holding an index's files: the live generation, or the index folder itself."""
    c = root / "CURRENT"
    return root / c.read_text().strip() if c.exists() else root


def build(root: Path, **options) -> Path:
    rng = np.random.default_rng(0)
    dense = rng.random((N_DOCS, N_TERMS), dtype=np.float32) * (rng.random((N_DOCS, N_TERMS)) < 0.4)
    ids = [f"doc{i}" for i in range(N_DOCS)]
    CsrIndex.build(
        root,
        [(ids, sp.csr_matrix(dense))],
        [f"tok{i}" for i in range(N_TERMS)],
        documents=[(doc_id, "title", f"text of {doc_id}") for doc_id in ids],
        show_progress=False,
        **options,
    )
    return root


def open_and_search(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, env=env, timeout=120
    )


def edit_manifest(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def reseal(folder: Path, *names: str) -> None:
    """Record the current size and SHA-256 of ``names`` in the manifest, as a forger would."""

    def change(manifest: dict) -> None:
        for name in names:
            manifest["files"][name] = file_record(folder / name)

    edit_manifest(folder, change)


def tamper_array(name: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        array = np.load(folder / name)
        np.save(folder / name, change(array.copy()))
        reseal(folder, name)

    return tamper


def postings_of(folder: Path) -> Postings:
    return Postings(*(np.load(folder / f"postings_{part}.npy") for part in ("indptr", "docs", "weights")))


def set_doc(position: Callable[[Postings], int], value: int) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        at = position(postings_of(folder))
        tamper_array("postings_docs.npy", lambda docs: _assign(docs, at, value))(folder)

    return tamper


def _assign(array: np.ndarray, at: int, value) -> np.ndarray:
    array[at] = value
    return array


def last_posting(postings: Postings) -> int:
    """The last posting of the last non-empty term: the largest document of its term."""
    return len(postings.docs) - 1


def first_posting(postings: Postings) -> int:
    """The first posting of the first non-empty term: the smallest document of its term."""
    return 0


def duplicate_in_term(folder: Path) -> None:
    postings = postings_of(folder)
    term = int(np.flatnonzero(np.diff(postings.indptr) >= 2)[0])
    start = int(postings.indptr[term])
    tamper_array("postings_docs.npy", lambda docs: _assign(docs, start + 1, docs[start]))(folder)


def falling_indptr(indptr: np.ndarray) -> np.ndarray:
    indptr[3], indptr[4] = indptr[4] + 2, indptr[3]
    return indptr


def replace_line(name: str, line: int, text: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        lines = (folder / name).read_text().split("\n")
        lines[line] = text
        (folder / name).write_text("\n".join(lines))
        reseal(folder, name)

    return tamper


def set_field(field: str, value) -> Callable[[Path], None]:
    return lambda folder: edit_manifest(folder, lambda manifest: manifest.__setitem__(field, value))


def drop_field(field: str) -> Callable[[Path], None]:
    return lambda folder: edit_manifest(folder, lambda manifest: manifest.pop(field))


def list_file(name: str, target: Path) -> Callable[[Path], None]:
    def change(manifest: dict) -> None:
        manifest["files"][name] = file_record(target)

    return lambda folder: edit_manifest(folder, change)


def outside_file(folder: Path) -> None:
    outside = folder.parent.parent / "x"
    outside.write_text("not an index file")
    list_file("../x", outside)(folder)


def symlinked_weights(folder: Path) -> None:
    copy = folder.parent.parent / "weights-elsewhere.npy"
    copy.write_bytes((folder / "postings_weights.npy").read_bytes())
    (folder / "postings_weights.npy").unlink()
    (folder / "postings_weights.npy").symlink_to(copy)
    reseal(folder, "postings_weights.npy")


def docstore_offsets(change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        docs = folder / "docs"
        np.save(docs / "offsets.npy", change(np.load(docs / "offsets.npy")))
        reseal(docs, "offsets.npy")

    return tamper


def symlinked_docs(folder: Path) -> None:
    elsewhere = folder.parent.parent / "docs-elsewhere"
    (folder / "docs").rename(elsewhere)
    (folder / "docs").symlink_to(elsewhere)


def pointer_to(name: str) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        (folder.parent / "CURRENT").write_text(name + "\n")

    return tamper


def set_quantization(record) -> Callable[[Path], None]:
    return set_field("quantization", record)


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "doc number == num_docs": (set_doc(last_posting, N_DOCS), r"postings_docs\.npy: posting \d+ names document 40"),
    "doc number huge": (set_doc(last_posting, 2**31 - 1), r"postings_docs\.npy.*2147483647, outside 0 \.\. 39"),
    "negative doc number": (set_doc(first_posting, -1), r"postings_docs\.npy: posting 0 names document -1"),
    "duplicate doc in a term": (duplicate_in_term, r"postings_docs\.npy: term \d+ lists document \d+ after \d+"),
    "decreasing indptr": (tamper_array("postings_indptr.npy", falling_indptr), r"postings_indptr\.npy decreases"),
    "indptr end mismatch": (
        tamper_array("postings_indptr.npy", lambda a: _assign(a, -1, a[-1] - 1)),
        r"postings_indptr\.npy must run from 0 to the manifest's num_postings",
    ),
    "NaN weight": (
        tamper_array("postings_weights.npy", lambda w: _assign(w, 5, np.nan)),
        r"postings_weights\.npy: posting 5 has weight nan, not finite",
    ),
    "infinite weight": (tamper_array("postings_weights.npy", lambda w: _assign(w, 0, -np.inf)), r"not finite"),
    "float64 weights": (
        tamper_array("postings_weights.npy", lambda w: w.astype(np.float64)),
        r"postings_weights\.npy must hold \d+ weights of dtype float32.*got float64",
    ),
    "float docs": (tamper_array("postings_docs.npy", lambda d: d.astype(np.float64)), r"postings_docs\.npy must hold"),
    "uint32 docs": (tamper_array("postings_docs.npy", lambda d: d.astype(np.uint32)), r"int32 or int64 .*got uint32"),
    "int32 indptr": (tamper_array("postings_indptr.npy", lambda a: a.astype(np.int32)), r"int64 term offsets"),
    "2-D docs": (tamper_array("postings_docs.npy", lambda d: d.reshape(1, -1)), r"postings_docs\.npy must hold"),
    "files entry ../x": (outside_file, r"lists the file '\.\./x'"),
    "files entry /etc/passwd": (list_file("/etc/passwd", Path("/etc/passwd")), r"lists the file '/etc/passwd'"),
    "files entry with backslash": (list_file("a\\b", Path("/etc/passwd")), r"lists the file 'a\\\\b'"),
    "files entry ./vocab.json": (list_file("./vocab.json", Path("/etc/passwd")), r"lists the file '\./vocab\.json'"),
    "symlinked data file": (symlinked_weights, r"postings_weights\.npy is a symbolic link"),
    "files not an object": (set_field("files", ["vocab.json"]), r"manifest\.json lists no files"),
    "file bytes as string": (
        lambda f: edit_manifest(f, lambda m: m["files"]["vocab.json"].__setitem__("bytes", "12")),
        r"files\['vocab\.json'\]\.bytes must be a non-negative integer",
    ),
    "file sha256 too short": (
        lambda f: edit_manifest(f, lambda m: m["files"]["vocab.json"].__setitem__("sha256", "abc")),
        r"files\['vocab\.json'\]\.sha256 must be 64",
    ),
    "format_version -1": (set_field("format_version", -1), r"format_version must be a positive integer, got -1"),
    "format_version 1.5": (set_field("format_version", 1.5), r"format_version must be a positive integer, got 1\.5"),
    "format_version true": (set_field("format_version", True), r"format_version must be a positive integer, got True"),
    "format_version '2'": (set_field("format_version", "2"), r"format_version must be a positive integer, got '2'"),
    "missing format_version": (drop_field("format_version"), r"format_version must be a positive integer, got None"),
    "missing num_docs": (drop_field("num_docs"), r"manifest\.json lacks the field 'num_docs'"),
    "num_docs as string": (set_field("num_docs", "40"), r"field 'num_docs' must be a non-negative integer, got '40'"),
    "num_postings negative": (set_field("num_postings", -5), r"field 'num_postings' must be a non-negative integer"),
    "vocab_size zero": (set_field("vocab_size", 0), r"field 'vocab_size' must be a positive integer"),
    "backend a list": (set_field("backend", ["csr"]), r"field 'backend' must be a string"),
    "metadata a list": (set_field("metadata", []), r"field 'metadata' must be an object"),
    "has_documents a string": (set_field("has_documents", "yes"), r"field 'has_documents' must be true or false"),
    "quantization unknown dtype": (set_quantization({"dtype": "int4", "scale": 1.0}), r"quantization dtype must be"),
    "quantization dtype a list": (set_quantization({"dtype": ["int8"]}), r"quantization dtype must be"),
    "int8 without scale": (set_quantization({"dtype": "int8", "scale": None}), r"int8 needs a positive finite scale"),
    "float32 with scale": (set_quantization({"dtype": "float32", "scale": 3.0}), r"float32 takes no scale"),
    "docstore offsets beyond the file": (
        docstore_offsets(lambda o: _assign(o, -1, o[-1] + 10)),
        r"docs/offsets\.npy must run from 0 to the \d+ bytes of .*docs\.jsonl",
    ),
    "docstore offsets decreasing": (
        docstore_offsets(lambda o: _assign(o, 3, o[5])),
        r"docs/offsets\.npy decreases at document 3",
    ),
    "docstore offsets int32": (docstore_offsets(lambda o: o.astype(np.int32)), r"docs/offsets\.npy must hold 41 int64"),
    "docstore num_docs a float": (
        lambda f: edit_manifest(f / "docs", lambda m: m.__setitem__("num_docs", 40.0)),
        r"docs/manifest\.json: field 'num_docs' must be a non-negative integer",
    ),
    "duplicate doc ids": (replace_line("doc_ids.txt", 7, "doc3"), r"doc_ids\.txt: document id 'doc3' appears more"),
    "empty doc id": (replace_line("doc_ids.txt", 7, ""), r"doc_ids\.txt: document 7 has an empty id"),
    "vocab of numbers": (
        lambda f: ((f / "vocab.json").write_text(json.dumps(list(range(N_TERMS)))), reseal(f, "vocab.json")),
        r"vocab\.json: token 0 is 0, not a string",
    ),
    "symlinked docs folder": (symlinked_docs, r"docs is a symbolic link"),
    "CURRENT names ../elsewhere": (pointer_to("../elsewhere"), r"CURRENT names '\.\./elsewhere', not a generation"),
    "CURRENT names a missing generation": (pointer_to("gen-999999"), r"CURRENT names gen-999999, which is missing"),
    "unlisted postings file": (
        lambda f: edit_manifest(f, lambda m: m["files"].pop("postings_docs.npy")),
        r"manifest\.json does not list postings_docs\.npy",
    ),
}


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode >= 0, f"killed by signal {-result.returncode}:\n{result.stderr[-2000:]}"
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    assert result.returncode == 1 and last.startswith("splade_search.errors.IndexFormatError: "), result.stderr[-2000:]
    assert re.search(message, last), last


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("pristine") / "idx")


def crafted_copy(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "box" / "idx"
    shutil.copytree(pristine, root, symlinks=True)
    return root


def test_pristine_index_opens_and_searches_in_every_mode(pristine):
    result = open_and_search(pristine)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["searched", "5", f"doc{N_DOCS - 1}"]


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_index_is_refused_with_a_clear_error(pristine, tmp_path, case):
    tamper, message = CASES[case]
    root = crafted_copy(pristine, tmp_path)
    tamper(files_folder(root))
    assert_refused(open_and_search(root), message)


def reencode_compact(root: Path, change: Callable[[Postings], Postings]) -> None:
    """Re-encode a compact index's postings after ``change``, and re-seal the manifest."""
    index = CsrIndex.open(root)
    postings = change(Postings(*(np.array(array) for array in index.postings)))
    folder = files_folder(root)
    writers.write_postings(folder, postings, "compact", len(index), index.quantization.numpy_dtype)
    reseal(folder, *compact.FILES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p._replace(weights=_assign(p.weights, 2, np.nan)), r"postings_weights\.zz: posting 2 has weight"),
        (lambda p: p._replace(docs=_assign(p.docs, len(p.docs) - 1, N_DOCS)), r"postings_docs\.zz.*beyond the 40"),
    ],
)
def test_crafted_compact_index_is_refused(tmp_path, change, message):
    root = build(tmp_path / "idx", storage="compact")
    reencode_compact(root, change)
    assert_refused(open_and_search(root), message)
