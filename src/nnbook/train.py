"""The PyTorch training loop the book's chapters share: fit, evaluate, predict.

One epoch of :func:`fit` is the lecture's recipe in code: shuffle the
training set, cut it into mini-batches, and for each batch compute the loss,
back-propagate and take one optimiser step; then measure the loss and the
accuracy on the validation set.
"""

from __future__ import annotations

import math
import os
import random
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = [
    "History",
    "default_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "predict",
    "save_checkpoint",
    "set_seed",
]

#: What the functions accept as data: a dataset of ``(x, y)`` pairs, a
#: ``(X, y)`` pair of tensors, or a ready DataLoader.
Data = Union[Dataset, tuple[torch.Tensor, torch.Tensor], DataLoader]


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """Return the CUDA device when one is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class History:
    """Loss and accuracy per epoch, on the training and the validation set.

    The training figures are averages over each epoch's mini-batches, taken
    while the weights were changing; the validation figures are measured
    after the epoch. Accuracies are fractions in [0, 1] (``nan`` when the
    targets are not class labels); the validation lists are empty when
    :func:`fit` had no validation set.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    #: The epoch (counted from 1) with the lowest validation loss, if any.
    best_epoch: int | None = None
    #: True if early stopping ended training before the last epoch.
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_loader(data: Data, batch_size: int, shuffle: bool, seed: int, name: str) -> DataLoader:
    """Wrap ``data`` in a DataLoader, checking what it is first."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple):
        if len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
            raise TypeError(f"{name} as a tuple must be (X, y), two tensors")
        X, y = data
        if len(X) != len(y):
            raise ValueError(f"{name}: X has {len(X)} examples but y has {len(y)}")
        data = TensorDataset(X, y)
    if not isinstance(data, Dataset):
        raise TypeError(f"{name} must be a Dataset, an (X, y) pair of tensors or a DataLoader, got {type(data).__name__}")
    if len(data) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} is empty")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _is_classification(output: torch.Tensor, y: torch.Tensor) -> bool:
    return output.ndim == 2 and output.shape[1] > 1 and y.ndim == 1 and not y.is_floating_point()


def _check_lengths(output: torch.Tensor, y: torch.Tensor, name: str) -> None:
    """Fail clearly when the model does not give one output per label."""
    if len(output) != len(y):
        raise ValueError(f"{name}: the model gave {len(output)} outputs for a batch of {len(y)} labels")


def _check_labels(output: torch.Tensor, labels: torch.Tensor, name: str) -> None:
    """Fail early, and clearly, on class labels the loss would choke on.

    ``labels`` may be the labels of one batch or all the labels of a data set;
    ``output`` is a batch of the model's outputs, which says how many classes
    there are.
    """
    if _is_classification(output, labels):
        low, high = (int(v) for v in torch.aminmax(labels))
        if low < 0 or high >= output.shape[1]:
            raise ValueError(
                f"{name}: labels must be class indices 0 to {output.shape[1] - 1} "
                f"(the model has {output.shape[1]} outputs), got labels from {low} to {high}"
            )


def _check_batch(output: torch.Tensor, y: torch.Tensor, name: str) -> None:
    """Fail early, and clearly, on a batch whose labels the loss would choke on."""
    _check_lengths(output, y, name)
    _check_labels(output, y, name)


def _all_labels(data: Data) -> torch.Tensor | None:
    """All the labels of ``data`` when they are at hand as one tensor, else None.

    That is the case for an ``(X, y)`` pair of tensors and for a
    :class:`~torch.utils.data.TensorDataset` of two tensors; a DataLoader
    may sample only part of its dataset, so its labels are not taken.
    """
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], torch.Tensor):
        return data[1]
    if isinstance(data, TensorDataset) and len(data.tensors) == 2:
        return data.tensors[1]
    return None


def _forward(model: nn.Module, x: torch.Tensor, name: str) -> torch.Tensor:
    try:
        return model(x)
    except RuntimeError as error:
        raise ValueError(
            f"{name}: the model cannot process a batch of shape {tuple(x.shape)} "
            f"({str(error).splitlines()[0]})"
        ) from error


def _progress(iterable: Any, enabled: bool | None, total: int, desc: str) -> Any:
    """Wrap ``iterable`` in a tqdm progress bar when asked (or when interactive)."""
    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def fit(
    model: nn.Module,
    train: Data,
    val: Data | None = None,
    *,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 0.1,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool | None = None,
    early_stopping: int | None = None,
    restore_best: bool = False,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its history.

    Parameters
    ----------
    model
        Any PyTorch module; it is moved to ``device`` and trained in place.
    train, val
        Training and (optional) validation data: datasets of ``(x, y)`` pairs,
        ``(X, y)`` tensor pairs, or DataLoaders.
    loss
        The cost, called as ``loss(output, y)`` and averaged over the batch.
        Default: :class:`torch.nn.CrossEntropyLoss` (the model outputs logits).
    optimizer
        Default: :class:`torch.optim.SGD` with ``lr``, ``momentum`` and
        ``weight_decay``; those three are ignored when you pass your own.
    epochs, batch_size
        Passes over the training set, and examples per gradient step.
    seed
        Seeds the shuffling of the training set and PyTorch's global
        generator (dropout), so two runs from the same initial weights end
        with the same weights.
    device
        Default: :func:`default_device`.
    progress
        Show a progress bar over epochs; default: only in an interactive
        terminal.
    early_stopping
        Stop after this many epochs without a lower validation loss.
    restore_best
        At the end, load the weights of the epoch with the lowest validation
        loss.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        If the model cannot process a batch, gives a number of outputs other
        than the number of labels, or a class label is not the index of one of
        its outputs. Labels held in one tensor (an ``(X, y)`` pair or a
        ``TensorDataset``) are all checked before the first step; labels from
        other data, batch by batch.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if (early_stopping is not None or restore_best) and val is None:
        raise ValueError("early_stopping and restore_best need a validation set (val)")
    if early_stopping is not None and (not isinstance(early_stopping, int) or early_stopping < 1):
        raise ValueError(f"early_stopping must be a positive number of epochs, got {early_stopping!r}")
    device = torch.device(device) if device is not None else default_device()
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    torch.manual_seed(seed)
    train_loader = _as_loader(train, batch_size, shuffle=True, seed=seed, name="train")
    model.to(device)
    if optimizer is None:
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)

    # Labels held in one tensor are checked all at once, with the first batch
    # (whose output tells how many classes the model has); labels from any
    # other dataset are checked batch by batch. The check of every batch costs
    # a few per cent of a small model's training time, the single check nothing.
    all_labels = _all_labels(train)
    labels_checked = False

    history = History()
    best_loss, best_state, since_best = math.inf, None, 0
    for epoch in _progress(range(1, epochs + 1), progress, epochs, "epochs"):
        model.train()
        total_loss, correct, seen = 0.0, 0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            output = _forward(model, x, "train")
            _check_lengths(output, y, "train")
            if not labels_checked:
                _check_labels(output, y if all_labels is None else all_labels, "train")
                labels_checked = all_labels is not None
            batch_loss = loss(output, y)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            total_loss += batch_loss.item() * len(y)
            seen += len(y)
            if _is_classification(output, y):
                # eq_ compares in place, in the fresh tensor of predicted classes.
                correct += output.argmax(1).eq_(y).sum().item()
            else:
                correct = math.nan
        history.train_loss.append(total_loss / seen)
        history.train_accuracy.append(correct / seen)
        if val is None:
            continue
        scores = evaluate(model, val, loss=loss, batch_size=max(batch_size, 1000), device=device)
        history.val_loss.append(scores["loss"])
        history.val_accuracy.append(scores["accuracy"])
        if scores["loss"] < best_loss:
            best_loss, since_best, history.best_epoch = scores["loss"], 0, epoch
            if restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
            if early_stopping is not None and since_best >= early_stopping:
                history.stopped_early = epoch < epochs
                break
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Return the mean loss and the accuracy of ``model`` on ``data``.

    The model is put in evaluation mode (no dropout). The loss is averaged
    over examples, whatever the batch size; the accuracy is the fraction of
    examples whose largest output is at the true class (``nan`` for targets
    that are not class labels).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    loader = _as_loader(data, batch_size, shuffle=False, seed=0, name="data")
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        output = _forward(model, x, "data")
        _check_batch(output, y, "data")
        total_loss += loss(output, y).item() * len(y)
        seen += len(y)
        correct = correct + (output.argmax(1) == y).sum().item() if _is_classification(output, y) else math.nan
    return {"loss": total_loss / seen, "accuracy": correct / seen}


@torch.no_grad()
def predict(
    model: nn.Module,
    data: Data | torch.Tensor,
    *,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Return the model's outputs (for classifiers: logits) on the CPU.

    ``data`` may also be a tensor of inputs alone.
    """
    if isinstance(data, torch.Tensor):
        data = (data, torch.zeros(len(data)))
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loader = _as_loader(data, batch_size, shuffle=False, seed=0, name="data")
    model.eval()
    return torch.cat([_forward(model, x.to(device), "data").cpu() for x, _ in loader])


def save_checkpoint(model: nn.Module, path: str | os.PathLike[str], **metadata: Any) -> None:
    """Save the model's weights and plain metadata (numbers, strings, lists).

    The file holds only tensors and plain Python values, so that
    :func:`load_checkpoint` can read it with ``torch.load(weights_only=True)``,
    which never runs code from the file.
    """
    torch.save({"state_dict": model.state_dict(), "metadata": metadata}, path)


def load_checkpoint(model: nn.Module, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return the metadata."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(f"{path} is not a checkpoint written by nnbook.train.save_checkpoint")
    model.load_state_dict(checkpoint["state_dict"])
    return checkpoint["metadata"]
