"""Two-dimensional convolution and pooling from scratch, in NumPy.

What deep learning calls a *convolution* is, strictly speaking, a
*cross-correlation*: a small grid of weights, the *kernel* or *filter*,
slides over the image, and at each position the output is the sum of the
products of the kernel with the patch of image under it. (A convolution in
the mathematical sense would flip the kernel first; for learned kernels the
difference does not matter, because the network can just as well learn the
flipped kernel.) For one channel, a kernel ``w`` of size ``kH × kW`` and
stride ``s``,

``out[i, j] = sum over p, q of  x[s*i + p, s*j + q] * w[p, q]``.

This module computes it twice:

- :func:`conv2d_direct` loops over the output positions, exactly as the
  formula reads. It is the version to read.
- :func:`conv2d` cuts every patch out of the image at once (*im2col*, see
  :func:`im2col`) and turns the whole layer into one matrix product. It is
  the version to run, and the way most libraries compute convolutions on a
  CPU.

Both follow PyTorch's conventions, so that their results can be compared
with :func:`torch.nn.functional.conv2d` number by number:

- inputs have shape ``(N, C_in, H, W)``: a batch of ``N`` images with
  ``C_in`` channels each;
- weights have shape ``(C_out, C_in, kH, kW)``: one filter per output
  channel, each spanning all input channels;
- ``stride`` and ``padding`` are an int (the same for height and width) or
  a pair ``(height, width)``; padding adds zeros around the border.

:func:`max_pool2d` and :func:`avg_pool2d` summarise each window by its
largest value or its mean, and :func:`output_size` gives the size of the
result. :func:`correlate2d` is the one-image, one-kernel special case for
worked examples.

Results are ``float64`` unless all inputs are ``float32``; integer inputs
are computed in ``float64``. Images, weights and biases must be finite: a
NaN or an infinity is refused with a ValueError naming the argument (PyTorch
would spread it over every window it is in).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnbook._checks import as_real_array, check_int

__all__ = [
    "avg_pool2d",
    "conv2d",
    "conv2d_direct",
    "correlate2d",
    "im2col",
    "max_pool2d",
    "output_size",
]

#: What the functions accept as arrays: NumPy arrays or anything
#: :func:`numpy.asarray` understands (nested lists, tensors on the CPU).
ArrayLike = Any

#: A size given for both directions at once, or as ``(height, width)``.
IntOrPair = int | tuple[int, int]


# ---------------------------------------------------------------------------
# Checking the arguments
# ---------------------------------------------------------------------------


def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """Return ``value``, an int or a pair of ints, as a pair ``(height, width)``.

    Each must be at least ``minimum``.
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) == 2:
        try:
            return check_int(pair[0], name, minimum), check_int(pair[1], name, minimum)
        except TypeError:
            pass
    raise TypeError(
        f"{name} must be an int or a pair of ints (height, width), got {value!r}"
    )


def _as_4d(a: ArrayLike, name: str, axes: str) -> np.ndarray:
    """Return ``a`` as a finite, non-empty float array with four ``axes``, or raise."""
    array = as_real_array(a, name, nonempty=True)
    if array.ndim != 4:
        hint = (
            " (for a single 2-D image and kernel use correlate2d, "
            "or add two axes with [None, None])"
        )
        raise ValueError(
            f"{name} must have 4 dimensions {axes}, got shape {array.shape}"
            f"{hint if array.ndim == 2 else ''}"
        )
    return array


def _check_fits(
    size: tuple[int, int],
    kernel: tuple[int, int],
    padding: tuple[int, int],
    what: str = "kernel",
) -> None:
    """Raise if the window is larger than the padded input in either direction."""
    padded = (size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"the {what} ({kernel[0]}x{kernel[1]}) is larger than the padded input "
            f"({padded[0]}x{padded[1]}: the input is {size[0]}x{size[1]}, padded by "
            f"{padding[0]} rows and {padding[1]} columns on each side)"
        )


def _check_conv_arguments(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    stride: IntOrPair,
    padding: IntOrPair,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int]]:
    """Validate the arguments of a convolution and return them as arrays and pairs."""
    x = _as_4d(x, "x", "(N, C, H, W)")
    w = _as_4d(weight, "weight", "(C_out, C_in, kH, kW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but the weight expects {w.shape[1]} "
            f"(x shape {x.shape}, weight shape (C_out, C_in, kH, kW) = {w.shape})"
        )
    b = None
    if bias is not None:
        b = as_real_array(bias, "bias")
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"bias must have shape (C_out,) = ({w.shape[0]},), "
                f"one value per filter, got shape {b.shape}"
            )
    stride = _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    _check_fits(x.shape[2:], w.shape[2:], padding)
    return x, w, b, stride, padding


