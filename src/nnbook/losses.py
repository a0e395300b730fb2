"""Loss functions and their gradients with respect to the network's output.

Three losses cover most problems: mean squared error for regression, binary
cross-entropy for yes/no questions and categorical cross-entropy for one of
several classes. Each cross-entropy comes twice:

* **from probabilities** (:func:`binary_cross_entropy`,
  :func:`categorical_cross_entropy`): the textbook formulas, fed with the
  output of a sigmoid or a softmax;
* **from logits** (:func:`binary_cross_entropy_with_logits`,
  :func:`cross_entropy`, and :func:`nll` from log-probabilities): fed with
  the scores *before* the sigmoid or softmax, they never form a probability
  that could round to 0 or 1, so they stay finite and exact for any finite
  logits (the log-sum-exp trick); this is what to train with.

Every loss has a ``*_grad`` partner: its gradient with respect to the first
argument (the network's output), where back-propagation starts. The
conventions are those of :mod:`torch.nn.functional`, so that the numbers in
the book agree with PyTorch's:

* ``reduction="mean"`` averages over every element for :func:`mse` and the
  binary losses, over the ``N`` examples (rows) for the categorical ones.
  ``"sum"`` adds instead, and ``"none"`` returns one loss per element
  (binary, MSE) or per example (categorical); its gradient is that of the sum.
* :func:`mse` has no factor 1/2: it is ``mean((a - y)**2)``, and its
  gradient is ``2 (a - y) / a.size``. The quadratic cost ``1/(2n) sum_x ||a - y||^2``
  of ``n`` examples is ``mse(a, y, reduction="sum") / (2 * n)``.
* From probabilities, a probability of exactly 0 for what happened would
  cost an infinite loss. Every logarithm is clamped at :data:`LOG_CLAMP`
  (-100) and the gradient's denominator at :data:`GRAD_EPSILON` (``1e-12``), as
  in :func:`torch.nn.functional.binary_cross_entropy`: a single element
  costs at most 100, with a gradient of at most 1e12. The from-logits
  losses need neither.

Inputs may be NumPy arrays, nested sequences or PyTorch tensors. Float32
inputs are computed in float32, everything else in float64. The predictions
(the first argument) may hold NaN or infinities: NaN in gives NaN out, as in
NumPy and PyTorch, so that a diverging training run shows itself as a NaN
loss rather than as an error. The targets are checked: finite numbers, and
class labels integers in range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnbook._checks import as_real_array, check_choice, check_int, to_numpy

__all__ = [
    "GRAD_EPSILON",
    "LOG_CLAMP",
    "REDUCTIONS",
    "mse",
    "mse_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "nll",
    "nll_grad",
    "categorical_cross_entropy",
    "categorical_cross_entropy_grad",
    "log_softmax",
    "softmax",
    "one_hot",
]

#: The ways a batch of losses can be reduced to one number, as in PyTorch.
REDUCTIONS = ("mean", "sum", "none")

#: Lower bound of every logarithm of a probability (PyTorch's choice):
#: a probability of 0 for what happened costs 100, not infinity.
LOG_CLAMP = -100.0

#: Lower bound of the denominators ``p`` and ``p (1 - p)`` in the gradients
#: of the losses from probabilities (PyTorch's choice).
GRAD_EPSILON = 1e-12


# --- checking the inputs and reducing the losses ---------------------------------


def _same_shape(
    a: Any, y: Any, a_name: str, y_name: str = "y"
) -> tuple[np.ndarray, np.ndarray]:
    """Return outputs ``a`` and finite targets ``y`` as float arrays of one shape.

    NaN passes in ``a``.
    """
    a = as_real_array(a, a_name, finite=False, nonempty=True)
    y = as_real_array(y, y_name, nonempty=True)
    if a.shape != y.shape:
        raise ValueError(
            f"{y_name} must have the same shape as {a_name}, {a.shape}, "
            f"got shape {y.shape}"
        )
    return a, y


def _check_probabilities(x: np.ndarray, name: str, hint: str = "") -> None:
    low, high = x.min(), x.max()  # NaN if x holds one, which passes
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} must be probabilities in [0, 1], "
            f"got values from {low:.6g} to {high:.6g}{hint}"
        )


def _as_scores(x: Any, name: str) -> np.ndarray:
    """Check a batch of per-class scores (NaN passes): shape ``(N, C)`` or ``(C,)``."""
    array = as_real_array(x, name, finite=False, nonempty=True)
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (N, C) for N examples and C classes, or (C,) "
            f"for one example, got shape {array.shape}"
        )
    return array


def _check_labels(labels: Any, num_classes: int, name: str) -> np.ndarray:
    """Return ``labels`` as a non-empty array of integer class labels.

    Each must be in ``0 .. num_classes - 1``.
    """
    y = to_numpy(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integers (class indices), got dtype {y.dtype}"
        )
    if y.size == 0:
        raise ValueError(
            f"{name} must hold at least one class label, got shape {y.shape}"
        )
    if y.min() < 0 or y.max() >= num_classes:
        bad = y[(y < 0) | (y >= num_classes)].flat[0]
        raise ValueError(
            f"{name} must hold class labels in 0..{num_classes - 1} "
            f"for {num_classes} classes, got the label {bad}"
        )
    return y


def _class_target(
    target: Any, scores: np.ndarray, scores_name: str, name: str = "target"
) -> np.ndarray:
    """Turn class labels or class probabilities into an array like ``scores``.

    For ``scores`` of shape ``(N, C)`` (or ``(C,)``), ``target`` holds
    integer class labels of shape ``(N,)`` (or one int), or one probability
    distribution per row, of the shape of ``scores``.
    """
    t = to_numpy(target)
    if t.shape == scores.shape:
        t = as_real_array(t, name, dtype=scores.dtype)
        _check_probabilities(t, f"{name} (class probabilities)")
        return t
    if t.shape != scores.shape[:-1]:
        raise ValueError(
            f"{name} must be class labels of shape {scores.shape[:-1]} or class "
            f"probabilities of shape {scores.shape} to match {scores_name} of shape "
            f"{scores.shape}, got shape {t.shape}"
        )
    return one_hot(_check_labels(t, scores.shape[-1], name), scores.shape[-1]).astype(
        scores.dtype
    )


def _reduce(losses: np.ndarray, reduction: str) -> float | np.ndarray:
    """The mean or the sum of the losses (a float), or the losses themselves."""
    check_choice(reduction, "reduction", REDUCTIONS)
    if reduction == "none":
        return losses
    return float(losses.mean() if reduction == "mean" else losses.sum())


def _reduce_grad(grad: np.ndarray, n_losses: int, reduction: str) -> np.ndarray:
    """The gradient of the reduced loss, from that of the sum of ``n_losses`` losses."""
    check_choice(reduction, "reduction", REDUCTIONS)
    return grad / n_losses if reduction == "mean" else grad


def _n_examples(scores: np.ndarray) -> int:
    return (
        scores.size // scores.shape[-1]
    )  # N rows of shape (N, C); 1 example of shape (C,)


# --- softmax and one-hot --------------------------------------------------------


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Return the logarithm of the softmax of ``z`` along ``axis``, stably.

    ``log softmax(z)_j = z_j - log sum_k exp(z_k)``. Subtracting the largest
    ``z_k`` before exponentiating (the log-sum-exp trick) changes nothing
    mathematically but keeps every ``exp`` at most 1, so nothing overflows
    and the result is finite for all finite ``z``.

    ``z`` holds scores (logits), any shape, and ``axis`` (an int) runs over
    the classes. The result has the shape of ``z``; each slice along
    ``axis`` exponentiates to a distribution. A score of ``-inf`` has
    probability 0; NaN in gives NaN out, and so does ``+inf``.
    """
    z = as_real_array(z, "z", finite=False, nonempty=True)
    axis = check_int(axis, "axis")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Return the softmax of ``z`` along ``axis``: ``exp(z_j) / sum_k exp(z_k)``.

    Computed as ``exp(log_softmax(z))``, so it never overflows; entries may
    underflow to exactly 0 for very negative scores.
    """
    return np.exp(log_softmax(z, axis=axis))


def one_hot(labels: Any, num_classes: int) -> np.ndarray:
    """Return the one-hot vectors of the integer class ``labels`` (in ``0 .. C - 1``).

    ``labels`` may have any shape and holds at least one label. The result, a
    float64 array of shape ``labels.shape + (C,)`` for ``C = num_classes``,
    has a single 1 in each vector, at the label.
    """
    num_classes = check_int(num_classes, "num_classes", minimum=1)
    y = _check_labels(labels, num_classes, "labels")
    return (y[..., None] == np.arange(num_classes)).astype(np.float64)


# --- mean squared error -----------------------------------------------------------


def mse(a: Any, y: Any, reduction: str = "mean") -> float | np.ndarray:
    """Mean squared error between outputs ``a`` and targets ``y``.

    ``C = mean((a - y)**2)`` over all elements, as
    :func:`torch.nn.functional.mse_loss` (no factor 1/2).

    Parameters
    ----------
    a, y
        The network's outputs and the targets, of one shape.
    reduction
        ``"mean"`` (over all elements), ``"sum"`` or ``"none"`` (the squared
        error of each element, an array of the shape of ``a``).

    Returns
    -------
    float or numpy.ndarray
    """
    a, y = _same_shape(a, y, "a")
    return _reduce((a - y) ** 2, reduction)


def mse_grad(a: Any, y: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`mse` with respect to the outputs ``a``.

    ``dC/da = 2 (a - y) / a.size`` for the mean over all elements, ``2 (a - y)``
    for the sum (and, element by element, for ``"none"``).
    """
    a, y = _same_shape(a, y, "a")
    return _reduce_grad(2 * (a - y), a.size, reduction)


