"""How fast is the from-scratch back-propagation, and how fast does it train on MNIST?

Run from the repository root::

    .venv/bin/python benchmarks/bench_backprop.py            # print the tables
    .venv/bin/python benchmarks/bench_backprop.py out.json   # and save the numbers

Three measurements:

1. One gradient of ``nnbook.network.Network.backprop`` against the same
   gradient by ``torch.autograd`` (weights copied, float64 and float32), for
   the network of the MNIST lab, 784-30-10, on mini-batches of 10 and 100.
   The two contenders run in turn (A, B, A, B, ...) so that a burst of load
   from another process hits both; the table reports the median of the
   per-round ratios and their spread.
2. One gradient by back-propagation against one by central differences
   (``nnbook.gradcheck.numerical_gradient``) as the number of parameters grows:
   the experiment of the back-propagation chapter, with more sizes.
3. Training with ``Network.train_sgd`` on the MNIST sample (``$NNBOOK_DATA``):
   seconds per epoch at mini-batch 10 and the test accuracy after each epoch.
   Skipped when the data cannot be found.

Nothing here asserts a time: timings depend on the machine and on whatever
else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from harness import machine, side_by_side, summary, timed
from nnbook.gradcheck import numerical_gradient
from nnbook.network import Network

#: The network of the MNIST lab.
SIZES = (784, 30, 10)


def torch_gradient(
    net: Network, X: torch.Tensor, labels: torch.Tensor
) -> Callable[[], list[torch.Tensor]]:
    """A function computing the gradient of the network's loss (sigmoid + cross-entropy) with torch."""
    dtype = X.dtype
    ws = [torch.tensor(w, dtype=dtype, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, dtype=dtype, requires_grad=True) for b in net.biases]
    targets = torch.nn.functional.one_hot(labels, net.sizes[-1]).to(dtype)

    def gradient() -> list[torch.Tensor]:
        a = X
        for w, b in zip(ws[:-1], bs[:-1]):
            a = torch.sigmoid(a @ w + b)
        z = a @ ws[-1] + bs[-1]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            z, targets, reduction="sum"
        ) / len(X)
        return list(torch.autograd.grad(loss, ws + bs))

    return gradient


def backprop_benchmark(rounds: int, batch: int, dtype: type) -> dict[str, object]:
    """Network.backprop against torch.autograd on one mini-batch."""
    rng = np.random.default_rng(0)
    net = Network(SIZES, seed=0, dtype=dtype)
    X = rng.random((batch, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], size=batch)
    theirs_fn = torch_gradient(net, torch.from_numpy(X), torch.from_numpy(labels))
    ours = net.backprop(X, labels)
    theirs = theirs_fn()
    error = max(
        float(np.abs(o - t.numpy()).max())
        for o, t in zip(ours.nabla_w + ours.nabla_b, theirs)
    )
    ours_t, theirs_t = side_by_side(
        lambda: net.backprop(X, labels), theirs_fn, number=200, rounds=rounds
    )
    return {
        "dtype": np.dtype(dtype).name,
        "batch": batch,
        "max_abs_difference": error,
        "nnbook_us": summary([1e6 * t for t in ours_t]),
        "torch_us": summary([1e6 * t for t in theirs_t]),
        "ratio": summary([a / b for a, b in zip(ours_t, theirs_t)]),
    }


