"""A real server: a slow client holds no one else up; shutdown finishes the requests in flight."""

from __future__ import annotations

import socket
import threading
import time

import httpx
from serve_helpers import Slow, running

from splade_search.serve import create_app


def test_a_slow_client_does_not_hold_up_others() -> None:
    with running(create_app(Slow(delay=0.0))) as (url, _server):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b'POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"q": ')
            start = time.monotonic()
            answers = [httpx.get(f"{url}/search", params={"q": f"quick {i}"}, timeout=5) for i in range(5)]
            assert all(a.status_code == 200 for a in answers) and time.monotonic() - start < 5
            slow.sendall(b'"finally"}' + b" " * 484)
            assert b" 200 " in slow.recv(4096).split(b"\r\n")[0] + b" "


def test_shutdown_finishes_requests_in_flight() -> None:
    retriever = Slow(delay=1.0)
    answers: list[httpx.Response] = []
    with running(create_app(retriever)) as (url, server):
        request = threading.Thread(target=lambda: answers.append(httpx.get(f"{url}/search", params={"q": "late one"}, timeout=20)))
        request.start()
        while not retriever.batches:
            time.sleep(0.01)
        server.should_exit = True  # what SIGINT/SIGTERM do
        request.join(20)
    assert answers and answers[0].status_code == 200 and answers[0].json()["hits"][0]["id"] == "late"
