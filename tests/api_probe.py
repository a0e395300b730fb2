"""Feed nnbook's public functions bad values, one argument at a time, and sort what happens.

Each entry of :data:`CALLS` is a valid call of a public function or method of
the API page and the *kind* of each of its arguments ("a positive number",
"class labels", "a seed" ...). The probe replaces one argument at a time with
each bad value of its kind (:data:`BAD`) and sorts the outcome into

``clear``
    a ``TypeError`` or ``ValueError`` whose message names the argument;
``documented``
    a warning of nnbook's own (such as ``DivergenceWarning``), or NaN passed
    through where the entry says the function propagates NaN like NumPy
    (``nan_ok``) and its docstring says so;
``obscure``
    any other exception, or one that does not name the argument;
``accepted``
    a normal return with the same result as the valid call (the bad value
    was silently ignored);
``wrong``
    a normal return with a different, finite result (the bad value silently
    changed the answer);
``nan``
    a normal return holding NaN or an infinity;
``hang``
    no answer within :data:`TIMEOUT` seconds, or memory that ran out.

``tests/test_bad_input.py`` holds every entry to ``clear`` or ``documented``
(with hypothesis drawing further bad values), so that a new public function
cannot join the API page without its checks. Run this file to print the table
the issue asks for: ``python tests/api_probe.py [--details] [module.prefix ...]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import math
import re
import resource
import signal
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TIMEOUT = 5.0
CATEGORIES = ("clear", "documented", "obscure", "accepted", "wrong", "nan", "hang")
OK = ("clear", "documented")


# --- bad values, by kind of argument ------------------------------------------------


def _nan(v: Any) -> Any:
    a = np.array(_np(v), dtype=float, copy=True)
    a.flat[0] = np.nan
    return a


def _inf(v: Any) -> Any:
    a = np.array(_np(v), dtype=float, copy=True)
    a.flat[-1] = np.inf
    return a


def _np(v: Any) -> np.ndarray:
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


def _empty(v: Any) -> np.ndarray:
    a = _np(v)
    return np.empty((0,) + a.shape[1:], dtype=a.dtype)


def _extra_dim(v: Any) -> np.ndarray:
    return _np(v)[..., None, None]


def _complex(v: Any) -> np.ndarray:
    return _np(v).astype(complex) + 1j


def _const(value: Any) -> Callable[[Any], Any]:
    return lambda v: value


_TEXT, _NONE = ("text", _const("abc")), ("None", _const(None))

#: For each kind, (label, maker) pairs; a maker builds the bad value from the valid one.
BAD: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "array": [
        _TEXT,
        _NONE,
        ("NaN", _nan),
        ("inf", _inf),
        ("empty", _empty),
        ("ndim+2", _extra_dim),
        ("complex", _complex),
    ],
    "values": [_TEXT, _NONE, ("NaN", _nan), ("complex", _complex)],
    "labels": [
        _TEXT,
        _NONE,
        ("float labels", lambda v: _np(v) + 0.5),
        ("negative", lambda v: _np(v) - 5),
        ("empty", _empty),
        ("ndim+2", _extra_dim),
    ],
    "positive": [
        ("-1", _const(-1.0)),
        ("0", _const(0.0)),
        ("NaN", _const(math.nan)),
        ("inf", _const(math.inf)),
        ("'1'", _const("1")),
        _NONE,
    ],
    "nonnegative": [
        ("-1", _const(-1.0)),
        ("NaN", _const(math.nan)),
        ("inf", _const(math.inf)),
        ("'1'", _const("1")),
        _NONE,
    ],
    "real": [
        ("NaN", _const(math.nan)),
        ("inf", _const(math.inf)),
        ("'1'", _const("1")),
        _NONE,
    ],
    "probability": [
        ("-0.1", _const(-0.1)),
        ("1.5", _const(1.5)),
        ("NaN", _const(math.nan)),
        ("'0.5'", _const("0.5")),
    ],
    "coefficient": [
        ("1.0", _const(1.0)),
        ("-0.1", _const(-0.1)),
        ("NaN", _const(math.nan)),
        ("'0.5'", _const("0.5")),
    ],
    "size": [
        ("0", _const(0)),
        ("-1", _const(-1)),
        ("2.5", _const(2.5)),
        ("'3'", _const("3")),
        _NONE,
    ],
    "count": [
        ("-1", _const(-1)),
        ("2.5", _const(2.5)),
        ("'3'", _const("3")),
        _NONE,
        ("10**12", _const(10**12)),
    ],
    "index": [("-1", _const(-1)), ("2.5", _const(2.5)), ("'3'", _const("3"))],
    "seed": [("-1", _const(-1)), ("2.5", _const(2.5)), ("'1'", _const("1")), _NONE],
    "choice": [("'nonsense'", _const("nonsense")), ("3", _const(3)), _NONE],
    "function": [_NONE, ("3", _const(3)), _TEXT],
    "bool": [("'no'", _const("no")), _NONE, ("2", _const(2))],
    "model": [("'model'", _const("model")), _NONE, ("array", _const(np.zeros(3)))],
    # None is valid for these two: "no optimiser/generator state"
    "optimizer": [
        ("'sgd'", _const("sgd")),
        ("3", _const(3)),
        ("a model", lambda v: torch_model()),
    ],
    "generator": [
        ("0", _const(0)),
        ("'0'", _const("0")),
        ("array", _const(np.zeros(3))),
    ],
    "object": [_TEXT, _NONE, ("3", _const(3))],
    "text": [_NONE, ("3", _const(3))],
    "metadata": [
        ("object()", _const(object())),
        ("a function", _const(print)),
    ],  # not plain data
    "path": [
        _NONE,
        ("3", _const(3)),
        ("array", _const(np.zeros(3))),
    ],  # any string is a path
    "sizes": [
        ("[]", _const([])),
        ("[0]", _const([3, 0])),
        ("[2.5]", _const([3, 2.5])),
        ("'23'", _const("23")),
        _NONE,
    ],
    "dtype": [("int32", _const("int32")), ("int64", _const(np.int64))],
    "batch": [
        _TEXT,
        _NONE,
        ("NaN", _nan),
        ("inf", _inf),
        ("ndim+2", _extra_dim),
        ("complex", _complex),
    ],
    "arrays": [
        _TEXT,
        _NONE,
        ("[NaN]", lambda v: [_nan(v[0])] + list(v[1:])),
        ("[[]]", _const([[]])),
    ],
    # a point of parameter space, which the optimisers take in any shape
    "point": [
        _TEXT,
        _NONE,
        ("NaN", _nan),
        ("inf", _inf),
        ("empty", _empty),
        ("complex", _complex),
    ],
    # losses so far, where NaN and inf are what has_diverged is there to detect
    "losses": [
        _TEXT,
        _NONE,
        ("empty", _empty),
        ("ndim+2", _extra_dim),
        ("complex", _complex),
    ],
    # logits, where an infinity is a valid score (binary_cross_entropy_with_logits_grad(inf, 1) is exactly 0)
    "scores": [
        _TEXT,
        _NONE,
        ("NaN", _nan),
        ("empty", _empty),
        ("ndim+2", _extra_dim),
        ("complex", _complex),
    ],
    # class labels in an array of any shape (one_hot, like torch's)
    "label array": [
        _TEXT,
        _NONE,
        ("float labels", lambda v: _np(v) + 0.5),
        ("negative", lambda v: _np(v) - 5),
        ("empty", _empty),
    ],
}


# --- the valid calls -----------------------------------------------------------------


@dataclass
class Call:
    """A valid call of one public callable and the kind of each argument."""

    name: str
    make: Callable[[], tuple[Callable[..., Any], dict[str, Any]]]
    kinds: dict[str, str]
    nan_ok: tuple[str, ...] = ()


CALLS: list[Call] = []


def call(
    qualname: str,
    make: Callable[[], tuple[Callable[..., Any], dict[str, Any]]],
    /,
    nan_ok: tuple[str, ...] = (),
    **kinds: str,
) -> None:
    """Register a valid call: ``make()`` returns the callable and its keyword arguments."""
    CALLS.append(Call(qualname, make, kinds, nan_ok))


def nb(path: str) -> Any:
    """``nb("least_squares.fit_min_norm")`` is that attribute of the package."""
    module, _, attr = path.partition(".")
    try:
        obj: Any = importlib.import_module(f"nnbook.{module}")
    except (
        ImportError
    ):  # probing an older nnbook, before checkpoints had a module of their own
        obj = importlib.import_module(f"nnbook.{OLD_HOMES[module]}")
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


OLD_HOMES = {"checkpoints": "train", "idx": "data"}


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def X63() -> np.ndarray:
    return _rng().normal(size=(6, 3))


def y6() -> np.ndarray:
    return _rng().normal(size=6)


def labels6() -> np.ndarray:
    return np.array([0, 1, 2, 0, 1, 2])


def net() -> Any:
    return nb("network.Network")((3, 4, 3), seed=0)


def torch_data() -> Any:
    import torch
    from torch.utils.data import TensorDataset

    g = torch.Generator().manual_seed(0)
    dataset = TensorDataset(
        torch.randn(12, 4, generator=g), torch.tensor([0, 1, 2] * 4)
    )
    dataset.targets = dataset.tensors[
        1
    ]  # the labels, where torchvision's datasets keep them
    return dataset


def torch_model() -> Any:
    return nb("models.mlp")([4, 5, 3], seed=0)


def value() -> Any:
    return nb("autograd.Value")(0.5)


# activations: elementwise maths propagates NaN like NumPy (documented in the module)
for _f in (
    "gelu",
    "gelu_prime",
    "identity",
    "identity_prime",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softplus",
    "softplus_prime",
    "step",
    "step_prime",
    "tanh",
    "tanh_prime",
    "softmax",
    "SOFTMAX",
):
    call(
        f"activations.{_f}",
        lambda _f=_f: (nb(f"activations.{_f}"), dict(z=X63())),
        nan_ok=("z",),
        z="values",
    )
for _f in ("leaky_relu", "leaky_relu_prime"):
    call(
        f"activations.{_f}",
        lambda _f=_f: (nb(f"activations.{_f}"), dict(z=X63(), slope=0.1)),
        nan_ok=("z",),
        z="values",
        slope="nonnegative",
    )
call(
    "activations.get_activation",
    lambda: (nb("activations.get_activation"), dict(activation="relu")),
    activation="choice",
)
call(
    "activations.leaky_relu_activation",
    lambda: (nb("activations.leaky_relu_activation"), dict(slope=0.1)),
    slope="nonnegative",
)
call(
    "activations.Activation",
    lambda: (
        nb("activations.Activation"),
        dict(name="cube", f=lambda z: z**3, df=lambda z: 3 * z**2, formula="z^3"),
    ),
    name="text",
    f="function",
    df="function",
)
call(
    "activations.Activation.derivative",
    lambda: (nb("activations.get_activation")("tanh").derivative, dict(z=X63())),
    nan_ok=("z",),
    z="values",
)
call(
    "activations.Activation.derivative_from_output",
    lambda: (
        nb("activations.get_activation")("tanh").derivative_from_output,
        dict(z=X63(), a=np.tanh(X63())),
    ),
    nan_ok=("z", "a"),
    z="values",
    a="values",
)

# autograd
call(
    "autograd.Value",
    lambda: (nb("autograd.Value"), dict(data=0.5, label="x")),
    data="real",
    label="text",
)
for _m in ("exp", "log", "tanh", "sigmoid", "relu", "backward"):
    call(f"autograd.Value.{_m}", lambda _m=_m: (getattr(value(), _m), {}))
call(
    "autograd.topological_order",
    lambda: (nb("autograd.topological_order"), dict(root=value() * 2)),
    root="object",
)
call(
    "autograd.MLP",
    lambda: (
        nb("autograd.MLP"),
        dict(weights=[X63()[:2].tolist()], biases=[[0.0, 0.1, 0.2]], activation="tanh"),
    ),
    weights="arrays",
    biases="arrays",
    activation="choice",
)
call(
    "autograd.MLP.parameters",
    lambda: (nb("autograd.MLP")([[[1.0], [2.0]]], [[0.0]]).parameters, {}),
)


# checkpoints
def _ckpt_path() -> str:
    import tempfile

    return tempfile.mkdtemp() + "/model.pt"


def _training_state(model: Any) -> dict[str, Any]:
    import torch

    return dict(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        generator=torch.Generator(),
    )


def _to_save() -> tuple[Callable[..., Any], dict[str, Any]]:
    model = torch_model()
    return nb("checkpoints.save_checkpoint"), dict(
        model=model, path=_ckpt_path(), epoch=3, **_training_state(model)
    )


call(
    "checkpoints.save_checkpoint",
    _to_save,
    model="model",
    path="path",
    epoch="metadata",
    optimizer="optimizer",
    generator="generator",
)


def _saved() -> tuple[Callable[..., Any], dict[str, Any]]:
    path, model = _ckpt_path(), torch_model()
    nb("checkpoints.save_checkpoint")(model, path, epoch=3, **_training_state(model))
    model = torch_model()
    return nb("checkpoints.load_checkpoint"), dict(
        model=model, path=path, **_training_state(model)
    )


call(
    "checkpoints.load_checkpoint",
    _saved,
    model="model",
    path="path",
    optimizer="optimizer",
    generator="generator",
)


# conv
def img() -> np.ndarray:
    return _rng().normal(size=(1, 1, 6, 6))


for _f in ("conv2d", "conv2d_direct"):
    call(
        f"conv.{_f}",
        lambda _f=_f: (
            nb(f"conv.{_f}"),
            dict(
                x=img(),
                weight=_rng().normal(size=(2, 1, 3, 3)),
                bias=np.zeros(2),
                stride=1,
                padding=1,
            ),
        ),
        x="array",
        weight="array",
        bias="array?",
        stride="size",
        padding="index",
    )
for _f in ("max_pool2d", "avg_pool2d"):
    call(
        f"conv.{_f}",
        lambda _f=_f: (
            nb(f"conv.{_f}"),
            dict(x=img(), kernel_size=2, stride=2, padding=0),
        ),
        x="array",
        kernel_size="size",
        stride="size?",
        padding="index",
    )
call(
    "conv.correlate2d",
    lambda: (
        nb("conv.correlate2d"),
        dict(image=img()[0, 0], kernel=np.ones((3, 3)), stride=1, padding=0),
    ),
    image="array",
    kernel="array",
    stride="size",
    padding="index",
)
call(
    "conv.im2col",
    lambda: (nb("conv.im2col"), dict(x=img(), kernel_size=3, stride=1, padding=0)),
    x="array",
    kernel_size="size",
    stride="size",
    padding="index",
)
call(
    "conv.output_size",
    lambda: (nb("conv.output_size"), dict(n=6, k=3, stride=1, padding=0)),
    n="size",
    k="size",
    stride="size",
    padding="index",
)

# data (the loaders are probed in tests/test_data.py with made-up files)
call(
    "data.DataBudget",
    lambda: (nb("data.DataBudget"), dict(train=100, test=50, seed=0)),
    train="size",
    test="size",
    seed="seed",
)
call(
    "idx.check_idx_file",
    lambda: (nb("idx.check_idx_file"), dict(path=_idx_file(), ndim=1)),
    path="path",
    ndim="size",
)
call(
    "idx.read_idx",
    lambda: (nb("idx.read_idx"), dict(path=_idx_file(), ndim=1)),
    path="path",
    ndim="size",
)
call(
    "idx.check_against_archive",
    lambda: (nb("idx.check_against_archive"), dict(path=_idx_file())),
    path="path",
)


def _idx_file() -> str:
    import tempfile

    path = tempfile.mkdtemp() + "/labels-idx1-ubyte"
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]))
    return path


def _tiny_mnist() -> str:
    """A data root holding the tests' small MNIST (``conftest.write_tiny_mnist``)."""
    import tempfile
    from pathlib import Path

    from conftest import (
        write_tiny_mnist,
    )  # tests/ is on the path, as this file's folder or pytest's

    root = Path(tempfile.mkdtemp())
    write_tiny_mnist(root)
    return str(root)


