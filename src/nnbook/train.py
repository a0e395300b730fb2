"""The PyTorch training loop the book's chapters share: fit, evaluate, predict.

One epoch of :func:`fit` is the book's training recipe in code: shuffle the
training set, cut it into mini-batches, and for each batch compute the loss,
back-propagate and take one optimiser step; then measure the loss and the
accuracy on the validation set. The run is recorded in a
:class:`nnbook.history.History`, the record the NumPy network keeps too.
"""

from __future__ import annotations

import functools
import math
import os
import random
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Union

import numpy as np

from nnbook._checks import (
    check_bool,
    check_callable,
    check_count,
    check_int,
    check_interval,
    check_nonnegative,
    check_positive,
    check_same_length,
    torch_generator,
)
from nnbook._optional import needs
from nnbook.history import History, has_diverged
from nnbook.optim import DivergenceWarning

with needs("nnbook.train"):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, Dataset, TensorDataset

__all__ = [
    "default_device",
    "evaluate",
    "fit",
    "outputs",
    "predict",
    "set_seed",
]

#: What the functions accept as data: a dataset of ``(x, y)`` pairs, a
#: ``(X, y)`` pair of tensors, or a ready DataLoader.
Data = Union[Dataset, tuple[torch.Tensor, torch.Tensor], DataLoader]

#: A cost as PyTorch computes it: ``loss(output, y)``, averaged over the batch.
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def default_device() -> torch.device:
    """Return the CUDA device when one is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _device(device: Any, default: torch.device) -> torch.device:
    """``device`` (a name such as ``"cpu"``, or a torch.device) as a torch.device.

    ``default`` if ``device`` is None.
    """
    if device is None:
        return default
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            "device must be a str such as 'cpu' or a torch.device, "
            f"got {type(device).__name__}"
        )
    try:
        torch.empty(
            0, device=device
        )  # fails for an unknown name, or a device this machine lacks
    except (RuntimeError, AssertionError, NotImplementedError) as error:
        raise ValueError(
            "device must be a device PyTorch can use here, such as 'cpu', "
            f"got {device!r} ({str(error).splitlines()[0]})"
        ) from None
    return torch.device(device)


def _as_loader(
    data: Data, batch_size: int, name: str, generator: torch.Generator | None = None
) -> DataLoader:
    """Wrap ``data`` in a DataLoader (shuffled by ``generator``, if given).

    What ``data`` is gets checked first.
    """
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple):
        if len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
            raise TypeError(f"{name} as a tuple must be (X, y), two tensors")
        check_same_length(data[0], data[1], f"{name}'s X", f"{name}'s y")
        data = TensorDataset(*data)
    if not isinstance(data, Dataset):
        raise TypeError(
            f"{name} must be a Dataset, an (X, y) pair of tensors or a DataLoader, "
            f"got {type(data).__name__}"
        )
    if len(data) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} is empty")
    return DataLoader(
        data, batch_size=batch_size, shuffle=generator is not None, generator=generator
    )


def _is_classification(output: torch.Tensor, y: torch.Tensor) -> bool:
    return (
        output.ndim == 2
        and output.shape[1] > 1
        and y.ndim == 1
        and not y.is_floating_point()
    )


def _check_lengths(output: torch.Tensor, y: torch.Tensor, name: str) -> None:
    """Fail clearly when the model does not give one output per label."""
    if len(output) != len(y):
        raise ValueError(
            f"{name}: the model gave {len(output)} outputs "
            f"for a batch of {len(y)} labels"
        )


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
                f"(the model has {output.shape[1]} outputs), "
                f"got labels from {low} to {high}"
            )


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
    with needs("nnbook.train.fit(progress=True)"):
        from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def _own_random_state(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``function`` on a fork of PyTorch's random state.

    The caller's global generator is left as it was, whatever the function
    seeds or draws, so two trainings do not disturb each other's randomness.
    """

    @functools.wraps(function)
    def on_a_fork(*args: Any, **kwargs: Any) -> Any:
        with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
            return function(*args, **kwargs)

    return on_a_fork


