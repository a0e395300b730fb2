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

PyTorch's :class:`torch.nn.Linear` stores its weight the other way round,
``(out_features, in_features)``, and computes ``x @ weight.T + bias``: to
copy a layer between the two, transpose the weight.

The hidden layers share one activation function and the output layer may
have its own (``output_activation``); both are names from
:data:`nnbook.activations.ACTIVATIONS` or :class:`~nnbook.activations.Activation`
objects.

This module holds the forward pass. Later chapters add training on top of
:meth:`Network.forward_layers`, which returns every layer's weighted inputs
and activations: exactly what back-propagation needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Union

import numpy as np

from nnbook.activations import Activation, get_activation

__all__ = ["ForwardPass", "Network", "collapse_linear"]

#: What ``seed`` arguments accept.
Seed = Union[int, np.random.Generator]

#: The floating-point types a network computes in.
_DTYPES = (np.float32, np.float64)

_TRANSPOSE_HINT = "weights are (n_in, n_out): for a torch.nn.Linear pass weight.T"

#: The ways to draw the initial weights (see :class:`Network`).
INITS = ("scaled", "standard")


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


def _as_generator(seed: Seed) -> np.random.Generator:
    """Return a random generator for ``seed`` (an int or a Generator)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


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
        means the same as ``activation``.
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
    activation : nnbook.activations.Activation
        The activation function of the hidden layers.
    output_activation : nnbook.activations.Activation
        The activation function of the output layer.

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
        seed: Seed = 0,
        init: str = "scaled",
        dtype: Any = np.float64,
    ) -> None:
        sizes = _check_sizes(sizes)
        dtype = _check_dtype(dtype)
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}, got {init!r}")
        rng = _as_generator(seed)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            scale = 1.0 / np.sqrt(n_in) if init == "scaled" else 1.0
            weights.append((scale * rng.standard_normal((n_in, n_out))).astype(dtype))
            biases.append(rng.standard_normal(n_out).astype(dtype))
        self._set(weights, biases, activation, output_activation)

    @classmethod
    def from_parameters(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activation: str | Activation = "sigmoid",
        *,
        output_activation: str | Activation | None = None,
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
        activation, output_activation
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
        )
        return network

    def _set(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        activation: str | Activation,
        output_activation: str | Activation | None,
    ) -> None:
        """Store parameters that have been checked, and the activation functions."""
        self.activation = get_activation(activation)
        self.output_activation = (
            self.activation if output_activation is None else get_activation(output_activation)
        )
        self.weights = weights
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
    def layer_activations(self) -> tuple[Activation, ...]:
        """The activation function of each layer after the input, in order."""
        hidden = (self.activation,) * (len(self.weights) - 1)
        return (*hidden, self.output_activation)

    def __repr__(self) -> str:
        out = (
            ""
            if self.output_activation == self.activation
            else f", output_activation={self.output_activation.name!r}"
        )
        return f"Network(sizes={self.sizes}, activation={self.activation.name!r}{out}, dtype={self.dtype})"

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
        a = self._check_input(X)
        zs, activations = [], [a]
        for w, b, f in zip(self.weights, self.biases, self.layer_activations):
            z = a @ w + b
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
