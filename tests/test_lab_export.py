"""nnbook.widgets.export_mlp_json: the MLP file that the in-browser digit demo reads.

The tests read the file back the way a program without PyTorch would, with
plain ``json``, ``base64`` and NumPy, and run the network from it.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.models import mlp, small_cnn
from nnbook.widgets import MLP_JSON_ACTIVATIONS, MNIST_INPUT, export_mlp_json


def decode(entry: dict) -> np.ndarray:
    """An array of the file: base64 of little-endian float32 values, row-major, with its shape."""
    assert entry["dtype"] == "float32"
    values = np.frombuffer(base64.b64decode(entry["data"]), dtype="<f4")
    return values.reshape(entry["shape"])


NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "identity": lambda z: z,
}


def numpy_logits(document: dict, inputs: np.ndarray) -> np.ndarray:
    """The forward pass as the file describes it, in float64 NumPy, one example per row."""
    f = NUMPY_ACTIVATIONS[document["activation"]]
    a = inputs.reshape(len(inputs), -1).astype(np.float64)
    layers = document["layers"]
    for i, layer in enumerate(layers):
        z = a @ decode(layer["weight"]).astype(np.float64).T + decode(layer["bias"])
        a = z if i == len(layers) - 1 else f(z)
    return a


def images(n: int = 6, seed: int = 0) -> torch.Tensor:
    """MNIST-shaped inputs in [0, 1], mostly background, as ToTensor gives them."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 28, 28, generator=g)
    return torch.where(x > 0.7, x, torch.zeros(()))


@pytest.mark.parametrize("activation", sorted(MLP_JSON_ACTIVATIONS))
@pytest.mark.parametrize("sizes", [[784, 30, 10], [784, 16, 12, 10], [784, 10]])
def test_round_trip_gives_pytorchs_logits(tmp_path, activation, sizes) -> None:
    model = mlp(sizes, activation=activation, seed=1)
    x = images()
    labels = torch.arange(len(x)) % 10
    path = tmp_path / "model.json"
    export_mlp_json(model, path, examples=(x, labels), test_accuracy=0.5)

    document = json.loads(path.read_text())
    assert document["format"] == "nnbook-mlp" and document["version"] == 1
    assert document["sizes"] == sizes and document["output"] == "logits"
    assert document["activation"] == (activation if len(sizes) > 2 else "identity")
    assert document["activation_formula"] == MLP_JSON_ACTIVATIONS[document["activation"]]
    assert document["metadata"] == {"test_accuracy": 0.5}
    for layer, (n_in, n_out) in zip(document["layers"], zip(sizes[:-1], sizes[1:])):
        assert layer["weight"]["shape"] == [n_out, n_in] and layer["bias"]["shape"] == [n_out]

    with torch.no_grad():
        expected = model(x).numpy()
    examples = document["examples"]
    assert examples["labels"] == labels.tolist()
    np.testing.assert_array_equal(decode(examples["inputs"]), x.reshape(len(x), -1).numpy())
    np.testing.assert_array_equal(decode(examples["logits"]), expected)  # PyTorch's own, bit for bit
    np.testing.assert_allclose(numpy_logits(document, decode(examples["inputs"])), expected, rtol=0, atol=1e-5)


def test_weights_are_stored_exactly(tmp_path) -> None:
    model = mlp([784, 20, 10], seed=3)
    document = export_mlp_json(model, tmp_path / "m.json")
    for layer, linear in zip(document["layers"], (model[1], model[3])):
        np.testing.assert_array_equal(decode(layer["weight"]), linear.weight.detach().numpy())
        np.testing.assert_array_equal(decode(layer["bias"]), linear.bias.detach().numpy())
    assert "examples" not in document
    # The file holds what the function returned.
    assert json.loads((tmp_path / "m.json").read_text()) == document


def test_the_input_preprocessing_is_recorded(tmp_path) -> None:
    document = export_mlp_json(mlp([784, 10]), tmp_path / "m.json")
    assert document["input"] == MNIST_INPUT
    assert document["input"]["image_shape"] == [28, 28] and math.prod(document["input"]["image_shape"]) == 784
    assert (document["input"]["range"], document["input"]["background"], document["input"]["ink"]) == ([0.0, 1.0], 0.0, 1.0)
    custom = {"image_shape": [2, 2], "range": [-1.0, 1.0]}
    assert export_mlp_json(mlp([4, 2]), tmp_path / "c.json", input_description=custom)["input"] == custom


