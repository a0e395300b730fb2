"""Gradient descent, momentum and mini-batch SGD, written as the book writes them.

Each optimiser is its update rule in a loop and returns the path it took, a
:class:`Trajectory`, for the book to draw:

* :func:`gradient_descent`: ``w' = w - eta * grad C(w)``;
* :func:`momentum`: ``v' = gamma * v - eta * grad C(w)``, ``w' = w + v'``, from
  ``v = 0``;
* :func:`minibatch_sgd`: the same step with the gradient averaged over one
  batch of ``m`` examples, for every batch of a shuffled epoch;
* :func:`optimize`: any optimiser of :mod:`nnbook.optimizers` (Adam, RMSProp ...).

The steps are taken by :class:`nnbook.optimizers.SGD`, the one
implementation of the rule.

The book's momentum is ``torch.optim.SGD(lr=eta, momentum=gamma)``: PyTorch
keeps ``b' = gamma * b + grad C`` and steps ``w' = w - eta * b'``; multiplying
by ``-eta`` gives the book's recursion, with ``v = -eta * b``.

A run that blows up stops at the first step where the gradient, a parameter
or a recorded loss is not finite or has run off (see ``max_growth``); its
trajectory is marked ``diverged`` and a :class:`DivergenceWarning` says so.
:class:`Quadratic` is the chapter's test bed: gradient descent on it has a
closed form, and diverges exactly when ``eta > 2 / L``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from nnbook._checks import (
    Seed,
    as_generator,
    as_real_array,
    check_bool,
    check_callable,
    check_count,
    check_finite,
    check_int,
    check_interval,
    check_positive,
)
from nnbook.optimizers import SGD, Optimizer

__all__ = [
    "DivergenceWarning",
    "Quadratic",
    "Trajectory",
    "gradient_descent",
    "gradient_noise",
    "minibatch_indices",
    "minibatch_sgd",
    "momentum",
    "optimize",
    "quadratic",
]

Point = Union[
    float, Sequence[float], np.ndarray
]  #: Parameters: a number or an array of any shape.
Grad = Callable[
    [np.ndarray], Any
]  #: ``grad(w)``: the gradient of the loss at ``w``, shaped like ``w``.
GradBatch = Callable[
    [np.ndarray, np.ndarray], Any
]  #: ``grad_batch(w, idx)``: averaged over a batch.
Loss = Callable[[np.ndarray], Any]  #: ``loss(w)``: one number.
#: Default of ``max_growth``: how far w or the loss may go before a run has diverged.
MAX_GROWTH = 1e6


class DivergenceWarning(RuntimeWarning):
    """An optimiser stopped because its parameters or loss blew up."""


# --- the optimisers -----------------------------------------------------------


def optimize(
    grad: Grad,
    w0: Point,
    steps: int,
    optimizer: type[Optimizer],
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
    **hyper: Any,
) -> Trajectory:
    """Run an optimiser of :mod:`nnbook.optimizers` from ``w0``; return its trajectory.

    ``optimize(f.grad, w0, 100, Adam, loss=f.loss, eta=0.1)`` takes 100 steps of
    ``Adam([w], eta=0.1)``. ``optimizer`` is the class; ``hyper`` are its
    hyper-parameters; the other arguments are as in :func:`gradient_descent`.
    """
    if not (isinstance(optimizer, type) and issubclass(optimizer, Optimizer)):
        raise TypeError(
            "optimizer must be a class of nnbook.optimizers such as Adam, "
            f"got {optimizer!r}"
        )
    return _descend(
        optimizer.__name__,
        optimizer,
        grad,
        w0,
        steps,
        loss,
        record_every,
        max_growth,
        warn,
        hyper,
    )


def gradient_descent(
    grad: Grad,
    w0: Point,
    eta: float,
    steps: int,
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
) -> Trajectory:
    """Run plain gradient descent, ``w' = w - eta * grad C(w)``; return its trajectory.

    Parameters
    ----------
    grad
        ``grad(w)`` returns the gradient of the loss at ``w``, shaped like ``w``.
    w0
        The starting point: a number or an array of any shape.
    eta
        The learning rate, > 0.
    steps
        The number of updates, from 0 to ten million.
    loss
        Optional ``loss(w)``, evaluated at every recorded row.
    record_every
        Record every ``record_every``-th iterate (and the last); 1 records them all.
    max_growth
        The run diverges when ``|w - w0| > max_growth * (1 + |w0|)``, when
        ``C(w) > C(w0) + max_growth * (1 + |C(w0)|)``, or when anything is not finite.
    warn
        Whether to warn (:class:`DivergenceWarning`) when the run diverges;
        ``trajectory.diverged`` says it in any case.
    """
    return _descend(
        "gradient descent",
        SGD,
        grad,
        w0,
        steps,
        loss,
        record_every,
        max_growth,
        warn,
        {"eta": eta},
    )


def momentum(
    grad: Grad,
    w0: Point,
    eta: float,
    gamma: float,
    steps: int,
    loss: Loss | None = None,
    *,
    record_every: int = 1,
    max_growth: float = MAX_GROWTH,
    warn: bool = True,
) -> Trajectory:
    """Run gradient descent with momentum.

    Each step is ``v' = gamma * v - eta * grad C(w)``, ``w' = w + v'``.
    The velocity ``v`` is the previous update, zero before the first step.
    ``gamma``, the momentum coefficient, is in [0, 1) (0 is gradient descent);
    the other arguments and the result are as in :func:`gradient_descent`.
    The steps are :class:`nnbook.optimizers.SGD`'s, whose ``b`` is ``-v / eta``.
    """
    hyper = {"eta": eta, "gamma": gamma}
    return _descend(
        "momentum", SGD, grad, w0, steps, loss, record_every, max_growth, warn, hyper
    )


def _descend(
    name: str,
    optimizer: type[Optimizer],
    grad: Grad,
    w0: Point,
    steps: int,
    loss: Loss | None,
    record_every: int,
    max_growth: float,
    warn: bool,
    hyper: dict[str, Any],
) -> Trajectory:
    """Take ``steps`` steps of ``optimizer(**hyper)`` from ``w0``, until it diverges.

    The path is recorded as it goes.
    """
    check_callable(grad, "grad")
    w = _as_point(w0, "w0")
    opt = optimizer([w], **hyper)  # checks the hyper-parameters
    steps = check_count(steps, "steps")
    run = _Recorder(
        name, w, steps, loss, record_every, max_growth, warn, {"eta": opt.eta, **hyper}
    )
    for _ in range(steps):
        nabla = run.checked(grad(w))
        if (
            run.diverged_at is not None
        ):  # the gradient is not finite: no step can be taken
            break
        opt.step([nabla])  # changes w in place
        if not run.record(w):  # it has diverged
            break
    return run.trajectory()


def minibatch_sgd(
    grad_batch: GradBatch,
    w0: Point,
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
    """Run mini-batch SGD (with momentum ``gamma``) for ``epochs`` epochs.

    Each epoch shuffles the ``n_samples`` examples afresh and cuts them into
    batches of ``batch_size`` (:func:`minibatch_indices`); each batch gives one
    step of :func:`momentum` with ``grad_batch(w, idx)``, the gradient averaged
    over the examples with indices ``idx``. The run may take at most ten
    million steps (batches) in all. ``record_every`` counts steps; the other
    arguments are as in :func:`momentum`. The result's
    ``seen`` is the number of examples used up to each row, to compare batch
    sizes at equal work.
    """
    check_callable(grad_batch, "grad_batch")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    eta = check_positive(eta, "eta")
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n_samples)
    epochs = check_count(epochs, "epochs")
    gamma = check_interval(gamma, "gamma", 0.0, 1.0, high_open=True)
    rng = as_generator(seed)
    steps = epochs * math.ceil(n_samples / batch_size)
    check_count(steps, "the number of steps, epochs * batches per epoch,")
    hyper = {"eta": eta, "batch_size": batch_size, "gamma": gamma}
    run = _Recorder(
        "mini-batch SGD",
        w0,
        steps,
        loss,
        record_every,
        max_growth,
        warn,
        hyper,
        count_examples=True,
    )
    w = run.w0.copy()
    optimizer = SGD([w], eta, gamma)
    for _ in range(epochs):
        for idx in minibatch_indices(n_samples, batch_size, rng):
            nabla = run.checked(grad_batch(w, idx))
            if (
                run.diverged_at is not None
            ):  # the gradient is not finite: no step can be taken
                return run.trajectory()
            optimizer.step([nabla])  # changes w in place
            if not run.record(w, examples=len(idx)):  # it has diverged
                return run.trajectory()
    return run.trajectory()


def minibatch_indices(
    n_samples: int, batch_size: int, seed: Seed = 0
) -> list[np.ndarray]:
    """Shuffle ``range(n_samples)`` and cut it into batches of ``batch_size``.

    The batches make one epoch. The last batch is smaller when ``batch_size``
    does not divide ``n_samples``. ``seed`` is an int, or a Generator (advanced
    by one permutation).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n_samples)
    order = as_generator(seed).permutation(n_samples)
    return [order[i : i + batch_size] for i in range(0, n_samples, batch_size)]


