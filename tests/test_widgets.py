"""The interactive figures of the built site, in headless Chromium.

The widgets (book/_static/widgets/nnbook-widgets.js) are built by the page's
JavaScript from elements that the chapters' hidden cells write from their
Python objects. Here each one is driven like a reader would (sliders,
buttons, the keyboard), and the numbers it shows are compared with what
`nnbook` computes for the same settings: the neuron's output with
`nnbook.neuron`, the first iterates of gradient descent with `nnbook.optim`
(and where it diverges), the convolution with `nnbook.conv`, and the digit
demo's networks (the lab's MLP, the CNN chapter's CNN and MLP) with PyTorch
running the weights the chapters exported; digits are drawn on it with the
mouse, centred as MNIST did or left where they were drawn. Every page is
served from 127.0.0.1; no request may leave it and nothing may be logged as
a console error (the widgets log one when their numbers disagree with the
values the chapter computed).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import torch

from conftest import CONSOLE_ALLOW
from nnbook import optim
from nnbook.neuron import PartyDecision, perceptron, sigmoid_neuron

pytestmark = pytest.mark.browser

NEURON_PAGE = "book/neurons.html"
GD_PAGE = "book/gradient_descent.html"
CONV_PAGE = "book/cnn.html"
DIGIT_PAGE = "book/mnist_lab.html"
CNN_PAGE = CONV_PAGE
#: The weights the MNIST lab exports for the digit widget, in the built site.
MODEL_FILE = "_static/generated/mnist_mlp.json"
#: The weights the CNN chapter exports for its two-network digit widget.
CNN_FILE = "_static/generated/mnist_cnn.json"

#: The lecture's worked example of a convolution (the CNN chapter's).
LECTURE_IMAGE = [
    [7, 2, 3, 3, 8],
    [4, 5, 3, 8, 4],
    [3, 3, 2, 8, 4],
    [2, 8, 7, 2, 7],
    [5, 4, 4, 5, 4],
]
LECTURE_KERNEL = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]


NEURON = '[data-nnbook-widget="sigmoid-neuron"]'
GD = '[data-nnbook-widget="gradient-descent"]'
CONV = '[data-nnbook-widget="conv-stepper"]'
DIGIT = '[data-nnbook-widget="draw-digit"]'


# --- serving the site and opening a page ------------------------------------------------


@dataclasses.dataclass
class Visit:
    """An open page, with the requests that tried to leave 127.0.0.1 and the console errors."""

    page: object
    outside: list[str]
    errors: list[str]

    def state(self, name: str) -> dict:
        return self.page.evaluate(f"() => window.nnbookWidgets.{name}.state()")

    def assert_clean(self) -> None:
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"
        unexpected = [
            e for e in self.errors if not any(allowed in e for allowed in CONSOLE_ALLOW)
        ]
        assert not unexpected, f"console errors: {unexpected}"


@pytest.fixture
def visit(browser, server: str, html: Path):
    """Open a page of the site whose widget (a CSS selector) must be ready."""
    contexts = []

    def open_page(name: str, widget: str, **context_options) -> Visit:
        if not (html / name).is_file():
            pytest.fail(f"{name} is not in the built site {html}")
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page, [], [])

        def route(route):
            url = route.request.url
            if url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1":
                route.continue_()
            else:
                visit.outside.append(url)
                route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: visit.errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
        page.goto(f"{server}/{name}", wait_until="networkidle")
        if context_options.get("java_script_enabled", True):
            assert page.locator(widget).count() == 1, (
                f"{name} has no single widget {widget}"
            )
            page.wait_for_selector(f'{widget}[data-ready="true"]', timeout=10_000)
        return visit

    yield open_page
    for context in contexts:
        context.close()


def set_slider(visit: Visit, selector: str, value: object) -> None:
    """Move a range input to ``value`` as a reader's drag would (an input event)."""
    text = str(value)
    got = visit.page.eval_on_selector(
        selector,
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); return el.value; }",
        text,
    )
    assert float(got) == float(text), f"{selector} went to {got}, not {text}"


def shown(visit: Visit, selector: str) -> str:
    """The text of an element, with the typographic minus sign read as '-'."""
    return visit.page.locator(selector).inner_text().replace("\u2212", "-")


def data_attribute(visit: Visit, widget: str, name: str):
    return json.loads(visit.page.get_attribute(widget, f"data-{name}"))


# --- the sigmoid neuron -----------------------------------------------------------------


def set_neuron(visit: Visit, party: PartyDecision, weights, bias, x) -> None:
    for factor, w, xj in zip(party.factors, weights, x):
        set_slider(visit, f'{NEURON} input[data-name="w-{factor}"]', w)
        set_slider(visit, f'{NEURON} input[data-name="x-{factor}"]', xj)
    set_slider(visit, f'{NEURON} input[data-name="bias"]', bias)


def test_neuron_widget_starts_from_the_chapters_party(visit) -> None:
    v = visit(NEURON_PAGE, NEURON)
    party = PartyDecision()
    assert tuple(data_attribute(v, NEURON, "factors")) == party.factors
    assert tuple(data_attribute(v, NEURON, "weights")) == party.weights
    assert data_attribute(v, NEURON, "bias") == party.bias
    state = v.state("sigmoidNeuron")
    assert state["w"] == list(party.weights) and state["b"] == party.bias
    assert state["a"] == pytest.approx(float(party.output(state["x"])), abs=1e-15)
    assert v.page.locator(NEURON).is_visible()
    v.assert_clean()


@pytest.mark.parametrize(
    ("weights", "bias", "x"),
    [
        ((3.7, -1.2, 2.5), -0.8, (0.3, 0.9, 0.6)),
        ((2.0, 4.0, -3.0), -2.5, (1.0, 1.0, 0.0)),  # the chapter's best evening
        ((0.1, 11.9, -7.3), 4.4, (0.05, 0.95, 1.0)),
        (
            (12.0, 12.0, 12.0),
            12.0,
            (1.0, 1.0, 1.0),
        ),  # z = 48: far off the chart, a = 1 to 16 digits
        ((-12.0, -12.0, -12.0), -12.0, (1.0, 1.0, 1.0)),  # z = -48: a is tiny but not 0
        (
            (0.0, 0.0, 0.0),
            0.0,
            (0.5, 0.5, 0.5),
        ),  # z = 0 exactly: a = 1/2, the perceptron says 0
    ],
    ids=["arbitrary", "best-evening", "mixed", "z=48", "z=-48", "z=0"],
)
def test_neuron_output_equals_nnbook(visit, weights, bias, x) -> None:
    v = visit(NEURON_PAGE, NEURON)
    party = dataclasses.replace(PartyDecision(), weights=weights, threshold=-bias)
    set_neuron(v, party, weights, bias, x)
    state = v.state("sigmoidNeuron")
    assert state["w"] == list(weights) and state["b"] == bias and state["x"] == list(x)

    a = float(party.output(list(x)))
    z = float(party.weighted_input(list(x)))
    assert a == float(sigmoid_neuron(list(x), list(weights), bias))
    assert state["z"] == pytest.approx(z, rel=1e-12, abs=1e-12)
    assert state["a"] == pytest.approx(a, rel=1e-12, abs=1e-300)
    assert (
        state["perceptron"]
        == int(perceptron(list(x), list(weights), bias))
        == int(party.perceptron(list(x)))
    )
    # What the reader sees, and the unrounded values behind it.
    assert shown(v, f'{NEURON} output[data-name="a"]') == f"{a:.4f}"
    assert shown(v, f'{NEURON} output[data-name="z"]') == f"{z:.2f}".replace(
        "-0.00", "0.00"
    )
    assert (
        float(v.page.get_attribute(f'{NEURON} output[data-name="a"]', "data-value"))
        == state["a"]
    )
    contributions = party.contributions(list(x))
    for factor in party.factors:
        value = float(
            v.page.get_attribute(
                f'{NEURON} output[data-name="contribution-{factor}"]', "data-value"
            )
        )
        assert value == pytest.approx(contributions[factor], abs=1e-15)
    v.assert_clean()


