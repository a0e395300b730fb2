"""A feed-forward network from scratch, in NumPy.

A :class:`Network` is a stack of fully connected layers. Layer ``l`` takes
the activations ``a`` of the layer before it, computes the weighted inputs
``z = a W + b`` and passes them through an activation function. The names
follow Nielsen's *Neural Networks and Deep Learning* (``sizes``,
``weights``, ``biases``, ``zs``, ``activations``), with one difference that
matters: everything is **batched, with one example per row**.

Shapes, for ``sizes = (n_0, n_1, ..., n_L)`` and a batch of ``n`` examples:

* the input ``X`` has shape ``(n, n_0)``;
* ``weights[l]`` has shape ``(n_l, n_{l+1})`` (inputs by outputs), so that
  ``Z = A @ W + b`` maps a batch of shape ``(n, n_l)`` to ``(n, n_{l+1})``;
* ``biases[l]`` has shape ``(n_{l+1},)`` and is added to every row.

(The weights are stored column by column, in Fortran order, which makes no
difference to their values or shapes and is a little faster to train.)

PyTorch's :class:`torch.nn.Linear` stores its weight the other way round,
``(out_features, in_features)``, and computes ``x @ weight.T + bias``: to
copy a layer between the two, transpose the weight.

The hidden layers share one activation function and the output layer may
have its own (``output_activation``); both are names from
:data:`nnbook.activations.ACTIVATIONS` or :class:`~nnbook.activations.Activation`
objects. The output layer may also be a ``"softmax"`` (:data:`SOFTMAX`),
which turns each row of weighted inputs into probabilities.

**Learning.** A network has a loss (``loss=`` when it is built), the
average over the examples of a batch of the loss ``C_x`` of each example
``x``:

* ``"cross_entropy"``, for a sigmoid or softmax output layer. With a softmax
  it is ``C_x = -ln a_k`` for the true class ``k`` (the categorical
  cross-entropy); with sigmoids it is the binary cross-entropy of every
  output neuron, added up, ``C_x = -sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]``.
  This is the default for those two output activations.
* ``"quadratic"``, for any output activation: ``C_x = 1/2 ||a - y||^2``
  (the squared error with a factor 1/2, added up over the outputs); the
  default for every other output activation.

Targets ``y`` are integer class labels, one per example, which become
one-hot vectors inside (for a network with one output, labels 0 and 1 are
the targets themselves); or an array of targets of shape
``(n, sizes[-1])``.

:meth:`Network.backprop` computes the gradient of the loss with respect to
every weight and bias by the four equations of back-propagation, in matrix
form, for a whole batch at once (one matrix product per layer and
direction). With ``Delta^l`` the matrix whose row ``x`` is the error
``delta^l = dC_x/dz^l`` of example ``x`` in layer ``l``:

* (BP1) ``Delta^L = (A^L - Y) * f'(Z^L)`` for the quadratic loss, and
  ``Delta^L = A^L - Y`` for the cross-entropy with its matching output
  layer, where the factor ``f'`` cancels;
* (BP2) ``Delta^l = (Delta^{l+1} W^{l+1}^T) * f'(Z^l)``, the error passed back
  through the weights (``*`` is the element-wise product);
* (BP3) ``dC/db^l`` is the mean of the rows of ``Delta^l``;
* (BP4) ``dC/dW^l = A^{l-1}^T Delta^l / n``.

:meth:`Network.train_sgd` trains by mini-batch stochastic gradient descent,
as :func:`nnbook.optim.minibatch_sgd` does, one :meth:`Network.sgd_step` per
batch. :func:`gradient_check` compares :meth:`Network.backprop` with central
finite differences (:func:`numerical_gradient`).

**Regularisation.** :meth:`Network.sgd_step`, :meth:`Network.train_sgd`
and :meth:`Network.loss` take ``lmbda`` (the strength ``λ``, 0 by default)
and ``penalty``, a penalty
on the weights (never the biases) scaled by ``λ/n`` with ``n`` the size of
the whole training set:

* ``"l2"``: ``λ/(2n) sum w^2``, gradient ``(λ/n) w`` (weight decay);
* ``"l1"``: ``λ/n sum |w|``, gradient ``(λ/n) sign(w)``;
* or a penalty written elsewhere, in one of two forms: a function
  ``penalty(weights, lmbda, n)`` that takes the list of weight matrices and
  returns ``(value, gradients)``, the penalty (a number) and its gradient
  with respect to each weight matrix (a list of arrays of the same shapes);
  or a pair of functions ``(value, gradients)`` with that signature, each
  returning one of the two, such as ``(l2_penalty, l2_penalty_grad)`` of
  ``nnbook.regularization``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from nnbook import regularization
from nnbook._checks import Seed, as_generator, check_int, check_real
from nnbook.activations import Activation, get_activation
from nnbook.optim import DivergenceWarning, minibatch_indices

__all__ = [
    "LOSSES",
    "PENALTIES",
    "SOFTMAX",
    "ForwardPass",
    "Gradients",
    "Network",
    "TrainingHistory",
    "collapse_linear",
    "gradient_check",
    "numerical_gradient",
]


#: The floating-point types a network computes in.
_DTYPES = (np.float32, np.float64)

_TRANSPOSE_HINT = "weights are (n_in, n_out): for a torch.nn.Linear pass weight.T"

#: The ways to draw the initial weights (see :class:`Network`).
INITS = ("scaled", "standard")

#: The losses a network can be trained with (see the module's description).
LOSSES = ("cross_entropy", "quadratic")

#: The output activations that the cross-entropy needs (outputs in (0, 1)).
_CROSS_ENTROPY_OUTPUTS = ("sigmoid", "softmax")

#: A penalty on the weights: ``penalty(weights, lmbda, n)`` returns the
#: penalty's value and its gradient with respect to each weight matrix.
WeightPenalty = Callable[[Sequence[np.ndarray], float, int], tuple[float, list[np.ndarray]]]

#: A penalty as two functions of ``(weights, lmbda, n)``: its value, and its
#: gradient with respect to each weight matrix.
PenaltyPair = tuple[
    Callable[[Sequence[np.ndarray], float, int], Any], Callable[[Sequence[np.ndarray], float, int], Any]
]


def _softmax(z: Any) -> np.ndarray:
    """The softmax of each row of ``z``, computed without overflow (float32 stays float32)."""
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    # Subtracting the row's largest score changes nothing but keeps exp <= 1.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_derivative(z: Any) -> np.ndarray:
    raise TypeError(
        "the softmax has no element-wise derivative: each of its outputs depends on every "
        "weighted input of the row; Network.backprop multiplies by its Jacobian instead"
    )


#: The softmax as an output activation, ``a_j = exp(z_j) / sum_k exp(z_k)``
#: along each row. It is not element-wise, so its ``derivative`` raises a
#: TypeError; :meth:`Network.backprop` handles it as a whole.
SOFTMAX = Activation("softmax", _softmax, _softmax_derivative, r"$e^{z_j} / \sum_k e^{z_k}$")


def _named_penalty(kind: str) -> WeightPenalty:
    """The penalty ``kind`` of :mod:`nnbook.regularization`, as ``(value, gradients)``."""

    def value_and_gradients(weights: Sequence[np.ndarray], lmbda: float, n: int) -> tuple[float, list[np.ndarray]]:
        return (regularization.penalty(list(weights), lmbda, n, kind),
                regularization.penalty_grad(list(weights), lmbda, n, kind))

    value_and_gradients.__name__ = f"{kind}_penalty"
    return value_and_gradients


#: The built-in penalties on the weights, by name (see the module's description).
#: L2 is ``λ/(2n) Σ w²`` with gradient ``(λ/n) w``; L1 is ``λ/n Σ |w|`` with
#: gradient ``(λ/n) sign(w)``: one implementation, in nnbook.regularization.
PENALTIES: dict[str, WeightPenalty] = {"l2": _named_penalty("l2"), "l1": _named_penalty("l1")}


class Gradients(NamedTuple):
    """The gradient of the loss with respect to every weight and bias.

    A named tuple ``(nabla_w, nabla_b)``, laid out like the network's
    ``weights`` and ``biases``, so ``nabla_w, nabla_b = network.backprop(X, y)``
    unpacks it.
    """

    #: ``nabla_w[l]`` has the shape of ``weights[l]``.
    nabla_w: list[np.ndarray]
    #: ``nabla_b[l]`` has the shape of ``biases[l]``.
    nabla_b: list[np.ndarray]

    def flat(self) -> np.ndarray:
        """Return all the partial derivatives in one vector, layer by layer, weights before biases."""
        return np.concatenate([part.ravel() for w, b in zip(self.nabla_w, self.nabla_b) for part in (w, b)])


@dataclass
class TrainingHistory:
    """Loss and accuracy after each epoch of :meth:`Network.train_sgd`.

    The losses include the weight penalty, if any. Each figure is measured on
    the whole set after the epoch. Accuracies are fractions in [0, 1], ``nan``
    when the targets are not class labels; the validation lists are empty
    without validation data. :func:`nnbook.plot.learning_curves` draws it.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    #: True if training stopped because a parameter stopped being finite.
    diverged: bool = False

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self.train_loss)

    def as_dict(self) -> dict[str, Any]:
        """The history as a dictionary of lists."""
        return asdict(self)


