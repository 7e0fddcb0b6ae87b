"""The fast-compile route for nutpie (inspect_audit.inspectors.nutpie_compile) against nutpie's own compile.

Both routes run the same PyTensor graph, so with the same seed nutpie must produce the same draws; the
route is chosen by the size of the fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from inspect_audit.inspectors import InspectorModel, build_design
from inspect_audit.inspectors.model import NutpieCache, stored_variables
from inspect_audit.inspectors.nutpie_compile import (FAST_COMPILE_MAX_WORK, RecoverableLogpError,
                                                     compile_for_nutpie, compile_from_cache, with_data)
from inspect_audit.data.simulate import SimulationConfig, simulate

SMALL = SimulationConfig(n_schools=300, n_inspectors=15, paired_n_schools=0, survey_n_schools=0)


@pytest.fixture(scope="module")
def model():
    estimator = InspectorModel(progress=False)
    design = build_design(simulate(SMALL, seed=11), estimator.area, progress=False)
    return estimator.build_model(design)


def draws(compiled, model, seed: int = 3) -> dict:
    import nutpie

    values = {v.name: v.get_value() for v in model.data_vars}
    trace = nutpie.sample(with_data(compiled, values), draws=30, tune=30, chains=2, cores=2, seed=seed,
                          progress_bar=False, save_warmup=False)
    return {k: np.asarray(trace["posterior"][k].values) for k in ("sd_inspector", "inspector_effect", "cutpoints")}


def test_fast_route_gives_nutpies_draws(model):
    """Same graph, same seed: the draws agree to rounding (1e-8 relative: the two routes compile the same
    numba code, but in different units, so the last bits may differ and grow over 60 iterations)."""
    import nutpie

    names = stored_variables(model)
    fast = draws(compile_from_cache(model, names), model)
    slow = draws(nutpie.compile_pymc_model(model, var_names=names, backend="numba"), model)
    for k in fast:
        np.testing.assert_allclose(fast[k], slow[k], rtol=1e-8, err_msg=k)
    assert np.ptp(fast["sd_inspector"]) > 0  # the chains moved


def test_route_chosen_by_size(model, monkeypatch):
    import nutpie
    from nutpie.compiled_pyfunc import PyFuncModel

    names = stored_variables(model)
    assert isinstance(compile_for_nutpie(model, names, work=FAST_COMPILE_MAX_WORK), PyFuncModel)
    # above the threshold: nutpie's own compile (stubbed here; the draws test above runs it for real)
    monkeypatch.setattr(nutpie, "compile_pymc_model", lambda m, **kw: ("nutpie's compile", m, kw))
    assert compile_for_nutpie(model, names, work=FAST_COMPILE_MAX_WORK + 1) == (
        "nutpie's compile", model, {"var_names": names, "backend": "numba"})


def test_with_data_casts_and_checks_rank(model):
    compiled = compile_from_cache(model, stored_variables(model))
    y = model["y"].get_value()
    updated = with_data(compiled, {"y": y.astype(float)})
    assert updated._shared_data["y"].dtype == y.dtype  # cast back: a new dtype would compile a new overload
    with pytest.raises(ValueError, match="rank"):
        with_data(compiled, {"y": y[:, None]})


def test_failed_logp_is_recoverable(model):
    """nutpie's C callback turns an exception into a divergent step; the Python callback must say so too
    (an exception without ``is_recoverable`` stops every chain)."""
    compiled = compile_from_cache(model, stored_variables(model))
    logp = compiled._make_logp_func()
    x = compiled._make_initial_points(0)
    value, grad = logp(x, **compiled._shared_data)
    assert np.isfinite(value) and grad.shape == x.shape
    with pytest.raises(RecoverableLogpError) as err:
        logp(x[:-1], **compiled._shared_data)  # wrong length: numba raises inside the graph
    assert err.value.is_recoverable


def test_cache_rejects_unknown_data(model):
    with pytest.raises(KeyError, match="not data of this model"):
        NutpieCache().sample(model, chains=1, tune=1, draws=1, seed=1, data={"Y": model["y"].get_value()})


def test_cache_reuses_compiled_graph_for_new_data(model):
    cache = NutpieCache()
    y = model["y"].get_value()
    first = cache.sample(model, chains=2, tune=20, draws=20, seed=1)
    second = cache.sample(model, chains=2, tune=20, draws=20, seed=1, data={"y": np.sort(y)})
    assert cache.n_compiles == 1
    assert not np.allclose(first["posterior"]["cutpoints"].values, second["posterior"]["cutpoints"].values)
