"""How fast is the from-scratch convolution, and how fast does the book's CNN train?

Run from the repository root::

    .venv/bin/python benchmarks/bench_conv.py              # print the table
    .venv/bin/python benchmarks/bench_conv.py out.json     # and save the numbers
    .venv/bin/python benchmarks/bench_conv.py --threads 1  # as the chapter runs

Three measurements, each taken side by side with its reference: the two
contenders run in turn (A, B, A, B, ...) so that a burst of load from another
process hits both, and the table reports the median of the per-round ratios
and their spread (the smallest and the largest).

1. ``nnbook.conv.conv2d`` (im2col + one matrix product, NumPy) against
   ``torch.nn.functional.conv2d`` on a batch of 64 MNIST-sized images with 32
   filters of 5×5 (the first layer of the chapter's CNN), in ``float32`` and
   ``float64``; and, for comparison, on the input of the CNN's second layer
   (16 channels of 14×14). The from-scratch version is for teaching; the
   target is to stay within 10× of PyTorch.
2. The machine's matrix-multiply speed: ``torch.mm`` of two 1024×1024
   ``float32`` matrices, in GFLOP/s.
3. The chapter's CNN trained with ``nnbook.train.fit``: images per second,
   and the floating-point work that represents as a fraction of the
   matrix-multiply speed of (2), measured in alternation with it; once with
   PyTorch's default number of threads and once with one thread, as the
   chapter runs (on a busy machine, two OpenMP threads can be many times
   slower than one).

``bench()`` returns the same measurements as rows of the table that
``benchmarks/run.py`` collects (targets: the im2col convolution within 10× of
PyTorch; at least 1000 training images/s, so that the chapter's 8 epochs take
about a minute at most; at least a quarter of the matrix-multiply speed).

Nothing here asserts a time: timings depend on the machine and on whatever
else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from harness import machine, side_by_side, summary, timed
from nnbook import conv
from nnbook.models import count_parameters, small_cnn
from nnbook.train import fit

#: The CNN of the chapter (book/cnn.md): keep the two in step.
CNN_CHANNELS = (1, 16, 32)
CNN_KERNEL = 5
BATCH = 64


def conv_benchmark(
    rounds: int, dtype: np.dtype, c_in: int = 1, side: int = 28
) -> dict[str, object]:
    """im2col convolution (NumPy) against PyTorch's conv2d on one batch of 64 images, 32 filters."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, c_in, side, side)).astype(dtype)
    w = rng.standard_normal((32, c_in, CNN_KERNEL, CNN_KERNEL)).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    padding = CNN_KERNEL // 2
    reference = F.conv2d(xt, wt, bt, padding=padding).numpy()
    error = float(np.abs(conv.conv2d(x, w, b, padding=padding) - reference).max())

    with torch.no_grad():
        ours, theirs = side_by_side(
            lambda: conv.conv2d(x, w, b, padding=padding),
            lambda: F.conv2d(xt, wt, bt, padding=padding),
            number=10,
            rounds=rounds,
        )
    ratios = [a / b for a, b in zip(ours, theirs)]
    return {
        "dtype": np.dtype(dtype).name,
        "shape": f"x {x.shape}, w {w.shape}, padding {padding}",
        "max_abs_difference": error,
        "nnbook_ms": summary([1e3 * t for t in ours]),
        "torch_ms": summary([1e3 * t for t in theirs]),
        "ratio": summary(ratios),
    }


def direct_benchmark() -> dict[str, float]:
    """The loop version once, for scale (it is far too slow to repeat often)."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28)).astype(np.float32)
    w = rng.standard_normal((32, 1, CNN_KERNEL, CNN_KERNEL)).astype(np.float32)
    direct = min(
        timed(lambda: conv.conv2d_direct(x, w, padding=2), 1) for _ in range(3)
    )
    im2col = min(timed(lambda: conv.conv2d(x, w, padding=2), 5) for _ in range(3))
    return {
        "direct_ms": 1e3 * direct,
        "im2col_ms": 1e3 * im2col,
        "ratio": direct / im2col,
    }


def matmul(n: int = 1024) -> tuple[Callable[[], object], float]:
    """A float32 matrix product and its number of floating-point operations."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    return (lambda: torch.mm(a, b)), 2.0 * n**3


