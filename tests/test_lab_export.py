"""nnbook.widgets.export_network_json: the network file that the in-browser digit demo reads.

The tests read the file back the way a program without PyTorch would, with
plain ``json``, ``base64`` and NumPy, and run the network from it: the MNIST
lab's MLP, the CNN chapter's CNN, and networks with the other layers the
format knows (strides, paddings, pooling windows, activations).
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from nnbook.models import mlp, small_cnn
from nnbook.widgets import MNIST_INPUT, NETWORK_JSON_LAYERS, export_network_json


def decode(entry: dict) -> np.ndarray:
    """An array of the file: base64 of little-endian float32 values, row-major, with its shape."""
    assert entry["dtype"] == "float32"
    values = np.frombuffer(base64.b64decode(entry["data"]), dtype="<f4")
    return values.reshape(entry["shape"])


ELEMENTWISE = {
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "tanh": np.tanh,
    "identity": lambda a: a,
}


def numpy_logits(document: dict, inputs: np.ndarray) -> np.ndarray:
    """The forward pass as the file describes it, in float64 NumPy, one example per row."""
    a = inputs.reshape(len(inputs), *document["input_shape"]).astype(np.float64)
    for entry in document["sequence"]:
        kind = entry["type"]
        if "layer" in entry:
            layer = document["layers"][entry["layer"]]
            w, b = (
                decode(layer["weight"]).astype(np.float64),
                decode(layer["bias"]).astype(np.float64),
            )
        if kind == "linear":
            a = a @ w.T + b
        elif kind == "conv2d":
            (ph, pw), (sh, sw) = entry["padding"], entry["stride"]
            x = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
            a = np.einsum("nchwpq,ocpq->nohw", windows, w) + b[:, None, None]
        elif kind == "maxpool2d":
            (sh, sw) = entry["stride"]
            a = sliding_window_view(a, entry["kernel_size"], axis=(2, 3))[
                :, :, ::sh, ::sw
            ].max(axis=(4, 5))
        elif kind == "flatten":
            a = a.reshape(len(a), -1)
        else:
            a = ELEMENTWISE[kind](a)
        assert list(a.shape[1:]) == entry["output_shape"], entry
    return a


def images(
    n: int = 6, seed: int = 0, shape: tuple[int, ...] = (1, 28, 28)
) -> torch.Tensor:
    """MNIST-shaped inputs in [0, 1], mostly background, as ToTensor gives them."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *shape, generator=g)
    return torch.where(x > 0.7, x, torch.zeros(()))


def assert_round_trip(model: nn.Module, document: dict, x: torch.Tensor) -> None:
    """The file holds PyTorch's logits bit for bit, and its arrays give them again in NumPy."""
    model.eval()
    with torch.no_grad():
        expected = model(x).numpy()
    examples = document["examples"]
    np.testing.assert_array_equal(
        decode(examples["inputs"]), x.reshape(len(x), -1).numpy()
    )
    np.testing.assert_array_equal(
        decode(examples["logits"]), expected
    )  # PyTorch's own, bit for bit
    got = numpy_logits(document, decode(examples["inputs"]))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    assert (got.argmax(1) == expected.argmax(1)).all()


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("sizes", [[784, 30, 10], [784, 16, 12, 10], [784, 10]])
def test_mlp_round_trip_gives_pytorchs_logits(tmp_path, activation, sizes) -> None:
    model = mlp(sizes, activation=activation, seed=1)
    x = images()
    labels = torch.arange(len(x)) % 10
    path = tmp_path / "model.json"
    export_network_json(model, path, examples=(x, labels), test_accuracy=0.5)

    document = json.loads(path.read_text())
    assert document["format"] == "nnbook-network" and document["version"] == 1
    assert (
        document["input_shape"] == [784]
        and document["sizes"] == sizes
        and document["output"] == "logits"
    )
    assert document["activation"] == (activation if len(sizes) > 2 else "identity")
    assert document["metadata"] == {"test_accuracy": 0.5}
    hidden = [activation] * (len(sizes) - 2)
    expected_types = (
        ["flatten"]
        + [t for pair in zip(["linear"] * len(hidden), hidden) for t in pair]
        + ["linear"]
    )
    assert [e["type"] for e in document["sequence"]] == expected_types
    assert document["operations"] == {
        t: NETWORK_JSON_LAYERS[t] for t in dict.fromkeys(expected_types)
    }
    for layer, (n_in, n_out) in zip(document["layers"], zip(sizes[:-1], sizes[1:])):
        assert layer["weight"]["shape"] == [n_out, n_in] and layer["bias"]["shape"] == [
            n_out
        ]
    assert document["examples"]["labels"] == labels.tolist()
    assert_round_trip(model, document, x)


