"""The built site in headless Chromium (Debian's, driven by playwright).

Each page is served from 127.0.0.1 and loaded in a real browser. The checks:
no request leaves the machine, MathJax typesets the formulas, and the page
logs no console error beyond the short allow-list below.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import HTML

pytestmark = pytest.mark.browser

#: Console errors that are not the site's fault. Each entry is a substring of
#: the message, with the reason it is allowed.
CONSOLE_ALLOW = {
    # Chromium asks every site for /favicon.ico; the book has no favicon.
    "favicon.ico": "browser's own favicon request",
}

PAGES = sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html")) if HTML.is_dir() else []


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def server(html: Path) -> Iterator[str]:
    """Serve the built site on a free port of 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def load(browser, url: str):
    """Open ``url``; return the page, the requests that left 127.0.0.1 and console errors."""
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(url, wait_until="networkidle")
    return page, outside, errors


@pytest.mark.parametrize("name", PAGES)
def test_page_stays_on_this_machine_and_logs_no_error(browser, server: str, name: str) -> None:
    page, outside, errors = load(browser, f"{server}/{name}")
    try:
        assert page.title(), f"{name} has no title"
        assert not outside, f"{name} requested {outside}"
        unexpected = [e for e in errors if not any(allowed in e for allowed in CONSOLE_ALLOW)]
        assert not unexpected, f"{name} logged console errors: {unexpected}"
    finally:
        page.context.close()


@pytest.mark.parametrize("name", ["book/intro.html"])
def test_mathjax_typesets_the_formulas(browser, server: str, name: str) -> None:
    page, outside, _ = load(browser, f"{server}/{name}")
    try:
        # MathJax 3 resolves startup.promise once the first typeset is done.
        page.wait_for_function("window.MathJax && window.MathJax.startup && window.MathJax.startup.promise")
        page.evaluate("() => window.MathJax.startup.promise")
        typeset = page.locator("mjx-container").count()
        assert typeset > 0, f"MathJax typeset nothing on {name}"
        # No formula was left as raw TeX, and none failed to parse.
        assert page.locator("mjx-merror").count() == 0
        raw = page.evaluate("() => [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length")
        assert raw == 0, f"{raw} formulas on {name} were not typeset"
        assert not outside
    finally:
        page.context.close()
