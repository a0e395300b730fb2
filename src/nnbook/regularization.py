"""L1 and L2 regularisation: penalties on the weights, their gradients, and the steps that use them.

Regularisation adds to the cost ``C0`` of the training data (the
cross-entropy, say) a term that grows with the size of the weights. The two
classic choices, written as in the lecture and in Nielsen's book:

* **L1**: ``C = C0 + (lmbda / n) * sum(|w|)``
* **L2**: ``C = C0 + (lmbda / (2 n)) * sum(w**2)``

``lmbda`` (``lambda`` is a Python keyword) is the strength of the penalty, a
hyper-parameter >= 0; ``n`` is the number of training examples; the sums run
over the **weights** of the network and not over its biases. A bias only
shifts a neuron's threshold: a large one does not make the output more
sensitive to the input, and penalising it would only push every neuron
towards firing at zero input.

The gradients follow term by term: ``(lmbda / n) * sign(w)`` for L1 (with
``sign(0) = 0``, the sub-gradient PyTorch uses too) and ``(lmbda / n) * w``
for L2.

Two ways to train with a penalty:

* **L2 is weight decay.** A gradient step on the L2 cost is
  ``w <- w - eta (dC0/dw + (lmbda / n) w) = (1 - eta lmbda / n) w - eta dC0/dw``:
  every step first shrinks the weights by a constant factor.
  :class:`torch.optim.SGD` does exactly this with ``weight_decay=lmbda / n``,
  but to every parameter of a group, biases included; :func:`param_groups`
  gives the weights their own group.
* **L1 with a proximal step.** A gradient step on the L1 cost moves every
  weight by ``eta lmbda / n`` towards zero, and usually past it: weights
  jitter around zero and almost never land on it. The proximal step takes a
  plain step on ``C0`` and then *soft-thresholds* the weights,
  ``w <- sign(w) max(|w| - eta lmbda / n, 0)`` (:func:`soft_threshold`), which
  sets every weight closer to zero than the threshold to exactly zero
  (:func:`l1_proximal_step`, :func:`proximal_sgd`).

What the functions accept as ``weights``:

* a :class:`torch.nn.Module`: the ``weight`` of each linear and convolution
  layer in it (:func:`weights_of`);
* an object with a ``weights`` list, such as :class:`nnbook.network.Network`;
* a list of NumPy arrays, or a list of PyTorch tensors, one per layer.

NumPy in, NumPy out: penalties are floats and gradients NumPy arrays. With
PyTorch tensors the penalty is a tensor that autograd can differentiate, so
it can be added to a loss. This module imports PyTorch only when it is given
PyTorch objects or asked for them: the from-scratch NumPy network can use it
without loading PyTorch.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch is imported only when torch objects are used
    import torch

__all__ = [
    "PENALTIES",
    "l1_penalty",
    "l1_penalty_grad",
    "l1_proximal_step",
    "l2_penalty",
    "l2_penalty_grad",
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

#: The penalties, by name. ``"l1"`` is ``(lmbda / n) sum |w|``, ``"l2"`` is
#: ``(lmbda / (2 n)) sum w**2``.
PENALTIES = ("l1", "l2")

# --- checking the inputs ---------------------------------------------------------


def _torch_loaded() -> Any:
    """Return the torch module if it has been imported, else None (never import it)."""
    return sys.modules.get("torch")


def _is_tensor(x: object) -> bool:
    torch = _torch_loaded()
    return torch is not None and isinstance(x, torch.Tensor)


def _is_module(x: object) -> bool:
    torch = _torch_loaded()
    return torch is not None and isinstance(x, torch.nn.Module)


def _check_lmbda(lmbda: object) -> float:
    """Return the penalty strength as a float; it must be a finite number >= 0."""
    if isinstance(lmbda, bool) or not isinstance(lmbda, (int, float, np.integer, np.floating)):
        raise TypeError(f"lmbda must be a number (the strength of the penalty), got {type(lmbda).__name__}")
    if not math.isfinite(lmbda) or lmbda < 0:
        raise ValueError(
            f"lmbda must be a finite number >= 0 (the strength of the penalty; 0 means none), got {lmbda!r}"
        )
    return float(lmbda)


def _check_n(n: object) -> int:
    """Return the number of training examples; it must be a positive integer."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be the number of training examples, an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be the number of training examples, a positive integer, got {n}")
    return int(n)


