"""Tests of nnbook.optimizers: each class equals its torch.optim counterpart in float64.

Every optimiser runs 200 steps in lockstep with ``torch.optim`` on two
problems, and after every step the parameters may differ by at most 1e-12:

* a random ill-conditioned quadratic over a matrix and a vector, where each
  side computes the gradient at its own parameters;
* a small MLP's cross-entropy, where the gradient is computed once per step,
  by torch autograd at nnbook's parameters, and handed to both optimisers.
  (RMSprop with momentum on this net is sensitive: computed separately, the
  two sides' gradients differ in the last bit, and 200 steps grow that to
  about 1e-12 whatever the optimiser. A shared gradient compares the update
  rules themselves, which agree to about 1e-15.)

The learning rates are fixed so that no run diverges or stalls (the quadratic
has L = 10): SGD 0.02, Adagrad 0.1, RMSprop 0.01, Adam and AdamW 0.01.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nnbook import optim
from nnbook.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

STEPS = 200
TOL = 1e-12
ETA = {SGD: 0.02, Adagrad: 0.1, RMSprop: 0.01, Adam: 0.01, AdamW: 0.01}
TORCH = {
    SGD: torch.optim.SGD,
    Adagrad: torch.optim.Adagrad,
    RMSprop: torch.optim.RMSprop,
    Adam: torch.optim.Adam,
    AdamW: torch.optim.AdamW,
}
TORCH_NAME = {
    "eta": "lr",
    "gamma": "momentum",
    "eta_decay": "lr_decay",
}  # all other names are torch's


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run torch on one thread here: its tiny operations are ten times slower on a busy machine otherwise."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _grid() -> list:
    """The option grid of the issue: (class, nnbook keyword arguments) pairs."""
    cases = []
    for gamma in (0.0, 0.9):
        for dampening in (0.0, 0.1):
            for nesterov in (False, True) if gamma > 0 and dampening == 0 else (False,):
                for wd in (0.0, 0.01):
                    cases.append(
                        (
                            SGD,
                            dict(
                                gamma=gamma,
                                dampening=dampening,
                                nesterov=nesterov,
                                weight_decay=wd,
                            ),
                        )
                    )
    for eta_decay in (0.0, 0.01):
        for wd in (0.0, 0.01):
            for acc in (0.0, 0.1):
                cases.append(
                    (
                        Adagrad,
                        dict(
                            eta_decay=eta_decay,
                            weight_decay=wd,
                            initial_accumulator_value=acc,
                        ),
                    )
                )
    for gamma in (0.0, 0.9):
        for centered in (False, True):
            for wd in (0.0, 0.01):
                cases.append(
                    (RMSprop, dict(gamma=gamma, centered=centered, weight_decay=wd))
                )
    for cls, decays in ((Adam, (0.0, 0.01)), (AdamW, (0.01, 0.1))):
        for amsgrad in (False, True):
            for wd in decays:
                cases.append((cls, dict(amsgrad=amsgrad, weight_decay=wd)))
        cases.append((cls, dict(betas=(0.8, 0.99), eps=1e-6)))
    return [
        pytest.param(
            cls, kw, id=f"{cls.__name__}-" + "-".join(f"{k}={v}" for k, v in kw.items())
        )
        for cls, kw in cases
    ]


CASES = _grid()


def to_torch(kwargs: dict) -> dict:
    """nnbook's hyper-parameter names translated to torch.optim's."""
    return {TORCH_NAME.get(k, k): v for k, v in kwargs.items()}


# --- the two problems: gradients of a list of float64 arrays ------------------


def ill_conditioned_quadratic(seed: int = 0):
    """``C(w) = w.A.w / 2 - b.w`` over a 3x4 matrix and a 5-vector; eigenvalues of A from 0.1 to 10."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,)]
    d = sum(math.prod(s) for s in shapes)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    A = Q @ np.diag(np.logspace(-1, 1, d)) @ Q.T
    b = rng.normal(size=d)

    def grad(params: list[np.ndarray]) -> list[np.ndarray]:
        g = A @ np.concatenate([p.ravel() for p in params]) - b
        cuts = np.cumsum([math.prod(s) for s in shapes])[:-1]
        return [piece.reshape(s) for piece, s in zip(np.split(g, cuts), shapes)]

    start = [rng.normal(size=s) for s in shapes]
    return start, grad


