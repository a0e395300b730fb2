"""Tests of nnbook.splines: the natural spline basis, the fits and the experiment."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import splines
from nnbook.splines import (
    NaturalSplineBasis,
    double_descent,
    fit_least_squares,
    fit_min_norm,
    fit_spline,
    gradient_descent_least_squares,
    natural_spline_basis,
    roughness,
    sample_sine_data,
    spline_knots,
    total_variation,
    truncated_power_basis,
)

N = 20


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    """One training set of the chapter's experiment (n = 20)."""
    return sample_sine_data(N, sigma=0.3, seed=3)


def null_space(X: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the null space of X, as columns."""
    _, s, Vt = np.linalg.svd(X)
    rank = int(np.sum(s > 1e-10 * s[0]))
    return Vt[rank:].T


# ---------------------------------------------------------------------------
# Knots and the basis
# ---------------------------------------------------------------------------


def test_knots_are_quantiles_with_boundary_at_the_data_range(data):
    x, _ = data
    for df in (2, 6, 20, 36):
        knots = spline_knots(x, df)
        assert knots.shape == (df,)
        assert knots[0] == x.min() and knots[-1] == x.max()
        np.testing.assert_allclose(knots, np.quantile(x, np.linspace(0, 1, df)))
    # With df = n the knots are the data points themselves.
    np.testing.assert_allclose(spline_knots(x, N), np.sort(x))


@pytest.mark.parametrize("df", [2, 3, 5, 10, 19, 20])
def test_basis_has_full_column_rank_up_to_n(data, df):
    x, _ = data
    X = natural_spline_basis(x, df)
    assert X.shape == (N, df)
    assert np.linalg.matrix_rank(X) == df


@pytest.mark.parametrize("df", [21, 36, 80])
def test_basis_has_full_row_rank_beyond_n(data, df):
    x, _ = data
    assert np.linalg.matrix_rank(natural_spline_basis(x, df)) == N


def test_basis_on_new_points_uses_the_training_knots(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 8)
    new = np.linspace(-6, 6, 7)
    np.testing.assert_allclose(basis(new), natural_spline_basis(new, 8, knots=basis.knots))
    np.testing.assert_allclose(basis(x), natural_spline_basis(x, 8))
    assert basis.df == 8


def test_second_derivative_is_zero_beyond_the_boundary_knots(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 12)
    lo, hi = basis.knots[0], basis.knots[-1]
    outside = np.concatenate([np.linspace(lo - 3, lo - 0.01, 5), np.linspace(hi + 0.01, hi + 3, 5)])
    h = 1e-3
    # Finite differences of the values: the basis itself, not its own derivative code.
    second = (basis(outside + h) - 2 * basis(outside) + basis(outside - h)) / h**2
    assert np.max(np.abs(second)) < 1e-6
    assert np.all(basis.derivative(outside, 2) == 0)
    # ... and at the boundary knots themselves, from the inside.
    np.testing.assert_allclose(basis.derivative(np.array([lo, hi]), 2), 0, atol=1e-9)


def test_second_derivative_is_not_zero_inside(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 12)
    inside = np.linspace(basis.knots[1], basis.knots[-2], 9)
    assert np.max(np.abs(basis.derivative(inside, 2))) > 1e-2


@pytest.mark.parametrize("order", [1, 2])
def test_derivatives_match_finite_differences(data, order):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 9)
    # Points away from the knots, where the third derivative jumps.
    points = np.linspace(-6, 6, 41)
    points = points[np.min(np.abs(points[:, None] - basis.knots[None, :]), axis=1) > 0.05]
    h = 1e-4
    if order == 1:
        expected = (basis(points + h) - basis(points - h)) / (2 * h)
    else:
        expected = (basis(points + h) - 2 * basis(points) + basis(points - h)) / h**2
    np.testing.assert_allclose(
        basis.derivative(points, order), expected, atol=1e-4 * (1 + np.abs(expected).max())
    )


def test_basis_is_twice_continuously_differentiable_at_the_knots(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 7)
    eps = 1e-7
    for order in (0, 1, 2):
        left = basis.derivative(basis.knots - eps, order) if order else basis(basis.knots - eps)
        right = basis.derivative(basis.knots + eps, order) if order else basis(basis.knots + eps)
        np.testing.assert_allclose(left, right, atol=1e-4)


@pytest.mark.parametrize(("scale", "shift"), [(1e-6, 0.0), (1e6, 0.0), (1.0, 1e6), (-2.0, 3.0)])
def test_basis_does_not_depend_on_the_units_of_x(data, scale, shift):
    # B-splines are unchanged by an affine change of x (the knots move along),
    # so the design matrix is the same in any units and at any offset; the
    # second derivative scales by 1 / scale^2. A negative scale mirrors x.
    x, _ = data
    knots = spline_knots(x, 12)
    new = np.linspace(-7, 7, 29)
    X = natural_spline_basis(new, 12, knots=knots)
    moved_knots = np.sort(scale * knots + shift)
    X_moved = natural_spline_basis(scale * new + shift, 12, knots=moved_knots)
    if scale < 0:
        # Mirroring reverses the order of the knots: compare the fitted
        # functions, which do not depend on how the columns are arranged.
        y = np.sin(new)
        np.testing.assert_allclose(
            X_moved @ fit_least_squares(X_moved, y), X @ fit_least_squares(X, y), atol=1e-8
        )
        return
    np.testing.assert_allclose(X_moved, X, atol=1e-8)
    second = NaturalSplineBasis(moved_knots).derivative(scale * new + shift, 2)
    expected = NaturalSplineBasis(knots).derivative(new, 2) / scale**2
    np.testing.assert_allclose(second, expected, rtol=1e-6, atol=1e-8 * np.abs(expected).max())


def test_many_more_knots_than_points(data):
    x, y = data
    fit = fit_spline(x, y, 300)
    np.testing.assert_allclose(fit(x), y, atol=1e-8)
    assert np.all(np.isfinite(fit(np.linspace(-10, 10, 101))))


def test_basis_spans_the_same_space_as_the_truncated_power_basis(data):
    x, y = data
    for df in (4, 10, 20):
        knots = spline_knots(x, df)
        ours = natural_spline_basis(x, df)
        textbook = truncated_power_basis(x, knots)
        assert textbook.shape == (N, df)
        # Same column space: the least-squares fitted values agree, at the data and elsewhere.
        new = np.linspace(-7, 7, 50)
        fit_ours = natural_spline_basis(new, df, knots=knots) @ fit_least_squares(ours, y)
        fit_textbook = truncated_power_basis(new, knots) @ fit_least_squares(textbook, y)
        np.testing.assert_allclose(fit_ours, fit_textbook, atol=1e-6)


def test_truncated_power_basis_is_linear_beyond_the_boundary(data):
    x, _ = data
    knots = spline_knots(x, 6)
    outside = np.linspace(knots[-1] + 0.1, knots[-1] + 4, 6)
    h = 1e-3
    second = (
        truncated_power_basis(outside + h, knots)
        - 2 * truncated_power_basis(outside, knots)
        + truncated_power_basis(outside - h, knots)
    ) / h**2
    assert np.max(np.abs(second)) < 1e-4


def test_straight_lines_are_fitted_exactly_up_to_n(data):
    # Straight lines are natural splines, so least squares recovers them
    # everywhere. (Beyond n the minimum-norm interpolant of points on a line
    # need not be that line: the data no longer pin the fit down.)
    x, _ = data
    y = 2.0 * x - 1.0
    new = np.linspace(-8, 8, 17)
    for df in (2, 5, 20):
        np.testing.assert_allclose(fit_spline(x, y, df)(new), 2.0 * new - 1.0, atol=1e-8)
    np.testing.assert_allclose(fit_spline(x, y, 36)(x), y, atol=1e-9)


# ---------------------------------------------------------------------------
# Least squares and minimum norm
# ---------------------------------------------------------------------------


def test_fit_at_d_equal_n_interpolates(data):
    x, y = data
    fit = fit_spline(x, y, N)
    np.testing.assert_allclose(fit(x), y, atol=1e-9)
    np.testing.assert_allclose(
        natural_spline_basis(x, N) @ fit_least_squares(natural_spline_basis(x, N), y), y, atol=1e-9
    )


def test_fit_below_n_does_not_interpolate(data):
    x, y = data
    fit = fit_spline(x, y, 10)
    assert np.mean((fit(x) - y) ** 2) > 1e-3


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
    np.testing.assert_allclose(X @ w, y, atol=1e-9)
    np.testing.assert_allclose(fit_spline(x, y, df).coef, w, atol=1e-12)


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
    X = np.column_stack([A, A @ [1.0, -2.0]])  # third column = combination of the first two
    y = rng.normal(size=6)
    np.testing.assert_allclose(fit_min_norm(X, y), np.linalg.pinv(X) @ y, atol=1e-12)
    with pytest.raises(ValueError, match=r"X has rank 2 < 3 columns.*use fit_min_norm"):
        fit_least_squares(X, y)


def test_least_squares_refuses_more_columns_than_rows(data):
    x, y = data
    with pytest.raises(ValueError, match=r"more columns \(36\) than rows \(20\).*use fit_min_norm"):
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


def test_gradient_descent_checks_its_inputs():
    X = np.ones((3, 4))
    y = np.ones(3)
    with pytest.raises(ValueError, match=r"w0 must have shape \(4,\) to match X, got shape \(3,\)"):
        gradient_descent_least_squares(X, y, w0=np.zeros(3))
    with pytest.raises(ValueError, match=r"eta must be a positive number, got -0\.1"):
        gradient_descent_least_squares(X, y, eta=-0.1)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        gradient_descent_least_squares(X, y, steps=-1)
    with pytest.raises(TypeError, match="steps must be an integer, got float"):
        gradient_descent_least_squares(X, y, steps=10.0)


# ---------------------------------------------------------------------------
# Roughness and total variation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("df", [5, 20, 36])
def test_roughness_matches_a_fine_grid_integral(data, df):
    x, y = data
    fit = fit_spline(x, y, df)
    lo, hi = fit.basis.knots[0], fit.basis.knots[-1]
    grid = np.linspace(lo, hi, 200_001)
    h = grid[1] - grid[0]
    f = fit(grid)
    second = np.diff(f, 2) / h**2  # finite differences of the fitted values
    expected = np.sum(second**2) * h
    assert fit.roughness == pytest.approx(expected, rel=1e-3)
    assert roughness(fit.basis, fit.coef) == fit.roughness


@pytest.mark.parametrize("df", [5, 20, 36])
def test_total_variation_matches_a_fine_grid(data, df):
    x, y = data
    fit = fit_spline(x, y, df)
    grid = np.linspace(fit.basis.knots[0], fit.basis.knots[-1], 400_001)
    expected = np.sum(np.abs(np.diff(fit(grid))))
    assert fit.total_variation == pytest.approx(expected, rel=1e-6)
    assert total_variation(fit.basis, fit.coef) == fit.total_variation


def test_a_straight_line_has_no_roughness_and_simple_total_variation(data):
    x, _ = data
    fit = fit_spline(x, 3.0 * x + 2.0, 8)
    assert abs(fit.roughness) < 1e-12
    assert fit.total_variation == pytest.approx(3.0 * (x.max() - x.min()))


def test_the_interpolant_at_d_equal_n_is_the_least_curved_one(data):
    # Knots at the data points: the natural spline interpolant minimises the
    # integral of f''^2 among all interpolants, so every exact fit with more
    # degrees of freedom is at least as rough.
    x, y = data
    smoothest = fit_spline(x, y, N).roughness
    for df in (21, 25, 36, 42):
        assert fit_spline(x, y, df).roughness >= smoothest


def test_roughness_checks_the_coefficients(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 5)
    with pytest.raises(
        ValueError, match=r"coef must have shape \(5,\) to match the basis, got \(4,\)"
    ):
        roughness(basis, np.zeros(4))
    with pytest.raises(
        ValueError, match=r"coef must have shape \(5,\) to match the basis, got \(6,\)"
    ):
        total_variation(basis, np.zeros(6))


# ---------------------------------------------------------------------------
# Data and the experiment
# ---------------------------------------------------------------------------


def test_sample_sine_data_is_seeded_and_has_the_right_law():
    x, y = sample_sine_data(5000, sigma=0.3, seed=7)
    x2, y2 = sample_sine_data(5000, sigma=0.3, seed=7)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.min() >= -5 and x.max() <= 5
    residual = y - np.sin(x)
    assert np.std(residual) == pytest.approx(0.3, rel=0.05)
    assert abs(np.mean(x)) < 0.2
    # sigma = 0 gives the sine itself.
    x0, y0 = sample_sine_data(10, sigma=0.0, seed=1)
    np.testing.assert_array_equal(y0, np.sin(x0))


def test_sample_sine_data_with_a_generator_and_many_sets():
    rng = np.random.default_rng(0)
    a = sample_sine_data(4, seed=rng)
    b = sample_sine_data(4, seed=rng)
    assert not np.array_equal(a[0], b[0])  # the generator moved on
    x, y = sample_sine_data(6, seed=0, n_sets=3)
    assert x.shape == y.shape == (3, 6)


def test_double_descent_result_shapes_and_determinism():
    dfs = [2, 5, 20, 30]
    result = double_descent(dfs, n_train=N, n_test=50, n_repeats=7, seed=1)
    for name in ("train_error", "test_error", "coef_norm", "roughness", "total_variation"):
        assert getattr(result, name).shape == (7, 4)
    np.testing.assert_array_equal(result.dfs, dfs)
    again = double_descent(dfs, n_train=N, n_test=50, n_repeats=7, seed=1)
    np.testing.assert_array_equal(result.test_error, again.test_error)
    # Interpolation from d = n on.
    assert np.all(result.train_error[:, 2:] < 1e-12)
    assert np.all(result.train_error[:, :2] > 1e-4)


def test_double_descent_agrees_with_fitting_each_set_alone():
    dfs = [3, 12, 20, 27]
    n_test, n_repeats = 40, 4
    result = double_descent(dfs, n_train=N, n_test=n_test, n_repeats=n_repeats, seed=5)
    rng = np.random.default_rng(5)
    x, y = sample_sine_data(N, 0.3, rng, n_sets=n_repeats)
    x_test, y_test = sample_sine_data(n_test, 0.3, rng, n_sets=n_repeats)
    for r in range(n_repeats):
        for j, df in enumerate(dfs):
            fit = fit_spline(x[r], y[r], df)
            assert result.train_error[r, j] == pytest.approx(
                np.mean((fit(x[r]) - y[r]) ** 2), abs=1e-12
            )
            assert result.test_error[r, j] == pytest.approx(
                np.mean((fit(x_test[r]) - y_test[r]) ** 2), rel=1e-8
            )
            assert result.coef_norm[r, j] == pytest.approx(fit.coef_norm, rel=1e-8)
            assert result.roughness[r, j] == pytest.approx(fit.roughness, rel=1e-6, abs=1e-9)
            assert result.total_variation[r, j] == pytest.approx(fit.total_variation, rel=1e-8)


def test_double_descent_shows_the_second_descent():
    dfs = [6, 20, 21, 36]
    result = double_descent(dfs, n_repeats=60, n_test=200, seed=0)
    median = np.median(result.test_error, axis=0)
    assert median[0] < median[1]  # overfitting on the way to the threshold
    assert median[3] < median[1]  # and the second descent beyond it
    assert median[3] < median[2]


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("df", [1, 0, -3])
def test_df_below_two_is_refused(data, df):
    x, y = data
    message = rf"df must be an integer >= 2 \(a natural spline has at least 2 knots\), got {df}"
    with pytest.raises(ValueError, match=message):
        natural_spline_basis(x, df)
    with pytest.raises(ValueError, match=message):
        fit_spline(x, y, df)
    with pytest.raises(ValueError, match=message):
        double_descent([5, df], n_repeats=2)


def test_df_must_be_an_integer(data):
    x, y = data
    with pytest.raises(TypeError, match="df must be an integer, got float"):
        fit_spline(x, y, 5.0)
    with pytest.raises(TypeError, match="df must be an integer, got bool"):
        spline_knots(x, True)


def test_x_and_y_of_different_lengths_are_refused(data):
    x, y = data
    with pytest.raises(ValueError, match="x and y must have the same length, got 20 and 19"):
        fit_spline(x, y[:-1], 5)


@pytest.mark.parametrize("where", ["x", "y"])
def test_nan_is_refused(data, where):
    x, y = data[0].copy(), data[1].copy()
    (x if where == "x" else y)[3] = np.nan
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinite values"):
        fit_spline(x, y, 5)


def test_nan_in_the_evaluation_points_is_refused(data):
    basis = NaturalSplineBasis.from_data(data[0], 5)
    with pytest.raises(ValueError, match="x contains NaN or infinite values"):
        basis([0.0, np.inf])


def test_bad_shapes_and_types_are_refused(data):
    x, y = data
    with pytest.raises(ValueError, match=r"x must be a 1-D array, got shape \(4, 5\)"):
        fit_spline(x.reshape(4, 5), y, 5)
    with pytest.raises(TypeError, match="x must be numeric, got dtype <U1"):
        natural_spline_basis(["a", "b", "c"], 2)
    with pytest.raises(
        ValueError,
        match=r"y must have shape \(20,\) to match X of shape \(20, 5\), got shape \(19,\)",
    ):
        fit_min_norm(natural_spline_basis(x, 5), y[:-1])
    with pytest.raises(ValueError, match="X and y must not contain NaN or infinite values"):
        fit_min_norm(np.full((3, 2), np.nan), np.zeros(3))


def test_bad_knots_are_refused(data):
    x, _ = data
    with pytest.raises(ValueError, match="knots must be strictly increasing"):
        NaturalSplineBasis(np.array([0.0, 2.0, 1.0]))
    with pytest.raises(
        ValueError, match=r"knots must hold at least 2 values \(the boundary knots\), got 1"
    ):
        NaturalSplineBasis(np.array([0.0]))
    with pytest.raises(ValueError, match="a natural spline with df=4 needs 4 knots, got 3"):
        natural_spline_basis(x, 4, knots=[-1.0, 0.0, 1.0])


def test_tied_x_values_are_refused():
    with pytest.raises(ValueError, match="x must hold at least 2 distinct values"):
        spline_knots([1.0, 1.0, 1.0], 2)
    with pytest.raises(ValueError, match="x has too many tied values for df=4"):
        spline_knots([0.0, 1.0, 1.0, 1.0, 1.0, 2.0], 4)


def test_bad_seed_and_settings_are_refused():
    with pytest.raises(
        TypeError, match=r"seed must be an int or a numpy\.random\.Generator, got str"
    ):
        sample_sine_data(5, seed="zero")
    with pytest.raises(ValueError, match="sigma must be a non-negative number, got -1"):
        sample_sine_data(5, sigma=-1)
    with pytest.raises(ValueError, match="n_repeats must be an integer >= 1, got 0"):
        double_descent([2, 3], n_repeats=0)
    with pytest.raises(
        ValueError, match=r"dfs must be a non-empty 1-D sequence of integers, got shape \(0,\)"
    ):
        double_descent([])


def test_the_public_api_is_listed():
    for name in splines.__all__:
        assert hasattr(splines, name), name