def test_neuron_sliders_are_labelled_and_keyboard_usable(visit) -> None:
    v = visit(NEURON_PAGE, NEURON)
    labels = v.page.eval_on_selector_all(
        f"{NEURON} input",
        "els => els.map(el => [el.type, [...el.labels].map(l => l.textContent.trim()).join(' ')])",
    )
    assert len(labels) == 7  # three values, three weights, the bias
    for kind, label in labels:
        assert kind == "range" and label, f"an unlabelled input: {labels}"
    before = v.state("sigmoidNeuron")
    bias = v.page.locator(f'{NEURON} input[data-name="bias"]')
    bias.focus()
    v.page.keyboard.press("ArrowRight")
    v.page.keyboard.press("ArrowRight")
    state = v.state("sigmoidNeuron")
    assert state["b"] == pytest.approx(before["b"] + 0.2, abs=1e-12)
    assert state["a"] == pytest.approx(
        float(sigmoid_neuron(state["x"], state["w"], state["b"])), rel=1e-12
    )
    assert bias.get_attribute("aria-valuetext").startswith("bias")
    v.assert_clean()


# --- gradient descent on the notched loss -----------------------------------------------


def notch(params: dict):
    """The chapter's notched bowl and its gradient, with its parameters as on the page."""
    k, depth, at, width = (params[name] for name in ("k", "depth", "at", "width"))

    def loss(w):
        w = np.asarray(w, dtype=float)[0]
        return float(0.5 * k * w**2 - depth * np.exp(-((w - at) ** 2) / (2 * width**2)))

    def grad(w):
        w = np.asarray(w, dtype=float)
        return k * w + depth * (w - at) / width**2 * np.exp(
            -((w - at) ** 2) / (2 * width**2)
        )

    return loss, grad


def gd_settings(v: Visit) -> dict:
    """What the page says about the loss and the run, from the chapter's Python."""
    names = ("loss-params", "w0", "eta", "etas", "max-steps", "max-growth", "check")
    settings = {name: data_attribute(v, GD, name) for name in names}
    assert v.page.get_attribute(GD, "data-loss") == "notch"
    return settings


def python_run(
    settings: dict, eta: float, gamma: float, steps: int
) -> optim.Trajectory:
    loss, grad = notch(settings["loss-params"])
    kwargs = {"max_growth": settings["max-growth"], "warn": False}
    if gamma == 0:
        return optim.gradient_descent(grad, settings["w0"], eta, steps, loss, **kwargs)
    return optim.momentum(grad, settings["w0"], eta, gamma, steps, loss, **kwargs)


def set_gd(v: Visit, settings: dict, eta: float, gamma: float) -> None:
    set_slider(v, f'{GD} input[data-name="eta"]', settings["etas"].index(eta))
    set_slider(v, f'{GD} input[data-name="gamma"]', gamma)
    state = v.state("gradientDescent")
    assert (state["eta"], state["gamma"], state["step"]) == (eta, gamma, 0)


def test_gd_widget_runs_on_the_chapters_loss(visit) -> None:
    """The loss written here, with the page's parameters, gives the chapter's own runs."""
    v = visit(GD_PAGE, GD)
    settings = gd_settings(v)
    assert settings["max-growth"] == optim.MAX_GROWTH
    assert len(settings["check"]) >= 3
    for check in settings["check"]:
        run = python_run(settings, check["eta"], check["gamma"], len(check["w"]) - 1)
        np.testing.assert_array_equal(run.w[:, 0], check["w"])
    state = v.state("gradientDescent")
    assert state["w"] == [settings["w0"]] and state["eta"] == settings["eta"]
    v.assert_clean()


