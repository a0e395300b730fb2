"""nnbook.train and nnbook.models: the shared PyTorch training loop and builders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nnbook.checkpoints import load_checkpoint, save_checkpoint
from nnbook.data import load_mnist, to_tensors
from nnbook.history import History
from nnbook.optim import DivergenceWarning
from nnbook.models import count_parameters, mlp, small_cnn
from nnbook.splits import train_validation_split
from nnbook.train import evaluate, fit, outputs, predict, set_seed


def blobs(n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well separated Gaussian blobs in 2-D: a linearly separable problem."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    y = torch.arange(n) % 3
    X = centres[y] + 0.5 * torch.randn(n, 2, generator=g)
    return X, y


# --- models -------------------------------------------------------------------


def test_mlp_layers_and_parameter_count() -> None:
    model = mlp([784, 30, 10], activation="sigmoid")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Flatten", "Linear", "Sigmoid", "Linear"]
    assert count_parameters(model) == 784 * 30 + 30 + 30 * 10 + 10
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert model(torch.zeros(5, 784)).shape == (5, 10)


def test_mlp_initialisation_is_seeded_and_scaled() -> None:
    a, b, c = mlp([100, 50, 10], seed=1), mlp([100, 50, 10], seed=1), mlp([100, 50, 10], seed=2)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(a[1].weight, c[1].weight)
    # He-uniform for ReLU layers: bound sqrt(6 / fan_in); biases zero.
    bound = math.sqrt(6 / 100)
    assert a[1].weight.abs().max() <= bound
    assert a[1].weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert torch.count_nonzero(a[1].bias) == 0


def test_small_cnn_shapes() -> None:
    model = small_cnn()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32]
    expected = (1 * 16 * 25 + 16) + (16 * 32 * 25 + 32) + (32 * 7 * 7 * 10 + 10)
    assert count_parameters(model) == expected


@pytest.mark.parametrize(
    ("builder", "kwargs", "error", "match"),
    [
        (mlp, {"sizes": [784]}, ValueError, "sizes must list at least 2 layers"),
        (mlp, {"sizes": [784, 0, 10]}, ValueError, r"sizes\[1\] must be an integer >= 1, got 0"),
        (mlp, {"sizes": [784, 2.5, 10]}, TypeError, r"sizes\[1\] must be an integer, got float"),
        (mlp, {"sizes": [4, 2], "activation": "swish"}, ValueError, "activation must be one of"),
        (mlp, {"sizes": [4, 2], "seed": -1}, ValueError, "seed must be an integer >= 0"),
        (small_cnn, {"channels": (1,)}, ValueError, "channels must list at least 2 layers"),
        (small_cnn, {"kernel_size": 4}, ValueError, "odd positive integer"),
        (small_cnn, {"kernel_size": 0}, ValueError, "kernel_size must be an integer >= 1"),
        (small_cnn, {"n_classes": 0}, ValueError, "n_classes must be an integer >= 1"),
        (small_cnn, {"activation": "swish"}, ValueError, "activation must be one of"),
        (small_cnn, {"image_size": 30}, ValueError, "divisible by 2\\*\\*2"),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        builder(**kwargs)


# --- fit, evaluate, predict ---------------------------------------------------------


def test_fit_separates_a_separable_problem() -> None:
    X, y = blobs()
    model = mlp([2, 16, 3], seed=0)
    history = fit(model, (X, y), (X, y), eta=0.1, epochs=30, batch_size=16, device="cpu")
    assert history.train_accuracy[-1] == 1.0
    assert evaluate(model, (X, y))["accuracy"] == 1.0
    assert history.train_loss[-1] < history.train_loss[0]


def test_history_has_one_entry_per_epoch() -> None:
    X, y = blobs()
    history = fit(mlp([2, 3]), (X, y), (X[:30], y[:30]), epochs=4, device="cpu")
    assert isinstance(history, History) and history.epochs == 4
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert len(history.as_dict()[key]) == 4
    assert 1 <= history.best_epoch <= 4
    assert fit(mlp([2, 3]), (X, y), epochs=2, device="cpu").val_loss == []


def test_two_seeded_runs_give_identical_weights() -> None:
    X, y = blobs()
    models = [mlp([2, 8, 3], seed=3) for _ in range(2)]
    for model in models:
        fit(model, (X, y), epochs=3, batch_size=10, seed=5, gamma=0.9, device="cpu")
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert torch.equal(p, q)
    other = mlp([2, 8, 3], seed=3)
    fit(other, (X, y), epochs=3, batch_size=10, seed=6, gamma=0.9, device="cpu")
    assert not torch.equal(other[1].weight, models[0][1].weight)


def test_evaluate_matches_a_direct_computation() -> None:
    X, y = blobs(n=50)
    model = mlp([2, 5, 3], seed=4)
    scores = evaluate(model, (X, y), batch_size=7)  # batches of unequal size
    with torch.no_grad():
        logits = model(X)
    assert scores["loss"] == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-6)
    assert scores["accuracy"] == (logits.argmax(1) == y).float().mean().item()
    torch.testing.assert_close(outputs(model, X, batch_size=7), logits)
    assert torch.equal(predict(model, X, batch_size=7), logits.argmax(1))


def test_predict_needs_one_output_per_class() -> None:
    X = torch.zeros(3, 2)
    assert outputs(mlp([2, 1]), X).shape == (3, 1)
    with pytest.raises(ValueError, match=r"one output per class .* got outputs of shape \(3, 1\)"):
        predict(mlp([2, 1]), X)


def test_regression_has_no_accuracy() -> None:
    X = torch.linspace(-1, 1, 40).unsqueeze(1)
    y = 3 * X
    history = fit(mlp([1, 1]), (X, y), (X, y), loss=nn.MSELoss(), epochs=50, batch_size=40, eta=0.3, device="cpu")
    assert math.isnan(history.train_accuracy[-1]) and math.isnan(history.val_accuracy[-1])
    assert history.val_loss[-1] < 1e-3


def test_early_stopping_restores_the_best_weights() -> None:
    X, y = blobs()
    noise = torch.Generator().manual_seed(0)
    y_val = torch.randint(0, 3, (len(y),), generator=noise)  # labels it cannot learn
    model = mlp([2, 16, 3])
    history = fit(model, (X, y), (X, y_val), epochs=50, eta=0.5, early_stopping=3, restore_best=True, device="cpu")
    assert history.stopped_early and history.epochs < 50
    assert history.epochs - history.best_epoch == 3
    assert evaluate(model, (X, y_val))["loss"] == pytest.approx(min(history.val_loss), rel=1e-6)


def test_checkpoint_round_trip(tmp_path) -> None:
    X, y = blobs()
    model = mlp([2, 8, 3], seed=1)
    fit(model, (X, y), epochs=2, device="cpu")
    save_checkpoint(model, tmp_path / "model.pt", epochs=2, sizes=[2, 8, 3])
    fresh = mlp([2, 8, 3], seed=99)
    metadata = load_checkpoint(fresh, tmp_path / "model.pt")
    assert metadata == {"epochs": 2, "sizes": [2, 8, 3]}
    assert torch.equal(outputs(fresh, X), outputs(model, X))


def test_load_checkpoint_rejects_other_files(tmp_path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by nnbook"):
        load_checkpoint(mlp([2, 3]), tmp_path / "other.pt")


def test_checkpoint_metadata_must_be_plain(tmp_path) -> None:
    """A NumPy number would save but not load with weights_only=True: refused before writing."""
    with pytest.raises(TypeError, match=r"metadata\['acc'\] must be a plain Python value .* got numpy.float64"):
        save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", acc=np.float64(0.9))
    assert not (tmp_path / "model.pt").exists()
    with pytest.raises(TypeError, match=r"metadata\['sizes'\]\[1\] must be a plain Python value"):
        save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", sizes=[2, torch.tensor(3)])
    save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", history={"loss": [0.5, 0.25]}, note=None)
    assert load_checkpoint(mlp([2, 3]), tmp_path / "model.pt") == {"history": {"loss": [0.5, 0.25]}, "note": None}


def test_load_checkpoint_checks_the_file_before_changing_the_model(tmp_path) -> None:
    save_checkpoint(mlp([2, 4, 3], seed=1), tmp_path / "wide.pt")
    model = mlp([2, 8, 3], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"holds weights for another model: .*model \(8, 2\), file \(4, 2\)"):
        load_checkpoint(model, tmp_path / "wide.pt")
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    torch.save({"state_dict": model.state_dict()}, tmp_path / "no-metadata.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by nnbook"):
        load_checkpoint(model, tmp_path / "no-metadata.pt")


class _RunsCode:
    """Unpickling this object would call os.system: the kind of file weights_only refuses."""

    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_load_checkpoint_refuses_a_file_that_would_run_code(tmp_path) -> None:
    model = mlp([2, 3])
    torch.save({"state_dict": model.state_dict(), "metadata": {"x": _RunsCode()}}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="holds more than tensors and plain values, so it is not loaded"):
        load_checkpoint(model, tmp_path / "evil.pt")


def test_fit_warns_and_stops_when_training_diverges() -> None:
    X, y = blobs()
    with pytest.warns(DivergenceWarning, match="training diverged in epoch"):
        history = fit(mlp([2, 8, 3], seed=0), (X, y), eta=1e6, gamma=0.9, epochs=20, device="cpu")
    assert history.diverged and history.epochs < 20
    assert not math.isfinite(history.train_loss[-1]) or history.train_loss[-1] > 100 * history.train_loss[0]
    quiet = fit(mlp([2, 8, 3], seed=0), (X, y), eta=0.5, epochs=5, device="cpu")
    assert not quiet.diverged and quiet.epochs == 5


def test_fit_leaves_the_global_random_state_alone() -> None:
    X, y = blobs()
    model = mlp([2, 8, 3], seed=0)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fit(model, (X, y), epochs=1, device="cpu", seed=7)
    assert torch.equal(torch.rand(3), expected)


def test_fit_needs_a_model() -> None:
    X, y = blobs()
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got str"):
        fit("model", (X, y))  # type: ignore[arg-type]


def test_wrong_input_shape_is_a_clear_error() -> None:
    X, y = blobs()
    with pytest.raises(ValueError, match=r"cannot process a batch of shape \(64, 2\)"):
        fit(mlp([3, 3]), (X, y), epochs=1, device="cpu")


def test_labels_out_of_range_are_a_clear_error() -> None:
    X, y = blobs()
    with pytest.raises(ValueError, match="labels must be class indices 0 to 2 .* got labels from 0 to 5"):
        fit(mlp([2, 3]), (X, y + 3 * (y == 2)), epochs=1, device="cpu")


def test_labels_in_one_tensor_are_checked_before_the_first_step() -> None:
    X, y = blobs()
    y = y.clone()
    y[0] = 7  # shuffled with seed 0, example 0 comes in the sixth batch of 10
    model = mlp([2, 3], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    for data in ((X, y), TensorDataset(X, y)):
        with pytest.raises(ValueError, match="labels must be class indices 0 to 2 .* got labels from 0 to 7"):
            fit(model, data, epochs=1, batch_size=10, seed=0, device="cpu")
        assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_labels_from_a_loader_are_checked_batch_by_batch() -> None:
    X, y = blobs()
    y = y.clone()
    y[-1] = -1
    loader = DataLoader(TensorDataset(X, y), batch_size=10)  # unshuffled: the bad label comes last
    with pytest.raises(ValueError, match="labels must be class indices 0 to 2 .* got labels from -1 to 2"):
        fit(mlp([2, 3]), loader, epochs=1, device="cpu")
    with pytest.raises(ValueError, match="got labels from -1 to 2"):
        evaluate(mlp([2, 3]), (X, y), batch_size=10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1, got 0"),
        ({"epochs": 2.0}, TypeError, "epochs must be an integer, got float"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
        ({"eta": -1.0}, ValueError, "eta must be a positive finite number, got -1.0"),
        ({"gamma": 1.0}, ValueError, r"gamma must be in \[0, 1\), got 1.0"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay must be a finite number >= 0"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0, got -1"),
        ({"early_stopping": 0}, ValueError, "early_stopping must be an integer >= 1, got 0"),
        ({"early_stopping": 2}, ValueError, "need a validation set"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, match) -> None:
    X, y = blobs()
    with pytest.raises(error, match=match):
        fit(mlp([2, 3]), (X, y), device="cpu", **kwargs)


def test_mismatched_tensors_are_a_clear_error() -> None:
    X, y = blobs()
    with pytest.raises(ValueError, match="train's X and train's y must have the same length, got 120 and 119"):
        fit(mlp([2, 3]), (X, y[:-1]), device="cpu")
    with pytest.raises(TypeError, match="Dataset, an \\(X, y\\) pair of tensors or a DataLoader"):
        fit(mlp([2, 3]), [X, y], device="cpu")  # type: ignore[arg-type]


def test_set_seed_makes_every_generator_repeat() -> None:
    import random

    set_seed(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    set_seed(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    with pytest.raises(TypeError, match="seed must be an integer, got float"):
        set_seed(1.5)  # type: ignore[arg-type]


# --- to_tensors -------------------------------------------------------------------


def test_to_tensors_equals_the_dataset_items(tiny_mnist) -> None:
    root, _ = tiny_mnist
    train, _ = load_mnist(root)
    subset, _ = train_validation_split(train, validation_size=0.5, seed=0)
    for data in (train, subset):
        X, y = to_tensors(data)
        assert X.shape == (len(data), 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
        for i in (0, len(data) - 1):
            image, label = data[i]
            torch.testing.assert_close(X[i], image, rtol=0, atol=0)
            assert y[i].item() == label
    assert to_tensors(train, flatten=True)[0].shape == (30, 784)


def test_to_tensors_general_path(tiny_mnist) -> None:
    root, _ = tiny_mnist
    train, _ = load_mnist(root, transform=lambda image: torch.ones(1, 2, 2))
    X, y = to_tensors(train)
    assert X.shape == (30, 1, 2, 2) and torch.all(X == 1)
    plain, _ = load_mnist(root, transform=lambda image: image)
    with pytest.raises(TypeError, match="give MNIST a ToTensor transform"):
        to_tensors(plain)
