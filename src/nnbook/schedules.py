"""Learning-rate schedules: the learning rate as a function of the step.

Each function returns the learning rate for step ``t`` (``t = 0`` before the
first update), the number that ``torch.optim.lr_scheduler``'s
``get_last_lr()`` reports after ``t`` calls of ``scheduler.step()``, so that
a training loop can set ``optimizer.eta = cosine(t, eta, total_steps)``
before each step. The tests compare each with its PyTorch namesake.

* :func:`step_decay`: multiply by ``factor`` every ``step_size`` steps (``StepLR``);
* :func:`cosine`: half a cosine from ``eta`` down to ``eta_min``
  (``CosineAnnealingLR``);
* :func:`linear_warmup`: a straight line from ``start_factor * eta`` up to ``eta``
  (``LinearLR``);
* :func:`one_cycle` and :func:`one_cycle_momentum`: up, then down, with the
  momentum moving the other way (``OneCycleLR``).
"""

from __future__ import annotations

import math

from nnbook._checks import (
    check_count,
    check_int,
    check_interval,
    check_nonnegative,
    check_positive,
)

__all__ = ["cosine", "linear_warmup", "one_cycle", "one_cycle_momentum", "step_decay"]


def step_decay(t: int, eta: float, step_size: int, factor: float = 0.1) -> float:
    """Return ``eta * factor ** (t // step_size)``.

    The rate drops by ``factor`` every ``step_size`` steps.

    Parameters
    ----------
    t
        The step, >= 0.
    eta
        The initial learning rate, > 0.
    step_size
        The number of steps between two drops, >= 1.
    factor
        What each drop multiplies the rate by, in (0, 1].
    """
    t = check_count(t, "t")
    step_size = check_int(step_size, "step_size", minimum=1)
    factor = check_interval(factor, "factor", 0.0, 1.0)
    if factor == 0:
        raise ValueError("factor must be in (0, 1], got 0.0")
    return check_positive(eta, "eta") * factor ** (t // step_size)


def cosine(t: int, eta: float, total_steps: int, eta_min: float = 0.0) -> float:
    """Return ``eta_min + (eta - eta_min) (1 + cos(pi t / total_steps)) / 2``.

    This is cosine annealing. The rate falls from ``eta`` at ``t = 0`` to
    ``eta_min`` (>= 0) at ``t = total_steps`` (>= 1), slowly at first and at
    the end, fastest half way. Beyond ``total_steps`` it climbs again, as
    PyTorch's does.
    """
    t = check_count(t, "t")
    total_steps = check_int(total_steps, "total_steps", minimum=1)
    eta, eta_min = check_positive(eta, "eta"), check_nonnegative(eta_min, "eta_min")
    return eta_min + (eta - eta_min) * (1 + math.cos(math.pi * t / total_steps)) / 2


def linear_warmup(
    t: int, eta: float, warmup_steps: int, start_factor: float = 1 / 3
) -> float:
    """Return the rate of a linear warm-up from ``start_factor * eta`` up to ``eta``.

    The rate grows in a straight line for ``warmup_steps`` (>= 1) steps and
    stays at ``eta`` afterwards. ``start_factor`` is in (0, 1].
    """
    t = check_count(t, "t")
    warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=1)
    start_factor = check_interval(start_factor, "start_factor", 0.0, 1.0)
    if start_factor == 0:
        raise ValueError(
            "start_factor must be in (0, 1], got 0.0 (a rate of zero takes no step)"
        )
    progress = min(t, warmup_steps) / warmup_steps
    return check_positive(eta, "eta") * (start_factor + (1 - start_factor) * progress)


def one_cycle(
    t: int,
    eta_max: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """Return the one-cycle learning rate (Smith and Topin).

    It goes up to ``eta_max``, then far below the start.

    For the first ``pct_start`` of the ``total_steps`` (>= 2) the rate rises
    from ``eta_max / div_factor`` to ``eta_max``, then falls to
    ``eta_max / (div_factor * final_div_factor)`` at the last step, each
    along half a cosine. ``t`` runs from 0 to ``total_steps - 1``.
    """
    phase, pct = _cycle_position(t, total_steps, pct_start)
    eta_max = check_positive(eta_max, "eta_max")
    eta_start = eta_max / check_positive(div_factor, "div_factor")
    eta_end = eta_start / check_positive(final_div_factor, "final_div_factor")
    return (
        _anneal(eta_start, eta_max, pct)
        if phase == 0
        else _anneal(eta_max, eta_end, pct)
    )


def one_cycle_momentum(
    t: int,
    total_steps: int,
    pct_start: float = 0.3,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
) -> float:
    """Return the momentum (or Adam's ``beta1``) to go with :func:`one_cycle`'s rate.

    It moves against the rate: from ``max_momentum`` down to ``base_momentum``
    while the rate rises, and back up while it falls, so that the steps are
    damped most when they are longest.
    """
    phase, pct = _cycle_position(t, total_steps, pct_start)
    low = check_interval(base_momentum, "base_momentum", 0.0, 1.0, high_open=True)
    high = check_interval(max_momentum, "max_momentum", 0.0, 1.0, high_open=True)
    return _anneal(high, low, pct) if phase == 0 else _anneal(low, high, pct)


def _cycle_position(t: int, total_steps: int, pct_start: float) -> tuple[int, float]:
    """Return the phase of a one-cycle schedule at step ``t`` and how far into it.

    The phase is 0 while the rate rises, 1 while it falls; how far is in [0, 1].
    """
    t = check_count(t, "t")
    total_steps = check_int(total_steps, "total_steps", minimum=2)
    pct_start = check_interval(pct_start, "pct_start", 0.0, 1.0)
    if t >= total_steps:
        raise ValueError(f"t must be below total_steps = {total_steps}, got {t}")
    peak = (
        pct_start * total_steps - 1
    )  # the step at which the rate peaks, as in PyTorch
    if not 0 < peak < total_steps - 1:
        raise ValueError(
            f"pct_start = {pct_start} leaves no room for one of the phases "
            f"of {total_steps} steps"
        )
    if t <= peak:
        return 0, t / peak
    return 1, (t - peak) / (total_steps - 1 - peak)


def _anneal(start: float, end: float, pct: float) -> float:
    """Go from ``start`` (``pct = 0``) to ``end`` (``pct = 1``) along half a cosine."""
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