@pytest.mark.parametrize(
    ("eta", "gamma"),
    [(0.2, 0.0), (0.2, 0.7), (0.5, 0.9), (2, 0.35), (0.05, 0.99), (11, 0.0)],
)
def test_gd_first_ten_iterates_equal_nnbook_optim(
    visit, eta: float, gamma: float
) -> None:
    v = visit(GD_PAGE, GD)
    settings = gd_settings(v)
    set_gd(v, settings, eta, gamma)
    step = v.page.locator(f'{GD} button[data-name="step"]')
    for _ in range(10):
        step.click()
    state = v.state("gradientDescent")
    expected = python_run(settings, eta, gamma, 10)
    assert state["step"] == 10 and not expected.diverged
    np.testing.assert_allclose(state["w"], expected.w[:, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(state["loss"], expected.loss, rtol=1e-12, atol=1e-14)
    assert shown(v, f'{GD} output[data-name="k"]') == "10"
    assert shown(v, f'{GD} output[data-name="w"]') == f"{expected.w[-1, 0]:.4f}"
    assert (
        float(v.page.get_attribute(f'{GD} output[data-name="w"]', "data-value"))
        == state["w"][-1]
    )
    v.assert_clean()


@pytest.mark.parametrize("which", ["largest", "just above 2/k"])
def test_gd_divergence_is_shown_where_nnbook_optim_sees_it(visit, which: str) -> None:
    v = visit(GD_PAGE, GD)
    settings = gd_settings(v)
    k = settings["loss-params"]["k"]
    eta = (
        max(settings["etas"])
        if which == "largest"
        else min(e for e in settings["etas"] if e > 2 / k)
    )
    set_gd(v, settings, eta, 0.0)
    v.page.locator(f'{GD} button[data-name="run"]').click()
    v.page.wait_for_function(
        "() => window.nnbookWidgets.gradientDescent.state().diverged", timeout=30_000
    )
    state = v.state("gradientDescent")
    expected = python_run(settings, eta, 0.0, settings["max-steps"])
    assert expected.diverged
    assert state["divergedAt"] == expected.diverged_at
    np.testing.assert_allclose(state["w"], expected.w[:, 0], rtol=1e-9)
    status = v.page.locator(f"{GD} .nnbook-status")
    assert status.is_visible() and status.get_attribute("data-state") == "diverged"
    assert f"Diverged at step {expected.diverged_at}" in status.inner_text()
    # Shown, not hidden: the ball is drawn (at the edge, with its w) and the step button stops.
    assert v.page.locator(f"{GD} .nnbook-ball").is_visible()
    assert "w =" in v.page.locator(f"{GD} .nnbook-offchart").text_content()
    assert v.page.locator(f'{GD} button[data-name="step"]').is_disabled()
    v.assert_clean()


@pytest.mark.parametrize(("gamma", "where"), [(0.0, "notch"), (0.7, "minimum")])
def test_gd_run_settles_where_nnbook_optim_does(
    visit, gamma: float, where: str
) -> None:
    v = visit(GD_PAGE, GD)
    settings = gd_settings(v)
    set_gd(v, settings, settings["eta"], gamma)
    v.page.locator(f'{GD} button[data-name="run"]').click()
    v.page.wait_for_function(
        "() => !window.nnbookWidgets.gradientDescent.state().running", timeout=60_000
    )
    state = v.state("gradientDescent")
    assert state["settled"] and not state["diverged"]
    expected = python_run(settings, settings["eta"], gamma, state["step"])
    np.testing.assert_allclose(state["w"], expected.w[:, 0], rtol=1e-9, atol=1e-12)
    assert where in v.page.locator(f"{GD} .nnbook-status").inner_text()
    v.assert_clean()


def test_gd_controls_are_labelled_and_keyboard_usable(visit) -> None:
    v = visit(GD_PAGE, GD)
    settings = gd_settings(v)
    for name in ("eta", "gamma"):
        label = v.page.eval_on_selector(
            f'{GD} input[data-name="{name}"]',
            "el => [...el.labels].map(l => l.textContent).join(' ')",
        )
        assert label.strip(), f"the {name} slider has no label"
    gamma = v.page.locator(f'{GD} input[data-name="gamma"]')
    gamma.focus()
    v.page.keyboard.press("ArrowRight")
    assert v.state("gradientDescent")["gamma"] == 0.01
    eta = v.page.locator(f'{GD} input[data-name="eta"]')
    eta.focus()
    v.page.keyboard.press("ArrowRight")
    index = settings["etas"].index(settings["eta"])
    assert v.state("gradientDescent")["eta"] == settings["etas"][index + 1]
    v.page.locator(f'{GD} button[data-name="step"]').focus()
    v.page.keyboard.press("Enter")
    v.page.keyboard.press("Space")
    state = v.state("gradientDescent")
    assert state["step"] == 2
    np.testing.assert_allclose(
        state["w"], python_run(settings, state["eta"], 0.01, 2).w[:, 0], rtol=1e-12
    )
    v.page.locator(f'{GD} button[data-name="reset"]').click()
    assert v.state("gradientDescent")["step"] == 0
    v.assert_clean()


# --- the convolution stepper ------------------------------------------------------------


def test_conv_stepper_fills_the_output_as_nnbook_conv(visit) -> None:
    from nnbook.conv import correlate2d

    v = visit(CONV_PAGE, CONV)
    image, kernel = data_attribute(v, CONV, "image"), data_attribute(v, CONV, "kernel")
    assert (image, kernel) == (LECTURE_IMAGE, LECTURE_KERNEL)
    expected = correlate2d(np.array(image), np.array(kernel))
    assert expected[0, 0] == 6  # the lecture's top-left cell
    rows, cols = expected.shape
    cell = f"{CONV} table[data-name='output'] td"
    assert v.page.locator(cell).count() == expected.size
    assert all(t == "" for t in v.page.locator(cell).all_inner_texts()), (
        "the output starts empty"
    )

    step = v.page.locator(f'{CONV} button[data-name="step"]')
    for n in range(expected.size):
        step.click()
        i, j = divmod(n, cols)
        state = v.state("convStepper")
        assert state["position"] == n
        for r in range(rows):
            for c in range(cols):
                value = state["output"][r][c]
                assert value == (expected[r, c] if r * cols + c <= n else None)
        td = v.page.locator(
            f"{CONV} table[data-name='output'] td[data-row='{i}'][data-col='{j}']"
        )
        assert float(td.get_attribute("data-value")) == expected[i, j]
        assert (
            shown(
                v,
                f"{CONV} table[data-name='output'] td[data-row='{i}'][data-col='{j}']",
            )
            == f"{expected[i, j]:g}"
        )
        # The window covers the patch that made this cell.
        window = v.page.eval_on_selector_all(
            f"{CONV} table[data-name='image'] td.nnbook-window",
            "els => els.map(e => [+e.dataset.row, +e.dataset.col])",
        )
        assert sorted(map(tuple, window)) == [
            (i + p, j + q) for p in range(len(kernel)) for q in range(len(kernel[0]))
        ]
        assert shown(v, f"{CONV} .nnbook-conv-sum").endswith(f"= {expected[i, j]:g}")
    assert step.is_disabled()
    v.page.locator(f'{CONV} button[data-name="reset"]').click()
    assert v.state("convStepper")["position"] == -1
    v.page.locator(f'{CONV} button[data-name="all"]').click()
    np.testing.assert_array_equal(
        np.array(v.state("convStepper")["output"], dtype=float), expected
    )
    v.assert_clean()


# --- draw a digit -----------------------------------------------------------------------


#: The board is 280 x 280 canvas pixels; the strokes of a reader's "1" and "7" on it.
BOARD = 280
STROKES = {
    1: [[(140, 40), (136, 240)]],
    7: [[(70, 50), (210, 50), (120, 240)]],
}


def open_digit(visit, **context_options) -> Visit:
    """The lab page, once the digit widget has fetched and checked the network."""
    v = visit(DIGIT_PAGE, DIGIT, **context_options)
    v.page.wait_for_selector(f'{DIGIT}[data-model-ready="true"]', timeout=30_000)
    return v


def exported_network(html: Path, name: str = MODEL_FILE):
    """The network of a file a chapter exported, rebuilt in PyTorch from the file alone."""
    document = json.loads((html / name).read_text())
    assert document["format"] == "nnbook-network" and document["output"] == "logits"
    return network_from(document)


def network_from(document: dict):
    """PyTorch's layers for the file's sequence, with the file's weights, as a function of flat inputs."""
    nn = torch.nn
    layers = []
    for entry in document["sequence"]:
        kind = entry["type"]
        if "layer" in entry:
            weight, bias = (
                torch.from_numpy(decode(document["layers"][entry["layer"]][k]).copy())
                for k in ("weight", "bias")
            )
        if kind == "linear":
            layer = nn.Linear(weight.shape[1], weight.shape[0])
        elif kind == "conv2d":
            layer = nn.Conv2d(
                weight.shape[1],
                weight.shape[0],
                tuple(weight.shape[2:]),
                stride=tuple(entry["stride"]),
                padding=tuple(entry["padding"]),
            )
        elif kind == "maxpool2d":
            layer = nn.MaxPool2d(
                tuple(entry["kernel_size"]), stride=tuple(entry["stride"])
            )
        else:
            layer = {
                "flatten": nn.Flatten,
                "relu": nn.ReLU,
                "sigmoid": nn.Sigmoid,
                "tanh": nn.Tanh,
                "identity": nn.Identity,
            }[kind]()
        if "layer" in entry:
            with torch.no_grad():
                layer.weight.copy_(weight)
                layer.bias.copy_(bias)
        layers.append(layer)
    model = nn.Sequential(*layers).eval()
    shape = document["input_shape"]
    return lambda x: model(x.reshape(len(x), *shape))


def decode(entry: dict) -> np.ndarray:
    """An array of the model file: base64 of little-endian float32 values, row-major."""
    return np.frombuffer(base64.b64decode(entry["data"]), dtype="<f4").reshape(
        entry["shape"]
    )


def draw(v: Visit, strokes) -> None:
    """Draw strokes on the board with the mouse, as a reader would."""
    board = v.page.locator(f"{DIGIT} canvas[data-name='board']")
    board.scroll_into_view_if_needed()
    box = board.bounding_box()
    at = lambda p: (
        box["x"] + p[0] * box["width"] / BOARD,
        box["y"] + p[1] * box["height"] / BOARD,
    )  # noqa: E731
    for stroke in strokes:
        v.page.mouse.move(*at(stroke[0]))
        v.page.mouse.down()
        for point in stroke[1:]:
            v.page.mouse.move(*at(point), steps=20)
        v.page.mouse.up()


NETWORKS = [
    (DIGIT_PAGE, MODEL_FILE, None),
    (CNN_PAGE, CNN_FILE, "CNN"),
    (CNN_PAGE, MODEL_FILE, "MLP"),
]


@pytest.mark.parametrize(
    ("page", "file", "name"),
    NETWORKS,
    ids=["lab-mlp", "cnn-chapter-cnn", "cnn-chapter-mlp"],
)
def test_digit_network_logits_equal_pytorchs(
    visit, html: Path, mnist_root: Path, page, file, name
) -> None:
    """The page's networks, fed test images directly, give PyTorch's logits and classes.

    First on the digits stored in the file with the logits PyTorch computed when
    the chapter ran; then on 200 MNIST test digits loaded here, run through the
    network rebuilt in PyTorch from the file.
    """
    from nnbook.data import load_mnist, to_tensors

    document = json.loads((html / file).read_text())
    stored_inputs, stored_logits = (
        decode(document["examples"][k]).astype(np.float64) for k in ("inputs", "logits")
    )
    _, test = load_mnist(mnist_root)
    X, _ = to_tensors(test, flatten=True)
    X = X[:200]
    with torch.no_grad():
        expected = exported_network(html, file)(X).numpy().astype(np.float64)
    v = visit(page, DIGIT)
    v.page.wait_for_selector(f'{DIGIT}[data-model-ready="true"]', timeout=30_000)
    run = "([xs, name]) => xs.map((x) => window.nnbookWidgets.drawDigit.logits(x, name ?? undefined))"
    stored = np.array(v.page.evaluate(run, [stored_inputs.tolist(), name]))
    got = np.array(v.page.evaluate(run, [X.tolist(), name]))
    assert stored.shape == stored_logits.shape and len(stored) >= 8
    assert got.shape == expected.shape == (200, 10)
    stored_difference = float(np.abs(stored - stored_logits).max())
    difference = float(np.abs(got - expected).max())
    agree = int((got.argmax(1) == expected.argmax(1)).sum())
    print(
        f"\n{file} on {page}: JS vs PyTorch, max |logit difference| {stored_difference:.2e} on the "
        f"{len(stored)} stored digits, {difference:.2e} on {len(X)} test images; {agree}/{len(X)} predictions agree"
    )
    assert stored_difference <= 1e-4
    assert difference <= 1e-4
    assert agree == len(X)
    v.assert_clean()


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawing_a_digit_with_the_mouse_gives_that_digit(visit, digit: int) -> None:
    v = open_digit(visit)
    assert v.state("drawDigit")["top"] == [], "the board starts empty"
    draw(v, STROKES[digit])
    state = v.state("drawDigit")
    assert len(state["strokes"]) == len(STROKES[digit])
    probabilities = np.array(state["probabilities"])
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert [t["digit"] for t in state["top"]] == list(np.argsort(-probabilities)[:3])
    assert state["top"][0]["digit"] == digit, (
        f"drew a {digit}, the network read {state['top']}"
    )
    # What the reader sees: the top-3 list, the prediction, the probability.
    first = v.page.locator(f"{DIGIT} ol[data-name='top'] li").first
    assert first.get_attribute("data-digit") == str(digit)
    assert v.page.locator(f"{DIGIT} ol[data-name='top'] li").count() == 3
    assert float(first.locator("output").get_attribute("data-value")) == pytest.approx(
        probabilities[digit]
    )
    assert v.page.get_attribute(DIGIT, "data-prediction") == str(digit)
    # The logits are those of the network for the input shown, and the input is
    # prepared like MNIST: ink's longer side 20 pixels, centre of mass in the middle.
    image = np.array(state["input"]).reshape(28, 28)
    assert np.allclose(
        v.page.evaluate(
            "x => window.nnbookWidgets.drawDigit.logits(x)", state["input"]
        ),
        state["logits"],
    )
    rows, cols = np.nonzero(image > 0.02)
    extent = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    assert 19 <= extent <= 21
    ys, xs = np.mgrid[0:28, 0:28] + 0.5
    centre = ((image * xs).sum() / image.sum(), (image * ys).sum() / image.sum())
    assert centre == pytest.approx((14.5, 14.5), abs=0.1)
    v.assert_clean()


def test_drawing_with_a_finger_works_too(visit) -> None:
    """Touch input (Chromium's own touch events, as a phone sends them) draws like the mouse."""
    v = open_digit(visit, has_touch=True)
    board = v.page.locator(f"{DIGIT} canvas[data-name='board']")
    board.scroll_into_view_if_needed()
    box = board.bounding_box()
    cdp = v.page.context.new_cdp_session(v.page)
    stroke = [(140, 40 + 10 * k) for k in range(21)]  # a "1", top to bottom
    for n, (x, y) in enumerate(stroke):
        kind = "touchStart" if n == 0 else "touchMove"
        point = {
            "x": box["x"] + x * box["width"] / BOARD,
            "y": box["y"] + y * box["height"] / BOARD,
        }
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    v.page.wait_for_timeout(100)
    state = v.state("drawDigit")
    assert len(state["strokes"]) == 1 and len(state["strokes"][0]) >= 10
    assert state["top"][0]["digit"] == 1
    # The page did not scroll instead: the board keeps the finger's strokes.
    assert (
        v.page.evaluate(
            "getComputedStyle(document.querySelector(\"canvas[data-name='board']\")).touchAction"
        )
        == "none"
    )
    v.assert_clean()


def test_clear_empties_the_board(visit) -> None:
    v = open_digit(visit)
    draw(v, STROKES[7])
    assert v.state("drawDigit")["top"]
    v.page.locator(f"{DIGIT} button[data-name='clear']").click()
    state = v.state("drawDigit")
    assert state["strokes"] == [] and state["top"] == [] and state["input"] is None
    assert v.page.locator(f"{DIGIT} ol[data-name='top'] li").count() == 0
    assert v.page.get_attribute(DIGIT, "data-prediction") == ""
    draw(v, STROKES[1])  # and draws again afterwards
    assert v.state("drawDigit")["top"][0]["digit"] == 1
    v.assert_clean()


def test_the_digit_preprocessing_is_scale_and_position_free(visit) -> None:
    """A digit drawn small in a corner is the same input as one drawn large in the middle."""
    v = open_digit(visit)
    large = [[(70, 50), (210, 50), (120, 240)]]
    small = [[(10 + x / 4, 20 + y / 4) for x, y in stroke] for stroke in large]
    inputs = [
        np.array(
            v.page.evaluate(
                "s => window.nnbookWidgets.drawDigit.preprocess(s)", strokes
            )
        )
        for strokes in (large, small)
    ]
    assert inputs[0].shape == (784,)
    assert np.abs(inputs[0] - inputs[1]).max() < 0.05
    assert inputs[0].sum() > 20
    v.assert_clean()


# --- the CNN chapter's digit widget: two networks, centring on or off ------------------


def open_cnn_digit(visit) -> Visit:
    """The CNN chapter, once its digit widget has fetched and checked both networks."""
    v = visit(CNN_PAGE, DIGIT)
    v.page.wait_for_selector(f'{DIGIT}[data-model-ready="true"]', timeout=30_000)
    return v


def centre_of_mass(values) -> tuple[float, float]:
    """(x, y) of a 28 x 28 input, pixel (r, c) counted at (c + 0.5, r + 0.5), as MNIST centres its digits."""
    image = np.asarray(values, dtype=float).reshape(28, 28)
    ys, xs = np.mgrid[0:28, 0:28] + 0.5
    return float((image * xs).sum() / image.sum()), float(
        (image * ys).sum() / image.sum()
    )


#: A "1" drawn small, near the top-left corner of the 280 x 280 board.
CORNER_ONE = [[(45, 25), (43, 115)]]


def test_the_cnn_chapter_offers_both_networks_and_the_lab_one(visit) -> None:
    v = open_cnn_digit(visit)
    radios = v.page.locator(
        f"{DIGIT} fieldset[data-name='chooser'] input[type='radio']"
    )
    assert radios.count() == 2
    labels = v.page.eval_on_selector_all(
        f"{DIGIT} input[type='radio'], {DIGIT} input[type='checkbox']",
        "els => els.map(el => [el.value, el.checked, [...el.labels].map(l => l.textContent.trim()).join(' ')])",
    )
    assert labels == [
        ["CNN", True, "CNN (this chapter)"],
        ["MLP", False, "MLP (the MNIST lab)"],
        ["on", True, "centre the drawing as MNIST did"],
    ]
    assert v.page.locator(f"{DIGIT} fieldset legend").inner_text().strip() == "Network:"
    state = v.state("drawDigit")
    assert (
        state["models"] == ["CNN", "MLP"]
        and state["model"] == "CNN"
        and state["centre"] is True
    )
    assert state["sizes"] == [784, 16 * 28 * 28, 32 * 14 * 14, 10]
    assert (
        v.page.get_attribute(f"{DIGIT} p[data-name='status']", "aria-live") == "polite"
    )
    v.assert_clean()
    # The lab's widget has one network: no chooser, the same checkbox.
    lab = open_digit(visit)
    assert (
        lab.page.locator(f"{DIGIT} input[type='radio'], {DIGIT} fieldset").count() == 0
    )
    assert lab.page.locator(
        f"{DIGIT} input[type='checkbox'][data-name='centre']"
    ).is_checked()
    assert lab.state("drawDigit")["models"] == ["network"]
    lab.assert_clean()


def test_the_chooser_and_the_centring_work_by_keyboard(visit) -> None:
    v = open_cnn_digit(visit)
    draw(v, STROKES[7])
    cnn_answer = v.state("drawDigit")
    radio = v.page.locator(f"{DIGIT} input[type='radio'][value='CNN']")
    radio.focus()
    v.page.keyboard.press("ArrowRight")  # radio buttons: the arrow keys move the choice
    assert v.page.evaluate("document.activeElement.value") == "MLP"
    state = v.state("drawDigit")
    assert (
        state["model"] == "MLP"
        and v.page.locator(f"{DIGIT} input[value='MLP']").is_checked()
    )
    # The list now shows the MLP's answer, the line under it the CNN's.
    assert state["logits"] == state["answers"]["MLP"]["logits"] != cnn_answer["logits"]
    assert state["answers"]["CNN"]["logits"] == cnn_answer["logits"]
    assert (
        v.page.locator(f"{DIGIT} p[data-name='status']")
        .inner_text()
        .startswith("The MLP reads a ")
    )
    assert (
        "the CNN reads a"
        in v.page.locator(f"{DIGIT} p[data-name='others']").inner_text()
    )
    v.page.keyboard.press("ArrowLeft")
    assert v.state("drawDigit")["model"] == "CNN"
    # Tab leads on to the checkbox; the space bar ticks and unticks it.
    v.page.keyboard.press("Tab")
    assert v.page.evaluate("document.activeElement.dataset.name") == "centre"
    outline = v.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused checkbox shows no focus outline"
    v.page.keyboard.press("Space")
    assert v.state("drawDigit")["centre"] is False
    v.page.keyboard.press("Space")
    assert v.state("drawDigit")["centre"] is True
    v.assert_clean()


def test_without_centring_a_corner_digit_reaches_the_network_off_centre(
    visit, html: Path
) -> None:
    v = open_cnn_digit(visit)
    draw(v, CORNER_ONE)
    centred = v.state("drawDigit")
    assert centre_of_mass(centred["input"]) == pytest.approx((14.5, 14.5), abs=0.1)
    v.page.locator(f"{DIGIT} input[data-name='centre']").click()
    state = v.state("drawDigit")
    assert state["centre"] is False and state["strokes"] == centred["strokes"]
    x, y = centre_of_mass(state["input"])
    # Scaled from 280 to 28 pixels where it was drawn: the stroke's middle, (4.4, 7.0).
    assert x == pytest.approx(4.4, abs=0.5) and y == pytest.approx(7.0, abs=0.5)
    assert np.hypot(x - 14.5, y - 14.5) > 10
    image = np.array(state["input"]).reshape(28, 28)
    rows, cols = np.nonzero(image > 0.02)
    assert cols.min() >= 2 and cols.max() <= 7 and rows.min() >= 1 and rows.max() <= 13
    # What the networks got is that input: their logits are PyTorch's for it.
    for name, file in (("CNN", CNN_FILE), ("MLP", MODEL_FILE)):
        with torch.no_grad():
            expected = exported_network(html, file)(
                torch.tensor([state["input"]], dtype=torch.float32)
            ).numpy()[0]
        np.testing.assert_allclose(
            state["answers"][name]["logits"], expected, rtol=0, atol=1e-4
        )
    assert state["answers"]["CNN"]["logits"] != state["answers"]["MLP"]["logits"]
    v.page.locator(f"{DIGIT} input[data-name='centre']").click()
    assert v.state("drawDigit")["input"] == centred["input"]
    v.assert_clean()


def test_both_networks_give_their_own_logits_for_a_drawn_digit(
    visit, html: Path
) -> None:
    v = open_cnn_digit(visit)
    draw(v, STROKES[7])
    state = v.state("drawDigit")
    x = torch.tensor([state["input"]], dtype=torch.float32)
    for name, file in (("CNN", CNN_FILE), ("MLP", MODEL_FILE)):
        with torch.no_grad():
            expected = exported_network(html, file)(x).numpy()[0]
        got = state["answers"][name]
        np.testing.assert_allclose(got["logits"], expected, rtol=0, atol=1e-4)
        assert got["top"][0]["digit"] == int(expected.argmax())
    assert (
        np.abs(
            np.subtract(
                state["answers"]["CNN"]["logits"], state["answers"]["MLP"]["logits"]
            )
        ).max()
        > 0.1
    )
    assert (
        state["logits"] == state["answers"]["CNN"]["logits"]
    )  # the CNN is chosen at the start
    assert state["top"][0]["digit"] == 7, f"drew a 7, the CNN read {state['top']}"
    v.assert_clean()


def odd_network() -> torch.nn.Sequential:
    """Layer settings the chapters do not use: strides, uneven kernels and paddings, overlapping pools."""
    nn = torch.nn
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, (3, 5), stride=(2, 1), padding=(1, 0)),
        nn.Tanh(),
        nn.MaxPool2d(3, stride=1),
        nn.Conv2d(4, 3, 3, padding="same"),
        nn.Sigmoid(),
        nn.Conv2d(3, 5, 2, stride=2),
        nn.ReLU(),
        nn.MaxPool2d((2, 1)),
        nn.Flatten(),
        nn.Linear(5 * 3 * 11, 12),
        nn.Identity(),
        nn.Linear(12, 10),
    ).eval()