def _check_nonnegative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in PENALTIES:
        raise ValueError(f"kind must be one of {', '.join(map(repr, PENALTIES))}, got {kind!r}")
    return kind


def _weight_list(weights: Any, in_place: bool = False) -> tuple[list[Any], bool]:
    """Return the weight arrays of ``weights`` and whether they are torch tensors.

    NumPy arrays of integers (and nested lists) become float64 arrays;
    floating-point arrays and tensors are returned as they are, not copied.
    With ``in_place``, every NumPy entry must already be a floating-point
    array, so that changing it changes the network.
    """
    if _is_module(weights):
        return weights_of(weights), True
    if isinstance(weights, np.ndarray) or _is_tensor(weights):
        raise TypeError(
            "weights must be a list with one array per layer, a network or a PyTorch model, "
            "got a single array; for one layer pass [w]"
        )
    if not isinstance(weights, (list, tuple)) and isinstance(getattr(weights, "weights", None), (list, tuple)):
        weights = weights.weights  # a from-scratch network
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise TypeError(
            "weights must be a list with one array per layer, a network or a PyTorch model, "
            f"got {type(weights).__name__}"
        )
    arrays = list(weights)
    if not arrays:
        raise ValueError("weights must hold at least one array, got an empty list")
    is_tensor = [_is_tensor(w) for w in arrays]
    if any(is_tensor) and not all(is_tensor):
        raise TypeError("weights must be all NumPy arrays or all PyTorch tensors, got a mix of both")
    if all(is_tensor):
        for l, w in enumerate(arrays):
            if not w.is_floating_point():
                raise TypeError(f"weights[{l}] must be a floating-point tensor, got dtype {w.dtype}")
            if bool(w.detach().isnan().any()):
                raise ValueError(f"weights[{l}] contains NaN")
        return arrays, True
    result = []
    for l, w in enumerate(arrays):
        if in_place and not (isinstance(w, np.ndarray) and w.dtype.kind == "f"):
            raise TypeError(
                f"weights[{l}] must be a floating-point NumPy array to be changed in place, got "
                + (f"an array of dtype {w.dtype}" if isinstance(w, np.ndarray) else type(w).__name__)
            )
        array = np.asarray(w)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"weights[{l}] must hold real numbers, got dtype {array.dtype}")
        if array.dtype.kind != "f":
            array = array.astype(np.float64)
        if np.isnan(array).any():
            raise ValueError(f"weights[{l}] contains NaN")
        result.append(array)
    return result, False


# --- the weights of a PyTorch model ------------------------------------------------


