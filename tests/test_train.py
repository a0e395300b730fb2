"""nnbook.train: the shared PyTorch training loop (fit, evaluate, outputs, predict)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nnbook.data import load_mnist, to_tensors
from nnbook.history import History
from nnbook.optim import DivergenceWarning
from nnbook.models import mlp
from nnbook.splits import train_validation_split
from nnbook.train import evaluate, fit, outputs, predict, set_seed


def blobs(n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well separated Gaussian blobs in 2-D: a linearly separable problem."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    y = torch.arange(n) % 3
    X = centres[y] + 0.5 * torch.randn(n, 2, generator=g)
    return X, y


# --- fit, evaluate, predict ---------------------------------------------------------


def test_fit_separates_a_separable_problem() -> None:
    X, y = blobs()
    model = mlp([2, 16, 3], seed=0)
    history = fit(
        model, (X, y), (X, y), eta=0.1, epochs=30, batch_size=16, device="cpu"
    )
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
    assert scores["loss"] == pytest.approx(
        nn.functional.cross_entropy(logits, y).item(), rel=1e-6
    )
    assert scores["accuracy"] == (logits.argmax(1) == y).float().mean().item()
    torch.testing.assert_close(outputs(model, X, batch_size=7), logits)
    assert torch.equal(predict(model, X, batch_size=7), logits.argmax(1))


def test_predict_needs_one_output_per_class() -> None:
    X = torch.zeros(3, 2)
    assert outputs(mlp([2, 1]), X).shape == (3, 1)
    with pytest.raises(
        ValueError, match=r"one output per class .* got outputs of shape \(3, 1\)"
    ):
        predict(mlp([2, 1]), X)


def test_regression_has_no_accuracy() -> None:
    X = torch.linspace(-1, 1, 40).unsqueeze(1)
    y = 3 * X
    history = fit(
        mlp([1, 1]),
        (X, y),
        (X, y),
        loss=nn.MSELoss(),
        epochs=50,
        batch_size=40,
        eta=0.3,
        device="cpu",
    )
    assert math.isnan(history.train_accuracy[-1]) and math.isnan(
        history.val_accuracy[-1]
    )
    assert history.val_loss[-1] < 1e-3


def test_early_stopping_restores_the_best_weights() -> None:
    X, y = blobs()
    noise = torch.Generator().manual_seed(0)
    y_val = torch.randint(0, 3, (len(y),), generator=noise)  # labels it cannot learn
    model = mlp([2, 16, 3])
    history = fit(
        model,
        (X, y),
        (X, y_val),
        epochs=50,
        eta=0.5,
        early_stopping=3,
        restore_best=True,
        device="cpu",
    )
    assert history.stopped_early and history.epochs < 50
    assert history.epochs - history.best_epoch == 3
    assert evaluate(model, (X, y_val))["loss"] == pytest.approx(
        min(history.val_loss), rel=1e-6
    )


def test_fit_warns_and_stops_when_training_diverges() -> None:
    X, y = blobs()
    with pytest.warns(DivergenceWarning, match="training diverged in epoch"):
        history = fit(
            mlp([2, 8, 3], seed=0), (X, y), eta=1e6, gamma=0.9, epochs=20, device="cpu"
        )
    assert history.diverged and history.epochs < 20
    quiet = fit(mlp([2, 8, 3], seed=0), (X, y), eta=0.5, epochs=5, device="cpu")
    assert not quiet.diverged and quiet.epochs == 5


def test_a_loss_that_explodes_in_the_first_epoch_is_caught_there() -> None:
    """The issue's case: with eta = 1e6 the first epoch's loss was already huge, so comparing with
    the first epoch caught nothing until the loss became NaN; the reference is now the loss of the
    first mini-batch before any step, computed here independently (fit shuffles with a DataLoader
    whose generator is seeded 0, so the same loader over the indices gives its first batch)."""
    X, y = blobs()
    indices = DataLoader(
        torch.arange(len(y)),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    first = next(iter(indices))
    start = torch.nn.functional.cross_entropy(
        mlp([2, 8, 3], seed=0)(X[first]), y[first]
    ).item()
    with pytest.warns(
        DivergenceWarning,
        match=rf"epoch 1: the training loss is .* \(before training: {start:.3g}\)",
    ):
        history = fit(mlp([2, 8, 3], seed=0), (X, y), eta=1e6, epochs=20, device="cpu")
    assert history.diverged and history.epochs == 1
    assert (
        math.isfinite(history.train_loss[0]) and history.train_loss[0] > 100 * start
    )  # exploded, not NaN


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
    with pytest.raises(
        ValueError,
        match="labels must be class indices 0 to 2 .* got labels from 0 to 5",
    ):
        fit(mlp([2, 3]), (X, y + 3 * (y == 2)), epochs=1, device="cpu")


def test_labels_in_one_tensor_are_checked_before_the_first_step() -> None:
    X, y = blobs()
    y = y.clone()
    y[0] = 7  # shuffled with seed 0, example 0 comes in the sixth batch of 10
    model = mlp([2, 3], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    for data in ((X, y), TensorDataset(X, y)):
        with pytest.raises(
            ValueError,
            match="labels must be class indices 0 to 2 .* got labels from 0 to 7",
        ):
            fit(model, data, epochs=1, batch_size=10, seed=0, device="cpu")
        assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def test_labels_from_a_loader_are_checked_batch_by_batch() -> None:
    X, y = blobs()
    y = y.clone()
    y[-1] = -1
    loader = DataLoader(
        TensorDataset(X, y), batch_size=10
    )  # unshuffled: the bad label comes last
    with pytest.raises(
        ValueError,
        match="labels must be class indices 0 to 2 .* got labels from -1 to 2",
    ):
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
        (
            {"weight_decay": -0.1},
            ValueError,
            "weight_decay must be a finite number >= 0",
        ),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0, got -1"),
        (
            {"early_stopping": 0},
            ValueError,
            "early_stopping must be an integer >= 1, got 0",
        ),
        ({"early_stopping": 2}, ValueError, "need a validation set"),
        # The worst cases: NaN and infinite hyper-parameters, and a count that would never end.
        ({"gamma": math.nan}, ValueError, r"gamma must be in \[0, 1\), got nan"),
        (
            {"eta": math.inf},
            ValueError,
            "eta must be a positive finite number, got inf",
        ),
        (
            {"weight_decay": math.nan},
            ValueError,
            "weight_decay must be a finite number >= 0, got nan",
        ),
        (
            {"epochs": 10**12},
            ValueError,
            "epochs must be an integer <= 10000000, got 1000000000000",
        ),
        ({"batch_size": "64"}, TypeError, "batch_size must be an integer, got str"),
        (
            {"seed": None},
            TypeError,
            "seed must be an int or a torch.Generator, got NoneType",
        ),
        (
            {"early_stopping": 2.5},
            TypeError,
            "early_stopping must be an integer, got float",
        ),
        (
            {"restore_best": "no"},
            TypeError,
            "restore_best must be True or False, got str",
        ),
        ({"progress": "no"}, TypeError, "progress must be True or False, got str"),
        (
            {"device": "gpu"},
            ValueError,
            "device must be a device PyTorch can use here, such as 'cpu', got 'gpu'",
        ),
        (
            {"device": 0},
            TypeError,
            "device must be a str such as 'cpu' or a torch.device, got int",
        ),
        ({"loss": "mse"}, TypeError, "loss must be a function, got str"),
        (
            {"optimizer": "adam"},
            TypeError,
            "optimizer must be a torch.optim.Optimizer, got str",
        ),
        (
            {"val": "abc"},
            TypeError,
            "val must be a Dataset, an \\(X, y\\) pair of tensors or a DataLoader, got str",
        ),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, error, match) -> None:
    X, y = blobs()
    with pytest.raises(error, match=match):
        fit(mlp([2, 3]), (X, y), **{"device": "cpu", **kwargs})


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_device_this_machine_lacks_is_a_clear_error() -> None:
    X, y = blobs()
    with pytest.raises(
        ValueError,
        match="device must be a device PyTorch can use here, such as 'cpu', got 'cuda'",
    ):
        fit(mlp([2, 3]), (X, y), epochs=1, device="cuda")


def test_eta_gamma_and_weight_decay_are_checked_with_an_optimizer_too() -> None:
    """They are ignored then, but a NaN among the arguments is a slip worth reporting."""
    X, y = blobs()
    model = mlp([2, 3])
    adam = torch.optim.Adam(model.parameters(), lr=0.01)
    assert fit(model, (X, y), optimizer=adam, epochs=1, device="cpu").epochs == 1
    with pytest.raises(
        ValueError, match="eta must be a positive finite number, got nan"
    ):
        fit(model, (X, y), optimizer=adam, eta=math.nan, epochs=1, device="cpu")


def test_a_torch_generator_seeds_fit_like_its_seed() -> None:
    X, y = blobs()
    models = [mlp([2, 8, 3], seed=3) for _ in range(2)]
    fit(models[0], (X, y), epochs=2, batch_size=10, seed=5, device="cpu")
    fit(
        models[1],
        (X, y),
        epochs=2,
        batch_size=10,
        seed=torch.Generator().manual_seed(5),
        device="cpu",
    )
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert torch.equal(p, q)


def test_evaluate_outputs_and_predict_check_their_arguments() -> None:
    X, y = blobs(n=30)
    # A model without parameters (the case: a bare StopIteration) runs on the CPU.
    logits = torch.randn(30, 3, generator=torch.Generator().manual_seed(0))
    scores = evaluate(nn.Flatten(), (logits, y))
    assert scores["loss"] == pytest.approx(
        nn.functional.cross_entropy(logits, y).item(), rel=1e-6
    )
    assert torch.equal(predict(nn.Flatten(), logits), logits.argmax(1))
    for function in (evaluate, outputs, predict):
        with pytest.raises(TypeError, match="model must be a torch.nn.Module, got str"):
            function("model", (X, y))
        with pytest.raises(
            ValueError, match="batch_size must be an integer >= 1, got 0"
        ):
            function(mlp([2, 3]), (X, y), batch_size=0)
        with pytest.raises(
            ValueError, match="device must be a device PyTorch can use here"
        ):
            function(mlp([2, 3]), (X, y), device="nonsense")
    with pytest.raises(TypeError, match="loss must be a function, got int"):
        evaluate(mlp([2, 3]), (X, y), loss=3)


def test_mismatched_tensors_are_a_clear_error() -> None:
    X, y = blobs()
    with pytest.raises(
        ValueError,
        match="train's X and train's y must have the same length, got 120 and 119",
    ):
        fit(mlp([2, 3]), (X, y[:-1]), device="cpu")
    with pytest.raises(
        TypeError, match="Dataset, an \\(X, y\\) pair of tensors or a DataLoader"
    ):
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
        assert (
            X.shape == (len(data), 1, 28, 28)
            and X.dtype == torch.float32
            and y.dtype == torch.int64
        )
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