@_own_random_state
def fit(
    model: nn.Module,
    train: Data,
    val: Data | None = None,
    *,
    loss: Loss | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    eta: float = 0.1,
    gamma: float = 0.0,
    weight_decay: float = 0.0,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int | torch.Generator = 0,
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
        Default: :class:`torch.optim.SGD` with the learning rate ``eta``, the
        momentum coefficient ``gamma`` and ``weight_decay`` (PyTorch's
        ``lr``, ``momentum`` and ``weight_decay``); those three are ignored
        when you pass your own optimizer.
    epochs, batch_size
        Passes over the training set (at most 10,000,000), and examples per
        gradient step.
    seed
        An int >= 0, or a ``torch.Generator`` to draw from: it shuffles the
        training set and seeds PyTorch's global generator (dropout), so two
        runs from the same initial weights end with the same weights. The
        caller's global generator is left as it was.
    device
        A name such as ``"cpu"`` or a ``torch.device``; default:
        :func:`default_device`.
    progress
        True or False: show a progress bar over epochs; None (default):
        only in an interactive terminal.
    early_stopping
        Stop after this many epochs without a lower validation loss.
    restore_best
        At the end, load the weights of the epoch with the lowest validation
        loss.

    Returns
    -------
    nnbook.history.History
        The training figures are averages over each epoch's mini-batches,
        taken while the weights were changing; the validation figures are
        measured after the epoch.

    Warns
    -----
    nnbook.optim.DivergenceWarning
        If an epoch's training loss is not finite or exceeds 100 times the
        loss of the first mini-batch before any step: training stops there and
        ``history.diverged`` is True.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or value (``eta`` not positive,
        ``gamma`` outside [0, 1), ``epochs`` too large, ...).
    ValueError
        If the model cannot process a batch, gives a number of outputs other
        than the number of labels, or a class label is not the index of one of
        its outputs. Labels held in one tensor (an ``(X, y)`` pair or a
        ``TensorDataset``) are all checked before the first step; labels from
        other data, batch by batch.
    """
    _check_model(model)
    check_callable(loss, "loss", allow_none=True)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    eta, gamma = (
        check_positive(eta, "eta"),
        check_interval(gamma, "gamma", 0, 1, high_open=True),
    )
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    epochs, batch_size = (
        check_count(epochs, "epochs", minimum=1),
        check_int(batch_size, "batch_size", minimum=1),
    )
    generator = torch_generator(seed, "seed")
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping", minimum=1)
    restore_best = check_bool(restore_best, "restore_best")
    progress = None if progress is None else check_bool(progress, "progress")
    if (early_stopping is not None or restore_best) and val is None:
        raise ValueError("early_stopping and restore_best need a validation set (val)")
    device = _device(device, default_device())
    train_loader = _as_loader(train, batch_size, "train", generator)
    val_loader = None if val is None else _as_loader(val, max(batch_size, 1000), "val")
    torch.manual_seed(
        generator.initial_seed()
    )  # the forked global generator: see _own_random_state
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.SGD(
            model.parameters(), lr=eta, momentum=gamma, weight_decay=weight_decay
        )

    # Labels held in one tensor are checked all at once, with the first batch
    # (whose output tells how many classes the model has); labels from any
    # other dataset are checked batch by batch. The check of every batch costs
    # a few per cent of a small model's training time, the single check nothing.
    all_labels = _all_labels(train)
    labels_checked = False

    history = History()
    best_loss, best_state, since_best, start = math.inf, None, 0, None
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
            start = (
                batch_loss.item() if start is None else start
            )  # before any step: what "exploded" means
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
        if has_diverged([start, *history.train_loss]):
            history.diverged = True
            warnings.warn(
                f"training diverged in epoch {epoch}: "
                f"the training loss is {history.train_loss[-1]:.3g} "
                f"(before training: {start:.3g}); training was stopped, try a smaller "
                "learning rate",
                DivergenceWarning,
                stacklevel=3,
            )
            break
        if val_loader is None:
            continue
        scores = evaluate(model, val_loader, loss=loss, device=device)
        history.val_loss.append(scores["loss"])
        history.val_accuracy.append(scores["accuracy"])
        if scores["loss"] < best_loss:
            best_loss, since_best, history.best_epoch = scores["loss"], 0, epoch
            if restore_best:
                best_state = {
                    k: v.detach().clone() for k, v in model.state_dict().items()
                }
        else:
            since_best += 1
            if early_stopping is not None and since_best >= early_stopping:
                history.stopped_early = epoch < epochs
                break
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history


def _evaluation_batches(
    model: nn.Module, data: Data, batch_size: int, device: torch.device | str | None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield the model's output and the labels of each batch of ``data``, in order.

    The model is put in evaluation mode (no dropout) and runs on ``device``,
    by default the device its parameters are on. Call it under
    :func:`torch.no_grad`.
    """
    # A model without parameters (such as nn.Flatten()) runs on the CPU.
    device = _device(device, next(model.parameters(), torch.empty(0)).device)
    loader = _as_loader(data, batch_size, "data")
    model.eval()
    for x, y in loader:
        yield _forward(model, x.to(device), "data"), y.to(device)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss: Loss | None = None,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """Return the mean loss and the accuracy of ``model`` on ``data``.

    The model is put in evaluation mode (no dropout). The loss is averaged
    over examples, whatever the batch size; the accuracy is the fraction of
    examples whose largest output is at the true class (``nan`` for targets
    that are not class labels).
    """
    _check_model(model)
    check_callable(loss, "loss", allow_none=True)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    loss = loss if loss is not None else nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    for output, y in _evaluation_batches(model, data, batch_size, device):
        _check_lengths(output, y, "data")
        _check_labels(output, y, "data")
        total_loss += loss(output, y).item() * len(y)
        seen += len(y)
        correct = (
            correct + (output.argmax(1) == y).sum().item()
            if _is_classification(output, y)
            else math.nan
        )
    return {"loss": total_loss / seen, "accuracy": correct / seen}


@torch.no_grad()
def outputs(
    model: nn.Module,
    data: Data | torch.Tensor,
    *,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Return the model's raw outputs (for classifiers: the logits) on the CPU.

    ``data`` may also be a tensor of inputs alone. The model is put in
    evaluation mode (no dropout).
    """
    _check_model(model)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if isinstance(data, torch.Tensor):
        data = (data, torch.zeros(len(data)))
    return torch.cat(
        [
            output.cpu()
            for output, _ in _evaluation_batches(model, data, batch_size, device)
        ]
    )


def predict(
    model: nn.Module,
    data: Data | torch.Tensor,
    *,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Return the class the model gives each example: the index of its largest output.

    Parameters
    ----------
    model
        A classifier with one output per class (the logits, or probabilities).
    data
        As for :func:`outputs`: data with labels, or a tensor of inputs alone.
    batch_size, device
        As for :func:`outputs`.

    Returns
    -------
    torch.Tensor
        ``int64`` class labels on the CPU, one per example.

    Raises
    ------
    ValueError
        If the model gives fewer than two outputs per example (use
        :func:`outputs` for the raw outputs of any other model).
    """
    scores = outputs(model, data, batch_size=batch_size, device=device)
    if scores.ndim != 2 or scores.shape[1] < 2:
        raise ValueError(
            "predict needs a classifier with one output per class (at least 2), "
            f"got outputs of shape {tuple(scores.shape)}; "
            "use nnbook.train.outputs for raw outputs"
        )
    return scores.argmax(1)