def cnn_flops_per_image(model: nn.Sequential, image_size: int = 28) -> float:
    """Multiply-adds of one forward pass, times 2 (flops), times 3 (forward + backward).

    The backward pass computes two products of the same size as the forward
    one (gradients with respect to the weights and to the inputs), hence the
    usual estimate of 3 forward passes per training step. Activations,
    pooling and the optimiser step are cheap in comparison and not counted.
    """
    macs = 0
    x = torch.zeros(1, 1, image_size, image_size)
    for layer in model:
        y = layer(x)
        if isinstance(layer, nn.Conv2d):
            macs += (
                y.numel()
                * layer.in_channels
                * layer.kernel_size[0]
                * layer.kernel_size[1]
            )
        elif isinstance(layer, nn.Linear):
            macs += layer.in_features * layer.out_features
        x = y
    return 3 * 2.0 * macs


def training_benchmark(
    rounds: int, n_images: int, threads: int | None = None
) -> dict[str, object]:
    """Images per second of fit() on the chapter's CNN, alternated with the matmul probe.

    ``threads`` sets PyTorch's thread count for the measurement (both the
    training and the matmul), and is restored afterwards.
    """
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _training_benchmark(rounds, n_images)
    finally:
        torch.set_num_threads(previous)


def _training_benchmark(rounds: int, n_images: int) -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    X = torch.rand(n_images, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n_images,), generator=g)
    model = small_cnn(channels=CNN_CHANNELS, kernel_size=CNN_KERNEL)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    flops = cnn_flops_per_image(model)
    product, product_flops = matmul()

    def one_epoch() -> None:
        fit(
            model,
            (X, y),
            optimizer=optimizer,
            epochs=1,
            batch_size=BATCH,
            progress=False,
            device="cpu",
        )

    one_epoch(), product()  # warm up
    train_times, mm_times = [], []
    for _ in range(rounds):
        train_times.append(timed(one_epoch, 1))
        mm_times.append(timed(product, 10))  # a matmul is short: average a few
    images_per_s = [n_images / t for t in train_times]
    mm_gflops = [product_flops / t / 1e9 for t in mm_times]
    fractions = [ips * flops / 1e9 / g for ips, g in zip(images_per_s, mm_gflops)]
    return {
        "threads": torch.get_num_threads(),
        "channels": list(CNN_CHANNELS),
        "parameters": count_parameters(model),
        "gflop_per_image": flops / 1e9,
        "images_per_epoch": n_images,
        "images_per_s": summary(images_per_s),
        "achieved_gflop_s": summary([ips * flops / 1e9 for ips in images_per_s]),
        "matmul_gflop_s": summary(mm_gflops),
        "fraction_of_matmul": summary(fractions),
    }


CONV_CASES = [
    # key, label, dtype, input channels, image side
    ("mnist_float32", "MNIST batch", np.float32, 1, 28),
    ("mnist_float64", "MNIST batch", np.float64, 1, 28),
    ("layer2_float32", "second layer of the CNN", np.float32, 16, 14),
]


