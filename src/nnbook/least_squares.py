"""Linear least squares: the unique solution, the minimum-norm one, gradient descent.

Fitting a model that is linear in its weights, ``y ≈ X w``, by least squares
means solving ``min_w ||X w - y||^2``. Three tools for it:

* :func:`fit_least_squares` for the case ``X`` has full column rank
  (``p <= n``), where the solution is unique;
* :func:`fit_min_norm` for any ``X``: among all minimisers, the one with the
  smallest ``||w||``, ``w = pinv(X) @ y``; beyond ``p = n`` it fits the data
  exactly;
* :func:`gradient_descent_least_squares`, which shows that gradient descent
  started at zero lands on the minimum-norm solution.

Everything is NumPy.
"""

from __future__ import annotations

import warnings

import numpy as np

from nnbook._checks import as_real_array, check_count, check_interval, check_positive
from nnbook.optim import DivergenceWarning

__all__ = ["fit_least_squares", "fit_min_norm", "gradient_descent_least_squares"]


def _check_design(
    X: object, y: object, stack: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return a design matrix ``X`` of shape ``(n, p)`` and responses ``y``, ``(n,)``.

    With ``stack=True``, ``X`` may also be a stack of design matrices
    ``(..., n, p)``, with one response vector per matrix in ``y`` ``(..., n)``.
    """
    X = as_real_array(X, "X", dtype=float, nonempty=True)
    if X.ndim < 2 or (X.ndim > 2 and not stack):
        wanted = "(n, p) (or a stack (..., n, p))" if stack else "(n, p)"
        raise ValueError(f"X must have shape {wanted}, got shape {X.shape}")
    y = as_real_array(y, "y", dtype=float)
    if y.shape != X.shape[:-1]:
        raise ValueError(
            f"y must have shape {X.shape[:-1]} to match X of shape {X.shape}, "
            f"got shape {y.shape}"
        )
    return X, y


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
    n, p = X.shape
    if p > n:
        raise ValueError(
            f"X has more columns ({p}) than rows ({n}): the least-squares solution "
            "is not unique; use fit_min_norm"
        )
    w, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < p:
        raise ValueError(
            f"X has rank {rank} < {p} columns: the least-squares solution is not "
            "unique; use fit_min_norm"
        )
    return w


def fit_min_norm(
    X: np.ndarray, y: np.ndarray, rcond: float | None = None
) -> np.ndarray:
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
        Relative cut-off for small singular values, a finite number in
        ``[0, 1)`` (at 1 or above every singular value would be cut and the
        answer would be zero); by default ``machine epsilon * max(n, p)``,
        as :func:`numpy.linalg.lstsq` uses.

    Returns
    -------
    numpy.ndarray
        The coefficients, shape ``(p,)`` or ``(..., p)``.
    """
    X, y = _check_design(X, y, stack=True)
    n, p = X.shape[-2:]
    if rcond is None:
        rcond = np.finfo(float).eps * max(n, p)
    else:
        rcond = check_interval(rcond, "rcond", 0.0, 1.0, high_open=True)
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
        Learning rate, > 0; by default ``1 / s_max^2`` with ``s_max`` the
        largest singular value of ``X``, safely below the divergence limit
        ``2 / s_max^2``. Each step multiplies the error along the top singular
        direction by ``1 - eta * s_max^2``, so for ``eta >= 2 / s_max^2`` the
        iterates do not converge (they grow without bound above it): such an
        ``eta`` gives a :class:`nnbook.optim.DivergenceWarning` before the
        first step, and the run is made anyway, to be looked at.
    steps
        Number of updates, from 0 to ten million (the result holds every
        iterate).

    Returns
    -------
    numpy.ndarray
        All iterates ``w_0, ..., w_steps``, shape ``(steps + 1, p)``; the last
        row is the final answer.
    """
    X, y = _check_design(X, y)
    steps = check_count(steps, "steps")
    p = X.shape[1]
    if w0 is None:
        w = np.zeros(p)
    else:
        w = as_real_array(w0, "w0", dtype=float)
        if w.shape != (p,):
            raise ValueError(
                f"w0 must have shape ({p},) to match X, got shape {w.shape}"
            )
    s_max2 = (
        float(np.linalg.norm(X, ord=2)) ** 2
    )  # s_max^2, the largest eigenvalue of the Hessian X^T X
    if eta is None:
        eta = (
            1.0 / s_max2 if s_max2 > 0 else 1.0
        )  # s_max = 0 only for X = 0, where every step is zero
    else:
        eta = check_positive(eta, "eta")
    if eta * s_max2 >= 2:
        warnings.warn(
            f"eta = {eta:g} is at or above 2 / s_max^2 = {2 / s_max2:.4g}, "
            "where gradient descent on this least-squares problem stops converging; "
            "the iterates will oscillate or grow without bound",
            DivergenceWarning,
            stacklevel=2,
        )
    path = np.empty((steps + 1, p))
    path[0] = w
    for k in range(1, steps + 1):
        w = w - eta * (X.T @ (X @ w - y))
        path[k] = w
    return path
