"""Tests of nnbook.schedules: each schedule equals torch.optim.lr_scheduler, step by step.

A torch scheduler is driven the documented way, ``optimizer.step()`` then
``scheduler.step()``, and its ``get_last_lr()`` is recorded before each step:
the value at step ``t`` is what nnbook's function gives for ``t``. For the
one-cycle policy the momentum (SGD's ``momentum``, Adam's ``betas[0]``) is
compared as well.
"""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler

from nnbook import schedules

STEPS = 100
TOL = 1e-12


def sgd(lr: float = 0.1) -> torch.optim.SGD:
    """An SGD optimiser with momentum 0.9 on a dummy parameter (its gradient is zero)."""
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    p.grad = torch.zeros_like(p)
    return torch.optim.SGD([p], lr=lr, momentum=0.9)


def record(optimizer, scheduler, steps: int = STEPS, key=None) -> list[float]:
    """The learning rate (or ``key(param_group)``) before each of ``steps`` steps, in the right order."""
    values = []
    for t in range(steps):
        values.append(
            scheduler.get_last_lr()[0]
            if key is None
            else key(optimizer.param_groups[0])
        )
        if t < steps - 1:
            optimizer.step()
            scheduler.step()
    return values


def max_difference(ours: list[float], theirs: list[float]) -> float:
    assert len(ours) == len(theirs)
    return max(abs(a - b) for a, b in zip(ours, theirs))


# ---------------------------------------------------------------------------
# Equal to torch
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [0.1, 0.5])
def test_step_decay_equals_step_lr(factor):
    """step_decay divides by 1/factor every step_size steps, like StepLR(step_size, gamma=factor)."""
    opt = sgd(0.1)
    theirs = record(opt, lr_scheduler.StepLR(opt, step_size=30, gamma=factor))
    ours = [schedules.step_decay(t, 0.1, 30, factor=factor) for t in range(STEPS)]
    assert max_difference(ours, theirs) <= TOL


@pytest.mark.parametrize("eta_min", [0.0, 0.001])
def test_cosine_equals_cosine_annealing_lr(eta_min):
    """cosine falls from eta to eta_min over total_steps, like CosineAnnealingLR(T_max, eta_min)."""
    opt = sgd(0.1)
    theirs = record(
        opt, lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=eta_min)
    )
    ours = [schedules.cosine(t, 0.1, 100, eta_min=eta_min) for t in range(STEPS)]
    assert max_difference(ours, theirs) <= TOL
    assert ours[0] == pytest.approx(0.1) and ours[50] == pytest.approx(
        (0.1 + eta_min) / 2
    )


@pytest.mark.parametrize("start_factor", [1 / 3, 0.1])
def test_linear_warmup_equals_linear_lr(start_factor):
    """linear_warmup climbs from start_factor * eta to eta in warmup_steps, then stays, like LinearLR."""
    opt = sgd(0.1)
    sched = lr_scheduler.LinearLR(
        opt, start_factor=start_factor, end_factor=1.0, total_iters=10
    )
    theirs = record(opt, sched)
    ours = [
        schedules.linear_warmup(t, 0.1, 10, start_factor=start_factor)
        for t in range(STEPS)
    ]
    assert max_difference(ours, theirs) <= TOL
    assert ours[0] == pytest.approx(start_factor * 0.1) and all(
        v == pytest.approx(0.1) for v in ours[10:]
    )


