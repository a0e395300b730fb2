"""nnbook.losses: values and gradients against torch.nn.functional, on random
and extreme inputs; properties of cross-entropy; the error messages."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnbook import losses
from nnbook.gradcheck import numerical_gradient, relative_error
from nnbook.losses import (
    GRAD_EPSILON,
    LOG_CLAMP,
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    mse,
    mse_grad,
    nll,
    nll_grad,
    one_hot,
    softmax,
)

REDUCTIONS = ("mean", "sum", "none")
RTOL = 1e-6  # the "within 1e-6 relative"


def torch_loss_and_grad(
    torch_loss: Callable[..., torch.Tensor],
    x: np.ndarray,
    target: np.ndarray,
    reduction: str,
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's loss of ``x`` and its autograd gradient with respect to ``x``.

    For ``reduction="none"`` the gradient is that of the sum of the losses,
    the convention of ``nnbook.losses``.
    """
    x_t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    target_t = torch.tensor(target)
    if target_t.is_floating_point():
        target_t = target_t.to(torch.float64)
    value = torch_loss(x_t, target_t, reduction=reduction)
    value.sum().backward()
    return value.detach().numpy(), x_t.grad.numpy()


def assert_matches_torch(
    ours: Callable[..., object],
    ours_grad: Callable[..., np.ndarray],
    torch_loss: Callable[..., torch.Tensor],
    x: np.ndarray,
    target: np.ndarray,
    reduction: str,
) -> None:
    expected, expected_grad = torch_loss_and_grad(torch_loss, x, target, reduction)
    value = ours(x, target, reduction=reduction)
    grad = ours_grad(x, target, reduction=reduction)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(value, expected, rtol=RTOL, atol=0)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, expected_grad, rtol=RTOL, atol=0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240605)