def test_the_page_runs_other_layer_settings_as_pytorch(
    visit, server: str, tmp_path: Path
) -> None:
    """A network with every layer setting the file format knows, served to a new widget on the page."""
    from nnbook.widgets import export_network_json

    model = odd_network()
    x = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    document = export_network_json(model, tmp_path / "odd.json", examples=x[:4])
    with torch.no_grad():
        expected = model(x).numpy().astype(np.float64)
    v = open_digit(visit)
    v.page.route(
        f"{server}/_static/generated/odd-test.json",
        lambda route: route.fulfill(
            body=json.dumps(document), content_type="application/json"
        ),
    )
    v.page.evaluate("""() => {
        const element = document.createElement("div");
        Object.assign(element.dataset, { nnbookWidget: "draw-digit", model: "_static/generated/odd-test.json" });
        element.id = "odd";
        element.hidden = true;
        document.querySelector("[data-nnbook-widget='draw-digit']").after(element);
        window.nnbookWidgets.init();
    }""")
    v.page.wait_for_selector('#odd[data-model-ready="true"]', timeout=30_000)
    got = np.array(
        v.page.evaluate(
            "xs => xs.map((x) => document.getElementById('odd').nnbookWidget.logits(x))",
            x.reshape(20, -1).tolist(),
        )
    )
    assert got.shape == expected.shape == (20, 10)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    v.assert_clean()