call(
    "data.load_mnist",
    lambda: (
        nb("data.load_mnist"),
        dict(
            root=_tiny_mnist(), download=False, budget=nb("data.DataBudget")(20, 10, 0)
        ),
    ),
    root="path?",
    download="bool?",
    budget="object?",
)
call(
    "data.to_tensors",
    lambda: (nb("data.to_tensors"), dict(dataset=torch_data(), flatten=True)),
    dataset="object",
    flatten="bool",
)

# double descent
call(
    "double_descent.double_descent",
    lambda: (
        nb("double_descent.double_descent"),
        dict(dfs=[2, 4], n_train=8, n_test=20, n_repeats=2, sigma=0.3, seed=0),
    ),
    dfs="sizes",
    n_train="size",
    n_test="size",
    n_repeats="count",
    sigma="nonnegative",
    seed="seed",
)
call(
    "double_descent.fit_spline",
    lambda: (
        nb("double_descent.fit_spline"),
        dict(x=np.linspace(-1, 1, 8), y=np.sin(np.linspace(-1, 1, 8)), df=4),
    ),
    x="array",
    y="array",
    df="size",
)
call(
    "double_descent.sample_sine_data",
    lambda: (
        nb("double_descent.sample_sine_data"),
        dict(n=5, sigma=0.3, seed=0, low=-5.0, high=5.0),
    ),
    n="size",
    sigma="nonnegative",
    seed="seed",
    low="real",
    high="real",
)

