"""A text folder is untrusted: only its regular files are read, links stay inside it unless asked,
and everything skipped is named in one warning per file, never a traceback or a hang (issue 11, item 3)."""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
import urllib.parse
import warnings
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from splade_search.data import DataWarning, Document, count_documents, read_corpus, read_run, write_run
from splade_search.data import textfiles

TIMEOUT_S = 20
T = TypeVar("T")


def read_folder(folder: Path, **options: Any) -> tuple[list[Document], list[str]]:
    """The documents of ``folder`` and the DataWarning messages, read within :data:`TIMEOUT_S`."""
    return within_timeout(lambda: list(read_corpus(folder, **options)), folder)


def within_timeout(read: Callable[[], T], folder: Path) -> tuple[T, list[str]]:
    """``read()`` and the DataWarning messages it emits, run in a thread so that a hang fails the test."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outcome["result"] = read()
            outcome["warnings"] = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        except BaseException as err:  # handed to the test thread below
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIMEOUT_S)
    if worker.is_alive():
        _release_fifos(folder)
        pytest.fail(f"reading {folder} did not finish within {TIMEOUT_S} s (blocked on a FIFO or walking a loop?)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], outcome["warnings"]


def _release_fifos(folder: Path) -> None:
    """Open every FIFO under ``folder`` for writing, which unblocks a reader stuck opening it."""
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass


def ids(documents: list[Document]) -> list[str]:
    return [document.id for document in documents]


def warned(messages: list[str], path: Path, reason: str) -> bool:
    """Whether exactly one message names ``path`` and says ``reason``."""
    return sum(1 for message in messages if message.startswith(f"{path}: ") and reason in message) == 1


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.md").write_text("# Beta\nbeta body")
    return folder


def test_fifo_named_txt_is_skipped_without_blocking(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    os.mkfifo(folder / "x.txt")
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, folder / "x.txt", "named pipe (FIFO)")
    assert count_documents(folder) == 2


def test_file_replaced_by_a_fifo_after_listing_does_not_block(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "z.txt").write_text("zeta")
    stream = textfiles.read_text_folder(folder)
    assert next(stream)[1].id == "a.txt"
    (folder / "z.txt").unlink()
    os.mkfifo(folder / "z.txt")
    rest, messages = within_timeout(lambda: [where for where, _ in stream], folder)
    assert rest == [str(folder / "sub" / "b.md")]
    assert warned(messages, folder / "z.txt", "replaced between listing and reading (now a named pipe")


def test_file_that_vanishes_before_reading_is_skipped_by_name(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    stream = textfiles.read_text_folder(folder)
    with pytest.warns(DataWarning) as caught:
        next(stream)
        (folder / "sub" / "b.md").unlink()
        assert list(stream) == []
    assert warned([str(w.message) for w in caught], folder / "sub" / "b.md", "vanished")


def test_link_out_of_the_folder_is_not_read_unless_asked(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    secrets = tmp_path / "private"
    secrets.mkdir()
    (secrets / "token.txt").write_text("TOP-SECRET-TOKEN")
    (folder / "leak.txt").symlink_to(secrets / "token.txt")
    (folder / "sub" / "private").symlink_to(Path("..", "..", "private"))
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert not any("TOP-SECRET" in document.text for document in documents)
    assert warned(messages, folder / "leak.txt", "outside the folder")
    assert warned(messages, folder / "sub" / "private", "outside the folder")
    assert count_documents(folder) == 2

    followed, messages = read_folder(folder, follow_symlinks=True)
    assert ids(followed) == ["a.txt", "leak.txt", "sub/b.md"]
    assert followed[1].text == "TOP-SECRET-TOKEN"
    assert warned(messages, folder / "sub" / "private" / "token.txt", "a second name for 'leak.txt'")
    assert count_documents(folder, follow_symlinks=True) == 3


def test_dangling_link_is_skipped_by_name(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "gone.txt").symlink_to(folder / "missing.txt")
    (folder / "gone-folder").symlink_to(tmp_path / "nowhere")
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, folder / "gone.txt", "dangling link")
    assert warned(messages, folder / "gone-folder", "dangling link")


@pytest.mark.parametrize("follow_symlinks", [False, True])
def test_link_loops_are_skipped_by_name(tmp_path: Path, follow_symlinks: bool) -> None:
    folder = make_folder(tmp_path)
    (folder / "loop-a.txt").symlink_to("loop-b.txt")
    (folder / "loop-b.txt").symlink_to("loop-a.txt")
    (folder / "sub" / "parent").symlink_to("..")
    (folder / "sub" / "self").symlink_to(".")
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "deeper" / "c.txt").write_text("gamma")
    (outside / "deeper" / "up").symlink_to("..")
    (folder / "out").symlink_to(outside)
    documents, messages = read_folder(folder, follow_symlinks=follow_symlinks)
    expected = ["a.txt", "out/deeper/c.txt", "sub/b.md"] if follow_symlinks else ["a.txt", "sub/b.md"]
    assert ids(documents) == expected
    assert warned(messages, folder / "loop-a.txt", "link loop")
    assert warned(messages, folder / "loop-b.txt", "link loop")
    assert warned(messages, folder / "sub" / "parent", "a loop: it leads back to the corpus folder itself")
    assert warned(messages, folder / "sub" / "self", "a loop: it leads back to 'sub'")
    if follow_symlinks:
        assert warned(messages, folder / "out" / "deeper" / "up", "a loop: it leads back to 'out'")
    assert count_documents(folder, follow_symlinks=follow_symlinks) == len(expected)


def test_links_inside_the_folder_read_each_file_once(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "alias.txt").symlink_to("a.txt")
    (folder / "sub-again").symlink_to("sub")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "key.txt").write_text("hidden key")
    (folder / "key.txt").symlink_to(Path(".hidden", "key.txt"))
    (folder / "data.rst").write_text("only reachable through its link")
    (folder / "data.txt").symlink_to("data.rst")
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "data.txt", "sub/b.md"]
    assert documents[1].text == "only reachable through its link"
    assert warned(messages, folder / "alias.txt", "a second name for 'a.txt'")
    assert warned(messages, folder / "sub-again", "a second name for 'sub'")
    assert warned(messages, folder / "key.txt", "hidden")
    assert count_documents(folder) == 3


def test_devices_and_sockets_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path)
    (folder / "zero.txt").symlink_to("/dev/zero")
    monkeypatch.chdir(folder)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.md")
        documents, messages = read_folder(folder, follow_symlinks=True)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, folder / "zero.txt", "a device, not a regular file")
    assert warned(messages, folder / "sock.md", "a socket, not a regular file")


def test_device_file_in_the_folder_is_not_read(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    try:
        os.mknod(folder / "null.txt", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device file needs CAP_MKNOD")
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, folder / "null.txt", "a device")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode; see the patched tests below")
def test_file_without_read_permission_is_skipped(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "locked.txt").write_text("locked")
    (folder / "locked.txt").chmod(0)
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, folder / "locked.txt", "permission denied")


def test_file_reported_unreadable_when_listed_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path)
    locked = folder / "locked.txt"
    locked.write_text("locked")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and real_access(path, mode, **kw))
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, locked, "permission denied")
    assert count_documents(folder) == 2


def test_permission_denied_on_open_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path)
    locked = folder / "locked.txt"
    locked.write_text("locked")
    real_open = os.open

    def open_denying(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", open_denying)
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt", "sub/b.md"]
    assert warned(messages, locked, "cannot be read (Permission denied)")


def test_unlistable_subfolder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path)
    real_scandir = os.scandir

    def scandir_denying(path: Any) -> Any:
        if Path(path) == folder / "sub":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir_denying)
    documents, messages = read_folder(folder)
    assert ids(documents) == ["a.txt"]
    assert warned(messages, folder / "sub", "folder cannot be listed (Permission denied)")


def test_file_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "big.txt").write_text("x" * 101)
    with pytest.warns(DataWarning) as caught:
        read = [document.id for _, document in textfiles.read_text_folder(folder, max_bytes=100)]
    assert read == ["a.txt", "sub/b.md"]
    assert warned([str(w.message) for w in caught], folder / "big.txt", "larger than 100 bytes (101 bytes)")


def test_ids_are_percent_encoded_and_survive_a_trec_run(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    names = ["my notes.txt", "100%.txt", "tab\there.txt", "line\nbreak.txt", "wide\u3000space.txt", "my%20notes.txt"]
    for name in names:
        (folder / name).write_text(f"text of {name}")
    raw_name = os.fsdecode(b"caf\xe9.txt")
    (folder / raw_name).write_text("latin-1 file name")
    documents, messages = read_folder(folder)
    by_id = {document.id: document for document in documents}
    assert "my%20notes.txt" in by_id and by_id["my%20notes.txt"].text == "text of my notes.txt"
    assert by_id["my%2520notes.txt"].text == "text of my%20notes.txt"
    assert {"100%25.txt", "tab%09here.txt", "line%0Abreak.txt", "wide%E3%80%80space.txt", "caf%E9.txt"} <= set(by_id)
    for document in documents:
        assert document.id.split() == [document.id]
        document.id.encode("utf-8")
        assert (folder / os.fsdecode(urllib.parse.unquote_to_bytes(document.id))).is_file()
    run_file = tmp_path / "run.trec"
    write_run(run_file, {"q1": {document.id: 1.0 / (rank + 1) for rank, document in enumerate(documents)}})
    assert set(read_run(run_file)["q1"]) == set(by_id)
    assert not messages


def test_count_agrees_with_read_on_a_hostile_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    os.mkfifo(folder / "pipe.md")
    (folder / "dangling.txt").symlink_to("nothing")
    (folder / "loop").symlink_to(".")
    (folder / "etc-passwd.txt").symlink_to("/etc/passwd")
    for follow_symlinks in (False, True):
        documents, _ = read_folder(folder, follow_symlinks=follow_symlinks)
        assert count_documents(folder, follow_symlinks=follow_symlinks) == len(documents)