def extreme_logits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Logits of ±1e4 mixed with ordinary ones."""
    z = rng.normal(scale=3.0, size=shape)
    mask = rng.random(shape)
    z[mask < 0.3] = 1e4
    z[mask > 0.7] = -1e4
    return z


# --- mean squared error -----------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4), ()])
def test_mse_matches_torch(rng, reduction, shape) -> None:
    a = rng.normal(size=shape)
    y = rng.normal(size=shape)
    assert_matches_torch(mse, mse_grad, F.mse_loss, a, y, reduction)


def test_mse_extreme_values_match_torch(rng) -> None:
    a = np.array([1e4, -1e4, 0.0, 1e-8])
    y = np.array([-1e4, -1e4, 1e4, 0.0])
    assert_matches_torch(mse, mse_grad, F.mse_loss, a, y, "mean")


def test_mse_is_zero_at_the_target_and_has_no_half() -> None:
    assert mse([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert mse([3.0], [1.0]) == 4.0  # (3 - 1)^2, not half of it
    np.testing.assert_array_equal(
        mse_grad([3.0, 1.0], [1.0, 1.0], reduction="sum"), [4.0, 0.0]
    )


# --- binary cross-entropy from probabilities ------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("hard_targets", [True, False])
def test_binary_cross_entropy_matches_torch(rng, reduction, hard_targets) -> None:
    p = rng.uniform(0.001, 0.999, size=(6, 4))
    y = (
        rng.integers(0, 2, size=p.shape).astype(float)
        if hard_targets
        else rng.random(p.shape)
    )
    assert_matches_torch(
        binary_cross_entropy,
        binary_cross_entropy_grad,
        F.binary_cross_entropy,
        p,
        y,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_at_and_near_0_and_1_matches_torch(reduction) -> None:
    # Where torch clamps the log at -100 and the gradient's denominator at 1e-12.
    p = np.array([0.0, 0.0, 1.0, 1.0, 1e-50, 1e-13, 1e-13, 1 - 1e-13, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5, 0.0, 0.0, 1.0])
    assert_matches_torch(
        binary_cross_entropy,
        binary_cross_entropy_grad,
        F.binary_cross_entropy,
        p,
        y,
        reduction,
    )


def test_binary_cross_entropy_clamps_a_certain_mistake_at_100() -> None:
    assert binary_cross_entropy([0.0], [1.0]) == -LOG_CLAMP == 100.0
    assert binary_cross_entropy([1.0], [0.0]) == 100.0
    assert binary_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    np.testing.assert_array_equal(
        binary_cross_entropy_grad([0.0, 1.0], [1.0, 0.0], reduction="sum"),
        [-1 / GRAD_EPSILON, 1 / GRAD_EPSILON],
    )


# --- binary cross-entropy from logits ----------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("extreme", [False, True])
def test_binary_cross_entropy_with_logits_matches_torch(
    rng, reduction, extreme
) -> None:
    z = extreme_logits(rng, (8, 5)) if extreme else rng.normal(scale=4.0, size=(8, 5))
    y = rng.integers(0, 2, size=z.shape).astype(float)
    y[:, 0] = rng.random(8)  # soft targets too
    assert_matches_torch(
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_grad,
        F.binary_cross_entropy_with_logits,
        z,
        y,
        reduction,
    )


def test_binary_cross_entropy_with_logits_of_extremes_is_exact() -> None:
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        binary_cross_entropy_with_logits(z, y, reduction="none"), [0.0, 0.0, 1e4, 1e4]
    )
    np.testing.assert_array_equal(
        binary_cross_entropy_with_logits_grad(z, y, reduction="sum"),
        [0.0, 0.0, 1.0, -1.0],
    )


def test_binary_cross_entropy_from_logits_and_from_probabilities_agree(rng) -> None:
    z = rng.normal(scale=3.0, size=20)
    y = rng.random(20)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(z, y), binary_cross_entropy(p, y), rtol=1e-12
    )
    # The chain rule through the sigmoid, dp/dz = p (1 - p), turns one gradient into the other.
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits_grad(z, y),
        binary_cross_entropy_grad(p, y) * p * (1 - p),
        rtol=1e-10,
    )


# --- categorical cross-entropy from logits -------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("extreme", [False, True])
def test_cross_entropy_with_labels_matches_torch(rng, reduction, extreme) -> None:
    z = extreme_logits(rng, (9, 10)) if extreme else rng.normal(scale=3.0, size=(9, 10))
    labels = rng.integers(0, 10, size=9)
    assert_matches_torch(
        cross_entropy, cross_entropy_grad, F.cross_entropy, z, labels, reduction
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("extreme", [False, True])
def test_cross_entropy_with_probability_targets_matches_torch(
    rng, reduction, extreme
) -> None:
    z = extreme_logits(rng, (6, 4)) if extreme else rng.normal(scale=3.0, size=(6, 4))
    t = rng.dirichlet(np.ones(4), size=6)
    t[0] = np.eye(4)[2]  # a one-hot row
    assert_matches_torch(
        cross_entropy, cross_entropy_grad, F.cross_entropy, z, t, reduction
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_of_one_example_matches_torch(rng, reduction) -> None:
    z = rng.normal(size=5)
    assert_matches_torch(
        cross_entropy, cross_entropy_grad, F.cross_entropy, z, np.array(3), reduction
    )
    assert_matches_torch(
        cross_entropy, cross_entropy_grad, F.cross_entropy, z, np.eye(5)[1], reduction
    )


def test_cross_entropy_of_extreme_logits_is_exact() -> None:
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    np.testing.assert_array_equal(
        cross_entropy(z, [0, 1], reduction="none"), [0.0, 2e4]
    )
    np.testing.assert_array_equal(
        cross_entropy_grad(z, [0, 1], reduction="sum"),
        [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]],
    )


def test_cross_entropy_accepts_tensors_and_lists() -> None:
    z = torch.tensor(
        [[1.0, 2.0, 0.5]], requires_grad=True
    )  # float32: computed in float32
    assert cross_entropy(z, torch.tensor([1])) == pytest.approx(
        F.cross_entropy(z, torch.tensor([1])).item(), rel=1e-6
    )
    expected = F.cross_entropy(z.double(), torch.tensor([1])).item()
    assert cross_entropy(z.double(), torch.tensor([1])) == pytest.approx(
        expected, rel=1e-12
    )
    assert cross_entropy([[1.0, 2.0, 0.5]], [1]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_and_float64_stays_float64(rng, dtype) -> None:
    """What a network of either precision computes its loss with: no needless upcasting."""
    a = rng.uniform(0.01, 0.99, size=(5, 3)).astype(dtype)
    y = np.eye(3, dtype=dtype)[[0, 2, 1, 1, 0]]
    labels = np.array([0, 2, 1, 1, 0])
    for grad in (
        mse_grad(a, y, reduction="sum"),
        binary_cross_entropy_grad(a, y),
        binary_cross_entropy_with_logits_grad(a, y),
        categorical_cross_entropy_grad(a, labels),
        categorical_cross_entropy_grad(a, y),
        cross_entropy_grad(a, labels),
        nll_grad(np.log(a), labels),
    ):
        assert grad.dtype == dtype
    assert (
        softmax(a).dtype == dtype
        and binary_cross_entropy(a, y, reduction="none").dtype == dtype
    )
    # The quadratic cost 1/(2n) sum_x ||a - y||^2 and the cross-entropies with a mean over examples.
    n = len(a)
    a64, y64 = a.astype(np.float64), y.astype(np.float64)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert mse(a, y, reduction="sum") / (2 * n) == pytest.approx(
        0.5 * np.sum((a64 - y64) ** 2) / n, rel=rtol
    )
    bce = -np.sum(y64 * np.log(a64) + (1 - y64) * np.log(1 - a64)) / n
    assert binary_cross_entropy(a, y, reduction="sum") / n == pytest.approx(
        bce, rel=rtol
    )
    assert categorical_cross_entropy(a, y) == pytest.approx(
        -np.sum(y64 * np.log(a64)) / n, rel=rtol
    )


def test_reductions_return_floats_and_arrays(rng) -> None:
    z = rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 1])
    assert isinstance(cross_entropy(z, labels), float)
    assert isinstance(cross_entropy(z, labels, reduction="sum"), float)
    per_example = cross_entropy(z, labels, reduction="none")
    assert per_example.shape == (4,)
    assert cross_entropy(z, labels, reduction="sum") == pytest.approx(
        per_example.sum(), rel=1e-14
    )
    assert cross_entropy(z, labels) == pytest.approx(per_example.mean(), rel=1e-14)
    np.testing.assert_allclose(
        cross_entropy_grad(z, labels, reduction="none"),
        cross_entropy_grad(z, labels, reduction="sum"),
        rtol=0,
    )


# --- from log-probabilities and from probabilities ---------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("extreme", [False, True])
def test_nll_matches_torch(rng, reduction, extreme) -> None:
    z = extreme_logits(rng, (7, 5)) if extreme else rng.normal(scale=3.0, size=(7, 5))
    log_p = log_softmax(z)
    labels = rng.integers(0, 5, size=7)
    assert_matches_torch(nll, nll_grad, F.nll_loss, log_p, labels, reduction)


def test_nll_with_a_zero_probability_elsewhere() -> None:
    log_p = np.array([[-np.inf, 0.0], [np.log(0.3), np.log(0.7)]])
    assert nll(log_p, [1, 0], reduction="none").tolist() == pytest.approx(
        [0.0, -np.log(0.3)]
    )
    assert nll(log_p, [0, 0], reduction="none")[0] == np.inf


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_categorical_cross_entropy_matches_torch(rng, reduction) -> None:
    p = softmax(rng.normal(scale=3.0, size=(8, 6)))
    labels = rng.integers(0, 6, size=8)

    def torch_from_probabilities(p_t, labels_t, reduction):
        return F.nll_loss(torch.log(p_t), labels_t, reduction=reduction)

    assert_matches_torch(
        categorical_cross_entropy,
        categorical_cross_entropy_grad,
        torch_from_probabilities,
        p,
        labels,
        reduction,
    )

    t = rng.dirichlet(np.ones(6), size=8)

    def torch_soft(p_t, t_t, reduction):
        per_example = -(t_t * torch.log(p_t)).sum(dim=-1)
        return {
            "mean": per_example.mean(),
            "sum": per_example.sum(),
            "none": per_example,
        }[reduction]

    assert_matches_torch(
        categorical_cross_entropy,
        categorical_cross_entropy_grad,
        torch_soft,
        p,
        t,
        reduction,
    )


def test_categorical_cross_entropy_at_zero_follows_torchs_clamp() -> None:
    p = np.array([[0.0, 1.0], [1e-50, 1.0 - 1e-50]])
    assert categorical_cross_entropy(p, [0, 0], reduction="none").tolist() == [
        100.0,
        100.0,
    ]
    # PyTorch's binary cross-entropy makes the same choice for the same mistake.
    p_t = torch.tensor([0.0, 1e-50], dtype=torch.float64)
    expected = F.binary_cross_entropy(
        p_t, torch.ones(2, dtype=torch.float64), reduction="none"
    )
    np.testing.assert_array_equal(
        categorical_cross_entropy(p, [0, 0], reduction="none"), expected.numpy()
    )
    np.testing.assert_array_equal(
        categorical_cross_entropy_grad(p, [0, 0], reduction="sum")[:, 0], [-1e12, -1e12]
    )
    assert categorical_cross_entropy(p, [1, 1]) == pytest.approx(0.0, abs=1e-15)


def test_the_four_categorical_losses_agree(rng) -> None:
    z = rng.normal(scale=2.0, size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    expected = cross_entropy(z, labels)
    assert nll(log_softmax(z), labels) == pytest.approx(expected, rel=1e-12)
    assert categorical_cross_entropy(softmax(z), labels) == pytest.approx(
        expected, rel=1e-12
    )
    assert cross_entropy(z, one_hot(labels, 4)) == pytest.approx(expected, rel=1e-12)
    # Through the softmax's Jacobian, the gradient from probabilities becomes softmax(z) - t.
    a = softmax(z)
    g = categorical_cross_entropy_grad(a, labels)
    jacobian = a[:, :, None] * (np.eye(4)[None] - a[:, None, :])  # d a_i / d z_j
    np.testing.assert_allclose(
        np.einsum("ni,nij->nj", g, jacobian), cross_entropy_grad(z, labels), rtol=1e-10
    )


# --- softmax, log-softmax and one-hot ---------------------------------------------


@pytest.mark.parametrize("extreme", [False, True])
def test_softmax_and_log_softmax_match_torch(rng, extreme) -> None:
    z = extreme_logits(rng, (4, 7)) if extreme else rng.normal(size=(4, 7))
    z_t = torch.tensor(z)
    np.testing.assert_allclose(
        log_softmax(z), F.log_softmax(z_t, dim=-1).numpy(), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(
        softmax(z), F.softmax(z_t, dim=-1).numpy(), rtol=RTOL, atol=0
    )
    np.testing.assert_allclose(
        softmax(z, axis=0), F.softmax(z_t, dim=0).numpy(), rtol=RTOL, atol=0
    )
    assert np.all(np.isfinite(log_softmax(z)))


@pytest.mark.parametrize(
    ("loss", "prediction", "target"),
    [
        (mse, [[np.nan, 0.5]], [[0.0, 1.0]]),
        (binary_cross_entropy, [np.nan, 0.5], [0.0, 1.0]),
        (binary_cross_entropy_with_logits, [np.nan, 0.5], [0.0, 1.0]),
        (cross_entropy, [[np.nan, 0.5], [0.1, 0.2]], [0, 1]),
        (categorical_cross_entropy, [[np.nan, 0.5], [0.5, 0.5]], [0, 1]),
        (nll, [[np.nan, -0.5], [-0.1, -0.2]], [0, 1]),
    ],
)
def test_nan_predictions_give_nan(loss, prediction, target) -> None:
    """A diverged network's NaN outputs show as a NaN loss and gradient, not as an error."""
    assert np.isnan(loss(prediction, target))
    assert np.isnan(np.ravel(loss(prediction, target, reduction="none"))[0])
    if loss is not nll:  # nll's gradient, -1 at the label, does not depend on log_probs
        grad = getattr(losses, f"{loss.__name__}_grad")(prediction, target)
        assert np.isnan(np.asarray(grad).flat[0])


