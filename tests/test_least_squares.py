"""Tests of nnbook.least_squares: unique and minimum-norm solutions, and gradient descent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnbook import least_squares
from nnbook.least_squares import (
    fit_least_squares,
    fit_min_norm,
    gradient_descent_least_squares,
)
from nnbook.optim import DivergenceWarning
from nnbook.splines import natural_spline_basis

N = 20


def null_space(X: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the null space of X, as columns."""
    _, s, Vt = np.linalg.svd(X)
    rank = int(np.sum(s > 1e-10 * s[0]))
    return Vt[rank:].T


# ---------------------------------------------------------------------------
# Least squares and minimum norm
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "p"), [(12, 3), (12, 12), (30, 7)])
def test_least_squares_matches_numpy_lstsq(n, p):
    rng = np.random.default_rng(n + p)
    X = rng.normal(size=(n, p))
    y = rng.normal(size=n)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(
        fit_least_squares(X, y), expected, rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(fit_min_norm(X, y), expected, rtol=1e-10, atol=1e-12)


def test_least_squares_matches_lstsq_and_normal_equations(data):
    x, y = data
    X = natural_spline_basis(x, 8)
    w = fit_least_squares(X, y)
    np.testing.assert_allclose(w, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-8)
    # The residual is orthogonal to every column.
    np.testing.assert_allclose(X.T @ (X @ w - y), 0, atol=1e-10)
    np.testing.assert_allclose(fit_min_norm(X, y), w, rtol=1e-8)


@pytest.mark.parametrize("df", [21, 36, 80])
def test_min_norm_equals_pinv_and_interpolates(data, df):
    x, y = data
    X = natural_spline_basis(x, df)
    w = fit_min_norm(X, y)
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, atol=1e-10)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)
    np.testing.assert_allclose(X @ w, y, atol=1e-9)


@pytest.mark.parametrize(("n", "p"), [(5, 9), (9, 9), (9, 5), (1, 4)])
def test_min_norm_matches_numpy_on_random_matrices(n, p):
    rng = np.random.default_rng(10 * n + p)
    X = rng.normal(size=(n, p))
    y = rng.normal(size=n)
    w = fit_min_norm(X, y)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-12)
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ y, atol=1e-12)


def test_min_norm_cuts_off_small_singular_values_at_rcond():
    # X = diag(1, 1e-3): with rcond above 1e-3 the second direction counts as round-off.
    X = np.diag([1.0, 1e-3])
    y = np.array([2.0, 3.0])
    np.testing.assert_allclose(fit_min_norm(X, y), [2.0, 3000.0])
    np.testing.assert_allclose(fit_min_norm(X, y, rcond=1e-2), [2.0, 0.0])
    np.testing.assert_allclose(
        fit_min_norm(X, y, rcond=1e-2), np.linalg.pinv(X, rcond=1e-2) @ y
    )


def test_min_norm_is_smallest_among_exact_fits(data):
    x, y = data
    X = natural_spline_basis(x, 36)
    w = fit_min_norm(X, y)
    V = null_space(X)
    assert V.shape == (36, 36 - N)
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = w + V @ rng.normal(scale=0.1, size=V.shape[1])
        np.testing.assert_allclose(X @ other, y, atol=1e-9)  # still an exact fit ...
        assert np.linalg.norm(other) > np.linalg.norm(w)  # ... but a longer one
    # The min-norm solution has no component in the null space.
    np.testing.assert_allclose(V.T @ w, 0, atol=1e-10)


def test_min_norm_on_a_stack_matches_pinv_per_matrix():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 5, 9))
    y = rng.normal(size=(4, 5))
    w = fit_min_norm(X, y)
    assert w.shape == (4, 9)
    for k in range(4):
        np.testing.assert_allclose(w[k], np.linalg.pinv(X[k]) @ y[k], atol=1e-12)