def test_file_is_small_deterministic_and_folders_are_created(tmp_path) -> None:
    path = tmp_path / "generated" / "deeper" / "mnist_mlp.json"
    model = mlp([784, 100, 10], seed=0)
    export_mlp_json(model, path, examples=images(8))
    first = path.read_bytes()
    export_mlp_json(model, path, examples=images(8))
    assert path.read_bytes() == first
    # 79,510 float32 numbers are 318,040 bytes, 4/3 of that in base64.
    assert 4 / 3 * 4 * 79_510 < len(first) < 500_000


def test_model_is_left_as_it_was(tmp_path) -> None:
    model = mlp([784, 8, 10])
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    export_mlp_json(model, tmp_path / "m.json", examples=images(2))
    assert model.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


@pytest.mark.parametrize(
    ("model", "error", "match"),
    [
        (nn.Linear(4, 2), TypeError, "needs an MLP as nnbook.models.mlp builds it"),
        (small_cnn(), ValueError, "this model has the layers Conv2d, ReLU, MaxPool2d"),
        (mlp([4, 3, 2], activation="gelu"), ValueError, "can write the activations .* got 'gelu'"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2)),
         ValueError, r"one activation for all hidden layers, got \['relu', 'tanh'\]"),
        (nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2)), ValueError, "Linear layer 0 has none"),
        (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2)), ValueError, "takes 5 inputs but layer 0 gives 3"),
    ],
)
def test_models_it_cannot_describe_are_refused(tmp_path, model, error, match) -> None:
    with pytest.raises(error, match=match):
        export_mlp_json(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    ("examples", "error", "match"),
    [
        (np.zeros((2, 784), dtype=np.float32), TypeError, "a tensor of inputs or a pair"),
        (torch.zeros(2, 783), ValueError, "784 values each, got torch.float32 of shape \\(2, 783\\)"),
        (torch.zeros(2, 784, dtype=torch.uint8), ValueError, "floating-point inputs"),
        ((torch.zeros(2, 784), torch.zeros(3, dtype=torch.int64)), ValueError, "one label per input \\(2\\)"),
        (torch.full((1, 784), math.nan), ValueError, "NaN or infinite"),
    ],
)
def test_bad_examples_are_refused(tmp_path, examples, error, match) -> None:
    with pytest.raises(error, match=match):
        export_mlp_json(mlp([784, 10]), tmp_path / "m.json", examples=examples)


def test_metadata_must_be_plain_json(tmp_path) -> None:
    with pytest.raises(TypeError, match="metadata accuracy=tensor.* cannot be written as JSON .* plain numbers"):
        export_mlp_json(mlp([4, 2]), tmp_path / "m.json", accuracy=torch.tensor(0.9))
    with pytest.raises(TypeError, match="metadata loss=nan cannot be written as JSON"):
        export_mlp_json(mlp([4, 2]), tmp_path / "m.json", loss=math.nan)


def test_model_path_and_input_description_are_checked(tmp_path) -> None:
    with pytest.raises(TypeError, match="model must be an nn.Sequential: export_mlp_json needs an MLP .* got str"):
        export_mlp_json("model", tmp_path / "m.json")
    for path, error, match in ((None, TypeError, r"path must be a file path \(a str or a pathlib.Path\), got NoneType"),
                               (3, TypeError, "path must be a file path .* got int"),
                               ("", ValueError, "path must be a file path, got an empty string")):
        with pytest.raises(error, match=match):
            export_mlp_json(mlp([4, 2]), path)
    with pytest.raises(TypeError, match="input_description must be a dict, got str"):
        export_mlp_json(mlp([4, 2]), tmp_path / "m.json", input_description="28 x 28")
    with pytest.raises(TypeError, match="input_description cannot be written as JSON"):
        export_mlp_json(mlp([4, 2]), tmp_path / "m.json", input_description={"range": [0, math.nan]})
    assert not (tmp_path / "m.json").exists()
