"""Every public callable refuses bad arguments clearly: a property test over the API page.

The valid calls and the kinds of their arguments are in ``api_probe.py``; here
hypothesis draws, for each callable, an argument and a bad value of its kind
(the probe's fixed list and values it generates), and the outcome must be a
``TypeError``/``ValueError`` naming that argument, a warning of nnbook's own,
or NaN passed through where the function documents it. A public function
added to a module without an entry in the probe fails
:func:`test_every_public_callable_is_probed`.
"""

from __future__ import annotations

import importlib
import inspect
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import api_probe
import nnbook
from nnbook._checks import MAX_COUNT

#: Public names that take no arguments or are records the package fills in,
#: so there is nothing to feed them; each with the reason.
NOT_PROBED = {
    "data.book_budget": "no arguments (reads NNBOOK_BUDGET, tested in test_data)",
    "data.default_data_root": "no arguments (reads NNBOOK_DATA, tested in test_data)",
    "data.CorruptDataError": "an exception",
    "data.MissingDataError": "an exception",
    "idx.CorruptDataError": "an exception",
    "idx.MissingDataError": "an exception",
    "data.MNISTSplits": "a record that load_mnist returns",
    "double_descent.DoubleDescentResult": "a record that double_descent returns",
    "double_descent.SplineFit": "a record that fit_spline returns",
    "history.History": "a record that training fills in",
    "network.ForwardPass": "a record that forward_layers returns",
    "network.Gradients": "a record that backprop returns",
    "optim.DivergenceWarning": "a warning",
    "optim.Quadratic": "built by optim.quadratic, which checks its arguments",
    "optim.Trajectory": "a record that the optimisers return",
    "optimizers.Optimizer": "the base class of the optimisers, each probed with its own hyper-parameters",
    "plot.use_book_style": "no arguments",
    "train.default_device": "no arguments",
    "widgets.widget": "widget_html with IPython's display around it",
}

ENTRIES = [entry for entry in api_probe.CALLS if entry.kinds]


def public_callables() -> set[str]:
    """``module.function`` and ``module.Class.method`` for everything the API page documents."""
    names = set()
    for module_name in nnbook.SUBMODULES:
        module = importlib.import_module(f"nnbook.{module_name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            names.add(f"{module_name}.{name}")
            if inspect.isclass(obj):
                names |= {
                    f"{module_name}.{name}.{attr}"
                    for attr, member in vars(obj).items()
                    if not attr.startswith("_")
                    and (callable(member) or isinstance(member, classmethod))
                }
    return names


def test_every_public_callable_is_probed() -> None:
    probed = {entry.name for entry in api_probe.CALLS}
    missing = {
        name
        for name in public_callables() - probed - set(NOT_PROBED)
        if name.rsplit(".", 1)[0] not in NOT_PROBED
    }  # methods of the records above
    assert not missing, f"add a valid call to tests/api_probe.py for: {sorted(missing)}"
    assert not probed - public_callables(), "the probe lists names that are not public"


def test_every_documented_nan_is_in_the_docstring() -> None:
    for entry in ENTRIES:
        if entry.nan_ok:
            fn, _ = entry.make()
            module = inspect.getmodule(fn)
            text = (fn.__doc__ or "") + (module.__doc__ if module else "")
            assert "NaN" in text, (
                f"{entry.name} passes NaN through but its documentation does not say so"
            )


def _generated(kind: str) -> st.SearchStrategy:
    """Bad values hypothesis makes up for a kind, beyond the probe's fixed list."""
    non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
    made_up = {
        "positive": st.floats(max_value=0.0) | non_finite,
        "nonnegative": st.floats(max_value=-1e-300) | non_finite,  # -0.0 would be valid
        "real": non_finite,
        "probability": st.floats().filter(lambda v: not 0.0 <= v <= 1.0),
        "coefficient": st.floats().filter(lambda v: not 0.0 <= v < 1.0),
        "size": st.integers(max_value=0),
        "count": st.integers(max_value=-1)
        | st.integers(min_value=MAX_COUNT + 1, max_value=2**62),
        "index": st.integers(max_value=-1),
        "seed": st.integers(max_value=-1),
        "choice": st.text(max_size=8).map(lambda t: "~" + t),  # no name starts with "~"
        "bool": st.text(max_size=4) | st.integers().filter(lambda v: v not in (0, 1)),
        "text": st.integers() | st.floats(),
    }.get(kind.rstrip("?"))
    if made_up is None:
        return st.nothing()
    return made_up.map(
        lambda value: (f"generated {value!r}", lambda _valid, value=value: value)
    )


def bad_value(kind: str) -> st.SearchStrategy:
    return st.sampled_from(api_probe.bad_values(kind)) | _generated(kind)


_REFERENCES: dict[str, list[float]] = {}


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    api_probe.warm_up()


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_bad_arguments_are_refused_clearly(
    entry: api_probe.Call,
    data: st.DataObject,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: object,
) -> None:
    monkeypatch.chdir(tmp_path)  # a bad path such as "abc" is written here
    if entry.name not in _REFERENCES:
        _REFERENCES[entry.name] = api_probe.reference(entry)
    argument = data.draw(st.sampled_from(sorted(entry.kinds)), label="argument")
    label, bad = data.draw(bad_value(entry.kinds[argument]), label="bad value")
    outcome = api_probe.classify(entry, argument, label, bad, _REFERENCES[entry.name])
    assert outcome.category in api_probe.OK, (
        f"{entry.name}({argument}={label}): {outcome.category} {outcome.detail}"
    )


def test_the_probe_sorts_outcomes() -> None:
    """The probe's own categories, on calls whose outcome is known."""
    from nnbook.optim import DivergenceWarning

    def f(x: float = 1.0) -> float:
        if isinstance(x, str):
            raise TypeError(f"x must be a number, got {x!r}")
        if x == 0:
            raise ZeroDivisionError
        if x == 7:
            raise ValueError(
                "bad value"
            )  # right type of error, but it does not say which argument
        if x == 8:
            warnings.warn("too large", DivergenceWarning)
        return 1.0 if x < -5 else x  # below -5 the value is silently ignored

    entry = api_probe.Call("f", lambda: (f, {"x": 1.0}), {"x": "real"})
    valid = api_probe.reference(entry)
    sort = lambda value: (
        api_probe.classify(entry, "x", repr(value), lambda _v: value, valid).category
    )  # noqa: E731
    assert sort("a") == "clear"
    assert sort(0) == "obscure"
    assert sort(7) == "obscure"
    assert sort(8) == "documented"
    assert sort(-9.0) == "accepted"
    assert sort(2.0) == "wrong"
    assert sort(math.nan) == "nan"
    documented_nan = api_probe.Call("f", entry.make, {"x": "real"}, nan_ok=("x",))
    assert (
        api_probe.classify(
            documented_nan, "x", "NaN", lambda _v: math.nan, valid
        ).category
        == "documented"
    )
    assert np.isclose(valid, [1.0]).all()
