"""nnbook: the tested helpers behind *Neural Networks with PyTorch*.

Each submodule holds one idea of the book and is named after it. Importing
``nnbook`` itself is cheap: it loads no submodule, and in particular not
PyTorch, until the first time you touch one (``nnbook.data`` or
``from nnbook import data`` both work). The NumPy modules need only NumPy,
Matplotlib and platformdirs; a module or function that needs PyTorch says
so when it is missing, with the command that installs it,
``pip install "nnbook[torch]"``.

The submodules:

activations
    Activation functions and their derivatives, in NumPy.
autograd
    A scalar reverse-mode automatic differentiation engine, small enough to read.
checkpoints
    Checkpoints: a model's weights and plain metadata in a file that loads safely.
conv
    Two-dimensional convolution and pooling from scratch, in NumPy.
data
    The book's data set: MNIST through torchvision, within the book's data budget.
double_descent
    Double descent: fitting ever more flexible splines to a few noisy points.
gradcheck
    Gradient checking: is an analytic gradient right?
graph
    Drawing the computational graph of a :class:`nnbook.autograd.Value`.
history
    The record of a training run: loss and accuracy after each epoch.
idx
    MNIST's file format, IDX, and the checks of a data file before it is read.
init
    How large initial weights should be: the standard deviations of the common schemes.
least_squares
    Linear least squares: the unique solution, the minimum-norm one, gradient descent.
losses
    Loss functions and their gradients with respect to the network's output.
models
    PyTorch model builders: a multilayer perceptron and a small CNN.
network
    A feed-forward network from scratch, in NumPy.
neuron
    A single neuron: the perceptron, the sigmoid neuron and a decision it makes.
optim
    Gradient descent, momentum and mini-batch SGD, written as the book writes them.
optimizers
    The optimisers of ``torch.optim``, written from their equations in NumPy.
plot
    The book's figure style and the figures that several chapters draw.
regularization
    L1 and L2 penalties on the weights, their gradients and steps, and dropout.
schedules
    Learning-rate schedules: the learning rate as a function of the step.
splines
    Natural cubic splines: knots, bases, and how wiggly a spline is.
splits
    Stratified splits: held-out parts with the same class shares as the whole.
synthetic
    Small two-dimensional data sets for classification experiments.
train
    The PyTorch training loop the book's chapters share: fit, evaluate, predict.
widgets
    The elements that the book's in-page widgets build themselves in.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from nnbook._optional import MissingDependencyError

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
    "idx",
    "init",
    "least_squares",
    "losses",
    "models",
    "network",
    "neuron",
    "optim",
    "optimizers",
    "plot",
    "regularization",
    "schedules",
    "splines",
    "splits",
    "synthetic",
    "train",
    "widgets",
)

__all__ = ["__version__", *SUBMODULES]


def __getattr__(name: str) -> ModuleType:
    if name in SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except MissingDependencyError as error:
            # A submodule that cannot load is an absent attribute, with the
            # same message: help(nnbook) and hasattr() then skip it, where an
            # ImportError would stop them. `import nnbook.train` and
            # `from nnbook import train` still raise the ImportError itself.
            raise AttributeError(
                str(error), name=name, obj=sys.modules[__name__]
            ) from error
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