def small_mlp(seed: int = 0):
    """A Linear(5, 8)-Tanh-Linear(8, 3) net's cross-entropy on 32 fixed examples, by torch autograd."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(32, 5, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 3, (32,), generator=gen)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    ).double()

    def grad(params: list[np.ndarray]) -> list[np.ndarray]:
        with torch.no_grad():
            for p, value in zip(model.parameters(), params):
                p.copy_(torch.from_numpy(value))
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        return [p.grad.numpy().copy() for p in model.parameters()]

    start = [p.detach().numpy().copy() for p in model.parameters()]
    return start, grad


PROBLEMS = {"quadratic": ill_conditioned_quadratic, "mlp": small_mlp}
SHARED_GRADIENT = {"quadratic": False, "mlp": True}  # see the module's docstring


def lockstep(cls, kwargs: dict, problem: str, steps: int = STEPS, eta=None) -> float:
    """Run nnbook's ``cls`` and torch's twin side by side; return the largest parameter difference.

    ``eta`` is the learning rate, or a function of the step giving it (a schedule).
    """
    start, grad = PROBLEMS[problem]()
    shared = SHARED_GRADIENT[problem]
    schedule = eta if callable(eta) else (lambda t: ETA[cls] if eta is None else eta)
    params = [p.copy() for p in start]
    ours = cls(params, eta=schedule(0), **kwargs)
    tensors = [torch.tensor(p, requires_grad=True) for p in start]
    theirs = TORCH[cls](tensors, **to_torch(dict(kwargs, eta=schedule(0))))
    worst = 0.0
    for t in range(steps):
        ours.eta = schedule(t)
        theirs.param_groups[0]["lr"] = schedule(t)
        g_ours = grad(params)
        g_theirs = (
            [g.copy() for g in g_ours]
            if shared
            else grad([p.detach().numpy() for p in tensors])
        )
        ours.step(g_ours)
        for p, g in zip(tensors, g_theirs):
            p.grad = torch.from_numpy(g)
        theirs.step()
        worst = max(
            worst,
            max(np.abs(p - q.detach().numpy()).max() for p, q in zip(params, tensors)),
        )
        assert all(np.isfinite(p).all() for p in params), f"diverged at step {t}"
    moved = max(np.abs(p - s).max() for p, s in zip(params, start))
    assert moved > 1e-3, "the run stalled: the comparison would show nothing"
    assert ours.t == steps
    return worst


# ---------------------------------------------------------------------------
# Equal to torch.optim
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("cls, kwargs", CASES)
def test_optimizer_equals_torch_over_200_steps(cls, kwargs, problem):
    """200 steps from the same start stay within 1e-12 of torch.optim with the same hyper-parameters."""
    assert lockstep(cls, kwargs, problem) <= TOL


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, AdamW])
def test_changing_eta_between_steps_equals_setting_the_torch_learning_rate(
    cls, problem
):
    """``opt.eta = ...`` between steps acts like ``param_group['lr'] = ...`` (a cosine over 50 steps)."""
    kwargs = {
        SGD: dict(gamma=0.9),
        Adagrad: dict(eta_decay=0.01),
        RMSprop: dict(gamma=0.5),
    }.get(cls, {})
    eta0 = 5 * ETA[cls]
    assert (
        lockstep(
            cls,
            kwargs,
            problem,
            steps=50,
            eta=lambda t: 0.5 * eta0 * (1 + math.cos(math.pi * t / 50)),
        )
        <= TOL
    )


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, AdamW])
def test_parameters_are_updated_in_place(cls):
    """``step`` writes into the very arrays it was given and counts the steps in ``t``."""
    params = [np.ones((2, 3)), np.zeros(4)]
    before = [p.copy() for p in params]
    objects = [id(p) for p in params]
    opt = cls(params, eta=0.1)
    assert opt.t == 0
    opt.step([np.full((2, 3), 0.5), np.arange(4.0)])
    opt.step([np.full((2, 3), 0.5), np.arange(4.0)])
    assert opt.t == 2
    assert [id(p) for p in params] == objects
    assert not np.array_equal(params[0], before[0]) and not np.array_equal(
        params[1][1:], before[1][1:]
    )


def test_sgd_without_momentum_is_w_minus_eta_g():
    """Plain SGD is the lecture's step ``w' = w - eta * g``, exactly."""
    w = np.array([1.0, -2.0, 3.0])
    g = np.array([0.3, 0.1, -0.7])
    SGD([w], eta=0.1).step([g])
    np.testing.assert_array_equal(w, np.array([1.0, -2.0, 3.0]) - 0.1 * g)


# ---------------------------------------------------------------------------
# nnbook.optim: momentum and optimize
# ---------------------------------------------------------------------------


@pytest.fixture
def q():
    """A 6-D quadratic with eigenvalues from 0.1 to 10."""
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    return optim.quadratic(
        Q @ np.diag(np.logspace(-1, 1, 6)) @ Q.T, b=rng.normal(size=6)
    )


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_optim_momentum_equals_torch_sgd_and_its_velocity_is_minus_eta_times_the_buffer(
    q, gamma
):
    """optim.momentum's path is torch SGD(momentum)'s, and its velocity is ``v = -eta * buf``."""
    eta, w0 = 0.02, np.linspace(-1, 1, 6)
    path = optim.momentum(q.grad, w0, eta, gamma, STEPS)
    p = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta, momentum=gamma)
    for k in range(STEPS):
        p.grad = torch.from_numpy(q.grad(p.detach().numpy()))
        opt.step()
        assert np.abs(path.w[k + 1] - p.detach().numpy()).max() <= TOL
        v = path.w[k + 1] - path.w[k]
        assert np.abs(v + eta * opt.state[p]["momentum_buffer"].numpy()).max() <= TOL


def test_optimize_with_plain_sgd_equals_gradient_descent_exactly(q):
    """optimize(..., SGD, eta) takes the same steps as gradient_descent, bit for bit."""
    w0 = np.linspace(-1, 1, 6)
    a = optim.optimize(q.grad, w0, 100, SGD, loss=q.loss, eta=0.05)
    b = optim.gradient_descent(q.grad, w0, 0.05, 100, q.loss)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.loss, b.loss)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (SGD, dict(gamma=0.9, nesterov=True)),
        (Adagrad, {}),
        (RMSprop, dict(centered=True)),
        (Adam, {}),
        (AdamW, {}),
    ],
)
def test_optimize_records_the_path_of_the_torch_optimizer(q, cls, kwargs):
    """optimize's trajectory is torch's path, row by row, with the loss at every row."""
    w0, eta = np.linspace(-1, 1, 6), ETA[cls]
    path = optim.optimize(q.grad, w0, 100, cls, loss=q.loss, eta=eta, **kwargs)
    assert path.w.shape == (101, 6) and not path.diverged
    p = torch.tensor(w0, requires_grad=True)
    opt = TORCH[cls]([p], **to_torch(dict(kwargs, eta=eta)))
    expected = [w0]
    for _ in range(100):
        p.grad = torch.from_numpy(q.grad(p.detach().numpy()))
        opt.step()
        expected.append(p.detach().numpy().copy())
    assert np.abs(path.w - np.array(expected)).max() <= TOL
    np.testing.assert_allclose(path.loss, [q.loss(w) for w in path.w], rtol=1e-14)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def params3() -> list[np.ndarray]:
    return [np.zeros((2, 3)), np.zeros(3)]


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, AdamW])
@pytest.mark.parametrize("eta", [0.0, -0.1, float("nan"), float("inf")])
def test_eta_must_be_positive_and_finite(cls, eta):
    with pytest.raises(ValueError, match="eta"):
        cls(params3(), eta=eta)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize(
    "betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.999), (0.9, -0.5)]
)
def test_betas_must_be_in_zero_one(cls, betas):
    with pytest.raises(ValueError, match="betas"):
        cls(params3(), eta=0.01, betas=betas)


@pytest.mark.parametrize("cls", [Adagrad, RMSprop, Adam, AdamW])
def test_eps_must_not_be_negative(cls):
    with pytest.raises(ValueError, match="eps"):
        cls(params3(), eta=0.01, eps=-1e-8)


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match="nesterov"):
        SGD(params3(), eta=0.1, nesterov=True)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(params3(), eta=0.1, gamma=0.9, dampening=0.1, nesterov=True)


@pytest.mark.parametrize("cls", [SGD, Adam])
def test_grads_must_match_the_parameters(cls):
    """A gradient list of the wrong length or with a wrong shape is refused, and nothing moves."""
    params = params3()
    opt = cls(params, eta=0.1)
    with pytest.raises(ValueError, match="grads"):
        opt.step([np.ones((2, 3))])
    with pytest.raises(ValueError, match="grads"):
        opt.step([np.ones((2, 3)), np.ones(3), np.ones(1)])
    with pytest.raises(ValueError, match="grads"):
        opt.step([np.ones((3, 2)), np.ones(3)])
    assert opt.t == 0 and all(not p.any() for p in params)


@pytest.mark.parametrize(
    "params",
    [[[1.0, 2.0]], [np.arange(3)], 5.0, None, [np.zeros(2), "w"]],
    ids=["list-of-lists", "int-array", "number", "none", "string"],
)
def test_params_must_be_a_list_of_float_arrays(params):
    """Only float arrays can be updated in place: anything else is a TypeError naming ``params``."""
    with pytest.raises(TypeError, match="params"):
        SGD(params, eta=0.1)