def _as_point(w: object, name: str) -> np.ndarray:
    """Return a point of parameter space as a new finite float64 array, at least 1-D."""
    return np.atleast_1d(as_real_array(w, name, dtype=np.float64, nonempty=True)).copy()


# --- the path and the divergence alarm --------------------------------------------


@dataclass(eq=False)  # arrays have no single truth value: compare fields yourself
class Trajectory:
    """The path an optimiser took: row ``i`` is the state after ``step[i]`` updates.

    By default every step is a row, so ``w[k]`` is the ``k``-th iterate. A run
    that diverged ends with the step at which it did, whose values may be huge
    or not finite: they are what the update produced.
    """

    w: np.ndarray  #: Parameters, shape ``(rows, *w0.shape)``.
    step: np.ndarray  #: Step number of each row (0 is the start).
    loss: np.ndarray | None = (
        None  #: Loss at each row, or ``None`` without a loss function.
    )
    seen: np.ndarray | None = (
        None  #: Examples used up to each row (mini-batch SGD only).
    )
    diverged: bool = False  #: Whether the run was stopped because it blew up.
    diverged_at: int | None = None  #: The step at which it blew up.
    reason: str = ""  #: What blew up ("" if nothing did).
    hyper: dict[str, Any] = field(
        default_factory=dict
    )  #: The hyper-parameters, for labels.

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

        ``tol`` is > 0 and ``loss_star`` finite; None if no step gets there.
        """
        tol, loss_star = (
            check_positive(tol, "tol"),
            check_finite(loss_star, "loss_star"),
        )
        if self.loss is None:
            raise ValueError(
                "this trajectory has no loss: pass loss=... to the optimiser"
            )
        close = np.flatnonzero(self.loss - loss_star <= tol)
        return int(self.step[close[0]]) if close.size else None


class _Recorder:
    """Record the rows of a run's :class:`Trajectory`; stop the run when it diverges."""

    def __init__(
        self,
        name: str,
        w0: object,
        steps: int,
        loss: Loss | None,
        record_every: object,
        max_growth: object,
        warn: object,
        hyper: dict[str, Any],
        count_examples: bool = False,
    ) -> None:
        check_callable(loss, "loss", allow_none=True)
        self.name, self.steps, self.loss_fn, self.hyper = name, steps, loss, hyper
        self.warn = check_bool(warn, "warn")
        self.every = check_int(record_every, "record_every", minimum=1)
        growth = check_positive(max_growth, "max_growth")
        self.w0 = self.w = _as_point(w0, "w0")
        self.k, self.seen, self.count_examples = (
            0,
            0,
            count_examples,
        )  # steps taken, examples used
        self.rows: list[
            tuple[int, np.ndarray, float, int]
        ] = []  # (step, w, loss, seen)
        self.diverged_at, self.reason = None, ""
        loss0 = self._loss(self.w0)
        if not math.isfinite(loss0):
            raise ValueError(
                f"the loss at w0 is {loss0}; start from a point where it is finite"
            )
        # The run has diverged once w or the loss has gone this far from the start.
        self.w_limit = growth * (1.0 + np.linalg.norm(self.w0))
        self.loss_limit = loss0 + growth * (1.0 + abs(loss0))
        self._add_row(loss0)

    def checked(self, nabla: Any) -> np.ndarray:
        """Return the gradient at the current ``w`` as an array.

        If it is not finite, the run has diverged.
        """
        nabla = np.asarray(nabla, dtype=np.float64)
        if nabla.shape != self.w0.shape:
            raise ValueError(
                f"the gradient function returned shape {nabla.shape}; "
                f"expected {self.w0.shape}, the shape of w0"
            )
        if self.diverged_at is None and not np.isfinite(nabla).all():
            self._stop("the gradient is not finite", loss=self._loss(self.w))
        return nabla

    def record(self, w: np.ndarray, examples: int = 0) -> bool:
        """Count the step that led to ``w`` and record it if due.

        Return False if the run has diverged.
        """
        if (
            self.diverged_at is not None
        ):  # at the gradient that led to w, which is not recorded
            return False
        self.k, self.w, self.seen = self.k + 1, w, self.seen + examples
        if not np.isfinite(w).all():
            return self._stop("a parameter is not finite")
        if (distance := np.linalg.norm(w - self.w0)) > self.w_limit:
            return self._stop(f"the parameters moved {distance:.3g} away from w0")
        if self.k % self.every and self.k != self.steps:
            return True
        loss = self._loss(w)
        self._add_row(loss)
        if not math.isfinite(loss):
            return self._stop(f"the loss is {loss}")
        if loss > self.loss_limit:
            return self._stop(f"the loss grew from {self.rows[0][2]:.4g} to {loss:.4g}")
        return True

    def _loss(self, w: np.ndarray) -> float:
        if self.loss_fn is None:
            return 0.0  # nothing to watch; the trajectory gets no loss
        value = np.asarray(self.loss_fn(w))
        if value.size != 1:
            raise ValueError(
                f"loss must return one number, got an array of shape {value.shape}"
            )
        return float(value.reshape(()))

    def _add_row(self, loss: float) -> None:
        self.rows.append((self.k, self.w.copy(), loss, self.seen))

    def _stop(self, reason: str, loss: float = math.nan) -> bool:
        """Mark the run diverged at the current step, which becomes the last row.

        That row holds ``loss``.
        """
        if self.rows[-1][0] != self.k:
            self._add_row(loss)
        self.diverged_at, self.reason = self.k, reason
        if self.warn:  # stacklevel 4: the caller of the optimiser
            warnings.warn(
                f"{self.name} diverged at step {self.k}: {reason}. "
                "The run was stopped there; try a learning rate smaller than "
                f"eta = {self.hyper['eta']:g} (on a quadratic, gradient "
                "descent needs eta < 2/L).",
                DivergenceWarning,
                stacklevel=4,
            )
        return False

    def trajectory(self) -> Trajectory:
        step, w, loss, seen = zip(*self.rows)
        return Trajectory(
            np.stack(w),
            np.array(step),
            None if self.loss_fn is None else np.array(loss),
            np.array(seen) if self.count_examples else None,
            self.diverged_at is not None,
            self.diverged_at,
            self.reason,
            dict(self.hyper),
        )


