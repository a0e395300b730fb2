"""nnbook.checkpoints: weights and plain metadata in files that load with weights_only=True."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnbook.checkpoints import load_checkpoint, save_checkpoint
from nnbook.models import mlp


def test_checkpoint_round_trip(tmp_path) -> None:
    model = mlp([2, 8, 3], seed=1)
    with torch.no_grad():
        model[1].weight.add_(1.0)  # weights no fresh model has
    save_checkpoint(model, tmp_path / "model.pt", epochs=2, sizes=[2, 8, 3])
    fresh = mlp([2, 8, 3], seed=99)
    metadata = load_checkpoint(
        fresh, str(tmp_path / "model.pt")
    )  # a str path works too
    assert metadata == {"epochs": 2, "sizes": [2, 8, 3]}
    X = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(fresh(X), model(X))


def test_every_saved_file_loads_with_weights_only(tmp_path) -> None:
    metadata = {
        "acc": 0.9,
        "epoch": 3,
        "done": True,
        "note": None,
        "name": "run",
        "history": {"loss": [0.5, 0.25]},
        "sizes": (2, 3),
    }
    save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", **metadata)
    raw = torch.load(tmp_path / "model.pt", weights_only=True)
    assert set(raw) == {"state_dict", "metadata"}
    assert load_checkpoint(mlp([2, 3]), tmp_path / "model.pt") == metadata


def test_checkpoint_metadata_must_be_plain(tmp_path) -> None:
    """A NumPy number would save but not load with weights_only=True: refused before writing."""
    with pytest.raises(
        TypeError,
        match=r"metadata\['acc'\] must be a plain Python value .* got numpy.float64; "
        r"convert it, e.g. float\(x\)",
    ):
        save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", acc=np.float64(0.9))
    assert not (tmp_path / "model.pt").exists()
    with pytest.raises(
        TypeError, match=r"metadata\['sizes'\]\[1\] must be a plain Python value"
    ):
        save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", sizes=[2, torch.tensor(3)])
    with pytest.raises(
        TypeError, match=r"metadata\['history'\] must have str keys, got the key 1"
    ):
        save_checkpoint(mlp([2, 3]), tmp_path / "model.pt", history={1: 0.5})
    assert not (tmp_path / "model.pt").exists()
    save_checkpoint(
        mlp([2, 3]), tmp_path / "model.pt", acc=float(np.float64(0.9))
    )  # converted, as the message says
    assert load_checkpoint(mlp([2, 3]), tmp_path / "model.pt") == {"acc": 0.9}


@pytest.mark.parametrize("function", [save_checkpoint, load_checkpoint])
def test_model_and_path_are_checked(tmp_path, function) -> None:
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got str"):
        function("model", tmp_path / "model.pt")
    with pytest.raises(
        TypeError,
        match=r"path must be a file path \(a str or a pathlib.Path\), got NoneType",
    ):
        function(mlp([2, 3]), None)
    with pytest.raises(
        ValueError, match="path must be a file path, got an empty string"
    ):
        function(mlp([2, 3]), "")


def test_load_checkpoint_rejects_other_files(tmp_path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by nnbook"):
        load_checkpoint(mlp([2, 3]), tmp_path / "other.pt")
    good = tmp_path / "good.pt"
    save_checkpoint(mlp([2, 3]), good)
    (tmp_path / "text.pt").write_text("hello")
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[:200])
    for name in ("text.pt", "empty.pt", "cut.pt"):
        with pytest.raises(
            ValueError,
            match=r"is not a checkpoint .* PyTorch cannot read it \(an empty or damaged",
        ):
            load_checkpoint(mlp([2, 3]), tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(mlp([2, 3]), tmp_path / "missing.pt")


def test_load_checkpoint_checks_the_file_before_changing_the_model(tmp_path) -> None:
    save_checkpoint(mlp([2, 4, 3], seed=1), tmp_path / "wide.pt")
    model = mlp([2, 8, 3], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(
        ValueError,
        match=r"holds weights for another model: .*model \(8, 2\), file \(4, 2\)",
    ):
        load_checkpoint(model, tmp_path / "wide.pt")
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    torch.save({"state_dict": model.state_dict()}, tmp_path / "no-metadata.pt")
    with pytest.raises(ValueError, match="not a checkpoint written by nnbook"):
        load_checkpoint(model, tmp_path / "no-metadata.pt")
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


class _RunsCode:
    """Unpickling this object would call os.system: the kind of file weights_only refuses."""

    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_load_checkpoint_refuses_a_file_that_would_run_code(tmp_path) -> None:
    model = mlp([2, 3])
    before = [p.detach().clone() for p in model.parameters()]
    torch.save(
        {"state_dict": model.state_dict(), "metadata": {"x": _RunsCode()}},
        tmp_path / "evil.pt",
    )
    with pytest.raises(
        ValueError,
        match="holds more than tensors and plain values, so it is not loaded",
    ):
        load_checkpoint(model, tmp_path / "evil.pt")
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


def _momentum_training(model, generator, steps: int, optimizer=None):
    """A few momentum-SGD steps on shuffled batches drawn with ``generator``; returns the optimizer."""
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    X = torch.randn(32, 2, generator=torch.Generator().manual_seed(5))
    y = torch.arange(32) % 3
    for _ in range(steps):
        batch = torch.randperm(32, generator=generator)[:8]
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
        optimizer.step()
    return optimizer


def test_checkpoint_with_optimizer_and_generator_resumes_training_exactly(
    tmp_path,
) -> None:
    straight = mlp([2, 8, 3], seed=1)
    _momentum_training(straight, torch.Generator().manual_seed(0), steps=6)

    model, generator = mlp([2, 8, 3], seed=1), torch.Generator().manual_seed(0)
    optimizer = _momentum_training(model, generator, steps=3)
    save_checkpoint(
        model, tmp_path / "run.pt", optimizer=optimizer, generator=generator, step=3
    )
    raw = torch.load(tmp_path / "run.pt", weights_only=True)
    assert set(raw) == {"state_dict", "metadata", "optimizer", "generator"}

    model, generator = mlp([2, 8, 3], seed=99), torch.Generator().manual_seed(42)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert load_checkpoint(
        model, tmp_path / "run.pt", optimizer=optimizer, generator=generator
    ) == {"step": 3}
    _momentum_training(model, generator, steps=3, optimizer=optimizer)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), straight.parameters())
    )


def test_optimizer_and_generator_are_checked(tmp_path) -> None:
    model = mlp([2, 3])
    with pytest.raises(
        TypeError, match="optimizer must be a torch.optim.Optimizer or None, got str"
    ):
        save_checkpoint(model, tmp_path / "model.pt", optimizer="sgd")
    with pytest.raises(
        TypeError, match="generator must be a torch.Generator or None, got int"
    ):
        save_checkpoint(model, tmp_path / "model.pt", generator=0)
    assert not (tmp_path / "model.pt").exists()
    save_checkpoint(model, tmp_path / "model.pt")
    with pytest.raises(
        TypeError, match="optimizer must be a torch.optim.Optimizer or None, got list"
    ):
        load_checkpoint(model, tmp_path / "model.pt", optimizer=[])


def test_load_checkpoint_checks_the_training_state_before_changing_anything(
    tmp_path,
) -> None:
    save_checkpoint(mlp([2, 3], seed=1), tmp_path / "weights.pt")
    model = mlp([2, 3], seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for name, state in (("optimizer", optimizer), ("generator", torch.Generator())):
        with pytest.raises(
            ValueError,
            match=rf"holds no {name} state: save it with save_checkpoint\(\.\.\., {name}=\.\.\.\)",
        ):
            load_checkpoint(model, tmp_path / "weights.pt", **{name: state})
    other = mlp([2, 3], seed=1)
    save_checkpoint(
        other, tmp_path / "run.pt", optimizer=torch.optim.SGD([other[1].weight], lr=0.5)
    )
    with pytest.raises(
        ValueError, match="holds the state of an optimizer for other parameters"
    ):
        load_checkpoint(model, tmp_path / "run.pt", optimizer=optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
