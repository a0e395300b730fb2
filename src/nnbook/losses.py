"""Loss functions and their gradients with respect to the network's output.

Three losses cover most problems: mean squared error for regression, binary
cross-entropy for yes/no questions and categorical cross-entropy for one of
several classes. Each cross-entropy comes twice:

* **from probabilities** (:func:`binary_cross_entropy`,
  :func:`categorical_cross_entropy`): the formulas of the textbooks, fed with
  the output of a sigmoid or a softmax;
* **from logits** (:func:`binary_cross_entropy_with_logits`,
  :func:`cross_entropy`): the same losses fed with the scores *before* the
  sigmoid or softmax. They never form a probability that could round to 0 or
  1, so they stay finite and exact for any finite logits (the log-sum-exp
  trick); this is what to train with.

Every loss has a ``*_grad`` partner: the gradient of the loss with respect
to the function's first argument (the network's output), the quantity that
back-propagation starts from.

Conventions follow :mod:`torch.nn.functional` exactly, so that the numbers
in the book agree with PyTorch's:

* ``reduction="mean"`` averages over the batch: over every element for
  :func:`mse` and the binary losses, over the ``N`` examples (rows) for the
  categorical ones. ``"sum"`` adds instead, and ``"none"`` returns one loss
  per element (binary, MSE) or per example (categorical).
* With ``reduction="none"`` the gradient functions return, for each element
  or row, the derivative of *its own* loss: the gradient of the sum of the
  losses, the same as with ``"sum"``.
* :func:`mse` has no factor 1/2: it is ``mean((a - y)**2)``, and its
  gradient is ``2 (a - y) / n``.
* From probabilities, a probability of exactly 0 for something that happened
  would cost an infinite loss. As :func:`torch.nn.functional.binary_cross_entropy`
  does, every logarithm is clamped at :data:`LOG_CLAMP` (= -100), so the loss
  of a single element is at most 100; and the gradient's denominator is
  clamped at :data:`GRAD_EPSILON` (= 1e-12), so the gradient is finite too
  (at most 1e12 in size). The from-logits losses need neither.

All computations are in float64. Inputs may be NumPy arrays, nested
sequences or (CPU) PyTorch tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "GRAD_EPSILON",
    "LOG_CLAMP",
    "REDUCTIONS",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "categorical_cross_entropy",
    "categorical_cross_entropy_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "log_softmax",
    "mse",
    "mse_grad",
    "nll",
    "nll_grad",
    "one_hot",
    "softmax",
]

#: The ways a batch of losses can be reduced to one number, as in PyTorch.
REDUCTIONS = ("mean", "sum", "none")

#: Lower bound of every logarithm of a probability (PyTorch's choice):
#: a probability of 0 for what happened costs 100, not infinity.
LOG_CLAMP = -100.0

#: Lower bound of the denominators ``p`` and ``p (1 - p)`` in the gradients
#: of the losses from probabilities (PyTorch's choice).
GRAD_EPSILON = 1e-12


# --- checking the inputs -------------------------------------------------------


def _to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array; PyTorch tensors are detached first."""
    if hasattr(x, "detach"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _as_float(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a non-empty float64 array without NaN."""
    array = _to_numpy(x)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating) or array.dtype == bool):
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one value, got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN")
    return array


def _check_reduction(reduction: Any) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    return reduction


def _check_same_shape(a: np.ndarray, y: np.ndarray, a_name: str, y_name: str) -> None:
    if a.shape != y.shape:
        raise ValueError(
            f"{y_name} must have the same shape as {a_name}, {a.shape}, got shape {y.shape}"
        )


def _check_unit_interval(x: np.ndarray, name: str, hint: str = "") -> None:
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(
            f"{name} must be probabilities in [0, 1], got values from {x.min():.6g} to {x.max():.6g}{hint}"
        )


def _check_finite(x: np.ndarray, name: str) -> None:
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got {x[~np.isfinite(x)].flat[0]}")


def _reduce(losses: np.ndarray, reduction: str) -> float | np.ndarray:
    if reduction == "mean":
        return float(losses.mean())
    if reduction == "sum":
        return float(losses.sum())
    return losses


def _grad_scale(count: int, reduction: str) -> float:
    """The factor that the reduction puts in front of each loss's gradient."""
    return 1.0 / count if reduction == "mean" else 1.0


def _class_target(target: Any, scores: np.ndarray, scores_name: str) -> np.ndarray:
    """Turn class labels or class probabilities into a float array like ``scores``.

    ``scores`` has shape ``(N, C)`` or ``(C,)``. Integer ``target`` of shape
    ``(N,)`` (or a single integer for ``(C,)``) holds class indices; a
    ``target`` of the same shape as ``scores`` holds one probability
    distribution per row (one-hot vectors included).
    """
    t = _to_numpy(target)
    n_classes = scores.shape[-1]
    if t.shape == scores.shape:
        t = _as_float(t, "target")
        _check_unit_interval(t, "target (class probabilities)")
        return t
    if t.shape != scores.shape[:-1]:
        raise ValueError(
            f"target must be class labels of shape {scores.shape[:-1]} or class "
            f"probabilities of shape {scores.shape} to match {scores_name} of shape "
            f"{scores.shape}, got shape {t.shape}"
        )
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"class labels must be integers (class indices), got dtype {t.dtype}")
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        bad = t[(t < 0) | (t >= n_classes)].flat[0]
        raise ValueError(
            f"class labels must be in 0..{n_classes - 1} for {n_classes} classes, got the label {bad}"
        )
    return one_hot(t, n_classes)


def _as_scores(x: Any, name: str) -> np.ndarray:
    """Check a batch of per-class scores: shape ``(N, C)`` or ``(C,)``."""
    array = _as_float(x, name)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (N, C) for N examples and C classes, or (C,) "
            f"for one example, got shape {array.shape}"
        )
    return array