# --- the noise of mini-batch gradients -------------------------------------------


def gradient_noise(
    grad_batch: GradBatch,
    w: Point,
    n_samples: int,
    batch_sizes: Sequence[int],
    draws: int = 100,
    seed: Seed = 0,
) -> np.ndarray:
    """Measure how far mini-batch gradients scatter around the full gradient.

    At the fixed parameters ``w``, draw ``draws`` (2 to ten million) batches
    of each size ``m`` in ``batch_sizes`` (each without repetition, like a
    batch of an epoch) and return, per size, the root-mean-square distance
    between the batch gradient and the full one, ``grad_batch(w, range(n))``. For
    independent examples it is ``sigma * sqrt((n - m) / (m (n - 1)))``, about
    ``sigma / sqrt(m)`` for ``m`` much smaller than ``n``.
    """
    check_callable(grad_batch, "grad_batch")
    w = _as_point(w, "w")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    sizes = _batch_sizes(batch_sizes, n_samples)
    draws = check_count(draws, "draws", minimum=2)
    rng = as_generator(seed)
    full = np.asarray(grad_batch(w, np.arange(n_samples)), dtype=np.float64)
    rms = np.empty(len(sizes))
    for i, m in enumerate(sizes):
        squared = 0.0  # a running sum, so that memory does not grow with draws
        for _ in range(draws):
            idx = rng.choice(n_samples, size=m, replace=False)
            squared += np.sum((np.asarray(grad_batch(w, idx)) - full) ** 2)
        rms[i] = math.sqrt(squared / draws)
    return rms