# --- binary cross-entropy -------------------------------------------------------


def _binary_inputs(x: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check probabilities ``p`` (or logits ``z``) and targets ``y``: a binary loss."""
    x, y = _same_shape(x, y, name)
    if name == "p":
        _check_probabilities(
            x,
            "p",
            "; to pass scores before the sigmoid, use binary_cross_entropy_with_logits",
        )
    _check_probabilities(y, "y (targets)")
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
    p, y = _binary_inputs(p, y, "p")
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(p), LOG_CLAMP)
        log_not_p = np.maximum(np.log1p(-p), LOG_CLAMP)
    return _reduce(-(y * log_p + (1 - y) * log_not_p), reduction)


def binary_cross_entropy_grad(p: Any, y: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    ``dC/dp = (p - y) / (p (1 - p))``, with the denominator clamped at
    :data:`GRAD_EPSILON` (``1e-12``) as PyTorch does, so the gradient is finite
    even at ``p = 0`` or ``p = 1``; divided by the number of elements for
    ``reduction="mean"``.
    """
    p, y = _binary_inputs(p, y, "p")
    return _reduce_grad(
        (p - y) / np.maximum(p * (1 - p), GRAD_EPSILON), p.size, reduction
    )


def binary_cross_entropy_with_logits(
    z: Any, y: Any, reduction: str = "mean"
) -> float | np.ndarray:
    """Binary cross-entropy of ``sigmoid(z)`` for targets ``y``, from the logits ``z``.

    Written as ``max(z, 0) - z y + log(1 + exp(-|z|))``, which equals
    ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` but never
    exponentiates a positive number, so it is finite and accurate for any
    finite ``z`` (no clamping needed). As
    :func:`torch.nn.functional.binary_cross_entropy_with_logits`. The
    arguments are those of :func:`binary_cross_entropy`, with the finite
    logits ``z`` (scores before the sigmoid) in place of ``p``.
    """
    z, y = _binary_inputs(z, y, "z")
    return _reduce(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), reduction)