# --- softmax and one-hot --------------------------------------------------------


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Return the logarithm of the softmax of ``z`` along ``axis``, stably.

    ``log softmax(z)_j = z_j - log sum_k exp(z_k)``. Subtracting the largest
    ``z_k`` before exponentiating (the log-sum-exp trick) changes nothing
    mathematically but keeps every ``exp`` at most 1, so nothing overflows
    and the result is finite for all finite ``z``.

    Parameters
    ----------
    z
        Scores (logits), any shape.
    axis
        The axis that runs over the classes.

    Returns
    -------
    numpy.ndarray
        Log-probabilities, of the shape of ``z``; each slice along ``axis``
        exponentiates to a distribution.
    """
    z = _as_float(z, "z")
    _check_finite(z, "z")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Return the softmax of ``z`` along ``axis``: ``exp(z_j) / sum_k exp(z_k)``.

    Computed as ``exp(log_softmax(z))``, so it never overflows; entries may
    underflow to exactly 0 for very negative scores.
    """
    return np.exp(log_softmax(z, axis=axis))


def one_hot(labels: Any, num_classes: int) -> np.ndarray:
    """Return the one-hot vectors of integer class ``labels``.

    Parameters
    ----------
    labels
        Integer class indices, any shape.
    num_classes
        The number of classes ``C``; labels must be in ``0 .. C - 1``.

    Returns
    -------
    numpy.ndarray
        Float array of shape ``labels.shape + (C,)`` with a single 1 in each
        vector, at the position of the label.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    y = _to_numpy(labels)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"class labels must be integers (class indices), got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)].flat[0]
        raise ValueError(
            f"class labels must be in 0..{num_classes - 1} for {num_classes} classes, got the label {bad}"
        )
    return (y[..., None] == np.arange(num_classes)).astype(np.float64)


# --- mean squared error -----------------------------------------------------------


def mse(a: Any, y: Any, reduction: str = "mean") -> float | np.ndarray:
    """Mean squared error between outputs ``a`` and targets ``y``.

    ``C = mean((a - y)**2)`` over all elements, as
    :func:`torch.nn.functional.mse_loss` (no factor 1/2).

    Parameters
    ----------
    a
        The network's outputs, any shape.
    y
        The targets, of the same shape.
    reduction
        ``"mean"`` (over all elements), ``"sum"`` or ``"none"`` (the squared
        error of each element).

    Returns
    -------
    float or numpy.ndarray
        The loss; an array of the shape of ``a`` for ``reduction="none"``.
    """
    reduction = _check_reduction(reduction)
    a, y = _as_float(a, "a"), _as_float(y, "y")
    _check_same_shape(a, y, "a", "y")
    return _reduce((a - y) ** 2, reduction)


def mse_grad(a: Any, y: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`mse` with respect to the outputs ``a``.

    ``dC/da = 2 (a - y) / n`` for the mean over ``n`` elements, ``2 (a - y)``
    for the sum (and, element by element, for ``"none"``).
    """
    reduction = _check_reduction(reduction)
    a, y = _as_float(a, "a"), _as_float(y, "y")
    _check_same_shape(a, y, "a", "y")
    return 2.0 * (a - y) * _grad_scale(a.size, reduction)