def test_the_cnn_chapters_network_round_trips(tmp_path) -> None:
    model = small_cnn(channels=(1, 16, 32), kernel_size=5, seed=0)
    x = images(5)
    document = export_network_json(
        model, tmp_path / "cnn.json", examples=(x, torch.arange(5))
    )
    assert document["input_shape"] == [1, 28, 28] and document["sizes"] == [
        784,
        16 * 28 * 28,
        32 * 14 * 14,
        10,
    ]
    assert document["activation"] == "relu"
    assert [e["type"] for e in document["sequence"]] == [
        "conv2d",
        "relu",
        "maxpool2d",
        "conv2d",
        "relu",
        "maxpool2d",
        "flatten",
        "linear",
    ]
    conv = document["sequence"][0]
    assert (conv["layer"], conv["kernel_size"], conv["stride"], conv["padding"]) == (
        0,
        [5, 5],
        [1, 1],
        [2, 2],
    )
    assert document["sequence"][2] == {
        "type": "maxpool2d",
        "kernel_size": [2, 2],
        "stride": [2, 2],
        "output_shape": [16, 14, 14],
    }
    # The shapes the file announces are PyTorch's, layer by layer.
    h = x[:1]
    for layer, entry in zip(model, document["sequence"]):
        h = layer(h)
        assert list(h.shape[1:]) == entry["output_shape"]
    assert [layer["weight"]["shape"] for layer in document["layers"]] == [
        [16, 1, 5, 5],
        [32, 16, 5, 5],
        [10, 1568],
    ]
    np.testing.assert_array_equal(
        decode(document["layers"][1]["weight"]), model[3].weight.detach().numpy()
    )
    assert_round_trip(model, document, x)


