"""Shared fixtures: paths of the repository and a writer of small MNIST files."""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

# The build tools in tools/ are scripts, not a package: make them importable.
sys.path.insert(0, str(ROOT / "tools"))
from standin_mnist import write_idx  # noqa: E402  (MNIST's file format, shared with the stand-in)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    """One training set of the splines chapter's experiment: 20 noisy samples of a sine."""
    from nnbook.double_descent import sample_sine_data

    return sample_sine_data(20, sigma=0.3, seed=3)


def write_tiny_mnist(root: Path) -> dict[str, np.ndarray]:
    """Write a small, valid MNIST in torchvision's layout below ``root``; return the arrays written."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(30, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(30) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(12, 28, 28)),
        "t10k-labels-idx1-ubyte": (np.arange(12) * 7) % 10,
    }
    raw = root / "MNIST" / "raw"
    for name, array in arrays.items():
        write_idx(raw / name, array)
    return {k: np.asarray(v, dtype=np.uint8) for k, v in arrays.items()}


@pytest.fixture
def tiny_mnist(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """A data root holding a small, valid MNIST in torchvision's layout.

    Returns the root and the arrays written, so tests can compare what the
    loader gives back with what is on disk.
    """
    return tmp_path, write_tiny_mnist(tmp_path)


@pytest.fixture
def mnist_root() -> Path:
    """The real data root (``$NNBOOK_DATA``), which `make test` sets."""
    root = os.environ.get("NNBOOK_DATA")
    if not root:
        pytest.skip("NNBOOK_DATA is not set: run the tests with `make test`")
    return Path(root)


@pytest.fixture(scope="session")
def html() -> Path:
    """The built site; the site checks need `make book` to have run."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built site in {HTML}: run `make book` (or `make test`) first")
    return HTML


CHROMIUM = os.environ.get("NNBOOK_CHROMIUM", "/usr/bin/chromium")

# Flags for a sandboxed machine without internet: no first-run work, and
# none of Chromium's own background connections (updates, sync, safe browsing).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(`make test` does, as root) or set NNBOOK_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


#: How long a page may take to settle (MathJax, the widgets' networks).
SETTLE_MS = 60_000

#: What open_page waits for, each level including the ones before it.
SETTLE_LEVELS = ("load", "mathjax", "widgets", "models")


def open_page(
    browser,
    url: str,
    mode: str = "light",
    viewport: dict | None = None,
    wait: str = "widgets",
    **context_options,
):
    """Open ``url`` in the theme's colour ``mode`` in a new context; return the page.

    pydata-sphinx-theme keeps the reader's choice in localStorage ("mode",
    and the resolved "theme") and writes it to ``data-mode`` and
    ``data-theme`` on <html> before the page is drawn: both are set before
    any of the page's scripts run, and the browser's own preference agrees.
    Requests that leave 127.0.0.1 are refused. ``wait`` says how far the page
    must have settled: "load" (the load event), "mathjax" (the formulas
    typeset), "widgets" (every widget built) or "models" (and the digit
    widgets' networks loaded).
    """
    level = SETTLE_LEVELS.index(wait)
    if viewport is not None:
        context_options["viewport"] = viewport
    context = browser.new_context(color_scheme=mode, **context_options)
    context.add_init_script(
        f"localStorage.setItem('mode', '{mode}');"
        f"localStorage.setItem('theme', '{mode}');"
    )
    page = context.new_page()

    def route(route):
        request = route.request.url
        if request.startswith("data:") or urlsplit(request).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load" if level == 0 else "networkidle")
    if level > 0:
        page.wait_for_function(
            """(level) => {
                const mj = window.MathJax;
                if (document.querySelector('.math')
                    && !(mj && mj.startup && mj.startup.promise)) return false;
                if (level < 2) return true;
                return [...document.querySelectorAll('[data-nnbook-widget]')]
                    .every((w) => w.dataset.ready === 'true'
                      && (level < 3 || w.dataset.nnbookWidget !== 'draw-digit'
                          || w.dataset.modelReady === 'true'));
            }""",
            arg=level,
            timeout=SETTLE_MS,
        )
        page.evaluate(
            "() => window.MathJax && window.MathJax.startup"
            " ? window.MathJax.startup.promise : null"
        )
    got = page.evaluate(
        "() => [document.documentElement.dataset.mode,"
        " document.documentElement.dataset.theme]"
    )
    assert got == [mode, mode], f"{url} is in mode/theme {got}, not {mode}"
    return page


#: Console errors that are not the site's fault. Each entry is a substring of
#: the message, with the reason it is allowed.
CONSOLE_ALLOW = {
    # Chromium may ask for /favicon.ico at the root; the book names _static/favicon.svg.
    "favicon.ico": "browser's own favicon request",
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def server(html: Path) -> Iterator[str]:
    """Serve the built site on a free port of 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
