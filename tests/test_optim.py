"""Tests of nnbook.optim: gradient descent, momentum, mini-batch SGD, quadratics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.optim import (
    DivergenceWarning,
    Quadratic,
    Trajectory,
    gradient_descent,
    gradient_noise,
    minibatch_indices,
    minibatch_sgd,
    momentum,
    quadratic,
)


def random_spd(d: int, seed: int, kappa: float = 20.0) -> np.ndarray:
    """A random symmetric positive definite matrix with eigenvalues in [1, kappa]."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return Q @ np.diag(np.linspace(1.0, kappa, d)) @ Q.T


@pytest.fixture
def q3() -> Quadratic:
    """A 3-D quadratic with its minimum away from the origin."""
    return quadratic(random_spd(3, seed=0), b=[1.0, -2.0, 0.5], c=0.3)


# --- non-quadratic test functions, in NumPy and in torch ---------------------


def rosenbrock(w):
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(w: np.ndarray) -> np.ndarray:
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.fixture
def logistic():
    """A logistic-regression loss on random data, in NumPy and in torch (float64)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.5 * rng.normal(size=40) > 0).astype(float)

    def loss(w):
        z = X @ w
        return np.mean(np.logaddexp(0.0, z) - y * z)

    def grad_batch(w, idx):
        p = 1.0 / (1.0 + np.exp(-(X[idx] @ w)))
        return X[idx].T @ (p - y[idx]) / len(idx)

    def torch_loss(p, idx=slice(None)):
        Xt, yt = torch.from_numpy(X[idx]), torch.from_numpy(y[idx])
        return torch.nn.functional.binary_cross_entropy_with_logits(Xt @ p, yt)

    return loss, grad_batch, torch_loss, len(y)


def torch_sgd(torch_loss, w0, eta: float, gamma: float, steps: int) -> np.ndarray:
    """Iterates of torch.optim.SGD(lr=eta, momentum=gamma) with autograd gradients."""
    p = torch.tensor(np.asarray(w0, dtype=np.float64), requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta, momentum=gamma)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        torch_loss(p).backward()
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


# ---------------------------------------------------------------------------
# Gradient descent
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("eta_L", [0.1, 0.5, 0.9, 1.5, 1.99])
def test_gd_matches_the_closed_form_iterates_on_a_quadratic(q3, eta_L):
    eta = eta_L / q3.L
    w0 = np.array([3.0, -1.0, 2.0])
    path = gradient_descent(q3.grad, w0, eta, 60, q3.loss)
    assert path.w.shape == (61, 3) and not path.diverged
    expected = np.array([q3.gd_iterate(w0, eta, k) for k in range(61)])
    np.testing.assert_allclose(path.w, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(path.loss, q3.loss(expected), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    eigenvalues=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=4),
    eta_L=st.floats(0.01, 1.99),
    seed=st.integers(0, 2**31),
)
def test_gd_error_shrinks_by_one_minus_eta_lambda_along_each_eigenvector(
    eigenvalues, eta_L, seed
):
    rng = np.random.default_rng(seed)
    d = len(eigenvalues)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    q = quadratic(Q @ np.diag(eigenvalues) @ Q.T, b=rng.normal(size=d))
    eta = eta_L / q.L
    w0 = rng.normal(size=d)
    path = gradient_descent(q.grad, w0, eta, 20)
    error0 = Q.T @ (w0 - q.minimizer)
    for k in (1, 7, 20):
        predicted = (1 - eta * np.asarray(eigenvalues)) ** k * error0
        np.testing.assert_allclose(
            Q.T @ (path.w[k] - q.minimizer),
            predicted,
            atol=1e-9 * (1 + np.abs(error0).max()),
        )


def test_gd_in_one_dimension_is_a_geometric_sequence():
    q = quadratic(4.0)
    path = gradient_descent(q.grad, 1.0, 0.1, 10)
    assert path.w.shape == (11, 1)
    np.testing.assert_allclose(path.w[:, 0], 0.6 ** np.arange(11), rtol=1e-14)


def test_gd_keeps_the_shape_of_matrix_parameters():
    target = np.arange(6.0).reshape(2, 3)
    path = gradient_descent(
        lambda W: W - target,
        np.zeros((2, 3)),
        0.5,
        30,
        lambda W: 0.5 * np.sum((W - target) ** 2),
    )
    assert path.w.shape == (31, 2, 3)
    np.testing.assert_allclose(path.final, target, atol=1e-8)
    assert path.loss[-1] < 1e-15


def test_gd_accepts_a_torch_tensor_as_start(q3):
    from_numpy = gradient_descent(q3.grad, np.ones(3), 0.01, 5)
    from_torch = gradient_descent(q3.grad, torch.ones(3, dtype=torch.float64), 0.01, 5)
    np.testing.assert_array_equal(from_numpy.w, from_torch.w)


def test_zero_steps_returns_the_start(q3):
    path = gradient_descent(q3.grad, [1.0, 2.0, 3.0], 0.1, 0, q3.loss)
    assert path.steps == 0 and len(path) == 1
    np.testing.assert_array_equal(path.w, [[1.0, 2.0, 3.0]])
    assert path.loss[0] == pytest.approx(q3.loss([1.0, 2.0, 3.0]))


def test_record_every_keeps_every_rth_row_and_the_last(q3):
    full = gradient_descent(q3.grad, np.ones(3), 0.02, 23, q3.loss)
    thin = gradient_descent(q3.grad, np.ones(3), 0.02, 23, q3.loss, record_every=5)
    np.testing.assert_array_equal(thin.step, [0, 5, 10, 15, 20, 23])
    np.testing.assert_array_equal(thin.w, full.w[thin.step])
    np.testing.assert_array_equal(thin.loss, full.loss[thin.step])


def test_steps_to_reach(q3):
    path = gradient_descent(q3.grad, np.ones(3), 0.5 * q3.max_stable_eta, 200, q3.loss)
    k = path.steps_to_reach(1e-6, loss_star=q3.min_loss)
    assert (
        k is not None
        and path.loss[k] - q3.min_loss <= 1e-6 < path.loss[k - 1] - q3.min_loss
    )
    assert path.steps_to_reach(1e-300, loss_star=q3.min_loss - 1.0) is None
    with pytest.raises(ValueError, match="tol must be a positive finite number"):
        path.steps_to_reach(0.0)
    with pytest.raises(ValueError, match="has no loss"):
        gradient_descent(q3.grad, np.ones(3), 0.1, 3).steps_to_reach(1e-3)


# ---------------------------------------------------------------------------
# Momentum
# ---------------------------------------------------------------------------


def test_momentum_follows_the_lecture_rule(q3):
    eta, gamma = 0.02, 0.8
    path = momentum(q3.grad, np.ones(3), eta, gamma, 40)
    w = path.w
    # w' = w - eta * nabla C(w) + gamma * v, v = the previous update (0 at first).
    np.testing.assert_allclose(w[1], w[0] - eta * q3.grad(w[0]), atol=1e-15)
    for k in range(1, 40):
        np.testing.assert_allclose(
            w[k + 1], w[k] - eta * q3.grad(w[k]) + gamma * (w[k] - w[k - 1]), atol=1e-13
        )


def test_momentum_with_gamma_zero_is_gradient_descent(q3):
    a = momentum(q3.grad, np.ones(3), 0.05, 0.0, 30, q3.loss)
    b = gradient_descent(q3.grad, np.ones(3), 0.05, 30, q3.loss)
    np.testing.assert_array_equal(a.w, b.w)
    np.testing.assert_array_equal(a.loss, b.loss)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 0.99])
def test_momentum_equals_torch_sgd_on_a_quadratic(q3, gamma):
    eta, steps = 0.3 / q3.L, 300
    path = momentum(q3.grad, [2.0, -1.0, 0.5], eta, gamma, steps)
    A, b = torch.from_numpy(q3.A.copy()), torch.from_numpy(q3.b.copy())
    reference = torch_sgd(
        lambda p: 0.5 * p @ A @ p - b @ p, [2.0, -1.0, 0.5], eta, gamma, steps
    )
    assert np.abs(path.w - reference).max() < 1e-12


def test_momentum_equals_torch_sgd_on_rosenbrock():
    eta, gamma, steps = 1e-3, 0.9, 3000
    path = momentum(rosenbrock_grad, [-1.5, 2.0], eta, gamma, steps, rosenbrock)
    reference = torch_sgd(rosenbrock, [-1.5, 2.0], eta, gamma, steps)
    assert np.abs(path.w - reference).max() < 1e-12
    # The run actually went somewhere: into the valley, near the minimum (1, 1).
    np.testing.assert_allclose(path.final, [1.0, 1.0], atol=1e-3)


def test_momentum_equals_torch_sgd_on_a_logistic_loss(logistic):
    loss, grad_batch, torch_loss, n = logistic
    everything = np.arange(n)
    path = momentum(
        lambda w: grad_batch(w, everything), np.zeros(3), 0.5, 0.9, 500, loss
    )
    reference = torch_sgd(torch_loss, np.zeros(3), 0.5, 0.9, 500)
    assert np.abs(path.w - reference).max() < 1e-12
    assert path.loss[-1] < path.loss[0]


def test_momentum_speeds_up_an_ill_conditioned_quadratic():
    q = quadratic(np.diag([1.0, 0.01]), b=[1.0, 1.0])
    eta = 1.0 / q.L
    plain = gradient_descent(q.grad, [0.0, 0.0], eta, 3000, q.loss).steps_to_reach(
        1e-8, q.min_loss
    )
    heavy = momentum(q.grad, [0.0, 0.0], eta, 0.8, 3000, q.loss).steps_to_reach(
        1e-8, q.min_loss
    )
    assert heavy is not None and plain is not None and heavy < plain / 3


# ---------------------------------------------------------------------------
# Mini-batch SGD
# ---------------------------------------------------------------------------


def least_squares(n: int = 23, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ [2.0, -1.0] + 0.1 * rng.normal(size=n)

    def grad_batch(w, idx):
        return X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)

    def loss(w):
        return 0.5 * np.mean((X @ w - y) ** 2)

    return X, y, grad_batch, loss


def test_minibatch_sgd_visits_every_sample_once_per_epoch():
    n, m, epochs = 23, 5, 4
    _, _, grad_batch, _ = least_squares(n)
    calls = []

    def spy(w, idx):
        calls.append((w.copy(), np.array(idx)))
        return grad_batch(w, idx)

    path = minibatch_sgd(spy, np.zeros(2), n, 0.1, m, epochs, seed=3)
    per_epoch = -(-n // m)
    assert len(calls) == epochs * per_epoch == path.steps
    orders = []
    for e in range(epochs):
        batches = [idx for _, idx in calls[e * per_epoch : (e + 1) * per_epoch]]
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
        order = np.concatenate(batches)
        np.testing.assert_array_equal(np.sort(order), np.arange(n))
        orders.append(order)
    # Each epoch is shuffled afresh.
    assert len({tuple(o) for o in orders}) == epochs
    np.testing.assert_array_equal(
        path.seen, np.cumsum([0] + [len(idx) for _, idx in calls])
    )
    # One update per batch, with that batch's average gradient.
    for k, (w, idx) in enumerate(calls):
        np.testing.assert_array_equal(w, path.w[k])
        np.testing.assert_allclose(
            path.w[k + 1], w - 0.1 * grad_batch(w, idx), atol=1e-15
        )


def test_minibatch_indices_cover_the_data_once():
    batches = minibatch_indices(10, 4, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    np.testing.assert_array_equal(
        np.concatenate(batches), np.random.default_rng(1).permutation(10)
    )


def test_minibatch_sgd_shuffles_like_the_generator_and_equals_torch_with_momentum():
    n, m, epochs, eta, gamma = 23, 4, 3, 0.05, 0.9
    X, y, grad_batch, _ = least_squares(n)
    path = minibatch_sgd(
        grad_batch, np.zeros(2), n, eta, m, epochs, seed=7, gamma=gamma
    )
    rng = np.random.default_rng(7)
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta, momentum=gamma)
    reference = [p.detach().numpy().copy()]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, m):
            idx = torch.from_numpy(order[i : i + m])
            opt.zero_grad()
            (0.5 * torch.mean((Xt[idx] @ p - yt[idx]) ** 2)).backward()
            opt.step()
            reference.append(p.detach().numpy().copy())
    assert np.abs(path.w - np.array(reference)).max() < 1e-12


def test_full_batch_sgd_is_gradient_descent():
    n = 23
    _, _, grad_batch, loss = least_squares(n)
    sgd = minibatch_sgd(grad_batch, np.zeros(2), n, 0.2, n, 15, seed=0, loss=loss)
    gd = gradient_descent(
        lambda w: grad_batch(w, np.arange(n)), np.zeros(2), 0.2, 15, loss
    )
    # Only the order of the sum over the batch differs.
    np.testing.assert_allclose(sgd.w, gd.w, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(sgd.seen, n * np.arange(16))


def test_minibatch_sgd_is_reproducible_and_generators_advance():
    _, _, grad_batch, _ = least_squares()
    a = minibatch_sgd(grad_batch, np.zeros(2), 23, 0.1, 3, 2, seed=11)
    b = minibatch_sgd(grad_batch, np.zeros(2), 23, 0.1, 3, 2, seed=11)
    np.testing.assert_array_equal(a.w, b.w)
    rng = np.random.default_rng(11)
    c = minibatch_sgd(grad_batch, np.zeros(2), 23, 0.1, 3, 2, seed=rng)
    d = minibatch_sgd(grad_batch, np.zeros(2), 23, 0.1, 3, 2, seed=rng)
    np.testing.assert_array_equal(a.w, c.w)
    assert not np.array_equal(c.w, d.w)


def test_minibatch_sgd_records_loss_and_examples_seen():
    n = 23
    _, _, grad_batch, loss = least_squares(n)
    path = minibatch_sgd(
        grad_batch, np.zeros(2), n, 0.1, 5, 2, seed=0, loss=loss, record_every=2
    )
    np.testing.assert_array_equal(path.step, [0, 2, 4, 6, 8, 10])
    np.testing.assert_array_equal(path.seen, [0, 10, 20, 28, 38, 46])
    np.testing.assert_allclose(path.loss, [loss(w) for w in path.w])
    assert path.hyper == {"eta": 0.1, "batch_size": 5, "gamma": 0.0}


# ---------------------------------------------------------------------------
# Divergence is detected and reported
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("eta_L", [2.1, 3.0, 8.0])
def test_eta_above_two_over_L_diverges_and_is_reported(q3, eta_L):
    eta = eta_L / q3.L
    with pytest.warns(
        DivergenceWarning, match=r"gradient descent diverged at step \d+.*eta < 2/L"
    ):
        path = gradient_descent(q3.grad, np.ones(3), eta, 2000, q3.loss)
    assert path.diverged and path.diverged_at == path.steps < 2000
    assert path.reason
    # The run stops at the step that blew up; everything before it is finite.
    assert np.isfinite(path.w).all() and np.isfinite(path.loss).all()
    assert path.loss[-1] > 1e6 * path.loss[0]


@pytest.mark.parametrize("eta_L", [0.5, 1.0, 1.9, 1.99])
def test_eta_below_two_over_L_converges(q3, eta_L):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = gradient_descent(q3.grad, np.ones(3), eta_L / q3.L, 5000, q3.loss)
    assert not path.diverged and path.diverged_at is None and path.reason == ""
    assert path.loss[-1] - q3.min_loss < 1e-10


def test_the_divergence_threshold_is_two_over_L_in_one_dimension():
    q = quadratic(3.0)
    for eta, should_diverge in ((0.99 * 2 / 3, False), (1.01 * 2 / 3, True)):
        path = gradient_descent(q.grad, 1.0, eta, 3000, q.loss, warn=False)
        assert path.diverged is should_diverge


def test_momentum_and_sgd_report_divergence_too(q3):
    with pytest.warns(DivergenceWarning, match="momentum diverged"):
        path = momentum(q3.grad, np.ones(3), 3.0 * q3.max_stable_eta, 0.5, 1000)
    assert path.diverged
    _, _, grad_batch, _ = least_squares()
    with pytest.warns(DivergenceWarning, match="mini-batch SGD diverged"):
        path = minibatch_sgd(grad_batch, np.zeros(2), 23, 50.0, 5, 100, seed=0)
    assert path.diverged and path.seen[-1] <= 23 * 100


def test_divergence_is_recorded_even_between_recorded_rows(q3):
    path = gradient_descent(
        q3.grad,
        np.ones(3),
        3 * q3.max_stable_eta,
        1000,
        q3.loss,
        record_every=100,
        warn=False,
    )
    assert (
        path.diverged
        and path.step[-1] == path.diverged_at
        and path.diverged_at % 100 != 0
    )


def test_non_finite_gradient_stops_the_run():
    def grad(w):
        return np.array([np.nan]) if w[0] < 0.5 else w

    with pytest.warns(DivergenceWarning, match="gradient is not finite"):
        path = gradient_descent(grad, 1.0, 0.2, 50)
    assert path.diverged_at == path.steps == 4  # 0.8**4 < 0.5 <= 0.8**3
    assert np.isfinite(path.w).all()


def test_non_finite_loss_stops_the_run():
    def loss(w):
        return np.inf if abs(w[0]) < 0.1 else w[0] ** 2

    path = gradient_descent(lambda w: 2 * w, 1.0, 0.1, 50, loss, warn=False)
    assert path.diverged and "loss is inf" in path.reason
    assert path.loss[-1] == np.inf and abs(path.w[-1, 0]) < 0.1


def test_warn_false_reports_through_the_flag_only(q3):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = gradient_descent(
            q3.grad, np.ones(3), 3 * q3.max_stable_eta, 1000, warn=False
        )
    assert path.diverged


def test_loss_at_the_start_must_be_finite():
    with pytest.raises(ValueError, match="loss at w0 is nan"):
        gradient_descent(lambda w: w, 1.0, 0.1, 5, lambda w: np.nan)


# ---------------------------------------------------------------------------
# Bad hyper-parameters and inputs raise clear errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("eta", [0.0, -0.1, np.nan, np.inf])
def test_eta_must_be_positive(q3, eta):
    with pytest.raises(ValueError, match="eta must be a positive finite number"):
        gradient_descent(q3.grad, np.ones(3), eta, 10)
    with pytest.raises(ValueError, match="eta"):
        momentum(q3.grad, np.ones(3), eta, 0.5, 10)
    with pytest.raises(ValueError, match="eta"):
        minibatch_sgd(lambda w, idx: w, np.ones(3), 10, eta, 2, 1)


@pytest.mark.parametrize("gamma", [-0.1, 1.0, 1.5, np.nan])
def test_gamma_must_be_in_zero_one(q3, gamma):
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\)"):
        momentum(q3.grad, np.ones(3), 0.1, gamma, 10)
    with pytest.raises(ValueError, match="gamma"):
        minibatch_sgd(lambda w, idx: w, np.ones(3), 10, 0.1, 2, 1, gamma=gamma)


def test_batch_size_must_be_between_one_and_n():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 0, 1)
    with pytest.raises(ValueError, match="batch_size must be an integer <= 10, got 11"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 11, 1)
    with pytest.raises(TypeError, match="batch_size must be an integer, got float"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 2.5, 1)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        minibatch_indices(10, 0)


def test_other_arguments_are_checked(q3):
    with pytest.raises(TypeError, match="eta must be a real number, got str"):
        gradient_descent(q3.grad, np.ones(3), "0.1", 10)
    with pytest.raises(TypeError, match="eta must be a real number, got bool"):
        gradient_descent(q3.grad, np.ones(3), True, 10)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        gradient_descent(q3.grad, np.ones(3), 0.1, -1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 2, -1)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 0, 0.1, 2, 1)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1"):
        gradient_descent(q3.grad, np.ones(3), 0.1, 10, record_every=0)
    with pytest.raises(ValueError, match="max_growth must be a positive finite number"):
        gradient_descent(q3.grad, np.ones(3), 0.1, 10, max_growth=0)
    with pytest.raises(
        TypeError, match="seed must be an int or a numpy.random.Generator"
    ):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 2, 1, seed="a")
    with pytest.raises(TypeError, match="grad must be a function"):
        gradient_descent(None, np.ones(3), 0.1, 10)
    with pytest.raises(TypeError, match="loss must be a function"):
        gradient_descent(q3.grad, np.ones(3), 0.1, 10, loss=3.0)


def test_huge_step_counts_are_refused_before_running(q3):
    # gradient_descent(f, [1.0], 0.1, 10**12) used to run on while its memory grew.
    huge = "must be an integer <= 10000000, got 1000000000000"
    with pytest.raises(ValueError, match=f"steps {huge}"):
        gradient_descent(lambda w: 2 * w, [1.0], 0.1, 10**12)
    with pytest.raises(ValueError, match=f"steps {huge}"):
        momentum(q3.grad, np.ones(3), 0.1, 0.5, 10**12)
    with pytest.raises(ValueError, match=f"epochs {huge}"):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 2, 10**12)
    with pytest.raises(
        ValueError,
        match=r"the number of steps, epochs \* batches per epoch, must be an integer "
        r"<= 10000000, got 50000000",
    ):
        minibatch_sgd(lambda w, idx: w, np.ones(2), 10, 0.1, 2, 10**7)
    with pytest.raises(ValueError, match=f"draws {huge}"):
        gradient_noise(lambda w, idx: w, np.ones(2), 10, [2], draws=10**12)
    with pytest.raises(ValueError, match=f"k {huge}"):
        q3.gd_iterate(np.ones(3), 0.1, 10**12)


@pytest.mark.parametrize("warn", ["no", None, 2])
def test_warn_must_be_a_bool(q3, warn):
    with pytest.raises(
        TypeError, match=f"warn must be True or False, got {type(warn).__name__}"
    ):
        gradient_descent(q3.grad, np.ones(3), 0.1, 10, warn=warn)


def test_steps_to_reach_checks_loss_star(q3):
    path = gradient_descent(q3.grad, np.ones(3), 0.02, 50, q3.loss)
    with pytest.raises(ValueError, match="loss_star must be a finite number, got nan"):
        path.steps_to_reach(
            0.5, loss_star=np.nan
        )  # every comparison with NaN is False: it would say None
    with pytest.raises(TypeError, match="loss_star must be a real number, got str"):
        path.steps_to_reach(0.5, loss_star="1")


def test_quadratic_checks_its_points(q3):
    np.testing.assert_allclose(
        q3.loss(np.ones((4, 5, 3))), np.full((4, 5), q3.loss(np.ones(3)))
    )  # a stack
    with pytest.raises(
        ValueError, match=r"w must have shape \(3,\) \(a point\) or \(\.\.\., 3\)"
    ):
        q3.grad(np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match=r"got shape \(0,\)"):
        q3.loss(np.ones(0))
    with pytest.raises(ValueError, match="w must not contain NaN or infinite values"):
        q3.grad([np.nan, 0.0, 0.0])
    with pytest.raises(
        TypeError, match="w must hold real numbers, got dtype complex128"
    ):
        q3.loss(np.ones(3) + 1j)
    with pytest.raises(TypeError, match="w must hold real numbers, got dtype object"):
        q3.grad(None)


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        (
            None,
            TypeError,
            r"batch_sizes must be a sequence of batch sizes such as \[1, 10, 100\], got NoneType",
        ),
        ("23", TypeError, "batch_sizes must be a sequence of batch sizes .*, got str"),
        ([3, 0], ValueError, r"batch_sizes\[1\] must be an integer >= 1, got 0"),
        ([2.5], TypeError, r"batch_sizes\[0\] must be an integer, got float"),
    ],
)
def test_gradient_noise_checks_the_batch_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        gradient_noise(lambda w, idx: w, np.zeros(2), 10, sizes)


def test_starting_point_and_gradient_are_checked(q3):
    with pytest.raises(ValueError, match="w0 must not contain NaN"):
        gradient_descent(q3.grad, [1.0, np.nan, 0.0], 0.1, 10)
    with pytest.raises(ValueError, match="w0 must hold at least one value"):
        gradient_descent(q3.grad, [], 0.1, 10)
    with pytest.raises(TypeError, match="w0 must hold real numbers"):
        gradient_descent(q3.grad, ["a"], 0.1, 10)
    with pytest.raises(
        ValueError, match=r"gradient function returned shape \(3,\); expected \(2,\)"
    ):
        gradient_descent(lambda w: np.ones(3), [1.0, 2.0], 0.1, 10)
    with pytest.raises(ValueError, match="loss must return one number"):
        gradient_descent(lambda w: w, [1.0, 2.0], 0.1, 10, loss=lambda w: w)


# ---------------------------------------------------------------------------
# The gradient noise of mini-batches
# ---------------------------------------------------------------------------


def test_gradient_noise_matches_the_sampling_formula():
    # Per-example "gradients" that do not depend on w: the batch gradient is
    # the mean of m of them, whose spread is known exactly.
    rng = np.random.default_rng(0)
    n = 200
    g = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5]
    sigma2 = np.mean(np.sum((g - g.mean(0)) ** 2, axis=1))
    sizes = np.array([1, 4, 16, 64, 200])
    noise = gradient_noise(
        lambda w, idx: g[idx].mean(0), np.zeros(3), n, sizes, draws=3000, seed=1
    )
    expected = np.sqrt(sigma2 * (n - sizes) / (sizes * (n - 1)))
    np.testing.assert_allclose(noise[:-1], expected[:-1], rtol=0.05)
    assert noise[-1] < 1e-12  # the whole data set is the full gradient
    again = gradient_noise(
        lambda w, idx: g[idx].mean(0), np.zeros(3), n, sizes, draws=3000, seed=1
    )
    np.testing.assert_array_equal(noise, again)


def test_gradient_noise_checks_its_arguments():
    with pytest.raises(ValueError, match="batch_sizes must hold at least one"):
        gradient_noise(lambda w, idx: w, np.zeros(2), 10, [])
    with pytest.raises(ValueError, match=r"batch_sizes\[0\] must be an integer <= 10"):
        gradient_noise(lambda w, idx: w, np.zeros(2), 10, [20])
    with pytest.raises(ValueError, match="draws must be an integer >= 2"):
        gradient_noise(lambda w, idx: w, np.zeros(2), 10, [2], draws=1)


# ---------------------------------------------------------------------------
# Quadratics
# ---------------------------------------------------------------------------


def test_quadratic_gradient_matches_finite_differences(q3):
    w = np.array([0.3, -1.2, 2.0])
    h = 1e-6
    numeric = [(q3.loss(w + h * e) - q3.loss(w - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(q3.grad(w), numeric, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(q3.grad(q3.minimizer), 0.0, atol=1e-12)


def test_quadratic_constants(q3):
    eigenvalues = np.linalg.eigvalsh(q3.A)
    assert q3.L == pytest.approx(eigenvalues[-1]) and q3.mu == pytest.approx(
        eigenvalues[0]
    )
    assert q3.condition_number == pytest.approx(20.0)
    assert q3.max_stable_eta == pytest.approx(2 / eigenvalues[-1])
    assert q3.min_loss == pytest.approx(q3.c - 0.5 * q3.b @ np.linalg.solve(q3.A, q3.b))
    assert q3.min_loss < q3.loss(q3.minimizer + 1e-3)


def test_quadratic_loss_works_on_grids(q3):
    grid = np.random.default_rng(0).normal(size=(4, 5, 3))
    values = q3.loss(grid)
    assert values.shape == (4, 5)
    assert values[2, 3] == pytest.approx(q3.loss(grid[2, 3]))


def test_quadratic_checks_its_matrix():
    with pytest.raises(ValueError, match="A must be a square matrix"):
        quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match="A must be symmetric"):
        quadratic([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="A must be positive definite"):
        quadratic([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="A must be positive definite"):
        quadratic(0.0)
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        quadratic(np.eye(2), b=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="A must not contain NaN"):
        quadratic([[np.nan]])
    with pytest.raises(ValueError, match=r"w0 must have shape \(2,\)"):
        quadratic(np.eye(2)).gd_iterate([1.0], 0.1, 3)


def test_trajectory_is_a_plain_dataclass():
    path = gradient_descent(lambda w: w, [1.0], 0.5, 3)
    assert isinstance(path, Trajectory) and len(path) == 4 and path.steps == 3
    np.testing.assert_allclose(path.final, [0.125])
