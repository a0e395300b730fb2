"""nnbook.gradcheck: central differences, the relative error, and their checks of bad input.

The gradient checks of real models are in test_network.py, test_autograd.py
and test_losses.py; here are the functions themselves on small known cases.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.gradcheck import gradient_check, numerical_gradient, relative_error
from nnbook.network import Network


def test_numerical_gradient_of_a_known_function_restores_x() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: float((x**3).sum()), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    assert grad.shape == x.shape
    np.testing.assert_array_equal(x, before)  # put back exactly


def test_numerical_gradient_of_a_float32_array_is_float64() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    grad = numerical_gradient(
        lambda: float(x.astype(np.float64) @ [3.0, -1.0]), x, eps=1e-2
    )
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [3.0, -1.0], rtol=1e-5)


def test_relative_error_scales_by_the_largest_derivative() -> None:
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.1]) == pytest.approx(0.1 / 2.1)
    assert relative_error([1e-9, 10.0], [0.0, 10.0]) == pytest.approx(
        1e-10
    )  # a tiny derivative is no alarm
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.zeros((0,)), np.zeros((0,))) == 0.0
    assert (
        relative_error([[1.0, 2.0]], np.array([[1.0, 2.0]])) == 0.0
    )  # nested lists count as arrays


def test_gradient_check_of_a_network() -> None:
    net = Network([3, 4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert gradient_check(net, X, np.array([0, 1, 1, 0, 1])) < 1e-7


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0, 2.0], TypeError, "x must be a float numpy array"),
        (np.array([1, 2]), TypeError, "x must be a float numpy array"),
        (
            np.array([1.0, np.nan]),
            ValueError,
            "x must not contain NaN or infinite values",
        ),
        (
            np.array([np.inf, 1.0]),
            ValueError,
            "x must not contain NaN or infinite values",
        ),
        (
            np.zeros((0, 2)),
            ValueError,
            r"x must hold at least one value, got shape \(0, 2\)",
        ),
    ],
)
def test_numerical_gradient_checks_x(x, error, match) -> None:
    with pytest.raises(error, match=match):
        numerical_gradient(lambda: 0.0, x)


@pytest.mark.parametrize(
    ("eps", "error", "match"),
    [
        (0.0, ValueError, "eps must be a positive finite number, got 0"),
        (float("nan"), ValueError, "eps must be a positive finite number, got nan"),
        ("1e-6", TypeError, "eps must be a real number, got str"),
    ],
)
def test_numerical_gradient_checks_eps(eps, error, match) -> None:
    with pytest.raises(error, match=match):
        numerical_gradient(lambda: 0.0, np.ones(2), eps=eps)


def test_numerical_gradient_checks_f() -> None:
    with pytest.raises(TypeError, match="f must be a function, got NoneType"):
        numerical_gradient(None, np.ones(2))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("analytic", "numeric", "error", "match"),
    [
        (
            [1.0, np.nan],
            [1.0, 2.0],
            ValueError,
            "analytic must not contain NaN or infinite values",
        ),
        (
            [1.0, 2.0],
            [np.inf, 2.0],
            ValueError,
            "numeric must not contain NaN or infinite values",
        ),
        (
            [1.0, 2.0],
            [1.0, 2.0, 3.0],
            ValueError,
            r"analytic and numeric must have the same shape, got \(2,\) and \(3,\)",
        ),
        (
            np.ones((2, 1)),
            np.ones(2),
            ValueError,
            r"must have the same shape, got \(2, 1\) and \(2,\)",
        ),
        (["a", "b"], [1.0, 2.0], TypeError, "analytic must hold real numbers"),
        ([1.0, 2.0], np.array([1j, 2.0]), TypeError, "numeric must hold real numbers"),
    ],
)
def test_relative_error_checks_its_arrays(analytic, numeric, error, match) -> None:
    with pytest.raises(error, match=match):
        relative_error(analytic, numeric)


@pytest.mark.parametrize("network", [None, "net", 3, np.zeros(3)])
def test_gradient_check_needs_a_network(network) -> None:
    with pytest.raises(
        TypeError,
        match=f"network must be a nnbook.network.Network, got {type(network).__name__}",
    ):
        gradient_check(network, np.zeros((1, 2)), np.array([0]))


def test_gradient_check_checks_eps_before_any_work() -> None:
    with pytest.raises(
        ValueError, match="eps must be a positive finite number, got -1"
    ):
        gradient_check(
            Network([2, 2], seed=0), np.zeros((1, 2)), np.array([0]), eps=-1.0
        )