def _batch_sizes(batch_sizes: object, n_samples: int) -> list[int]:
    """Return ``batch_sizes`` as a non-empty list of ints in ``[1, n_samples]``.

    Raise if they are not.
    """
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(
        batch_sizes, (Sequence, np.ndarray)
    ):
        raise TypeError(
            f"batch_sizes must be a sequence of batch sizes such as [1, 10, 100], "
            f"got {type(batch_sizes).__name__}"
        )
    if len(batch_sizes) == 0:
        raise ValueError("batch_sizes must hold at least one batch size")
    return [
        check_int(m, f"batch_sizes[{i}]", minimum=1, maximum=n_samples)
        for i, m in enumerate(batch_sizes)
    ]


# --- quadratics: the loss whose behaviour is known exactly ---------------------------


@dataclass(frozen=True)
class Quadratic:
    """The quadratic loss ``C(w) = 1/2 w^T A w - b^T w + c``, made by :func:`quadratic`.

    ``A`` is symmetric positive definite, so ``C`` has one minimum, at
    ``w* = A^{-1} b``. Along each eigenvector of ``A`` the loss is a parabola
    whose second derivative, the curvature, is the eigenvalue.
    """

    A: np.ndarray  #: The symmetric positive definite ``d x d`` matrix of curvatures.
    b: np.ndarray  #: The linear term, length ``d``.
    c: float = 0.0  #: The constant term.

    def loss(self, w: Any) -> Any:
        """``C(w)``; ``w`` (finite) may be a stack of points of shape ``(..., d)``.

        A stack of points is for contour plots.
        """
        w = self._points(w)
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w) - w @ self.b + self.c

    def grad(self, w: Any) -> np.ndarray:
        """``grad C(w) = A w - b``, for a point ``w`` of shape ``(d,)`` or a stack."""
        return self._points(w) @ self.A - self.b  # A is symmetric

    def _points(self, w: Any) -> np.ndarray:
        """Return ``w`` as finite floats of shape ``(d,)`` or ``(..., d)``, or raise."""
        w = as_real_array(w, "w", dtype=np.float64)
        if w.shape[-1:] != self.b.shape:
            raise ValueError(
                f"w must have shape {self.b.shape} (a point) "
                f"or (..., {len(self.b)}) (a stack of points), got shape {w.shape}"
            )
        return w

    @property
    def L(self) -> float:
        """The largest eigenvalue of ``A``: the steepest curvature.

        It is the gradient's Lipschitz constant.
        """
        return float(np.linalg.eigvalsh(self.A)[-1])

    @property
    def mu(self) -> float:
        """The smallest eigenvalue of ``A``: the gentlest curvature."""
        return float(np.linalg.eigvalsh(self.A)[0])

    @property
    def condition_number(self) -> float:
        """``L / mu``: how elongated the valley is."""
        return self.L / self.mu

    @property
    def max_stable_eta(self) -> float:
        """``2 / L``: gradient descent converges for every smaller ``eta``.

        It diverges for every larger one.
        """
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

        It is ``w* + (I - eta A)^k (w_0 - w*)``. Along an eigenvector with
        eigenvalue ``lambda`` each step multiplies the error by
        ``1 - eta * lambda``, smaller than 1 in size for every eigenvalue exactly
        when ``0 < eta < 2 / L``. ``k`` is a step count, from 0 to ten million,
        as for the optimisers.
        """
        w0 = _as_point(w0, "w0")
        if w0.shape != self.b.shape:
            raise ValueError(f"w0 must have shape {self.b.shape}, got shape {w0.shape}")
        step = np.eye(len(self.b)) - check_positive(eta, "eta") * self.A
        return self.minimizer + np.linalg.matrix_power(step, check_count(k, "k")) @ (
            w0 - self.minimizer
        )


def quadratic(
    A: Sequence[Sequence[float]] | np.ndarray | float,
    b: Point | None = None,
    c: float = 0.0,
) -> Quadratic:
    """Build the quadratic loss ``C(w) = 1/2 w^T A w - b^T w + c``.

    ``A`` is a symmetric positive definite ``d x d`` matrix (a positive number
    for ``d = 1``), ``b`` a vector of length ``d`` (zeros by default: the
    minimum is then at 0), and ``c`` a number.
    """
    A = np.atleast_2d(as_real_array(A, "A", dtype=np.float64))
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * np.abs(A).max()):
        raise ValueError("A must be symmetric")
    A = 0.5 * (A + A.T)
    smallest = np.linalg.eigvalsh(A)[0]
    if not smallest > 0:
        raise ValueError(
            "A must be positive definite (all eigenvalues > 0, so that C has one "
            f"minimum); its smallest eigenvalue is {smallest:.3g}"
        )
    b = np.zeros(len(A)) if b is None else _as_point(b, "b")
    if b.shape != (len(A),):
        raise ValueError(
            f"b must have shape ({len(A)},) to match A of shape {A.shape}, "
            f"got shape {b.shape}"
        )
    A.setflags(write=False)
    b.setflags(write=False)
    return Quadratic(A, b, check_finite(c, "c"))
