"""Optional dependencies: when one is missing, say who needs it and how to install it.

The NumPy modules of nnbook need only NumPy, Matplotlib and platformdirs.
The modules and functions that use PyTorch (or IPython) import it inside
``with needs("nnbook.train"):``, so that without it the user reads which
part of nnbook needs what and the command that installs it, instead of
"No module named 'torch'".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

#: The extra of nnbook that installs each optional package, by import name.
EXTRAS = {
    "torch": "torch",
    "torchvision": "torch",
    "tqdm": "torch",
    "IPython": "notebook",
}

#: How an error message calls a package, where that differs from its import name.
_DISPLAY_NAMES = {"torch": "PyTorch"}


class MissingDependencyError(ModuleNotFoundError):
    """An optional package that a part of nnbook needs is not installed."""


@contextlib.contextmanager
def needs(needed_by: str) -> Iterator[None]:
    """Import optional packages in this block; if one is missing, raise a clear error.

    Parameters
    ----------
    needed_by
        The module or function whose imports the block holds, as the user
        calls it (``"nnbook.train"``, ``"nnbook.data.load_mnist"``).

    Raises
    ------
    MissingDependencyError
        If the block imports a package of :data:`EXTRAS` that is not
        installed: a ``ModuleNotFoundError`` whose ``name`` is the package and
        whose message names ``needed_by`` and the ``pip install`` command.
        Any other import error, such as a broken installation of PyTorch,
        passes through unchanged.

    Examples
    --------
    At the top of a module, or inside the one function that needs it::

        with needs("nnbook.train"):
            import torch
            from torch import nn
    """
    try:
        yield
    except ModuleNotFoundError as error:
        package = error.name or ""
        if (
            package not in EXTRAS
        ):  # only a missing top-level package: "torch._C" means a broken install
            raise
        extra = EXTRAS[package]
        raise MissingDependencyError(
            f"{needed_by} needs {_DISPLAY_NAMES.get(package, package)}, "
            "which is not installed. Install it with: "
            f'pip install "nnbook[{extra}]" '
            f'(in a clone of the repository: pip install ".[{extra}]")',
            name=package,
        ) from error
