"""The search page: self-contained, and in a real headless chromium it searches, escapes text and takes the keyboard."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from importlib import resources

import pytest
from serve_helpers import SCRIPT, running

from splade_search.serve import create_app

STATIC = resources.files("splade_search.serve") / "static"


def test_the_page_loads_nothing_from_elsewhere(client) -> None:
    html = client.get("/")
    assert html.status_code == 200 and 'id="q"' in html.text
    for name in ("index.html", "search.js", "search.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text) and "@import" not in text, name
        assert client.get(f"/static/{name}").status_code == 200
    script = (STATIC / "search.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def chromium_path() -> str:
    """Debian's chromium (installed by .ci/run); elsewhere skip saying what is missing, in CI fail."""
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    if importlib.util.find_spec("playwright") is None:
        missing("playwright is not installed (pip install -e '.[dev]')")
    path = os.environ.get("SPLADE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        missing("no chromium executable: apt-get install -y chromium (.ci/run does), or set SPLADE_CHROMIUM")
    return path


@pytest.fixture()
def page(retriever):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with running(create_app(retriever, check_every=None)) as (url, _server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1000, "height": 900})
            problems: list[str] = []
            tab.on("pageerror", lambda error: problems.append(str(error)))
            tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            tab.goto(url)
            yield tab, problems
        finally:
            browser.close()


@pytest.mark.browser
def test_typing_a_query_shows_hits_with_why(page) -> None:
    tab, problems = page
    assert tab.evaluate("document.activeElement.id") == "q"  # focused on load
    tab.keyboard.type("diabetes insulin")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#hits .hit")
    hits = tab.locator("#hits .hit")
    assert hits.count() >= 1
    first = hits.first
    assert first.locator("h2").inner_text().strip() and "score" in first.locator(".meta").inner_text()
    assert first.locator(".why li").count() >= 1 and re.search(r"\d\.\d\d×\d\.\d\d=\d\.\d\d", first.locator(".why").inner_text())
    assert "hit" in tab.locator("#status").inner_text() and "q=diabetes" in tab.url
    if os.environ.get("SPLADE_SCREENSHOT"):
        tab.screenshot(path=os.environ["SPLADE_SCREENSHOT"], full_page=True)
    assert not problems, problems


@pytest.mark.browser
def test_document_html_is_shown_as_text_never_run(page) -> None:
    tab, problems = page
    tab.fill("#q", "diabetes insulin blood sugar")
    tab.press("#q", "Enter")
    scripted = tab.locator(".hit[data-id=d0]")
    scripted.wait_for()
    assert SCRIPT in scripted.locator("h2").inner_text() and "<script>" in scripted.locator(".snippet").inner_text()
    assert tab.evaluate("window.pwned") is None
    assert tab.locator("#hits script, #hits img").count() == 0
    assert not problems, problems


@pytest.mark.browser
def test_arrow_keys_move_through_hits_and_back(page) -> None:
    tab, _ = page
    tab.keyboard.type("the cat and the dog")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#hits .hit")
    ids = tab.locator("#hits .hit").evaluate_all("hits => hits.map(h => h.dataset.id)")
    assert len(ids) >= 3
    focused = "document.activeElement.dataset.id || document.activeElement.id"
    tab.keyboard.press("ArrowDown")
    assert tab.evaluate(focused) == ids[0]
    tab.keyboard.press("ArrowDown")
    assert tab.evaluate(focused) == ids[1]
    tab.keyboard.press("Tab")
    assert tab.evaluate(focused) == ids[2]
    tab.keyboard.press("Escape")
    assert tab.evaluate(focused) == "q"
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("ArrowUp")
    assert tab.evaluate(focused) == "q"


@pytest.mark.browser
def test_readable_on_a_phone(page) -> None:
    tab, _ = page
    tab.set_viewport_size({"width": 360, "height": 740})
    tab.fill("#q", "heart disease risk cancer")
    tab.press("#q", "Enter")
    tab.wait_for_selector("#hits .hit")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    button = tab.locator("button[type=submit]").bounding_box()
    assert button["x"] + button["width"] <= 360
    font = tab.evaluate("parseFloat(getComputedStyle(document.querySelector('.snippet')).fontSize)")
    assert font >= 14
