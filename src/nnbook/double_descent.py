"""Double descent: fitting ever more flexible splines to a few noisy points.

This reproduces the experiment of *An Introduction to Statistical Learning*
(2nd ed., section 10.8): draw ``n`` noisy points from ``Y = sin(X) + eps``,
fit natural cubic splines with ``d`` degrees of freedom by minimum-norm least
squares, and watch the training and test error as ``d`` grows past ``n``.

* :func:`sample_sine_data` draws the data.
* :func:`fit_spline` fits one natural cubic spline (knots at quantiles of x,
  :mod:`nnbook.splines`; coefficients by
  :func:`nnbook.least_squares.fit_min_norm`) and returns a :class:`SplineFit`
  that predicts on new x.
* :func:`double_descent` runs the whole experiment over many training sets at
  once and returns a :class:`DoubleDescentResult`.

Functions that draw random numbers take ``seed``: an ``int`` (the same int
gives the same numbers) or a :class:`numpy.random.Generator` (which is
advanced, so successive calls give fresh draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnbook._checks import (
    Seed,
    as_generator,
    as_real_array,
    check_count,
    check_finite,
    check_int,
    check_nonnegative,
    check_same_length,
)
from nnbook.least_squares import fit_min_norm
from nnbook.splines import NaturalSplineBasis, roughness, total_variation

__all__ = [
    "DoubleDescentResult",
    "SplineFit",
    "double_descent",
    "fit_spline",
    "sample_sine_data",
]


def sample_sine_data(
    n: int,
    sigma: float = 0.3,
    seed: Seed = 0,
    *,
    n_sets: int | None = None,
    low: float = -5.0,
    high: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` noisy points of a sine: ``Y = sin(X) + eps``.

    ``X ~ U[low, high]`` and ``eps ~ N(0, sigma^2)``.

    Parameters
    ----------
    n
        Number of points per data set, >= 1.
    sigma
        Standard deviation of the noise, >= 0.
    seed
        An int or a :class:`numpy.random.Generator`.
    n_sets
        If given, draw that many independent data sets at once (at most ten
        million); the arrays then have shape ``(n_sets, n)``.
    low, high
        The interval of X.

    Returns
    -------
    x, y : numpy.ndarray
        Shape ``(n,)`` each, or ``(n_sets, n)``.
    """
    n = check_int(n, "n", minimum=1)
    sigma = check_nonnegative(sigma, "sigma")
    low, high = check_finite(low, "low"), check_finite(high, "high")
    if not low < high:
        raise ValueError(f"low must be less than high, got low={low}, high={high}")
    shape: tuple[int, ...] = (
        (n,) if n_sets is None else (check_count(n_sets, "n_sets", minimum=1), n)
    )
    rng = as_generator(seed)
    x = rng.uniform(low, high, size=shape)
    y = np.sin(x) + sigma * rng.standard_normal(shape)
    return x, y


