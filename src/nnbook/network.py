"""A feed-forward network from scratch, in NumPy.

A :class:`Network` is a stack of fully connected layers. Layer ``l`` takes
the activations ``A`` of the layer before it, computes the weighted inputs
``Z = A W + b`` and applies its activation function ``f``. The names follow
Nielsen's *Neural Networks and Deep Learning* (``sizes``, ``weights``,
``biases``, ``delta``, ``nabla_w``, ``nabla_b``), with one difference: a
batch holds **one example per row**. So ``X`` has shape ``(m, sizes[0])``,
``weights[l]`` shape ``(sizes[l], sizes[l+1])`` (inputs by outputs) and
``biases[l]`` shape ``(sizes[l+1],)``. PyTorch's :class:`torch.nn.Linear`
stores its weight the other way round: transpose it to copy a layer.

The loss, computed by :mod:`nnbook.losses`, is the mean over the batch of
``"cross_entropy"`` (for a sigmoid or softmax output layer) or
``"quadratic"``, ``1/2 ||a - y||^2``. Targets are integer class labels or an
array of shape ``(m, sizes[-1])`` for a batch of ``m`` examples.
:meth:`Network.backprop` computes the
gradient by the four equations of back-propagation, with ``Delta^l`` the
matrix whose rows are the examples' errors ``dC_x/dz^l``:

* (BP1) ``Delta^L = (A^L - Y) * f'(Z^L)``, or ``A^L - Y`` for the
  cross-entropy with its matching output layer;
* (BP2) ``Delta^l = (Delta^{l+1} W^{l+1}^T) * f'(Z^l)``;
* (BP3) ``dC/db^l`` is the mean of the rows of ``Delta^l``;
* (BP4) ``dC/dW^l = A^{l-1}^T Delta^l / m``.

Training may add a penalty on the weights (never the biases) from
:mod:`nnbook.regularization`: ``lmbda/(2n) sum w^2`` (``"l2"``) or ``lmbda/n sum |w|``
(``"l1"``), ``n`` the training set's size.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from nnbook import losses, regularization
from nnbook._checks import (
    Seed,
    as_generator,
    as_real_array,
    check_bool,
    check_choice,
    check_count,
    check_float_dtype,
    check_int,
    check_nonnegative,
    check_positive,
    check_sizes,
    to_numpy,
)
from nnbook.activations import SOFTMAX, Activation, get_activation
from nnbook.history import History, has_diverged
from nnbook.init import SCHEMES, std
from nnbook.optim import DivergenceWarning, minibatch_indices

__all__ = ["INITS", "LOSSES", "ForwardPass", "Gradients", "Network", "collapse_linear"]

#: The ways to draw the initial weights (see :class:`Network` and :mod:`nnbook.init`).
INITS = SCHEMES
#: The losses a network can be trained with.
LOSSES = ("cross_entropy", "quadratic")
_TRANSPOSE_HINT = "weights are (n_in, n_out): for a torch.nn.Linear pass weight.T"


class Gradients(NamedTuple):
    """The partial derivatives ``(nabla_w, nabla_b)``, laid out like the parameters."""

    nabla_w: list[np.ndarray]
    nabla_b: list[np.ndarray]

    def flat(self) -> np.ndarray:
        """Return all the partial derivatives in one vector.

        Layer by layer, each layer's weights before its biases.
        """
        return np.concatenate(
            [g.ravel() for w, b in zip(self.nabla_w, self.nabla_b) for g in (w, b)]
        )


class ForwardPass(NamedTuple):
    """The weighted inputs ``zs`` of layers 1 to L, ``activations`` of layers 0 to L."""

    zs: list[np.ndarray]
    activations: list[np.ndarray]


class Network:
    """A fully connected feed-forward network (a multilayer perceptron).

    Parameters
    ----------
    sizes
        The number of neurons in each layer, input layer first: ``(2, 3, 1)``
        has 2 inputs, a hidden layer of 3 neurons and 1 output.
    activation
        The hidden layers' activation: a name such as ``"sigmoid"`` (the
        default), ``"relu"`` or ``"identity"``, or an
        :class:`~nnbook.activations.Activation`.
    output_activation
        The output layer's, which may also be ``"softmax"``; ``None`` means
        ``activation``.
    loss
        ``"cross_entropy"`` or ``"quadratic"``; ``None`` picks the cross-entropy
        for a sigmoid or softmax output layer, else the quadratic loss.
    seed
        An int or a Generator: fixes the random initial parameters.
    init
        How to draw the weights: from a normal distribution with the standard
        deviation of :func:`nnbook.init.std`: ``"scaled"`` (the default),
        ``1/sqrt(n_in)``, so that a weighted input does not grow with the
        number of inputs; ``"standard"``, 1; ``"xavier"``, ``sqrt(2/(n_in + n_out))``;
        ``"he"``, ``sqrt(2/n_in)``. Biases are standard normal.
    dtype
        ``float64`` (the default) or ``float32``.

    Examples
    --------
    >>> Network([2, 3, 1], seed=0).forward(np.zeros((5, 2))).shape
    (5, 1)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation = "sigmoid",
        *,
        output_activation: str | Activation | None = None,
        loss: str | None = None,
        seed: Seed = 0,
        init: str = "scaled",
        dtype: Any = np.float64,
    ) -> None:
        sizes = check_sizes(sizes, "sizes", minimum=2)
        check_choice(init, "init", INITS)
        rng = as_generator(seed)
        dtype = check_float_dtype(dtype)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            sigma = std(init, n_in, n_out)
            weights.append((sigma * rng.standard_normal((n_in, n_out))).astype(dtype))
            biases.append(rng.standard_normal(n_out).astype(dtype))
        self._set(weights, biases, activation, output_activation, loss)

    @classmethod
    def from_parameters(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activation: str | Activation = "sigmoid",
        *,
        output_activation: str | Activation | None = None,
        loss: str | None = None,
        dtype: Any = None,
    ) -> Network:
        """Build a network holding copies of given weights and biases.

        They may be arrays, lists or tensors. ``weights[l]`` has shape
        ``(n_l, n_{l+1})`` (for a :class:`torch.nn.Linear` pass
        ``linear.weight.T``), ``biases[l]`` shape ``(n_{l+1},)``. ``dtype=None``
        keeps float32 if every parameter is float32, else float64.
        """
        for name, params in (("weights", weights), ("biases", biases)):
            if isinstance(params, np.ndarray) or not isinstance(params, Sequence):
                raise TypeError(f"{name} must be a list with one array per layer")
        if not weights or len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must have one entry per layer (at least one), "
                f"got {len(weights)} weight matrices and {len(biases)} bias vectors"
            )
        weights = [
            as_real_array(w, f"weights[{l}]", ndim=2) for l, w in enumerate(weights)
        ]
        biases = [as_real_array(b, f"biases[{l}]") for l, b in enumerate(biases)]
        for l, (w, b) in enumerate(zip(weights, biases)):
            if l > 0 and w.shape[0] != weights[l - 1].shape[1]:
                raise ValueError(
                    f"weights[{l}] must have {weights[l - 1].shape[1]} rows "
                    f"to follow weights[{l - 1}] of shape {weights[l - 1].shape}, "
                    f"got shape {w.shape}; {_TRANSPOSE_HINT}"
                )
            if b.shape != (w.shape[1],):
                hint = (
                    f"; is weights[{l}] transposed? {_TRANSPOSE_HINT}"
                    if b.shape == (w.shape[0],)
                    else ""
                )
                raise ValueError(
                    f"biases[{l}] must have shape ({w.shape[1]},) "
                    f"to match weights[{l}] of shape {w.shape}, "
                    f"got shape {b.shape}{hint}"
                )
        if dtype is None:
            dtype = (
                np.float32
                if all(p.dtype == np.float32 for p in weights + biases)
                else np.float64
            )
        dtype = check_float_dtype(dtype)
        network = cls.__new__(cls)
        network._set(
            [w.astype(dtype) for w in weights],
            [b.astype(dtype) for b in biases],
            activation,
            output_activation,
            loss,
        )
        return network

    def _set(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        activation: str | Activation,
        output_activation: str | Activation | None,
        loss: str | None,
    ) -> None:
        """Store checked parameters, the layers' activations and the loss."""
        self.weights, self.biases = weights, biases
        self.sizes = (weights[0].shape[0], *(w.shape[1] for w in weights))
        self.num_layers = len(self.sizes)
        if activation in ("softmax", SOFTMAX):
            raise ValueError(
                "the softmax can only be the output layer's activation: "
                "pass output_activation='softmax'"
            )
        self._activation = get_activation(activation)
        self._output_activation = (
            self.activation
            if output_activation is None
            else SOFTMAX
            if output_activation in ("softmax", SOFTMAX)
            else get_activation(output_activation)
        )
        self.layer_activations = (
            *[self.activation] * (len(weights) - 1),
            self.output_activation,
        )
        cross_entropy_fits = self.output_activation.name in ("sigmoid", "softmax")
        if loss is None:
            loss = "cross_entropy" if cross_entropy_fits else "quadratic"
        self.loss_name = check_choice(loss, "loss", LOSSES)
        if loss == "cross_entropy" and not cross_entropy_fits:
            raise ValueError(
                "loss='cross_entropy' needs outputs in (0, 1): "
                "a 'sigmoid' or 'softmax' output layer, "
                f"got {self.output_activation.name!r}; "
                "use loss='quadratic' or change output_activation"
            )

    activation = property(
        lambda self: self._activation, doc="The hidden layers' activation (read-only)."
    )
    output_activation = property(
        lambda self: self._output_activation, doc="The output layer's (read-only)."
    )

    @property
    def dtype(self) -> np.dtype:
        """The floating-point type of the parameters and the computation."""
        return self.weights[0].dtype

    @property
    def num_parameters(self) -> int:
        """The number of weights and biases in all layers."""
        return sum(p.size for p in self.weights + self.biases)

    def __repr__(self) -> str:
        out = (
            f", output_activation={self.output_activation.name!r}"
            if self.output_activation != self.activation
            else ""
        )
        return (
            f"Network(sizes={self.sizes}, activation={self.activation.name!r}{out}, "
            f"loss={self.loss_name!r}, dtype={self.dtype})"
        )

    def forward_layers(self, X: Any, *, check: bool = True) -> ForwardPass:
        """Run a batch ``X`` through the network, keeping every layer's values.

        ``X`` has shape ``(m, sizes[0])``. ``check=False`` skips the check of
        ``X``, for a caller that has checked it.
        """
        a = self._inputs(X) if check else X
        zs, activations = [], [a]
        for w, b, f in zip(self.weights, self.biases, self.layer_activations):
            z = a @ w + b
            a = f(z)
            zs.append(z)
            activations.append(a)
        return ForwardPass(zs, activations)

    def forward(self, X: Any) -> np.ndarray:
        """Return the output, shape ``(m, sizes[-1])``, for a batch ``X``.

        ``X`` has shape ``(m, sizes[0])``.
        """
        return self.forward_layers(X).activations[-1]

    __call__ = forward

    def backprop(self, X: Any, y: Any, *, check: bool = True) -> Gradients:
        """Return the gradient of the loss on a batch by back-propagation (BP1-BP4).

        ``X`` has shape ``(m, sizes[0])``; ``y`` holds integer class labels of
        shape ``(m,)`` or targets of shape ``(m, sizes[-1])``. The result,
        ``(nabla_w, nabla_b)``, holds the partial derivatives of the loss
        averaged over the batch, in the shapes of ``weights`` and ``biases``.
        ``check=False`` skips the checks of ``X`` and ``y``: :meth:`train_sgd`
        checks the whole training set once, not every batch again.
        """
        zs, activations = self.forward_layers(X, check=check)
        Y = self._targets(y, len(X)) if check else y
        z, a = zs[-1], activations[-1]
        if self.loss_name == "cross_entropy":
            delta = a - Y  # (BP1): f'(z) cancels the cross-entropy's 1 / (a (1 - a))
        elif self.output_activation is SOFTMAX:
            g = a - Y  # (BP1) through the softmax's Jacobian, diag(a) - a a^T
            delta = a * (g - np.sum(g * a, axis=1, keepdims=True))
        else:
            delta = (a - Y) * self.output_activation.derivative_from_output(
                z, a
            )  # (BP1)
        # Each row of delta divided by m, so that the sums over the rows in
        # BP3 and BP4 are the means over the batch.
        delta = delta / len(Y)
        nabla_w, nabla_b = [None] * len(self.weights), [None] * len(self.weights)
        for l in reversed(range(len(self.weights))):
            nabla_b[l] = delta.sum(axis=0)  # (BP3)
            nabla_w[l] = activations[l].T @ delta  # (BP4)
            if l > 0:  # (BP2): the error of the layer before
                f = self.layer_activations[l - 1]
                delta = (delta @ self.weights[l].T) * f.derivative_from_output(
                    zs[l - 1], activations[l]
                )
        return Gradients(nabla_w, nabla_b)

    def sgd_step(
        self,
        X: Any,
        y: Any,
        eta: float,
        *,
        lmbda: float = 0.0,
        n: int | None = None,
        penalty: str = "l2",
        check: bool = True,
    ) -> Gradients:
        """Take one gradient-descent step on a batch, ``w <- w - eta dC/dw``.

        Returns the gradient used. With ``lmbda > 0`` the weights' gradient
        includes the penalty's, for a training set of ``n`` examples (by default
        the batch's size). ``check=False`` skips the checks of the arguments, as
        in :meth:`backprop`.
        """
        if check:
            eta = check_positive(eta, "eta")
            lmbda, n, penalty = _penalty_args(
                lmbda, len(X) if n is None else n, penalty
            )
        nabla_w, nabla_b = self.backprop(X, y, check=check)
        if lmbda:
            nabla_w = [
                g + p
                for g, p in zip(
                    nabla_w,
                    regularization.penalty_grad(self.weights, lmbda, n, penalty),
                )
            ]
        for w, b, gw, gb in zip(self.weights, self.biases, nabla_w, nabla_b):
            w -= eta * gw  # in place: these arrays are the network's parameters
            b -= eta * gb
        return Gradients(nabla_w, nabla_b)

    def train_sgd(
        self,
        X: Any,
        y: Any,
        epochs: int,
        batch_size: int,
        eta: float,
        *,
        seed: Seed = 0,
        lmbda: float = 0.0,
        penalty: str = "l2",
        validation_data: tuple[Any, Any] | None = None,
        monitor: bool = True,
    ) -> History:
        """Train by mini-batch stochastic gradient descent, changing the parameters.

        Each epoch shuffles the training set, cuts it into batches of ``batch_size``
        (:func:`~nnbook.optim.minibatch_indices`) and takes one :meth:`sgd_step` per
        batch. With ``monitor`` the :class:`~nnbook.history.History` holds the loss
        (penalty included) and accuracy on the training set, and on
        ``validation_data = (X_val, y_val)``, after every epoch. Training stops with a
        :class:`~nnbook.optim.DivergenceWarning`, ``diverged=True``, when a parameter is
        no longer finite or the loss explodes: is not finite, or exceeds 100 times the
        loss before training (:func:`~nnbook.history.has_diverged`).
        """
        X = self._inputs(X)
        n = len(X)
        Y = self._targets(y, n)  # labels become one-hot rows once, not once per batch
        has_labels = monitor and _class_labels(Y) is not None
        epochs = check_count(epochs, "epochs")
        monitor = check_bool(monitor, "monitor")
        batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=n)
        eta = check_positive(eta, "eta")
        _penalty_args(lmbda, n, penalty)
        if not (
            validation_data is None
            or isinstance(validation_data, tuple)
            and len(validation_data) == 2
        ):
            raise TypeError("validation_data must be a pair (X_val, y_val)")
        if validation_data is not None:  # checked now, not after the first epoch's work
            self._targets(validation_data[1], len(self._inputs(validation_data[0])))
        rng = as_generator(seed)
        history = History()
        start = (
            self.loss(X, Y, lmbda=lmbda, n=n, penalty=penalty) if monitor else 0.0
        )  # "exploded" compares with it
        for epoch in range(1, epochs + 1):
            with np.errstate(
                all="ignore"
            ):  # a run that blows up gets one clear warning below
                for batch in minibatch_indices(n, batch_size, rng):
                    self.sgd_step(
                        X[batch],
                        Y[batch],
                        eta,
                        lmbda=lmbda,
                        n=n,
                        penalty=penalty,
                        check=False,
                    )
            finite = all(np.isfinite(p).all() for p in self.weights + self.biases)
            if finite and monitor:
                history.train_loss.append(
                    self.loss(X, Y, lmbda=lmbda, n=n, penalty=penalty)
                )
                history.train_accuracy.append(
                    self.accuracy(X, Y) if has_labels else np.nan
                )
                if validation_data is not None:
                    X_val, y_val = validation_data
                    history.val_loss.append(
                        self.loss(X_val, y_val, lmbda=lmbda, n=n, penalty=penalty)
                    )
                    history.val_accuracy.append(
                        self.accuracy(X_val, y_val) if has_labels else np.nan
                    )
            if (
                not finite or monitor and has_diverged([start, *history.train_loss])
            ):  # once per epoch, not per step
                history.diverged = True
                why = (
                    "a weight or bias is no longer finite"
                    if not finite
                    else "the loss has exploded"
                )
                warnings.warn(
                    f"training diverged in epoch {epoch}: {why}; "
                    f"try a learning rate smaller than eta = {eta:g}",
                    DivergenceWarning,
                    stacklevel=2,
                )
                break
        return history

    def loss(
        self,
        X: Any,
        y: Any,
        *,
        lmbda: float = 0.0,
        n: int | None = None,
        penalty: str = "l2",
    ) -> float:
        """Return the batch's loss, averaged over its examples, plus the weight penalty.

        The penalty is added only if ``lmbda > 0``.
        """
        zs, activations = self.forward_layers(X)
        z, a = zs[-1], activations[-1]
        Y = self._targets(y, len(z))
        if self.loss_name == "quadratic":
            value = 0.5 * losses.mse(a, Y, reduction="sum") / len(Y)
        elif self.output_activation is SOFTMAX:
            value = losses.cross_entropy(
                z, Y
            )  # from the logits z: finite however wrong the network is
        else:
            value = losses.binary_cross_entropy_with_logits(
                z, Y, reduction="sum"
            ) / len(Y)
        lmbda, n, penalty = _penalty_args(lmbda, len(Y) if n is None else n, penalty)
        return float(value) + (
            regularization.penalty(self.weights, lmbda, n, penalty) if lmbda else 0.0
        )

    def predict(self, X: Any) -> np.ndarray:
        """Return each example's class: the largest output.

        With a single output the class is 1 where the output is > 0.5, else 0.
        """
        a = self.forward(X)
        return (
            (a[:, 0] > 0.5).astype(np.int64)
            if a.shape[1] == 1
            else np.argmax(a, axis=1)
        )

    def accuracy(self, X: Any, y: Any) -> float:
        """Return the fraction of examples whose class :meth:`predict` gets right."""
        X = self._inputs(X)
        labels = _class_labels(self._targets(y, len(X)))
        if labels is None:
            raise ValueError(
                "accuracy needs class labels: "
                "integer labels of shape (n,) or one-hot rows"
            )
        return float(np.mean(self.predict(X) == labels))

    def _inputs(self, X: Any) -> np.ndarray:
        """Return ``X`` as a finite batch in the network's dtype.

        Its shape must be ``(n, sizes[0])``.
        """
        X = as_real_array(X, "X", dtype=self.dtype)
        d = self.sizes[0]
        if X.ndim != 2 or X.shape[1] != d:
            hint = (
                "; for a single example pass X.reshape(1, -1)"
                if X.shape == (d,)
                else ""
            )
            raise ValueError(
                f"X must have shape (n, {d}): one example per row, {d} input(s) each, "
                f"got shape {X.shape}{hint}"
            )
        return X

    def _targets(self, y: Any, n: int) -> np.ndarray:
        """Return the targets as an array of shape ``(n, sizes[-1])``.

        Integer labels become one-hot rows.
        """
        y = to_numpy(y)
        k = self.sizes[-1]
        if y.dtype.kind in "biu" and y.ndim == 1:
            if len(y) != n:
                raise ValueError(
                    "y must hold one label per example: "
                    f"X has {n} rows, y has {len(y)} labels"
                )
            classes = max(k, 2)
            if y.size and (y.min() < 0 or y.max() >= classes):
                raise ValueError(
                    f"y must hold class labels in 0..{classes - 1} "
                    f"for a network with {k} output(s), "
                    f"got the label {y[(y < 0) | (y >= classes)][0]}"
                )
            return (y[:, None] if k == 1 else y[:, None] == np.arange(k)).astype(
                self.dtype
            )
        y = as_real_array(y, "y", dtype=self.dtype)
        Y = y.reshape(n, 1) if y.shape == (n,) and k == 1 else y
        if Y.shape != (n, k):
            raise ValueError(
                f"y must hold integer class labels of shape ({n},) "
                f"or targets of shape ({n}, {k}), "
                f"got {y.dtype} values of shape {y.shape}"
            )
        if self.loss_name == "cross_entropy" and (Y.min() < 0 or Y.max() > 1):
            raise ValueError("targets for the cross-entropy must lie in [0, 1]")
        if (
            self.loss_name == "cross_entropy"
            and self.output_activation is SOFTMAX
            and np.abs(Y.sum(axis=1) - 1).max() > 1e-6
        ):
            raise ValueError(
                "targets for a softmax output must be probability distributions "
                "(rows summing to 1), such as one-hot rows; "
                "or pass integer class labels"
            )
        return Y.astype(self.dtype, copy=False)


