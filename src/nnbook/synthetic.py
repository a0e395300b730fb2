"""Small two-dimensional data sets for classification experiments.

Two classes in the plane that no straight line separates: :func:`two_moons`
(two interleaving half circles) and :func:`xor_blobs` (four clusters at the
corners of a square, labelled like the XOR function). They are small enough
to train on in a fraction of a second and to draw whole, which makes them
good for showing what a classifier's decision boundary looks like.

Both return ``(X, y)``: ``X`` of shape ``(n, 2)`` with one point per row,
``y`` of shape ``(n,)`` with integer labels 0 and 1. Functions that draw
random numbers take ``seed``: an ``int`` (the same int gives the same data)
or a :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import numpy as np

from nnbook._checks import Seed, as_generator, check_int, check_nonnegative

__all__ = ["two_moons", "xor_blobs"]


def two_moons(
    n: int = 200, noise: float = 0.1, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw two interleaving half circles ("moons"), one per class.

    Class 0 lies on the upper half of the unit circle, ``(cos t, sin t)``
    for ``t`` in [0, π]; class 1 on a lower half circle shifted right and
    down, ``(1 - cos t, 0.5 - sin t)``. The angles are evenly spaced, every
    point is moved by Gaussian noise, and the points are shuffled.

    Parameters
    ----------
    n
        The number of points, at least 2: ``n // 2`` of class 0 and the rest
        of class 1.
    noise
        The standard deviation of the Gaussian noise added to each
        coordinate.
    seed
        Fixes the noise and the order.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``, float64.
    y : numpy.ndarray
        Shape ``(n,)``, int64 labels 0 and 1.
    """
    n = check_int(n, "n", minimum=2)
    noise = check_nonnegative(noise, "noise")
    rng = as_generator(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def xor_blobs(
    n: int = 200, noise: float = 0.3, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw four clusters at the corners of a square, labelled like XOR.

    The corners are ``(0, 0)``, ``(0, 1)``, ``(1, 0)`` and ``(1, 1)``, the
    four inputs of the XOR function; a point's label is the XOR of its
    corner's coordinates, so the two classes sit on opposite diagonals. Each
    point is its corner moved by Gaussian noise.

    Parameters
    ----------
    n
        The number of points, at least 4; the corners take turns, so each
        gets ``n // 4`` or one more.
    noise
        The standard deviation of the Gaussian noise added to each
        coordinate.
    seed
        Fixes the noise and the order.

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``, float64.
    y : numpy.ndarray
        Shape ``(n,)``, int64 labels 0 and 1.
    """
    n = check_int(n, "n", minimum=4)
    noise = check_nonnegative(noise, "noise")
    rng = as_generator(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    X = corners[which] + noise * rng.standard_normal((n, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    order = rng.permutation(n)
    return X[order], y[order]