# gradcheck
call(
    "gradcheck.gradient_check",
    lambda: (
        nb("gradcheck.gradient_check"),
        dict(network=net(), X=X63(), y=labels6(), eps=1e-6),
    ),
    network="object",
    X="array",
    y="labels",
    eps="positive",
)
call(
    "gradcheck.numerical_gradient",
    lambda: (nb("gradcheck.numerical_gradient"), _numgrad()),
    f="function",
    x="point",
    eps="positive",
)


def _numgrad() -> dict[str, Any]:
    x = np.array([1.0, 2.0])
    return dict(f=lambda: float((x**2).sum()), x=x, eps=1e-6)


call(
    "gradcheck.relative_error",
    lambda: (
        nb("gradcheck.relative_error"),
        dict(analytic=np.array([1.0, 2.0]), numeric=np.array([1.0, 2.1])),
    ),
    analytic="array",
    numeric="array",
)

# graph
call("graph.trace", lambda: (nb("graph.trace"), dict(root=value() * 2)), root="object")
call(
    "graph.draw_graph",
    lambda: (nb("graph.draw_graph"), dict(root=value() * 2, fmt=".3g")),
    root="object",
    fmt="object",
)

# history
call(
    "history.has_diverged",
    lambda: (nb("history.has_diverged"), dict(losses=[1.0, 0.5])),
    losses="losses",
)
call("history.History.as_dict", lambda: (nb("history.History")([1.0]).as_dict, {}))