def _check_window_arguments(
    x: ArrayLike,
    kernel_size: IntOrPair,
    stride: IntOrPair,
    padding: IntOrPair,
    what: str = "kernel",
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate a batch of images and a window."""
    x = _as_4d(x, "x", "(N, C, H, W)")
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    _check_fits(x.shape[2:], kernel, padding, what)
    return x, kernel, stride, padding


def _pad(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """Surround the last two axes of ``x`` with ``value``."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """All ``kernel``-sized windows of ``x`` at the given stride, without copying.

    ``x`` has shape ``(N, C, H, W)`` (already padded); the result is a
    read-only view of shape ``(N, C, H_out, W_out, kH, kW)`` whose entry
    ``[n, c, i, j]`` is the window whose top-left corner is at
    ``(stride_h * i, stride_w * j)``.
    """
    views = sliding_window_view(x, kernel, axis=(2, 3))
    return views[:, :, :: stride[0], :: stride[1]]


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------


def output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Return the length of a convolution's (or pooling's) output along one axis.

    A window of length ``k`` slides over an input of length ``n`` padded with
    ``padding`` zeros at each end, ``stride`` places at a time. It fits at the
    positions ``0, stride, 2*stride, ...`` up to ``n + 2*padding - k``, so
    there are

    ``floor((n + 2*padding - k) / stride) + 1``

    of them. A stride that does not divide ``n + 2*padding - k`` leaves the
    last few rows or columns unused.

    ``n`` and ``k`` are at least 1, ``stride`` at least 1 and ``padding``
    at least 0. A ValueError says if the kernel is longer than the padded
    input.
    """
    n, k = check_int(n, "n", minimum=1), check_int(k, "k", minimum=1)
    stride, padding = (
        check_int(stride, "stride", minimum=1),
        check_int(padding, "padding", minimum=0),
    )
    if k > n + 2 * padding:
        raise ValueError(
            f"the kernel ({k}) is longer than the padded input "
            f"({n} + 2*{padding} = {n + 2 * padding})"
        )
    return (n + 2 * padding - k) // stride + 1


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------


def conv2d_direct(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """2-D cross-correlation: slide the filters over the image, one position at a time.

    This is the definition in code: for every output position ``(i, j)``,
    cut out the patch of the (padded) input under the window, multiply it
    element by element with each filter and add everything up. It is slow
    (a Python loop over all output positions) and meant for reading; use
    :func:`conv2d` for real work. Both give the same numbers.

    Parameters
    ----------
    x
        Input images, shape ``(N, C_in, H, W)``.
    weight
        Filters, shape ``(C_out, C_in, kH, kW)``.
    bias
        Optional, shape ``(C_out,)``: added to every position of each output
        channel.
    stride
        Step of the window, an int or ``(stride_h, stride_w)``; positive.
    padding
        Zeros added on each side, an int or ``(pad_h, pad_w)``; non-negative.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, C_out, H_out, W_out)`` with ``H_out = output_size(H, kH,
        stride_h, pad_h)`` and likewise ``W_out``.

    Raises
    ------
    ValueError
        On shapes that do not fit together (a kernel larger than the padded
        input, channels or bias that do not match), on NaN or infinite values
        and on a stride < 1 or a padding < 0.
    TypeError
        On non-numeric arrays and non-integer strides or paddings.
    """
    x, w, b, (sh, sw), padding = _check_conv_arguments(x, weight, bias, stride, padding)
    xp = _pad(x, padding)
    kh, kw = w.shape[2:]
    h_out = output_size(x.shape[2], kh, sh, padding[0])
    w_out = output_size(x.shape[3], kw, sw, padding[1])
    out = np.zeros((x.shape[0], w.shape[0], h_out, w_out), dtype=np.result_type(x, w))
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[
                :, :, i * sh : i * sh + kh, j * sw : j * sw + kw
            ]  # (N, C_in, kH, kW)
            # Each filter times the patch, summed over channels, rows and columns.
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def im2col(
    x: ArrayLike, kernel_size: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0
) -> np.ndarray:
    """Cut every window of the input out as one column of a matrix ("image to columns").

    Column ``l`` of image ``n`` holds the ``C * kH * kW`` input values under
    the window at output position ``l`` (counted row by row), ordered by
    channel, then kernel row, then kernel column: the same order as the
    numbers of a filter ``weight[o]`` flattened. A convolution is then the
    matrix product ``weight.reshape(C_out, -1) @ columns``. The result equals
    :func:`torch.nn.functional.unfold`.

    Parameters
    ----------
    x
        Input images, shape ``(N, C, H, W)``.
    kernel_size
        Window size, an int or ``(kH, kW)``.
    stride, padding
        As in :func:`conv2d`.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, C * kH * kW, H_out * W_out)``, a new array: each input
        value appears in as many columns as windows cover it.
    """
    x, kernel, stride, padding = _check_window_arguments(
        x, kernel_size, stride, padding
    )
    windows = _windows(_pad(x, padding), kernel, stride)  # (N, C, H_out, W_out, kH, kW)
    n, c, h_out, w_out, kh, kw = windows.shape
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, h_out * w_out)


def conv2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """2-D cross-correlation as one matrix product (im2col).

    :func:`im2col` cuts every window of the padded input out at once, as a
    strided view of it (no loop), and lays each one out as a column: a
    matrix of shape ``(C_in * kH * kW, H_out * W_out)`` per image. The
    filters, flattened the same way, are the rows of a matrix of shape
    ``(C_out, C_in * kH * kW)``, and the whole layer is the single product
    of the two: one row per filter, one column per output position. The
    price is memory: each input value is copied into up to ``kH * kW``
    columns.

    The arguments, the result and the errors are those of
    :func:`conv2d_direct`, which computes the same numbers slowly.
    """
    x, w, b, stride, padding = _check_conv_arguments(x, weight, bias, stride, padding)
    c_out, _, kh, kw = w.shape
    columns = im2col(x, (kh, kw), stride, padding)  # (N, C_in * kH * kW, H_out * W_out)
    out = w.reshape(c_out, -1) @ columns  # (N, C_out, H_out * W_out)
    if b is not None:
        out = out + b[:, None]
    h_out = output_size(x.shape[2], kh, stride[0], padding[0])
    w_out = output_size(x.shape[3], kw, stride[1], padding[1])
    return out.reshape(x.shape[0], c_out, h_out, w_out)


def correlate2d(
    image: ArrayLike, kernel: ArrayLike, stride: IntOrPair = 1, padding: IntOrPair = 0
) -> np.ndarray:
    """Cross-correlate one 2-D image with one 2-D kernel.

    The single-channel special case of :func:`conv2d`, for worked examples:
    ``correlate2d(image, kernel)[i, j]`` is the sum of ``kernel`` times the
    patch of ``image`` whose top-left corner is at ``(stride*i, stride*j)``.

    Parameters
    ----------
    image
        Shape ``(H, W)``.
    kernel
        Shape ``(kH, kW)``, at most as large as the padded image.
    stride, padding
        As in :func:`conv2d`.

    Returns
    -------
    numpy.ndarray
        Shape ``(H_out, W_out)``, see :func:`output_size`.
    """
    image, kernel = (
        as_real_array(image, "image", nonempty=True),
        as_real_array(kernel, "kernel", nonempty=True),
    )
    for name, array in (("image", image), ("kernel", kernel)):
        if array.ndim != 2:
            raise ValueError(
                f"{name} must have 2 dimensions (height, width), "
                f"got shape {array.shape}; "
                "use conv2d for batches and channels"
            )
    return conv2d(
        image[None, None], kernel[None, None], stride=stride, padding=padding
    )[0, 0]


# ---------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------


def _check_pool_arguments(
    x: ArrayLike, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate the arguments of a pooling.

    As in PyTorch, its windows never lie entirely in the padding. The stride
    defaults to the window's size.
    """
    stride = kernel_size if stride is None else stride
    x, kernel, stride, padding = _check_window_arguments(
        x, kernel_size, stride, padding, "pooling window"
    )
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            "padding must be at most half the kernel size "
            f"({kernel[0] // 2}, {kernel[1] // 2}) "
            f"for kernel_size {kernel_size!r}, got {padding}"
        )
    return x, kernel, stride, padding


def max_pool2d(
    x: ArrayLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Replace each window of each channel by its largest value.

    Pooling shrinks the feature maps (a 2×2 window with stride 2 halves
    height and width) and makes the result less sensitive to exactly where
    in the window a feature was found. Each channel is pooled on its own.

    Parameters
    ----------
    x
        Shape ``(N, C, H, W)``.
    kernel_size
        Window size, an int or ``(kH, kW)``.
    stride
        Step of the window; default: the window size, so that windows do not
        overlap.
    padding
        Rows and columns of ``-inf`` added on each side (they never win the
        maximum); at most half the window size.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, C, H_out, W_out)``, see :func:`output_size`.
    """
    x, kernel, stride, padding = _check_pool_arguments(x, kernel_size, stride, padding)
    return _windows(_pad(x, padding, -np.inf), kernel, stride).max(axis=(4, 5))


def avg_pool2d(
    x: ArrayLike,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Replace each window of each channel by its mean.

    The arguments and the result are those of :func:`max_pool2d`, except
    that the padding is zeros. As in PyTorch's default
    (``count_include_pad=True``) the zeros count in the mean: every window
    is divided by ``kH * kW``.
    """
    x, kernel, stride, padding = _check_pool_arguments(x, kernel_size, stride, padding)
    return _windows(_pad(x, padding), kernel, stride).mean(axis=(4, 5))