def cost_benchmark(widths: list[int], batch: int = 64) -> list[dict[str, float]]:
    """Seconds per gradient by back-propagation and by central differences."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 8))
    labels = rng.integers(0, 4, size=batch)
    rows = []
    for h in widths:
        net = Network([8, h, h, 4], "tanh", output_activation="softmax", seed=0)
        loss = statistics.median(
            timed(lambda net=net: net.loss(X, labels), 200) for _ in range(5)
        )
        backprop = statistics.median(
            timed(lambda net=net: net.backprop(X, labels), 200) for _ in range(5)
        )
        central = statistics.median(
            timed(
                lambda net=net: [
                    numerical_gradient(lambda: net.loss(X, labels), p)
                    for p in net.weights + net.biases
                ],
                1,
            )
            for _ in range(3)
        )
        rows.append(
            {
                "width": h,
                "parameters": net.num_parameters,
                "loss_s": loss,
                "backprop_s": backprop,
                "central_s": central,
                "speed_up": central / backprop,
                "backprop_in_losses": backprop / loss,
            }
        )
    return rows


def training_benchmark(epochs: int, eta: float) -> dict[str, object] | None:
    """Train the lab's network on the MNIST sample with mini-batches of 10."""
    from nnbook.data import (
        CorruptDataError,
        MissingDataError,
        book_budget,
        load_mnist,
        to_tensors,
    )

    try:
        train, test = load_mnist(budget=book_budget())
    except (MissingDataError, CorruptDataError) as error:  # no data: say so and skip
        print(f"   skipped: {error}")
        return None
    X, y = (t.numpy() for t in to_tensors(train, flatten=True))
    X_test, y_test = (t.numpy() for t in to_tensors(test, flatten=True))
    results: dict[str, object] = {
        "train": len(X),
        "test": len(X_test),
        "eta": eta,
        "batch_size": 10,
    }
    for name, output in (("sigmoid output", "sigmoid"), ("softmax output", "softmax")):
        net = Network(SIZES, output_activation=output, seed=0)
        seconds, accuracy = [], []
        for epoch in range(epochs):
            start = time.perf_counter()
            net.train_sgd(X, y, 1, 10, eta, seed=epoch, monitor=False)
            seconds.append(time.perf_counter() - start)
            accuracy.append(net.accuracy(X_test, y_test))
        results[name] = {
            "seconds_per_epoch": summary(seconds),
            "test_accuracy": accuracy,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output", nargs="?", help="write the results as JSON to this file"
    )
    parser.add_argument(
        "--rounds", type=int, default=9, help="alternating rounds per comparison"
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs of MNIST training"
    )
    parser.add_argument(
        "--eta", type=float, default=0.5, help="learning rate of MNIST training"
    )
    args = parser.parse_args()

    results: dict[str, object] = {"machine": machine()}
    print(
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs; median [min, max]\n"
    )

    print(f"1. Network.backprop vs torch.autograd, network {'-'.join(map(str, SIZES))}")
    for dtype in (np.float64, np.float32):
        for batch in (10, 100):
            r = backprop_benchmark(args.rounds, batch, dtype)
            results[f"backprop_{r['dtype']}_batch{batch}"] = r
            print(
                f"   {r['dtype']}, batch {batch:>3}: nnbook {r['nnbook_us']['median']:7.1f} us   "
                f"torch {r['torch_us']['median']:7.1f} us   ratio {r['ratio']['median']:5.2f}x "
                f"[{r['ratio']['min']:.2f}, {r['ratio']['max']:.2f}]   (max |difference| "
                f"{r['max_abs_difference']:.1e})"
            )

    print(
        "\n2. One gradient: back-propagation vs central differences (8-h-h-4, batch 64)"
    )
    rows = cost_benchmark([1, 4, 16, 64, 128])
    results["gradient_cost"] = rows
    print(
        f"   {'P':>7} {'backprop':>12} {'central':>12} {'speed-up':>10} {'backprop / loss':>16}"
    )
    for row in rows:
        print(
            f"   {row['parameters']:>7} {1e6 * row['backprop_s']:>9.1f} us {row['central_s']:>10.3f} s "
            f"{row['speed_up']:>10.0f} {row['backprop_in_losses']:>16.2f}"
        )

    print(
        f"\n3. Training {'-'.join(map(str, SIZES))} with train_sgd on MNIST, mini-batch 10, eta {args.eta}"
    )
    training = training_benchmark(args.epochs, args.eta)
    if training is not None:
        results["training"] = training
        print(f"   {training['train']} training and {training['test']} test images")
        for name in ("sigmoid output", "softmax output"):
            r = training[name]
            accuracy = ", ".join(f"{a:.3f}" for a in r["test_accuracy"])
            print(
                f"   {name}: {r['seconds_per_epoch']['median']:.3f} s per epoch; "
                f"test accuracy per epoch: {accuracy}"
            )

    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=2)
        print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
