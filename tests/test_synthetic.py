"""nnbook.synthetic: the two-moons and XOR data sets."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.synthetic import two_moons, xor_blobs


@pytest.mark.parametrize("make", [two_moons, xor_blobs])
@pytest.mark.parametrize("n", [4, 9, 200])
def test_shapes_and_labels(make, n: int) -> None:
    X, y = make(n, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    assert abs(int(y.sum()) - n / 2) <= 1  # balanced classes


@pytest.mark.parametrize("make", [two_moons, xor_blobs])
def test_seed_fixes_the_data(make) -> None:
    a, b, c = make(50, seed=1), make(50, seed=1), make(50, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    rng = np.random.default_rng(3)
    assert not np.array_equal(make(50, seed=rng)[0], make(50, seed=rng)[0])


def test_noiseless_moons_lie_on_their_half_circles() -> None:
    X, y = two_moons(101, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-15)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-15)


def test_xor_labels_follow_the_nearest_corner() -> None:
    X, y = xor_blobs(400, noise=0.05, seed=0)
    corner = np.round(X).astype(int)
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])
    assert np.abs(X - corner).max() < 0.3


def test_noise_spreads_the_points() -> None:
    X0, _ = xor_blobs(400, noise=0.0, seed=0)
    X1, _ = xor_blobs(400, noise=0.2, seed=0)
    assert np.abs(X1 - X0).std() == pytest.approx(0.2 * np.sqrt(1 - 2 / np.pi), rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 1}, ValueError, "n must be an integer >= "),
        ({"n": 10.0}, TypeError, "n must be an integer"),
        ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": float("nan")}, ValueError, "noise must be a finite number >= 0"),
        ({"noise": "low"}, TypeError, "noise must be a real number, got str"),
        (
            {"seed": "zero"},
            TypeError,
            "seed must be an int or a numpy.random.Generator",
        ),
        (
            {"seed": None},
            TypeError,
            "seed must be an int or a numpy.random.Generator, got NoneType",
        ),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0, got -1"),
    ],
)
@pytest.mark.parametrize("make", [two_moons, xor_blobs])
def test_bad_arguments(make, kwargs, error, match: str) -> None:
    with pytest.raises(error, match=match):
        make(**kwargs)
