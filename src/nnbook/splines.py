"""Natural cubic splines: knots, bases, and how wiggly a spline is.

A natural cubic spline is a piecewise cubic polynomial, joined smoothly at its
knots and linear beyond the two outer ones.

* :func:`spline_knots` puts ``df`` knots at the quantiles of the training x.
* :class:`NaturalSplineBasis` evaluates a natural cubic spline basis with
  those knots on the training x or on any new x; :func:`natural_spline_basis`
  is the one-call form. :func:`truncated_power_basis` is the textbook
  construction of the same function space (ESL eq. 5.4-5.5), for comparison.
* :func:`roughness` (the integral of ``f''(x)^2``) and :func:`total_variation`
  (the integral of ``|f'(x)|``) measure how wiggly the spline ``basis @ coef`` is.

The knots, :class:`NaturalSplineBasis`, the roughness and the total variation
also take a stack of data sets, x of shape ``(n_sets, n)``, with one basis per
data set, so that an experiment over many training sets
(:mod:`nnbook.double_descent`) needs no Python loop over them.

A note on the basis, because it matters. For ``d <= n`` every basis of the
same spline space gives the same least-squares *function*. For ``d > n``
there are infinitely many exact fits and the minimum-norm one minimises the
sum of squared coefficients, so it depends on the basis. We use the basis of
R's ``ns()`` (with an intercept), as in ISLR's labs: cubic B-splines on the
knots, restricted to the natural splines through an orthonormal change of
coordinates. Because that change is orthonormal, "smallest coefficient norm"
here means "smallest sum of squared B-spline coefficients" among natural
splines that fit the data, a criterion that does not depend on any further
arbitrary choice. The truncated power basis spans the same space but is badly
scaled (its columns differ by orders of magnitude and are nearly collinear),
and its minimum-norm fits are far wilder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnbook._checks import as_real_array, check_int

__all__ = [
    "NaturalSplineBasis",
    "natural_spline_basis",
    "roughness",
    "spline_knots",
    "total_variation",
    "truncated_power_basis",
]


#: Cubic splines: the order (degree + 1) of the B-splines.
_ORDER = 4


def _check_knots(knots: object, ndim: int | tuple[int, ...] = (1, 2)) -> np.ndarray:
    """Return ``knots``, one knot vector or a stack of them, as floats, or raise."""
    knots = as_real_array(knots, "knots", dtype=float, ndim=ndim)
    if knots.shape[-1] < 2:
        raise ValueError(
            "knots must hold at least 2 values (the boundary knots), "
            f"got {knots.shape[-1]}"
        )
    if np.any(np.diff(knots, axis=-1) <= 0):
        raise ValueError("knots must be strictly increasing")
    return knots


def _combine(design: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Return ``design @ coef``, for a design matrix ``(n, K)`` or a stack of them."""
    return np.einsum("...nk,...k->...n", design, coef)


