"""nnbook.regularization: L1/L2 penalties, their gradients, weight decay and the proximal L1 step."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from torch import nn

from nnbook import regularization as reg
from nnbook.models import mlp, small_cnn
from nnbook.network import Network
from nnbook.least_squares import fit_min_norm


def layer_arrays(seed: int = 0, dtype: type = np.float64) -> list[np.ndarray]:
    """Three weight matrices of a small network, with a few exact zeros."""
    rng = np.random.default_rng(seed)
    weights = [
        rng.normal(size=shape).astype(dtype) for shape in [(5, 4), (4, 3), (3, 2)]
    ]
    weights[0][0, :2] = 0.0
    return weights


def model_sparsity(model: nn.Module) -> float:
    """The share of a PyTorch model's weights (not biases) that are exactly zero."""
    return reg.sparsity([w.detach().numpy() for w in reg.weights_of(model)])


def autograd(
    weights: list[np.ndarray], kind: str, lmbda: float, n: int
) -> tuple[float, list[np.ndarray]]:
    """The penalty and its gradient computed by PyTorch from the formula, in float64."""
    tensors = [
        torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights
    ]
    if kind == "l1":
        value = lmbda / n * sum(t.abs().sum() for t in tensors)
    else:
        value = lmbda / (2 * n) * sum((t**2).sum() for t in tensors)
    value.backward()
    return value.item(), [t.grad.numpy() for t in tensors]


# --- values and gradients ---------------------------------------------------------------


def test_penalties_by_hand() -> None:
    weights = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([-0.5])]
    # sum |w| = 6.5, sum w**2 = 14.25; lmbda = 0.4, n = 2
    assert reg.l1_penalty(weights, 0.4, 2) == pytest.approx(0.4 / 2 * 6.5, rel=1e-15)
    assert reg.l2_penalty(weights, 0.4, 2) == pytest.approx(0.4 / 4 * 14.25, rel=1e-15)
    g1 = reg.l1_penalty_grad(weights, 0.4, 2)
    np.testing.assert_array_equal(g1[0], [[0.2, -0.2], [0.0, 0.2]])
    np.testing.assert_array_equal(g1[1], [-0.2])
    g2 = reg.l2_penalty_grad(weights, 0.4, 2)
    np.testing.assert_allclose(g2[0], [[0.2, -0.4], [0.0, 0.6]], rtol=1e-15)
    assert reg.penalty(weights, 0.4, 2, "l1") == reg.l1_penalty(weights, 0.4, 2)
    assert reg.penalty(weights, 0.4, 2) == reg.l2_penalty(weights, 0.4, 2)


