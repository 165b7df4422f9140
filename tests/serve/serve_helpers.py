"""What the server tests share: a corpus with HTML in it and a real uvicorn server in a thread."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from splade_search.data import Document
from splade_search.retrieval.hits import Hit, Retriever

WORDS = (
    "the a of and in is diabetes disease insulin sugar blood cell cells cancer protein gene genes study patients "
    "risk heart brain lung liver virus infection apple banana fruit weather rain sun dog cat house car city river music"
).split()
SCRIPT = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"


def corpus(n: int = 40, seed: int = 0, prefix: str = "d") -> list[Document]:
    """``n`` documents of random words; the first has HTML in its title and text."""
    rng = random.Random(seed)
    docs = [Document(f"{prefix}{i}", f"Title {prefix}{i}", " ".join(rng.choices(WORDS, k=14))) for i in range(n)]
    docs[0] = Document(f"{prefix}0", f"{SCRIPT} diabetes", f"diabetes insulin blood {SCRIPT} sugar")
    return docs


class Echo(Retriever):
    """A retriever without an index or model: one hit per query word; no ``explain``."""

    name = "echo"

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.batches: list[list[str]] = []

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        self.batches.append(list(queries))
        if self.fail_on is not None and self.fail_on in queries:
            raise RuntimeError("secret internal detail")
        return [[Hit(id=w, score=1.0 / r, rank=r, text=q) for r, w in enumerate(q.split()[:k], start=1)] for q in queries]


class Slow(Echo):
    """`Echo` that takes ``delay`` seconds per batch, so queries pile up while one batch runs."""

    def __init__(self, delay: float = 0.05, **kwargs) -> None:
        super().__init__(**kwargs)
        self.delay = delay

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        time.sleep(self.delay)
        return super().search_batch(queries, k)


@contextmanager
def running(app, *, graceful: float = 5.0) -> Iterator[tuple[str, object]]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields the base URL and the server."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=graceful)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
