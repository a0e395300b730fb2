"""The built site in headless Chromium (Debian's, driven by playwright).

Each page is served from 127.0.0.1 and loaded in a real browser. The checks:
no request leaves the machine, MathJax typesets the formulas, and the page
logs no console error beyond the short allow-list below.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conftest import CONSOLE_ALLOW, HTML

pytestmark = pytest.mark.browser


PAGES = (
    sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))
    if HTML.is_dir()
    else []
)


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
def test_page_stays_on_this_machine_and_logs_no_error(
    browser, server: str, name: str
) -> None:
    page, outside, errors = load(browser, f"{server}/{name}")
    try:
        assert page.title(), f"{name} has no title"
        assert not outside, f"{name} requested {outside}"
        unexpected = [
            e for e in errors if not any(allowed in e for allowed in CONSOLE_ALLOW)
        ]
        assert not unexpected, f"{name} logged console errors: {unexpected}"
    finally:
        page.context.close()


@pytest.mark.parametrize("name", ["book/intro.html"])
def test_mathjax_typesets_the_formulas(browser, server: str, name: str) -> None:
    page, outside, _ = load(browser, f"{server}/{name}")
    try:
        # MathJax 3 resolves startup.promise once the first typeset is done.
        page.wait_for_function(
            "window.MathJax && window.MathJax.startup && window.MathJax.startup.promise"
        )
        page.evaluate("() => window.MathJax.startup.promise")
        typeset = page.locator("mjx-container").count()
        assert typeset > 0, f"MathJax typeset nothing on {name}"
        # No formula was left as raw TeX, and none failed to parse.
        assert page.locator("mjx-merror").count() == 0
        raw = page.evaluate(
            "() => [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length"
        )
        assert raw == 0, f"{raw} formulas on {name} were not typeset"
        assert not outside
    finally:
        page.context.close()