@pytest.mark.parametrize("kind", reg.PENALTIES)
def test_numpy_penalties_and_gradients_match_autograd(kind: str) -> None:
    weights = layer_arrays()
    value, grads = autograd(weights, kind, lmbda=2.5, n=60)
    assert reg.penalty(weights, 2.5, 60, kind) == pytest.approx(value, rel=1e-13)
    for ours, theirs in zip(reg.penalty_grad(weights, 2.5, 60, kind), grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.lists(
        arrays(
            np.float64,
            array_shapes(min_dims=1, max_dims=3, max_side=5),
            elements=st.floats(-1e6, 1e6) | st.just(0.0),
        ),
        min_size=1,
        max_size=4,
    ),
    st.just(0.0) | st.floats(1e-6, 1e3),  # no subnormal products, which lose digits
    st.integers(1, 10**6),
    st.sampled_from(reg.PENALTIES),
)
def test_penalties_and_gradients_match_autograd_on_random_weights(
    weights: list[np.ndarray], lmbda: float, n: int, kind: str
) -> None:
    value, grads = autograd(weights, kind, lmbda, n)
    assert reg.penalty(weights, lmbda, n, kind) == pytest.approx(
        value, rel=1e-12, abs=1e-300
    )
    for ours, theirs in zip(reg.penalty_grad(weights, lmbda, n, kind), grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", reg.PENALTIES)
@pytest.mark.parametrize(
    "builder",
    [
        lambda: mlp([6, 5, 4, 3], seed=1),
        lambda: small_cnn((1, 2, 3), image_size=8, seed=1),
    ],
)
def test_model_penalty_is_differentiable_and_matches_the_gradient_function(
    kind, builder
) -> None:
    model = builder().double()
    for p in model.parameters():  # biases would start at zero, which hides mistakes
        nn.init.normal_(p, generator=torch.Generator().manual_seed(3))
    value = reg.model_penalty(model, 0.7, 50, kind)
    assert isinstance(value, torch.Tensor) and value.ndim == 0
    value.backward()
    weights = reg.weights_of(model)
    arrays = [w.detach().numpy() for w in weights]
    for w, g in zip(weights, reg.penalty_grad(arrays, 0.7, 50, kind)):
        np.testing.assert_allclose(w.grad.numpy(), g, rtol=1e-14, atol=0)
    chosen = {id(w) for w in weights}
    others = [p for p in model.parameters() if id(p) not in chosen]
    assert others, "the model has biases"
    assert all(p.grad is None for p in others), "biases are not penalised"
    # The same numbers from NumPy copies of the weights.
    assert reg.penalty(arrays, 0.7, 50, kind) == pytest.approx(value.item(), rel=1e-13)


def test_weights_of_picks_linear_and_convolution_weights_only() -> None:
    model = mlp([4, 3, 2])
    assert [w.shape for w in reg.weights_of(model)] == [(3, 4), (2, 3)]
    cnn = small_cnn((1, 2, 3), image_size=8)
    assert [w.ndim for w in reg.weights_of(cnn)] == [4, 4, 2]
    model = nn.Sequential(
        nn.Conv1d(1, 2, 3),
        nn.BatchNorm1d(2),
        nn.ConvTranspose1d(2, 1, 3),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    assert [w.shape for w in reg.weights_of(model)] == [(2, 1, 3), (2, 1, 3), (2, 4)]
    assert reg.weights_of(model)[0] is model[0].weight


def test_from_scratch_network_weights_not_biases() -> None:
    net = Network([3, 4, 2], seed=0)
    expected = sum(float(np.sum(w**2)) for w in net.weights)
    assert reg.l2_penalty(net.weights, 2.0, 10) == pytest.approx(
        2.0 / 20 * expected, rel=1e-14
    )
    grads = reg.l1_penalty_grad(net.weights, 2.0, 10)
    assert [g.shape for g in grads] == [(3, 4), (4, 2)]
    # The same network in PyTorch: Linear stores the transposed weight.
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).double()
    with torch.no_grad():
        for layer, w, b in zip(model[::2], net.weights, net.biases):
            layer.weight.copy_(torch.tensor(w.T))
            layer.bias.copy_(torch.tensor(b))
    assert reg.model_penalty(model, 2.0, 10, "l1").item() == pytest.approx(
        reg.l1_penalty(net.weights, 2.0, 10), rel=1e-14
    )


def test_numpy_dtype_is_kept_and_integers_become_float() -> None:
    weights = layer_arrays(dtype=np.float32)
    for kind in reg.PENALTIES:
        assert all(
            g.dtype == np.float32 for g in reg.penalty_grad(weights, 1.0, 3, kind)
        )
    assert reg.l1_penalty([np.array([1, -2])], 1.0, 1) == 3.0
    assert reg.l2_penalty_grad([[1, -2]], 1.0, 1)[0].dtype == np.float64


def test_numpy_use_does_not_import_torch() -> None:
    code = (
        "import sys, numpy as np\n"
        "from nnbook import regularization as reg\n"
        "w = [np.ones((2, 3)), -np.ones(3)]\n"
        "reg.l1_penalty(w, 1.0, 2); reg.l2_penalty_grad(w, 1.0, 2); reg.sparsity(w)\n"
        "reg.l1_proximal_step(w, 0.1, 1.0, 2); reg.soft_threshold(w[0], 0.5); reg.ridge(w[0], [1.0, 2.0], 0.1)\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- L2: a gradient step with the penalty is weight decay -------------------------------


def small_problem(seed: int = 0) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    """A float64 MLP with non-zero biases and a batch of data for it."""
    g = torch.Generator().manual_seed(seed)
    model = mlp([6, 8, 3], seed=seed).double()
    with torch.no_grad():
        for layer in (model[1], model[3]):
            layer.bias.copy_(
                torch.randn(layer.bias.shape, generator=g, dtype=torch.float64)
            )
    X = torch.randn(40, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (40,), generator=g)
    return model, X, y


def train_steps(
    model: nn.Module, optimizer: torch.optim.Optimizer, loss, X, y, steps: int = 8
) -> None:
    for step in range(steps):
        batch = slice(10 * (step % 4), 10 * (step % 4) + 10)
        optimizer.zero_grad()
        loss(model(X[batch]), y[batch]).backward()
        optimizer.step()


def test_sgd_with_l2_penalty_equals_torch_weight_decay() -> None:
    lmbda, n, lr = 3.0, 40, 0.2
    model_a, X, y = small_problem()
    model_b, _, _ = small_problem()
    # (a) the lecture's cost C0 + (lmbda / 2n) sum w^2, plain SGD
    train_steps(
        model_a,
        torch.optim.SGD(model_a.parameters(), lr=lr),
        reg.penalized_loss(model_a, lmbda, n, "l2"),
        X,
        y,
    )
    # (b) the unregularised cost, SGD with weight_decay = lmbda / n on the weights only
    train_steps(
        model_b,
        torch.optim.SGD(reg.param_groups(model_b, weight_decay=lmbda / n), lr=lr),
        F.cross_entropy,
        X,
        y,
    )
    for p, q in zip(model_a.parameters(), model_b.parameters()):
        assert (p - q).abs().max().item() < 1e-12
    # Weight decay on *all* parameters also shrinks the biases: a different model.
    model_c, _, _ = small_problem()
    train_steps(
        model_c,
        torch.optim.SGD(model_c.parameters(), lr=lr, weight_decay=lmbda / n),
        F.cross_entropy,
        X,
        y,
    )
    assert (model_c[1].bias - model_a[1].bias).abs().max().item() > 1e-3


def test_numpy_l2_step_is_a_shrink_then_a_plain_step() -> None:
    """The from-scratch update w - eta (dC0/dw + l2 gradient) equals torch's weight decay."""
    lmbda, n, eta = 3.0, 40, 0.2
    model, X, y = small_problem()
    F.cross_entropy(model(X), y).backward()
    weights = [w.detach().numpy().copy() for w in reg.weights_of(model)]
    grads_c0 = [w.grad.numpy().copy() for w in reg.weights_of(model)]
    stepped = [
        w - eta * (g + p)
        for w, g, p in zip(weights, grads_c0, reg.l2_penalty_grad(weights, lmbda, n))
    ]
    torch.optim.SGD(reg.param_groups(model, weight_decay=lmbda / n), lr=eta).step()
    for ours, w, w0, g in zip(stepped, reg.weights_of(model), weights, grads_c0):
        np.testing.assert_allclose(ours, w.detach().numpy(), rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            ours, (1 - eta * lmbda / n) * w0 - eta * g, rtol=0, atol=1e-15
        )


def test_param_groups_split_weights_from_the_rest() -> None:
    model = mlp([4, 3, 2])
    weights, rest = reg.param_groups(model, weight_decay=0.1)
    assert weights["weight_decay"] == 0.1 and "weight_decay" not in rest
    assert [id(p) for p in weights["params"]] == [
        id(model[1].weight),
        id(model[3].weight),
    ]
    assert [id(p) for p in rest["params"]] == [id(model[1].bias), id(model[3].bias)]
    assert len(reg.param_groups(nn.Linear(3, 2, bias=False))) == 1


def test_penalized_loss_adds_the_penalty() -> None:
    model, X, y = small_problem()
    for kind in reg.PENALTIES:
        loss = reg.penalized_loss(model, 0.5, 40, kind)
        expected = F.cross_entropy(model(X), y) + reg.model_penalty(
            model, 0.5, 40, kind
        )
        torch.testing.assert_close(loss(model(X), y), expected, rtol=1e-15, atol=0)
    mse = reg.penalized_loss(model, 0.5, 40, "l1", loss=lambda out, t: (out**2).mean())
    torch.testing.assert_close(
        mse(model(X), y),
        (model(X) ** 2).mean() + reg.model_penalty(model, 0.5, 40, "l1"),
    )


# --- L1: soft thresholding and the proximal step ----------------------------------------


def test_soft_threshold_values() -> None:
    w = np.array([-3.0, -1.0, -0.5, 0.0, 0.2, 1.0, 2.5])
    expected = np.array([-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5])
    np.testing.assert_array_equal(reg.soft_threshold(w, 1.0), expected)
    np.testing.assert_array_equal(
        reg.soft_threshold(torch.tensor(w), 1.0), expected
    )  # a tensor is read as an array
    np.testing.assert_array_equal(reg.soft_threshold(w, 0.0), w)
    assert reg.soft_threshold(np.float32([1.5]), 1.0).dtype == np.float32
    np.testing.assert_array_equal(reg.soft_threshold([3, -3], 1), [2.0, -2.0])


@settings(max_examples=200, deadline=None, database=None)
@given(st.floats(-100, 100), st.floats(0, 50))
def test_soft_threshold_is_the_proximal_operator(w: float, t: float) -> None:
    """soft_threshold(w, t) minimises (v - w)^2 / 2 + t |v| over v."""
    v = float(reg.soft_threshold(np.array([w]), t)[0])

    def objective(u: float) -> float:
        return (u - w) ** 2 / 2 + t * abs(u)

    for u in (v - 1e-3, v + 1e-3, 0.0, w, w - t, w + t):
        assert objective(v) <= objective(u) + 1e-9


def orthogonal_lasso(
    n: int = 16, p: int = 8
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, float]:
    """A lasso problem with X^T X = n I, whose solution is known in closed form.

    With C(w) = ||y - X w||^2 / (2n) + (lmbda / n) sum |w|, each coordinate
    separates: the minimiser is soft_threshold(X^T y / n, lmbda / n).
    """
    H = np.array([[1.0]])
    while H.shape[0] < n:  # a Hadamard matrix: orthogonal columns of +-1
        H = np.block([[H, H], [H, -H]])
    X = H[:, :p]
    w_true = np.array([3.0, -2.0, 0.05, 0.0, 1.0, -0.08, 0.0, 0.5])
    y = X @ w_true + 0.1 * np.random.default_rng(0).normal(size=n)
    lmbda = 3.0
    solution = reg.soft_threshold(X.T @ y / n, lmbda / n)
    return torch.tensor(X), torch.tensor(y), solution, lmbda


def test_proximal_sgd_solves_a_lasso_problem_with_exact_zeros() -> None:
    X, y, solution, lmbda = orthogonal_lasso()
    n = len(y)
    assert np.count_nonzero(solution == 0) >= 3  # the problem has a sparse solution

    def half_mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 0.5 * F.mse_loss(out[:, 0], target)

    proximal = nn.Linear(X.shape[1], 1, bias=False).double()
    nn.init.normal_(proximal.weight, generator=torch.Generator().manual_seed(0))
    subgradient = nn.Linear(X.shape[1], 1, bias=False).double()
    subgradient.load_state_dict(proximal.state_dict())
    train_steps_full(
        proximal, reg.proximal_sgd(proximal, lmbda, n, eta=0.5), half_mse, X, y
    )
    train_steps_full(
        subgradient,
        torch.optim.SGD(subgradient.parameters(), lr=0.5),
        reg.penalized_loss(subgradient, lmbda, n, "l1", loss=half_mse),
        X,
        y,
    )

    w = proximal.weight.detach().numpy()[0]
    np.testing.assert_allclose(w, solution, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(w == 0, solution == 0)  # exactly zero, not just small
    assert model_sparsity(proximal) == np.mean(solution == 0)
    # A gradient step on the L1 cost jumps across zero and never lands on it.
    assert model_sparsity(subgradient) == 0.0
    w_sub = subgradient.weight.detach().numpy()[0]
    assert np.abs(w_sub[solution == 0]).max() > 0


def train_steps_full(
    model: nn.Module, optimizer: torch.optim.Optimizer, loss, X, y, steps: int = 300
) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        loss(model(X), y).backward()
        optimizer.step()


def test_numpy_proximal_gradient_descent_solves_the_same_lasso() -> None:
    X, y, solution, lmbda = orthogonal_lasso()
    X, y = X.numpy(), y.numpy()
    n, eta = len(y), 0.5
    weights = [np.random.default_rng(1).normal(size=X.shape[1])]
    for _ in range(300):
        weights[0] -= eta * X.T @ (X @ weights[0] - y) / n
        reg.l1_proximal_step(weights, eta, lmbda, n)
    np.testing.assert_allclose(weights[0], solution, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(weights[0] == 0, solution == 0)


def test_proximal_step_is_a_plain_step_then_a_soft_threshold() -> None:
    model, X, y = small_problem()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = reg.proximal_sgd(model, lmbda=2.0, n=40, eta=0.3)
    optimizer.param_groups[0]["lr"] = optimizer.param_groups[1]["lr"] = (
        0.1  # as a scheduler would
    )
    F.cross_entropy(model(X), y).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    optimizer.step()
    for p, p0, g, is_weight in zip(
        model.parameters(), before, grads, [True, False, True, False]
    ):
        plain = p0 - 0.1 * g
        expected = (
            torch.from_numpy(reg.soft_threshold(plain.numpy(), 0.1 * 2.0 / 40))
            if is_weight
            else plain
        )
        torch.testing.assert_close(p.detach(), expected, rtol=0, atol=1e-15)


def test_proximal_sgd_zeroes_weights_but_not_biases() -> None:
    model, X, y = small_problem()
    optimizer = reg.proximal_sgd(model, lmbda=1e4, n=40, eta=0.1)
    train_steps(model, optimizer, F.cross_entropy, X, y, steps=2)
    assert model_sparsity(model) == 1.0
    assert torch.count_nonzero(model[3].bias) == 3


def test_l1_proximal_step_changes_a_networks_weights_in_place() -> None:
    net = Network([3, 4, 2], seed=0)
    expected = [reg.soft_threshold(w, 0.2) for w in net.weights]
    biases = [b.copy() for b in net.biases]
    reg.l1_proximal_step(net.weights, eta=0.1, lmbda=4.0, n=2)
    for w, e in zip(net.weights, expected):
        np.testing.assert_array_equal(w, e)
    for b, b0 in zip(net.biases, biases):
        np.testing.assert_array_equal(b, b0)


# --- measurements -----------------------------------------------------------------------


def test_sparsity_counts_exact_zeros_of_weights() -> None:
    weights = [np.array([[0.0, 1.0], [-0.0, 1e-9]]), np.array([0.0, 2.0, 3.0, 4.0])]
    assert reg.sparsity(weights) == 3 / 8  # -0.0 is zero too
    assert reg.sparsity(weights, atol=1e-6) == 4 / 8
    model = mlp([4, 3, 2])  # biases are zero but not counted
    assert model_sparsity(model) == 0.0
    with torch.no_grad():
        model[1].weight[0] = 0.0
    assert model_sparsity(model) == 4 / (12 + 6)


def test_output_sensitivity_of_a_linear_model_scales_with_its_weights() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(5, 3)).double()
    X = torch.randn(
        20, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    s = reg.output_sensitivity(
        model, X, epsilon=0.1, n_draws=5, seed=1, output="logits"
    )
    assert s == reg.output_sensitivity(
        model, X, epsilon=0.1, n_draws=5, seed=1, output="logits"
    )
    assert s != reg.output_sensitivity(
        model, X, epsilon=0.1, n_draws=5, seed=2, output="logits"
    )
    # For a linear model the change of the logits is W delta: exactly linear in W and epsilon.
    assert reg.output_sensitivity(
        model, X, epsilon=0.2, n_draws=5, seed=1, output="logits"
    ) == pytest.approx(2 * s, rel=1e-12)
    with torch.no_grad():
        model[1].weight.mul_(0.5)
        model[1].bias.normal_()
    assert reg.output_sensitivity(
        model, X, epsilon=0.1, n_draws=5, seed=1, output="logits"
    ) == pytest.approx(s / 2, rel=1e-12)
    # Probabilities move less than sqrt(2), the largest distance between two of them.
    p = reg.output_sensitivity(model, X, epsilon=10.0, seed=1)
    assert 0 < p < 2**0.5


def test_ridge_solves_the_penalised_least_squares_problem() -> None:
    rng = np.random.default_rng(0)
    for n, p in [(30, 5), (10, 25)]:
        X, y = rng.normal(size=(n, p)), rng.normal(size=n)
        w = reg.ridge(X, y, lmbda=0.7)
        np.testing.assert_allclose(
            w, np.linalg.solve(X.T @ X + 0.7 * np.eye(p), X.T @ y), rtol=1e-10
        )
        # The gradient of the cost (1/2n)|y - Xw|^2 + (lmbda/2n)|w|^2, by autograd, vanishes there.
        wt = torch.tensor(w, requires_grad=True)
        Xt, yt = torch.tensor(X), torch.tensor(y)
        cost = ((yt - Xt @ wt) ** 2).sum() / (2 * n) + 0.7 / (2 * n) * (wt**2).sum()
        cost.backward()
        assert wt.grad.abs().max().item() < 1e-13


def test_ridge_tends_to_the_minimum_norm_fit() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(10, 25)), rng.normal(size=10)
    w_min = fit_min_norm(X, y)
    np.testing.assert_allclose(reg.ridge(X, y, 0.0), w_min, rtol=1e-12, atol=1e-14)
    distances = [
        np.linalg.norm(reg.ridge(X, y, lmbda) - w_min)
        for lmbda in (1.0, 1e-2, 1e-4, 1e-6)
    ]
    assert all(a > b for a, b in itertools.pairwise(distances))
    assert distances[-1] < 1e-5
    norms = [np.linalg.norm(reg.ridge(X, y, lmbda)) for lmbda in (10.0, 1.0, 0.1)]
    assert norms[0] < norms[1] < norms[2] < np.linalg.norm(w_min)


# --- errors a reader may meet -------------------------------------------------------------


NUMPY_WEIGHTS = [np.ones((2, 2))]


@pytest.mark.parametrize(
    "call",
    [
        lambda lmbda: reg.l1_penalty(NUMPY_WEIGHTS, lmbda, 10),
        lambda lmbda: reg.l2_penalty(NUMPY_WEIGHTS, lmbda, 10),
        lambda lmbda: reg.l1_penalty_grad(NUMPY_WEIGHTS, lmbda, 10),
        lambda lmbda: reg.l2_penalty_grad(NUMPY_WEIGHTS, lmbda, 10),
        lambda lmbda: reg.model_penalty(mlp([2, 2]), lmbda, 10, "l1"),
        lambda lmbda: reg.penalized_loss(mlp([2, 2]), lmbda, 10),
        lambda lmbda: reg.proximal_sgd(mlp([2, 2]), lmbda, 10),
        lambda lmbda: reg.l1_proximal_step([np.ones(2)], 0.1, lmbda, 10),
        lambda lmbda: reg.ridge(np.ones((3, 2)), np.ones(3), lmbda),
    ],
)
@pytest.mark.parametrize("lmbda", [-0.1, -1, float("nan"), float("inf")])
def test_negative_or_infinite_lambda_is_a_clear_error(call, lmbda) -> None:
    with pytest.raises(ValueError, match=r"lmbda must be a finite number >= 0, got"):
        call(lmbda)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: reg.l2_penalty(NUMPY_WEIGHTS, True, 10),
            TypeError,
            "lmbda must be a real number, got bool",
        ),
        (
            lambda: reg.l2_penalty(NUMPY_WEIGHTS, "0.1", 10),
            TypeError,
            "lmbda must be a real number, got str",
        ),
        (
            lambda: reg.l2_penalty(NUMPY_WEIGHTS, 0.1, 0),
            ValueError,
            "n must be an integer >= 1, got 0",
        ),
        (
            lambda: reg.l2_penalty(NUMPY_WEIGHTS, 0.1, 10.0),
            TypeError,
            "n must be an integer, got float",
        ),
        (
            lambda: reg.penalty(NUMPY_WEIGHTS, 0.1, 10, "l3"),
            ValueError,
            "kind must be one of 'l1', 'l2', got 'l3'",
        ),
        (
            lambda: reg.penalty_grad(NUMPY_WEIGHTS, 0.1, 10, "L2"),
            ValueError,
            "kind must be one of",
        ),
        (
            lambda: reg.l1_penalty(np.ones((2, 2)), 0.1, 10),
            TypeError,
            "got a single array; for one layer pass",
        ),
        (
            lambda: reg.l1_penalty(torch.ones(2, 2), 0.1, 10),
            TypeError,
            "got a single array",
        ),
        (
            lambda: reg.l1_penalty([], 0.1, 10),
            ValueError,
            "at least one array, got an empty list",
        ),
        (
            lambda: reg.l1_penalty(3.0, 0.1, 10),
            TypeError,
            r"one NumPy array per layer \(.*\), got float",
        ),
        (
            lambda: reg.l1_penalty(mlp([2, 2]), 0.1, 10),
            TypeError,
            "for a PyTorch model use model_penalty",
        ),
        (
            lambda: reg.l1_penalty([np.ones(2), torch.ones(2)], 0.1, 10),
            TypeError,
            r"weights\[1\] is a PyTorch tensor",
        ),
        (
            lambda: reg.l1_penalty([np.ones(2), np.array([1.0, np.nan])], 0.1, 10),
            ValueError,
            r"weights\[1\] must not contain NaN",
        ),
        (
            lambda: reg.l1_penalty([torch.tensor([np.nan])], 0.1, 10),
            TypeError,
            r"weights\[0\] is a PyTorch tensor",
        ),
        (
            lambda: reg.l1_penalty([np.array(["a"])], 0.1, 10),
            TypeError,
            r"weights\[0\] must hold real numbers",
        ),
        (
            lambda: reg.l1_penalty([np.ones(2, dtype=complex)], 0.1, 10),
            TypeError,
            "must hold real numbers",
        ),
        (
            lambda: reg.l1_penalty([torch.ones(2, dtype=torch.int64)], 0.1, 10),
            TypeError,
            "is a PyTorch tensor; these functions take NumPy arrays",
        ),
        (
            lambda: reg.l1_proximal_step([[1.0, 2.0]], 0.1, 0.1, 10),
            TypeError,
            "must be a floating-point NumPy array to be changed in place, got list",
        ),
        (
            lambda: reg.l1_proximal_step([np.ones(2, dtype=int)], 0.1, 0.1, 10),
            TypeError,
            "to be changed in place, got an array of dtype int",
        ),
        (
            lambda: reg.l1_proximal_step([np.ones(2)], -0.1, 0.1, 10),
            ValueError,
            "eta must be a positive finite number, got -0.1",
        ),
        (
            lambda: reg.weights_of(nn.Sequential(nn.ReLU())),
            ValueError,
            "no linear or convolution layer",
        ),
        (
            lambda: reg.weights_of([np.ones(2)]),
            TypeError,
            "model must be a torch.nn.Module, got list",
        ),
        (
            lambda: reg.model_penalty(nn.Sequential(nn.Flatten()), 0.1, 10),
            ValueError,
            "no linear or convolution layer",
        ),
        (
            lambda: reg.penalized_loss(nn.Sequential(nn.ReLU()), 0.1, 10),
            ValueError,
            "no linear or convolution layer",
        ),
        (
            lambda: reg.proximal_sgd(mlp([2, 2]), 0.1, 10, eta=0),
            ValueError,
            "eta must be a positive finite number, got 0",
        ),
        (
            lambda: reg.soft_threshold(np.ones(2), -1.0),
            ValueError,
            "threshold must be a finite number >= 0, got -1.0",
        ),
        (
            lambda: reg.soft_threshold(np.array(["x"]), 1.0),
            TypeError,
            "w must hold real numbers",
        ),
        (
            lambda: reg.sparsity(NUMPY_WEIGHTS, atol=-1),
            ValueError,
            "atol must be a finite number >= 0",
        ),
        (
            lambda: reg.output_sensitivity(mlp([2, 2]), torch.ones(3, 2), epsilon=0),
            ValueError,
            "epsilon must be a positive finite number",
        ),
        (
            lambda: reg.output_sensitivity(mlp([2, 2]), np.ones((3, 2)), epsilon=0.1),
            TypeError,
            "X must be a non-empty floating-point tensor",
        ),
        (
            lambda: reg.output_sensitivity(
                mlp([2, 2]), torch.ones(3, 2), 0.1, n_draws=0
            ),
            ValueError,
            "n_draws must be an integer >= 1",
        ),
        (
            lambda: reg.output_sensitivity(
                mlp([2, 2]), torch.ones(3, 2), 0.1, output="p"
            ),
            ValueError,
            "output must be one of 'probabilities', 'logits'",
        ),
        (
            lambda: reg.output_sensitivity(np.ones(2), torch.ones(3, 2), 0.1),
            TypeError,
            "model must be a torch.nn.Module",
        ),
        (
            lambda: reg.ridge(np.ones((3, 2)), np.ones(2), 0.1),
            ValueError,
            r"y must have shape \(3,\) to match X of shape \(3, 2\)",
        ),
        (
            lambda: reg.ridge(np.ones(3), np.ones(3), 0.1),
            ValueError,
            "X must have 2 dimension",
        ),
        (
            lambda: reg.ridge(np.full((3, 2), np.nan), np.ones(3), 0.1),
            ValueError,
            "must not contain NaN",
        ),
        (
            lambda: reg.ridge(np.ones((3, 2)), np.ones(3), 0.0, rcond=np.nan),
            ValueError,
            r"rcond must be in \[0, 1\), got nan",
        ),
        (
            lambda: reg.l2_penalty([[]], 0.1, 10),
            ValueError,
            r"weights\[0\] must hold at least one value, got shape \(0,\)",
        ),
        (
            lambda: reg.sparsity([np.ones(2), np.ones((2, 0))]),
            ValueError,
            r"weights\[1\] must hold at least one value",
        ),
        (
            lambda: reg.l1_proximal_step([np.ones(2)], 0.0, 0.1, 10),
            ValueError,
            "eta must be a positive finite number, got 0.0",
        ),
        (
            lambda: reg.model_penalty("model", 0.1, 10),
            TypeError,
            "model must be a torch.nn.Module, got str",
        ),
        (
            lambda: reg.penalized_loss(None, 0.1, 10),
            TypeError,
            "model must be a torch.nn.Module, got NoneType",
        ),
        (
            lambda: reg.proximal_sgd(np.zeros(3), 0.1, 10),
            TypeError,
            "model must be a torch.nn.Module, got ndarray",
        ),
        (
            lambda: reg.param_groups("model", weight_decay=0.1),
            TypeError,
            "model must be a torch.nn.Module, got str",
        ),
        (
            lambda: reg.output_sensitivity(mlp([2, 2]), torch.ones(3, 2), 0.1, seed=-1),
            ValueError,
            "seed must be an integer >= 0, got -1",
        ),
        (
            lambda: reg.output_sensitivity(
                mlp([2, 2]), torch.ones(3, 2), 0.1, seed=None
            ),
            TypeError,
            "seed must be an int or a torch.Generator, got NoneType",
        ),
        (
            lambda: reg.output_sensitivity(
                mlp([2, 2]), torch.ones(3, 2), 0.1, n_draws=10**12
            ),
            ValueError,
            "n_draws must be an integer <= 10000000",
        ),
    ],
)
def test_errors_say_what_was_expected(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_output_sensitivity_draws_from_a_torch_generator_as_from_its_seed() -> None:
    model, X = (
        mlp([2, 3, 2], seed=0),
        torch.randn(5, 2, generator=torch.Generator().manual_seed(1)),
    )
    by_seed = reg.output_sensitivity(model, X, 0.1, n_draws=3, seed=4)
    by_generator = reg.output_sensitivity(
        model, X, 0.1, n_draws=3, seed=torch.Generator().manual_seed(4)
    )
    assert by_seed == by_generator > 0


# --- inverted dropout -----------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_with_pytorchs_mask_equals_pytorchs_dropout(p: float) -> None:
    # A positive input has no zeros of its own, so PyTorch's zeros are its mask.
    x = (
        torch.rand(
            64, 50, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
        )
        + 0.5
    )
    torch.manual_seed(3)
    expected = F.dropout(x, p=p, training=True)
    mask = (expected != 0).numpy()
    assert torch.equal(torch.from_numpy(reg.dropout(x.numpy(), p, mask=mask)), expected)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_has_pytorchs_distribution(p: float) -> None:
    x = np.random.default_rng(10).uniform(0.5, 1.5, size=200_000)  # not the masks' seed
    ours = reg.dropout(x, p, seed=0)
    torch.manual_seed(0)
    theirs = F.dropout(torch.from_numpy(x), p=p, training=True).numpy()
    for out in (ours, theirs):
        kept = out != 0
        # The kept entries are the input scaled by 1 / (1 - p), the others zero.
        assert np.array_equal(out[kept], x[kept] * (1 / (1 - p)))
        # Each entry is kept with probability 1 - p: within five standard errors.
        assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / x.size)
        # Inverted dropout keeps the mean: E[out] = x.
        # Given x, each output has variance x**2 p / (1 - p); five standard errors.
        assert abs(out.mean() - x.mean()) < 5 * np.sqrt(
            (x**2).mean() * p / (1 - p) / x.size
        )
    # Different seeds, different masks; the same seed, the same mask.
    assert not np.array_equal(reg.dropout(x, p, seed=1), ours)
    assert np.array_equal(reg.dropout(x, p, seed=0), ours)


