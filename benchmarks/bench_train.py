"""What does ``nnbook.train.fit`` cost over a minimal hand-written PyTorch loop?

Run from ``benchmarks/`` (with ``NNBOOK_DATA`` pointing at the MNIST data)::

    ../.venv/bin/python bench_train.py

``fit`` checks every batch (labels in range, a shape the model accepts) and
records the loss and the accuracy of every epoch; the hand-written loop only
trains. Both do the same work otherwise: the same model with the same initial
weights, the same ``DataLoader`` with the same seeded shuffling (hence the same
batches in the same order), the same optimiser, one epoch over the training
part of the MNIST sample. Before timing, the benchmark checks that the two end
with identical weights.

Two configurations, each one row with target "<= 1.10" (``fit`` at most 10 %
slower):

* the MNIST lab's PyTorch MLP: 784-300-10, ReLU, Adam, mini-batches of 64;
* the lab's PyTorch copy of the from-scratch network: 784-100-10, sigmoid,
  plain SGD with mini-batches of 10, where the per-batch bookkeeping weighs
  most.

Each contender keeps its own model and optimiser across the repeats, so the
timings hold training only, not building the model. Both run in one thread,
as the book's chapters do: on a busy two-core machine two threads can be many
times slower than one, and that noise would drown the comparison.

The difference is a few per cent, smaller than the swings of wall-clock time
on a shared machine. So the headline ratio is that of the CPU time of the
process in each epoch (``time.process_time``; with one thread it is the wall
time of an idle machine), taken in the same alternating runs as the
wall-clock times, whose median ratio is in the row's details
(``wall_ratio_median``).

Nothing here asserts a time: timings depend on the machine and on whatever
else runs on it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from harness import Comparison, Row, alternate, ratio_row
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nnbook.data import book_budget, load_mnist, to_tensors
from nnbook.models import mlp
from nnbook.splits import train_validation_split
from nnbook.train import fit


@dataclass(frozen=True)
class Setup:
    name: str
    sizes: tuple[int, ...]
    activation: str
    optimizer: Callable[..., torch.optim.Optimizer]
    lr: float
    batch_size: int


SETUPS = (
    Setup("train-fit", (784, 300, 10), "relu", torch.optim.Adam, 3e-3, 64),
    Setup("train-fit-b10", (784, 100, 10), "sigmoid", torch.optim.SGD, 0.5, 10),
)

SEED = 0


def hand_written_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
) -> None:
    """One epoch of the shortest correct training loop, with fit's DataLoader and shuffling."""
    loader = DataLoader(
        TensorDataset(X, y),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(SEED),
    )
    loss = nn.CrossEntropyLoss()
    model.train()
    for x_batch, y_batch in loader:
        batch_loss = loss(model(x_batch), y_batch)
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()


class CpuTimed:
    """Calls ``run`` and keeps the CPU time of each call."""

    def __init__(self, run: Callable[[], None]) -> None:
        self.run = run
        self.seconds: list[float] = []

    def __call__(self) -> None:
        start = time.process_time()
        self.run()
        self.seconds.append(time.process_time() - start)


def contenders(
    setup: Setup, X: torch.Tensor, y: torch.Tensor
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Two functions that each train their own copy of the model for one epoch."""
    ours, hand = (mlp(list(setup.sizes), setup.activation, seed=SEED) for _ in range(2))
    ours_optimizer = setup.optimizer(ours.parameters(), lr=setup.lr)
    hand_optimizer = setup.optimizer(hand.parameters(), lr=setup.lr)

    def run_fit() -> None:
        fit(
            ours,
            (X, y),
            optimizer=ours_optimizer,
            epochs=1,
            batch_size=setup.batch_size,
            seed=SEED,
            device="cpu",
            progress=False,
        )

    def run_hand() -> None:
        hand_written_epoch(hand, hand_optimizer, X, y, setup.batch_size)

    return run_fit, run_hand


def check_same_work(setup: Setup, X: torch.Tensor, y: torch.Tensor) -> None:
    """Fail loudly unless one epoch of each contender ends with the same weights."""
    ours, hand = (mlp(list(setup.sizes), setup.activation, seed=SEED) for _ in range(2))
    fit(
        ours,
        (X, y),
        optimizer=setup.optimizer(ours.parameters(), lr=setup.lr),
        epochs=1,
        batch_size=setup.batch_size,
        seed=SEED,
        device="cpu",
        progress=False,
    )
    hand_written_epoch(
        hand, setup.optimizer(hand.parameters(), lr=setup.lr), X, y, setup.batch_size
    )
    for p, q in zip(ours.parameters(), hand.parameters()):
        if not torch.equal(p, q):
            raise AssertionError(
                f"{setup.name}: fit and the hand-written loop did different work"
            )


def bench(repeats: int = 15, warmup: int = 1) -> list[Row]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train, _ = load_mnist(budget=book_budget())
        fit_set, _ = train_validation_split(train, validation_size=0.1, seed=0)
        X, y = to_tensors(fit_set)
        rows = []
        for setup in SETUPS:
            check_same_work(setup, X, y)
            ours, hand = (CpuTimed(run) for run in contenders(setup, X, y))
            wall = alternate(ours, hand, repeats=repeats, warmup=warmup)
            # The CPU times of the same runs, without the untimed warm-up rounds.
            cpu = Comparison(ours.seconds[warmup:], hand.seconds[warmup:])
            rows.append(
                ratio_row(
                    setup.name,
                    f"fit / hand-written loop (CPU time), one epoch of {len(X)} images, "
                    f"{'-'.join(map(str, setup.sizes))} {setup.activation}, "
                    f"{setup.optimizer.__name__} batch {setup.batch_size}",
                    cpu,
                    "<= 1.10",
                    wall_ratio_median=wall.ratio()[0],
                    wall_seconds_fit_median=statistics.median(wall.seconds_a),
                    wall_seconds_hand_median=statistics.median(wall.seconds_b),
                    images=len(X),
                    threads=1,
                )
            )
        return rows
    finally:
        torch.set_num_threads(previous)


if __name__ == "__main__":
    for row in bench():
        print(row.as_dict())
