"""The fused cumulative-logit kernel against an independent computation and against PyMC's OrderedLogistic."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.special import expit

from inspect_audit.inspectors.ordinal_likelihood import (cumulative_logit_value_and_grad, draw_ordered_logit,
                                                         linear_predictor, vector_exp, vector_log)


def _problem(seed: int, n: int = 400, spread: float = 2.0):
    rng = np.random.default_rng(seed)
    effects = rng.normal(0, 1, 30)
    effect_idx = np.column_stack([rng.integers(0, 10, n), rng.integers(10, 30, n)])
    scales = rng.uniform(0.5, 1.5, 7)
    scale_idx = np.column_stack([rng.integers(0, 3, n), rng.integers(3, 7, n)])
    args = dict(offset=rng.normal(0, spread, n), effects=effects, effect_idx=effect_idx, scales=scales,
                scale_idx=scale_idx, cut=np.array([-2.5, -0.4, 1.8]), y=rng.integers(0, 4, n),
                w=rng.uniform(0.5, 3.0, n))
    return args


@pytest.mark.parametrize("fastmath", [False, True])
@pytest.mark.parametrize("n", [1, 3, 4, 5, 8, 17, 1001])
def test_vector_exp_and_log_match_libm(n, fastmath):
    # every length (vectorised body and scalar remainder) and the range used: exp on [-700, 0] to 1e-13
    # relative (4e-16 without fast-math), log on [2^-1022, 1] to a few ulp
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.uniform(-700, 0, n), rng.uniform(-3, 0, n), [-700.0, -1e-300, 0.0, -0.5 * np.log(2)]])
    # PyTensor compiles the kernel with fast-math flags (and numba's cache may then serve that build to every
    # caller): reassociation merges the two-part ln 2 (relative error up to k ulp, 2e-14 at x = -700), but
    # must not break the algorithm (a rounding trick did: exp = 1). Tolerances hold for both builds.
    exp, log = ((numba.njit(fastmath=True, error_model="numpy")(f.py_func) if fastmath else f)
                for f in (vector_exp, vector_log))
    np.testing.assert_allclose(exp(x, np.empty_like(x)), np.exp(x), rtol=1e-13, atol=0)
    p = np.concatenate([np.exp(rng.uniform(-700, 0, n)), [1.0, 2.0**-1022, 0.5, np.sqrt(0.5), 1 - 1e-16]])
    np.testing.assert_allclose(log(p, np.empty_like(p)), np.log(p), rtol=1e-15, atol=1e-15)


def _reference_logp(offset, effects, effect_idx, scales, scale_idx, cut, y, w) -> float:
    """Direct log(F(upper) - F(lower)) in numpy (fine for moderate eta)."""
    eta, s = linear_predictor(offset, effects, effect_idx, scales, scale_idx)
    c = np.concatenate([[-np.inf], cut, [np.inf]])
    p = expit((c[y + 1] - eta) * s) - expit((c[y] - eta) * s)
    return float(np.sum(w * np.log(p)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_matches_direct_formula(seed):
    a = _problem(seed)
    total = cumulative_logit_value_and_grad(*a.values())[0][0]
    assert total == pytest.approx(_reference_logp(**a), rel=1e-12)


def test_gradients_match_finite_differences():
    # central differences with h = 1e-6 have error ~1e-9 relative to terms of order 1; tolerance 1e-6
    a = _problem(3, n=200)
    _, g_offset, g_effects, g_scales, g_cut = cumulative_logit_value_and_grad(*a.values())
    h = 1e-6
    for name, grad in (("offset", g_offset), ("effects", g_effects), ("scales", g_scales), ("cut", g_cut)):
        for j in range(0, len(a[name]), max(1, len(a[name]) // 7)):
            up, down = dict(a), dict(a)
            up[name], down[name] = a[name].copy(), a[name].copy()
            up[name][j] += h
            down[name][j] -= h
            fd = (_reference_logp(**up) - _reference_logp(**down)) / (2 * h)
            assert grad[j] == pytest.approx(fd, rel=1e-6, abs=1e-6), (name, j)


def test_extreme_linear_predictors_stay_finite():
    # rows 100-1000 logits from the cutpoints: the direct formula underflows to log(0); the kernel must
    # return the asymptote (about -|distance| for the far side) with finite gradients
    eta = np.array([-1000.0, -200.0, -40.0, 0.0, 40.0, 200.0, 1000.0])
    n = len(eta)
    for k in range(4):
        out = cumulative_logit_value_and_grad(eta, np.zeros(0), np.zeros((n, 0), np.int64), np.zeros(0),
                                              np.zeros((n, 0), np.int64), np.array([-2.0, 0.0, 2.0]),
                                              np.full(n, k), np.ones(n))
        assert np.isfinite(out[0][0])
        assert all(np.isfinite(g).all() for g in out[1:])
        # grade 0 at eta = -1000 is almost certain; grade 3 at eta = +1000 too
        if k in (0, 3):
            single = cumulative_logit_value_and_grad(eta[[0 if k == 0 else -1]], np.zeros(0), np.zeros((1, 0), np.int64),
                                                     np.zeros(0), np.zeros((1, 0), np.int64),
                                                     np.array([-2.0, 0.0, 2.0]), np.array([k]), np.ones(1))
            assert single[0][0] == pytest.approx(0.0, abs=1e-12)


def test_unordered_cutpoints_give_minus_infinity():
    a = _problem(4, n=20)
    a["cut"] = np.array([0.5, -0.5, 1.0])
    assert cumulative_logit_value_and_grad(*a.values())[0][0] == -np.inf


def test_draws_follow_the_model_probabilities():
    # 200,000 draws at one eta: each grade's share within 4 binomial SEs of its probability
    rng = np.random.default_rng(5)
    cut, eta, s = np.array([-1.0, 0.3, 2.0]), np.full(200_000, 0.4), 0.8
    y = draw_ordered_logit(eta, cut, s, rng)
    c = np.concatenate([[-np.inf], cut, [np.inf]])
    p = expit((c[1:] - 0.4) * s) - expit((c[:-1] - 0.4) * s)
    share = np.bincount(y, minlength=4) / len(y)
    se = np.sqrt(p * (1 - p) / len(y))
    assert np.all(np.abs(share - p) < 4 * se)


@pytest.mark.parametrize("options", [{}, {"consistency": True, "random_slope": True, "year_effects": "centred"},
                                     {"year_effects": "fixed"},
                                     {"weighted": True}])
def test_fused_model_equals_ordered_logistic_model(options):
    """Whole-model logp and gradient, fused kernel vs pm.OrderedLogistic; ``weighted``: rows with weights
    (collapsed designs, no school effects), where both paths enter the likelihood as a potential."""
    from dataclasses import replace

    from inspect_audit.inspectors.design import build_design
    from inspect_audit.inspectors.model import build_model
    from inspect_audit.data.simulate import SimulationConfig, simulate

    data = simulate(SimulationConfig(n_schools=200, n_inspectors=15, paired_n_schools=0, survey_n_schools=0), seed=2)
    options = dict(options)
    if options.pop("weighted", False):
        d = build_design(data, school_effect="none")
        d = replace(d, weights=np.random.default_rng(3).uniform(0.5, 3.0, d.n_obs))
    else:
        d = build_design(data)
    values = []
    for fused in (True, False):
        m = build_model(d, fused_likelihood=fused, **options)
        f = m.logp_dlogp_function(ravel_inputs=True)
        point = m.initial_point(0)
        x = np.concatenate([np.ravel(point[v.name]) for v in m.continuous_value_vars])
        x = x + 0.3 * np.random.default_rng(0).standard_normal(x.shape)
        values.append(f(x))
    (lp_a, g_a), (lp_b, g_b) = values
    assert lp_a == pytest.approx(lp_b, rel=1e-10)
    np.testing.assert_allclose(g_a, g_b, rtol=1e-8, atol=1e-10)