def test_min_norm_handles_rank_deficient_matrices():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(6, 2))
    X = np.column_stack(
        [A, A @ [1.0, -2.0]]
    )  # third column = combination of the first two
    y = rng.normal(size=6)
    np.testing.assert_allclose(fit_min_norm(X, y), np.linalg.pinv(X) @ y, atol=1e-12)
    with pytest.raises(ValueError, match=r"X has rank 2 < 3 columns.*use fit_min_norm"):
        fit_least_squares(X, y)


def test_least_squares_refuses_more_columns_than_rows(data):
    x, y = data
    with pytest.raises(
        ValueError, match=r"more columns \(36\) than rows \(20\).*use fit_min_norm"
    ):
        fit_least_squares(natural_spline_basis(x, 36), y)


# ---------------------------------------------------------------------------
# Gradient descent
# ---------------------------------------------------------------------------


def test_gradient_descent_from_zero_finds_the_min_norm_solution():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 30))
    y = rng.normal(size=10)
    path = gradient_descent_least_squares(X, y, steps=2000)
    assert path.shape == (2001, 30)
    np.testing.assert_array_equal(path[0], 0)
    assert np.linalg.norm(path[-1] - np.linalg.pinv(X) @ y) < 1e-10
    # The loss never goes up with the default step size.
    losses = 0.5 * np.sum((path @ X.T - y) ** 2, axis=1)
    assert np.all(np.diff(losses) <= 1e-12)


def test_gradient_descent_keeps_the_null_space_part_of_the_start():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 30))
    y = rng.normal(size=10)
    w0 = rng.normal(size=30)
    w = gradient_descent_least_squares(X, y, w0=w0, steps=2000)[-1]
    V = null_space(X)
    w_pinv = np.linalg.pinv(X) @ y
    np.testing.assert_allclose(X @ w, y, atol=1e-9)  # it interpolates ...
    np.testing.assert_allclose(
        w, w_pinv + V @ (V.T @ w0), atol=1e-9
    )  # ... but keeps w0's null part
    assert np.linalg.norm(w - w_pinv) > 1


def test_gradient_descent_on_the_spline_problem(data):
    x, y = data
    X = natural_spline_basis(x, 36)
    w = gradient_descent_least_squares(X, y, steps=3000)[-1]
    assert np.linalg.norm(w - fit_min_norm(X, y)) < 1e-8


def test_gradient_descent_takes_the_steps_of_the_formula():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(6, 4))
    y = rng.normal(size=6)
    w0 = rng.normal(size=4)
    eta = 0.01
    path = gradient_descent_least_squares(X, y, w0=w0, eta=eta, steps=3)
    w = w0
    for k in range(4):
        np.testing.assert_allclose(path[k], w, rtol=1e-14)
        w = w - eta * X.T @ (X @ w - y)


def test_gradient_descent_checks_its_inputs():
    X = np.ones((3, 4))
    y = np.ones(3)
    with pytest.raises(
        ValueError, match=r"w0 must have shape \(4,\) to match X, got shape \(3,\)"
    ):
        gradient_descent_least_squares(X, y, w0=np.zeros(3))
    with pytest.raises(
        ValueError, match=r"eta must be a positive finite number, got -0\.1"
    ):
        gradient_descent_least_squares(X, y, eta=-0.1)
    with pytest.raises(TypeError, match="eta must be a real number, got str"):
        gradient_descent_least_squares(X, y, eta="fast")
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        gradient_descent_least_squares(X, y, steps=-1)
    with pytest.raises(TypeError, match="steps must be an integer, got float"):
        gradient_descent_least_squares(X, y, steps=10.0)
    with pytest.raises(
        ValueError, match=r"X must have shape \(n, p\), got shape \(2, 3, 4\)"
    ):
        gradient_descent_least_squares(np.ones((2, 3, 4)), np.ones((2, 3)))


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_bad_designs_are_refused(data):
    x, y = data
    with pytest.raises(
        ValueError,
        match=r"y must have shape \(20,\) to match X of shape \(20, 5\), got shape \(19,\)",
    ):
        fit_min_norm(natural_spline_basis(x, 5), y[:-1])
    with pytest.raises(ValueError, match="X must not contain NaN or infinite values"):
        fit_min_norm(np.full((3, 2), np.nan), np.zeros(3))
    with pytest.raises(ValueError, match="y must not contain NaN or infinite values"):
        fit_least_squares(np.eye(3), [0.0, np.inf, 1.0])
    with pytest.raises(
        TypeError, match="X must hold real numbers, got dtype complex128"
    ):
        fit_min_norm(np.eye(2) + 1j, np.zeros(2))
    stack = (
        r"X must have shape \(n, p\) \(or a stack \(\.\.\., n, p\)\), got shape \(3,\)"
    )
    with pytest.raises(ValueError, match=stack):
        fit_min_norm(np.ones(3), np.ones(3))
    with pytest.raises(
        ValueError, match=r"X must have shape \(n, p\), got shape \(2, 3, 4\)"
    ):
        fit_least_squares(np.ones((2, 3, 4)), np.ones((2, 3)))


