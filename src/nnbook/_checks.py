"""Checks of arguments at nnbook's public boundary, shared by its modules.

Each turns a wrong argument into a ``TypeError`` or ``ValueError`` whose
message names the argument and says what was expected.
"""

from __future__ import annotations

from typing import Union

import numpy as np

#: What ``seed`` arguments accept: an int, or a generator to draw from.
Seed = Union[int, np.random.Generator]


def as_generator(seed: Seed) -> np.random.Generator:
    """Return a random generator for ``seed`` (an int or a Generator)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def check_int(value: object, name: str, minimum: int) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_real(value: object, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)
