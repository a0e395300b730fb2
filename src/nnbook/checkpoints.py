"""Checkpoints: a model's weights and plain metadata in a file that loads safely.

:func:`save_checkpoint` writes only tensors and plain Python values, so that
:func:`load_checkpoint` can read the file with ``torch.load(weights_only=True)``,
which never runs code from it, and checks the whole file before it changes
the model. To resume training where it stopped, a checkpoint can also hold
the optimiser's state and the state of the generator that shuffles the
training set.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

from nnbook._checks import check_path
from nnbook._optional import needs

with needs("nnbook.checkpoints"):
    import torch
    from torch import nn

__all__ = ["load_checkpoint", "save_checkpoint"]

#: The types a checkpoint's metadata may hold: what
#: ``torch.load(weights_only=True)`` reads back.
_PLAIN = (bool, int, float, str, type(None))


def _check_plain(value: Any, name: str) -> None:
    """Raise unless ``value`` is a plain Python value or a container of them.

    The containers are lists, tuples and str-keyed dicts.
    """
    if type(value) in _PLAIN:  # exact types: a numpy float is a float, but not plain
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{name}[{i}]")
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{name} must have str keys, got the key {key!r}")
            _check_plain(item, f"{name}[{key!r}]")
        return
    raise TypeError(
        f"{name} must be a plain Python value (bool, int, float, str, None, "
        "or lists and dicts of them), got "
        f"{type(value).__module__}.{type(value).__qualname__}; "
        "convert it, e.g. float(x)"
    )


def _check_training_state(optimizer: Any, generator: Any) -> None:
    """Raise unless ``optimizer`` and ``generator`` are None or what their names say."""
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            "optimizer must be a torch.optim.Optimizer or None, "
            f"got {type(optimizer).__name__}"
        )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            "generator must be a torch.Generator or None, "
            f"got {type(generator).__name__}"
        )


def save_checkpoint(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    generator: torch.Generator | None = None,
    **metadata: Any,
) -> None:
    """Save the model's weights and plain metadata (numbers, strings, lists, dicts).

    Metadata of any other type (a NumPy number, say) is refused here, before
    anything is written, since ``weights_only`` loading could not read it back:
    convert it first (``float(accuracy)``). ``path`` is a str or a
    ``pathlib.Path``. Pass ``optimizer`` (its ``state_dict()``: momentum
    buffers, step counts, learning rates) and ``generator`` (the one that
    shuffles the training set) to save what resuming training needs besides
    the weights.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_path(path, "path")
    _check_training_state(optimizer, generator)
    _check_plain(metadata, "metadata")
    checkpoint = {"state_dict": model.state_dict(), "metadata": metadata}
    if optimizer is not None:
        checkpoint["optimizer"] = optimizer.state_dict()
    if generator is not None:
        checkpoint["generator"] = generator.get_state()
    torch.save(checkpoint, path)


def load_checkpoint(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return metadata.

    The whole file is checked before the model changes: it must be a
    checkpoint whose weights have the names and shapes of ``model``'s. A file
    that would run code when unpickled is refused. Given an ``optimizer`` or
    a ``generator``, their saved states are loaded into them too; the file
    must then hold them.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_path(path, "path")
    _check_training_state(optimizer, generator)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path} holds more than tensors and plain values, so it is not loaded "
            f"(torch.load(weights_only=True) refused it: {str(error).splitlines()[0]})"
        ) from error
    except (
        RuntimeError,
        KeyError,
        EOFError,
    ) as error:  # what torch.load raises for a file of another kind
        raise ValueError(
            f"{path} is not a checkpoint written by "
            "nnbook.checkpoints.save_checkpoint: "
            "PyTorch cannot read it (an empty or damaged file, or not a PyTorch file)"
        ) from error
    if not (
        isinstance(checkpoint, dict)
        and isinstance(checkpoint.get("state_dict"), dict)
        and isinstance(checkpoint.get("metadata"), dict)
    ):
        raise ValueError(
            f"{path} is not a checkpoint written by nnbook.checkpoints.save_checkpoint"
        )
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {
        name: tuple(getattr(t, "shape", ()))
        for name, t in checkpoint["state_dict"].items()
    }
    if found != expected:
        differ = sorted(
            name
            for name in expected.keys() | found.keys()
            if expected.get(name) != found.get(name)
        )
        raise ValueError(
            f"{path} holds weights for another model: these names or shapes differ: "
            + ", ".join(
                f"{n} (model {expected.get(n)}, file {found.get(n)})"
                for n in differ[:5]
            )
        )
    for name, wanted in (("optimizer", optimizer), ("generator", generator)):
        if wanted is not None and name not in checkpoint:
            raise ValueError(
                f"{path} holds no {name} state: "
                f"save it with save_checkpoint(..., {name}=...)"
            )
    if (
        generator is not None
        and checkpoint["generator"].shape != generator.get_state().shape
    ):
        raise ValueError(
            f"{path} holds the state of a generator of another kind "
            "(saved on another device?)"
        )
    if optimizer is not None:
        try:  # PyTorch checks the parameter groups before it changes the optimizer
            optimizer.load_state_dict(checkpoint["optimizer"])
        except ValueError as error:
            raise ValueError(
                f"{path} holds the state of an optimizer for other parameters: {error}"
            ) from None
    model.load_state_dict(checkpoint["state_dict"])
    if generator is not None:
        generator.set_state(checkpoint["generator"])
    return checkpoint["metadata"]