# least squares
call(
    "least_squares.fit_least_squares",
    lambda: (nb("least_squares.fit_least_squares"), dict(X=X63(), y=y6())),
    X="array",
    y="array",
)
call(
    "least_squares.fit_min_norm",
    lambda: (nb("least_squares.fit_min_norm"), dict(X=X63(), y=y6(), rcond=1e-10)),
    X="array",
    y="array",
    rcond="probability",
)
call(
    "least_squares.gradient_descent_least_squares",
    lambda: (
        nb("least_squares.gradient_descent_least_squares"),
        dict(X=X63(), y=y6(), w0=np.zeros(3), eta=0.05, steps=20),
    ),
    X="array",
    y="array",
    w0="array?",
    eta="positive?",
    steps="count",
)

# losses: two-argument losses of (prediction, target) with a reduction
_P = lambda: np.full((6, 3), 1 / 3)  # noqa: E731
for _f, _a, _b, _vals, _kb in (
    ("mse", "a", "y", lambda: (X63(), X63() + 1), "array"),
    (
        "binary_cross_entropy",
        "p",
        "y",
        lambda: (np.full(6, 0.3), np.array([0.0, 1, 0, 1, 0, 1])),
        "array",
    ),
    (
        "binary_cross_entropy_with_logits",
        "z",
        "y",
        lambda: (y6(), np.array([0.0, 1, 0, 1, 0, 1])),
        "array",
    ),
    ("cross_entropy", "logits", "target", lambda: (X63(), labels6()), "labels"),
    ("nll", "log_probs", "labels", lambda: (np.log(_P()), labels6()), "labels"),
    (
        "categorical_cross_entropy",
        "probs",
        "target",
        lambda: (_P(), labels6()),
        "labels",
    ),
):
    for _g in (_f, _f + "_grad"):
        call(
            f"losses.{_g}",
            lambda _g=_g, _a=_a, _b=_b, _vals=_vals: (
                nb(f"losses.{_g}"),
                {_a: _vals()[0], _b: _vals()[1], "reduction": "mean"},
            ),
            nan_ok=(_a,),
            **{_a: "scores" if _a == "z" else "array", _b: _kb, "reduction": "choice"},
        )
for _f in ("log_softmax", "softmax"):
    call(
        f"losses.{_f}",
        lambda _f=_f: (nb(f"losses.{_f}"), dict(z=X63(), axis=-1)),
        nan_ok=("z",),
        z="values",
        axis="object",
    )
call(
    "losses.one_hot",
    lambda: (nb("losses.one_hot"), dict(labels=labels6(), num_classes=3)),
    labels="label array",
    num_classes="size",
)

# models
call(
    "models.count_parameters",
    lambda: (
        nb("models.count_parameters"),
        dict(model=torch_model(), trainable_only=True),
    ),
    model="model",
    trainable_only="bool",
)
call(
    "models.mlp",
    lambda: (
        nb("models.mlp"),
        dict(sizes=[4, 5, 3], activation="relu", seed=0, init="he", dropout=0.5),
    ),
    sizes="sizes",
    activation="choice",
    seed="seed",
    init="choice",
    dropout="coefficient",
)
call(
    "models.small_cnn",
    lambda: (
        nb("models.small_cnn"),
        dict(
            channels=(1, 2, 3),
            n_classes=10,
            image_size=12,
            kernel_size=3,
            activation="relu",
            seed=0,
            init="xavier",
        ),
    ),
    channels="sizes",
    n_classes="size",
    image_size="size",
    kernel_size="size",
    activation="choice",
    seed="seed",
    init="choice",
)

# network
call(
    "network.Network",
    lambda: (
        nb("network.Network"),
        dict(
            sizes=(3, 4, 3),
            activation="sigmoid",
            seed=0,
            init="scaled",
            dtype=np.float64,
        ),
    ),
    sizes="sizes",
    activation="choice",
    seed="seed",
    init="choice",
    dtype="dtype",
)
call(
    "network.Network.from_parameters",
    lambda: (
        nb("network.Network").from_parameters,
        dict(weights=[np.ones((3, 4))], biases=[np.zeros(4)], activation="sigmoid"),
    ),
    weights="arrays",
    biases="arrays",
    activation="choice",
)
call(
    "network.Network.forward_layers",
    lambda: (net().forward_layers, dict(X=X63())),
    X="batch",
)
call("network.Network.forward", lambda: (net().forward, dict(X=X63())), X="batch")
call("network.Network.predict", lambda: (net().predict, dict(X=X63())), X="batch")
call(
    "network.Network.backprop",
    lambda: (net().backprop, dict(X=X63(), y=labels6())),
    X="array",
    y="labels",
)
call(
    "network.Network.accuracy",
    lambda: (net().accuracy, dict(X=X63(), y=labels6())),
    X="array",
    y="labels",
)
call(
    "network.Network.loss",
    lambda: (net().loss, dict(X=X63(), y=labels6(), lmbda=0.1, n=6, penalty="l2")),
    X="array",
    y="labels",
    lmbda="nonnegative",
    n="size?",
    penalty="choice",
)
call(
    "network.Network.sgd_step",
    lambda: (
        net().sgd_step,
        dict(X=X63(), y=labels6(), eta=0.5, lmbda=0.1, n=6, penalty="l2"),
    ),
    X="array",
    y="labels",
    eta="positive",
    lmbda="nonnegative",
    n="size?",
    penalty="choice",
)
call(
    "network.Network.train_sgd",
    lambda: (
        net().train_sgd,
        dict(
            X=X63(),
            y=labels6(),
            epochs=2,
            batch_size=3,
            eta=0.5,
            seed=0,
            lmbda=0.1,
            penalty="l2",
            monitor=True,
        ),
    ),
    X="array",
    y="labels",
    epochs="count",
    batch_size="size",
    eta="positive",
    seed="seed",
    lmbda="nonnegative",
    penalty="choice",
    monitor="bool",
)
call("network.Gradients.flat", lambda: (net().backprop(X63(), labels6()).flat, {}))
call(
    "network.collapse_linear",
    lambda: (
        nb("network.collapse_linear"),
        dict(network=nb("network.Network")((3, 4, 2), activation="identity")),
    ),
    network="object",
)

# neuron
for _f in ("neuron", "perceptron", "sigmoid_neuron", "weighted_input"):
    call(
        f"neuron.{_f}",
        lambda _f=_f: (nb(f"neuron.{_f}"), dict(x=X63(), w=np.ones(3), b=0.5)),
        x="array",
        w="array",
        b="real",
    )