def odd_cnn() -> nn.Sequential:
    """Strides, asymmetric kernels and paddings, 'valid' and 'same', overlapping pools, mixed activations."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 4, (3, 5), stride=(2, 1), padding=(1, 0)),
        nn.Tanh(),
        nn.MaxPool2d(3, stride=1),
        nn.Conv2d(4, 3, 3, padding="same"),
        nn.Sigmoid(),
        nn.Conv2d(3, 5, 2, stride=2, padding="valid"),
        nn.ReLU(),
        nn.MaxPool2d((2, 1)),
        nn.Flatten(),
        nn.Linear(5 * 1 * 3, 6),
        nn.Identity(),
        nn.Linear(6, 3),
    )


def test_other_layer_settings_round_trip(tmp_path) -> None:
    model = odd_cnn()
    x = images(4, shape=(2, 15, 13))
    document = export_network_json(
        model,
        tmp_path / "odd.json",
        examples=x,
        input_description={"image_shape": [15, 13]},
    )
    assert (
        document["input_shape"] == [2, 15, 13] and document["activation"] is None
    )  # several kinds
    entries = document["sequence"]
    assert (entries[0]["stride"], entries[0]["padding"]) == ([2, 1], [1, 0])
    assert entries[3]["padding"] == [1, 1] and entries[5]["padding"] == [0, 0]
    assert entries[7]["kernel_size"] == [2, 1] and entries[7]["stride"] == [2, 1]
    assert "labels" not in document["examples"]
    assert_round_trip(model, document, x)


def test_dropout_is_written_as_the_identity_of_the_network_in_use(tmp_path) -> None:
    model = mlp([784, 30, 10], dropout=0.5, seed=2)
    model.train()
    x = images()
    document = export_network_json(model, tmp_path / "d.json", examples=x)
    assert [e["type"] for e in document["sequence"]] == [
        "flatten",
        "linear",
        "relu",
        "identity",
        "linear",
    ]
    assert document["activation"] == "relu"
    assert (
        model.training
    )  # left in training mode, but the examples were run in eval mode
    assert_round_trip(model, document, x)


def test_weights_are_stored_exactly(tmp_path) -> None:
    model = mlp([784, 20, 10], seed=3)
    document = export_network_json(model, tmp_path / "m.json")
    for layer, linear in zip(document["layers"], (model[1], model[3])):
        np.testing.assert_array_equal(
            decode(layer["weight"]), linear.weight.detach().numpy()
        )
        np.testing.assert_array_equal(
            decode(layer["bias"]), linear.bias.detach().numpy()
        )
    assert "examples" not in document
    # The file holds what the function returned.
    assert json.loads((tmp_path / "m.json").read_text()) == document


def test_the_input_preprocessing_is_recorded(tmp_path) -> None:
    document = export_network_json(mlp([784, 10]), tmp_path / "m.json")
    assert document["input"] == MNIST_INPUT
    assert (
        document["input"]["image_shape"] == [28, 28]
        and math.prod(document["input"]["image_shape"]) == 784
    )
    assert (
        document["input"]["range"],
        document["input"]["background"],
        document["input"]["ink"],
    ) == ([0.0, 1.0], 0.0, 1.0)
    custom = {"image_shape": [2, 2], "range": [-1.0, 1.0]}
    assert (
        export_network_json(mlp([4, 2]), tmp_path / "c.json", input_description=custom)[
            "input"
        ]
        == custom
    )
    # A CNN's input size comes from the description.
    cnn = small_cnn(channels=(1, 2), image_size=8)
    assert export_network_json(
        cnn, tmp_path / "s.json", input_description={"image_shape": [8, 8]}
    )["input_shape"] == [1, 8, 8]


def test_file_is_small_deterministic_and_folders_are_created(tmp_path) -> None:
    path = tmp_path / "generated" / "deeper" / "mnist_mlp.json"
    model = mlp([784, 100, 10], seed=0)
    export_network_json(model, path, examples=images(8))
    first = path.read_bytes()
    export_network_json(model, path, examples=images(8))
    assert path.read_bytes() == first
    # 79,510 float32 numbers are 318,040 bytes, 4/3 of that in base64.
    assert 4 / 3 * 4 * 79_510 < len(first) < 500_000


def test_model_is_left_as_it_was(tmp_path) -> None:
    model = small_cnn(channels=(1, 2, 3))
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    export_network_json(model, tmp_path / "m.json", examples=images(2))
    assert model.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def conv(*args, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(1, 2, 3, *args, **kwargs)


TAIL = (nn.Flatten(), nn.Linear(2 * 26 * 26, 3))


@pytest.mark.parametrize(
    ("model", "error", "match"),
    [
        (
            nn.Linear(4, 2),
            TypeError,
            "model must be an nn.Sequential of the layers Linear, Conv2d, .* got Linear",
        ),
        (
            mlp([4, 3, 2], activation="gelu"),
            ValueError,
            r"cannot export layer 2 \(GELU\): the format knows the layers",
        ),
        (
            nn.Sequential(conv(), nn.AvgPool2d(2), *TAIL),
            ValueError,
            r"cannot export layer 1 \(AvgPool2d\)",
        ),
        (
            nn.Sequential(conv(), nn.BatchNorm2d(2), *TAIL),
            ValueError,
            r"cannot export layer 1 \(BatchNorm2d\)",
        ),
        (
            nn.Sequential(nn.Sequential(conv()), *TAIL),
            ValueError,
            r"cannot export layer 0 \(Sequential\)",
        ),
        (nn.Sequential(nn.ReLU()), ValueError, "must have a Linear or a Conv2d layer"),
        (
            nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2)),
            ValueError,
            r"layer 0 \(Linear\) has no bias",
        ),
        (
            nn.Sequential(conv(bias=False), *TAIL),
            ValueError,
            r"layer 0 \(Conv2d\) has no bias",
        ),
        (
            nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(5, 2)),
            ValueError,
            r"layer 2 \(Linear\) takes 5 inputs but gets values of shape \[3\]",
        ),
        (
            nn.Sequential(conv(), nn.Linear(26, 3)),
            ValueError,
            r"shape \[2, 26, 26\] \(put an nn.Flatten before it\)",
        ),
        (
            nn.Sequential(conv(), nn.Flatten(), nn.Linear(50, 3)),
            ValueError,
            r"takes 50 inputs but gets values of shape \[1352\]",
        ),
        (
            nn.Sequential(conv(), nn.Conv2d(3, 2, 3), nn.Flatten(), nn.Linear(1152, 3)),
            ValueError,
            r"layer 1 \(Conv2d\) takes 3 channels but gets values of shape \[2, 26, 26\]",
        ),
        (
            nn.Sequential(nn.Linear(784, 4), nn.MaxPool2d(2)),
            ValueError,
            r"layer 1 \(MaxPool2d\) needs values of shape \[channels, height, width\]",
        ),
        (
            nn.Sequential(nn.Conv2d(1, 2, 3, groups=1, dilation=2), *TAIL),
            ValueError,
            "groups=1, dilation=1 and zero padding",
        ),
        (
            nn.Sequential(conv(padding=1, padding_mode="reflect"), *TAIL),
            ValueError,
            "groups=1, dilation=1 and zero padding",
        ),
        (
            nn.Sequential(nn.Conv2d(1, 2, 4, padding="same"), *TAIL),
            ValueError,
            "even kernel pads unevenly",
        ),
        (
            nn.Sequential(conv(), nn.MaxPool2d(2, ceil_mode=True), *TAIL),
            ValueError,
            "without padding, dilation or ceil_mode",
        ),
        (
            nn.Sequential(conv(), nn.MaxPool2d(2, padding=1), *TAIL),
            ValueError,
            "without padding, dilation or ceil_mode",
        ),
        (
            nn.Sequential(nn.Conv2d(1, 2, 29), *TAIL),
            ValueError,
            r"input too small for it: its output would have shape \[2, 0, 0\]",
        ),
        (
            nn.Sequential(conv()),
            ValueError,
            r"must end with a vector of logits; its last layer gives shape \[2, 26, 26\]",
        ),
        (
            nn.Sequential(conv(), nn.Flatten(start_dim=2), nn.Linear(676, 3)),
            ValueError,
            "start_dim=1, end_dim=-1",
        ),
    ],
)
def test_models_it_cannot_describe_are_refused(tmp_path, model, error, match) -> None:
    with pytest.raises(error, match=match):
        export_network_json(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    ("description", "error", "match"),
    [
        (
            {"range": [0, 1]},
            TypeError,
            r"input_description\['image_shape'\] must be a sequence",
        ),
        (
            {"image_shape": [28]},
            ValueError,
            r"input_description\['image_shape'\] must list at least 2",
        ),
        (
            {"image_shape": [1, 28, 28]},
            ValueError,
            r"must be \[height, width\], got \[1, 28, 28\]",
        ),
        (
            {"image_shape": [28, 0]},
            ValueError,
            "every layer size must be a positive integer",
        ),
    ],
)
def test_a_cnn_needs_the_image_size(tmp_path, description, error, match) -> None:
    with pytest.raises(error, match=match):
        export_network_json(
            small_cnn(channels=(1, 2)),
            tmp_path / "m.json",
            input_description=description,
        )


@pytest.mark.parametrize(
    ("examples", "error", "match"),
    [
        (
            np.zeros((2, 784), dtype=np.float32),
            TypeError,
            "a tensor of inputs or a pair",
        ),
        (
            (torch.zeros(2, 784), torch.zeros(2), torch.zeros(2)),
            TypeError,
            "a tensor of inputs or a pair",
        ),
        (
            torch.zeros(2, 783),
            ValueError,
            "784 values each, got torch.float32 of shape \\(2, 783\\)",
        ),
        (torch.zeros(0, 784), ValueError, "k >= 1, with 784 values each"),
        (torch.zeros(784), ValueError, "of shape \\(k, ...\\)"),
        (torch.zeros(2, 784, dtype=torch.uint8), ValueError, "floating-point inputs"),
        (
            (torch.zeros(2, 784), torch.zeros(3, dtype=torch.int64)),
            ValueError,
            "one label per input \\(2\\)",
        ),
        (torch.full((1, 784), math.nan), ValueError, "NaN or infinite"),
    ],
)
@pytest.mark.parametrize(
    "model", [mlp([784, 10]), small_cnn(channels=(1, 2))], ids=["mlp", "cnn"]
)
def test_bad_examples_are_refused(tmp_path, model, examples, error, match) -> None:
    with pytest.raises(error, match=match):
        export_network_json(model, tmp_path / "m.json", examples=examples)


def test_metadata_must_be_plain_json(tmp_path) -> None:
    with pytest.raises(
        TypeError,
        match="metadata accuracy=tensor.* cannot be written as JSON .* plain numbers",
    ):
        export_network_json(
            mlp([4, 2]), tmp_path / "m.json", accuracy=torch.tensor(0.9)
        )
    with pytest.raises(TypeError, match="metadata loss=nan cannot be written as JSON"):
        export_network_json(mlp([4, 2]), tmp_path / "m.json", loss=math.nan)


def test_model_path_and_input_description_are_checked(tmp_path) -> None:
    with pytest.raises(TypeError, match="model must be an nn.Sequential .* got str"):
        export_network_json("model", tmp_path / "m.json")
    for path, error, match in (
        (
            None,
            TypeError,
            r"path must be a file path \(a str or a pathlib.Path\), got NoneType",
        ),
        (3, TypeError, "path must be a file path .* got int"),
        ("", ValueError, "path must be a file path, got an empty string"),
    ):
        with pytest.raises(error, match=match):
            export_network_json(mlp([4, 2]), path)
    with pytest.raises(TypeError, match="input_description must be a dict, got str"):
        export_network_json(
            mlp([4, 2]), tmp_path / "m.json", input_description="28 x 28"
        )
    with pytest.raises(TypeError, match="input_description cannot be written as JSON"):
        export_network_json(
            mlp([4, 2]), tmp_path / "m.json", input_description={"range": [0, math.nan]}
        )
    assert not (tmp_path / "m.json").exists()
