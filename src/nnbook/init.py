"""How large initial weights should be: the standard deviations of the common schemes.

A neuron's weighted input ``z = sum_j w_j a_j + b`` adds ``n_in`` terms. With
independent weights of mean 0 and variance ``sigma**2``, ``Var z = n_in
sigma**2 E[a**2]``: unless ``sigma**2`` shrinks like ``1 / n_in``, the signal
grows or fades from layer to layer, and so do the gradients on the way back.
Each scheme picks ``sigma`` to keep it steady (``n_in`` and ``n_out`` are the
layer's fan-in and fan-out; for a convolution, channels times kernel area):

============  ==========================  =============================================
scheme        standard deviation          PyTorch's ``torch.nn.init``
============  ==========================  =============================================
``standard``  ``1``                       ``normal_(w)``
``scaled``    ``1 / sqrt(n_in)``          ``kaiming_normal_(w, nonlinearity="linear")``
              (LeCun)
``xavier``    ``sqrt(2 / (n_in+n_out))``  ``xavier_normal_(w)``
              (Glorot and Bengio)
``he``        ``sqrt(2 / n_in)``          ``kaiming_normal_(w, nonlinearity="relu")``
              (He et al.)
============  ==========================  =============================================

``standard`` is the book's early networks' choice, and shows what goes wrong;
``he`` suits ReLU, which zeroes half of its inputs; ``xavier`` and ``scaled``
suit tanh and other activations that are about linear near 0. (PyTorch's
own default for ``nn.Linear`` is none of these: weights and biases uniform in
``±1 / sqrt(n_in)``, a standard deviation of ``1 / sqrt(3 n_in)``.)
"""

from __future__ import annotations

import math

from nnbook._checks import check_choice, check_int

__all__ = ["SCHEMES", "std"]

#: The names of the schemes, for :class:`nnbook.network.Network` and
#: :func:`nnbook.models.mlp`.
SCHEMES = ("standard", "scaled", "xavier", "he")


def std(scheme: str, fan_in: int, fan_out: int) -> float:
    """Return the standard deviation of the normal law ``scheme`` draws weights from.

    Parameters
    ----------
    scheme
        One of :data:`SCHEMES`.
    fan_in, fan_out
        The number of inputs of each neuron, ``n_in``, and of neurons the
        layer feeds each input to, ``n_out`` (both >= 1).
    """
    check_choice(scheme, "scheme", SCHEMES)
    n_in = check_int(fan_in, "fan_in", minimum=1)
    n_out = check_int(fan_out, "fan_out", minimum=1)
    # Written as PyTorch computes them, so that the two agree to the last bit.
    stds = {
        "standard": 1.0,
        "scaled": 1 / math.sqrt(n_in),
        "xavier": math.sqrt(2 / (n_in + n_out)),
        "he": math.sqrt(2) / math.sqrt(n_in),
    }
    return stds[scheme]