call(
    "neuron.PartyDecision",
    lambda: (nb("neuron.PartyDecision"), dict(weights=(2.0, 4.0, -3.0), threshold=2.5)),
    weights="array",
    threshold="real",
)
for _m in ("inputs", "weighted_input", "output", "perceptron", "contributions"):
    call(
        f"neuron.PartyDecision.{_m}",
        lambda _m=_m: (
            getattr(nb("neuron.PartyDecision")(), _m),
            dict(x=np.array([1.0, 0.0, 1.0])),
        ),
        x="array",
    )


# optim
def _q() -> Any:
    return nb("optim.quadratic")(np.diag([1.0, 4.0]))


call(
    "optim.quadratic",
    lambda: (nb("optim.quadratic"), dict(A=np.diag([1.0, 4.0]), b=np.ones(2), c=0.0)),
    A="array",
    b="array?",
    c="real",
)
call("optim.Quadratic.loss", lambda: (_q().loss, dict(w=np.ones(2))), w="array")
call("optim.Quadratic.grad", lambda: (_q().grad, dict(w=np.ones(2))), w="array")
call(
    "optim.Quadratic.gd_iterate",
    lambda: (_q().gd_iterate, dict(w0=np.ones(2), eta=0.1, k=5)),
    w0="array",
    eta="positive",
    k="count",
)
call(
    "optim.gradient_descent",
    lambda: (
        nb("optim.gradient_descent"),
        dict(
            grad=_q().grad,
            w0=np.ones(2),
            eta=0.1,
            steps=10,
            loss=_q().loss,
            record_every=1,
            max_growth=1e6,
            warn=True,
        ),
    ),
    grad="function",
    w0="point",
    eta="positive",
    steps="count",
    record_every="size",
    max_growth="positive",
    warn="bool",
)
call(
    "optim.momentum",
    lambda: (
        nb("optim.momentum"),
        dict(
            grad=_q().grad, w0=np.ones(2), eta=0.1, gamma=0.5, steps=10, loss=_q().loss
        ),
    ),
    grad="function",
    w0="point",
    eta="positive",
    gamma="coefficient",
    steps="count",
)
call(
    "optim.Trajectory.steps_to_reach",
    lambda: (
        nb("optim.gradient_descent")(
            _q().grad, np.ones(2), 0.1, 10, _q().loss
        ).steps_to_reach,
        dict(tol=0.5, loss_star=0.0),
    ),
    tol="positive",
    loss_star="real",
)


