"""Tests of nnbook.double_descent: the data, the spline fits and the experiment."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import double_descent as double_descent_module
from nnbook.double_descent import double_descent, fit_spline, sample_sine_data
from nnbook.least_squares import fit_least_squares, fit_min_norm
from nnbook.splines import natural_spline_basis

N = 20


# ---------------------------------------------------------------------------
# Fitting one spline
# ---------------------------------------------------------------------------


def test_fit_at_d_equal_n_interpolates(data):
    x, y = data
    fit = fit_spline(x, y, N)
    np.testing.assert_allclose(fit(x), y, atol=1e-9)
    np.testing.assert_allclose(
        natural_spline_basis(x, N) @ fit_least_squares(natural_spline_basis(x, N), y),
        y,
        atol=1e-9,
    )


def test_fit_below_n_does_not_interpolate(data):
    x, y = data
    fit = fit_spline(x, y, 10)
    assert np.mean((fit(x) - y) ** 2) > 1e-3


@pytest.mark.parametrize("df", [5, 20, 21, 36, 80])
def test_fit_spline_is_the_min_norm_fit_in_the_natural_basis(data, df):
    x, y = data
    fit = fit_spline(x, y, df)
    X = natural_spline_basis(x, df)
    np.testing.assert_allclose(fit.coef, np.linalg.pinv(X) @ y, atol=1e-10)
    np.testing.assert_allclose(fit.coef, fit_min_norm(X, y), atol=1e-12)
    assert fit.df == df
    assert fit.coef_norm == pytest.approx(np.linalg.norm(fit.coef))
    new = np.linspace(-6, 6, 13)
    expected = natural_spline_basis(new, df, knots=fit.basis.knots) @ fit.coef
    np.testing.assert_allclose(fit(new), expected)


def test_many_more_knots_than_points(data):
    x, y = data
    fit = fit_spline(x, y, 300)
    np.testing.assert_allclose(fit(x), y, atol=1e-8)
    assert np.all(np.isfinite(fit(np.linspace(-10, 10, 101))))


def test_straight_lines_are_fitted_exactly_up_to_n(data):
    # Straight lines are natural splines, so least squares recovers them
    # everywhere. (Beyond n the minimum-norm interpolant of points on a line
    # need not be that line: the data no longer pin the fit down.)
    x, _ = data
    y = 2.0 * x - 1.0
    new = np.linspace(-8, 8, 17)
    for df in (2, 5, 20):
        np.testing.assert_allclose(
            fit_spline(x, y, df)(new), 2.0 * new - 1.0, atol=1e-8
        )
    np.testing.assert_allclose(fit_spline(x, y, 36)(x), y, atol=1e-9)


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
    for name in (
        "train_error",
        "test_error",
        "coef_norm",
        "roughness",
        "total_variation",
    ):
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
            assert result.roughness[r, j] == pytest.approx(
                fit.roughness, rel=1e-6, abs=1e-9
            )
            assert result.total_variation[r, j] == pytest.approx(
                fit.total_variation, rel=1e-8
            )


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
    with pytest.raises(ValueError, match=rf"df must be an integer >= 2, got {df}"):
        fit_spline(x, y, df)
    with pytest.raises(
        ValueError, match=rf"dfs\[1\] must be an integer >= 2, got {df}"
    ):
        double_descent([5, df], n_repeats=2)


def test_df_must_be_an_integer(data):
    x, y = data
    with pytest.raises(TypeError, match="df must be an integer, got float"):
        fit_spline(x, y, 5.0)
    with pytest.raises(TypeError, match=r"dfs\[0\] must be an integer, got float"):
        double_descent([5.0, 6.0], n_repeats=2)


def test_x_and_y_of_different_lengths_are_refused(data):
    x, y = data
    with pytest.raises(
        ValueError, match="x and y must have the same length, got 20 and 19"
    ):
        fit_spline(x, y[:-1], 5)


@pytest.mark.parametrize("where", ["x", "y"])
def test_nan_is_refused(data, where):
    x, y = data[0].copy(), data[1].copy()
    (x if where == "x" else y)[3] = np.nan
    with pytest.raises(
        ValueError, match=f"{where} must not contain NaN or infinite values"
    ):
        fit_spline(x, y, 5)


def test_bad_shapes_are_refused(data):
    x, y = data
    with pytest.raises(
        ValueError, match=r"x must have 1 dimension\(s\), got shape \(4, 5\)"
    ):
        fit_spline(x.reshape(4, 5), y, 5)
    with pytest.raises(
        ValueError, match=r"y must have 1 dimension\(s\), got shape \(4, 5\)"
    ):
        fit_spline(x, y.reshape(4, 5), 5)


def test_bad_seed_and_settings_are_refused():
    with pytest.raises(
        TypeError, match=r"seed must be an int or a numpy\.random\.Generator, got str"
    ):
        sample_sine_data(5, seed="zero")
    with pytest.raises(
        ValueError, match=r"sigma must be a finite number >= 0, got -1\.0"
    ):
        sample_sine_data(5, sigma=-1)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        sample_sine_data(0)
    with pytest.raises(ValueError, match="n_sets must be an integer >= 1, got 0"):
        sample_sine_data(5, n_sets=0)
    with pytest.raises(
        ValueError, match=r"low must be less than high, got low=1\.0, high=1\.0"
    ):
        sample_sine_data(5, low=1.0, high=1.0)
    with pytest.raises(ValueError, match=r"high must be a finite number, got inf"):
        sample_sine_data(5, high=np.inf)
    with pytest.raises(ValueError, match="n_repeats must be an integer >= 1, got 0"):
        double_descent([2, 3], n_repeats=0)
    with pytest.raises(ValueError, match="n_train must be an integer >= 2, got 1"):
        double_descent([2, 3], n_train=1)
    # A huge count is refused before anything is drawn (it used to end in MemoryError).
    with pytest.raises(
        ValueError, match="n_repeats must be an integer <= 10000000, got 1000000000000"
    ):
        double_descent([2, 3], n_repeats=10**12)
    with pytest.raises(
        ValueError, match="n_sets must be an integer <= 10000000, got 1000000000000"
    ):
        sample_sine_data(5, n_sets=10**12)
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        double_descent([2, 3], seed=-1)
    with pytest.raises(
        TypeError,
        match=r"seed must be an int or a numpy\.random\.Generator, got NoneType",
    ):
        sample_sine_data(5, seed=None)
    with pytest.raises(
        ValueError,
        match=r"dfs must be a non-empty 1-D sequence of integers, got shape \(0,\)",
    ):
        double_descent([])


def test_the_public_api_is_listed():
    for name in double_descent_module.__all__:
        assert hasattr(double_descent_module, name), name
