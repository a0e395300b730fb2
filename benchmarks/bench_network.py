"""How much faster is the batched from-scratch network than back-propagation one example at a time?

Run from ``benchmarks/`` (with ``NNBOOK_DATA`` pointing at the MNIST data)::

    ../.venv/bin/python bench_network.py

The textbook algorithm, as Nielsen writes it in *Neural Networks and Deep
Learning* (chapters 1 and 2), trains a
mini-batch by running back-propagation once per example, on column vectors,
and adding up the gradients. ``nnbook.network.Network`` back-propagates a
whole mini-batch at once, one matrix product per layer and direction. Both
do exactly the same arithmetic: the 784-30-10 network of the MNIST lab with
sigmoid neurons everywhere, the quadratic cost, η = 3.0, one epoch of
mini-batch SGD. :func:`reference_epoch` below is the per-example algorithm,
written here in plain NumPy as a reference; before timing, the benchmark
checks that one mini-batch step of each, from the same weights, gives the
same weights (to 1e-12).

Each row times one epoch of each over the same fixed 2,000 training images
of the MNIST sample (a subset keeps the whole benchmark well under two
minutes; the per-image cost does not depend on how many images there are)
and reports the median ratio reference / ours. Ours runs at mini-batches
of 10 and 100, in float64 and in float32; the reference always runs in
float64, as the textbook code does, at the same mini-batch size. The target,
">= 10", is for mini-batch 10; the rows at mini-batch 100 are for comparison.
Each network row also records the seconds per mini-batch of the first
layer's two large matrix products (:func:`first_layer_products`), the part
of a step that no amount of care in Python can make faster.

Two more rows time :func:`bare_epoch`, the batched algorithm written as
straight-line NumPy with nothing but its arithmetic (mini-batch 10, float32
and float64): the difference between it and ``nnbook.network`` is the price
of the network's generality (checked inputs, any activation and loss,
numerically safe functions). The rows ``network-vs-bare-b10-*`` time the two
side by side in one run (target: the network at least 0.8 times as fast),
and ``tricks-b10-*`` time the bare loop against :func:`tricks_epoch`, the
same loop with the speed tricks that the readable network leaves out.

Nothing here asserts a time: timings depend on the machine and on whatever
else runs on it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np
from harness import Comparison, Row, alternate, ratio_row, timed

from nnbook.data import book_budget, load_mnist, to_tensors
from nnbook.network import Network

#: The network of the MNIST lab, and the textbook's learning rate for it.
SIZES = (784, 30, 10)
ETA = 3.0
#: Images per timed epoch.
IMAGES = 2000


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z) (1 - σ(z)), written as the textbook writes it (σ evaluated twice)."""
    return sigmoid(z) * (1 - sigmoid(z))


