"""``splade-search serve``: refuses a folder that is not an index (exit 2); serves and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from splade_search.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("make", ["empty", "missing", "file", "junk"])
def test_serving_a_folder_that_is_not_an_index_exits_2(tmp_path, make) -> None:
    target = tmp_path / "target"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("hello")
    elif make == "junk":
        target.mkdir()
        (target / "notes.txt").write_text("hello")
    result = CliRunner().invoke(app, ["serve", str(target), "--port", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and str(target) in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_then_stops_on_sigterm(index_path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", "from splade_search.cli import main; main()", "serve", str(index_path), "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 120 s"
            time.sleep(0.2)
        body = httpx.get(f"{url}/search", params={"q": "diabetes insulin", "explain": "true"}).json()
        assert body["hits"] and body["hits"][0]["terms"]
        assert "<form" in httpx.get(url).text
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn finishes requests and the app's shutdown, then re-raises the signal (exit status 143 in a shell)
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output and "Traceback" not in output