def test_infinite_logits_and_log_softmax() -> None:
    """-inf is a score of probability 0; +inf and NaN give NaN, as in PyTorch."""
    np.testing.assert_array_equal(softmax([-np.inf, 0.0]), [0.0, 1.0])
    assert np.isnan(log_softmax([np.nan, 0.0])).all()
    with np.errstate(invalid="ignore"):
        assert np.isnan(softmax([np.inf, 0.0])[0])
        assert torch.isnan(F.softmax(torch.tensor([float("inf"), 0.0]), dim=0)[0])
    assert mse([np.inf], [0.0]) == np.inf


def test_one_hot_matches_torch() -> None:
    labels = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(
        one_hot(labels, 4), F.one_hot(torch.tensor(labels), 4).numpy()
    )


# --- finite differences ------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "grad", "make"),
    [
        (mse, mse_grad, lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2)))),
        (
            binary_cross_entropy,
            binary_cross_entropy_grad,
            lambda r: (r.uniform(0.1, 0.9, 6), r.random(6)),
        ),
        (
            binary_cross_entropy_with_logits,
            binary_cross_entropy_with_logits_grad,
            lambda r: (r.normal(size=6), r.random(6)),
        ),
        (
            cross_entropy,
            cross_entropy_grad,
            lambda r: (r.normal(size=(3, 4)), r.dirichlet(np.ones(4), 3)),
        ),
        (
            categorical_cross_entropy,
            categorical_cross_entropy_grad,
            lambda r: (r.dirichlet(np.ones(4), 3), np.array([0, 3, 1])),
        ),
        (
            nll,
            nll_grad,
            lambda r: (np.log(r.dirichlet(np.ones(4), 3)), np.array([2, 2, 0])),
        ),
    ],
)
def test_gradients_match_central_differences(rng, loss, grad, make) -> None:
    x, target = make(rng)
    numeric = numerical_gradient(lambda: loss(x, target), x)
    np.testing.assert_allclose(grad(x, target), numeric, rtol=1e-6, atol=1e-9)
    assert relative_error(grad(x, target), numeric) < 1e-8


