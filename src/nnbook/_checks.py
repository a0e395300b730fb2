"""Checks of arguments at nnbook's public boundary, shared by every module.

Each function takes a value and the name of the parameter it came from, and
either returns the value in the form the caller computes with (an int, a
float, an array) or raises a ``TypeError`` (wrong kind of value) or a
``ValueError`` (right kind, wrong value) whose message names the parameter
and says what was expected::

    eta = check_positive(eta, "eta")  # "eta must be a positive finite number, got -1.0"
    X = as_real_array(X, "X", ndim=2)  # "X must have 2 dimension(s), got shape (3,)"

The checks live here, in one layer, so that the modules keep only the checks
that belong to their own idea and their algorithms stay readable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Sequence, Sized
from typing import Any, Union

import numpy as np

from nnbook._optional import needs

#: What ``seed`` arguments accept: an int, or a generator to draw from.
Seed = Union[int, np.random.Generator]

#: The largest step or epoch count accepted: a bigger one is a slip (it would
#: run for days, and a recorded trajectory would not fit in memory).
MAX_COUNT = 10_000_000

_REAL_KINDS = "biuf"  # NumPy dtype kinds of real numbers: bool, int, uint, float


def _type_name(value: object) -> str:
    return type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def as_generator(seed: Seed, name: str = "seed") -> np.random.Generator:
    """Return a random generator for ``seed``: an int >= 0, or a Generator as is."""
    if isinstance(seed, np.random.Generator):
        return seed
    if not _is_int(seed):
        raise TypeError(
            f"{name} must be an int or a numpy.random.Generator, got {_type_name(seed)}"
        )
    return np.random.default_rng(check_int(seed, name, minimum=0))


def torch_generator(seed: Any, name: str = "seed") -> Any:
    """Return a ``torch.Generator`` for ``seed``: an int >= 0, or a Generator as is.

    PyTorch is imported only here, when a caller that draws with torch asks.
    """
    with needs("nnbook._checks.torch_generator"):
        import torch

    if isinstance(seed, torch.Generator):
        return seed
    if not _is_int(seed):
        raise TypeError(
            f"{name} must be an int or a torch.Generator, got {_type_name(seed)}"
        )
    return torch.Generator().manual_seed(check_int(seed, name, minimum=0))


def check_int(
    value: object, name: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int; raise unless an integer in ``[minimum, maximum]``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {_type_name(value)}")
    value = int(value)  # type: ignore[call-overload]
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def check_count(value: object, name: str, minimum: int = 0) -> int:
    """Return a step or epoch count as an int in ``[minimum, MAX_COUNT]``, or raise."""
    return check_int(value, name, minimum=minimum, maximum=MAX_COUNT)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` as a bool, or raise a TypeError unless it is True or False.

    A string such as ``"no"`` would otherwise count as true.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_type_name(value)}")
    return bool(value)


def check_real(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise a TypeError if it is not a real number.

    A NumPy array of one element (``np.float64(2.0)``, ``np.array(2.0)``) counts
    as a number; NaN and infinities pass (see :func:`check_finite`).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a real number, got {_type_name(value)}")
    return float(value)


def check_finite(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number."""
    value = check_real(value, name)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    value = check_real(value, name)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number >= 0."""
    value = check_real(value, name)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_interval(
    value: object, name: str, low: float, high: float, *, high_open: bool = False
) -> float:
    """Return ``value`` as a float in ``[low, high]`` (or ``[low, high)``), or raise.

    Use it for probabilities (``[0, 1]``) and for coefficients such as a
    momentum, which must stay below 1 (``high_open=True``).
    """
    value = check_real(value, name)
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low:g}, {high:g}{bracket}, got {value}")
    return value


def check_choice(value: object, name: str, choices: Collection[str]) -> str:
    """Return ``value``, or raise if it is not one of the names in ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
    return value


def check_text(value: object, name: str, allow_none: bool = False) -> str | None:
    """Return ``value``, or raise unless it is a str with some non-blank text.

    ``None`` passes where ``allow_none`` is true (an optional title or unit).
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {_type_name(value)}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty, got {value!r}")
    return value


def check_float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy dtype; a TypeError unless float32 or float64."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.type not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be float32 or float64, "
            f"got {repr(dtype) if result is None else result}"
        )
    return result


def check_sizes(sizes: Any, name: str = "sizes", minimum: int = 1) -> list[int]:
    """Return layer sizes as a list of at least ``minimum`` positive ints, or raise."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"{name} must be a sequence of layer sizes such as (2, 3, 1), "
            f"got {_type_name(sizes)}"
        )
    if len(sizes) < minimum:
        raise ValueError(
            f"{name} must list at least {minimum} layer sizes, got {list(sizes)!r}"
        )
    if not all(_is_int(size) and size >= 1 for size in sizes):
        raise ValueError(
            f"every layer size must be a positive integer, got {name}={list(sizes)!r}"
        )
    return [int(size) for size in sizes]


def check_callable(value: object, name: str, allow_none: bool = False) -> None:
    """Raise a TypeError unless ``value`` can be called (or is None, where allowed)."""
    if value is None and allow_none:
        return
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {_type_name(value)}")


def check_same_length(a: Sized, b: Sized, name_a: str, name_b: str) -> None:
    """Raise if ``a`` and ``b`` do not hold the same number of items."""
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, "
            f"got {len(a)} and {len(b)}"
        )


def to_numpy(value: Any) -> np.ndarray:
    """Return ``value`` as a NumPy array; a tensor is detached and copied to the CPU."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        return value.detach().cpu().numpy()
    return np.asarray(value)


def as_real_array(
    value: Any,
    name: str,
    *,
    dtype: Any = None,
    ndim: int | tuple[int, ...] | None = None,
    finite: bool = True,
    nonempty: bool = False,
) -> np.ndarray:
    """Return ``value`` as an array of real numbers, or raise.

    Parameters
    ----------
    value
        Anything ``np.asarray`` accepts, or a PyTorch tensor (detached and
        copied to the CPU; torch is never imported here).
    name
        The parameter's name, for the error message.
    dtype
        The dtype of the result. ``None`` keeps a float array's own precision
        (float32 stays float32) and turns bools and ints into float64.
    ndim
        The number of dimensions required, or a tuple of the allowed ones.
    finite
        Whether NaN and infinities are refused.
    nonempty
        Whether an array without elements is refused.
    """
    if isinstance(value, np.ndarray) and (
        value.dtype == dtype or (dtype is None and value.dtype.kind == "f")
    ):
        array = (
            value  # already right: the common case inside training loops, kept cheap
        )
    else:
        array = to_numpy(value)
        if array.dtype.kind not in _REAL_KINDS:
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
        if dtype is None:
            dtype = array.dtype if array.dtype.kind == "f" else np.float64
        array = array.astype(dtype, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            wanted = " or ".join(map(str, allowed))
            raise ValueError(
                f"{name} must have {wanted} dimension(s), got shape {array.shape}"
            )
    if nonempty and array.size == 0:
        raise ValueError(
            f"{name} must hold at least one value, got shape {array.shape}"
        )
    if finite and not np.isfinite(array).all():
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return array


def check_path(value: object, name: str = "path") -> str | os.PathLike[str]:
    """Return ``value``; raise unless it is a non-empty str or an ``os.PathLike``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a file path (a str or a pathlib.Path), "
            f"got {_type_name(value)}"
        )
    if value == "":
        raise ValueError(f"{name} must be a file path, got an empty string")
    return value