def _grad_batch(w: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return w - idx.mean()


call(
    "optim.minibatch_indices",
    lambda: (nb("optim.minibatch_indices"), dict(n_samples=10, batch_size=3, seed=0)),
    n_samples="size",
    batch_size="size",
    seed="seed",
)
call(
    "optim.minibatch_sgd",
    lambda: (
        nb("optim.minibatch_sgd"),
        dict(
            grad_batch=_grad_batch,
            w0=np.ones(2),
            n_samples=10,
            eta=0.1,
            batch_size=3,
            epochs=2,
            seed=0,
            gamma=0.0,
        ),
    ),
    grad_batch="function",
    w0="point",
    n_samples="size",
    eta="positive",
    batch_size="size",
    epochs="count",
    seed="seed",
    gamma="coefficient",
)
call(
    "optim.gradient_noise",
    lambda: (
        nb("optim.gradient_noise"),
        dict(
            grad_batch=_grad_batch,
            w=np.ones(2),
            n_samples=10,
            batch_sizes=[2, 5],
            draws=5,
            seed=0,
        ),
    ),
    grad_batch="function",
    w="point",
    n_samples="size",
    batch_sizes="sizes",
    draws="count",
    seed="seed",
)


# optimizers, schedules, init
def _two() -> list[np.ndarray]:
    return [np.ones((2, 3)), np.zeros(3)]


call(
    "optim.optimize",
    lambda: (
        nb("optim.optimize"),
        dict(
            grad=_q().grad,
            w0=np.ones(2),
            steps=10,
            optimizer=nb("optimizers.Adam"),
            loss=_q().loss,
            record_every=1,
            max_growth=1e6,
            warn=True,
            eta=0.1,
        ),
    ),
    grad="function",
    w0="point",
    steps="count",
    optimizer="optimizer",
    record_every="size",
    max_growth="positive",
    warn="bool",
    eta="positive",
)
call(
    "optimizers.SGD",
    lambda: (
        nb("optimizers.SGD"),
        dict(
            params=_two(),
            eta=0.1,
            gamma=0.9,
            dampening=0.1,
            nesterov=False,
            weight_decay=0.01,
        ),
    ),
    params="arrays",
    eta="positive",
    gamma="coefficient",
    dampening="probability",
    nesterov="bool",
    weight_decay="nonnegative",
)
call(
    "optimizers.Adagrad",
    lambda: (
        nb("optimizers.Adagrad"),
        dict(
            params=_two(),
            eta=0.1,
            eta_decay=0.01,
            weight_decay=0.01,
            initial_accumulator_value=0.1,
            eps=1e-10,
        ),
    ),
    params="arrays",
    eta="positive",
    eta_decay="nonnegative",
    weight_decay="nonnegative",
    initial_accumulator_value="nonnegative",
    eps="nonnegative",
)
call(
    "optimizers.RMSprop",
    lambda: (
        nb("optimizers.RMSprop"),
        dict(
            params=_two(),
            eta=0.01,
            alpha=0.99,
            eps=1e-8,
            weight_decay=0.01,
            gamma=0.9,
            centered=True,
        ),
    ),
    params="arrays",
    eta="positive",
    alpha="probability",
    eps="nonnegative",
    weight_decay="nonnegative",
    gamma="coefficient",
    centered="bool",
)
for _adam in ("Adam", "AdamW"):
    call(
        f"optimizers.{_adam}",
        lambda name=_adam: (
            nb(f"optimizers.{name}"),
            dict(
                params=_two(),
                eta=0.01,
                betas=(0.9, 0.999),
                eps=1e-8,
                weight_decay=0.01,
                amsgrad=True,
            ),
        ),
        params="arrays",
        eta="positive",
        betas="object",
        eps="nonnegative",
        weight_decay="nonnegative",
        amsgrad="bool",
    )
call(
    "optimizers.Optimizer.step",
    lambda: (
        nb("optimizers.Adam")(_two(), eta=0.01).step,
        dict(grads=[np.ones((2, 3)), np.ones(3)]),
    ),
    grads="arrays",
)
call(
    "schedules.step_decay",
    lambda: (nb("schedules.step_decay"), dict(t=40, eta=0.1, step_size=30, factor=0.5)),
    t="count",
    eta="positive",
    step_size="size",
    factor="probability",
)
call(
    "schedules.cosine",
    lambda: (
        nb("schedules.cosine"),
        dict(t=40, eta=0.1, total_steps=100, eta_min=0.001),
    ),
    t="count",
    eta="positive",
    total_steps="size",
    eta_min="nonnegative",
)
call(
    "schedules.linear_warmup",
    lambda: (
        nb("schedules.linear_warmup"),
        dict(t=4, eta=0.1, warmup_steps=10, start_factor=0.25),
    ),
    t="count",
    eta="positive",
    warmup_steps="size",
    start_factor="probability",
)
call(
    "schedules.one_cycle",
    lambda: (
        nb("schedules.one_cycle"),
        dict(
            t=40,
            eta_max=0.1,
            total_steps=100,
            pct_start=0.3,
            div_factor=25.0,
            final_div_factor=1e4,
        ),
    ),
    t="count",
    eta_max="positive",
    total_steps="size",
    pct_start="probability",
    div_factor="positive",
    final_div_factor="positive",
)
call(
    "schedules.one_cycle_momentum",
    lambda: (
        nb("schedules.one_cycle_momentum"),
        dict(
            t=40, total_steps=100, pct_start=0.3, base_momentum=0.85, max_momentum=0.95
        ),
    ),
    t="count",
    total_steps="size",
    pct_start="probability",
    base_momentum="coefficient",
    max_momentum="coefficient",
)
call(
    "init.std",
    lambda: (nb("init.std"), dict(scheme="he", fan_in=784, fan_out=100)),
    scheme="choice",
    fan_in="size",
    fan_out="size",
)

# plot
call(
    "plot.confusion_counts",
    lambda: (
        nb("plot.confusion_counts"),
        dict(y_true=labels6(), y_pred=labels6()[::-1], n_classes=3),
    ),
    y_true="labels",
    y_pred="labels",
    n_classes="size?",
)
call(
    "plot.most_confident_mistakes",
    lambda: (
        nb("plot.most_confident_mistakes"),
        dict(
            probabilities=np.full((6, 3), 1 / 3) + np.eye(3)[[1, 2, 0, 1, 2, 0]],
            labels=labels6(),
            k=2,
        ),
    ),
    probabilities="array",
    labels="labels",
    k="size",
)
call(
    "plot.confusion_matrix",
    lambda: (
        nb("plot.confusion_matrix"),
        dict(y_true=labels6(), y_pred=labels6()[::-1], n_classes=3, normalize=True),
    ),
    y_true="labels",
    y_pred="labels",
    n_classes="size?",
    normalize="bool",
)
call(
    "plot.image_grid",
    lambda: (
        nb("plot.image_grid"),
        dict(images=np.zeros((4, 5, 5)), labels=[0, 1, 2, 3], ncols=2, size=1.0),
    ),
    images="array",
    ncols="size",
    size="positive",
)
call(
    "plot.learning_curves",
    lambda: (
        nb("plot.learning_curves"),
        dict(history=nb("history.History")([1.0, 0.5])),
    ),
    history="object",
)
call(
    "plot.decision_boundary",
    lambda: (
        nb("plot.decision_boundary"),
        dict(
            predict=lambda X: (X[:, 0] > 0).astype(int),
            X=X63()[:, :2],
            y=labels6() % 2,
            resolution=20,
            padding=0.5,
        ),
    ),
    predict="function",
    X="array",
    y="labels",
    resolution="size",
    padding="nonnegative",
)
call(
    "plot.network_diagram",
    lambda: (
        nb("plot.network_diagram"),
        dict(network=net(), x=X63()[0], max_width=4.0),
    ),
    network="object",
    x="array",
    max_width="positive",
)


# regularization
def ws() -> list[np.ndarray]:
    return [X63(), np.ones((2, 6))]


for _f in ("l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad"):
    call(
        f"regularization.{_f}",
        lambda _f=_f: (nb(f"regularization.{_f}"), dict(weights=ws(), lmbda=0.1, n=10)),
        weights="arrays",
        lmbda="nonnegative",
        n="size",
    )
for _f in ("penalty", "penalty_grad"):
    call(
        f"regularization.{_f}",
        lambda _f=_f: (
            nb(f"regularization.{_f}"),
            dict(weights=ws(), lmbda=0.1, n=10, kind="l1"),
        ),
        weights="arrays",
        lmbda="nonnegative",
        n="size",
        kind="choice",
    )
call(
    "regularization.l1_proximal_step",
    lambda: (
        nb("regularization.l1_proximal_step"),
        dict(weights=ws(), eta=0.1, lmbda=0.1, n=10),
    ),
    weights="arrays",
    eta="positive",
    lmbda="nonnegative",
    n="size",
)
call(
    "regularization.soft_threshold",
    lambda: (nb("regularization.soft_threshold"), dict(w=X63(), threshold=0.2)),
    w="values",
    threshold="nonnegative",
)
call(
    "regularization.sparsity",
    lambda: (nb("regularization.sparsity"), dict(weights=ws(), atol=0.0)),
    weights="arrays",
    atol="nonnegative",
)
call(
    "regularization.ridge",
    lambda: (nb("regularization.ridge"), dict(X=X63(), y=y6(), lmbda=0.1)),
    X="array",
    y="array",
    lmbda="nonnegative",
)
call(
    "regularization.dropout",
    lambda: (nb("regularization.dropout"), dict(a=X63(), p=0.5, seed=0, training=True)),
    a="values",
    p="probability",
    seed="seed",
    training="bool",
)
call(
    "regularization.model_penalty",
    lambda: (
        nb("regularization.model_penalty"),
        dict(model=torch_model(), lmbda=0.1, n=10, kind="l2"),
    ),
    model="model",
    lmbda="nonnegative",
    n="size",
    kind="choice",
)
call(
    "regularization.penalized_loss",
    lambda: (
        nb("regularization.penalized_loss"),
        dict(model=torch_model(), lmbda=0.1, n=10, kind="l2"),
    ),
    model="model",
    lmbda="nonnegative",
    n="size",
    kind="choice",
)
call(
    "regularization.proximal_sgd",
    lambda: (
        nb("regularization.proximal_sgd"),
        dict(model=torch_model(), lmbda=0.1, n=10, eta=0.1),
    ),
    model="model",
    lmbda="nonnegative",
    n="size",
    eta="positive",
)
call(
    "regularization.weights_of",
    lambda: (nb("regularization.weights_of"), dict(model=torch_model())),
    model="model",
)
call(
    "regularization.param_groups",
    lambda: (
        nb("regularization.param_groups"),
        dict(model=torch_model(), weight_decay=0.1),
    ),
    model="model",
)
call(
    "regularization.output_sensitivity",
    lambda: (
        nb("regularization.output_sensitivity"),
        dict(
            model=torch_model(),
            X=torch_data().tensors[0],
            epsilon=0.1,
            n_draws=2,
            seed=0,
            output="probabilities",
        ),
    ),
    model="model",
    X="array",
    epsilon="positive",
    n_draws="size",
    seed="seed",
    output="choice",
)

# splines
_xs = lambda: np.linspace(-1, 1, 9)  # noqa: E731
call(
    "splines.spline_knots",
    lambda: (nb("splines.spline_knots"), dict(x=_xs(), df=4)),
    x="array",
    df="size",
)
call(
    "splines.natural_spline_basis",
    lambda: (nb("splines.natural_spline_basis"), dict(x=_xs(), df=4)),
    x="array",
    df="size",
)
call(
    "splines.truncated_power_basis",
    lambda: (nb("splines.truncated_power_basis"), dict(x=_xs(), knots=[-0.5, 0.5])),
    x="array",
    knots="array",
)
call(
    "splines.NaturalSplineBasis",
    lambda: (nb("splines.NaturalSplineBasis"), dict(knots=np.array([-1.0, 0, 1]))),
    knots="array",
)
call(
    "splines.NaturalSplineBasis.from_data",
    lambda: (nb("splines.NaturalSplineBasis").from_data, dict(x=_xs(), df=4)),
    x="array",
    df="size",
)
call(
    "splines.NaturalSplineBasis.derivative",
    lambda: (
        nb("splines.NaturalSplineBasis")(np.array([-1.0, 0, 1])).derivative,
        dict(x=_xs(), order=1),
    ),
    x="array",
    order="index",
)
for _f in ("roughness", "total_variation"):
    call(
        f"splines.{_f}",
        lambda _f=_f: (
            nb(f"splines.{_f}"),
            dict(
                basis=nb("splines.NaturalSplineBasis")(np.array([-1.0, 0, 1])),
                coef=np.array([1.0, 2.0, 3.0]),
            ),
        ),
        basis="object",
        coef="array",
    )


# splits
def _stratified(labels: Any, sizes: Any, seed: Any) -> Any:
    """``stratified_split`` takes its part sizes as ``*sizes``; the probe passes one."""
    return nb("splits.stratified_split")(labels, sizes, seed=seed)


call(
    "splits.stratified_split",
    lambda: (_stratified, dict(labels=np.repeat([0, 1, 2], 10), sizes=0.3, seed=0)),
    labels="labels",
    sizes="probability",
    seed="seed",
)
call(
    "splits.train_validation_split",
    lambda: (
        nb("splits.train_validation_split"),
        dict(dataset=torch_data(), validation_size=0.25, seed=0),
    ),
    dataset="object",
    validation_size="probability",
    seed="seed",
)
call(
    "splits.train_validation_test_split",
    lambda: (
        nb("splits.train_validation_test_split"),
        dict(dataset=torch_data(), validation_size=0.25, test_size=0.25, seed=0),
    ),
    dataset="object",
    validation_size="probability",
    test_size="probability",
    seed="seed",
)

# synthetic
for _f in ("two_moons", "xor_blobs"):
    call(
        f"synthetic.{_f}",
        lambda _f=_f: (nb(f"synthetic.{_f}"), dict(n=20, noise=0.1, seed=0)),
        n="size",
        noise="nonnegative",
        seed="seed",
    )


# train
def _fit() -> Any:
    """train.fit, its first call's one-off import of torch._dynamo (seconds, by torch.optim) done untimed."""
    import torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    return nb("train.fit")


call(
    "train.fit",
    lambda: (
        _fit(),
        dict(
            model=torch_model(),
            train=torch_data(),
            val=torch_data(),
            eta=0.1,
            gamma=0.5,
            weight_decay=0.01,
            epochs=2,
            batch_size=4,
            seed=0,
            progress=False,
            early_stopping=None,
            restore_best=False,
        ),
    ),
    model="model",
    train="object",
    val="object?",
    eta="positive",
    gamma="coefficient",
    weight_decay="nonnegative",
    epochs="count",
    batch_size="size",
    seed="seed",
    progress="bool?",
    restore_best="bool",
)
call(
    "train.evaluate",
    lambda: (
        nb("train.evaluate"),
        dict(model=torch_model(), data=torch_data(), batch_size=5),
    ),
    model="model",
    data="object",
    batch_size="size",
)
for _f in ("outputs", "predict"):
    call(
        f"train.{_f}",
        lambda _f=_f: (
            nb(f"train.{_f}"),
            dict(model=torch_model(), data=torch_data(), batch_size=5),
        ),
        model="model",
        data="object",
        batch_size="size",
    )
call("train.set_seed", lambda: (nb("train.set_seed"), dict(seed=0)), seed="seed")

# widgets
call(
    "widgets.widget_html",
    lambda: (nb("widgets.widget_html"), dict(kind="sigmoid-neuron", w=1.0)),
    kind="choice",
    w="metadata",
)  # w: any JSON value; NaN is refused (test_widget_html)
call(
    "widgets.export_network_json",
    lambda: (
        nb("widgets.export_network_json"),
        dict(
            model=nb("models.small_cnn")((1, 2, 3), seed=0),
            path=_ckpt_path() + ".json",
            input_description={"image_shape": [28, 28]},
        ),
    ),
    model="model",
    path="path",
    input_description="metadata",
)


def _choice() -> Any:
    return nb("widgets.Choice")(
        "Which is $\\sigma(0)$?", options=["0", "1/2"], answer=1, explanation="e^0 = 1."
    )


call(
    "widgets.Choice",
    lambda: (
        nb("widgets.Choice"),
        dict(
            question="Which is $\\sigma(0)$?",
            options=["0", "1/2", "1"],
            answer=1,
            explanation="Because $e^0 = 1$.",
        ),
    ),
    question="text",
    options="object",  # "abc" is a str, not a list of options
    answer="index",
    explanation="text",
)
call(
    "widgets.Number",
    lambda: (
        nb("widgets.Number"),
        dict(
            question="What is $\\sigma'(0)$?",
            answer=0.25,
            tolerance=0.005,
            explanation="$\\sigma(0)(1 - \\sigma(0))$.",
            unit="s",
        ),
    ),
    question="text",
    answer="real",
    tolerance="nonnegative",
    explanation="text",
    unit="text?",
)
call(
    "widgets.self_check",
    lambda: (
        nb("widgets.self_check"),
        dict(questions=[_choice()], title="Check yourself"),
    ),
    questions="object",
    title="text?",
)


# --- running one bad call ---------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that library code does not swallow it."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def numbers(result: Any, depth: int = 0) -> list[float]:
    """Every number in ``result`` (arrays, tensors, models, containers, dataclasses), for comparison."""
    if depth > 6 or result is None or isinstance(result, (str, bytes)):
        return []
    if isinstance(result, (bool, int, float, np.number, np.bool_)):
        return [float(result)]
    if hasattr(result, "detach"):
        result = result.detach().cpu().numpy()
    if isinstance(result, np.ndarray):
        return (
            result.astype(float).ravel().tolist() if result.dtype.kind in "biuf" else []
        )
    if hasattr(result, "state_dict") and callable(result.state_dict):
        return (
            numbers(list(result.state_dict().values()), depth + 1)
            if hasattr(result, "parameters")
            else []
        )
    if dataclasses.is_dataclass(result):
        return numbers(
            [getattr(result, f.name) for f in dataclasses.fields(result)], depth + 1
        )
    if isinstance(result, dict):
        return numbers(list(result.values()), depth + 1)
    if isinstance(result, (list, tuple)):
        return [x for item in result for x in numbers(item, depth + 1)]
    if hasattr(result, "data") and isinstance(
        getattr(result, "data"), (int, float)
    ):  # an autograd Value
        return [float(result.data)]
    return []


@dataclass
class Outcome:
    name: str
    argument: str
    bad: str
    category: str
    detail: str = ""


def run(
    call_: Call, argument: str | None, bad: Callable[[Any], Any] | None
) -> tuple[str, Any, str]:
    """Make the call (with ``argument`` replaced by ``bad(valid value)``); return (category, result, detail)."""
    fn, kwargs = call_.make()
    if argument is not None and bad is not None:
        kwargs[argument] = bad(kwargs.get(argument))
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fn(**kwargs)
    except _Timeout:
        return "hang", None, f"no answer in {TIMEOUT:g} s"
    except MemoryError:
        return "hang", None, "MemoryError"
    except (TypeError, ValueError) as error:
        message = str(error)
        if argument is not None and re.search(
            rf"(?<![\w.]){re.escape(argument)}(?!\w)", message
        ):
            return "clear", None, f"{type(error).__name__}: {message}"
        return "obscure", None, f"{type(error).__name__}: {message}"
    except Exception as error:  # noqa: BLE001 - sorting every failure is the point
        return "obscure", None, f"{type(error).__name__}: {error}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        with contextlib.suppress(Exception):
            import matplotlib.pyplot as plt

            plt.close("all")
    own = [
        w for w in caught if getattr(w.category, "__module__", "").startswith("nnbook")
    ]
    if own:
        return "documented", result, f"{own[0].category.__name__}: {own[0].message}"
    return "returned", result, ""


def reference(call_: Call) -> list[float]:
    """The numbers the valid call returns, which a bad call's result is compared with."""
    status, valid, detail = run(call_, None, None)
    if status != "returned":
        raise RuntimeError(f"the valid call of {call_.name} failed: {detail}")
    return numbers(valid)


def classify(
    call_: Call,
    argument: str,
    label: str,
    bad: Callable[[Any], Any],
    valid: list[float],
) -> Outcome:
    """Make one bad call and sort its outcome into one of :data:`CATEGORIES`."""
    category, result, detail = run(call_, argument, bad)
    if category == "returned":
        found = numbers(result)
        if not all(math.isfinite(x) for x in found):
            category = "documented" if argument in call_.nan_ok else "nan"
        elif len(found) == len(valid) and np.allclose(found, valid, equal_nan=True):
            category = "accepted"
        else:
            category = "wrong"
    return Outcome(call_.name, argument, label, category, detail)


def bad_values(kind: str) -> list[tuple[str, Callable[[Any], Any]]]:
    """The bad values of a kind; ``"size?"`` is a size where None is documented as valid."""
    values = BAD[kind.rstrip("?")]
    return [
        (label, bad)
        for label, bad in values
        if not (kind.endswith("?") and label == "None")
    ]


def probe(call_: Call) -> list[Outcome]:
    """Every bad value of every argument of one call, sorted into the categories."""
    valid = reference(call_)
    return [
        classify(call_, argument, label, bad, valid)
        for argument, kind in call_.kinds.items()
        for label, bad in bad_values(kind)
    ]


def warm_up() -> None:
    """Import the heavy libraries before any timer runs: an import cut short by the alarm breaks them."""
    import matplotlib

    matplotlib.use("Agg")
    for module in (
        "torch",
        "torchvision",
        "torchvision.transforms",
        "matplotlib.pyplot",
        "nnbook.data",
        "nnbook.train",
        "nnbook.plot",
        "nnbook.widgets",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def limit_memory(gigabytes: float = 8.0) -> None:
    """Turn runaway allocations into MemoryError (counted as a hang) instead of swapping."""
    limit = int(gigabytes * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str]) -> int:
    import os
    import tempfile

    os.chdir(
        tempfile.mkdtemp()
    )  # bad paths such as "abc" are written here, not into the repository
    warm_up()
    limit_memory()
    outcomes: list[Outcome] = []
    only = [a for a in argv if not a.startswith("--")]
    for call_ in CALLS:
        if only and not any(call_.name.startswith(prefix) for prefix in only):
            continue
        try:
            outcomes += probe(call_)
        except Exception as error:  # noqa: BLE001 - a broken entry is reported, not fatal
            print(f"skipped {call_.name}: {error}", file=sys.stderr)
    counts = Counter(o.category for o in outcomes)
    total = len(outcomes)
    print(f"{len({o.name for o in outcomes})} public callables, {total} bad calls")
    for category in CATEGORIES:
        print(
            f"  {category:<11}{counts[category]:>6}  {100 * counts[category] / max(total, 1):5.1f} %"
        )
    if "--details" in argv:
        for o in outcomes:
            if o.category not in OK:
                print(
                    f"{o.category:<9} {o.name}({o.argument}={o.bad}) {o.detail[:150]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
