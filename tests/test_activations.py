"""nnbook.activations: values and derivatives against PyTorch and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnbook import activations as A
from nnbook.activations import (
    ACTIVATIONS,
    Activation,
    get_activation,
    leaky_relu_activation,
)

NAMES = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "gelu",
    "step",
    "identity",
]

#: The same functions in PyTorch (values; autograd gives the derivatives).
TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    # log(1 + e^z) exactly; F.softplus switches to z for z > 20 (see below).
    "softplus": lambda z: torch.logaddexp(torch.zeros_like(z), z),
    "gelu": lambda z: F.gelu(z, approximate="none"),
    "step": lambda z: torch.heaviside(z, torch.zeros_like(z)),
    "identity": lambda z: z * 1.0,
}

#: Functions with a kink (or jump) at 0, where finite differences do not apply.
KINKED = {"relu", "leaky_relu", "step"}

EXTREMES = np.array(
    [-1e10, -1000.0, -745.0, -100.0, -30.0, -5.0, 5.0, 30.0, 100.0, 745.0, 1000.0, 1e10]
)


def _inputs(seed: int = 0) -> np.ndarray:
    """Random inputs of several scales, plus extreme ones."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.standard_normal(200), 10 * rng.standard_normal(100), EXTREMES]
    )


def _torch_value_and_grad(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    value = TORCH[name](t)
    if name == "step":  # heaviside has no autograd; its derivative is 0 off the jump
        return value.detach().numpy(), np.zeros_like(z)
    (grad,) = torch.autograd.grad(value.sum(), t)
    return value.detach().numpy(), grad.numpy()


def _central_difference(f, z: np.ndarray) -> np.ndarray:
    # A step relative to |z|, so that z ± h differ from z even for large |z|.
    h = 1e-6 * np.maximum(1.0, np.abs(z))
    return (f(z + h) - f(z - h)) / (2 * h)


# --- the registry ---------------------------------------------------------------


def test_registry_holds_every_activation() -> None:
    assert list(ACTIVATIONS) == NAMES
    for name, activation in ACTIVATIONS.items():
        assert isinstance(activation, Activation)
        assert activation.name == name
        assert activation.formula.startswith("$")


@pytest.mark.parametrize("name", NAMES)
def test_get_activation_by_name(name: str) -> None:
    assert get_activation(name) is ACTIVATIONS[name]
    assert get_activation(name.upper()) is ACTIVATIONS[name]


def test_get_activation_passes_objects_through() -> None:
    custom = Activation(
        "cube", lambda z: np.asarray(z) ** 3, lambda z: 3 * np.asarray(z) ** 2
    )
    assert get_activation(custom) is custom
    assert custom(2.0) == 8.0 and custom.derivative(2.0) == 12.0


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match="unknown activation 'swish'; known activations: sigmoid, tanh"
    ) as error:
        get_activation("swish")
    for name in NAMES:
        assert name in str(error.value)


def test_get_activation_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(np.tanh)  # type: ignore[arg-type]


def test_activation_checks_its_fields() -> None:
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        Activation("", A.sigmoid, A.sigmoid_prime)
    with pytest.raises(TypeError, match="df must be a function"):
        Activation("broken", A.sigmoid, 0.25)  # type: ignore[arg-type]


def test_repr_is_short() -> None:
    assert repr(ACTIVATIONS["gelu"]) == "Activation(name='gelu')"


