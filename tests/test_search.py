"""The site's search finds each chapter by the words readers type.

A reader who types "backpropagation" should land on the back-propagation
chapter, although the book spells it with a hyphen: each chapter carries
index entries (the ``{index}`` directive under its title) for its common
spellings, and Sphinx's search ranks main index entries first. The test runs
the real search page in headless Chromium and reads the first result.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

# term typed into the search box -> the chapter that must come first
TERMS = {
    "backpropagation": "backprop",
    "back-propagation": "backprop",
    "backprop": "backprop",
    "chain rule": "backprop",
    "SGD": "gradient_descent",
    "stochastic gradient descent": "gradient_descent",
    "learning rate": "gradient_descent",
    "momentum": "gradient_descent",
    "ReLU": "neurons",
    "sigmoid": "neurons",
    "perceptron": "neurons",
    "activation function": "neurons",
    "cross-entropy": "losses",
    "softmax": "losses",
    "MSE": "losses",
    "double descent": "splines",
    "MNIST": "mnist_data",
    "MLP": "mnist_lab",
    "autograd": "pytorch",
    "DataLoader": "pytorch",
    "nn.Module": "pytorch",
    "Adam": "optimisers",
    "RMSprop": "optimisers",
    "optimizer": "optimisers",
    "Xavier initialisation": "optimisers",
    "He initialisation": "optimisers",
    "CNN": "cnn",
    "convolution": "cnn",
    "max pooling": "cnn",
    "regularization": "regularization",
    "weight decay": "regularization",
    "overfitting": "regularization",
    "dropout": "regularization_practice",
    "early stopping": "regularization_practice",
    "data augmentation": "regularization_practice",
}


def first_result(browser, server: str, term: str) -> str:
    """The page the site's search lists first for ``term`` (its file name)."""
    page = browser.new_page()
    try:
        page.goto(f"{server}/search.html?q={quote(term)}", wait_until="networkidle")
        # Sphinx writes its summary when the search has finished.
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results p');"
            " return s && /found|did not match/.test(s.textContent); }",
            timeout=30_000,
        )
        links = page.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map(a => a.href)"
        )
        assert links, f"searching {term!r} found nothing"
        return links[0].split("?")[0].split("#")[0].rsplit("/", 1)[-1]
    finally:
        page.close()


@pytest.mark.parametrize("term", TERMS)
def test_search_lists_the_right_chapter_first(browser, server: str, term: str) -> None:
    expected = TERMS[term] + ".html"
    assert first_result(browser, server, term) == expected
