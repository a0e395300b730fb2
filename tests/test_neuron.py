"""nnbook.neuron: the sigmoid neuron, the perceptron and the party decision."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from nnbook.activations import sigmoid_prime
from nnbook.neuron import (
    PartyDecision,
    neuron,
    perceptron,
    sigmoid_neuron,
    weighted_input,
)

W = np.array([0.5, -1.5, 2.0])
B = -0.25


def test_weighted_input_of_one_input_and_of_a_batch() -> None:
    x = np.array([1.0, 2.0, 3.0])
    z = weighted_input(x, W, B)
    assert np.ndim(z) == 0 and z == pytest.approx(0.5 - 3.0 + 6.0 - 0.25)
    X = np.random.default_rng(0).standard_normal((6, 3))
    np.testing.assert_allclose(
        weighted_input(X, W, B), [weighted_input(row, W, B) for row in X], rtol=1e-15
    )


def test_sigmoid_neuron_matches_torch() -> None:
    X = 3 * np.random.default_rng(1).standard_normal((20, 3))
    expected = torch.sigmoid(torch.from_numpy(X) @ torch.from_numpy(W) + B).numpy()
    np.testing.assert_allclose(sigmoid_neuron(X, W, B), expected, rtol=1e-14)


def test_perceptron_fires_above_zero_only() -> None:
    # z = x1 - 1: below, at and above the threshold.
    X = np.array([[0.5], [1.0], [1.5]])
    np.testing.assert_array_equal(perceptron(X, [1.0], -1.0), [0.0, 0.0, 1.0])


def test_a_steep_sigmoid_neuron_is_a_perceptron() -> None:
    X = np.random.default_rng(2).standard_normal((50, 3))
    steep = sigmoid_neuron(X, 1e4 * W, 1e4 * B)
    np.testing.assert_allclose(steep, perceptron(X, W, B), atol=1e-12)


def test_neuron_with_any_activation() -> None:
    x = np.array([1.0, 0.0, 1.0])
    assert neuron(x, W, B, "relu") == pytest.approx(2.25)
    assert neuron(x, W, B, "identity") == pytest.approx(2.25)
    assert neuron(-x, W, B, "relu") == 0.0


@pytest.mark.parametrize(
    ("x", "w", "b", "error", "match"),
    [
        (
            np.ones(2),
            W,
            B,
            ValueError,
            r"x must have shape \(3,\) or \(n, 3\) to match the 3 weight\(s\), got shape \(2,\)",
        ),
        (np.ones((2, 2, 3)), W, B, ValueError, r"got shape \(2, 2, 3\)"),
        (
            np.ones(3),
            np.ones((3, 1)),
            B,
            ValueError,
            r"w must be a non-empty 1-D array of weights, got shape \(3, 1\)",
        ),
        (np.ones(3), W, np.ones(2), TypeError, "b must be a real number, got ndarray"),
        (np.ones(3), W, float("nan"), ValueError, "b must be a finite number, got nan"),
        (np.array([1.0, np.nan, 0.0]), W, B, ValueError, "x must not contain NaN"),
        (np.array(["a", "b", "c"]), W, B, TypeError, "x must hold real numbers"),
        (
            np.zeros((0, 3)),
            W,
            B,
            ValueError,
            r"x must hold at least one value, got shape \(0, 3\)",
        ),
        (np.ones(3), W, None, TypeError, "b must be a real number, got NoneType"),
    ],
)
def test_neuron_rejects_bad_input(x, w, b, error, match) -> None:
    with pytest.raises(error, match=match):
        sigmoid_neuron(x, w, b)


@pytest.mark.parametrize(
    "function", [weighted_input, neuron, perceptron, sigmoid_neuron]
)
def test_an_empty_batch_is_refused(function) -> None:
    with pytest.raises(ValueError, match="x must hold at least one value"):
        function(np.empty((0, 3)), W, B)


def test_bias_may_be_a_zero_dimensional_array() -> None:
    assert weighted_input(np.zeros(3), W, np.array(0.5)) == 0.5


def test_small_weight_changes_move_a_sigmoid_neuron_a_little() -> None:
    # |Δσ| <= max σ' · |Δz| = |Δz| / 4, whereas a perceptron can jump by 1.
    x = np.array([1.0, 1.0, 1.0])
    w = np.array(
        [1.0, 1.0, -2.0]
    )  # z = 0 at b = 0: the perceptron sits on its threshold
    dw = np.array([1e-3, 0.0, 0.0])
    jump_sigmoid = abs(sigmoid_neuron(x, w + dw, 0.0) - sigmoid_neuron(x, w, 0.0))
    jump_perceptron = abs(perceptron(x, w + dw, 0.0) - perceptron(x, w, 0.0))
    assert jump_sigmoid <= 1e-3 / 4 and jump_sigmoid == pytest.approx(
        1e-3 * sigmoid_prime(0.0), rel=1e-3
    )
    assert jump_perceptron == 1.0


# --- the party decision -----------------------------------------------------------------------------

GOOD_DAY = {"good_weather": 1.0, "friends_going": 1.0, "far_away": 0.0}


def test_party_defaults() -> None:
    party = PartyDecision()
    assert party.factors == ("good_weather", "friends_going", "far_away")
    assert party.bias == -party.threshold
    np.testing.assert_array_equal(party.w, party.weights)


def test_party_is_a_sigmoid_neuron() -> None:
    party = PartyDecision()
    x = np.array([0.3, 0.9, 0.5])
    z = float(party.w @ x - party.threshold)
    assert party.weighted_input(x) == pytest.approx(z)
    assert party.output(x) == pytest.approx(1 / (1 + np.exp(-z)))
    assert party.perceptron(x) == float(z > 0)


def test_party_accepts_a_mapping_an_array_and_a_batch() -> None:
    party = PartyDecision()
    x = np.array([GOOD_DAY[f] for f in party.factors])
    assert party.output(GOOD_DAY) == party.output(x)
    batch = np.array([x, [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(
        party.output(batch), [party.output(x), party.output(batch[1])]
    )


def test_contributions_add_up_to_the_weighted_input() -> None:
    party = PartyDecision()
    parts = party.contributions(GOOD_DAY)
    assert list(parts) == [*party.factors, "bias"]
    assert parts == {
        "good_weather": 2.0,
        "friends_going": 4.0,
        "far_away": 0.0,
        "bias": -2.5,
    }
    assert all(isinstance(v, float) for v in parts.values())
    assert sum(parts.values()) == pytest.approx(party.weighted_input(GOOD_DAY))
    batch = np.random.default_rng(0).uniform(size=(5, 3))
    parts = party.contributions(batch)
    np.testing.assert_allclose(
        sum(parts.values()), party.weighted_input(batch), rtol=1e-14
    )


def test_factors_push_the_way_their_weights_say() -> None:
    party = PartyDecision()
    base = np.array([0.5, 0.5, 0.5])
    for i, w in enumerate(party.weights):
        more = base.copy()
        more[i] += 0.1
        assert np.sign(party.output(more) - party.output(base)) == np.sign(w)


def test_a_higher_threshold_means_fewer_parties() -> None:
    party = PartyDecision()
    strict = dataclasses.replace(party, threshold=party.threshold + 1)
    assert strict.output(GOOD_DAY) < party.output(GOOD_DAY)
    assert strict.bias == party.bias - 1


def test_custom_factors() -> None:
    party = PartyDecision(factors=("music",), weights=(3,), threshold=1)
    assert party.weights == (3.0,) and party.threshold == 1.0
    assert party.perceptron({"music": 1}) == 1.0


@pytest.mark.parametrize(
    ("x", "match"),
    [
        ({"good_weather": 1, "friends_going": 1}, "missing: far_away"),
        ({**GOOD_DAY, "music": 1}, "unknown: music"),
        ([1.0, 0.0], r"x must have shape \(3,\) or \(n, 3\), one value per factor"),
    ],
)
def test_party_rejects_bad_inputs(x, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PartyDecision().output(x)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"weights": (1.0, 2.0)},
            ValueError,
            r"weights must hold one number per factor \(3\)",
        ),
        ({"factors": ("a", "a"), "weights": (1, 2)}, ValueError, "distinct names"),
        (
            {"factors": ("bias",), "weights": (1,)},
            ValueError,
            "'bias' cannot be a factor's name",
        ),
        (
            {"factors": (), "weights": ()},
            TypeError,
            "factors must be a non-empty sequence",
        ),
        (
            {"threshold": float("inf")},
            ValueError,
            "threshold must be a finite number, got inf",
        ),
    ],
)
def test_party_rejects_bad_settings(kwargs, error, match: str) -> None:
    with pytest.raises(error, match=match):
        PartyDecision(**kwargs)