# --- values and derivatives against PyTorch -------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_values_match_torch(name: str) -> None:
    z = np.concatenate([_inputs(1), [0.0]])
    expected, _ = _torch_value_and_grad(name, z)
    np.testing.assert_allclose(ACTIVATIONS[name](z), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_torch_autograd(name: str) -> None:
    # Includes z = 0, where relu and leaky_relu follow PyTorch's convention.
    z = np.concatenate([_inputs(2), [0.0]])
    _, expected = _torch_value_and_grad(name, z)
    np.testing.assert_allclose(
        ACTIVATIONS[name].derivative(z), expected, rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_central_differences(name: str) -> None:
    z = _inputs(3)
    if name in KINKED:
        z = z[np.abs(z) > 1e-3]
    activation = ACTIVATIONS[name]
    np.testing.assert_allclose(
        activation.derivative(z),
        _central_difference(activation.f, z),
        rtol=1e-6,
        atol=1e-9,
    )


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
def test_leaky_relu_slope_against_torch(slope: float) -> None:
    activation = leaky_relu_activation(slope)
    z = np.concatenate([_inputs(4), [0.0]])
    t = torch.tensor(z, requires_grad=True)
    value = F.leaky_relu(t, negative_slope=slope)
    (grad,) = torch.autograd.grad(value.sum(), t)
    np.testing.assert_allclose(activation(z), value.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(activation.derivative(z), grad.numpy(), rtol=1e-12)
    assert activation.name == (
        "leaky_relu" if slope == 0.01 else f"leaky_relu(slope={slope:g})"
    )


@pytest.mark.parametrize("slope", [float("nan"), float("inf"), -0.5, 1.5])
def test_leaky_relu_rejects_a_bad_slope(slope: float) -> None:
    """The slope is in [0, 1]: a negative one would flip negative inputs, one above 1 is no longer 'leaky'."""
    for make in (
        leaky_relu_activation,
        lambda s: A.leaky_relu(-1.0, s),
        lambda s: A.leaky_relu_prime(-1.0, s),
    ):
        with pytest.raises(ValueError, match=r"slope must be in \[0, 1\], got"):
            make(slope)
    with pytest.raises(TypeError, match="slope must be a real number"):
        A.leaky_relu(1.0, slope="0.1")  # type: ignore[arg-type]


# --- numerical safety ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_no_floating_point_warnings_at_extremes(name: str, dtype) -> None:
    z = np.array(
        [-1e30, -1e10, -1000, -100, -1, 0, 1, 100, 1000, 1e10, 1e30], dtype=dtype
    )
    activation = ACTIVATIONS[name]
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        value = activation(z)
        slope = activation.derivative(z)
    assert value.dtype == dtype and slope.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(slope))


@settings(max_examples=200, deadline=None)
@given(
    z=arrays(
        np.float64,
        st.integers(1, 20),
        elements=st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_any_finite_input_gives_finite_values_without_warnings(z: np.ndarray) -> None:
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for activation in ACTIVATIONS.values():
            assert np.all(np.isfinite(activation(z))), activation.name
            slope = activation.derivative(z)
            assert np.all(np.isfinite(slope)), activation.name
    # Bounds that hold everywhere (the slopes' maxima up to one rounding).
    ulp = 1 + np.finfo(np.float64).eps
    assert np.all((A.sigmoid(z) >= 0) & (A.sigmoid(z) <= 1))
    assert np.all((A.sigmoid_prime(z) >= 0) & (A.sigmoid_prime(z) <= 0.25 * ulp))
    assert np.all((A.tanh_prime(z) >= 0) & (A.tanh_prime(z) <= ulp))
    assert np.all(A.softplus(z) >= A.relu(z))


def test_limits_at_plus_and_minus_1000() -> None:
    z = np.array([-1000.0, 1000.0])
    np.testing.assert_array_equal(A.sigmoid(z), [0.0, 1.0])
    np.testing.assert_array_equal(A.sigmoid_prime(z), [0.0, 0.0])
    np.testing.assert_array_equal(A.tanh(z), [-1.0, 1.0])
    np.testing.assert_array_equal(A.tanh_prime(z), [0.0, 0.0])
    np.testing.assert_array_equal(A.softplus(z), [0.0, 1000.0])
    np.testing.assert_array_equal(A.gelu(z), [0.0, 1000.0])
    np.testing.assert_array_equal(A.gelu_prime(z), [0.0, 1.0])


def test_saturated_sigmoid_keeps_relative_accuracy() -> None:
    # 1 - σ(z) rounds to 0 for z > 37; the derivative must not.
    z = np.array([40.0, -40.0, 700.0])
    np.testing.assert_allclose(
        A.sigmoid_prime(z),
        np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2,
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        A.sigmoid(-40.0), np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-14
    )
    np.testing.assert_allclose(A.tanh_prime(20.0), 1 / np.cosh(20.0) ** 2, rtol=1e-14)


def test_softplus_matches_torch_softplus() -> None:
    # F.softplus returns z itself for z > 20 (its default threshold); the
    # error of that shortcut is log(1 + e^-z) < e^-20.
    z = _inputs(7)
    t = torch.tensor(z, requires_grad=True)
    value = F.softplus(t)
    (grad,) = torch.autograd.grad(value.sum(), t)
    np.testing.assert_allclose(
        A.softplus(z), value.detach().numpy(), rtol=1e-12, atol=np.exp(-20)
    )
    np.testing.assert_allclose(
        A.softplus_prime(z), grad.numpy(), rtol=1e-12, atol=np.exp(-20)
    )


def test_gelu_in_float32_is_the_rounded_exact_value() -> None:
    z = _inputs(5).astype(np.float32)
    eps32 = np.finfo(np.float32).eps
    # Computed in float64 and rounded once: within half a float32 ulp.
    np.testing.assert_allclose(
        A.gelu(z), A.gelu(z.astype(np.float64)), rtol=eps32 / 2, atol=1e-45
    )
    np.testing.assert_allclose(
        A.gelu_prime(z), A.gelu_prime(z.astype(np.float64)), rtol=eps32 / 2, atol=1e-45
    )
    # PyTorch computes in float32 throughout, with rounding errors of its own.
    torch32 = F.gelu(torch.from_numpy(z), approximate="none").numpy()
    np.testing.assert_allclose(A.gelu(z), torch32, atol=1e-6)


# --- shapes, types and identities ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_shape_and_scalars(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    assert activation(z).shape == (2, 3, 4)
    assert activation.derivative(z).shape == (2, 3, 4)
    scalar = activation(0.5)
    assert np.ndim(scalar) == 0 and isinstance(scalar, np.floating)
    np.testing.assert_allclose(scalar, activation(np.array([0.5]))[0])


def test_integers_and_booleans_become_float64() -> None:
    assert A.sigmoid(np.array([1, 2])).dtype == np.float64
    assert A.relu_prime([True, False]).dtype == np.float64
    np.testing.assert_array_equal(A.step([3, 0, -2]), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("bad", [["a", "b"], np.array([1 + 2j])])
def test_non_real_input_is_rejected(bad) -> None:
    with pytest.raises(TypeError, match="z must hold real numbers"):
        A.sigmoid(bad)


def test_identities_between_the_functions() -> None:
    z = _inputs(6)
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), atol=1e-15)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(
        A.tanh_prime(z), 4 * A.sigmoid_prime(2 * z), rtol=1e-14, atol=1e-300
    )
    np.testing.assert_allclose(A.softplus_prime(z), A.sigmoid(z))
    np.testing.assert_array_equal(A.leaky_relu(z, slope=0.0), A.relu(z))
    np.testing.assert_allclose(A.softplus(z) - A.softplus(-z), z, atol=1e-12)


def test_sigmoid_derivative_peaks_at_one_quarter() -> None:
    z = np.linspace(-20, 20, 4001)
    slope = A.sigmoid_prime(z)
    assert slope.max() == 0.25 and z[slope.argmax()] == 0.0
    np.testing.assert_allclose(slope, A.sigmoid(z) * (1 - A.sigmoid(z)), atol=1e-16)


def test_steep_sigmoid_tends_to_the_step() -> None:
    z = np.array([-0.5, -0.01, 0.01, 0.5])
    np.testing.assert_allclose(A.sigmoid(1e5 * z), A.step(z), atol=1e-40)


def test_step_derivative_is_zero_everywhere() -> None:
    np.testing.assert_array_equal(A.step_prime([-1.0, 0.0, 1.0]), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_nan_in_gives_nan_out_and_infinities_give_the_limits(name: str, dtype) -> None:
    """Every function and derivative keeps NaN where it is (a test such as z > 0 must not turn it into 0)."""
    activation = ACTIVATIONS[name]
    z = np.array([np.nan, -np.inf, -1.0, 0.0, 1.0, np.inf], dtype=dtype)
    with np.errstate(
        invalid="ignore"
    ):  # NumPy's logaddexp (in the softplus) warns about NaN
        results = (
            activation(z),
            activation.derivative(z),
            activation.derivative_from_output(z, activation(z)),
        )
        assert np.isnan(activation(np.nan)) and np.isnan(activation.derivative(np.nan))
    for result in results:
        assert (
            result.dtype == dtype
            and np.isnan(result[0])
            and not np.isnan(result[1:]).any()
        )
    np.testing.assert_array_equal(A.relu_prime(z[1:]), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(A.step(z[1:]), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(A.leaky_relu_prime(z[1:], 0.5), [0.5, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(A.identity_prime(z[1:]), [1, 1, 1, 1, 1])


def test_derivative_from_output_checks_both_arguments() -> None:
    tanh = get_activation("tanh")
    z = np.linspace(-2, 2, 5)
    # NaN in either argument gives NaN, whichever of the two the activation computes with.
    for activation in (tanh, get_activation("gelu")):
        assert np.isnan(
            activation.derivative_from_output(np.r_[np.nan, z[1:]], np.tanh(z))[0]
        )
        assert np.isnan(
            activation.derivative_from_output(z, np.r_[np.nan, np.tanh(z[1:])])[0]
        )
    with pytest.raises(TypeError, match="a must hold real numbers"):
        tanh.derivative_from_output(z, ["a"] * 5)
    with pytest.raises(TypeError, match="z must hold real numbers"):
        tanh.derivative_from_output(z.astype(complex), np.tanh(z))
    with pytest.raises(
        ValueError, match=r"a must have the shape of z, \(5,\), got shape \(4,\)"
    ):
        tanh.derivative_from_output(z, np.tanh(z[1:]))
    assert (
        tanh.derivative_from_output(0.0, 0.0) == 1.0
    )  # numbers, as the other functions take


def test_gelu_derivative_extremes() -> None:
    root2 = np.sqrt(2.0)
    np.testing.assert_allclose(A.gelu_prime(-root2), -0.1289, atol=1e-4)
    np.testing.assert_allclose(A.gelu_prime(root2), 1.1289, atol=1e-4)
    # -√2 and √2 are where the derivative turns: the second derivative is 0 there.
    for z0 in (-root2, root2):
        assert abs(_central_difference(A.gelu_prime, np.array([z0]))[0]) < 1e-6


def test_gelu_keeps_relative_accuracy_in_the_left_tail() -> None:
    # 0.5 z (1 + erf(z/√2)) cancels to 0 here; z Φ(z) written with erfc does
    # not. Reference values of Φ from tables of the normal distribution.
    phi = {-8.0: 6.220960574271785e-16, -10.0: 7.619853024160527e-24}
    for z, cdf in phi.items():
        np.testing.assert_allclose(A.gelu(z), z * cdf, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_from_output_equals_the_derivative(name: str) -> None:
    """Back-propagation's shortcut f'(z) = g(f(z)) gives the same slopes as f'(z) itself."""
    activation = ACTIVATIONS[name]
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(
        activation.derivative_from_output(z, activation(z)),
        activation.derivative(z),
        rtol=1e-12,
        atol=1e-15,
    )


def test_an_activation_rejects_a_derivative_of_output_that_is_not_a_function() -> None:
    with pytest.raises(TypeError, match="df_of_output must be a function, got float"):
        Activation("broken", A.sigmoid, A.sigmoid_prime, "", 0.25)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_matches_torch_and_is_not_elementwise(dtype) -> None:
    """Rows of probabilities, equal to torch.softmax, finite for huge scores; no element-wise derivative."""
    z = np.random.default_rng(0).normal(scale=5.0, size=(6, 4)).astype(dtype)
    z[0] = [
        1000.0,
        -1000.0,
        0.0,
        999.0,
    ]  # exp(1000) overflows: the shift by the row's maximum avoids it
    ours = A.softmax(z)
    assert ours.dtype == dtype
    np.testing.assert_allclose(
        ours, torch.softmax(torch.from_numpy(z), dim=-1).numpy(), rtol=1e-6, atol=1e-30
    )
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(
        A.SOFTMAX(z), ours
    )  # the Activation applies the same function
    assert (
        "softmax" not in ACTIVATIONS
    )  # not element-wise: not offered for hidden layers
    with pytest.raises(TypeError, match="the softmax has no element-wise derivative"):
        A.SOFTMAX.derivative(z)
