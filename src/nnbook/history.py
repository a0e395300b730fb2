"""The record of a training run: loss and accuracy after each epoch.

Both ways the book trains a network return a :class:`History`: the NumPy
network's :meth:`nnbook.network.Network.train_sgd` and PyTorch's
:func:`nnbook.train.fit`. :func:`nnbook.plot.learning_curves` draws one.
This module imports neither PyTorch nor the network, so that either can use
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nnbook._checks import as_real_array

__all__ = ["DIVERGENCE_FACTOR", "History", "has_diverged"]

#: Training has diverged when the loss exceeds this many times the first recorded loss.
DIVERGENCE_FACTOR = 100.0


@dataclass
class History:
    """Loss and accuracy per epoch, on the training and the validation set.

    Accuracies are fractions in [0, 1], ``nan`` when the targets are not class
    labels. The validation lists are empty when training had no validation
    set. How the training figures are measured depends on the trainer: the
    NumPy network measures them on the whole training set after each epoch,
    :func:`nnbook.train.fit` averages them over the epoch's mini-batches.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    #: The epoch (counted from 1) with the lowest validation loss, if one was tracked.
    best_epoch: int | None = None
    #: True if early stopping ended training before the last epoch.
    stopped_early: bool = False
    #: True if training stopped because the losses diverged (:func:`has_diverged`)
    #: or a parameter stopped being finite.
    diverged: bool = False

    @property
    def epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self.train_loss)

    def as_dict(self) -> dict[str, Any]:
        """The history as a dictionary of lists and flags."""
        return asdict(self)


def has_diverged(losses: Sequence[float] | np.ndarray) -> bool:
    """Whether a run with losses ``losses`` (one per epoch, at least one) has diverged.

    It has when a loss is NaN or infinite, or when the latest one exceeds
    :data:`DIVERGENCE_FACTOR` times the first. Trainers call this once per
    epoch, so it costs nothing per step.
    """
    losses = as_real_array(
        losses, "losses", dtype=np.float64, ndim=1, finite=False, nonempty=True
    )
    return bool(
        not np.isfinite(losses).all() or losses[-1] > DIVERGENCE_FACTOR * abs(losses[0])
    )