@dataclass(frozen=True)
class SplineFit:
    """A natural cubic spline fitted to data: a basis and its coefficients.

    Call it on new x to predict. :func:`fit_spline` makes one.
    """

    basis: NaturalSplineBasis
    coef: np.ndarray

    def __call__(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Return the fitted function at ``x``."""
        return self.basis(x) @ self.coef

    @property
    def df(self) -> int:
        """Degrees of freedom of the spline."""
        return self.basis.df

    @property
    def coef_norm(self) -> float:
        """The Euclidean norm of the coefficients, ``||w||``."""
        return float(np.linalg.norm(self.coef))

    @property
    def roughness(self) -> float:
        """``integral of f''(x)^2 dx``, see :func:`nnbook.splines.roughness`."""
        return float(roughness(self.basis, self.coef))

    @property
    def total_variation(self) -> float:
        """``integral of |f'(x)| dx`` between the boundary knots.

        See :func:`nnbook.splines.total_variation`.
        """
        return float(total_variation(self.basis, self.coef))


def fit_spline(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, df: int
) -> SplineFit:
    """Fit a natural cubic spline with ``df`` degrees of freedom to ``(x, y)``.

    The knots go to quantiles of ``x`` and the coefficients are the
    minimum-norm least-squares solution
    (:func:`nnbook.least_squares.fit_min_norm`): the ordinary least-squares
    fit for ``df <= len(x)``, the smallest exact fit beyond.

    Raises
    ------
    ValueError
        If ``df < 2``, ``x`` and ``y`` differ in length, or either holds NaN.
    """
    x = as_real_array(x, "x", dtype=float, ndim=1)
    y = as_real_array(y, "y", dtype=float, ndim=1)
    check_same_length(x, y, "x", "y")
    basis = NaturalSplineBasis.from_data(x, df)
    return SplineFit(basis, fit_min_norm(basis(x), y))


@dataclass(frozen=True)
class DoubleDescentResult:
    """The errors of the double-descent experiment.

    Every array has one row per random training set and one column per
    entry of ``dfs``: shape ``(n_repeats, len(dfs))``.

    Attributes
    ----------
    dfs
        The degrees of freedom tried.
    train_error, test_error
        Mean squared error on the training set and on an independent test
        set drawn for each repeat.
    coef_norm
        ``||w||`` of each fit.
    roughness
        ``integral of f''^2`` of each fit (:func:`nnbook.splines.roughness`).
    total_variation
        ``integral of |f'|`` of each fit over the range of its training x
        (:func:`nnbook.splines.total_variation`).
    n_train, sigma
        The experiment's settings; the interpolation threshold is at
        ``d = n_train``.
    """

    dfs: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    coef_norm: np.ndarray
    roughness: np.ndarray
    total_variation: np.ndarray
    n_train: int
    sigma: float


def double_descent(
    dfs: Sequence[int] | np.ndarray,
    n_train: int = 20,
    n_test: int = 1000,
    n_repeats: int = 100,
    sigma: float = 0.3,
    seed: Seed = 0,
) -> DoubleDescentResult:
    """Run the double-descent experiment of ISLR section 10.8.

    For each of ``n_repeats`` independent training sets of ``n_train``
    points from :func:`sample_sine_data`, and each ``d`` in ``dfs``, fit a
    natural cubic spline with ``d`` degrees of freedom as :func:`fit_spline`
    does (knots at quantiles of the training x; minimum-norm least squares)
    and record its training and test error. All repeats are fitted together
    as one stack of matrices, so the loop runs over ``dfs`` only.

    The data come from one generator: first all training sets
    (``sample_sine_data(n_train, sigma, rng, n_sets=n_repeats)``), then all
    test sets, one of ``n_test`` points per repeat.

    Parameters
    ----------
    dfs
        Degrees of freedom to try, each an integer >= 2.
    n_train
        Training points per repeat, >= 2.
    n_test
        Test points per repeat, >= 1.
    n_repeats
        Number of independent training sets, from 1 to ten million.
    sigma
        Noise standard deviation, >= 0.
    seed
        An int or a :class:`numpy.random.Generator`; the same int gives the
        same result.

    Returns
    -------
    DoubleDescentResult
    """
    dfs_array = np.asarray(dfs)
    if dfs_array.ndim != 1 or dfs_array.size == 0:
        raise ValueError(
            "dfs must be a non-empty 1-D sequence of integers, "
            f"got shape {dfs_array.shape}"
        )
    dfs_list = [
        check_int(d, f"dfs[{i}]", minimum=2) for i, d in enumerate(dfs_array.tolist())
    ]
    n_train = check_int(n_train, "n_train", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    n_repeats = check_count(n_repeats, "n_repeats", minimum=1)
    rng = as_generator(seed)
    x, y = sample_sine_data(n_train, sigma, rng, n_sets=n_repeats)
    x_test, y_test = sample_sine_data(n_test, sigma, rng, n_sets=n_repeats)

    def mean_squared_error(
        X: np.ndarray, w: np.ndarray, target: np.ndarray
    ) -> np.ndarray:
        return np.mean((np.einsum("rnk,rk->rn", X, w) - target) ** 2, axis=-1)

    shape = (n_repeats, len(dfs_list))
    train_error, test_error = np.empty(shape), np.empty(shape)
    coef_norm, rough, variation = np.empty(shape), np.empty(shape), np.empty(shape)
    for j, df in enumerate(dfs_list):
        basis = NaturalSplineBasis.from_data(x, df)  # one basis per training set
        X = basis(x)
        w = fit_min_norm(X, y)
        train_error[:, j] = mean_squared_error(X, w, y)
        test_error[:, j] = mean_squared_error(basis(x_test), w, y_test)
        coef_norm[:, j] = np.linalg.norm(w, axis=-1)
        rough[:, j] = roughness(basis, w)
        variation[:, j] = total_variation(basis, w)
    return DoubleDescentResult(
        dfs=np.array(dfs_list),
        train_error=train_error,
        test_error=test_error,
        coef_norm=coef_norm,
        roughness=rough,
        total_variation=variation,
        n_train=n_train,
        sigma=float(sigma),
    )