def binary_cross_entropy_with_logits_grad(
    z: Any, y: Any, reduction: str = "mean"
) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    ``dC/dz = sigmoid(z) - y``: the error itself, without the factor
    ``sigmoid'(z)`` that makes squared error learn slowly when the output is
    badly wrong. Divided by the number of elements for ``reduction="mean"``.
    """
    z, y = _binary_inputs(z, y, "z")
    e = np.exp(
        -np.abs(z)
    )  # at most 1: the sigmoid without overflow, accurate on both tails
    sigmoid = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return _reduce_grad(sigmoid - y, z.size, reduction)


# --- categorical cross-entropy --------------------------------------------------


def _categorical_inputs(
    x: Any, target: Any, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check the ``logits`` (or ``probs``) and the targets of a categorical loss."""
    x = _as_scores(x, name)
    if name == "probs":
        _check_probabilities(
            x, "probs", "; to pass scores before the softmax, use cross_entropy"
        )
    return x, _class_target(target, x, name)


def cross_entropy(
    logits: Any, target: Any, reduction: str = "mean"
) -> float | np.ndarray:
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
    z, t = _categorical_inputs(logits, target, "logits")
    return _reduce(-(t * log_softmax(z)).sum(axis=-1), reduction)


def cross_entropy_grad(logits: Any, target: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`cross_entropy` with respect to the logits.

    ``dC/dz = softmax(z) - t`` for each example (more precisely
    ``softmax(z) sum_j t_j - t``, which is the same when the target is a
    distribution), divided by ``N`` for ``reduction="mean"``.
    """
    z, t = _categorical_inputs(logits, target, "logits")
    return _reduce_grad(
        softmax(z) * t.sum(axis=-1, keepdims=True) - t, _n_examples(z), reduction
    )


def _nll_inputs(log_probs: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Log-probabilities and the one-hot vectors of the integer labels.

    As in torch, the targets are labels, not distributions.
    """
    log_p = _as_scores(log_probs, "log_probs")  # -inf is a probability of 0
    if np.any(log_p > 0):  # NaN passes, as everywhere in the predictions
        raise ValueError(
            f"log_probs must be logarithms of probabilities (<= 0), got a value of "
            f"{log_p[log_p > 0].flat[0]:.6g}; "
            "to pass scores before the softmax, use cross_entropy"
        )
    if np.shape(labels) == log_p.shape:
        raise ValueError(
            f"nll takes integer class labels of shape {log_p.shape[:-1]}, got shape "
            f"{log_p.shape}; for class probabilities use cross_entropy "
            "or categorical_cross_entropy"
        )
    return log_p, _class_target(labels, log_p, "log_probs", "labels")


def nll(log_probs: Any, labels: Any, reduction: str = "mean") -> float | np.ndarray:
    """Negative log-likelihood of the labels under log-probabilities.

    ``C = -log_probs[k]`` for the label ``k`` of each example, as
    :func:`torch.nn.functional.nll_loss`. With ``log_probs =
    log_softmax(logits)`` it equals :func:`cross_entropy`, whose arguments
    it takes, with two differences: ``log_probs`` are logarithms of class
    probabilities (all <= 0, ``-inf`` for a probability of 0), and the
    targets must be integer class ``labels``.
    """
    log_p, t = _nll_inputs(log_probs, labels)
    # Select rather than multiply by the one-hot t: 0 * -inf would be NaN.
    return _reduce(-np.where(t > 0, log_p, 0).sum(axis=-1), reduction)


def nll_grad(log_probs: Any, labels: Any, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`nll` with respect to ``log_probs``.

    ``-1`` at each example's label and 0 elsewhere, divided by ``N`` for
    ``reduction="mean"``; NaN where ``log_probs`` is NaN.
    """
    log_p, t = _nll_inputs(log_probs, labels)
    return _reduce_grad(
        np.where(np.isnan(log_p), log_p, -t), _n_examples(log_p), reduction
    )


def categorical_cross_entropy(
    probs: Any, target: Any, reduction: str = "mean"
) -> float | np.ndarray:
    """Categorical cross-entropy ``-sum_j t_j log a_j`` from class probabilities.

    The textbook formula, fed with the output ``a`` of a softmax. Each
    logarithm is clamped at :data:`LOG_CLAMP` (-100), the rule of
    :func:`torch.nn.functional.binary_cross_entropy`, so a probability of 0
    for the target class costs 100 instead of infinity. To train, prefer
    :func:`cross_entropy`, which takes the logits and needs no clamping.
    The arguments are those of :func:`cross_entropy`, with class
    probabilities ``probs`` in [0, 1] (rows summing to 1) in place of the
    logits.
    """
    p, t = _categorical_inputs(probs, target, "probs")
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(p), LOG_CLAMP)
    return _reduce(-(t * log_p).sum(axis=-1), reduction)


def categorical_cross_entropy_grad(
    probs: Any, target: Any, reduction: str = "mean"
) -> np.ndarray:
    """Gradient of :func:`categorical_cross_entropy` with respect to ``probs``.

    ``dC/da_j = -t_j / a_j``, with the denominator clamped at
    :data:`GRAD_EPSILON` (``1e-12``) so it is finite at ``a_j = 0``; divided by
    ``N`` for ``reduction="mean"``. (Through the softmax, this becomes the
    much simpler ``softmax(z) - t`` of :func:`cross_entropy_grad`.)
    """
    p, t = _categorical_inputs(probs, target, "probs")
    return _reduce_grad(-t / np.maximum(p, GRAD_EPSILON), _n_examples(p), reduction)
