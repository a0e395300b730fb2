"""nnbook.history: the record of a training run and the divergence test both trainers use."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook.history import DIVERGENCE_FACTOR, History, has_diverged


@pytest.mark.parametrize(
    ("losses", "diverged"),
    [
        ([2.3], False),
        ([2.3, 1.1, 0.4], False),
        ([2.3, 1.1, DIVERGENCE_FACTOR * 2.3], False),  # at the limit, not beyond it
        ([2.3, 1.1, DIVERGENCE_FACTOR * 2.3 * 1.01], True),
        ([2.3, math.inf], True),
        ([2.3, math.nan], True),
        ([math.nan], True),  # a first epoch that already gave NaN
        ([math.nan, 0.5], True),
        (np.array([1.0, 0.5], dtype=np.float32), False),
        ((1.0, 0.5), False),
    ],
)
def test_has_diverged(losses, diverged) -> None:
    assert has_diverged(losses) is diverged


@pytest.mark.parametrize(
    ("losses", "error", "match"),
    [
        ([], ValueError, r"losses must hold at least one value, got shape \(0,\)"),
        (
            np.ones((2, 1)),
            ValueError,
            r"losses must have 1 dimension\(s\), got shape \(2, 1\)",
        ),
        (None, TypeError, "losses must hold real numbers, got dtype object"),
        ("abc", TypeError, "losses must hold real numbers, got dtype <U3"),
        (
            np.ones(2) + 1j,
            TypeError,
            "losses must hold real numbers, got dtype complex128",
        ),
    ],
)
def test_has_diverged_refuses_what_is_not_a_list_of_losses(
    losses, error, match
) -> None:
    with pytest.raises(error, match=match):
        has_diverged(losses)


def test_history_is_a_plain_record() -> None:
    history = History([1.0, 0.5], [0.4, 0.6])
    assert history.epochs == 2
    assert history.as_dict() == {
        "train_loss": [1.0, 0.5],
        "train_accuracy": [0.4, 0.6],
        "val_loss": [],
        "val_accuracy": [],
        "best_epoch": None,
        "stopped_early": False,
        "diverged": False,
    }