# --- binary cross-entropy -------------------------------------------------------


def _binary_inputs(x: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check probabilities ``p`` (or logits ``z``) and targets ``y`` of a binary loss."""
    x, y = _as_float(x, name), _as_float(y, "y")
    _check_same_shape(x, y, name, "y")
    if name == "p":
        _check_unit_interval(
            x, "p", "; to pass scores before the sigmoid, use binary_cross_entropy_with_logits"
        )
    else:
        _check_finite(x, name)
    _check_unit_interval(y, "y (targets)")
    return x, y


def binary_cross_entropy(p: Any, y: Any, reduction: str = "mean") -> float | np.ndarray:
    """Binary cross-entropy of predicted probabilities ``p`` for targets ``y``.

    ``C = -(y log p + (1 - y) log(1 - p))`` for each element, then reduced,
    as :func:`torch.nn.functional.binary_cross_entropy`. Each logarithm is
    clamped at :data:`LOG_CLAMP` (-100), so ``p = 0`` with ``y = 1`` costs
    100 instead of infinity.

    Parameters
    ----------
    p
        Predicted probabilities of the event, in [0, 1], any shape (usually
        the output of a sigmoid).
    y
        Targets in [0, 1] (1 = the event happened), of the same shape.
    reduction
        ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.

    Returns
    -------
    float or numpy.ndarray
    """
    reduction = _check_reduction(reduction)
    p, y = _binary_inputs(p, y, "p")
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(p), LOG_CLAMP)
        log_not_p = np.maximum(np.log1p(-p), LOG_CLAMP)
    return _reduce(-(y * log_p + (1.0 - y) * log_not_p), reduction)


def binary_cross_entropy_grad(p: Any, y: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    ``dC/dp = (p - y) / (p (1 - p))``, with the denominator clamped at
    :data:`GRAD_EPSILON` (1e-12) as PyTorch does, so the gradient is finite
    even at ``p = 0`` or ``p = 1``; divided by the number of elements for
    ``reduction="mean"``.
    """
    reduction = _check_reduction(reduction)
    p, y = _binary_inputs(p, y, "p")
    return (p - y) / np.maximum(p * (1.0 - p), GRAD_EPSILON) * _grad_scale(p.size, reduction)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, accurate in relative terms on both tails."""
    e = np.exp(-np.abs(z))  # at most 1: no overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy_with_logits(z: Any, y: Any, reduction: str = "mean") -> float | np.ndarray:
    """Binary cross-entropy of ``sigmoid(z)`` for targets ``y``, from the logits ``z``.

    Written as ``max(z, 0) - z y + log(1 + exp(-|z|))``, which equals
    ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` but never
    exponentiates a positive number, so it is finite and accurate for any
    finite ``z`` (no clamping needed). As
    :func:`torch.nn.functional.binary_cross_entropy_with_logits`.

    Parameters
    ----------
    z
        Logits (scores before the sigmoid), any shape, finite.
    y
        Targets in [0, 1], of the same shape.
    reduction
        ``"mean"`` (over all elements), ``"sum"`` or ``"none"``.

    Returns
    -------
    float or numpy.ndarray
    """
    reduction = _check_reduction(reduction)
    z, y = _binary_inputs(z, y, "z")
    return _reduce(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z))), reduction)


def binary_cross_entropy_with_logits_grad(z: Any, y: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    ``dC/dz = sigmoid(z) - y``: the error itself, without the factor
    ``sigmoid'(z)`` that makes squared error learn slowly when the output is
    badly wrong. Divided by the number of elements for ``reduction="mean"``.
    """
    reduction = _check_reduction(reduction)
    z, y = _binary_inputs(z, y, "z")
    return (_sigmoid(z) - y) * _grad_scale(z.size, reduction)


# --- categorical cross-entropy --------------------------------------------------


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> float | np.ndarray:
    """Categorical cross-entropy of ``softmax(logits)`` for the target classes.

    For one example with logits ``z`` and target distribution ``t`` (a
    one-hot vector for a class label), ``C = -sum_j t_j log softmax(z)_j``;
    for a label ``k`` that is ``log sum_j exp(z_j) - z_k``. Computed with
    :func:`log_softmax`, so it is finite for any finite logits. As
    :func:`torch.nn.functional.cross_entropy`, which also takes logits.

    Parameters
    ----------
    logits
        Scores before the softmax: shape ``(N, C)`` for ``N`` examples and
        ``C`` classes, or ``(C,)`` for one example.
    target
        Either integer class labels in ``0 .. C-1`` of shape ``(N,)`` (an int
        for one example), or class probabilities (one-hot vectors or any
        distributions) of the shape of ``logits``.
    reduction
        ``"mean"`` (over the ``N`` examples), ``"sum"`` or ``"none"`` (one
        loss per example).

    Returns
    -------
    float or numpy.ndarray
    """
    reduction = _check_reduction(reduction)
    z = _as_scores(logits, "logits")
    _check_finite(z, "logits")
    t = _class_target(target, z, "logits")
    return _reduce(-(t * log_softmax(z)).sum(axis=-1), reduction)


def cross_entropy_grad(logits: Any, target: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits.

    ``dC/dz = softmax(z) - t`` for each example (more precisely
    ``softmax(z) sum_j t_j - t``, which is the same when the target is a
    distribution), divided by ``N`` for ``reduction="mean"``.
    """
    reduction = _check_reduction(reduction)
    z = _as_scores(logits, "logits")
    _check_finite(z, "logits")
    t = _class_target(target, z, "logits")
    n = z.shape[0] if z.ndim == 2 else 1
    return (softmax(z) * t.sum(axis=-1, keepdims=True) - t) * _grad_scale(n, reduction)


def _nll_target(labels: Any, log_p: np.ndarray) -> np.ndarray:
    """One-hot vectors of the integer ``labels`` of :func:`nll` (as torch, no distributions)."""
    t = _to_numpy(labels)
    if t.shape == log_p.shape:
        raise ValueError(
            f"nll takes integer class labels of shape {log_p.shape[:-1]}, got shape "
            f"{t.shape}; for class probabilities use cross_entropy or categorical_cross_entropy"
        )
    return _class_target(t, log_p, "log_probs")


def nll(log_probs: Any, labels: Any, reduction: str = "mean") -> float | np.ndarray:
    """Negative log-likelihood of the labels under log-probabilities.

    ``C = -log_probs[k]`` for the label ``k`` of each example, as
    :func:`torch.nn.functional.nll_loss`. With ``log_probs =
    log_softmax(logits)`` it equals :func:`cross_entropy`.

    Parameters
    ----------
    log_probs
        Logarithms of class probabilities (all <= 0), shape ``(N, C)`` or
        ``(C,)``; ``-inf`` stands for a probability of 0.
    labels
        Integer class labels in ``0 .. C-1``, shape ``(N,)`` (an int for one
        example).
    reduction
        ``"mean"`` (over the ``N`` examples), ``"sum"`` or ``"none"``.

    Returns
    -------
    float or numpy.ndarray
    """
    reduction = _check_reduction(reduction)
    log_p = _check_log_probs(log_probs)
    t = _nll_target(labels, log_p)
    # Select rather than multiply by the one-hot t: 0 * -inf would be NaN.
    picked = np.where(t > 0, log_p, 0.0)
    return _reduce(-picked.sum(axis=-1), reduction)


def nll_grad(log_probs: Any, labels: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`nll` with respect to ``log_probs``.

    ``-1`` at each example's label and 0 elsewhere, divided by ``N`` for
    ``reduction="mean"``.
    """
    reduction = _check_reduction(reduction)
    log_p = _check_log_probs(log_probs)
    t = _nll_target(labels, log_p)
    n = log_p.shape[0] if log_p.ndim == 2 else 1
    return -t * _grad_scale(n, reduction)


def _check_log_probs(log_probs: Any) -> np.ndarray:
    log_p = _as_scores(log_probs, "log_probs")
    if log_p.max() > 0.0:
        raise ValueError(
            f"log_probs must be logarithms of probabilities (<= 0), got a value of "
            f"{log_p.max():.6g}; to pass scores before the softmax, use cross_entropy"
        )
    return log_p


def _categorical_inputs(probs: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _as_scores(probs, "probs")
    _check_unit_interval(p, "probs", "; to pass scores before the softmax, use cross_entropy")
    return p, _class_target(target, p, "probs")


def categorical_cross_entropy(probs: Any, target: Any, reduction: str = "mean") -> float | np.ndarray:
    """Categorical cross-entropy ``-sum_j t_j log a_j`` from class probabilities.

    The textbook formula, fed with the output ``a`` of a softmax. Each
    logarithm is clamped at :data:`LOG_CLAMP` (-100), the rule of
    :func:`torch.nn.functional.binary_cross_entropy`, so a probability of 0
    for the target class costs 100 instead of infinity. To train, prefer
    :func:`cross_entropy`, which takes the logits and needs no clamping.

    Parameters
    ----------
    probs
        Class probabilities in [0, 1], shape ``(N, C)`` or ``(C,)``, each row
        summing to 1.
    target
        Integer class labels of shape ``(N,)`` (an int for one example) or
        class probabilities (one-hot vectors included) of the shape of
        ``probs``.
    reduction
        ``"mean"`` (over the ``N`` examples), ``"sum"`` or ``"none"``.

    Returns
    -------
    float or numpy.ndarray
    """
    reduction = _check_reduction(reduction)
    p, t = _categorical_inputs(probs, target)
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(p), LOG_CLAMP)
    return _reduce(-(t * log_p).sum(axis=-1), reduction)


def categorical_cross_entropy_grad(probs: Any, target: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`categorical_cross_entropy` with respect to ``probs``.

    ``dC/da_j = -t_j / a_j``, with the denominator clamped at
    :data:`GRAD_EPSILON` (1e-12) so it is finite at ``a_j = 0``; divided by
    ``N`` for ``reduction="mean"``. (Through the softmax, this becomes the
    much simpler ``softmax(z) - t`` of :func:`cross_entropy_grad`.)
    """
    reduction = _check_reduction(reduction)
    p, t = _categorical_inputs(probs, target)
    n = p.shape[0] if p.ndim == 2 else 1
    return -t / np.maximum(p, GRAD_EPSILON) * _grad_scale(n, reduction)
