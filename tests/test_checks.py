"""nnbook._checks: the one validation layer. Each check returns the value it
accepts in the form callers compute with, and names the parameter when it
refuses one."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nnbook import _checks as C


def test_as_generator_accepts_seeds_and_generators() -> None:
    rng = np.random.default_rng(3)
    assert C.as_generator(rng) is rng
    assert C.as_generator(np.int64(5)).integers(1000) == np.random.default_rng(
        5
    ).integers(1000)
    with pytest.raises(ValueError, match="seed must be an integer >= 0, got -1"):
        C.as_generator(-1)
    with pytest.raises(
        TypeError, match="seed must be an int or a numpy.random.Generator, got float"
    ):
        C.as_generator(1.0)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match="shuffle_seed must be an int or a numpy.random.Generator, got NoneType",
    ):
        C.as_generator(None, "shuffle_seed")  # type: ignore[arg-type]


def test_check_int_bounds_and_types() -> None:
    assert (
        C.check_int(np.int32(7), "k", minimum=0, maximum=7) == 7
        and type(C.check_int(np.int32(7), "k")) is int
    )
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        C.check_int(0, "k", minimum=1)
    with pytest.raises(ValueError, match="k must be an integer <= 3, got 4"):
        C.check_int(4, "k", maximum=3)
    for bad in (True, 2.0, "2", None):
        with pytest.raises(TypeError, match="k must be an integer, got"):
            C.check_int(bad, "k")


def test_real_number_checks() -> None:
    assert (
        C.check_real(np.float32(0.5), "x") == 0.5
        and C.check_real(np.array(2), "x") == 2.0
    )
    assert math.isnan(C.check_real(float("nan"), "x"))  # a type check only
    with pytest.raises(TypeError, match="x must be a real number, got bool"):
        C.check_real(True, "x")
    with pytest.raises(TypeError, match="x must be a real number, got complex"):
        C.check_real(1j, "x")
    assert C.check_finite(-3, "x") == -3.0
    with pytest.raises(ValueError, match="x must be a finite number, got inf"):
        C.check_finite(float("inf"), "x")
    assert C.check_positive(1e-300, "eta") == 1e-300
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(
            ValueError, match="eta must be a positive finite number, got"
        ):
            C.check_positive(bad, "eta")
    assert C.check_nonnegative(0, "lmbda") == 0.0
    for bad in (-1e-12, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="lmbda must be a finite number >= 0, got"):
            C.check_nonnegative(bad, "lmbda")


def test_check_interval_closed_and_half_open() -> None:
    assert C.check_interval(1.0, "p", 0, 1) == 1.0
    assert C.check_interval(0.0, "gamma", 0, 1, high_open=True) == 0.0
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\), got 1.0"):
        C.check_interval(1.0, "gamma", 0, 1, high_open=True)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got nan"):
        C.check_interval(float("nan"), "p", 0, 1)


def test_choices_callables_lengths_sizes_and_dtypes() -> None:
    assert C.check_choice("l2", "penalty", ("l1", "l2")) == "l2"
    with pytest.raises(ValueError, match="penalty must be one of 'l1', 'l2', got 'L2'"):
        C.check_choice("L2", "penalty", ("l1", "l2"))
    C.check_callable(len, "f")
    C.check_callable(None, "loss", allow_none=True)
    with pytest.raises(TypeError, match="f must be a function, got int"):
        C.check_callable(3, "f")
    C.check_same_length([1, 2], (3, 4), "x", "y")
    with pytest.raises(
        ValueError, match="x and y must have the same length, got 2 and 3"
    ):
        C.check_same_length([1, 2], [1, 2, 3], "x", "y")
    assert C.check_sizes(np.array([3, 2]), minimum=2) == [3, 2]
    with pytest.raises(
        ValueError,
        match=r"every layer size must be a positive integer, got sizes=\[3, 0\]",
    ):
        C.check_sizes([3, 0])
    with pytest.raises(
        TypeError, match="sizes must be a sequence of layer sizes such as"
    ):
        C.check_sizes("32")
    assert C.check_float_dtype("float32") == np.float32
    with pytest.raises(
        TypeError, match="dtype must be float32 or float64, got float16"
    ):
        C.check_float_dtype(np.float16)
    with pytest.raises(
        TypeError, match="dtype must be float32 or float64, got 'double precision'"
    ):
        C.check_float_dtype("double precision")


def test_as_real_array_converts_checks_and_keeps_precision() -> None:
    float32 = np.ones((2, 3), dtype=np.float32)
    assert C.as_real_array(float32, "X") is float32  # nothing to convert: no copy
    assert C.as_real_array([[1, 2]], "X").dtype == np.float64
    assert C.as_real_array([True], "X").dtype == np.float64
    assert C.as_real_array(float32, "X", dtype=np.float64).dtype == np.float64
    tensor = torch.arange(3.0, requires_grad=True)
    np.testing.assert_array_equal(C.as_real_array(tensor, "X"), [0.0, 1.0, 2.0])
    assert np.isnan(C.as_real_array([np.nan], "z", finite=False)[0])
    with pytest.raises(ValueError, match="X must not contain NaN or infinite values"):
        C.as_real_array([1.0, np.inf], "X")
    with pytest.raises(
        ValueError, match=r"X must have 2 dimension\(s\), got shape \(3,\)"
    ):
        C.as_real_array([1, 2, 3], "X", ndim=2)
    with pytest.raises(
        ValueError, match=r"X must have 1 or 2 dimension\(s\), got shape \(\)"
    ):
        C.as_real_array(1.0, "X", ndim=(1, 2))
    with pytest.raises(
        ValueError, match=r"X must hold at least one value, got shape \(0,\)"
    ):
        C.as_real_array([], "X", nonempty=True)
    with pytest.raises(TypeError, match="X must hold real numbers, got dtype <U1"):
        C.as_real_array(["a"], "X")
    with pytest.raises(
        TypeError, match="X must hold real numbers, got dtype complex128"
    ):
        C.as_real_array([1j], "X")
    assert (
        C.to_numpy(tensor).dtype == np.float32 and C.to_numpy([1, 2]).dtype.kind == "i"
    )


def test_check_path_accepts_str_and_pathlike(tmp_path) -> None:
    assert C.check_path("model.pt") == "model.pt"
    assert C.check_path(tmp_path, "folder") == tmp_path
    with pytest.raises(
        TypeError,
        match=r"path must be a file path \(a str or a pathlib.Path\), got NoneType",
    ):
        C.check_path(None)
    with pytest.raises(TypeError, match="out must be a file path .* got int"):
        C.check_path(3, "out")
    with pytest.raises(
        ValueError, match="path must be a file path, got an empty string"
    ):
        C.check_path("")


def test_check_text_wants_some_text() -> None:
    assert C.check_text("Check yourself", "title") == "Check yourself"
    assert C.check_text(None, "unit", allow_none=True) is None
    with pytest.raises(TypeError, match="title must be a str, got NoneType"):
        C.check_text(None, "title")
    with pytest.raises(TypeError, match="unit must be a str, got int"):
        C.check_text(3, "unit", allow_none=True)
    with pytest.raises(ValueError, match="question must not be empty, got ' '"):
        C.check_text(" ", "question")