def bench(rounds: int = 11, images: int = 2048) -> list:
    """The rows of ``benchmarks/run.py``'s table (:class:`harness.Row`); spreads are quartiles."""
    from harness import Row

    rows = []
    for key, label, dtype, c_in, side in CONV_CASES:
        r = conv_benchmark(rounds, dtype, c_in, side)
        ratio = r["ratio"]
        rows.append(
            Row(
                name=f"conv-{key.replace('_', '-')}",
                what=f"nnbook.conv.conv2d (im2col) / torch conv2d, {label}, {r['dtype']}: {r['shape']}",
                value=ratio["median"],
                unit="x",
                target="<= 10",
                low=ratio["q1"],
                high=ratio["q3"],
                details={
                    "nnbook_ms_median": r["nnbook_ms"]["median"],
                    "torch_ms_median": r["torch_ms"]["median"],
                    "max_abs_difference": r["max_abs_difference"],
                    "rounds": rounds,
                },
            )
        )
    # PyTorch's default thread count, and one thread as in the chapter.
    for suffix, threads in (("", None), ("-1thread", 1)):
        t = training_benchmark(rounds, images, threads)
        details = {
            k: t[k]
            for k in (
                "threads",
                "channels",
                "parameters",
                "gflop_per_image",
                "images_per_epoch",
            )
        }
        details["matmul_gflop_s_median"] = t["matmul_gflop_s"]["median"]
        details["achieved_gflop_s_median"] = t["achieved_gflop_s"]["median"]
        ips, fraction = t["images_per_s"], t["fraction_of_matmul"]
        rows.append(
            Row(
                name=f"cnn-train{suffix}",
                what=f"the chapter's CNN trained with nnbook.train.fit (batch 64, Adam), {t['threads']} thread(s): images/s",
                value=ips["median"],
                unit="images/s",
                target=">= 1000",
                low=ips["q1"],
                high=ips["q3"],
                details=details,
            )
        )
        rows.append(
            Row(
                name=f"cnn-flops{suffix}",
                what=f"CNN training FLOP/s / float32 1024x1024 matmul FLOP/s (alternated), {t['threads']} thread(s)",
                value=fraction["median"],
                unit="",
                target=">= 0.25",
                low=fraction["q1"],
                high=fraction["q3"],
                details=details,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output", nargs="?", help="write the results as JSON to this file"
    )
    parser.add_argument(
        "--rounds", type=int, default=15, help="alternating rounds per comparison"
    )
    parser.add_argument(
        "--images", type=int, default=2048, help="images per training epoch"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="PyTorch threads (default: PyTorch's choice; the book's CNN chapter uses 1)",
    )
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    results: dict[str, object] = {"machine": machine()}
    print(
        f"torch {torch.__version__} with {torch.get_num_threads()} threads, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs; {args.rounds} alternating rounds, median [min, max]\n"
    )

    print("1. im2col convolution (nnbook.conv.conv2d) vs torch.nn.functional.conv2d")
    for key, label, dtype, c_in, side in CONV_CASES:
        r = conv_benchmark(args.rounds, dtype, c_in, side)
        results[f"conv2d_{key}"] = r
        print(
            f"   {label}, {r['dtype']}: {r['shape']}  (max |difference| {r['max_abs_difference']:.1e})"
        )
        print(
            f"     nnbook {r['nnbook_ms']['median']:7.2f} ms   torch {r['torch_ms']['median']:7.2f} ms   "
            f"ratio {r['ratio']['median']:5.2f}x [{r['ratio']['min']:.2f}, {r['ratio']['max']:.2f}]"
            f"   (target: within 10x)"
        )
    d = direct_benchmark()
    results["conv2d_direct_float32"] = d
    print(
        f"   loop version conv2d_direct: {d['direct_ms']:.0f} ms, {d['ratio']:.1f}x the im2col version (best of 3)\n"
    )

    print(
        "2.+3. CNN training with nnbook.train.fit, alternated with a 1024x1024 float32 matmul"
    )
    settings = [None, 1] if args.threads is None or args.threads != 1 else [1]
    for threads in settings:
        t = training_benchmark(args.rounds, args.images, threads)
        results[f"cnn_training_{t['threads']}_threads"] = t
        print(
            f"   {t['threads']} thread(s): CNN channels {tuple(t['channels'])}, {t['parameters']} parameters, "
            f"{1e3 * t['gflop_per_image']:.1f} MFLOP per training image (forward + backward)"
        )
        for key, label, unit in [
            ("images_per_s", "throughput", "images/s"),
            ("achieved_gflop_s", "achieved", "GFLOP/s"),
            ("matmul_gflop_s", "matmul", "GFLOP/s"),
        ]:
            s = t[key]
            print(
                f"     {label:10} {s['median']:9.1f} {unit:8} [{s['min']:.1f}, {s['max']:.1f}]"
            )
        f = t["fraction_of_matmul"]
        print(
            f"     fraction of matmul speed {100 * f['median']:.1f} % [{100 * f['min']:.1f}, {100 * f['max']:.1f}]"
        )

    if args.output:
        with open(args.output, "w") as file:
            json.dump(results, file, indent=2)
        print(f"\nresults written to {args.output}")


if __name__ == "__main__":
    main()
