"""nnbook: the tested helpers behind *Neural Networks with PyTorch*.

Each submodule holds one idea of the book and is named after it
(``nnbook.data``, ``nnbook.plot``, ``nnbook.splines`` ...). Importing
``nnbook`` itself is cheap: it loads no submodule, and in particular not
PyTorch, until the first time you touch one (``nnbook.data`` or
``from nnbook import data`` both work).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

#: The public submodules, loaded on first access so that ``import nnbook``
#: stays fast and does not pull in torch or matplotlib.
SUBMODULES = (
    "activations",
    "autograd",
    "checkpoints",
    "conv",
    "data",
    "double_descent",
    "gradcheck",
    "graph",
    "history",
    "least_squares",
    "losses",
    "models",
    "network",
    "neuron",
    "optim",
    "plot",
    "regularization",
    "splines",
    "splits",
    "synthetic",
    "train",
    "widgets",
)

__all__ = ["__version__", *SUBMODULES]


def __getattr__(name: str) -> ModuleType:
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