# --- every widget page: the fallback, the network, the console -------------------------


WIDGET_PAGES = [
    (NEURON_PAGE, NEURON),
    (GD_PAGE, GD),
    (CONV_PAGE, CONV),
    (DIGIT_PAGE, DIGIT),
    (CNN_PAGE, DIGIT),
]
WIDGET_IDS = ["neuron", "gradient-descent", "conv", "digit", "cnn-digit"]


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES, ids=WIDGET_IDS)
def test_without_javascript_the_static_figures_stand_in(
    visit, name: str, widget: str
) -> None:
    v = visit(name, widget, java_script_enabled=False)
    assert v.page.locator(widget).count() == 1
    assert not v.page.locator(widget).is_visible(), (
        "the empty widget shows without JavaScript"
    )
    figures = v.page.locator(".cell_output img")
    assert figures.count() > 0 and figures.first.is_visible()


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES, ids=WIDGET_IDS)
def test_widgets_are_left_out_of_print(visit, name: str, widget: str) -> None:
    v = visit(name, widget)
    assert v.page.locator(widget).is_visible()
    v.page.emulate_media(media="print")
    assert not v.page.locator(widget).is_visible()
    assert v.page.locator(".cell_output img").first.is_visible()
    v.assert_clean()


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES, ids=WIDGET_IDS)
def test_every_control_works_without_leaving_the_machine_or_an_error(
    visit, name: str, widget: str
) -> None:
    v = visit(name, widget)
    sliders = v.page.locator(f"{widget} input[type='range']")
    for n in range(sliders.count()):
        slider = sliders.nth(n)
        slider.focus()
        for key in ("End", "Home", "PageUp", "ArrowLeft"):
            v.page.keyboard.press(key)
    buttons = v.page.locator(f"{widget} button")
    for n in range(buttons.count()):
        if buttons.nth(n).is_enabled():
            buttons.nth(n).click()
    v.page.wait_for_timeout(500)
    v.assert_clean()


