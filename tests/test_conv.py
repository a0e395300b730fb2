"""nnbook.conv: convolution and pooling from scratch against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.conv import (
    avg_pool2d,
    conv2d,
    conv2d_direct,
    correlate2d,
    im2col,
    max_pool2d,
    output_size,
)

TOL = 1e-10

#: The lecture's worked example: a 5x5 image and the vertical-edge kernel.
LECTURE_IMAGE = np.array(
    [
        [7, 2, 3, 3, 8],
        [4, 5, 3, 8, 4],
        [3, 3, 2, 8, 4],
        [2, 8, 7, 2, 7],
        [5, 4, 4, 5, 4],
    ]
)
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])


def torch_conv(x, w, b, stride, padding) -> np.ndarray:
    bias = None if b is None else torch.from_numpy(b)
    return F.conv2d(
        torch.from_numpy(x), torch.from_numpy(w), bias, stride=stride, padding=padding
    ).numpy()


@st.composite
def conv_case(draw):
    """A random convolution: shapes, stride and padding that fit together."""
    n, c_in, c_out = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 4)),
        draw(st.integers(1, 4)),
    )
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    # An int means the same value in both directions.
    stride = sh if draw(st.booleans()) else (sh, sw)
    padding = ph if draw(st.booleans()) else (ph, pw)
    if isinstance(padding, int):
        pw = ph
    # The input may be smaller than the kernel, as long as the padded input is not.
    h = draw(st.integers(max(1, kh - 2 * ph), 11))
    w = draw(st.integers(max(1, kw - 2 * pw), 11))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, kh, kw))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return x, weight, bias, stride, padding


# --- the lecture's example ------------------------------------------------------------


def test_lecture_example_top_left_is_six() -> None:
    out = correlate2d(LECTURE_IMAGE, VERTICAL_EDGE)
    assert out.shape == (3, 3)
    assert out[0, 0] == 6  # 7 + 4 + 3 - (3 + 3 + 2)


def test_lecture_example_full_map() -> None:
    expected = np.array([[6, -9, -8], [-3, -2, -3], [-3, 0, -2]])
    np.testing.assert_array_equal(correlate2d(LECTURE_IMAGE, VERTICAL_EDGE), expected)
    batch, kernel = LECTURE_IMAGE[None, None], VERTICAL_EDGE[None, None]
    np.testing.assert_array_equal(conv2d_direct(batch, kernel)[0, 0], expected)
    np.testing.assert_array_equal(conv2d(batch, kernel)[0, 0], expected)


def test_correlation_does_not_flip_the_kernel() -> None:
    # A kernel with a single 1 picks out one pixel of the window: no flip.
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.zeros((3, 3))
    kernel[0, 0] = 1.0
    np.testing.assert_array_equal(correlate2d(image, kernel), image[:2, :2])


# --- against PyTorch ----------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(conv_case())
def test_conv2d_matches_torch(case) -> None:
    x, w, b, stride, padding = case
    expected = torch_conv(x, w, b, stride, padding)
    got = conv2d(x, w, b, stride=stride, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@settings(max_examples=60, deadline=None)
@given(conv_case())
def test_conv2d_direct_matches_torch(case) -> None:
    x, w, b, stride, padding = case
    expected = torch_conv(x, w, b, stride, padding)
    got = conv2d_direct(x, w, b, stride=stride, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@pytest.mark.parametrize(
    ("shape", "weight_shape", "stride", "padding"),
    [
        ((1, 1, 28, 28), (8, 1, 5, 5), 1, 2),  # an MNIST layer keeping the size
        ((2, 3, 7, 9), (5, 3, 3, 3), 2, 1),
        ((2, 2, 6, 6), (3, 2, 6, 6), 1, 0),  # the kernel covers the whole image
        (
            (1, 2, 2, 3),
            (2, 2, 4, 5),
            1,
            1,
        ),  # the kernel is larger than the unpadded input
        (
            (3, 1, 10, 10),
            (2, 1, 1, 1),
            3,
            0,
        ),  # 1x1 kernel, stride larger than the kernel
        (
            (1, 2, 9, 5),
            (3, 2, 2, 4),
            (3, 1),
            (0, 2),
        ),  # different strides and paddings per axis
    ],
)
def test_both_versions_match_torch_on_chosen_shapes(
    shape, weight_shape, stride, padding
) -> None:
    rng = np.random.default_rng(0)
    x, w, b = (
        rng.standard_normal(shape),
        rng.standard_normal(weight_shape),
        rng.standard_normal(weight_shape[0]),
    )
    expected = torch_conv(x, w, b, stride, padding)
    np.testing.assert_allclose(
        conv2d(x, w, b, stride, padding), expected, rtol=0, atol=TOL
    )
    np.testing.assert_allclose(
        conv2d_direct(x, w, b, stride, padding), expected, rtol=0, atol=TOL
    )


def test_conv2d_on_extreme_values() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 6, 6)) * 1e150
    w = rng.standard_normal((3, 2, 3, 3)) * 1e-150
    expected = torch_conv(x, w, None, 1, 1)
    np.testing.assert_allclose(
        conv2d(x, w, padding=1), expected, rtol=1e-12, atol=1e-12
    )
    # Large values in a float64 stay finite; NaN is refused (PyTorch would spread it to every window).
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x must not contain NaN or infinite values"):
        conv2d(x, w, padding=1)


def test_float32_stays_float32_and_ints_become_float64() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    out = conv2d(x, w, padding=1)
    assert out.dtype == np.float32
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert conv2d_direct(x, w).dtype == np.float32
    assert correlate2d(LECTURE_IMAGE, VERTICAL_EDGE).dtype == np.float64


def test_conv2d_accepts_torch_tensors() -> None:
    x, w = (
        torch.randn(1, 2, 5, 5, dtype=torch.float64),
        torch.randn(3, 2, 3, 3, dtype=torch.float64),
    )
    np.testing.assert_allclose(conv2d(x, w), F.conv2d(x, w).numpy(), rtol=0, atol=TOL)


@settings(max_examples=60, deadline=None)
@given(conv_case())
def test_im2col_matches_torch_unfold(case) -> None:
    x, w, _, stride, padding = case
    kernel = w.shape[2:]
    expected = F.unfold(
        torch.from_numpy(x), kernel, padding=padding, stride=stride
    ).numpy()
    np.testing.assert_array_equal(im2col(x, kernel, stride, padding), expected)


def test_convolution_is_weight_matrix_times_im2col() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 3, 2))
    columns = im2col(x, (3, 2), stride=2, padding=1)
    product = w.reshape(4, -1) @ columns  # (N, C_out, H_out * W_out)
    out = conv2d(x, w, stride=2, padding=1)
    np.testing.assert_allclose(product.reshape(out.shape), out, rtol=0, atol=TOL)


def test_conv2d_is_linear_in_the_input() -> None:
    rng = np.random.default_rng(4)
    x1, x2, w = (
        rng.standard_normal((1, 2, 6, 6)),
        rng.standard_normal((1, 2, 6, 6)),
        rng.standard_normal((3, 2, 3, 3)),
    )
    np.testing.assert_allclose(
        conv2d(2 * x1 - 3 * x2, w), 2 * conv2d(x1, w) - 3 * conv2d(x2, w), atol=1e-12
    )


# --- pooling ------------------------------------------------------------------------------------


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 10))
    w = draw(st.integers(max(1, kw - 2 * pw), 10))
    stride = draw(
        st.one_of(
            st.none(),
            st.integers(1, 3),
            st.tuples(st.integers(1, 3), st.integers(1, 3)),
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w))
    return x, (kh, kw), stride, (ph, pw)


@settings(max_examples=150, deadline=None)
@given(pool_case())
def test_max_pool2d_matches_torch(case) -> None:
    x, kernel, stride, padding = case
    expected = F.max_pool2d(
        torch.from_numpy(x), kernel, stride=stride, padding=padding
    ).numpy()
    got = max_pool2d(x, kernel, stride=stride, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


@settings(max_examples=150, deadline=None)
@given(pool_case())
def test_avg_pool2d_matches_torch(case) -> None:
    x, kernel, stride, padding = case
    expected = F.avg_pool2d(
        torch.from_numpy(x), kernel, stride=stride, padding=padding
    ).numpy()
    got = avg_pool2d(x, kernel, stride=stride, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


def test_two_by_two_pooling_by_hand() -> None:
    x = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 7, 8], [0, 4, 6, 2]])[None, None]
    np.testing.assert_array_equal(max_pool2d(x, 2)[0, 0], [[4, 5], [4, 8]])
    np.testing.assert_array_equal(avg_pool2d(x, 2)[0, 0], [[2.5, 1.75], [1, 5.75]])


def test_max_pool_padding_never_wins() -> None:
    x = -np.ones((1, 1, 4, 4))
    assert (max_pool2d(x, 3, stride=1, padding=1) == -1).all()


# --- output size ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 5), st.integers(0, 4))
def test_output_size_matches_torch(n, k, stride, padding) -> None:
    if k > n + 2 * padding:
        with pytest.raises(ValueError, match="longer than the padded input"):
            output_size(n, k, stride, padding)
        return
    out = F.conv2d(
        torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=stride, padding=padding
    )
    assert output_size(n, k, stride, padding) == out.shape[-1]


def test_output_size_examples() -> None:
    assert output_size(5, 3) == 3  # the lecture's example
    assert output_size(28, 5, padding=2) == 28  # "same" padding
    assert output_size(28, 2, stride=2) == 14  # 2x2 pooling halves
    assert output_size(7, 3, stride=2) == 3
    assert output_size(8, 3, stride=2) == 3  # the last column is never used


# --- errors -----------------------------------------------------------------------------------


X = np.zeros((2, 3, 8, 8))
W = np.zeros((4, 3, 3, 3))


@pytest.mark.parametrize("function", [conv2d, conv2d_direct])
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.zeros((3, 8, 8)), W),
            {},
            ValueError,
            r"x must have 4 dimensions \(N, C, H, W\), got shape \(3, 8, 8\)",
        ),
        (
            (np.zeros((8, 8)), W),
            {},
            ValueError,
            r"for a single 2-D image and kernel use correlate2d",
        ),
        (
            (X, np.zeros((3, 3, 3))),
            {},
            ValueError,
            r"weight must have 4 dimensions \(C_out, C_in, kH, kW\)",
        ),
        (
            (X, np.zeros((4, 1, 3, 3))),
            {},
            ValueError,
            r"x has 3 channels but the weight expects 1",
        ),
        (
            (X, W, np.zeros(3)),
            {},
            ValueError,
            r"bias must have shape \(C_out,\) = \(4,\)",
        ),
        (
            (X, np.zeros((4, 3, 9, 3))),
            {},
            ValueError,
            r"the kernel \(9x3\) is larger than the padded input \(8x8",
        ),
        (
            (X, np.zeros((4, 3, 11, 3))),
            {"padding": 1},
            ValueError,
            r"larger than the padded input \(10x10",
        ),
        ((X, W), {"stride": 0}, ValueError, r"stride must be an integer >= 1, got 0"),
        ((X, W), {"stride": -1}, ValueError, r"stride must be an integer >= 1"),
        ((X, W), {"stride": (1, 0)}, ValueError, r"stride must be an integer >= 1"),
        ((X, W), {"padding": -1}, ValueError, r"padding must be an integer >= 0"),
        (
            (X, W),
            {"stride": 1.5},
            TypeError,
            r"stride must be an int or a pair of ints",
        ),
        (
            (X, W),
            {"padding": (1, 2, 3)},
            TypeError,
            r"padding must be an int or a pair of ints",
        ),
        (
            (X, W),
            {"stride": True},
            TypeError,
            r"stride must be an int or a pair of ints",
        ),
        (
            (np.zeros((0, 3, 8, 8)), W),
            {},
            ValueError,
            r"x must hold at least one value",
        ),
        ((X.astype(complex), W), {}, TypeError, r"x must hold real numbers"),
        ((np.array([["a"]]), W), {}, TypeError, r"x must hold real numbers"),
        ((None, W), {}, TypeError, r"x must hold real numbers"),
        (
            (np.full((2, 3, 8, 8), np.nan), W),
            {},
            ValueError,
            r"x must not contain NaN or infinite values",
        ),
        (
            (X, np.full((4, 3, 3, 3), np.inf)),
            {},
            ValueError,
            r"weight must not contain NaN or infinite values",
        ),
        (
            (X, W, np.array([0.0, np.nan, 0.0, 0.0])),
            {},
            ValueError,
            r"bias must not contain NaN or infinite",
        ),
    ],
)
def test_convolution_errors(function, args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        function(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.zeros((2, 3, 3, 3)), 5),
            {},
            ValueError,
            r"the kernel \(5x5\) is larger than the padded input \(3x3",
        ),
        ((X, 0), {}, ValueError, r"kernel_size must be an integer >= 1"),
        ((X, 2), {"stride": 0}, ValueError, r"stride must be an integer >= 1"),
        ((X[0], 2), {}, ValueError, r"x must have 4 dimensions"),
        (
            (X, 2),
            {"stride": None},
            TypeError,
            r"stride must be an int or a pair of ints",
        ),  # None only for pooling
        (
            (np.full((1, 1, 4, 4), -np.inf), 2),
            {},
            ValueError,
            r"x must not contain NaN or infinite values",
        ),
    ],
)
def test_im2col_errors(args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        im2col(*args, **kwargs)


@pytest.mark.parametrize("function", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((X, 2), {"stride": 0}, ValueError, r"stride must be an integer >= 1"),
        ((X, 0), {}, ValueError, r"kernel_size must be an integer >= 1"),
        (
            (X, 3),
            {"padding": 2},
            ValueError,
            r"padding must be at most half the kernel size \(1, 1\)",
        ),
        (
            (X, 9),
            {},
            ValueError,
            r"the pooling window \(9x9\) is larger than the padded input \(8x8",
        ),
        ((X[0], 2), {}, ValueError, r"x must have 4 dimensions"),
        ((X, 2.0), {}, TypeError, r"kernel_size must be an int or a pair of ints"),
        (
            (np.full((1, 1, 4, 4), np.nan), 2),
            {},
            ValueError,
            r"x must not contain NaN or infinite values",
        ),
        (
            (np.zeros((0, 1, 4, 4)), 2),
            {},
            ValueError,
            r"x must hold at least one value",
        ),
    ],
)
def test_pooling_errors(function, args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        function(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.zeros((1, 5, 5)), VERTICAL_EDGE),
            {},
            ValueError,
            r"image must have 2 dimensions",
        ),
        (
            (LECTURE_IMAGE, np.zeros((1, 3, 3))),
            {},
            ValueError,
            r"kernel must have 2 dimensions",
        ),
        (
            (LECTURE_IMAGE, np.ones((7, 7))),
            {},
            ValueError,
            r"the kernel \(7x7\) is larger than the padded input \(5x5",
        ),
        (
            (LECTURE_IMAGE, VERTICAL_EDGE),
            {"stride": 0},
            ValueError,
            r"stride must be an integer >= 1",
        ),
        (
            (np.zeros((0, 5)), VERTICAL_EDGE),
            {},
            ValueError,
            r"image must hold at least one value",
        ),
        (
            (LECTURE_IMAGE, np.zeros((0, 3))),
            {},
            ValueError,
            r"kernel must hold at least one value",
        ),
        (
            (np.full((5, 5), np.inf), VERTICAL_EDGE),
            {},
            ValueError,
            r"image must not contain NaN or infinite",
        ),
        (
            (LECTURE_IMAGE, np.full((3, 3), np.nan)),
            {},
            ValueError,
            r"kernel must not contain NaN or infinite",
        ),
    ],
)
def test_correlate2d_errors(args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        correlate2d(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            (5, 7),
            ValueError,
            r"the kernel \(7\) is longer than the padded input \(5 \+ 2\*0 = 5\)",
        ),
        ((5, 3, 0), ValueError, r"stride must be an integer >= 1, got 0"),
        ((5, 3, 1, -1), ValueError, r"padding must be an integer >= 0"),
        ((0, 3), ValueError, r"n must be an integer >= 1"),
        ((5.0, 3), TypeError, r"n must be an integer"),
    ],
)
def test_output_size_errors(args, error, match) -> None:
    with pytest.raises(error, match=match):
        output_size(*args)