class ForwardPass(NamedTuple):
    """Everything a forward pass computes, layer by layer.

    A named tuple ``(zs, activations)``, so ``zs, activations =
    network.forward_layers(X)`` unpacks it.
    """

    #: The weighted inputs ``z = a W + b`` of layers 1 to L, one array of
    #: shape ``(n, sizes[l+1])`` per layer.
    zs: list[np.ndarray]
    #: The input ``X`` followed by the output of every layer: ``L + 1``
    #: arrays, ``activations[0]`` is ``X`` and ``activations[-1]`` the
    #: network's output.
    activations: list[np.ndarray]


def _check_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype, which must be float32 or float64."""
    try:
        result = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from error
    if result.type not in _DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {result}")
    return result


def _check_sizes(sizes: object) -> tuple[int, ...]:
    """Return the layer sizes as a tuple of positive ints, at least two of them."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"sizes must be a sequence of layer sizes such as (2, 3, 1), got {type(sizes).__name__}"
        )
    result = []
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"every layer size must be a positive integer, got sizes={list(sizes)!r}")
        result.append(int(size))
    if len(result) < 2:
        raise ValueError(
            f"sizes must list at least two layer sizes (inputs and outputs), got {list(sizes)!r}"
        )
    return tuple(result)


def _check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a positive finite number."""
    value = check_real(value, name)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def _resolve_activation(activation: str | Activation, output: bool) -> Activation:
    """Return the Activation for ``activation``; the softmax is allowed for the output layer only."""
    if isinstance(activation, str) and activation.strip().lower() == "softmax":
        activation = SOFTMAX
    result = get_activation(activation)
    if result.name == "softmax" and not output:
        raise ValueError(
            "the softmax is not element-wise and can only be the output layer's activation: "
            "pass output_activation='softmax'"
        )
    return result


def _real_array(value: object, name: str) -> np.ndarray:
    """Return ``value`` as an array of real numbers, or raise a TypeError."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