# --- the keyboard alone -----------------------------------------------------------------
#
# A reader without a mouse reaches each widget with Tab from the top of the
# page and works it with the keys a browser gives its controls (arrow keys,
# Home and End on a slider; Enter and Space on a button) and, on the digit
# board, the widget's own keys. After every key the focus is on an element,
# never dropped to the page's <body>; the numbers shown are those the mouse
# path or nnbook's Python gives for the same settings.


class Keys:
    """The keyboard of an open page, checking after each key where the focus went."""

    def __init__(self, visit: Visit) -> None:
        self.v = visit
        self.page = visit.page

    def focused(self, selector: str) -> bool:
        return self.page.evaluate("(s) => document.activeElement.matches(s)", selector)

    def on_body(self) -> bool:
        return self.page.evaluate(
            "() => !document.activeElement || document.activeElement === document.body"
        )

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            assert not self.on_body(), f"the focus dropped to <body> after {key}"

    def tab_to(self, selector: str, limit: int = 400) -> int:
        """Press Tab until the focus is on ``selector``; return how many times."""
        for n in range(1, limit + 1):
            self.press("Tab")
            if self.focused(selector):
                return n
        pytest.fail(f"{limit} Tab presses did not reach {selector}")


def test_the_neuron_works_by_keyboard_alone(visit) -> None:
    v = visit(NEURON_PAGE, NEURON)
    keys = Keys(v)
    party = PartyDecision()
    start = v.state("sigmoidNeuron")
    steps = {
        name: float(v.page.get_attribute(f'{NEURON} input[data-name="{name}"]', "step"))
        for name in ("x-good_weather", "w-good_weather", "bias")
    }
    presses = keys.tab_to(f'{NEURON} input[data-name="x-{party.factors[0]}"]')
    print(f"\n{NEURON_PAGE}: the neuron's first slider is {presses} Tab presses deep")
    keys.press("ArrowRight", 2)  # the first value up two steps
    keys.press("Tab")  # its weight
    assert keys.focused(f'{NEURON} input[data-name="w-{party.factors[0]}"]')
    keys.press("ArrowLeft", 3)
    keys.press("Tab", 5)  # past the other two rows' sliders to the bias
    assert keys.focused(f'{NEURON} input[data-name="bias"]')
    keys.press("End")
    state = v.state("sigmoidNeuron")
    x0 = start["x"][0] + 2 * steps["x-good_weather"]
    w0 = start["w"][0] - 3 * steps["w-good_weather"]
    bias_max = float(v.page.get_attribute(f'{NEURON} input[data-name="bias"]', "max"))
    assert state["x"] == pytest.approx([x0, *start["x"][1:]], abs=1e-12)
    assert state["w"] == pytest.approx([w0, *start["w"][1:]], abs=1e-12)
    assert state["b"] == bias_max
    # What the page shows for these settings is nnbook's neuron.
    a = float(sigmoid_neuron(state["x"], state["w"], state["b"]))
    assert state["a"] == pytest.approx(a, rel=1e-12)
    assert shown(v, f'{NEURON} output[data-name="a"]') == f"{a:.4f}"
    v.assert_clean()