def weights_of(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Return the weights of ``model`` that the penalties act on.

    These are the ``weight`` parameters of its linear layers
    (:class:`torch.nn.Linear`) and convolution layers (``Conv1d``,
    ``Conv2d``, ``Conv3d`` and their transposed versions), in the order of
    ``model.modules()``. Biases, and the scales and shifts of normalisation
    layers, are left out.

    Raises
    ------
    ValueError
        If the model has no such layer.
    """
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    weights = [m.weight for m in model.modules() if isinstance(m, layers) and m.weight is not None]
    if not weights:
        raise ValueError(
            f"the model ({type(model).__name__}) has no linear or convolution layer whose weights could be penalised"
        )
    return weights


def param_groups(model: torch.nn.Module, **weight_options: Any) -> list[dict[str, Any]]:
    """Split ``model``'s parameters into an optimiser group of weights and one of the rest.

    Options such as ``weight_decay`` then apply to the weights alone, as the
    lecture's penalties do:

    >>> optimizer = torch.optim.SGD(param_groups(model, weight_decay=lmbda / n), lr=0.1)

    Parameters
    ----------
    model
        A PyTorch model.
    **weight_options
        Optimiser options for the group of weights (:func:`weights_of`); the
        other parameters (biases ...) get the optimiser's defaults.

    Returns
    -------
    list of dict
        ``[{"params": weights, **weight_options}, {"params": others}]``; the
        second group is left out when the model has only weights.
    """
    weights = weights_of(model)
    chosen = {id(w) for w in weights}
    others = [p for p in model.parameters() if id(p) not in chosen]
    groups: list[dict[str, Any]] = [{"params": weights, **weight_options}]
    if others:
        groups.append({"params": others})
    return groups


# --- penalties and gradients ---------------------------------------------------------


def l1_penalty(weights: Any, lmbda: float, n: int) -> Any:
    """Return the L1 penalty ``(lmbda / n) * sum(|w|)`` over all weights.

    Parameters
    ----------
    weights
        A list of NumPy arrays or PyTorch tensors, a from-scratch network, or
        a PyTorch model (then the weights of its linear and convolution
        layers; biases are not penalised).
    lmbda
        The strength of the penalty, >= 0.
    n
        The number of training examples, >= 1.

    Returns
    -------
    float or torch.Tensor
        A float for NumPy weights; for PyTorch weights a 0-d tensor that
        autograd can differentiate, to add to the loss.

    Raises
    ------
    ValueError
        If ``lmbda`` is negative or not finite, ``n`` is not positive, or a
        weight is NaN.
    """
    arrays, is_torch = _weight_list(weights)
    scale = _check_lmbda(lmbda) / _check_n(n)
    if is_torch:
        return scale * sum(w.abs().sum() for w in arrays)
    return scale * float(sum(np.abs(w).sum(dtype=np.float64) for w in arrays))


def l2_penalty(weights: Any, lmbda: float, n: int) -> Any:
    """Return the L2 penalty ``(lmbda / (2 n)) * sum(w**2)`` over all weights.

    Parameters and return value as for :func:`l1_penalty`.
    """
    arrays, is_torch = _weight_list(weights)
    scale = _check_lmbda(lmbda) / (2 * _check_n(n))
    if is_torch:
        return scale * sum(w.square().sum() for w in arrays)
    return scale * float(sum(np.square(w, dtype=np.float64).sum() for w in arrays))


def l1_penalty_grad(weights: Any, lmbda: float, n: int) -> list[Any]:
    """Return the gradient of the L1 penalty: ``(lmbda / n) * sign(w)`` for each weight array.

    At ``w = 0``, where ``|w|`` has no derivative, the value is 0, the
    sub-gradient that PyTorch's autograd also uses.

    Returns
    -------
    list of numpy.ndarray or of torch.Tensor
        One array per weight array, of the same shape and dtype; tensors are
        detached from the graph.
    """
    arrays, is_torch = _weight_list(weights)
    scale = _check_lmbda(lmbda) / _check_n(n)
    if is_torch:
        return [scale * w.detach().sign() for w in arrays]
    return [(scale * np.sign(w)).astype(w.dtype, copy=False) for w in arrays]


def l2_penalty_grad(weights: Any, lmbda: float, n: int) -> list[Any]:
    """Return the gradient of the L2 penalty: ``(lmbda / n) * w`` for each weight array.

    Returns
    -------
    list of numpy.ndarray or of torch.Tensor
        As for :func:`l1_penalty_grad`.
    """
    arrays, is_torch = _weight_list(weights)
    scale = _check_lmbda(lmbda) / _check_n(n)
    if is_torch:
        return [scale * w.detach() for w in arrays]
    return [(scale * w).astype(w.dtype, copy=False) for w in arrays]


def penalty(weights: Any, lmbda: float, n: int, kind: str = "l2") -> Any:
    """Return the penalty named ``kind`` (``"l1"`` or ``"l2"``); see :func:`l1_penalty`."""
    return (l1_penalty if _check_kind(kind) == "l1" else l2_penalty)(weights, lmbda, n)


def penalty_grad(weights: Any, lmbda: float, n: int, kind: str = "l2") -> list[Any]:
    """Return the gradient of the penalty named ``kind``; see :func:`l1_penalty_grad`."""
    return (l1_penalty_grad if _check_kind(kind) == "l1" else l2_penalty_grad)(weights, lmbda, n)


def penalized_loss(
    model: torch.nn.Module,
    lmbda: float,
    n: int,
    kind: str = "l2",
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Return the regularised cost ``C = C0 + penalty`` as a loss function for training.

    Parameters
    ----------
    model
        The PyTorch model whose weights are penalised.
    lmbda, n, kind
        As for :func:`penalty`.
    loss
        The unregularised cost ``C0(output, y)``; default: cross-entropy on
        logits, :func:`torch.nn.functional.cross_entropy`.

    Returns
    -------
    callable
        ``f(output, y) = loss(output, y) + penalty(model, lmbda, n, kind)``,
        for example for ``nnbook.train.fit(model, ..., loss=f)``. Note that
        ``fit`` then reports this regularised cost as the training and the
        validation loss.
    """
    import torch.nn.functional as F

    _check_lmbda(lmbda)
    _check_n(n)
    _check_kind(kind)
    weights_of(model)  # fail now, not in the first training step
    data_loss = loss if loss is not None else F.cross_entropy

    def regularized(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return data_loss(output, y) + penalty(model, lmbda, n, kind)

    return regularized


# --- the proximal step for L1 ------------------------------------------------------


def soft_threshold(w: Any, threshold: float) -> Any:
    """Return ``sign(w) * max(|w| - threshold, 0)``, element by element.

    Every entry moves ``threshold`` closer to zero, and entries that are
    already within ``threshold`` of zero become exactly zero. This is the
    *proximal operator* of ``threshold * |w|``: the ``v`` that minimises
    ``(v - w)**2 / 2 + threshold * |v|``.

    Parameters
    ----------
    w
        A NumPy array (or anything :func:`numpy.asarray` accepts) or a
        PyTorch tensor.
    threshold
        A number >= 0; in a proximal L1 step, ``eta * lmbda / n``.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        A new array of the same type, shape and (floating-point) dtype.
    """
    threshold = _check_nonnegative(threshold, "threshold")
    if _is_tensor(w):
        return w.sign() * (w.abs() - threshold).clamp(min=0)
    array = np.asarray(w)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"w must hold real numbers, got dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return (np.sign(array) * np.maximum(np.abs(array) - threshold, 0)).astype(array.dtype, copy=False)


def l1_proximal_step(weights: Any, eta: float, lmbda: float, n: int) -> None:
    """Soft-threshold every weight in place by ``eta * lmbda / n``: the L1 half of a proximal step.

    Call it right after a plain gradient step on the unregularised cost
    ``C0`` with learning rate ``eta``. The two together are one step of
    *proximal gradient descent* on ``C0 + (lmbda / n) sum |w|``: weights that
    the L1 penalty would push past zero stop at exactly zero.

    Parameters
    ----------
    weights
        A list of floating-point NumPy arrays or PyTorch tensors, a
        from-scratch network, or a PyTorch model. They are changed in place.
    eta
        The learning rate of the gradient step just taken, >= 0.
    lmbda, n
        As for :func:`l1_penalty`.
    """
    arrays, is_torch = _weight_list(weights, in_place=True)
    threshold = _check_nonnegative(eta, "eta") * _check_lmbda(lmbda) / _check_n(n)
    if is_torch:
        import torch

        with torch.no_grad():
            for w in arrays:
                w.copy_(soft_threshold(w, threshold))
        return
    for w in arrays:
        w[...] = soft_threshold(w, threshold)


def proximal_sgd(model: torch.nn.Module, lmbda: float, n: int, lr: float = 0.1) -> torch.optim.SGD:
    """Return an SGD optimiser that trains ``model`` with the L1 penalty by proximal steps.

    Each ``step()`` is a plain SGD step on the unregularised cost, followed
    by :func:`soft_threshold` of the weights (:func:`weights_of`) by
    ``lr * lmbda / n``; biases are not touched. Unlike a gradient step on the
    L1 cost, this sets small weights to exactly zero.

    Parameters
    ----------
    model
        The PyTorch model to train.
    lmbda, n
        As for :func:`l1_penalty`.
    lr
        The learning rate ``eta``, > 0.

    Returns
    -------
    torch.optim.SGD
        A plain :class:`torch.optim.SGD` whose weight group carries the key
        ``"l1"`` (= ``lmbda / n``) and which has a step post-hook that does
        the thresholding with each group's current learning rate (so
        learning-rate schedulers work). Pass it to
        ``nnbook.train.fit(..., optimizer=...)`` and train with the
        unregularised loss.
    """
    import torch

    scale = _check_lmbda(lmbda) / _check_n(n)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    optimizer = torch.optim.SGD(param_groups(model, l1=scale), lr=lr)

    def threshold_weights(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        with torch.no_grad():
            for group in opt.param_groups:
                threshold = group["lr"] * group.get("l1", 0.0)
                if threshold > 0:
                    for w in group["params"]:
                        w.copy_(soft_threshold(w, threshold))

    optimizer.register_step_post_hook(threshold_weights)
    return optimizer


# --- measuring what the penalties do ----------------------------------------------------


def sparsity(weights: Any, atol: float = 0.0) -> float:
    """Return the fraction of weights whose size is at most ``atol`` (default: exactly zero).

    ``weights`` is anything :func:`l1_penalty` accepts; biases of a PyTorch
    model are not counted.
    """
    arrays, is_torch = _weight_list(weights)
    atol = _check_nonnegative(atol, "atol")
    if is_torch:
        small = sum(int((w.detach().abs() <= atol).sum()) for w in arrays)
        total = sum(w.numel() for w in arrays)
    else:
        small = sum(int(np.count_nonzero(np.abs(w) <= atol)) for w in arrays)
        total = sum(w.size for w in arrays)
    return small / total if total else math.nan


def output_sensitivity(
    model: torch.nn.Module,
    X: torch.Tensor,
    epsilon: float,
    n_draws: int = 10,
    seed: int = 0,
    output: str = "probabilities",
) -> float:
    """Measure how much a classifier's output moves when its input is jiggled a little.

    Each input ``x`` gets ``n_draws`` random perturbations ``delta``, every
    entry drawn from a normal distribution with standard deviation
    ``epsilon``; the result is the mean over inputs and draws of the
    Euclidean length ``||f(x + delta) - f(x)||``.

    Parameters
    ----------
    model
        A PyTorch classifier that returns logits. It is put in evaluation
        mode.
    X
        A batch of inputs in the shape the model takes.
    epsilon
        The size of the perturbations, > 0.
    n_draws
        Perturbations per input, >= 1.
    seed
        Seed of the perturbations; the same seed gives the same number.
    output
        ``"probabilities"`` (the default: the softmax of the logits, which
        lie in [0, 1] for every model) or ``"logits"``.

    Returns
    -------
    float
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(X, torch.Tensor) or not X.is_floating_point() or X.ndim < 2 or len(X) == 0:
        raise TypeError("X must be a non-empty floating-point tensor with one input per row")
    epsilon = _check_nonnegative(epsilon, "epsilon")
    if epsilon == 0:
        raise ValueError("epsilon must be positive, got 0")
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    if output not in ("probabilities", "logits"):
        raise ValueError(f"output must be 'probabilities' or 'logits', got {output!r}")
    generator = torch.Generator().manual_seed(seed)
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


# --- L2 on a linear model: ridge regression --------------------------------------------


def ridge(X: Any, y: Any, lmbda: float, rcond: float | None = None) -> np.ndarray:
    """Fit a linear model by least squares with the L2 penalty (ridge regression).

    Minimises the lecture's quadratic cost with the L2 penalty on every
    coefficient, ``C(w) = sum((y - X w)**2) / (2 n) + lmbda * sum(w**2) / (2 n)``,
    whose minimiser ``w = (X^T X + lmbda I)^(-1) X^T y`` does not depend on
    ``n``. It is computed from the singular value decomposition
    ``X = U S V^T`` as ``V diag(s / (s^2 + lmbda)) U^T y``, which works for
    any shape of ``X``. As ``lmbda`` goes to 0 the solution tends to the
    minimum-norm least-squares solution ``X^+ y``
    (:func:`nnbook.splines.fit_min_norm`), which ``lmbda = 0`` returns.

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
        count as zero; by default ``machine epsilon * max(n, p)``.

    Returns
    -------
    numpy.ndarray
        The coefficients, shape ``(p,)``.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    for name, array in (("X", X), ("y", y)):
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    X, y = X.astype(np.float64), y.astype(np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty matrix of shape (n, p), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X of shape {X.shape}, got shape {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must not contain NaN or infinite values")
    lmbda = _check_lmbda(lmbda)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if lmbda > 0:
        factor = s / (s**2 + lmbda)
    else:
        if rcond is None:
            rcond = np.finfo(float).eps * max(X.shape)
        keep = s > rcond * s[0] if s.size else s > 0
        factor = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    return Vt.T @ (factor * (U.T @ y))