def test_dropout_in_evaluation_is_the_identity_as_in_pytorch() -> None:
    x = np.random.default_rng(2).normal(size=(8, 30))
    layer = nn.Dropout(p=0.5).eval()
    assert np.array_equal(reg.dropout(x, 0.5, training=False), x)
    assert np.array_equal(layer(torch.from_numpy(x)).numpy(), x)
    assert (
        reg.dropout(x, 0.5, training=False) is not x
    )  # a new array, as the docstring says


def test_dropout_edge_rates_and_dtype() -> None:
    x = np.random.default_rng(4).normal(size=(5, 7)).astype(np.float32)
    assert np.array_equal(reg.dropout(x, 0.0, seed=0), x)
    assert np.array_equal(reg.dropout(x, 1.0, seed=0), np.zeros_like(x))
    assert np.array_equal(
        F.dropout(torch.from_numpy(x), p=1.0).numpy(), np.zeros_like(x)
    )
    assert reg.dropout(x, 0.3, seed=0).dtype == np.float32


@pytest.mark.parametrize(
    "bad, error",
    [
        (dict(p=1.5), ValueError),
        (dict(p=-0.1), ValueError),
        (dict(training="yes"), TypeError),
        (dict(mask=np.ones((2, 2), dtype=bool)), ValueError),
        (dict(mask=np.ones((3, 4))), ValueError),
        (dict(seed=-1), ValueError),
        (dict(seed=1.5), TypeError),
    ],
)
def test_dropout_rejects_bad_arguments(bad: dict, error: type) -> None:
    arguments = dict(a=np.ones((3, 4)), p=0.5) | bad
    with pytest.raises(error, match=next(iter(bad))):
        reg.dropout(**arguments)