@pytest.mark.parametrize(
    ("rcond", "error", "match"),
    [
        (np.nan, ValueError, r"rcond must be in \[0, 1\), got nan"),
        (2.0, ValueError, r"rcond must be in \[0, 1\), got 2\.0"),
        (1.0, ValueError, r"rcond must be in \[0, 1\), got 1\.0"),
        (-0.1, ValueError, r"rcond must be in \[0, 1\), got -0\.1"),
        ("0.5", TypeError, "rcond must be a real number, got str"),
    ],
)
def test_min_norm_refuses_an_rcond_that_would_cut_everything(rcond, error, match):
    # rcond = nan or >= 1 used to cut every singular value and return w = 0.
    X, y = np.diag([3.0, 1.0]), np.array([3.0, 1.0])
    with pytest.raises(error, match=match):
        fit_min_norm(X, y, rcond=rcond)
    np.testing.assert_allclose(fit_min_norm(X, y, rcond=0.0), [1.0, 1.0])
    np.testing.assert_allclose(
        fit_min_norm(X, y, rcond=0.5), [1.0, 0.0]
    )  # 1 < 0.5 * 3 is cut


def test_gradient_descent_warns_when_eta_is_past_the_divergence_limit():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=6)
    limit = 2 / np.linalg.norm(X, ord=2) ** 2
    with pytest.warns(
        DivergenceWarning, match=r"eta = 10 is at or above 2 / s_max\^2 = 0\.186"
    ):
        path = gradient_descent_least_squares(X, y, eta=10.0, steps=5)
    assert np.linalg.norm(path[-1]) > 1e6  # the run is made, and shows the blow-up
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # below the limit, and by default: no warning
        below = gradient_descent_least_squares(X, y, eta=0.99 * limit, steps=5000)
        gradient_descent_least_squares(X, y, steps=5)
    np.testing.assert_allclose(below[-1], fit_least_squares(X, y), atol=1e-6)


def test_gradient_descent_step_counts_are_bounded():
    X, y = np.eye(2), np.ones(2)
    with pytest.raises(
        ValueError, match="steps must be an integer <= 10000000, got 1000000000000"
    ):
        gradient_descent_least_squares(
            X, y, steps=10**12
        )  # refused before anything is allocated
    assert gradient_descent_least_squares(X, y, steps=0).shape == (1, 2)


def test_empty_and_zero_designs():
    with pytest.raises(
        ValueError, match=r"X must hold at least one value, got shape \(0, 3\)"
    ):
        gradient_descent_least_squares(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(
        ValueError, match=r"X must hold at least one value, got shape \(2, 0\)"
    ):
        fit_min_norm(np.zeros((2, 0)), np.zeros(2))
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # X = 0: no step moves, and the default eta is still finite
        np.testing.assert_array_equal(
            gradient_descent_least_squares(np.zeros((3, 2)), np.ones(3), steps=3), 0.0
        )


def test_the_public_api_is_listed():
    for name in least_squares.__all__:
        assert hasattr(least_squares, name), name