def spline_knots(x: Sequence[float] | np.ndarray, df: int) -> np.ndarray:
    """Place the knots of a natural cubic spline with ``df`` degrees of freedom.

    Parameters
    ----------
    x
        The training inputs, shape ``(n,)``, or a stack of data sets
        ``(n_sets, n)``.
    df
        Degrees of freedom (number of basis functions, intercept included),
        at least 2. A natural cubic spline with ``K`` knots has ``K`` degrees
        of freedom, so this returns ``df`` knots.

    Returns
    -------
    numpy.ndarray
        ``df`` strictly increasing knots at the quantiles ``0, 1/(df-1), ...,
        1`` of ``x``: the boundary knots are ``min(x)`` and ``max(x)``. Shape
        ``(df,)``, or ``(n_sets, df)`` for a stack.

    Raises
    ------
    ValueError
        If ``df < 2``, if ``x`` holds NaN, or if ``x`` has so many tied values
        that two knots coincide.
    """
    # Two knots, the boundary ones, are the fewest a natural spline can have:
    # it is then a straight line.
    df = check_int(df, "df", minimum=2)
    x = as_real_array(x, "x", dtype=float, ndim=(1, 2), nonempty=True)
    if np.any(np.ptp(x, axis=-1) == 0):
        raise ValueError(
            "x must hold at least 2 distinct values to place the boundary knots"
        )
    # The quantiles interpolate linearly between data points, as R's default
    # quantile, and hence ns(x, df), does.
    knots = np.moveaxis(np.quantile(x, np.linspace(0.0, 1.0, df), axis=-1), 0, -1)
    if np.any(np.diff(knots, axis=-1) <= 0):
        raise ValueError(
            f"x has too many tied values for df={df}: two quantile knots coincide; "
            "use fewer df"
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
    knot = {
        k: np.take_along_axis(t, j + k, axis=-1) for k in range(-degree, degree + 2)
    }

    def reciprocal(den: np.ndarray) -> np.ndarray:
        # 1/0 = 0: a zero width only ever multiplies a spline that is zero.
        return np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), 0.0)

    zero = np.zeros_like(x, dtype=float)
    # values[r] holds B_{j-p+r, p}(x) for r = 0..p, the non-zero splines of degree p.
    values = [np.ones_like(x, dtype=float)]
    for p in range(1, degree + 1):
        old = [zero, *values, zero]  # B_{i,p-1} for i = j-p .. j+1
        values = []
        for r in range(p + 1):
            k = r - p  # i = j + k
            left = reciprocal(knot[k + p] - knot[k])  # 1 / (t_{i+p} - t_i)
            right = reciprocal(
                knot[k + p + 1] - knot[k + 1]
            )  # 1 / (t_{i+p+1} - t_{i+1})
            if p <= degree - deriv:
                # B_{i,p} = (x - t_i) left B_{i,p-1} + (t_{i+p+1} - x) right B_{i+1,p-1}
                values.append(
                    (x - knot[k]) * left * old[r]
                    + (knot[k + p + 1] - x) * right * old[r + 1]
                )
            else:
                # d/dx B_{i,p} = p (left B_{i,p-1} - right B_{i+1,p-1})
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
        [np.repeat(lo, _ORDER - 1, axis=-1), knots, np.repeat(hi, _ORDER - 1, axis=-1)],
        axis=-1,
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
        return np.where(
            (x == inside)[..., None], _bspline_table(inside, t, deriv=2) @ Z, 0.0
        )
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
        A stack of knot vectors, shape ``(n_sets, K)``, makes one basis per
        data set; it is then called on x of shape ``(n_sets, n)``.

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
        # A read-only copy, so that changing the caller's array cannot change the basis.
        knots = _check_knots(self.knots).copy()
        knots.setflags(write=False)
        object.__setattr__(self, "knots", knots)

    @classmethod
    def from_data(cls, x: Sequence[float] | np.ndarray, df: int) -> NaturalSplineBasis:
        """Return the basis with ``df`` knots at quantiles of ``x``.

        See :func:`spline_knots`.
        """
        return cls(spline_knots(x, df))

    @property
    def df(self) -> int:
        """The number of basis functions (degrees of freedom)."""
        return int(self.knots.shape[-1])

    def _points(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Return ``x`` as floats, shape ``(n,)``, or ``(n_sets, n)`` for a stack."""
        x = as_real_array(x, "x", dtype=float, ndim=self.knots.ndim, nonempty=True)
        if x.shape[:-1] != self.knots.shape[:-1]:
            raise ValueError(
                f"x must have shape ({self.knots.shape[0]}, n), "
                f"one row per knot vector, got shape {x.shape}"
            )
        return x

    def __call__(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Return the design matrix, shape ``(n, df)``, at ``n >= 1`` points ``x``.

        Column j is basis function j at x. For a stack of bases the shape is
        ``(n_sets, n, df)``.
        """
        return _natural_design(self._points(x), self.knots)

    def derivative(self, x: Sequence[float] | np.ndarray, order: int = 1) -> np.ndarray:
        """Return the ``order``-th derivative (1 or 2) of every basis function at ``x``.

        The second derivative is exactly zero outside the boundary knots,
        which is what makes the spline *natural*.
        """
        order = check_int(order, "order", minimum=1, maximum=2)
        return _natural_design(self._points(x), self.knots, deriv=order)


def natural_spline_basis(
    x: Sequence[float] | np.ndarray,
    df: int,
    knots: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Return a natural cubic spline design matrix with ``df`` columns.

    Parameters
    ----------
    x
        Points at which to evaluate the basis, 1-D, at least one.
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
    df = check_int(df, "df", minimum=2)
    basis = NaturalSplineBasis(spline_knots(x, df) if knots is None else knots)
    if basis.df != df:
        raise ValueError(
            f"a natural spline with df={df} needs {df} knots, got {basis.df}"
        )
    return basis(x)


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
    x = as_real_array(x, "x", dtype=float, ndim=1, nonempty=True)
    knots = _check_knots(knots, ndim=1)
    cubes = np.maximum(x[:, None] - knots[None, :], 0.0) ** 3
    d = (cubes[:, :-1] - cubes[:, -1:]) / (knots[-1] - knots[:-1])
    return np.column_stack([np.ones_like(x), x, d[:, :-1] - d[:, -1:]])


def _check_coef(basis: object, coef: object) -> np.ndarray:
    """Check that ``basis`` is a basis; return ``coef`` as floats.

    There is one coefficient per basis function (per data set).
    """
    if not isinstance(basis, NaturalSplineBasis):
        raise TypeError(
            f"basis must be a NaturalSplineBasis, got {type(basis).__name__}"
        )
    coef = as_real_array(coef, "coef", dtype=float)
    if coef.shape != basis.knots.shape:
        raise ValueError(
            f"coef must have shape {basis.knots.shape} to match the basis, "
            f"got {coef.shape}"
        )
    return coef


def roughness(
    basis: NaturalSplineBasis, coef: Sequence[float] | np.ndarray
) -> float | np.ndarray:
    """Return the roughness ``integral of f''(x)^2 dx`` of ``f = basis @ coef``.

    This is the penalty of a smoothing spline: zero for a straight line,
    large for a curve that bends sharply. The integral is exact, not a grid
    approximation: between knots a cubic has a linear second derivative, so
    f''^2 is a quadratic there and Simpson's rule on each knot interval is
    exact; beyond the boundary knots f'' = 0 and nothing is added.

    For a stack of bases, with ``coef`` of shape ``(n_sets, df)``, it returns
    one roughness per data set.
    """
    coef = _check_coef(basis, coef)
    knots = basis.knots
    mid = (knots[..., :-1] + knots[..., 1:]) / 2
    second = _combine(basis.derivative(np.concatenate([knots, mid], axis=-1), 2), coef)
    at_knots, at_mid = second[..., : basis.df], second[..., basis.df :]
    a, b = at_knots[..., :-1], at_knots[..., 1:]
    widths = np.diff(knots, axis=-1)
    return np.sum(widths / 6 * (a**2 + 4 * at_mid**2 + b**2), axis=-1)[()]


def total_variation(
    basis: NaturalSplineBasis, coef: Sequence[float] | np.ndarray
) -> float | np.ndarray:
    """Return the total variation of ``f = basis @ coef`` between the boundary knots.

    Walk along the curve from the first to the last knot and add up how far
    it climbs and how far it falls: that is the total variation,
    ``integral of |f'(x)| dx``. A monotone curve has total variation
    ``|f(last knot) - f(first knot)|``; every extra wiggle adds twice its
    height.

    The value is exact, not a grid approximation: f is monotone between
    consecutive zeros of f', so the total variation is the sum of
    ``|f(b) - f(a)|`` over the pieces between the knots and the zeros of f'.
    On each knot interval f' is a quadratic, whose zeros we get in closed form
    from f' at the interval's two ends and its middle.

    For a stack of bases, with ``coef`` of shape ``(n_sets, df)``, it returns
    one total variation per data set.
    """
    coef = _check_coef(basis, coef)
    knots = basis.knots
    a, b = knots[..., :-1], knots[..., 1:]
    slope = _combine(
        basis.derivative(np.concatenate([a, (a + b) / 2, b], axis=-1), 1), coef
    )
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
    s = np.where(
        valid, candidates, 0.0
    )  # an invalid root becomes the left end: no extra piece
    turning = a[..., None] + s * (b - a)[..., None]
    shape = (*turning.shape[:-2], -1)
    x = np.sort(np.concatenate([knots, turning.reshape(shape)], axis=-1), axis=-1)
    return np.sum(np.abs(np.diff(_combine(basis(x), coef), axis=-1)), axis=-1)[()]