class Network:
    """A fully connected feed-forward network (a multilayer perceptron).

    Parameters
    ----------
    sizes
        The number of neurons in each layer, input layer first: ``(2, 3, 1)``
        is a network with 2 inputs, one hidden layer of 3 neurons and 1
        output.
    activation
        The activation function of the hidden layers: a name such as
        ``"sigmoid"`` (the default), ``"relu"`` or ``"identity"``, or an
        :class:`~nnbook.activations.Activation`.
    output_activation
        The activation function of the output layer; ``None`` (the default)
        means the same as ``activation``. Besides the names of ``activation``
        it may be ``"softmax"``.
    loss
        ``"cross_entropy"`` (for a sigmoid or softmax output layer) or
        ``"quadratic"``; see the module's description. ``None`` (the default)
        picks the cross-entropy for a sigmoid or softmax output layer and the
        quadratic loss otherwise.
    seed
        Fixes the random initial weights and biases: an ``int`` or a
        :class:`numpy.random.Generator`.
    init
        How to draw the initial parameters. ``"scaled"`` (the default):
        weights from a normal distribution with mean 0 and standard deviation
        ``1/sqrt(n_in)``, so that a neuron's weighted input does not grow with
        the number of its inputs; biases standard normal. ``"standard"``:
        weights and biases all standard normal.
    dtype
        ``float64`` (the default) or ``float32``. The parameters are stored,
        and inputs are converted to and computed in, this type.

    Attributes
    ----------
    sizes : tuple[int, ...]
        The layer sizes.
    weights : list[numpy.ndarray]
        ``weights[l]`` has shape ``(sizes[l], sizes[l+1])``.
    biases : list[numpy.ndarray]
        ``biases[l]`` has shape ``(sizes[l+1],)``.
    loss_name : str
        The loss that :meth:`loss`, :meth:`backprop` and the training
        methods use.

    Examples
    --------
    >>> net = Network([2, 3, 1], activation="sigmoid", seed=0)
    >>> net.forward(np.zeros((5, 2))).shape
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
        sizes = _check_sizes(sizes)
        dtype = _check_dtype(dtype)
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}, got {init!r}")
        rng = as_generator(seed)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            scale = 1.0 / np.sqrt(n_in) if init == "scaled" else 1.0
            weights.append((scale * rng.standard_normal((n_in, n_out))).astype(dtype))
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
        """Build a network from given weights and biases.

        Parameters
        ----------
        weights
            One array per layer; ``weights[l]`` of shape ``(n_l, n_{l+1})``,
            inputs by outputs. The layer sizes are read from these shapes.
            NumPy arrays, nested lists and PyTorch tensors are accepted. To
            copy a :class:`torch.nn.Linear`, pass ``linear.weight.T``.
        biases
            One array per layer; ``biases[l]`` of shape ``(n_{l+1},)``.
        activation, output_activation, loss
            As for :class:`Network`.
        dtype
            ``float32`` or ``float64``. ``None`` (the default) keeps
            ``float32`` if every parameter is ``float32`` and uses ``float64``
            otherwise.

        Returns
        -------
        Network
            A network holding copies of the parameters (training it later
            does not change the arrays passed in).

        Raises
        ------
        ValueError
            If there are no layers, the numbers of weights and biases
            differ, a shape does not fit its neighbours, or a parameter is
            not finite.
        """
        if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
            raise TypeError("weights must be a list with one array per layer")
        if isinstance(biases, np.ndarray) or not isinstance(biases, Sequence):
            raise TypeError("biases must be a list with one array per layer")
        if len(weights) == 0:
            raise ValueError("weights must hold at least one layer, got an empty list")
        if len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must have one entry per layer, got {len(weights)} "
                f"weight matrices and {len(biases)} bias vectors"
            )
        weights = [_real_array(w, f"weights[{l}]") for l, w in enumerate(weights)]
        biases = [_real_array(b, f"biases[{l}]") for l, b in enumerate(biases)]
        if dtype is None:
            all_float32 = all(p.dtype == np.float32 for p in weights + biases)
            dtype = np.float32 if all_float32 else np.float64
        dtype = _check_dtype(dtype)
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.ndim != 2:
                raise ValueError(
                    f"weights[{l}] must be a matrix of shape (n_in, n_out), got shape {w.shape}"
                )
            if l > 0 and w.shape[0] != weights[l - 1].shape[1]:
                raise ValueError(
                    f"weights[{l}] must have {weights[l - 1].shape[1]} rows to follow "
                    f"weights[{l - 1}] of shape {weights[l - 1].shape}, got shape {w.shape}; "
                    f"{_TRANSPOSE_HINT}"
                )
            if b.shape != (w.shape[1],):
                # A torch.nn.Linear weight passed untransposed shows up here first.
                transposed = b.shape == (w.shape[0],)
                raise ValueError(
                    f"biases[{l}] must have shape ({w.shape[1]},) to match weights[{l}] "
                    f"of shape {w.shape}, got shape {b.shape}"
                    + (f"; is weights[{l}] transposed? {_TRANSPOSE_HINT}" if transposed else "")
                )
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise ValueError(f"weights[{l}] and biases[{l}] must not contain NaN or infinite values")
        network = cls.__new__(cls)
        network._set(
            [w.astype(dtype) for w in weights],  # astype copies
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
        loss: str | None = None,
    ) -> None:
        """Store parameters that have been checked, the activation functions and the loss."""
        self._activation = _resolve_activation(activation, output=False)
        self._output_activation = (
            self._activation if output_activation is None else _resolve_activation(output_activation, output=True)
        )
        # Fixed from here on (the activations are read-only): what each layer
        # applies, and the same as bare arithmetic for training (see _forward_layers).
        self._layer_activations = (*(self._activation,) * (len(weights) - 1), self._output_activation)
        self._kernels = tuple(f.kernel or f.f for f in self._layer_activations)
        self.loss_name = self._check_loss(loss)
        # Column by column (Fortran order): then w.T, the (outputs, inputs)
        # layout, is contiguous, which suits both the forward pass's a @ w and
        # BP4's gradient (see _backprop) and makes small mini-batches faster.
        self.weights = [np.asfortranarray(w) for w in weights]
        self.biases = biases
        self.sizes = (weights[0].shape[0], *(w.shape[1] for w in weights))

    # -- properties ------------------------------------------------------------

    @property
    def num_layers(self) -> int:
        """The number of layers, ``len(sizes)``, input layer included."""
        return len(self.sizes)

    @property
    def dtype(self) -> np.dtype:
        """The floating-point type of the parameters and the computation."""
        return self.weights[0].dtype

    @property
    def num_parameters(self) -> int:
        """The number of weights and biases in all layers."""
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    @property
    def activation(self) -> Activation:
        """The activation function of the hidden layers (fixed when the network is built)."""
        return self._activation

    @property
    def output_activation(self) -> Activation:
        """The activation function of the output layer (fixed when the network is built)."""
        return self._output_activation

    @property
    def layer_activations(self) -> tuple[Activation, ...]:
        """The activation function of each layer after the input, in order."""
        return self._layer_activations

    def _default_loss(self) -> str:
        """The loss a network with this output layer gets when none is asked for."""
        return "cross_entropy" if self.output_activation.name in _CROSS_ENTROPY_OUTPUTS else "quadratic"

    def _check_loss(self, loss: str | None) -> str:
        """Return the name of the loss, checking that it suits the output layer."""
        if loss is None:
            return self._default_loss()
        if not isinstance(loss, str) or loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}, got {loss!r}")
        if loss == "cross_entropy" and self.output_activation.name not in _CROSS_ENTROPY_OUTPUTS:
            raise ValueError(
                f"loss='cross_entropy' needs outputs in (0, 1): a 'sigmoid' or 'softmax' output "
                f"layer, got {self.output_activation.name!r}; use loss='quadratic' or change "
                f"output_activation"
            )
        return loss

    def __repr__(self) -> str:
        out = (
            ""
            if self.output_activation == self.activation
            else f", output_activation={self.output_activation.name!r}"
        )
        loss = "" if self.loss_name == self._default_loss() else f", loss={self.loss_name!r}"
        return f"Network(sizes={self.sizes}, activation={self.activation.name!r}{out}{loss}, dtype={self.dtype})"

    # -- the forward pass ------------------------------------------------------

    def _check_input(self, X: object) -> np.ndarray:
        """Return ``X`` as a finite batch of shape ``(n, sizes[0])`` in the network's dtype."""
        X = _real_array(X, "X")
        d = self.sizes[0]
        if X.ndim == 1 and X.shape[0] == d:
            raise ValueError(
                f"X must be a batch of shape (n, {d}), one example per row, got shape {X.shape}; "
                "for a single example pass X.reshape(1, -1)"
            )
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(
                f"X must have shape (n, {d}): one example per row, {d} input(s) each, "
                f"got shape {X.shape}"
            )
        X = X.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(X)):
            raise ValueError("X must not contain NaN or infinite values")
        return X

    def forward_layers(self, X: object) -> ForwardPass:
        """Run a batch through the network and keep every layer's values.

        Parameters
        ----------
        X
            A batch of shape ``(n, sizes[0])``, one example per row.

        Returns
        -------
        ForwardPass
            A named tuple ``(zs, activations)``: the weighted inputs of each
            layer and the activations of each layer, input included.
        """
        return self._forward_layers(self._check_input(X))

    def _forward_layers(
        self, X: np.ndarray, fs: Sequence[Callable[[np.ndarray], np.ndarray]] | None = None
    ) -> ForwardPass:
        """:meth:`forward_layers` for an input that has been checked.

        ``fs`` is the function each layer applies, by default its activation.
        Back-propagation passes the activations' kernels (``self._kernels``,
        :attr:`~nnbook.activations.Activation.kernel`): faster, but they leave
        floating-point errors to the caller, who calls them inside
        ``np.errstate(over="ignore", under="ignore")``, where an overflow
        gives the right limit (see :func:`nnbook.activations.sigmoid`).
        """
        a = X
        zs, activations = [], [a]
        for w, b, f in zip(self.weights, self.biases, fs or self.layer_activations):
            # a.dot(w) is a @ w; for the small matrices of mini-batch training the
            # method call costs less than the operator, and so does adding b in place.
            z = a.dot(w)
            z += b
            a = f(z)
            zs.append(z)
            activations.append(a)
        return ForwardPass(zs, activations)

    def forward(self, X: object) -> np.ndarray:
        """Return the network's output for a batch ``X`` of shape ``(n, sizes[0])``.

        The output has shape ``(n, sizes[-1])``.
        """
        a = self._check_input(X)
        for w, b, f in zip(self.weights, self.biases, self.layer_activations):
            a = f(a @ w + b)
        return a

    __call__ = forward

    # -- targets and the loss ----------------------------------------------------

    def _check_targets(self, y: object, n: int) -> np.ndarray:
        """Return the targets as an array ``Y`` of shape ``(n, sizes[-1])`` in the network's dtype.

        Integer labels become one-hot rows (or 0/1 columns for one output).
        """
        y = _real_array(y, "y")
        k = self.sizes[-1]
        if y.dtype.kind in "biu" and y.ndim == 1:
            if len(y) != n:
                raise ValueError(f"y must hold one label per example: X has {n} rows, y has {len(y)} labels")
            classes = 2 if k == 1 else k
            if y.size and (y.min() < 0 or y.max() >= classes):
                bad = y[(y < 0) | (y >= classes)][0]
                raise ValueError(
                    f"class labels must be in 0..{classes - 1} for a network with {k} output(s), "
                    f"got the label {bad}"
                )
            Y = y[:, None] if k == 1 else (y[:, None] == np.arange(k))
            return Y.astype(self.dtype)
        if y.ndim == 1 and k == 1:
            y = y[:, None]
        if y.shape != (n, k):
            raise ValueError(
                f"y must hold integer class labels of shape ({n},) or targets of shape ({n}, {k}), "
                f"got {'integer' if y.dtype.kind in 'biu' else y.dtype} values of shape {y.shape}"
            )
        Y = y.astype(self.dtype)
        if not np.all(np.isfinite(Y)):
            raise ValueError("y must not contain NaN or infinite values")
        if self.loss_name == "cross_entropy":
            if Y.min() < 0 or Y.max() > 1:
                raise ValueError("targets for the cross-entropy must lie in [0, 1]")
            if self.output_activation.name == "softmax" and not np.allclose(Y.sum(axis=1), 1.0, atol=1e-6):
                raise ValueError(
                    "targets for a softmax output must be probability distributions (each row "
                    "summing to 1), such as one-hot rows; or pass integer class labels"
                )
        return Y

    def _loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The loss, averaged over the rows of a checked batch, without the penalty."""
        z = self._forward_layers(X).zs[-1]
        n = X.shape[0]
        if self.loss_name == "quadratic":
            return float(0.5 * np.sum((self.output_activation(z) - Y) ** 2) / n)
        # The cross-entropy from the weighted inputs z (the logits), which stays
        # finite however sure and wrong the network is.
        if self.output_activation.name == "softmax":
            shifted = z - z.max(axis=1, keepdims=True)
            log_a = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            return float(-np.sum(Y * log_a) / n)
        return float(np.sum(np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z)))) / n)

    @staticmethod
    def _check_penalty(
        lmbda: object, penalty: str | WeightPenalty | PenaltyPair, n: int | None, batch_size: int
    ) -> tuple[float, WeightPenalty, int]:
        """Return ``(lmbda, penalty function, n)`` after checking them."""
        if isinstance(lmbda, bool) or not isinstance(lmbda, (int, float, np.integer, np.floating)):
            raise TypeError(f"lmbda must be a real number, got {type(lmbda).__name__}")
        if not (math.isfinite(lmbda) and lmbda >= 0):
            raise ValueError(f"lmbda (the strength of the penalty) must be a finite number >= 0, got {lmbda}")
        if isinstance(penalty, str):
            if penalty not in PENALTIES:
                raise ValueError(
                    f"penalty must be one of {', '.join(map(repr, PENALTIES))} or a function "
                    f"penalty(weights, lmbda, n) -> (value, gradients), got {penalty!r}"
                )
            penalty = PENALTIES[penalty]
        elif isinstance(penalty, tuple) and len(penalty) == 2 and all(map(callable, penalty)):
            value_of, gradients_of = penalty

            def both(weights: Sequence[np.ndarray], lmbda: float, n: int) -> tuple[float, list[np.ndarray]]:
                return value_of(weights, lmbda, n), gradients_of(weights, lmbda, n)

            penalty = both
        elif not callable(penalty):
            raise TypeError(
                f"penalty must be a name, a function or a pair of functions (value, gradients), "
                f"got {type(penalty).__name__}"
            )
        n = batch_size if n is None else check_int(n, "n", 1)
        return float(lmbda), penalty, n

    def _penalty(self, lmbda: float, penalty: WeightPenalty, n: int) -> tuple[float, list[np.ndarray] | None]:
        """The weight penalty's value and gradients (None when ``lmbda`` is 0)."""
        if lmbda == 0:
            return 0.0, None
        value, grads = penalty(self.weights, lmbda, n)
        grads = list(grads)
        if len(grads) != len(self.weights) or any(g.shape != w.shape for g, w in zip(grads, self.weights)):
            raise ValueError(
                "the penalty function must return one gradient per weight matrix, of shapes "
                f"{[w.shape for w in self.weights]}, got {[np.shape(g) for g in grads]}"
            )
        return float(value), grads

    def loss(
        self,
        X: object,
        y: object,
        *,
        lmbda: float = 0.0,
        n: int | None = None,
        penalty: str | WeightPenalty | PenaltyPair = "l2",
    ) -> float:
        """Return the loss on a batch: the average of the examples' losses, plus the penalty.

        Parameters
        ----------
        X
            A batch of shape ``(n, sizes[0])``.
        y
            Integer class labels of shape ``(n,)``, or targets of shape
            ``(n, sizes[-1])``.
        lmbda, penalty
            The weight penalty (none by default); see the module's description.
        n
            The ``n`` of the penalty's ``λ/n``, the size of the training set;
            by default the number of rows of ``X``.

        Returns
        -------
        float
        """
        X = self._check_input(X)
        Y = self._check_targets(y, len(X))
        lmbda, penalty, n = self._check_penalty(lmbda, penalty, n, len(X))
        return self._loss(X, Y) + self._penalty(lmbda, penalty, n)[0]

    # -- back-propagation ---------------------------------------------------------

    def _output_error(self, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """The error of the output layer, ``Delta^L``, one row per example (equation BP1).

        Always a new array, which the caller may change in place.
        """
        if self.loss_name == "cross_entropy":
            # dC/da_j = (a_j - y_j) / (a_j (1 - a_j)) for sigmoids, and the factor
            # f'(z_j) = a_j (1 - a_j) cancels it; the softmax's Jacobian does the same.
            return a - Y
        if self.output_activation.name == "softmax":
            # The Jacobian of the softmax is diag(a) - a a^T, so the error is
            # a * (g - g.a) for the gradient g = a - y of the quadratic loss.
            g = a - Y
            return a * (g - np.sum(g * a, axis=1, keepdims=True))
        return (a - Y) * self.output_activation.derivative_from_output(z, a)

    def _backprop(self, X: np.ndarray, Y: np.ndarray, scale: float = 1.0) -> Gradients:
        """:meth:`backprop` for a checked batch ``X`` and targets ``Y`` of shape ``(n, sizes[-1])``.

        The result is multiplied by ``scale``. :meth:`_sgd_step` passes the
        learning rate: scaling the output layer's small error matrix scales
        every error and gradient after it (BP2-BP4 are linear in the error),
        which is cheaper than multiplying the large weight gradients.

        The forward pass runs the activations' kernels: call this inside
        ``np.errstate(over="ignore", under="ignore")``.
        """
        zs, activations = self._forward_layers(X, self._kernels)
        fs = self._layer_activations
        # Layer l (counted from 0) maps activations[l] to zs[l], and activations[l + 1] = f(zs[l]).
        L = len(self.weights)
        nabla_w, nabla_b = [None] * L, [None] * L
        delta = self._output_error(zs[-1], activations[-1], Y)  # (BP1), a new array
        delta *= scale / X.shape[0]  # the 1/n of the average, and the scale, applied once
        for l in reversed(range(L)):
            # (BP4), A^T Delta computed as (Delta^T A)^T: the same numbers, laid
            # out column by column like the weights, so that w -= nabla_w runs
            # through both arrays in order.
            nabla_w[l] = delta.T.dot(activations[l]).T
            nabla_b[l] = delta.sum(axis=0)  # (BP3)
            if l > 0:
                delta = delta.dot(self.weights[l].T)  # (BP2) ...
                delta *= fs[l - 1].derivative_from_output(zs[l - 1], activations[l])  # ... times f'(z)
        return Gradients(nabla_w, nabla_b)

    def backprop(self, X: object, y: object) -> Gradients:
        """Return the gradient of the loss on a batch, by back-propagation.

        One forward pass keeps every layer's weighted inputs ``Z^l`` and
        activations ``A^l``; one backward pass computes the error of each
        layer, from the last to the first, and from it the gradients, by the
        four equations BP1-BP4 of the module's description. Every step treats
        the whole batch at once (one matrix product per layer).

        Parameters
        ----------
        X
            A batch of shape ``(n, sizes[0])``, one example per row.
        y
            Integer class labels of shape ``(n,)``, or targets of shape
            ``(n, sizes[-1])``.

        Returns
        -------
        Gradients
            ``(nabla_w, nabla_b)``: the partial derivatives of the loss
            averaged over the batch (:meth:`loss` without a penalty) with
            respect to each weight and bias, in the shapes of ``weights`` and
            ``biases``.
        """
        X = self._check_input(X)
        Y = self._check_targets(y, len(X))
        with np.errstate(over="ignore", under="ignore"):
            return self._backprop(X, Y)

    # -- training -------------------------------------------------------------------

    def _sgd_step(
        self, X: np.ndarray, Y: np.ndarray, eta: float, lmbda: float, penalty: WeightPenalty, n: int
    ) -> Gradients:
        """Move the parameters by ``-eta`` times the gradient; return that step."""
        # Back-propagation returns the gradient already multiplied by eta.
        steps_w, steps_b = self._backprop(X, Y, scale=eta)
        if lmbda:
            penalty_grads = self._penalty(lmbda, penalty, n)[1]
            steps_w = [s + eta * p for s, p in zip(steps_w, penalty_grads)]
        for w, b, sw, sb in zip(self.weights, self.biases, steps_w, steps_b):
            w -= sw  # in place: the arrays in self.weights are the parameters
            b -= sb
        return Gradients(steps_w, steps_b)

    def sgd_step(
        self,
        X: object,
        y: object,
        eta: float,
        *,
        lmbda: float = 0.0,
        n: int | None = None,
        penalty: str | WeightPenalty | PenaltyPair = "l2",
    ) -> Gradients:
        """Take one gradient-descent step on a (mini-)batch, changing the parameters in place.

        ``w' = w - eta * dC/dw`` and ``b' = b - eta * dC/db``, with the
        gradient of the loss averaged over the batch, plus the penalty's
        gradient for the weights.

        Parameters
        ----------
        X, y
            The batch and its labels or targets, as for :meth:`backprop`.
        eta
            The learning rate, a positive number.
        lmbda, penalty
            The weight penalty (none by default); see the module's description.
        n
            The ``n`` of the penalty's ``λ/n``: the size of the whole
            training set; by default the number of rows of ``X``.

        Returns
        -------
        Gradients
            The gradient the step used (penalty included): the step divided
            by ``eta``, equal to :meth:`backprop`'s up to rounding.
        """
        X = self._check_input(X)
        Y = self._check_targets(y, len(X))
        eta = _check_positive(eta, "eta (the learning rate)")
        lmbda, penalty, n = self._check_penalty(lmbda, penalty, n, len(X))
        with np.errstate(over="ignore", under="ignore"):
            steps_w, steps_b = self._sgd_step(X, Y, eta, lmbda, penalty, n)
        return Gradients([s / eta for s in steps_w], [s / eta for s in steps_b])

    def train_sgd(
        self,
        X: object,
        y: object,
        epochs: int,
        batch_size: int,
        eta: float,
        *,
        seed: Seed = 0,
        lmbda: float = 0.0,
        penalty: str | WeightPenalty | PenaltyPair = "l2",
        validation_data: tuple[object, object] | None = None,
        monitor: bool = True,
    ) -> TrainingHistory:
        """Train by mini-batch stochastic gradient descent, changing the parameters in place.

        Each epoch shuffles the ``n`` training examples, cuts them into
        batches of ``batch_size`` (the last one smaller if it does not divide
        ``n``; :func:`nnbook.optim.minibatch_indices`) and takes one
        :meth:`sgd_step` per batch. The penalty's ``λ/n`` uses the size
        ``n`` of the whole training set.

        Parameters
        ----------
        X, y
            The training set, as for :meth:`backprop`.
        epochs
            The number of passes over the training set (0 or more).
        batch_size
            The mini-batch size ``m``, from 1 to ``n``.
        eta
            The learning rate, a positive number.
        seed
            Seed of the shuffling: an int or a :class:`numpy.random.Generator`.
        lmbda, penalty
            The weight penalty (none by default); see the module's description.
        validation_data
            Optional ``(X_val, y_val)`` measured after every epoch.
        monitor
            Measure loss and accuracy after every epoch (one forward pass over
            each set). With ``False`` the history stays empty, and training is
            a little faster.

        Returns
        -------
        TrainingHistory
            Loss (penalty included) and accuracy after each epoch. If a
            parameter stops being finite, training stops there with a
            :class:`nnbook.optim.DivergenceWarning` and ``diverged=True``.
        """
        X = self._check_input(X)
        n = len(X)
        Y = self._check_targets(y, n)
        labels = _class_labels(Y) if monitor else None  # only the history needs them
        epochs = check_int(epochs, "epochs", 0)
        batch_size = check_int(batch_size, "batch_size", 1)
        if batch_size > n:
            raise ValueError(
                f"batch_size must be at most the number of training examples, {n}, got {batch_size}"
            )
        eta = _check_positive(eta, "eta (the learning rate)")
        lmbda, penalty, _ = self._check_penalty(lmbda, penalty, None, n)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple) or len(validation_data) != 2:
                raise TypeError("validation_data must be a pair (X_val, y_val)")
            X_val = self._check_input(validation_data[0])
            Y_val = self._check_targets(validation_data[1], len(X_val))
            validation = (X_val, Y_val, _class_labels(Y_val))
        rng = as_generator(seed)
        history = TrainingHistory()
        for epoch in range(1, epochs + 1):
            # A run that blows up is caught after the epoch, with one clear
            # warning instead of NumPy's overflow warnings. (Silencing them
            # once per epoch, not once per layer and batch, also saves time.)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                for idx in minibatch_indices(n, batch_size, rng):
                    # take() copies the rows of a batch faster than X[idx] does.
                    self._sgd_step(X.take(idx, axis=0), Y.take(idx, axis=0), eta, lmbda, penalty, n)
            if not all(np.all(np.isfinite(p)) for p in self.weights + self.biases):
                history.diverged = True
                warnings.warn(
                    f"training diverged in epoch {epoch}: a weight or bias is no longer finite. "
                    f"Training was stopped; try a learning rate smaller than eta = {eta:g}.",
                    DivergenceWarning,
                    stacklevel=2,
                )
                break
            if monitor:
                penalty_value = self._penalty(lmbda, penalty, n)[0]
                history.train_loss.append(self._loss(X, Y) + penalty_value)
                history.train_accuracy.append(self._accuracy(X, labels))
                if validation is not None:
                    history.val_loss.append(self._loss(validation[0], validation[1]) + penalty_value)
                    history.val_accuracy.append(self._accuracy(validation[0], validation[2]))
        return history

    # -- predictions -------------------------------------------------------------------

    def _predict(self, X: np.ndarray) -> np.ndarray:
        a = self._forward_layers(X).activations[-1]
        if a.shape[1] == 1:
            return (a[:, 0] > 0.5).astype(np.int64)
        return np.argmax(a, axis=1)

    def predict(self, X: object) -> np.ndarray:
        """Return the predicted class of each example: the index of the largest output.

        A network with a single output is read as giving the probability of
        class 1: it predicts 1 when the output is above 0.5, else 0.

        Parameters
        ----------
        X
            A batch of shape ``(n, sizes[0])``.

        Returns
        -------
        numpy.ndarray
            Integer class labels, shape ``(n,)``.
        """
        return self._predict(self._check_input(X))

    def _accuracy(self, X: np.ndarray, labels: np.ndarray | None) -> float:
        if labels is None:
            return math.nan
        return float(np.mean(self._predict(X) == labels))

    def accuracy(self, X: object, y: object) -> float:
        """Return the fraction of examples whose class :meth:`predict` gets right.

        Parameters
        ----------
        X
            A batch of shape ``(n, sizes[0])``.
        y
            Integer class labels of shape ``(n,)``, or one-hot rows of shape
            ``(n, sizes[-1])``.

        Returns
        -------
        float
            A fraction in [0, 1].
        """
        X = self._check_input(X)
        labels = _class_labels(self._check_targets(y, len(X)))
        if labels is None:
            raise ValueError("accuracy needs class labels: integer labels of shape (n,) or one-hot rows")
        return self._accuracy(X, labels)