def reference_backprop(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The gradient of the quadratic cost for ONE example ``x`` (a column), target ``y`` (a column).

    ``weights[l]`` has shape (n_out, n_in) and ``biases[l]`` (n_out, 1).
    """
    grad_w = [np.zeros(w.shape) for w in weights]
    grad_b = [np.zeros(b.shape) for b in biases]
    a, activations, zs = x, [x], []
    for w, b in zip(weights, biases):
        z = np.dot(w, a) + b
        a = sigmoid(z)
        zs.append(z)
        activations.append(a)
    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])  # BP1
    grad_b[-1] = delta  # BP3
    grad_w[-1] = np.dot(delta, activations[-2].T)  # BP4
    for l in range(2, len(weights) + 1):
        delta = np.dot(weights[-l + 1].T, delta) * sigmoid_prime(zs[-l])  # BP2
        grad_b[-l] = delta
        grad_w[-l] = np.dot(delta, activations[-l - 1].T)
    return grad_w, grad_b


def reference_step(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    batch: list[tuple[np.ndarray, np.ndarray]],
    eta: float,
) -> None:
    """One SGD step on a mini-batch: back-propagate each example, add up, step (in place)."""
    sum_w = [np.zeros(w.shape) for w in weights]
    sum_b = [np.zeros(b.shape) for b in biases]
    for x, y in batch:
        grad_w, grad_b = reference_backprop(weights, biases, x, y)
        sum_w = [s + g for s, g in zip(sum_w, grad_w)]
        sum_b = [s + g for s, g in zip(sum_b, grad_b)]
    weights[:] = [w - (eta / len(batch)) * gw for w, gw in zip(weights, sum_w)]
    biases[:] = [b - (eta / len(batch)) * gb for b, gb in zip(biases, sum_b)]


def reference_epoch(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    examples: list[tuple[np.ndarray, np.ndarray]],
    batch_size: int,
    eta: float,
    rng: np.random.Generator,
) -> None:
    """One epoch of mini-batch SGD, one example at a time within each mini-batch."""
    order = rng.permutation(len(examples))
    for start in range(0, len(examples), batch_size):
        reference_step(
            weights,
            biases,
            [examples[i] for i in order[start : start + batch_size]],
            eta,
        )


def bare_epoch(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    batch_size: int,
    eta: float,
    rng: np.random.Generator,
) -> None:
    """One epoch of batched mini-batch SGD with nothing but the arithmetic, for 784-30-10 only.

    The same algorithm and the same NumPy operations as ``Network.train_sgd``
    (one matrix product per layer and direction, each error row divided by
    the batch size once, then ``w -= eta * nabla_w``), written as
    straight-line code: no checks, no choice of activation or loss, no
    error-state handling. The difference between it and ``nnbook.network``
    is the price of the network's generality and safety.
    """
    (W1, W2), (b1, b2) = weights, biases
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        x, y = X[idx], Y[idx]
        a1 = 1 / (1 + np.exp(-(x @ W1 + b1)))
        a2 = 1 / (1 + np.exp(-(a1 @ W2 + b2)))
        delta2 = (a2 - y) * (a2 * (1 - a2)) / len(idx)
        delta1 = (delta2 @ W2.T) * (a1 * (1 - a1))
        W2 -= eta * (a1.T @ delta2)
        b2 -= eta * delta2.sum(axis=0)
        W1 -= eta * (x.T @ delta1)
        b1 -= eta * delta1.sum(axis=0)


def tricks_epoch(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    batch_size: int,
    eta: float,
    rng: np.random.Generator,
) -> None:
    """:func:`bare_epoch` with the speed tricks that ``nnbook.network`` does not use.

    ``X.take`` instead of ``X[idx]``, ``a.dot(w)`` and in-place additions
    instead of ``a @ w + b``, the learning rate folded into the output error
    (BP2-BP4 are linear in it, so every gradient comes out multiplied by
    ``eta`` and the large weight gradients are never scaled), and weights
    stored column by column (pass Fortran-ordered arrays). The row
    ``tricks-b10-*`` measures what they would gain.
    """
    (W1, W2), (b1, b2) = weights, biases
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        x, y = X.take(idx, axis=0), Y.take(idx, axis=0)
        a1 = x.dot(W1)
        a1 += b1
        a1 = 1 / (1 + np.exp(-a1))
        a2 = a1.dot(W2)
        a2 += b2
        a2 = 1 / (1 + np.exp(-a2))
        delta2 = a2 - y
        delta2 *= a2 * (1 - a2)
        delta2 *= eta / len(idx)
        delta1 = delta2.dot(W2.T)
        delta1 *= a1 * (1 - a1)
        b2 -= delta2.sum(axis=0)
        W2 -= delta2.T.dot(a1).T
        b1 -= delta1.sum(axis=0)
        W1 -= delta1.T.dot(x).T


def as_columns(
    X: np.ndarray, labels: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The examples as the textbook code keeps them: (784 x 1 image, 10 x 1 one-hot target) pairs."""
    targets = np.eye(SIZES[-1])[labels]
    return [(x.reshape(-1, 1), t.reshape(-1, 1)) for x, t in zip(X, targets)]


def check_same_arithmetic(X: np.ndarray, labels: np.ndarray) -> None:
    """Fail loudly unless one step of each, from the same weights, ends with the same weights."""
    ours = Network(SIZES, "sigmoid", loss="quadratic", seed=0)
    weights = [w.T.copy(order="C") for w in ours.weights]
    biases = [b.reshape(-1, 1).copy() for b in ours.biases]
    ours.sgd_step(X[:10], labels[:10], ETA)
    reference_step(weights, biases, as_columns(X[:10], labels[:10]), ETA)
    bare_w, bare_b = [w.T.copy() for w in weights], [b[:, 0].copy() for b in biases]
    for w, b, w_ref, b_ref in zip(ours.weights, ours.biases, weights, biases):
        if not (
            np.allclose(w, w_ref.T, rtol=0, atol=1e-12)
            and np.allclose(b, b_ref[:, 0], rtol=0, atol=1e-12)
        ):
            raise AssertionError(
                "the batched network and the per-example reference disagree"
            )
    # The bare loop, one more step of ten from there, against the reference's.
    X_step, labels_step = X[10:20], labels[10:20]
    bare_epoch(
        bare_w,
        bare_b,
        X_step,
        np.eye(SIZES[-1])[labels_step],
        10,
        ETA,
        np.random.default_rng(0),
    )
    reference_step(weights, biases, as_columns(X_step, labels_step), ETA)
    for w, b, w_ref, b_ref in zip(bare_w, bare_b, weights, biases):
        if not (
            np.allclose(w, w_ref.T, rtol=0, atol=1e-12)
            and np.allclose(b, b_ref[:, 0], rtol=0, atol=1e-12)
        ):
            raise AssertionError(
                "the bare batched loop and the per-example reference disagree"
            )


def contenders(
    X: np.ndarray, labels: np.ndarray, batch_size: int, dtype: type
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Two functions that each train their own copy of the same network for one epoch."""
    ours = Network(SIZES, "sigmoid", loss="quadratic", seed=0, dtype=dtype)
    # The textbook's layout: weights (n_out, n_in) and biases as columns, in float64.
    weights = [w.T.astype(np.float64, order="C") for w in ours.weights]
    biases = [b.reshape(-1, 1).astype(np.float64) for b in ours.biases]
    examples = as_columns(X, labels)
    X_ours = X.astype(dtype)
    rng_reference, rng_ours = np.random.default_rng(1), np.random.default_rng(1)

    def run_reference() -> None:
        reference_epoch(weights, biases, examples, batch_size, ETA, rng_reference)

    def run_ours() -> None:
        ours.train_sgd(
            X_ours,
            labels,
            epochs=1,
            batch_size=batch_size,
            eta=ETA,
            seed=rng_ours,
            monitor=False,
        )

    return run_reference, run_ours


def _epochs(
    X: np.ndarray,
    labels: np.ndarray,
    dtype: type,
    epoch: Callable[..., None],
    order: str = "C",
) -> Callable[[], None]:
    """A function that trains its own copy of the benchmark's network for one epoch with ``epoch``."""
    start = Network(SIZES, "sigmoid", loss="quadratic", seed=0, dtype=dtype)
    weights, biases = (
        [w.copy(order=order) for w in start.weights],
        [b.copy() for b in start.biases],
    )
    X_bare, Y_bare = X.astype(dtype), np.eye(SIZES[-1], dtype=dtype)[labels]
    rng = np.random.default_rng(1)

    def run() -> None:
        with np.errstate(over="ignore", under="ignore"):
            epoch(weights, biases, X_bare, Y_bare, 10, ETA, rng)

    return run


def bare_contenders(
    X: np.ndarray, labels: np.ndarray, batch_size: int, dtype: type
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The reference and the bare batched loop, each on its own copy of the same network."""
    run_reference, _ = contenders(X, labels, batch_size, dtype)
    return run_reference, _epochs(X, labels, dtype, bare_epoch)


def network_and_bare(
    X: np.ndarray, labels: np.ndarray, dtype: type
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The bare loop and ``nnbook.network`` at mini-batch 10: their time ratio is the network's relative speed."""
    _, run_ours = contenders(X, labels, 10, dtype)
    return _epochs(X, labels, dtype, bare_epoch), run_ours


def bare_and_tricks(
    X: np.ndarray, labels: np.ndarray, dtype: type
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The bare loop and the same loop with the speed tricks: their time ratio is what the tricks gain."""
    return _epochs(X, labels, dtype, bare_epoch), _epochs(
        X, labels, dtype, tricks_epoch, order="F"
    )


def first_layer_products(X: np.ndarray, batch_size: int, dtype: type) -> float:
    """Seconds per mini-batch of the first layer's two matrix products, the bulk of the arithmetic.

    The forward ``x @ W`` and the weight gradient ``Delta^T x`` (BP4) of the
    784 x 30 layer, with the weights laid out as ``Network`` keeps them; the
    best of several rounds, since this is a floor, not a ratio.
    """
    rng = np.random.default_rng(0)
    x = np.ascontiguousarray(X[:batch_size], dtype=dtype)
    W = np.asfortranarray(rng.standard_normal(SIZES[:2]), dtype=dtype)
    delta = rng.standard_normal((batch_size, SIZES[1])).astype(dtype)

    def products() -> None:
        x.dot(W)
        delta.T.dot(x)

    return min(timed(products, 200) for _ in range(7))


def _row(
    name: str,
    contender: str,
    batch_size: int,
    comparison: Comparison,
    target: str | None,
    **details: float,
) -> Row:
    """A row of the table: the reference's time over the contender's, per epoch."""
    return ratio_row(
        name,
        f"per-example backprop (float64) / {contender}, "
        f"one epoch of {IMAGES} images, 784-30-10, mini-batch {batch_size}, eta {ETA}",
        comparison,
        target,
        images=IMAGES,
        reference_seconds_per_image=statistics.median(comparison.seconds_a) / IMAGES,
        ours_seconds_per_image=statistics.median(comparison.seconds_b) / IMAGES,
        **details,
    )


def bench(repeats: int = 9) -> list[Row]:
    train, _ = load_mnist(budget=book_budget())
    X, labels = (t.numpy() for t in to_tensors(train, flatten=True))
    X, labels = X[:IMAGES].astype(np.float64), labels[:IMAGES]
    check_same_arithmetic(X, labels)
    rows = []
    for batch_size in (10, 100):
        for dtype in (np.float64, np.float32):
            name = np.dtype(dtype).name
            rows.append(
                _row(
                    f"network-b{batch_size}-{name}",
                    f"nnbook.network ({name})",
                    batch_size,
                    alternate(
                        *contenders(X, labels, batch_size, dtype), repeats=repeats
                    ),
                    ">= 10" if batch_size == 10 else None,
                    first_layer_products_seconds=first_layer_products(
                        X, batch_size, dtype
                    ),
                )
            )
    # For comparison: how far the same algorithm gets with nothing but its arithmetic.
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        rows.append(
            _row(
                f"bare-b10-{name}",
                f"the bare batched loop of bench_network.py ({name}, no checks)",
                10,
                alternate(*bare_contenders(X, labels, 10, dtype), repeats=repeats),
                None,
            )
        )
    # The readable network against the bare loop, side by side in one run; and
    # what the speed tricks that the network leaves out would gain.
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        rows.append(
            ratio_row(
                f"network-vs-bare-b10-{name}",
                f"bare batched loop / nnbook.network ({name}), one epoch of {IMAGES} images, "
                f"784-30-10, mini-batch 10: the network's speed relative to its bare arithmetic",
                alternate(*network_and_bare(X, labels, dtype), repeats=repeats),
                ">= 0.8",
            )
        )
        rows.append(
            ratio_row(
                f"tricks-b10-{name}",
                f"bare batched loop / the same with speed tricks ({name}), mini-batch 10: "
                f"take, dot, in-place sums, eta folded into the error, column-major weights",
                alternate(*bare_and_tricks(X, labels, dtype), repeats=repeats),
                None,
            )
        )
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row.as_dict())
