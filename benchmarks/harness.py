"""Side-by-side timing for the benchmarks.

The machines this book is built on are shared and noisy, so a benchmark
never reports one absolute time. It runs the two contenders alternately
(A, B, A, B, ...), several times each, and reports the median of the
per-pair ratios with its spread. Absolute seconds are printed too, for
orientation only; nothing here is ever asserted in the test suite.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    """One line of the benchmark table.

    ``value`` is the headline figure (usually a ratio), ``low``/``high`` its
    spread (the 25th and 75th percentiles of the repeats), and ``target`` the
    bar it should clear, written as text (``">= 10"``, ``"<= 1.10"``), or
    ``None`` for a row shown for comparison, with no bar of its own.
    """

    name: str
    what: str
    value: float
    unit: str
    target: str | None
    low: float | None = None
    high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def meets_target(self) -> bool | None:
        """Whether the value clears the target; None for a row without one."""
        if self.target is None:
            return None
        op, bound = self.target.split()
        checks = {
            ">=": self.value >= float(bound),
            "<=": self.value <= float(bound),
            "==": self.value == float(bound),
        }
        return checks[op]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "meets_target": self.meets_target}


@dataclass
class Comparison:
    """Timings of two alternating contenders."""

    seconds_a: list[float]
    seconds_b: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.seconds_a, self.seconds_b)]

    def ratio(self) -> tuple[float, float, float]:
        """Median, 25th and 75th percentile of the per-pair ratios A / B."""
        return _median_and_quartiles(self.ratios)


def _median_and_quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return statistics.median(values), q1, q3


def seconds(run: Callable[[], Any]) -> float:
    """Wall time of one call of ``run``."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def alternate(
    a: Callable[[], Any], b: Callable[[], Any], repeats: int = 5, warmup: int = 1
) -> Comparison:
    """Time ``a`` and ``b`` in turns, after ``warmup`` untimed rounds of each."""
    for _ in range(warmup):
        a()
        b()
    seconds_a, seconds_b = [], []
    for i in range(repeats):
        # Swap the order every round so neither always runs on a warm cache.
        if i % 2 == 0:
            seconds_a.append(seconds(a))
            seconds_b.append(seconds(b))
        else:
            seconds_b.append(seconds(b))
            seconds_a.append(seconds(a))
    return Comparison(seconds_a, seconds_b)


def ratio_row(
    name: str, what: str, comparison: Comparison, target: str | None, **details: Any
) -> Row:
    """A table row whose value is the median ratio A / B."""
    median, low, high = comparison.ratio()
    return Row(
        name=name,
        what=what,
        value=median,
        unit="x",
        target=target,
        low=low,
        high=high,
        details={
            "seconds_a_median": statistics.median(comparison.seconds_a),
            "seconds_b_median": statistics.median(comparison.seconds_b),
            "repeats": len(comparison.seconds_a),
            **details,
        },
    )


def timed(function: Callable[[], Any], number: int) -> float:
    """Seconds per call of ``function``, averaged over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        function()
    return (time.perf_counter() - start) / number


def side_by_side(
    a: Callable[[], Any], b: Callable[[], Any], number: int, rounds: int
) -> tuple[list[float], list[float]]:
    """Time ``a`` and ``b`` in alternation; return the seconds per call of each round."""
    a(), b()  # warm up: first calls allocate and pick kernels
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(timed(a, number))
        times_b.append(timed(b, number))
    return times_a, times_b


def summary(values: list[float]) -> dict[str, float]:
    """Median, quartiles and extremes of repeated measurements."""
    median, q1, q3 = _median_and_quartiles(values)
    return {
        "median": median,
        "q1": q1,
        "q3": q3,
        "min": min(values),
        "max": max(values),
    }


def machine() -> dict[str, object]:
    """The software and hardware a table was measured with."""
    import numpy
    import torch

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
    }


def mnist() -> dict[str, object]:
    """The MNIST files the benchmarks read, and the data budget they took from them."""
    from nnbook.data import book_budget, default_data_root, load_mnist

    files = load_mnist()
    budget = book_budget()
    return {
        "root": str(default_data_root()[0]),
        "train_images": len(files.train),
        "test_images": len(files.test),
        "budget": None if budget is None else budget._asdict(),
    }
