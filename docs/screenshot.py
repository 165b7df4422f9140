"""Take docs/search-page.png: serve an index on loopback and photograph the search page in headless chromium.

    PYTHONPATH=. python docs/screenshot.py INDEX "query text" [--out docs/search-page.png]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import threading
import time
from urllib.parse import quote


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index")
    parser.add_argument("query")
    parser.add_argument("--out", default="docs/search-page.png")
    parser.add_argument("--hits", type=int, default=3, help="hits to keep in the picture")
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from splade_search.serve import create_app, load_retriever

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(load_retriever(args.index)), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/?q={quote(args.query)}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 700}, device_scale_factor=1)
        page.goto(url)
        page.wait_for_selector("#hits .hit")
        page.evaluate(f"document.querySelectorAll('#hits .hit').forEach((h, i) => {{ if (i >= {args.hits}) h.remove(); }})")
        page.locator("#q").focus()
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    server.should_exit = True
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