def _penalty_args(lmbda: Any, n: Any, penalty: Any) -> tuple[float, int, str]:
    """Check the weight penalty's strength, training-set size and kind."""
    return (
        check_nonnegative(lmbda, "lmbda"),
        check_int(n, "n", minimum=1),
        check_choice(penalty, "penalty", regularization.PENALTIES),
    )


def _class_labels(Y: np.ndarray) -> np.ndarray | None:
    """The class labels behind targets ``Y``, or None if they are not labels.

    Labels are a 0/1 column or one-hot rows.
    """
    if not np.all((Y == 0) | (Y == 1)):
        return None
    if Y.shape[1] == 1:
        return Y[:, 0].astype(np.int64)
    return np.argmax(Y, axis=1) if np.all(Y.sum(axis=1) == 1) else None


def collapse_linear(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(W, b)``: the affine map ``X W + b`` of a network without activations.

    With the identity in every layer, ``((X W_1 + b_1) W_2 + b_2) ...``
    multiplies out to ``X W + b`` with ``W = W_1 W_2 ... W_L``: however deep,
    such a network is one linear layer. Raises ``ValueError`` if a layer has
    another activation, since then no such matrix exists.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    for l, f in enumerate(network.layer_activations, start=1):
        if f.name != "identity":
            raise ValueError(
                "collapse_linear needs the identity activation in every layer, "
                f"but layer {l} uses {f.name!r}; "
                "with a non-linear activation the network is not one matrix"
            )
    W, b = network.weights[0].copy(), network.biases[0].copy()
    for w_next, b_next in zip(network.weights[1:], network.biases[1:]):
        W, b = W @ w_next, b @ w_next + b_next
    return W, b