def _class_labels(Y: np.ndarray) -> np.ndarray | None:
    """The class labels behind checked targets ``Y``, or None if they are not labels."""
    if Y.shape[1] == 1:
        return Y[:, 0].astype(np.int64) if np.all((Y == 0) | (Y == 1)) else None
    one_hot = np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)
    return np.argmax(Y, axis=1) if one_hot else None


def collapse_linear(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Return the single affine map that a network without activations computes.

    If every layer uses the identity activation, the network computes
    ``(((X W_1 + b_1) W_2 + b_2) ...) W_L + b_L``, which multiplies out to
    ``X W + b`` with

        W = W_1 W_2 ... W_L,   b = (...((b_1 W_2 + b_2) W_3 + b_3) ...) W_L + b_L.

    However deep, such a network is one linear layer.

    Parameters
    ----------
    network
        A :class:`Network` whose every layer uses the ``"identity"``
        activation.

    Returns
    -------
    W : numpy.ndarray
        Shape ``(sizes[0], sizes[-1])``.
    b : numpy.ndarray
        Shape ``(sizes[-1],)``.

    Raises
    ------
    ValueError
        If a layer uses another activation: then no such matrix exists.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    for l, f in enumerate(network.layer_activations, start=1):
        if f.name != "identity":
            raise ValueError(
                f"collapse_linear needs the identity activation in every layer, but layer {l} "
                f"uses {f.name!r}; with a non-linear activation the network is not one matrix"
            )
    W = network.weights[0].copy()
    b = network.biases[0].copy()
    for w_next, b_next in zip(network.weights[1:], network.biases[1:]):
        W = W @ w_next
        b = b @ w_next + b_next
    return W, b


# ---------------------------------------------------------------------------
# Checking back-propagation with finite differences
# ---------------------------------------------------------------------------


def numerical_gradient(network: Network, X: object, y: object, eps: float = 1e-6) -> Gradients:
    """Estimate the gradient of the loss by central differences, one parameter at a time.

    For each weight and bias ``p`` in turn, the loss is evaluated with ``p``
    moved up and down by ``eps``, and ``dC/dp ≈ (C(p + eps) - C(p - eps)) /
    (2 eps)``. A network with ``P`` parameters costs exactly ``2P`` forward
    passes: slow, but so simple that it is hard to get wrong, which makes it
    the reference that back-propagation is checked against. The error of
    the estimate is of order ``eps**2`` plus the rounding error of the
    difference, about ``1e-16 |C| / eps`` in float64.

    Parameters
    ----------
    network
        The network; its parameters are moved and put back exactly.
    X, y
        A batch and its labels or targets, as for :meth:`Network.backprop`.
    eps
        The step, a positive number.

    Returns
    -------
    Gradients
        In the layout of :meth:`Network.backprop`.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    X = network._check_input(X)
    Y = network._check_targets(y, len(X))
    eps = _check_positive(eps, "eps")
    nabla_w = [np.zeros_like(w) for w in network.weights]
    nabla_b = [np.zeros_like(b) for b in network.biases]
    for params, grads in ((network.weights, nabla_w), (network.biases, nabla_b)):
        for p, g in zip(params, grads):
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                up = network._loss(X, Y)
                p[i] = old - eps
                down = network._loss(X, Y)
                p[i] = old
                g[i] = (up - down) / (2 * eps)
    return Gradients(nabla_w, nabla_b)


def gradient_check(network: Network, X: object, y: object, eps: float = 1e-6) -> float:
    """Compare :meth:`Network.backprop` with central differences; return the relative error.

    The result is the largest difference between a partial derivative from
    back-propagation and its estimate by :func:`numerical_gradient`,
    relative to the largest partial derivative:
    ``max |g - g_num| / max(max |g|, max |g_num|)``. Both are computed in
    float64 (on a copy of a float32 network). A correct implementation gives
    about ``1e-8`` or less; a mistake in a formula gives errors of order 1.
    (Dividing each difference by its own partial derivative instead would
    flag tiny derivatives, which central differences cannot resolve: their
    rounding error is about ``1e-16 |C| / eps``.)

    Parameters
    ----------
    network
        The network to check (it is not changed).
    X, y
        A batch and its labels or targets, as for :meth:`Network.backprop`.
        A few examples suffice.
    eps
        The step of the central differences.

    Returns
    -------
    float
        The relative error, 0 for a perfect match.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    if network.dtype != np.float64:
        network = type(network).from_parameters(
            network.weights, network.biases, network.activation,
            output_activation=network.output_activation, loss=network.loss_name, dtype=np.float64,
        )
    analytic = network.backprop(X, y).flat()
    numeric = numerical_gradient(network, X, y, eps).flat()
    error = float(np.max(np.abs(analytic - numeric)))
    scale = float(max(np.max(np.abs(analytic)), np.max(np.abs(numeric))))
    if scale == 0:
        return 0.0 if error == 0 else math.inf
    return error / scale
