"""Gradient descent, mini-batch SGD and momentum: small NumPy optimisers.

Each optimiser is the lecture's update rule written out, one line per
formula, and returns the whole path it took (a :class:`Trajectory`), so that
the book can draw it:

* :func:`gradient_descent`: ``w' = w - eta * nabla C(w)``;
* :func:`momentum`: ``w' = w - eta * nabla C(w) + gamma * v``, where ``v`` is
  the previous update ``w - w_previous`` (zero before the first step);
* :func:`minibatch_sgd`: shuffle the ``n`` training examples, cut them into
  batches of ``m``, and take one step per batch with the gradient averaged
  over that batch (with momentum if ``gamma > 0``).

The lecture's form of momentum and PyTorch's ``torch.optim.SGD(lr=eta,
momentum=gamma)`` are the same algorithm for a constant ``eta``. PyTorch
keeps a buffer ``b' = gamma * b + nabla C`` and steps ``w' = w - eta * b'``;
the lecture keeps the update ``v' = gamma * v - eta * nabla C`` and steps
``w' = w + v'``. Multiplying the first recursion by ``-eta`` gives the second,
with ``v = -eta * b``, so the iterates agree up to rounding.

A run that blows up is never returned as if nothing happened. Every step
checks that the gradient and the new parameters are finite and have not run
off (see ``max_growth``); every recorded loss is checked the same way. On
the first failure the run stops, the :class:`Trajectory` is marked
``diverged`` with the step at which it happened, and a
:class:`DivergenceWarning` says so (unless ``warn=False``).

:class:`Quadratic` is the test bed of the chapter: ``C(w) = 1/2 w^T A w -
b^T w + c``, whose gradient descent iterates have a closed form and which
diverges exactly when ``eta > 2 / L``, with ``L`` the largest eigenvalue of
``A``.

Everything is NumPy. Functions that draw random numbers take ``seed``: an
``int`` (the same int gives the same numbers) or a
:class:`numpy.random.Generator` (which is advanced, so successive calls give
fresh draws).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnbook._checks import Seed, as_generator, check_int, check_real

__all__ = [
    "DivergenceWarning",
    "Quadratic",
    "Trajectory",
    "gradient_descent",
    "gradient_noise",
    "minibatch_indices",
    "minibatch_sgd",
    "momentum",
    "quadratic",
]


#: A gradient: parameters in, the gradient of the loss (same shape) out.
Grad = Callable[[np.ndarray], Any]
#: A mini-batch gradient: parameters and the indices of a batch in, the
#: gradient of the loss averaged over that batch out.
GradBatch = Callable[[np.ndarray, np.ndarray], Any]
#: A loss: parameters in, one number out.
Loss = Callable[[np.ndarray], Any]

#: Default of ``max_growth``: how far (relative to the start) parameters or
#: loss may go before a run counts as diverged.
MAX_GROWTH = 1e6


class DivergenceWarning(RuntimeWarning):
    """An optimiser stopped because its parameters or loss blew up."""


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass(eq=False)  # arrays have no single truth value: compare fields yourself
class Trajectory:
    """The path an optimiser took: parameters and loss, step by step.

    Row ``i`` of every array belongs to the same moment, after ``step[i]``
    updates. Without ``record_every`` every step is recorded, so ``w[k]`` is
    the ``k``-th iterate and ``w`` has ``steps + 1`` rows (the start
    included). With ``record_every=r`` only every ``r``-th step is kept, plus
    the last one.

    When a run diverges, it stops at the first step where a parameter, the
    gradient or the loss is not finite or has run off; that step is
    ``diverged_at``, and it is the last row (its values may be huge, ``inf``
    or ``nan``: they are what the update produced).
    """

    #: Parameters, shape ``(records, *w0.shape)``.
    w: np.ndarray
    #: Step number of each row (0 is the starting point).
    step: np.ndarray
    #: Loss at each row, or ``None`` when no loss function was given.
    loss: np.ndarray | None = None
    #: Examples used so far at each row (mini-batch SGD only, else ``None``).
    seen: np.ndarray | None = None
    #: True if the run was stopped because it blew up.
    diverged: bool = False
    #: The step at which divergence was detected, else ``None``.
    diverged_at: int | None = None
    #: Why the run was declared diverged ("" if it was not).
    reason: str = ""
    #: The hyper-parameters of the run (for plot labels and reports).
    hyper: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """The number of updates made (the step of the last row)."""
        return int(self.step[-1])

    @property
    def final(self) -> np.ndarray:
        """The last parameters."""
        return self.w[-1]

    def __len__(self) -> int:
        return len(self.step)

    def steps_to_reach(self, tol: float, loss_star: float = 0.0) -> int | None:
        """Return the first recorded step whose loss is within ``tol`` of ``loss_star``.

        Parameters
        ----------
        tol
            The tolerance, a positive number.
        loss_star
            The lowest value of the loss, if known (0 by default).

        Returns
        -------
        int or None
            The step number, or ``None`` if the run never got that close.
        """
        if self.loss is None:
            raise ValueError("this trajectory has no loss: pass loss=... to the optimiser")
        if not (isinstance(tol, (int, float, np.integer, np.floating)) and tol > 0):
            raise ValueError(f"tol must be a positive number, got {tol!r}")
        close = np.flatnonzero(self.loss - loss_star <= tol)
        return int(self.step[close[0]]) if close.size else None


# ---------------------------------------------------------------------------
# Input checks (the public boundary)
# ---------------------------------------------------------------------------


def _check_eta(eta: object) -> float:
    """The learning rate must be a positive, finite number."""
    eta = check_real(eta, "eta")
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"eta (the learning rate) must be a positive finite number, got {eta}")
    return eta


def _check_gamma(gamma: object) -> float:
    """The momentum coefficient must lie in [0, 1)."""
    gamma = check_real(gamma, "gamma")
    if not 0.0 <= gamma < 1.0:
        # At gamma = 1 nothing damps the velocity: the ball never settles.
        raise ValueError(f"gamma (the momentum coefficient) must be in [0, 1), got {gamma}")
    return gamma


def _check_w0(w0: object) -> np.ndarray:
    """Return the starting point as a finite float64 array with at least one axis."""
    if hasattr(w0, "detach"):  # a torch tensor, without importing torch
        w0 = w0.detach().cpu().numpy()
    array = np.asarray(w0)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"w0 must be real numbers, got dtype {array.dtype}")
    array = np.atleast_1d(array.astype(np.float64))
    if array.size == 0:
        raise ValueError("w0 must hold at least one parameter, got an empty array")
    if not np.isfinite(array).all():
        raise ValueError("w0 (the starting point) contains NaN or infinite values")
    return array.copy()


def _check_callable(f: object, name: str, allow_none: bool = False) -> None:
    if f is None and allow_none:
        return
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}")


def _check_max_growth(max_growth: object) -> float:
    max_growth = check_real(max_growth, "max_growth")
    if not max_growth > 0:
        raise ValueError(f"max_growth must be a positive number, got {max_growth}")
    return max_growth


# ---------------------------------------------------------------------------
# The loop they share
# ---------------------------------------------------------------------------


class _Recorder:
    """Collects the rows of a trajectory and watches for divergence."""

    def __init__(
        self,
        name: str,
        w0: np.ndarray,
        loss: Loss | None,
        record_every: int,
        max_growth: float,
        warn: bool,
        hyper: dict[str, Any],
        track_seen: bool = False,
        stacklevel: int = 4,
    ) -> None:
        self.name, self.w0, self.loss_fn = name, w0, loss
        self.record_every, self.max_growth, self.warn = record_every, max_growth, warn
        self.hyper, self.stacklevel = hyper, stacklevel
        self.w: list[np.ndarray] = []
        self.step: list[int] = []
        self.loss: list[float] = []
        self.seen: list[int] | None = [] if track_seen else None
        # Parameters and loss may move this far from where they started.
        self.w_limit = max_growth * (1.0 + float(np.linalg.norm(w0)))
        self.loss0: float | None = None
        self.reason = ""
        self.diverged_at: int | None = None

    def _loss(self, w: np.ndarray) -> float:
        value = np.asarray(self.loss_fn(w))  # type: ignore[misc]
        if value.size != 1:
            raise ValueError(f"loss must return one number, got an array of shape {value.shape}")
        return float(value.reshape(()))

    def record(self, k: int, w: np.ndarray, seen: int = 0, last: bool = False) -> bool:
        """Store row ``k`` if it is due; return False if the run must stop."""
        if not (last or k % self.record_every == 0):
            return True
        self.w.append(w.copy())
        self.step.append(k)
        if self.seen is not None:
            self.seen.append(seen)
        if self.loss_fn is not None:
            value = self._loss(w)
            self.loss.append(value)
            if self.loss0 is None:
                self.loss0 = value
                if not math.isfinite(value):
                    raise ValueError(f"the loss at w0 is {value}; start from a point where it is finite")
            elif not math.isfinite(value):
                return self._stop(k, f"the loss is {value}")
            elif value > self.loss0 + self.max_growth * (1.0 + abs(self.loss0)):
                return self._stop(k, f"the loss grew from {self.loss0:.4g} to {value:.4g}")
        return True

    def check_gradient(self, k: int, nabla: Any, w: np.ndarray, seen: int = 0) -> np.ndarray | None:
        """Return the gradient as an array, or None (after stopping) if it is not finite."""
        nabla = np.asarray(nabla, dtype=np.float64)
        if nabla.shape != w.shape:
            raise ValueError(
                f"the gradient function returned shape {nabla.shape}; "
                f"expected {w.shape}, the shape of w0"
            )
        if not np.isfinite(nabla).all():
            self._force_row(k, w, seen)
            self._stop(k, "the gradient is not finite")
            return None
        return nabla

    def check_w(self, k: int, w: np.ndarray, seen: int = 0) -> bool:
        """Return False (after stopping and recording ``w``) if ``w`` blew up."""
        if not np.isfinite(w).all():
            reason = "a parameter is not finite"
        elif np.linalg.norm(w - self.w0) > self.w_limit:
            reason = f"the parameters moved {np.linalg.norm(w - self.w0):.3g} away from w0"
        else:
            return True
        self._force_row(k, w, seen, with_loss=False)
        return self._stop(k, reason)

    def _force_row(self, k: int, w: np.ndarray, seen: int, with_loss: bool = True) -> None:
        """Make sure step ``k`` is the last row, whatever ``record_every`` says."""
        if self.step and self.step[-1] == k:
            return
        self.w.append(w.copy())
        self.step.append(k)
        if self.seen is not None:
            self.seen.append(seen)
        if self.loss_fn is not None:
            if with_loss and np.isfinite(w).all():
                with np.errstate(all="ignore"):
                    self.loss.append(self._loss(w))
            else:
                self.loss.append(math.nan)

    def _stop(self, k: int, reason: str) -> bool:
        self.diverged_at, self.reason = k, reason
        if self.warn:
            # stacklevel: point at the caller of the public function.
            warnings.warn(
                f"{self.name} diverged at step {k}: {reason}. The run was stopped there; "
                f"try a learning rate smaller than eta = {self.hyper['eta']:g} (on a quadratic, "
                f"gradient descent needs eta < 2/L).",
                DivergenceWarning,
                stacklevel=self.stacklevel,
            )
        return False

    def result(self) -> Trajectory:
        return Trajectory(
            w=np.stack(self.w),
            step=np.asarray(self.step, dtype=int),
            loss=np.asarray(self.loss, dtype=np.float64) if self.loss_fn is not None else None,
            seen=np.asarray(self.seen, dtype=int) if self.seen is not None else None,
            diverged=self.diverged_at is not None,
            diverged_at=self.diverged_at,
            reason=self.reason,
            hyper=dict(self.hyper),
        )


def _run(
    name: str,
    grad: Grad,
    w0: object,
    eta: object,
    gamma: object,
    steps: object,
    loss: Loss | None,
    record_every: object,
    max_growth: object,
    warn: bool,
) -> Trajectory:
    """Full-batch gradient descent with (possibly zero) momentum."""
    _check_callable(grad, "grad")
    _check_callable(loss, "loss", allow_none=True)
    w = _check_w0(w0)
    eta, gamma = _check_eta(eta), _check_gamma(gamma)
    steps = check_int(steps, "steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    hyper = {"eta": eta, "gamma": gamma} if name == "momentum" else {"eta": eta}
    rec = _Recorder(name, w, loss, record_every, _check_max_growth(max_growth), warn, hyper, stacklevel=5)
    if not rec.record(0, w, last=steps == 0):
        return rec.result()
    v = np.zeros_like(w)  # the previous update; none before the first step
    for k in range(1, steps + 1):
        nabla = rec.check_gradient(k - 1, grad(w), w)
        if nabla is None:
            break
        v = -eta * nabla + gamma * v
        w = w + v
        if not rec.check_w(k, w) or not rec.record(k, w, last=k == steps):
            break
    return rec.result()


# ---------------------------------------------------------------------------
# The optimisers
# ---------------------------------------------------------------------------


def gradient_descent(
    grad: Grad,
    w0: Sequence[float] | np.ndarray | float,
    eta: float,
    steps: int,
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
) -> Trajectory:
    """Run plain gradient descent, ``w' = w - eta * nabla C(w)``, for ``steps`` steps.

    Parameters
    ----------
    grad
        ``grad(w)`` returns the gradient ``nabla C(w)``, an array of the shape
        of ``w``.
    w0
        The starting point: a number or an array of any shape (a number
        becomes an array of one element).
    eta
        The learning rate, a positive number.
    steps
        The number of updates (0 or more).
    loss
        Optional ``loss(w)`` returning ``C(w)``; evaluated at every recorded
        row, so the trajectory carries the loss curve.
    record_every
        Keep every ``record_every``-th iterate (and the last) to save memory
        on long runs; 1 keeps them all.
    max_growth
        Divergence threshold: the run stops when ``|w - w0|`` exceeds
        ``max_growth * (1 + |w0|)``, or the loss exceeds
        ``C(w0) + max_growth * (1 + |C(w0)|)``, or anything is not finite.
    warn
        Issue a :class:`DivergenceWarning` when the run diverges. With
        ``False``, check ``trajectory.diverged`` yourself.

    Returns
    -------
    Trajectory
        The iterates ``w_0, w_1, ...`` (and their losses).

    Raises
    ------
    ValueError
        If ``eta <= 0``, ``steps < 0``, or ``w0`` or the gradient has the wrong
        shape or is not finite at the start.
    """
    return _run("gradient descent", grad, w0, eta, 0.0, steps, loss, record_every, max_growth, warn)


def momentum(
    grad: Grad,
    w0: Sequence[float] | np.ndarray | float,
    eta: float,
    gamma: float,
    steps: int,
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
) -> Trajectory:
    """Run gradient descent with momentum, ``w' = w - eta * nabla C(w) + gamma * v``.

    ``v`` is the previous update, ``w - w_previous``, and is zero before the
    first step, so the first step is a plain gradient step. Written with the
    velocity: ``v' = gamma * v - eta * nabla C(w)``, ``w' = w + v'``. This is
    ``torch.optim.SGD(lr=eta, momentum=gamma)`` (see the module's notes).

    Parameters
    ----------
    grad, w0, eta, steps, loss, record_every, max_growth, warn
        As in :func:`gradient_descent`.
    gamma
        The momentum coefficient, in [0, 1). ``gamma = 0`` is plain gradient
        descent.

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError
        As :func:`gradient_descent`, and if ``gamma`` is not in [0, 1).
    """
    return _run("momentum", grad, w0, eta, gamma, steps, loss, record_every, max_growth, warn)


def minibatch_indices(n_samples: int, batch_size: int, seed: Seed = 0) -> list[np.ndarray]:
    """Shuffle ``range(n_samples)`` and cut it into batches: one epoch.

    Parameters
    ----------
    n_samples
        The number of training examples ``n``.
    batch_size
        The batch size ``m``, from 1 to ``n``. When ``m`` does not divide
        ``n`` the last batch is smaller, so that every example is used once.
    seed
        An int, or a Generator (advanced by one permutation).

    Returns
    -------
    list of numpy.ndarray
        ``ceil(n / m)`` integer arrays that together hold every index once.
    """
    n_samples = check_int(n_samples, "n_samples", 1)
    batch_size = _check_batch_size(batch_size, n_samples)
    order = as_generator(seed).permutation(n_samples)
    return [order[i : i + batch_size] for i in range(0, n_samples, batch_size)]


def _check_batch_size(batch_size: object, n_samples: int) -> int:
    batch_size = check_int(batch_size, "batch_size", 1)
    if batch_size > n_samples:
        raise ValueError(
            f"batch_size must be at most n_samples = {n_samples} (that is full-batch "
            f"gradient descent), got {batch_size}"
        )
    return batch_size


def minibatch_sgd(
    grad_batch: GradBatch,
    w0: Sequence[float] | np.ndarray | float,
    n_samples: int,
    eta: float,
    batch_size: int,
    epochs: int,
    seed: Seed = 0,
    gamma: float = 0.0,
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
) -> Trajectory:
    """Run mini-batch stochastic gradient descent for ``epochs`` passes over the data.

    Each epoch shuffles the ``n`` examples afresh, cuts them into batches of
    ``m = batch_size`` (the last one smaller if ``m`` does not divide ``n``)
    and takes one step per batch, with the gradient averaged over the batch:
    ``w' = w - eta * nabla C_batch(w) + gamma * v``. With ``m = n`` this is
    gradient descent; with ``gamma > 0`` it has momentum.

    Parameters
    ----------
    grad_batch
        ``grad_batch(w, idx)`` returns the gradient of the loss averaged over
        the examples with indices ``idx`` (an integer array).
    w0
        The starting point, as in :func:`gradient_descent`.
    n_samples
        The number of training examples ``n``.
    eta
        The learning rate, a positive number.
    batch_size
        ``m``, from 1 to ``n``.
    epochs
        Passes over the training set (0 or more).
    seed
        Seed of the shuffling: an int or a Generator.
    gamma
        The momentum coefficient, in [0, 1); 0 (the default) is plain SGD.
    loss
        Optional ``loss(w)``, usually the loss on the whole training set,
        evaluated at every recorded row.
    record_every, max_growth, warn
        As in :func:`gradient_descent`; ``record_every`` counts steps
        (batches).

    Returns
    -------
    Trajectory
        With ``seen``, the number of examples used up to each row, to compare
        batch sizes at equal work.
    """
    _check_callable(grad_batch, "grad_batch")
    _check_callable(loss, "loss", allow_none=True)
    w = _check_w0(w0)
    n_samples = check_int(n_samples, "n_samples", 1)
    eta, gamma = _check_eta(eta), _check_gamma(gamma)
    batch_size = _check_batch_size(batch_size, n_samples)
    epochs = check_int(epochs, "epochs", 0)
    record_every = check_int(record_every, "record_every", 1)
    rng = as_generator(seed)
    hyper = {"eta": eta, "batch_size": batch_size, "gamma": gamma}
    rec = _Recorder(
        "mini-batch SGD", w, loss, record_every, _check_max_growth(max_growth), warn, hyper, track_seen=True
    )
    if not rec.record(0, w, last=epochs == 0):
        return rec.result()
    total = epochs * -(-n_samples // batch_size)
    k, seen = 0, 0
    v = np.zeros_like(w)
    for _ in range(epochs):
        for idx in minibatch_indices(n_samples, batch_size, rng):
            nabla = rec.check_gradient(k, grad_batch(w, idx), w, seen)
            if nabla is None:
                return rec.result()
            v = -eta * nabla + gamma * v
            w = w + v
            k, seen = k + 1, seen + len(idx)
            if not rec.check_w(k, w, seen) or not rec.record(k, w, seen, last=k == total):
                return rec.result()
    return rec.result()


# ---------------------------------------------------------------------------
# Measuring the noise of mini-batch gradients
# ---------------------------------------------------------------------------


def gradient_noise(
    grad_batch: GradBatch,
    w: Sequence[float] | np.ndarray,
    n_samples: int,
    batch_sizes: Sequence[int],
    draws: int = 100,
    seed: Seed = 0,
) -> np.ndarray:
    """Measure how far mini-batch gradients scatter around the full gradient.

    At the fixed parameters ``w``, draw ``draws`` batches of each size ``m``
    (each batch without repetition, as one batch of a shuffled epoch is),
    and return the root-mean-square distance between the batch gradient and
    the full-batch gradient ``grad_batch(w, range(n))``. For independent
    examples it is ``sigma * sqrt((n - m) / (m (n - 1)))``, about
    ``sigma / sqrt(m)`` for ``m`` much smaller than ``n``.

    Parameters
    ----------
    grad_batch
        As in :func:`minibatch_sgd`.
    w
        Where to measure.
    n_samples
        The number of examples ``n``.
    batch_sizes
        The sizes ``m`` to try, each from 1 to ``n``.
    draws
        Batches per size (at least 2).
    seed
        An int or a Generator.

    Returns
    -------
    numpy.ndarray
        One RMS distance per batch size.
    """
    _check_callable(grad_batch, "grad_batch")
    w = _check_w0(w)
    n_samples = check_int(n_samples, "n_samples", 1)
    sizes = [_check_batch_size(m, n_samples) for m in batch_sizes]
    if not sizes:
        raise ValueError("batch_sizes must hold at least one batch size")
    draws = check_int(draws, "draws", 2)
    rng = as_generator(seed)
    full = np.asarray(grad_batch(w, np.arange(n_samples)), dtype=np.float64)
    rms = np.empty(len(sizes))
    for i, m in enumerate(sizes):
        squares = [
            np.sum((np.asarray(grad_batch(w, rng.choice(n_samples, size=m, replace=False))) - full) ** 2)
            for _ in range(draws)
        ]
        rms[i] = math.sqrt(np.mean(squares))
    return rms


# ---------------------------------------------------------------------------
# Quadratics: the loss whose behaviour is known exactly
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quadratic:
    """The quadratic loss ``C(w) = 1/2 w^T A w - b^T w + c``.

    ``A`` is symmetric positive definite, so ``C`` has one minimum, at
    ``w* = A^{-1} b``. Its gradient is ``A w - b`` and its curvature is the
    same everywhere: along each eigenvector of ``A`` the loss is a parabola
    whose second derivative is the eigenvalue. Build one with
    :func:`quadratic`.
    """

    #: The symmetric positive definite matrix of curvatures, ``d x d``.
    A: np.ndarray
    #: The linear term, length ``d``.
    b: np.ndarray
    #: The constant term.
    c: float = 0.0

    def loss(self, w: Any) -> Any:
        """``C(w)``; ``w`` may be a stack of points of shape ``(..., d)`` (for contours)."""
        w = np.asarray(w, dtype=np.float64)
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w) - w @ self.b + self.c

    def grad(self, w: Any) -> np.ndarray:
        """``nabla C(w) = A w - b``."""
        return np.asarray(w, dtype=np.float64) @ self.A - self.b  # A is symmetric

    @property
    def dim(self) -> int:
        return len(self.b)

    @property
    def eigenvalues(self) -> np.ndarray:
        """The curvatures along the principal axes, in increasing order."""
        return np.linalg.eigvalsh(self.A)

    @property
    def L(self) -> float:
        """The largest eigenvalue of ``A``: the gradient's Lipschitz constant."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """The smallest eigenvalue of ``A``: the gentlest curvature."""
        return float(self.eigenvalues[0])

    @property
    def condition_number(self) -> float:
        """``L / mu``: how elongated the valley is."""
        return self.L / self.mu

    @property
    def max_stable_eta(self) -> float:
        """``2 / L``: gradient descent converges for every smaller ``eta`` and diverges above."""
        return 2.0 / self.L

    @property
    def minimizer(self) -> np.ndarray:
        """``w* = A^{-1} b``."""
        return np.linalg.solve(self.A, self.b)

    @property
    def min_loss(self) -> float:
        """``C(w*) = c - 1/2 b^T A^{-1} b``."""
        return float(self.loss(self.minimizer))

    def gd_iterate(self, w0: Any, eta: float, k: int) -> np.ndarray:
        """The ``k``-th gradient descent iterate in closed form.

        ``w_k - w* = (I - eta A)^k (w_0 - w*)``: each step multiplies the
        error by ``I - eta A``, so along an eigenvector with eigenvalue
        ``lambda`` it shrinks by ``1 - eta * lambda`` per step. That factor is
        smaller than 1 in size for every eigenvalue exactly when
        ``0 < eta < 2 / L``.
        """
        w0 = _check_w0(w0)
        if w0.shape != (self.dim,):
            raise ValueError(f"w0 must have shape ({self.dim},), got shape {w0.shape}")
        eta = _check_eta(eta)
        k = check_int(k, "k", 0)
        step = np.eye(self.dim) - eta * self.A
        return self.minimizer + np.linalg.matrix_power(step, k) @ (w0 - self.minimizer)


def quadratic(
    A: Sequence[Sequence[float]] | np.ndarray | float,
    b: Sequence[float] | np.ndarray | None = None,
    c: float = 0.0,
) -> Quadratic:
    """Build the quadratic loss ``C(w) = 1/2 w^T A w - b^T w + c``.

    Parameters
    ----------
    A
        A symmetric positive definite ``d x d`` matrix (a positive number for
        ``d = 1``).
    b
        A vector of length ``d``; zeros by default (the minimum is then at 0).
    c
        A constant.

    Returns
    -------
    Quadratic
    """
    A_array = np.asarray(A)
    if not (np.issubdtype(A_array.dtype, np.integer) or np.issubdtype(A_array.dtype, np.floating)):
        raise TypeError(f"A must be real numbers, got dtype {A_array.dtype}")
    A_array = np.atleast_2d(A_array.astype(np.float64))
    if A_array.ndim != 2 or A_array.shape[0] != A_array.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A_array.shape}")
    if not np.isfinite(A_array).all():
        raise ValueError("A contains NaN or infinite values")
    if not np.allclose(A_array, A_array.T, rtol=1e-12, atol=1e-12 * np.abs(A_array).max()):
        raise ValueError("A must be symmetric")
    A_array = 0.5 * (A_array + A_array.T)
    smallest = np.linalg.eigvalsh(A_array)[0]
    if not smallest > 0:
        raise ValueError(
            f"A must be positive definite (all eigenvalues > 0, so that C has one minimum); "
            f"its smallest eigenvalue is {smallest:.3g}"
        )
    d = A_array.shape[0]
    b_array = np.zeros(d) if b is None else np.atleast_1d(np.asarray(b, dtype=np.float64))
    if b_array.shape != (d,):
        raise ValueError(f"b must have shape ({d},) to match A of shape {A_array.shape}, got shape {b_array.shape}")
    if not np.isfinite(b_array).all():
        raise ValueError("b contains NaN or infinite values")
    c = check_real(c, "c")
    A_array.setflags(write=False)
    b_array.setflags(write=False)
    return Quadratic(A_array, b_array, c)