def test_gradient_descent_works_by_keyboard_alone(visit) -> None:
    v = visit(GD_PAGE, GD)
    keys = Keys(v)
    settings = gd_settings(v)
    presses = keys.tab_to(f'{GD} input[data-name="eta"]')
    print(f"\n{GD_PAGE}: the learning-rate slider is {presses} Tab presses deep")
    keys.press("ArrowRight")  # the next learning rate
    keys.press("Tab")
    assert keys.focused(f'{GD} input[data-name="gamma"]')
    keys.press("ArrowRight", 7)  # momentum 0.07
    keys.press("Tab")
    assert keys.focused(f'{GD} button[data-name="step"]')
    keys.press("Enter", 6)
    keys.press("Space", 4)
    state = v.state("gradientDescent")
    eta = settings["etas"][settings["etas"].index(settings["eta"]) + 1]
    assert (state["eta"], state["gamma"], state["step"]) == (eta, 0.07, 10)
    expected = python_run(settings, eta, 0.07, 10)  # as the mouse test compares
    np.testing.assert_allclose(state["w"], expected.w[:, 0], rtol=1e-12, atol=1e-14)
    assert shown(v, f'{GD} output[data-name="w"]') == f"{expected.w[-1, 0]:.4f}"
    # The largest learning rate diverges: Step until it stops, and the focus
    # moves on to Reset instead of dropping to the page when Step is disabled.
    keys.press("Shift+Tab", 2)
    assert keys.focused(f'{GD} input[data-name="eta"]')
    keys.press("End")
    keys.press("Tab", 2)
    assert keys.focused(f'{GD} button[data-name="step"]')
    largest = max(settings["etas"])
    python = python_run(settings, largest, 0.07, settings["max-steps"])
    assert python.diverged
    for _ in range(settings["max-steps"]):
        keys.press("Enter")
        if v.state("gradientDescent")["diverged"]:
            break
    state = v.state("gradientDescent")
    assert state["eta"] == largest and state["divergedAt"] == python.diverged_at
    assert keys.focused(f'{GD} button[data-name="reset"]')
    keys.press("Enter")  # Reset
    assert v.state("gradientDescent")["step"] == 0
    assert not v.page.locator(f'{GD} button[data-name="step"]').is_disabled()
    v.assert_clean()


def test_the_convolution_stepper_works_by_keyboard_alone(visit) -> None:
    from nnbook.conv import correlate2d

    v = visit(CONV_PAGE, CONV)
    keys = Keys(v)
    expected = correlate2d(np.array(LECTURE_IMAGE), np.array(LECTURE_KERNEL))
    presses = keys.tab_to(f'{CONV} button[data-name="step"]')
    print(f"\n{CONV_PAGE}: the convolution's Step button is {presses} Tab presses deep")
    keys.press("Enter", 2)
    keys.press("Space")
    state = v.state("convStepper")
    cols = expected.shape[1]
    assert state["position"] == 2
    for n in range(expected.size):
        i, j = divmod(n, cols)
        assert state["output"][i][j] == (expected[i, j] if n <= 2 else None)
    keys.press("Tab")
    assert keys.focused(f'{CONV} button[data-name="all"]')
    keys.press("Enter")  # Fill all: Step and Fill all are disabled now
    np.testing.assert_array_equal(
        np.array(v.state("convStepper")["output"], dtype=float), expected
    )
    assert keys.focused(f'{CONV} button[data-name="reset"]'), "focus left Fill all"
    keys.press("Enter")
    assert v.state("convStepper")["position"] == -1
    assert keys.focused(f'{CONV} button[data-name="reset"]')
    keys.press("Shift+Tab")  # Fill all is back
    assert keys.focused(f'{CONV} button[data-name="all"]')
    v.assert_clean()


def stored_examples(html: Path, file: str) -> tuple[np.ndarray, list[int], np.ndarray]:
    """A network file's test digits: inputs, labels and PyTorch's logits."""
    document = json.loads((html / file).read_text())
    examples = document["examples"]
    inputs, logits = (
        decode(examples[k]).astype(np.float64) for k in ("inputs", "logits")
    )
    return inputs, examples["labels"], logits


def load_sample_by_keyboard(keys: Keys, digit: int) -> None:
    """Tab to the first test-digit button, then on to ``digit``'s, and press it."""
    keys.tab_to(f"{DIGIT} button[data-name='sample']")
    for _ in range(10):
        if keys.focused(f"{DIGIT} button[data-name='sample'][data-digit='{digit}']"):
            break
        keys.press("Tab")
    keys.press("Enter")
    assert keys.focused(f"{DIGIT} button[data-digit='{digit}']")


@pytest.mark.parametrize(
    ("page", "file", "name"),
    [(DIGIT_PAGE, MODEL_FILE, None), (CNN_PAGE, CNN_FILE, "CNN")],
    ids=["lab", "cnn-chapter"],
)
def test_a_test_digit_loads_and_edits_by_keyboard_alone(
    visit, html: Path, page: str, file: str, name
) -> None:
    """Load a test digit, edit it by pixel: each network gives PyTorch's logits."""
    inputs, labels, logits = stored_examples(html, file)
    assert sorted(labels) == list(range(10)), "one test digit of each class"
    v = visit(page, DIGIT)
    v.page.wait_for_selector(f'{DIGIT}[data-model-ready="true"]', timeout=30_000)
    keys = Keys(v)
    offered = v.page.eval_on_selector_all(
        f"{DIGIT} button[data-name='sample']", "els => els.map(e => +e.dataset.digit)"
    )
    assert offered == list(range(10))
    load_sample_by_keyboard(keys, 7)
    state = v.state("drawDigit")
    k = labels.index(7)
    assert state["mode"] == "image" and state["sample"]["label"] == 7
    # The test digit reaches the network unchanged (MNIST centred it already),
    # and the page computes the logits PyTorch stored with it.
    np.testing.assert_array_equal(state["input"], inputs[k])
    np.testing.assert_allclose(state["logits"], logits[k], rtol=0, atol=1e-4)
    assert state["top"][0]["digit"] == int(logits[k].argmax())
    status = v.page.locator(f"{DIGIT} p[data-name='status']")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text().startswith("Test digit 7: ")
    assert f"reads a {int(logits[k].argmax())} " in status.inner_text()

    # On to the board: erase the top of the digit, then paint a dot elsewhere.
    presses = keys.tab_to(f"{DIGIT} canvas[data-name='board']", limit=20)
    assert presses <= 11  # past the other test digits
    cursor = v.state("drawDigit")["cursor"]
    assert cursor == [14, 14]
    ink = np.array(inputs[k]).reshape(28, 28)
    top = int(np.nonzero(ink.max(axis=1) > 0.5)[0].min())  # the digit's top row
    column = int(ink[top].argmax())
    keys.press("ArrowUp", 14 - top)
    keys.press("ArrowLeft" if column < 14 else "ArrowRight", abs(14 - column))
    assert v.state("drawDigit")["cursor"] == [top, column]
    keys.press("Delete")
    edited = np.array(v.state("drawDigit")["image"]).reshape(28, 28)
    assert edited[top, column] == 0 and ink[top, column] > 0.5
    keys.press("ArrowDown", 6)
    keys.press("Space")
    state = v.state("drawDigit")
    image = np.array(state["image"]).reshape(28, 28)
    assert image[top + 6, column] == pytest.approx(1.0, abs=1e-9)
    assert state["sample"]["edited"] is True
    cursor_text = v.page.locator(f"{DIGIT} [data-name='cursor']").inner_text()
    assert f"row {top + 7}, column {column + 1}" in cursor_text
    # The edited image, centred by whole pixels as MNIST did, is what every
    # network gets; their logits are PyTorch's for it.
    x = np.array(state["input"])
    assert centre_of_mass(x)[0] >= 14 and centre_of_mass(x)[0] < 15
    assert centre_of_mass(x)[1] >= 14 and centre_of_mass(x)[1] < 15
    files = (
        {"network": MODEL_FILE}
        if name is None
        else {"CNN": CNN_FILE, "MLP": MODEL_FILE}
    )
    for model, path in files.items():
        with torch.no_grad():
            expected = exported_network(html, path)(
                torch.tensor([state["input"]], dtype=torch.float32)
            ).numpy()[0]
        np.testing.assert_allclose(
            state["answers"][model]["logits"], expected, rtol=0, atol=1e-4
        )
    top_digit = state["top"][0]["digit"]
    assert v.page.get_attribute(DIGIT, "data-prediction") == str(top_digit)
    assert f"reads a {top_digit} " in status.inner_text()
    v.assert_clean()


