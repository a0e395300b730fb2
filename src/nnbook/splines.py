"""Natural cubic splines, least squares, minimum-norm fits and double descent.

This module holds everything the chapter on splines and double descent runs
on. It reproduces the experiment of *An Introduction to Statistical Learning*
(2nd ed., section 10.8): draw ``n`` noisy points from ``Y = sin(X) + eps``,
fit natural cubic splines with ``d`` degrees of freedom, and watch the
training and test error as ``d`` grows past ``n``.

The pieces, from the bottom up:

* :func:`spline_knots` puts ``df`` knots at the quantiles of the training x.
* :class:`NaturalSplineBasis` evaluates a natural cubic spline basis with
  those knots (cubic between the boundary knots, linear beyond them), on the
  training x or on any new x. :func:`natural_spline_basis` is the one-call
  form. :func:`truncated_power_basis` is the textbook construction of the
  same function space (ESL eq. 5.4-5.5), kept for comparison.
* :func:`fit_least_squares` (``d <= n``) and :func:`fit_min_norm` (any ``d``)
  solve the linear least-squares problem; :func:`fit_spline` puts it all
  together and returns a :class:`SplineFit` that predicts on new x.
* :func:`sample_sine_data` draws the data and :func:`double_descent` runs the
  whole experiment over many training sets at once.
* :func:`roughness` (integral of f''^2) and :func:`total_variation`
  (the integral of the absolute slope, ``|f'|``) measure how wiggly a fitted curve is.
* :func:`gradient_descent_least_squares` shows that gradient descent started
  at zero lands on the minimum-norm solution.

Everything is NumPy. Functions that draw random numbers take ``seed``: an
``int`` (the same int gives the same numbers) or a
:class:`numpy.random.Generator` (which is advanced, so successive calls give
fresh draws).

A note on the basis, because it matters here. For ``d <= n`` every basis of
the same spline space gives the same least-squares *function*. For ``d > n``
there are infinitely many exact fits and the minimum-norm one minimises the
sum of squared coefficients, so it depends on the basis. We use the basis of
R's ``ns()`` (with an intercept), as in ISLR's labs: cubic B-splines on the knots, restricted to the
natural splines through an orthonormal change of coordinates. Because that
change is orthonormal, "smallest coefficient norm" here means "smallest sum of
squared B-spline coefficients" among natural splines that fit the data, a
criterion that does not depend on any further arbitrary choice. The truncated
power basis spans the same space but is badly scaled (its columns differ by
orders of magnitude and are nearly collinear), and its minimum-norm fits are
far wilder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnbook._checks import Seed, as_generator, check_int

__all__ = [
    "DoubleDescentResult",
    "NaturalSplineBasis",
    "SplineFit",
    "double_descent",
    "fit_least_squares",
    "fit_min_norm",
    "fit_spline",
    "gradient_descent_least_squares",
    "natural_spline_basis",
    "roughness",
    "sample_sine_data",
    "spline_knots",
    "total_variation",
    "truncated_power_basis",
]


#: Cubic splines: the order (degree + 1) of the B-splines.
_ORDER = 4


# ---------------------------------------------------------------------------
# Input checks (the public boundary)
# ---------------------------------------------------------------------------


def _check_df(df: object) -> int:
    """Return the degrees of freedom, which must be an integer >= 2."""
    if isinstance(df, bool) or not isinstance(df, (int, np.integer)):
        raise TypeError(f"df must be an integer, got {type(df).__name__}")
    if df < 2:
        # Two knots already give a straight line; fewer cannot be a natural spline.
        raise ValueError(
            f"df must be an integer >= 2 (a natural spline has at least 2 knots), got {df}"
        )
    return int(df)


def _check_vector(values: object, name: str) -> np.ndarray:
    """Return ``values`` as a finite 1-D float array, or raise."""
    array = np.asarray(values)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    array = array.astype(float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _check_xy(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Return ``x`` and ``y`` as finite 1-D arrays of the same length."""
    x = _check_vector(x, "x")
    y = _check_vector(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    return x, y


def _check_knots(knots: object) -> np.ndarray:
    """Return ``knots`` as a strictly increasing 1-D float array of length >= 2."""
    knots = _check_vector(knots, "knots")
    if knots.size < 2:
        raise ValueError(
            f"knots must hold at least 2 values (the boundary knots), got {knots.size}"
        )
    if np.any(np.diff(knots) <= 0):
        raise ValueError("knots must be strictly increasing")
    return knots


def _check_design(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Return a design matrix ``X`` (..., n, p) and a response ``y`` (..., n)."""
    X = np.asarray(X)
    y = np.asarray(y)
    for name, array in (("X", X), ("y", y)):
        if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype}")
    X = X.astype(float)
    y = y.astype(float)
    if X.ndim < 2:
        raise ValueError(f"X must have shape (n, p) (or a stack (..., n, p)), got shape {X.shape}")
    if y.shape != X.shape[:-1]:
        raise ValueError(
            f"y must have shape {X.shape[:-1]} to match X of shape {X.shape}, got shape {y.shape}"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must not contain NaN or infinite values")
    return X, y


# ---------------------------------------------------------------------------
# Knots and bases
# ---------------------------------------------------------------------------


def _quantile_knots(x: np.ndarray, df: int) -> np.ndarray:
    """Return ``df`` knots at evenly spaced quantiles of ``x`` along its last axis.

    Works on a stack of data sets: ``x`` of shape ``(..., n)`` gives knots of
    shape ``(..., df)``. The first and last knot are the smallest and largest
    x (the boundary knots); the quantiles interpolate linearly between data
    points, as R's default ``quantile`` and hence ``ns(x, df)`` do.
    """
    levels = np.linspace(0.0, 1.0, df)
    return np.moveaxis(np.quantile(x, levels, axis=-1), 0, -1)


def spline_knots(x: Sequence[float] | np.ndarray, df: int) -> np.ndarray:
    """Place the knots of a natural cubic spline with ``df`` degrees of freedom.

    Parameters
    ----------
    x
        The training inputs, a 1-D array.
    df
        Degrees of freedom (number of basis functions, intercept included),
        at least 2. A natural cubic spline with ``K`` knots has ``K`` degrees
        of freedom, so this returns ``df`` knots.

    Returns
    -------
    numpy.ndarray
        ``df`` strictly increasing knots at the quantiles ``0, 1/(df-1), ...,
        1`` of ``x``: the boundary knots are ``min(x)`` and ``max(x)``.

    Raises
    ------
    ValueError
        If ``df < 2``, if ``x`` holds NaN, or if ``x`` has so many tied values
        that two knots coincide.
    """
    df = _check_df(df)
    x = _check_vector(x, "x")
    if np.unique(x).size < 2:
        raise ValueError("x must hold at least 2 distinct values to place the boundary knots")
    knots = _quantile_knots(x, df)
    if np.any(np.diff(knots) <= 0):
        raise ValueError(
            f"x has too many tied values for df={df}: two quantile knots coincide; use fewer df"
        )
    return knots


def _bspline_table(x: np.ndarray, t: np.ndarray, deriv: int) -> np.ndarray:
    """Evaluate all cubic B-splines on the knot vector ``t`` (or a derivative).

    ``x`` has shape ``(..., n)`` and must lie in ``[t[0], t[-1]]``; ``t`` has
    shape ``(..., m)``, non-decreasing, with the boundary knots repeated four
    times. Returns shape ``(..., n, m - 4)``: column i is the i-th B-spline
    (or its ``deriv``-th derivative) at x.

    Only four cubic B-splines are non-zero at any x: if
    ``t[j] <= x < t[j + 1]``, those are numbers ``j - 3, ..., j``. So we run
    the Cox-de Boor recursion on those four only (de Boor's local
    algorithm) and scatter them into the full table. For a derivative we
    stop the recursion at degree ``3 - deriv`` and apply the derivative
    formula ``deriv`` times instead.
    """
    m = t.shape[-1]
    degree = _ORDER - 1
    # The knot interval of each x; the last non-empty interval is closed on
    # the right so that x = t[-1] is covered, and the repeated boundary knots
    # are skipped at the left.
    j = np.sum(t[..., None, :] <= x[..., :, None], axis=-1) - 1
    j = np.clip(j, degree, m - _ORDER - 1)

    # knot[k] = t[j + k] for every x (shape (..., n)), for the k we need.
    knot = {k: np.take_along_axis(t, j + k, axis=-1) for k in range(-degree, degree + 2)}

    def reciprocal(den: np.ndarray) -> np.ndarray:
        # 1/0 = 0: a zero width only ever multiplies a spline that is zero.
        return np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), 0.0)

    zero = np.zeros_like(x, dtype=float)
    # values[r] holds B_{j-p+r, p}(x) for r = 0..p, the non-zero splines of degree p.
    values = [np.ones_like(x, dtype=float)]
    for p in range(1, degree - deriv + 1):
        old = [zero, *values, zero]  # B_{i,p-1} for i = j-p .. j+1
        values = []
        for r in range(p + 1):
            k = r - p  # i = j + k
            # B_{i,p} = (x - t_i) / (t_{i+p} - t_i) B_{i,p-1}
            #         + (t_{i+p+1} - x) / (t_{i+p+1} - t_{i+1}) B_{i+1,p-1}
            left = (x - knot[k]) * reciprocal(knot[k + p] - knot[k])
            right = (knot[k + p + 1] - x) * reciprocal(knot[k + p + 1] - knot[k + 1])
            values.append(left * old[r] + right * old[r + 1])
    for p in range(degree - deriv + 1, degree + 1):
        old = [zero, *values, zero]
        values = []
        for r in range(p + 1):
            k = r - p
            # d/dx B_{i,p} = p (B_{i,p-1}/(t_{i+p} - t_i) - B_{i+1,p-1}/(t_{i+p+1} - t_{i+1}))
            left = reciprocal(knot[k + p] - knot[k])
            right = reciprocal(knot[k + p + 1] - knot[k + 1])
            values.append(p * (left * old[r] - right * old[r + 1]))

    table = np.zeros((*x.shape, m - _ORDER))
    columns = (j - degree)[..., None] + np.arange(_ORDER)
    np.put_along_axis(table, columns, np.stack(values, axis=-1), axis=-1)
    return table


def _natural_design(x: np.ndarray, knots: np.ndarray, deriv: int = 0) -> np.ndarray:
    """The natural cubic spline basis (or a derivative of it), on a stack.

    ``x`` has shape ``(..., n)`` and ``knots`` shape ``(..., K)``, strictly
    increasing along the last axis; returns shape ``(..., n, K)``.

    Construction (as R's ``ns(..., intercept = TRUE)``): the ``K + 2`` cubic
    B-splines on the knots span all cubic splines; the natural ones are those
    whose second derivative vanishes at both boundary knots. We take an
    orthonormal basis ``Z`` of the B-spline coefficients that satisfy these
    two linear constraints (from a QR decomposition) and use the columns of
    ``B @ Z``. Beyond the boundary knots each function continues as the
    straight line that touches it at the boundary.
    """
    lo, hi = knots[..., :1], knots[..., -1:]
    t = np.concatenate(
        [np.repeat(lo, _ORDER - 1, axis=-1), knots, np.repeat(hi, _ORDER - 1, axis=-1)], axis=-1
    )
    # The two constraints: second derivatives at the boundary knots.
    constraints = _bspline_table(np.concatenate([lo, hi], axis=-1), t, deriv=2)
    Q, _ = np.linalg.qr(np.swapaxes(constraints, -1, -2), mode="complete")
    Z = Q[..., :, 2:]

    inside = np.clip(x, lo, hi)
    if deriv == 0:
        # Linear continuation beyond the boundary knots:
        # f(x) = f(boundary) + f'(boundary) (x - boundary).
        beyond = np.stack([np.minimum(x - lo, 0.0), np.maximum(x - hi, 0.0)], axis=-1)
        slopes = _bspline_table(np.concatenate([lo, hi], axis=-1), t, deriv=1)
        return _bspline_table(inside, t, deriv=0) @ Z + beyond @ (slopes @ Z)
    if deriv == 1:
        return _bspline_table(inside, t, deriv=1) @ Z
    if deriv == 2:
        # f'' = 0 beyond the boundary knots, where f is a straight line.
        return np.where((x == inside)[..., None], _bspline_table(inside, t, deriv=2) @ Z, 0.0)
    raise ValueError(f"deriv must be 0, 1 or 2, got {deriv}")


@dataclass(frozen=True)
class NaturalSplineBasis:
    """A natural cubic spline basis with fixed knots.

    A natural cubic spline is a piecewise cubic polynomial, joined smoothly
    (continuous up to the second derivative) at the knots, and linear beyond
    the two boundary knots. With ``K`` knots the space has dimension ``K``,
    so the basis has ``df = K`` columns, the constant function included.

    Build it from training inputs with :meth:`from_data`, then call it on any
    x (training or new) to get the design matrix.

    Parameters
    ----------
    knots
        Strictly increasing knots; the first and last are the boundary knots.

    Examples
    --------
    >>> basis = NaturalSplineBasis.from_data([0.0, 1.0, 2.0, 3.0, 4.0], df=3)
    >>> basis.knots
    array([0., 2., 4.])
    >>> basis([0.5, 5.0]).shape
    (2, 3)
    """

    knots: np.ndarray

    def __post_init__(self) -> None:
        knots = _check_knots(self.knots)
        knots.setflags(write=False)
        object.__setattr__(self, "knots", knots)

    @classmethod
    def from_data(cls, x: Sequence[float] | np.ndarray, df: int) -> NaturalSplineBasis:
        """Return the basis with ``df`` knots at quantiles of ``x`` (see :func:`spline_knots`)."""
        return cls(spline_knots(x, df))

    @property
    def df(self) -> int:
        """The number of basis functions (degrees of freedom)."""
        return int(self.knots.size)

    def __call__(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Return the design matrix of shape ``(len(x), df)``: column j is basis function j at x."""
        return _natural_design(_check_vector(x, "x"), self.knots)

    def derivative(self, x: Sequence[float] | np.ndarray, order: int = 1) -> np.ndarray:
        """Return the ``order``-th derivative (1 or 2) of every basis function at ``x``.

        The second derivative is exactly zero outside the boundary knots,
        which is what makes the spline *natural*.
        """
        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {order!r}")
        return _natural_design(_check_vector(x, "x"), self.knots, deriv=order)


def natural_spline_basis(
    x: Sequence[float] | np.ndarray, df: int, knots: Sequence[float] | np.ndarray | None = None
) -> np.ndarray:
    """Return a natural cubic spline design matrix with ``df`` columns.

    Parameters
    ----------
    x
        Points at which to evaluate the basis, 1-D.
    df
        Degrees of freedom: the number of columns (intercept included), >= 2.
    knots
        The knots to use; ``len(knots)`` must equal ``df``. If omitted, the
        knots are placed at quantiles of ``x`` (:func:`spline_knots`). To
        evaluate a basis built on training data at new points, pass the
        training knots (or use :class:`NaturalSplineBasis`).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(x), df)``.
    """
    df = _check_df(df)
    if knots is None:
        knots = spline_knots(x, df)
    knots = _check_knots(knots)
    if knots.size != df:
        raise ValueError(f"a natural spline with df={df} needs {df} knots, got {knots.size}")
    return NaturalSplineBasis(knots)(x)


def truncated_power_basis(
    x: Sequence[float] | np.ndarray, knots: Sequence[float] | np.ndarray
) -> np.ndarray:
    """The textbook natural cubic spline basis (ESL eq. 5.4-5.5).

    With knots ``xi_1 < ... < xi_K`` the columns are ``N_1 = 1``, ``N_2 = x``
    and ``N_{k+2} = d_k - d_{K-1}`` for ``k = 1, ..., K-2``, where
    ``d_k(x) = ((x - xi_k)_+^3 - (x - xi_K)_+^3) / (xi_K - xi_k)``.

    It spans the same functions as :class:`NaturalSplineBasis` with the same
    knots, so least-squares *fits* agree; but its columns are badly scaled
    and nearly collinear, which changes minimum-norm fits and makes it a poor
    choice for ``d > n``. It is here for comparison.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(x), len(knots))``.
    """
    x = _check_vector(x, "x")
    knots = _check_knots(knots)
    cubes = np.maximum(x[:, None] - knots[None, :], 0.0) ** 3
    d = (cubes[:, :-1] - cubes[:, -1:]) / (knots[-1] - knots[:-1])
    return np.column_stack([np.ones_like(x), x, d[:, :-1] - d[:, -1:]])


# ---------------------------------------------------------------------------
# Least squares
# ---------------------------------------------------------------------------


def fit_least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve ``min_w ||X w - y||^2`` when the solution is unique.

    Parameters
    ----------
    X
        Design matrix, shape ``(n, p)``, with full column rank (so ``p <= n``).
    y
        Responses, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        The coefficients ``w``, shape ``(p,)``.

    Raises
    ------
    ValueError
        If ``X`` does not have full column rank: then infinitely many ``w``
        attain the minimum; use :func:`fit_min_norm` to pick one.
    """
    X, y = _check_design(X, y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, p), got shape {X.shape}")
    n, p = X.shape
    if p > n:
        raise ValueError(
            f"X has more columns ({p}) than rows ({n}): the least-squares solution is not "
            "unique; use fit_min_norm"
        )
    w, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < p:
        raise ValueError(
            f"X has rank {rank} < {p} columns: the least-squares solution is not unique; "
            "use fit_min_norm"
        )
    return w


def fit_min_norm(X: np.ndarray, y: np.ndarray, rcond: float | None = None) -> np.ndarray:
    """Return the minimum-norm least-squares solution ``w = pinv(X) @ y``.

    Among all ``w`` that minimise ``||X w - y||^2`` this is the one with the
    smallest ``||w||``. When ``X`` has full column rank it is *the*
    least-squares solution; when ``p > n`` (more coefficients than data) and
    ``X`` has full row rank, it fits the data exactly and is the smallest
    exact fit.

    It is computed from the singular value decomposition ``X = U S V^T``:
    ``w = V S^+ U^T y``, where ``S^+`` inverts the singular values above
    ``rcond * s_max`` and sets the rest to zero (they are round-off, and
    inverting them would add huge components along the null space).

    Parameters
    ----------
    X
        Design matrix, shape ``(n, p)``, or a stack of them ``(..., n, p)``.
    y
        Responses, shape ``(n,)`` or ``(..., n)``.
    rcond
        Relative cut-off for small singular values; by default
        ``machine epsilon * max(n, p)``, as :func:`numpy.linalg.lstsq` uses.

    Returns
    -------
    numpy.ndarray
        The coefficients, shape ``(p,)`` or ``(..., p)``.
    """
    X, y = _check_design(X, y)
    n, p = X.shape[-2:]
    if rcond is None:
        rcond = np.finfo(float).eps * max(n, p)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > rcond * s[..., :1]
    s_inverse = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    Uty = np.einsum("...ki,...k->...i", U, y)
    return np.einsum("...ij,...i->...j", Vt, s_inverse * Uty)


def gradient_descent_least_squares(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray | None = None,
    eta: float | None = None,
    steps: int = 1000,
) -> np.ndarray:
    """Run plain gradient descent on ``L(w) = ||X w - y||^2 / 2``.

    The update is ``w <- w - eta * X^T (X w - y)``. Every update lies in the
    row space of ``X``, so the part of ``w0`` in the null space of ``X`` never
    changes. Started at zero, the iterates therefore stay in the row space and
    converge to the minimum-norm solution; from any other start they converge
    to the minimum-norm solution plus the null-space part of ``w0``.

    Parameters
    ----------
    X
        Design matrix, shape ``(n, p)``.
    y
        Responses, shape ``(n,)``.
    w0
        Starting point, shape ``(p,)``; zeros by default.
    eta
        Learning rate; by default ``1 / s_max^2`` with ``s_max`` the largest
        singular value of ``X``, safely below the divergence limit
        ``2 / s_max^2``.
    steps
        Number of updates, >= 0.

    Returns
    -------
    numpy.ndarray
        All iterates ``w_0, ..., w_steps``, shape ``(steps + 1, p)``; the last
        row is the final answer.
    """
    X, y = _check_design(X, y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, p), got shape {X.shape}")
    steps = check_int(steps, "steps", 0)
    p = X.shape[1]
    if w0 is None:
        w = np.zeros(p)
    else:
        w = _check_vector(w0, "w0")
        if w.shape != (p,):
            raise ValueError(f"w0 must have shape ({p},) to match X, got shape {w.shape}")
    if eta is None:
        eta = float(1.0 / np.linalg.norm(X, ord=2) ** 2)
    elif not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a positive number, got {eta!r}")
    path = np.empty((steps + 1, p))
    path[0] = w
    for k in range(1, steps + 1):
        w = w - eta * (X.T @ (X @ w - y))
        path[k] = w
    return path


# ---------------------------------------------------------------------------
# Roughness and fitted splines
# ---------------------------------------------------------------------------


def _roughness(knots: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Integral of f''(x)^2 for splines on a stack: knots (..., K), coef (..., K).

    Between knots a cubic has a linear second derivative, so f''^2 is a
    quadratic there and Simpson's rule on each knot interval is exact.
    Beyond the boundary knots f'' = 0 and nothing is added.
    """
    mid = (knots[..., :-1] + knots[..., 1:]) / 2
    points = np.concatenate([knots, mid], axis=-1)
    second = np.einsum("...nk,...k->...n", _natural_design(points, knots, deriv=2), coef)
    K = knots.shape[-1]
    at_knots, at_mid = second[..., :K], second[..., K:]
    a, b = at_knots[..., :-1], at_knots[..., 1:]
    widths = np.diff(knots, axis=-1)
    return np.sum(widths / 6 * (a**2 + 4 * at_mid**2 + b**2), axis=-1)


def _total_variation(knots: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Total variation of f on [first knot, last knot], on a stack (see :func:`total_variation`).

    f is monotone between consecutive zeros of f', so the total variation is
    the sum of ``|f(b) - f(a)|`` over the pieces between the knots and the
    zeros of f'. On each knot interval f' is a quadratic, whose zeros we get
    in closed form from f' at the interval's two ends and its middle.
    """
    a, b = knots[..., :-1], knots[..., 1:]
    points = np.concatenate([a, (a + b) / 2, b], axis=-1)
    slope = np.einsum("...nk,...k->...n", _natural_design(points, knots, deriv=1), coef)
    g0, g_mid, g1 = np.split(slope, 3, axis=-1)
    # f'(a + s (b - a)) = c0 + c1 s + c2 s^2 for s in [0, 1].
    c0, c2 = g0, 2 * (g0 - 2 * g_mid + g1)
    c1 = g1 - g0 - c2
    discriminant = c1**2 - 4 * c0 * c2
    root = np.sqrt(np.maximum(discriminant, 0.0))
    # The numerically stable pair of roots: q / c2 and c0 / q.
    q = -(c1 + np.where(c1 >= 0, root, -root)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        candidates = np.stack([q / c2, c0 / q], axis=-1)
    valid = (discriminant[..., None] > 0) & (candidates > 0) & (candidates < 1)
    s = np.where(valid, candidates, 0.0)  # an invalid root becomes the left end: no extra piece
    turning = a[..., None] + s * (b - a)[..., None]
    shape = (*turning.shape[:-2], -1)
    x = np.sort(np.concatenate([knots, turning.reshape(shape)], axis=-1), axis=-1)
    f = np.einsum("...nk,...k->...n", _natural_design(x, knots), coef)
    return np.sum(np.abs(np.diff(f, axis=-1)), axis=-1)


def total_variation(basis: NaturalSplineBasis, coef: Sequence[float] | np.ndarray) -> float:
    """Return the total variation of ``f = basis @ coef`` between the boundary knots.

    Walk along the curve from the first to the last knot and add up how far
    it climbs and how far it falls: that is the total variation,
    ``integral of |f'(x)| dx``. A monotone curve has total variation
    ``|f(last knot) - f(first knot)|``; every extra wiggle adds twice its
    height. The value is exact (see the source), not a grid approximation.
    """
    coef = _check_vector(coef, "coef")
    if coef.shape != (basis.df,):
        raise ValueError(f"coef must have shape ({basis.df},) to match the basis, got {coef.shape}")
    return float(_total_variation(basis.knots, coef))


def roughness(basis: NaturalSplineBasis, coef: Sequence[float] | np.ndarray) -> float:
    """Return the roughness ``integral of f''(x)^2 dx`` of the spline ``f = basis @ coef``.

    This is the penalty of a smoothing spline: zero for a straight line,
    large for a curve that bends sharply. The integral is exact (see the
    source), not a grid approximation.
    """
    coef = _check_vector(coef, "coef")
    if coef.shape != (basis.df,):
        raise ValueError(f"coef must have shape ({basis.df},) to match the basis, got {coef.shape}")
    return float(_roughness(basis.knots, coef))


@dataclass(frozen=True)
class SplineFit:
    """A natural cubic spline fitted to data: a basis and its coefficients.

    Call it on new x to predict.
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
        """``integral of f''(x)^2 dx``, see :func:`roughness`."""
        return roughness(self.basis, self.coef)

    @property
    def total_variation(self) -> float:
        """``integral of |f'(x)| dx`` between the boundary knots, see :func:`total_variation`."""
        return total_variation(self.basis, self.coef)


def fit_spline(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, df: int
) -> SplineFit:
    """Fit a natural cubic spline with ``df`` degrees of freedom to ``(x, y)``.

    The knots go to quantiles of ``x`` and the coefficients are the
    minimum-norm least-squares solution (:func:`fit_min_norm`): the ordinary
    least-squares fit for ``df <= len(x)``, the smallest exact fit beyond.

    Raises
    ------
    ValueError
        If ``df < 2``, ``x`` and ``y`` differ in length, or either holds NaN.
    """
    df = _check_df(df)
    x, y = _check_xy(x, y)
    basis = NaturalSplineBasis.from_data(x, df)
    return SplineFit(basis, fit_min_norm(basis(x), y))


# ---------------------------------------------------------------------------
# Data and the experiment
# ---------------------------------------------------------------------------


def sample_sine_data(
    n: int,
    sigma: float = 0.3,
    seed: Seed = 0,
    *,
    n_sets: int | None = None,
    low: float = -5.0,
    high: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points of ``Y = sin(X) + eps``, ``X ~ U[low, high]``, ``eps ~ N(0, sigma^2)``.

    Parameters
    ----------
    n
        Number of points per data set, >= 1.
    sigma
        Standard deviation of the noise, >= 0.
    seed
        An int or a :class:`numpy.random.Generator`.
    n_sets
        If given, draw that many independent data sets at once; the arrays
        then have shape ``(n_sets, n)``.
    low, high
        The interval of X.

    Returns
    -------
    x, y : numpy.ndarray
        Shape ``(n,)`` each, or ``(n_sets, n)``.
    """
    n = check_int(n, "n", 1)
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a non-negative number, got {sigma!r}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got low={low!r}, high={high!r}")
    shape: tuple[int, ...] = (n,) if n_sets is None else (check_int(n_sets, "n_sets", 1), n)
    rng = as_generator(seed)
    x = rng.uniform(low, high, size=shape)
    y = np.sin(x) + sigma * rng.standard_normal(shape)
    return x, y


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
        ``integral of f''^2`` of each fit (:func:`roughness`).
    total_variation
        ``integral of |f'|`` of each fit over the range of its training x
        (:func:`total_variation`).
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
    natural cubic spline with ``d`` degrees of freedom (knots at quantiles of
    the training x; minimum-norm least squares, see :func:`fit_spline`) and
    record its training and test error. All repeats are fitted together as
    one stack of matrices, so the loop runs over ``dfs`` only.

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
        Number of independent training sets, >= 1.
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
            f"dfs must be a non-empty 1-D sequence of integers, got shape {dfs_array.shape}"
        )
    dfs_list = [_check_df(d) for d in dfs_array.tolist()]
    n_train = check_int(n_train, "n_train", 2)
    n_test = check_int(n_test, "n_test", 1)
    n_repeats = check_int(n_repeats, "n_repeats", 1)
    rng = as_generator(seed)
    x, y = sample_sine_data(n_train, sigma, rng, n_sets=n_repeats)
    x_test, y_test = sample_sine_data(n_test, sigma, rng, n_sets=n_repeats)

    shape = (n_repeats, len(dfs_list))
    train_error, test_error = np.empty(shape), np.empty(shape)
    coef_norm, rough, variation = np.empty(shape), np.empty(shape), np.empty(shape)
    for j, df in enumerate(dfs_list):
        knots = _quantile_knots(x, df)
        X = _natural_design(x, knots)
        w = fit_min_norm(X, y)
        train_error[:, j] = np.mean((np.einsum("rnk,rk->rn", X, w) - y) ** 2, axis=-1)
        X_test = _natural_design(x_test, knots)
        test_error[:, j] = np.mean((np.einsum("rnk,rk->rn", X_test, w) - y_test) ** 2, axis=-1)
        coef_norm[:, j] = np.linalg.norm(w, axis=-1)
        rough[:, j] = _roughness(knots, w)
        variation[:, j] = _total_variation(knots, w)
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