ONE_CYCLE = {
    "default": {},
    "short-warmup": dict(pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
}


@pytest.mark.parametrize("options", ONE_CYCLE.values(), ids=ONE_CYCLE.keys())
def test_one_cycle_equals_one_cycle_lr(options):
    """one_cycle and one_cycle_momentum give OneCycleLR's learning rate and SGD momentum at every step."""
    opt = sgd(0.1)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS, **options)
    lrs, momenta = [], []
    for t in range(STEPS):
        lrs.append(sched.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
        if t < STEPS - 1:
            opt.step()
            sched.step()
    ours = [schedules.one_cycle(t, 0.1, STEPS, **options) for t in range(STEPS)]
    pct = options.get("pct_start", 0.3)
    our_momenta = [
        schedules.one_cycle_momentum(t, STEPS, pct_start=pct) for t in range(STEPS)
    ]
    assert max_difference(ours, lrs) <= TOL
    assert max_difference(our_momenta, momenta) <= TOL
    assert max(ours) == pytest.approx(0.1) and min(our_momenta) == pytest.approx(0.85)


@pytest.mark.parametrize("pct_start", [0.3, 0.25])
def test_one_cycle_momentum_is_adams_beta1(pct_start):
    """With Adam, OneCycleLR cycles betas[0] (from 0.9 up to 0.99 here): one_cycle_momentum does too."""
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    p.grad = torch.zeros_like(p)
    opt = torch.optim.Adam([p], lr=0.1)
    sched = lr_scheduler.OneCycleLR(
        opt,
        max_lr=0.1,
        total_steps=STEPS,
        pct_start=pct_start,
        base_momentum=0.9,
        max_momentum=0.99,
    )
    theirs = record(opt, sched, key=lambda group: group["betas"][0])
    ours = [
        schedules.one_cycle_momentum(
            t, STEPS, pct_start=pct_start, base_momentum=0.9, max_momentum=0.99
        )
        for t in range(STEPS)
    ]
    assert max_difference(ours, theirs) <= TOL
    assert opt.param_groups[0]["betas"][1] == 0.999  # beta2 is left alone


def test_torch_warns_when_the_scheduler_steps_before_the_optimizer():
    """Calling scheduler.step() before optimizer.step() is the mistake torch warns about."""
    opt = sgd(0.1)
    sched = lr_scheduler.StepLR(opt, step_size=30)
    with pytest.warns(
        UserWarning, match=r"`lr_scheduler.step\(\)` before `optimizer.step\(\)`"
    ):
        sched.step()


def test_schedules_accept_numpy_and_python_integers():
    """The step may be any integer; the result is a Python float."""
    import numpy as np

    for t in (7, np.int64(7)):
        value = schedules.cosine(t, 0.1, 100)
        assert isinstance(value, float) and value == schedules.cosine(7, 0.1, 100)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

CALLS = {
    "step_decay": lambda **kw: schedules.step_decay(
        **{**dict(t=0, eta=0.1, step_size=30), **kw}
    ),
    "cosine": lambda **kw: schedules.cosine(
        **{**dict(t=0, eta=0.1, total_steps=100), **kw}
    ),
    "linear_warmup": lambda **kw: schedules.linear_warmup(
        **{**dict(t=0, eta=0.1, warmup_steps=10), **kw}
    ),
    "one_cycle": lambda **kw: schedules.one_cycle(
        **{**dict(t=0, eta_max=0.1, total_steps=100), **kw}
    ),
    "one_cycle_momentum": lambda **kw: schedules.one_cycle_momentum(
        **{**dict(t=0, total_steps=100), **kw}
    ),
}


@pytest.mark.parametrize("name", CALLS)
def test_a_negative_step_is_refused(name):
    with pytest.raises(ValueError, match=r"\bt\b"):
        CALLS[name](t=-1)


@pytest.mark.parametrize(
    "name, bad",
    [
        ("step_decay", dict(step_size=0)),
        ("cosine", dict(total_steps=0)),
        ("one_cycle", dict(total_steps=0)),
        ("one_cycle_momentum", dict(total_steps=0)),
    ],
)
def test_a_period_of_zero_steps_is_refused(name, bad):
    (parameter,) = bad
    with pytest.raises(ValueError, match=parameter):
        CALLS[name](**bad)


@pytest.mark.parametrize("name", ["one_cycle", "one_cycle_momentum"])
@pytest.mark.parametrize("pct_start", [0.0, 1.0, -0.2, 1.5])
def test_pct_start_must_be_inside_zero_one(name, pct_start):
    with pytest.raises(ValueError, match="pct_start"):
        CALLS[name](pct_start=pct_start)


@pytest.mark.parametrize(
    "name, parameter",
    [
        ("step_decay", "eta"),
        ("cosine", "eta"),
        ("linear_warmup", "eta"),
        ("one_cycle", "eta_max"),
    ],
)
def test_the_learning_rate_must_be_positive(name, parameter):
    with pytest.raises(ValueError, match=parameter):
        CALLS[name](**{parameter: 0.0})