def test_a_digit_drawn_by_keyboard_is_read(visit) -> None:
    """A "1" drawn with Shift and the arrow keys is read as a 1, as from the mouse."""
    v = open_digit(visit)
    keys = Keys(v)
    keys.tab_to(f"{DIGIT} canvas[data-name='board']")
    keys.press("ArrowUp", 8)
    keys.press("Space")
    keys.press("Shift+ArrowDown", 16)
    keyboard = v.state("drawDigit")
    assert keyboard["mode"] == "image" and keyboard["strokes"] == []
    assert keyboard["top"][0]["digit"] == 1, keyboard["top"]
    # 17 rows painted, and the pen's width on either side.
    rows, cols = np.nonzero(np.array(keyboard["input"]).reshape(28, 28) > 0.5)
    assert 16 <= rows.max() - rows.min() <= 18 and cols.max() - cols.min() <= 2
    # Clear, by keyboard, empties the board; the mouse's "1" is read alike.
    keys.press("Tab")
    assert keys.focused(f"{DIGIT} button[data-name='clear']")
    keys.press("Enter")
    assert v.state("drawDigit")["top"] == [] and v.state("drawDigit")["image"] is None
    assert keys.focused(f"{DIGIT} button[data-name='clear']")
    draw(v, STROKES[1])
    assert v.state("drawDigit")["top"][0]["digit"] == 1
    # A keyboard edit after the mouse turns the drawing into the image the
    # network saw, and edits that.
    before = v.state("drawDigit")["input"]
    v.page.locator(f"{DIGIT} canvas[data-name='board']").focus()
    keys.press("ArrowRight")  # a move changes nothing yet
    assert v.state("drawDigit")["mode"] == "strokes"
    keys.press("Backspace")
    state = v.state("drawDigit")
    assert state["mode"] == "image"
    changed = np.nonzero(np.subtract(state["image"], before))[0]
    assert len(changed) > 0 and all(state["image"][i] == 0 for i in changed)
    v.assert_clean()


# --- phones ---------------------------------------------------------------------

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def overlapping_labels(v: Visit, widget: str) -> list:
    """Pairs of texts in the widget's plots whose boxes overlap on the screen."""
    return v.page.evaluate(
        """(w) => {
            const out = [];
            for (const svg of document.querySelectorAll(`${w} svg`)) {
                const boxes = [...svg.querySelectorAll('text')]
                    .filter((t) => t.textContent.trim())
                    .map((t) => [t.textContent, t.getBoundingClientRect()]);
                for (let i = 0; i < boxes.length; i++) {
                    for (let j = i + 1; j < boxes.length; j++) {
                        const [s, a] = boxes[i], [t, b] = boxes[j];
                        if (a.left < b.right - 0.5 && b.left < a.right - 0.5
                            && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
                            out.push([s, t]);
                        }
                    }
                }
            }
            return out;
        }""",
        widget,
    )


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES[:4], ids=WIDGET_IDS[:4])
def test_on_a_phone_controls_are_large_enough_to_touch(
    visit, name: str, widget: str
) -> None:
    v = visit(name, widget, **PHONE)
    size = (
        "els => els.map(e => [e.dataset.name, e.getBoundingClientRect().width,"
        " e.getBoundingClientRect().height])"
    )
    sliders = v.page.eval_on_selector_all(f"{widget} input[type='range']", size)
    buttons = v.page.eval_on_selector_all(f"{widget} button", size)
    assert sliders or buttons
    small = [s for s in sliders + buttons if s[1] < 44 or s[2] < 44]
    assert not small, f"controls under 44 x 44 px on a phone: {small}"
    # 121 steps need a slider of some width: at least 6 rem, not 4.
    narrow = [s for s in sliders if s[1] < 96]
    assert not narrow, f"sliders narrower than 96 px on a phone: {narrow}"
    right = v.page.eval_on_selector(widget, "e => e.getBoundingClientRect().right")
    assert right <= 390, f"the widget reaches {right} px on a 390 px screen"
    v.assert_clean()


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES[:2], ids=WIDGET_IDS[:2])
def test_on_a_phone_no_plot_labels_overlap(visit, name: str, widget: str) -> None:
    v = visit(name, widget, **PHONE)
    assert overlapping_labels(v, widget) == []
    v.assert_clean()


def test_on_a_phone_the_labels_of_a_diverging_run_do_not_overlap(visit) -> None:
    v = visit(GD_PAGE, GD, **PHONE)
    # Still after a run that diverges: the plot of w grows its axis.
    settings = gd_settings(v)
    set_gd(v, settings, max(settings["etas"]), 0.0)
    v.page.locator(f'{GD} button[data-name="run"]').click()
    v.page.wait_for_function(
        "() => window.nnbookWidgets.gradientDescent.state().diverged", timeout=30_000
    )
    assert overlapping_labels(v, GD) == []
    v.assert_clean()


@pytest.mark.parametrize(("name", "widget"), WIDGET_PAGES[:2], ids=WIDGET_IDS[:2])
def test_no_plot_labels_overlap_at_desktop_width(visit, name: str, widget: str) -> None:
    v = visit(name, widget, viewport={"width": 1280, "height": 800})
    assert overlapping_labels(v, widget) == []
    v.assert_clean()
