"""Tests of nnbook.splines: knots, the natural spline basis, roughness and total variation."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import splines
from nnbook.double_descent import fit_spline, sample_sine_data
from nnbook.least_squares import fit_least_squares
from nnbook.splines import (
    NaturalSplineBasis,
    natural_spline_basis,
    roughness,
    spline_knots,
    total_variation,
    truncated_power_basis,
)

N = 20


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
    np.testing.assert_allclose(
        basis(new), natural_spline_basis(new, 8, knots=basis.knots)
    )
    np.testing.assert_allclose(basis(x), natural_spline_basis(x, 8))
    assert basis.df == 8


def test_second_derivative_is_zero_beyond_the_boundary_knots(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 12)
    lo, hi = basis.knots[0], basis.knots[-1]
    outside = np.concatenate(
        [np.linspace(lo - 3, lo - 0.01, 5), np.linspace(hi + 0.01, hi + 3, 5)]
    )
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
    points = points[
        np.min(np.abs(points[:, None] - basis.knots[None, :]), axis=1) > 0.05
    ]
    h = 1e-4
    if order == 1:
        expected = (basis(points + h) - basis(points - h)) / (2 * h)
    else:
        expected = (basis(points + h) - 2 * basis(points) + basis(points - h)) / h**2
    np.testing.assert_allclose(
        basis.derivative(points, order),
        expected,
        atol=1e-4 * (1 + np.abs(expected).max()),
    )


def test_basis_is_twice_continuously_differentiable_at_the_knots(data):
    x, _ = data
    basis = NaturalSplineBasis.from_data(x, 7)
    eps = 1e-7
    for order in (0, 1, 2):
        left = (
            basis.derivative(basis.knots - eps, order)
            if order
            else basis(basis.knots - eps)
        )
        right = (
            basis.derivative(basis.knots + eps, order)
            if order
            else basis(basis.knots + eps)
        )
        np.testing.assert_allclose(left, right, atol=1e-4)


@pytest.mark.parametrize(
    ("scale", "shift"), [(1e-6, 0.0), (1e6, 0.0), (1.0, 1e6), (-2.0, 3.0)]
)
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
            X_moved @ fit_least_squares(X_moved, y),
            X @ fit_least_squares(X, y),
            atol=1e-8,
        )
        return
    np.testing.assert_allclose(X_moved, X, atol=1e-8)
    second = NaturalSplineBasis(moved_knots).derivative(scale * new + shift, 2)
    expected = NaturalSplineBasis(knots).derivative(new, 2) / scale**2
    np.testing.assert_allclose(
        second, expected, rtol=1e-6, atol=1e-8 * np.abs(expected).max()
    )


def test_basis_spans_the_same_space_as_the_truncated_power_basis(data):
    x, y = data
    for df in (4, 10, 20):
        knots = spline_knots(x, df)
        ours = natural_spline_basis(x, df)
        textbook = truncated_power_basis(x, knots)
        assert textbook.shape == (N, df)
        # Same column space: the least-squares fitted values agree, at the data and elsewhere.
        new = np.linspace(-7, 7, 50)
        fit_ours = natural_spline_basis(new, df, knots=knots) @ fit_least_squares(
            ours, y
        )
        fit_textbook = truncated_power_basis(new, knots) @ fit_least_squares(
            textbook, y
        )
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


# ---------------------------------------------------------------------------
# A stack of data sets
# ---------------------------------------------------------------------------


def test_a_stack_of_data_sets_gives_one_basis_per_set():
    x, y = sample_sine_data(N, seed=4, n_sets=3)
    knots = spline_knots(x, 7)
    assert knots.shape == (3, 7)
    basis = NaturalSplineBasis(knots)
    assert basis.df == 7
    new = np.tile(np.linspace(-6, 6, 11), (3, 1))
    X, second = basis(new), basis.derivative(new, 2)
    assert X.shape == second.shape == (3, 11, 7)
    coef = np.random.default_rng(0).normal(size=(3, 7))
    rough, variation = roughness(basis, coef), total_variation(basis, coef)
    assert rough.shape == variation.shape == (3,)
    for r in range(3):
        alone = NaturalSplineBasis.from_data(x[r], 7)
        np.testing.assert_array_equal(alone.knots, knots[r])
        np.testing.assert_allclose(X[r], alone(new[r]), atol=1e-12)
        np.testing.assert_allclose(second[r], alone.derivative(new[r], 2), atol=1e-10)
        assert rough[r] == pytest.approx(roughness(alone, coef[r]), rel=1e-12)
        assert variation[r] == pytest.approx(total_variation(alone, coef[r]), rel=1e-12)


def test_a_stack_of_bases_wants_one_row_of_points_per_basis():
    x, _ = sample_sine_data(N, seed=4, n_sets=3)
    basis = NaturalSplineBasis.from_data(x, 5)
    with pytest.raises(
        ValueError, match=r"x must have shape \(3, n\), one row per knot vector"
    ):
        basis(np.zeros((2, 4)))
    with pytest.raises(
        ValueError, match=r"x must have 2 dimension\(s\), got shape \(4,\)"
    ):
        basis(np.zeros(4))
    with pytest.raises(
        ValueError, match=r"coef must have shape \(3, 5\) to match the basis"
    ):
        roughness(basis, np.zeros(5))


def test_the_basis_keeps_its_own_read_only_copy_of_the_knots():
    knots = np.array([0.0, 1.0, 2.0])
    basis = NaturalSplineBasis(knots)
    knots[1] = 5.0
    np.testing.assert_array_equal(basis.knots, [0.0, 1.0, 2.0])
    assert knots.flags.writeable and not basis.knots.flags.writeable


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
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("df", [1, 0, -3])
def test_df_below_two_is_refused(data, df):
    x, _ = data
    message = rf"df must be an integer >= 2, got {df}"
    with pytest.raises(ValueError, match=message):
        natural_spline_basis(x, df)
    with pytest.raises(ValueError, match=message):
        spline_knots(x, df)


def test_df_must_be_an_integer(data):
    x, _ = data
    with pytest.raises(TypeError, match="df must be an integer, got float"):
        natural_spline_basis(x, 5.0)
    with pytest.raises(TypeError, match="df must be an integer, got bool"):
        spline_knots(x, True)


def test_nan_in_the_evaluation_points_is_refused(data):
    basis = NaturalSplineBasis.from_data(data[0], 5)
    with pytest.raises(ValueError, match="x must not contain NaN or infinite values"):
        basis([0.0, np.inf])
    with pytest.raises(ValueError, match="x must not contain NaN or infinite values"):
        spline_knots([0.0, np.nan, 1.0], 2)


def test_bad_shapes_and_types_are_refused(data):
    x, _ = data
    with pytest.raises(TypeError, match="x must hold real numbers, got dtype <U1"):
        natural_spline_basis(["a", "b", "c"], 2)
    with pytest.raises(
        TypeError, match="x must hold real numbers, got dtype complex128"
    ):
        spline_knots(x + 0j, 3)
    with pytest.raises(
        ValueError, match=r"x must have 1 dimension\(s\), got shape \(4, 5\)"
    ):
        NaturalSplineBasis.from_data(x, 5)(x.reshape(4, 5))
    with pytest.raises(
        ValueError, match=r"x must have 1 or 2 dimension\(s\), got shape \(2, 2, 5\)"
    ):
        spline_knots(x.reshape(2, 2, 5), 3)
    with pytest.raises(
        ValueError, match=r"x must hold at least one value, got shape \(0,\)"
    ):
        spline_knots([], 2)
    with pytest.raises(
        ValueError, match=r"x must have 1 dimension\(s\), got shape \(4, 5\)"
    ):
        truncated_power_basis(x.reshape(4, 5), spline_knots(x, 4))
    with pytest.raises(ValueError, match="order must be an integer <= 2, got 3"):
        NaturalSplineBasis.from_data(x, 5).derivative(x, 3)


def test_bad_knots_are_refused(data):
    x, _ = data
    with pytest.raises(ValueError, match="knots must be strictly increasing"):
        NaturalSplineBasis(np.array([0.0, 2.0, 1.0]))
    with pytest.raises(
        ValueError,
        match=r"knots must hold at least 2 values \(the boundary knots\), got 1",
    ):
        NaturalSplineBasis(np.array([0.0]))
    with pytest.raises(
        ValueError, match="a natural spline with df=4 needs 4 knots, got 3"
    ):
        natural_spline_basis(x, 4, knots=[-1.0, 0.0, 1.0])


def test_tied_x_values_are_refused():
    with pytest.raises(ValueError, match="x must hold at least 2 distinct values"):
        spline_knots([1.0, 1.0, 1.0], 2)
    with pytest.raises(ValueError, match="x has too many tied values for df=4"):
        spline_knots([0.0, 1.0, 1.0, 1.0, 1.0, 2.0], 4)


@pytest.mark.parametrize("measure", [roughness, total_variation])
@pytest.mark.parametrize("basis", ["basis", None, 3])
def test_wiggliness_needs_a_basis(measure, basis):
    with pytest.raises(
        TypeError,
        match=f"basis must be a NaturalSplineBasis, got {type(basis).__name__}",
    ):
        measure(basis, [1.0, 2.0, 3.0])


def test_derivative_order_and_empty_points_are_refused(data):
    basis = NaturalSplineBasis.from_data(data[0], 5)
    with pytest.raises(TypeError, match="order must be an integer, got float"):
        basis.derivative(data[0], 2.5)
    with pytest.raises(ValueError, match="order must be an integer >= 1, got 0"):
        basis.derivative(data[0], 0)
    # Evaluating at no points is a slip (a filter that left nothing), not a (0, df) matrix.
    with pytest.raises(
        ValueError, match=r"x must hold at least one value, got shape \(0,\)"
    ):
        basis.derivative([], 1)
    with pytest.raises(
        ValueError, match=r"x must hold at least one value, got shape \(0,\)"
    ):
        basis([])
    with pytest.raises(
        ValueError, match=r"x must hold at least one value, got shape \(0,\)"
    ):
        truncated_power_basis([], basis.knots)


def test_the_public_api_is_listed():
    for name in splines.__all__:
        assert hasattr(splines, name), name