# --- properties (hypothesis) -------------------------------------------------------

finite_logits = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 8)),
    elements=st.floats(-1e4, 1e4, allow_nan=False),
)


@st.composite
def logits_and_labels(draw):
    z = draw(finite_logits)
    labels = draw(arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    return z, labels


@st.composite
def distributions(draw, min_value: float = 0.0):
    """A batch of probability distributions (rows summing to 1)."""
    weights = draw(
        arrays(
            np.float64,
            st.tuples(st.integers(1, 5), st.integers(2, 6)),
            elements=st.floats(min_value, 1.0, allow_nan=False),
        )
    )
    weights[:, 0] += 1e-3  # no all-zero row
    return weights / weights.sum(axis=1, keepdims=True)


@settings(max_examples=200, deadline=None, database=None)
@given(logits_and_labels())
def test_cross_entropy_is_nonnegative_and_finite(data) -> None:
    z, labels = data
    losses_ = cross_entropy(z, labels, reduction="none")
    assert np.all(np.isfinite(losses_)) and np.all(losses_ >= 0)
    assert np.all(np.isfinite(cross_entropy_grad(z, labels)))


@settings(max_examples=200, deadline=None, database=None)
@given(logits_and_labels(), st.floats(-1e3, 1e3))
def test_cross_entropy_ignores_a_common_shift_of_the_logits(data, shift) -> None:
    z, labels = data
    np.testing.assert_allclose(
        cross_entropy(z + shift, labels, reduction="none"),
        cross_entropy(z, labels, reduction="none"),
        rtol=1e-9,
        atol=1e-9,
    )


@settings(max_examples=200, deadline=None, database=None)
@given(distributions(), distributions())
def test_categorical_cross_entropy_is_smallest_at_the_target(t, q) -> None:
    # Gibbs' inequality: -sum t log q >= -sum t log t, with equality at q = t.
    rows = min(len(t), len(q))
    classes = min(t.shape[1], q.shape[1])
    t = t[:rows, :classes] / t[:rows, :classes].sum(axis=1, keepdims=True)
    q = q[:rows, :classes] / q[:rows, :classes].sum(axis=1, keepdims=True)
    at_target = categorical_cross_entropy(t, t, reduction="none")
    elsewhere = categorical_cross_entropy(q, t, reduction="none")
    assert np.all(at_target >= 0) and np.all(elsewhere >= 0)
    assert np.all(elsewhere >= at_target - 1e-12)


@settings(max_examples=200, deadline=None, database=None)
@given(logits_and_labels())
def test_cross_entropy_with_labels_is_zero_only_at_the_one_hot_target(data) -> None:
    z, labels = data
    target = one_hot(labels, z.shape[1])
    assert categorical_cross_entropy(target, labels) == 0.0
    assert np.all(categorical_cross_entropy(softmax(z), labels, reduction="none") >= 0)


@settings(max_examples=200, deadline=None, database=None)
@given(distributions(min_value=1e-3))
def test_cross_entropy_from_logits_is_stationary_at_the_target(t) -> None:
    # The logits log t give softmax(z) = t: the gradient vanishes there, and
    # no other logits do better.
    z = np.log(t)
    np.testing.assert_allclose(cross_entropy_grad(z, t), 0.0, atol=1e-12)
    entropy = cross_entropy(z, t, reduction="none")
    shifted = z + np.linspace(-1, 1, z.shape[1])
    assert np.all(cross_entropy(shifted, t, reduction="none") >= entropy - 1e-12)


@settings(max_examples=200, deadline=None, database=None)
@given(
    arrays(np.float64, st.integers(1, 10), elements=st.floats(0.0, 1.0)),
    arrays(np.float64, 10, elements=st.floats(0.0, 1.0)),
)
def test_binary_cross_entropy_is_smallest_at_the_target(y, p) -> None:
    p = p[: y.size]
    at_target = binary_cross_entropy(y, y, reduction="none")
    elsewhere = binary_cross_entropy(p, y, reduction="none")
    assert np.all(at_target >= 0) and np.all(elsewhere >= at_target - 1e-12)


# --- errors a reader may meet -----------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        # labels out of range or of the wrong kind
        (
            lambda: cross_entropy(np.zeros((2, 10)), [3, 10]),
            ValueError,
            r"target must hold class labels in 0\.\.9 for 10 classes, got the label 10",
        ),
        (
            lambda: cross_entropy(np.zeros((2, 3)), [-1, 0]),
            ValueError,
            "got the label -1",
        ),
        (
            lambda: nll(np.log(np.full((1, 3), 1 / 3)), [3]),
            ValueError,
            r"in 0\.\.2 for 3 classes",
        ),
        (
            lambda: categorical_cross_entropy(np.full((1, 2), 0.5), [2]),
            ValueError,
            r"in 0\.\.1 for 2 classes",
        ),
        (
            lambda: cross_entropy(np.zeros((2, 3)), [0.0, 1.0]),
            TypeError,
            r"target must hold integers \(class indices\)",
        ),
        (
            lambda: nll(np.log(np.full((2, 3), 1 / 3)), [0.0, 1.0]),
            TypeError,
            "labels must hold integers",
        ),
        (
            lambda: categorical_cross_entropy(np.full((1, 2), 0.5), [-5]),
            ValueError,
            "target must hold class labels",
        ),
        (lambda: one_hot([0, 5], 5), ValueError, "got the label 5"),
        (lambda: one_hot([0.5], 5), TypeError, "labels must hold integers"),
        (
            lambda: one_hot(np.array([], dtype=int), 5),
            ValueError,
            r"labels must hold at least one class label",
        ),
        (lambda: one_hot([0], 0), ValueError, r"num_classes must be an integer >= 1"),
        # mismatched shapes
        (
            lambda: mse(np.zeros(3), np.zeros(4)),
            ValueError,
            r"y must have the same shape as a, \(3,\), got shape \(4,\)",
        ),
        (
            lambda: binary_cross_entropy(np.full((2, 2), 0.5), np.ones(4)),
            ValueError,
            r"same shape as p, \(2, 2\)",
        ),
        (
            lambda: binary_cross_entropy_with_logits(np.zeros(2), np.ones((2, 1))),
            ValueError,
            "same shape as z",
        ),
        (
            lambda: cross_entropy(np.zeros((4, 3)), [0, 1]),
            ValueError,
            r"labels of shape \(4,\) or class probabilities of shape \(4, 3\).*got shape \(2,\)",
        ),
        (
            lambda: cross_entropy(np.zeros((2, 3, 4)), [0, 1]),
            ValueError,
            r"logits must have shape \(N, C\)",
        ),
        (
            lambda: nll(np.log(np.full((2, 2), 0.5)), np.full((2, 2), 0.5)),
            ValueError,
            "nll takes integer class labels",
        ),
        # probabilities outside [0, 1]
        (
            lambda: binary_cross_entropy([1.2, 0.5], [1.0, 0.0]),
            ValueError,
            r"p must be probabilities in \[0, 1\], got values from 0.5 to 1.2; .*with_logits",
        ),
        (
            lambda: binary_cross_entropy([-0.1], [1.0]),
            ValueError,
            r"p must be probabilities in \[0, 1\]",
        ),
        (
            lambda: binary_cross_entropy([0.5], [2.0]),
            ValueError,
            r"y \(targets\) must be probabilities",
        ),
        (
            lambda: binary_cross_entropy_with_logits([0.5], [-1.0]),
            ValueError,
            r"y \(targets\) must be probabilities",
        ),
        (
            lambda: categorical_cross_entropy([[2.0, -1.0]], [0]),
            ValueError,
            r"probs must be probabilities in \[0, 1\].*use cross_entropy",
        ),
        (
            lambda: cross_entropy(np.zeros((1, 2)), [[1.5, -0.5]]),
            ValueError,
            r"target \(class probabilities\) must be probabilities",
        ),
        (
            lambda: nll([[0.5, -1.0]], [0]),
            ValueError,
            r"log_probs must be logarithms of probabilities \(<= 0\).*use cross_entropy",
        ),
        # values that are not numbers (NaN in the predictions passes through: see test_nan_predictions_give_nan)
        (
            lambda: cross_entropy([[0.0, 0.0]], [[np.nan, 1.0]]),
            ValueError,
            "target must not contain NaN",
        ),
        (
            lambda: mse([1.0], [np.inf]),
            ValueError,
            "y must not contain NaN or infinite values",
        ),
        (
            lambda: binary_cross_entropy_with_logits([0.0], [np.nan]),
            ValueError,
            "y must not contain NaN",
        ),
        (
            lambda: binary_cross_entropy([np.inf], [0.0]),
            ValueError,
            r"p must be probabilities in \[0, 1\]",
        ),
        (
            lambda: nll([[np.inf, 0.0]], [0]),
            ValueError,
            r"log_probs must be logarithms of probabilities",
        ),
        (
            lambda: log_softmax(np.zeros((2, 3)), axis=None),
            TypeError,
            "axis must be an integer, got NoneType",
        ),
        (
            lambda: softmax(np.zeros((2, 3)), axis="1"),
            TypeError,
            "axis must be an integer, got str",
        ),
        (
            lambda: softmax(np.zeros((2, 3)), axis=2),
            ValueError,
            "axis 2 is out of bounds",
        ),
        (lambda: mse(["a"], ["b"]), TypeError, "a must hold real numbers"),
        (lambda: mse([], []), ValueError, "at least one value"),
        # the reduction
        (
            lambda: mse([1.0], [1.0], reduction="avg"),
            ValueError,
            r"reduction must be one of 'mean', 'sum', 'none', got 'avg'",
        ),
        (
            lambda: cross_entropy_grad(np.zeros((1, 2)), [0], reduction=None),
            ValueError,
            "reduction must be one of",
        ),
    ],
)
def test_clear_errors(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("name", losses.__all__)
def test_public_names_have_docstrings(name) -> None:
    obj = getattr(losses, name)
    if callable(obj):
        assert obj.__doc__ and len(obj.__doc__.split()) > 5


def test_every_loss_checks_the_reduction() -> None:
    pairs = [
        (mse, ([0.5], [0.5])),
        (binary_cross_entropy, ([0.5], [1.0])),
        (binary_cross_entropy_with_logits, ([0.5], [1.0])),
        (cross_entropy, ([[0.5, 0.1]], [1])),
        (categorical_cross_entropy, ([[0.5, 0.5]], [1])),
        (nll, ([[-0.5, -1.0]], [1])),
    ]
    for loss, args in pairs:
        grad = getattr(losses, f"{loss.__name__}_grad")
        for function in (loss, grad):
            with pytest.raises(ValueError, match="reduction must be one of"):
                function(*args, reduction="average")
