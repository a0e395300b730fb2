"""L1 and L2 penalties on the weights, their gradients and steps, and dropout.

Regularisation adds to the cost ``C0`` of the training data a term that grows
with the size of the weights. The book's two, as in Nielsen's book:

* **L1**: ``C = C0 + (lmbda / n) * sum(|w|)``, whose gradient adds
  ``(lmbda / n) * sign(w)`` (with ``sign(0) = 0``, the sub-gradient PyTorch
  uses too);
* **L2**: ``C = C0 + (lmbda / (2 n)) * sum(w**2)``, whose gradient adds
  ``(lmbda / n) * w``.

``lmbda`` (``lambda`` is a Python keyword) is the strength of the penalty,
>= 0; ``n`` is the number of training examples; the sums run over the
**weights** and not the biases: a bias only shifts a neuron's threshold, and
a large one does not make the output more sensitive to the input.

Two ways to train with a penalty:

* **L2 is weight decay.** A gradient step on the L2 cost is
  ``w <- (1 - eta lmbda / n) w - eta dC0/dw``: each step first shrinks the
  weights. ``torch.optim.SGD(weight_decay=lmbda / n)`` does this to every
  parameter it is given; :func:`param_groups` gives it the weights alone.
* **L1 with a proximal step.** A gradient step on the L1 cost moves every
  weight by ``eta lmbda / n`` towards zero, and usually past it, so weights
  jitter around zero. The proximal step takes a plain step on ``C0`` and then
  soft-thresholds the weights, ``w <- sign(w) max(|w| - eta lmbda / n, 0)``,
  which sets every weight closer to zero than that to exactly zero
  (:func:`soft_threshold`, :func:`l1_proximal_step`, :func:`proximal_sgd`).

Dropout is a regulariser of another kind: :func:`dropout` zeroes each
activation with probability ``p`` during training and scales the others by
``1 / (1 - p)`` (inverted dropout, as ``torch.nn.Dropout``), so that nothing
changes in evaluation.

The functions come in two families. The NumPy ones take ``weights``, a list
with one NumPy array per layer (as the from-scratch network stores them),
and never import PyTorch. The PyTorch ones take a :class:`torch.nn.Module`
and act on the weights of its linear and convolution layers
(:func:`weights_of`); :func:`model_penalty` is a tensor that autograd can
differentiate, to add to a loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nnbook._checks import (
    as_generator,
    as_real_array,
    check_bool,
    check_callable,
    check_choice,
    check_count,
    check_int,
    check_interval,
    check_nonnegative,
    check_positive,
    torch_generator,
)
from nnbook._optional import needs

if TYPE_CHECKING:  # torch is imported only by the functions that take a PyTorch model
    import torch

__all__ = [
    "PENALTIES",
    "dropout",
    "l1_penalty",
    "l1_penalty_grad",
    "l1_proximal_step",
    "l2_penalty",
    "l2_penalty_grad",
    "model_penalty",
    "output_sensitivity",
    "param_groups",
    "penalized_loss",
    "penalty",
    "penalty_grad",
    "proximal_sgd",
    "ridge",
    "soft_threshold",
    "sparsity",
    "weights_of",
]

#: The names of the two penalties, ``"l1"`` for ``(lmbda / n) sum |w|`` and ``"l2"``
#: for ``(lmbda / (2 n)) sum w**2``.
PENALTIES = ("l1", "l2")


# --- NumPy: a list of weight arrays, one per layer ------------------------------------


def l1_penalty(weights: Sequence[np.ndarray], lmbda: float, n: int) -> float:
    """Return the L1 penalty ``(lmbda / n) * sum(|w|)`` over all arrays in ``weights``.

    Parameters
    ----------
    weights
        A list with one NumPy array of weights per layer (not the biases).
    lmbda
        The strength of the penalty, >= 0.
    n
        The number of training examples, >= 1.
    """
    arrays = _arrays(weights)
    return _scale(lmbda, n) * float(
        sum(np.abs(w).sum(dtype=np.float64) for w in arrays)
    )


def l2_penalty(weights: Sequence[np.ndarray], lmbda: float, n: int) -> float:
    """Return the L2 penalty ``(lmbda / (2 n)) * sum(w**2)``.

    The arguments are as for :func:`l1_penalty`.
    """
    arrays = _arrays(weights)
    return (
        _scale(lmbda, n)
        / 2
        * float(sum(np.square(w, dtype=np.float64).sum() for w in arrays))
    )


def l1_penalty_grad(
    weights: Sequence[np.ndarray], lmbda: float, n: int
) -> list[np.ndarray]:
    """Return the gradient of the L1 penalty, ``(lmbda / n) * sign(w)``, per array.

    At ``w = 0``, where ``|w|`` has no derivative, it is 0, as in PyTorch's
    autograd. Each gradient has the shape and dtype of its weights.
    """
    arrays = _arrays(weights)
    scale = _scale(lmbda, n)
    return [(scale * np.sign(w)).astype(w.dtype, copy=False) for w in arrays]


def l2_penalty_grad(
    weights: Sequence[np.ndarray], lmbda: float, n: int
) -> list[np.ndarray]:
    """Return the gradient of the L2 penalty, ``(lmbda / n) * w``, per array."""
    arrays = _arrays(weights)
    scale = _scale(lmbda, n)
    return [(scale * w).astype(w.dtype, copy=False) for w in arrays]


def penalty(
    weights: Sequence[np.ndarray], lmbda: float, n: int, kind: str = "l2"
) -> float:
    """Return the penalty named ``kind`` (one of :data:`PENALTIES`).

    The other arguments are as for :func:`l1_penalty`.
    """
    return (
        l1_penalty if check_choice(kind, "kind", PENALTIES) == "l1" else l2_penalty
    )(weights, lmbda, n)


def penalty_grad(
    weights: Sequence[np.ndarray], lmbda: float, n: int, kind: str = "l2"
) -> list[np.ndarray]:
    """Return the gradient of the penalty named ``kind``.

    The other arguments are as for :func:`l1_penalty_grad`.
    """
    chosen = (
        l1_penalty_grad
        if check_choice(kind, "kind", PENALTIES) == "l1"
        else l2_penalty_grad
    )
    return chosen(weights, lmbda, n)


def soft_threshold(w: Any, threshold: float) -> np.ndarray:
    """Return ``sign(w) * max(|w| - threshold, 0)``, element by element.

    Every entry moves ``threshold`` (>= 0) closer to zero, and the entries
    within ``threshold`` of zero become exactly zero. This is the proximal
    operator of ``threshold * |w|``: the ``v`` that minimises
    ``(v - w)**2 / 2 + threshold * |v|``. The result is a new array with the
    shape and (floating-point) dtype of ``w``.
    """
    w = as_real_array(w, "w")
    threshold = check_nonnegative(threshold, "threshold")
    return (np.sign(w) * np.maximum(np.abs(w) - threshold, 0)).astype(
        w.dtype, copy=False
    )


def l1_proximal_step(
    weights: Sequence[np.ndarray], eta: float, lmbda: float, n: int
) -> None:
    """Soft-threshold every weight array in place by ``eta * lmbda / n``.

    This is the L1 half of a proximal step. Call it right after a plain
    gradient step on the unregularised cost ``C0`` with learning rate ``eta``
    (> 0). The two together are one step of proximal gradient descent on
    ``C0 + (lmbda / n) sum |w|``: weights that the L1 penalty would push past
    zero stop at exactly zero. ``weights`` is a list of floating-point NumPy
    arrays, which are changed.
    """
    _arrays(weights, in_place=True)
    threshold = check_positive(eta, "eta") * _scale(lmbda, n)
    for w in weights:
        w[...] = soft_threshold(w, threshold)


def sparsity(weights: Sequence[np.ndarray], atol: float = 0.0) -> float:
    """Return the fraction of the entries of ``weights`` whose size is at most ``atol``.

    By default, ``atol = 0``, only exact zeros count.
    """
    arrays = _arrays(weights)
    atol = check_nonnegative(atol, "atol")
    total = sum(w.size for w in arrays)
    return (
        sum(np.count_nonzero(np.abs(w) <= atol) for w in arrays) / total
        if total
        else math.nan
    )


def ridge(X: Any, y: Any, lmbda: float, rcond: float | None = None) -> np.ndarray:
    """Fit a linear model by least squares with the L2 penalty (ridge regression).

    Minimises ``C(w) = sum((y - X w)**2) / (2 n) + lmbda * sum(w**2) / (2 n)``,
    the L2 penalty on every coefficient, whose minimiser
    ``w = (X^T X + lmbda I)^(-1) X^T y`` does not depend on ``n``. It is
    computed from the singular value decomposition ``X = U S V^T`` as
    ``V diag(s / (s^2 + lmbda)) U^T y``, for any shape of ``X``. As ``lmbda``
    goes to 0 it tends to the minimum-norm least-squares solution ``X^+ y``
    (:func:`nnbook.least_squares.fit_min_norm`), which ``lmbda = 0`` returns.

    Parameters
    ----------
    X
        The design matrix, shape ``(n, p)``; ``p > n`` is allowed.
    y
        The responses, shape ``(n,)``.
    lmbda
        The strength of the penalty, >= 0.
    rcond
        For ``lmbda = 0``: singular values below ``rcond`` times the largest
        count as zero; a finite number in ``[0, 1)``, by default
        ``machine epsilon * max(n, p)``.

    Returns
    -------
    numpy.ndarray
        The coefficients, shape ``(p,)``.
    """
    X = as_real_array(X, "X", dtype=np.float64, ndim=2, nonempty=True)
    y = as_real_array(y, "y", dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y must have shape ({X.shape[0]},) to match X of shape {X.shape}, "
            f"got shape {y.shape}"
        )
    lmbda = check_nonnegative(lmbda, "lmbda")
    if rcond is not None:
        rcond = check_interval(rcond, "rcond", 0.0, 1.0, high_open=True)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if lmbda > 0:
        factor = s / (s**2 + lmbda)
    else:
        rcond = np.finfo(float).eps * max(X.shape) if rcond is None else rcond
        keep = s > rcond * s[0]
        factor = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    return Vt.T @ (factor * (U.T @ y))


def dropout(
    a: Any,
    p: float,
    seed: int | np.random.Generator = 0,
    training: bool = True,
    mask: Any = None,
) -> np.ndarray:
    """Apply inverted dropout to the activations ``a``.

    In training, each entry is kept with probability ``1 - p`` and scaled by
    ``1 / (1 - p)``, and set to zero otherwise; the scaling keeps the expected
    value of every entry equal to the entry, so that in evaluation
    (``training=False``) the layer is the identity and needs no rescaling.
    This is what ``torch.nn.Dropout`` does.

    Parameters
    ----------
    a
        The activations, an array of any shape.
    p
        The probability of dropping an entry, in [0, 1]; with ``p = 1``
        every entry is dropped.
    seed
        Where the mask comes from: an int >= 0 or a
        :class:`numpy.random.Generator`. Ignored when ``mask`` is given.
    training
        Whether to drop (training) or to pass ``a`` through (evaluation).
    mask
        An optional array of bools shaped like ``a``, True for the entries
        kept; given, it replaces the random draw (to share PyTorch's mask).

    Returns
    -------
    numpy.ndarray
        A new array shaped like ``a``.
    """
    a = as_real_array(a, "a")
    p = check_interval(p, "p", 0.0, 1.0)
    training = check_bool(training, "training")
    if not training:
        return a.copy()
    if mask is None:
        mask = as_generator(seed, "seed").random(a.shape) >= p
    else:
        mask = np.asarray(mask)
        if mask.dtype != np.bool_ or mask.shape != a.shape:
            raise ValueError(
                f"mask must be an array of bools of shape {a.shape}, "
                f"got dtype {mask.dtype} and shape {mask.shape}"
            )
    if p == 1.0:  # nothing is kept, and there is nothing to scale
        return np.zeros_like(a)
    # Multiplying by the scale, rather than dividing by 1 - p, rounds as PyTorch does.
    scale = 1.0 / (1.0 - p)
    return np.where(mask, a * scale, 0.0).astype(a.dtype, copy=False)


def _scale(lmbda: object, n: object) -> float:
    """Return ``lmbda / n``, the scale of both penalties' gradients."""
    return check_nonnegative(lmbda, "lmbda") / check_int(n, "n", minimum=1)


def _arrays(weights: object, in_place: bool = False) -> list[np.ndarray]:
    """Return ``weights``, one non-empty array per layer, as finite real NumPy arrays.

    ``weights`` is a list or tuple; ints become floats. With ``in_place``,
    each one must already be a floating-point NumPy array, so that changing it
    changes the network.
    """
    if not isinstance(weights, (list, tuple)):
        got = (
            "a single array; for one layer pass [w]"
            if hasattr(weights, "shape")
            else type(weights).__name__
        )
        raise TypeError(
            "weights must be a list with one NumPy array per layer "
            f"(for a PyTorch model use model_penalty or weights_of), got {got}"
        )
    if not weights:
        raise ValueError("weights must hold at least one array, got an empty list")
    for l, w in enumerate(weights):
        if hasattr(
            w, "detach"
        ):  # a tensor, which NumPy would silently detach from autograd
            raise TypeError(
                f"weights[{l}] is a PyTorch tensor; these functions take NumPy arrays "
                "(for a PyTorch model use model_penalty)"
            )
        if in_place and not (isinstance(w, np.ndarray) and w.dtype.kind == "f"):
            got = (
                f"an array of dtype {w.dtype}"
                if isinstance(w, np.ndarray)
                else type(w).__name__
            )
            raise TypeError(
                f"weights[{l}] must be a floating-point NumPy array "
                f"to be changed in place, got {got}"
            )
    return [
        as_real_array(w, f"weights[{l}]", nonempty=True) for l, w in enumerate(weights)
    ]


# --- PyTorch: the weights of a model -------------------------------------------------


def weights_of(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Return the weights of ``model`` that the penalties act on.

    These are the ``weight`` parameters of its linear layers and its
    convolution layers (``Conv1d`` to ``Conv3d`` and their transposes), in the
    order of ``model.modules()``; biases and the parameters of normalisation
    layers are left out. A model without such a layer is an error.
    """
    with needs("nnbook.regularization.weights_of"):
        from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = (
        nn.Linear,
        nn.Conv1d,
        nn.Conv2d,
        nn.Conv3d,
        nn.ConvTranspose1d,
        nn.ConvTranspose2d,
        nn.ConvTranspose3d,
    )
    weights = [
        m.weight
        for m in model.modules()
        if isinstance(m, layers) and m.weight is not None
    ]
    if not weights:
        raise ValueError(
            f"the model ({type(model).__name__}) has no linear or convolution layer "
            "whose weights could be penalised"
        )
    return weights


def param_groups(model: torch.nn.Module, **weight_options: Any) -> list[dict[str, Any]]:
    """Split ``model``'s parameters into an optimiser group of weights and the rest.

    Options such as ``weight_decay`` then apply to the weights alone, as the
    book's penalties do::

        optimizer = torch.optim.SGD(param_groups(model, weight_decay=lmbda / n), lr=eta)

    Returns ``[{"params": weights, **weight_options}, {"params": others}]``,
    without the second group when the model has only weights.
    """
    weights = weights_of(model)
    chosen = {id(w) for w in weights}
    others = [p for p in model.parameters() if id(p) not in chosen]
    return [{"params": weights, **weight_options}] + (
        [{"params": others}] if others else []
    )


def model_penalty(
    model: torch.nn.Module, lmbda: float, n: int, kind: str = "l2"
) -> torch.Tensor:
    """Return the penalty named ``kind`` on the weights of a PyTorch model.

    The weights are those :func:`weights_of` finds. The result is a 0-d tensor
    that autograd can differentiate, to add to the loss; ``lmbda`` and ``n``
    are as for :func:`l1_penalty`.
    """
    weights = weights_of(model)
    scale = _scale(lmbda, n)
    if check_choice(kind, "kind", PENALTIES) == "l1":
        return scale * sum(w.abs().sum() for w in weights)
    return scale / 2 * sum(w.square().sum() for w in weights)


def penalized_loss(
    model: torch.nn.Module,
    lmbda: float,
    n: int,
    kind: str = "l2",
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Return the regularised cost ``C = C0 + penalty`` as a loss function for training.

    The result is
    ``f(output, y) = loss(output, y) + model_penalty(model, lmbda, n, kind)``,
    for example for ``nnbook.train.fit(model, ..., loss=f)`` (which then
    reports this regularised cost as the training and validation loss).
    ``loss``, the unregularised cost ``C0``, is by default the cross-entropy
    of logits, :func:`torch.nn.functional.cross_entropy`.
    """
    with needs("nnbook.regularization.penalized_loss"):
        import torch.nn.functional as F

    check_callable(loss, "loss", allow_none=True)
    model_penalty(
        model, lmbda, n, kind
    )  # a bad argument fails here, not in the first training step
    data_loss = F.cross_entropy if loss is None else loss

    def regularized(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return data_loss(output, y) + model_penalty(model, lmbda, n, kind)

    return regularized


def proximal_sgd(
    model: torch.nn.Module, lmbda: float, n: int, eta: float = 0.1
) -> torch.optim.SGD:
    """Return an SGD optimiser training ``model`` with the L1 penalty by proximal steps.

    Each ``step()`` is a plain SGD step with learning rate ``eta`` on the
    unregularised cost, followed by :func:`soft_threshold` of the weights
    (:func:`weights_of`) by ``eta * lmbda / n``; biases are not touched. Unlike
    a gradient step on the L1 cost, this sets small weights to exactly zero.

    The result is a plain :class:`torch.optim.SGD` whose weight group carries
    the key ``"l1"`` (``lmbda / n``) and which thresholds after each step with
    the group's current learning rate, so learning-rate schedulers work. Train
    with the unregularised loss, e.g. ``nnbook.train.fit(..., optimizer=...)``.
    """
    with needs("nnbook.regularization.proximal_sgd"):
        import torch

    groups = param_groups(model, l1=_scale(lmbda, n))
    optimizer = torch.optim.SGD(groups, lr=check_positive(eta, "eta"))

    def soft_threshold_weights(
        opt: torch.optim.Optimizer, args: Any, kwargs: Any
    ) -> None:
        with torch.no_grad():
            for group in opt.param_groups:
                threshold = group["lr"] * group.get("l1", 0.0)
                if threshold > 0:  # the weights' group: the biases' group has no "l1"
                    for w in group["params"]:
                        w.copy_(w.sign() * (w.abs() - threshold).clamp(min=0))

    optimizer.register_step_post_hook(soft_threshold_weights)
    return optimizer


def output_sensitivity(
    model: torch.nn.Module,
    X: torch.Tensor,
    epsilon: float,
    n_draws: int = 10,
    seed: int | torch.Generator = 0,
    output: str = "probabilities",
) -> float:
    """Measure how much a classifier's output moves when its input is jiggled a little.

    Each input ``x`` gets ``n_draws`` random perturbations ``delta``, each
    entry drawn from a normal distribution with standard deviation ``epsilon``
    (> 0); the result is the mean over inputs and draws of the Euclidean
    length ``||f(x + delta) - f(x)||``.

    Parameters
    ----------
    model
        A PyTorch classifier that returns logits; it is put in evaluation mode.
    X
        A floating-point batch of inputs, one per row.
    epsilon, n_draws
        The size of the perturbations and their number per input (at most
        ten million).
    seed
        Seed of the perturbations, an int >= 0 (the same seed gives the same
        number) or a :class:`torch.Generator` to draw from.
    output
        ``"probabilities"`` (the softmax of the logits, which lie in [0, 1]
        for every model) or ``"logits"``.
    """
    with needs("nnbook.regularization.output_sensitivity"):
        import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if (
        not isinstance(X, torch.Tensor)
        or not X.is_floating_point()
        or X.ndim < 2
        or len(X) == 0
    ):
        raise TypeError(
            "X must be a non-empty floating-point tensor with one input per row"
        )
    epsilon = check_positive(epsilon, "epsilon")
    n_draws = check_count(n_draws, "n_draws", minimum=1)
    output = check_choice(output, "output", ("probabilities", "logits"))
    generator = torch_generator(seed, "seed")
    device = next(model.parameters()).device

    def f(inputs: torch.Tensor) -> torch.Tensor:
        logits = model(inputs.to(device)).cpu()
        return logits.softmax(dim=1) if output == "probabilities" else logits

    model.eval()
    with torch.no_grad():
        clean = f(X)
        total = 0.0
        for _ in range(n_draws):
            noise = epsilon * torch.randn(X.shape, generator=generator, dtype=X.dtype)
            total += (f(X + noise) - clean).flatten(1).norm(dim=1).sum().item()
    return total / (n_draws * len(X))
