"""Checking a fitted inspector model: posterior predictive checks, PSIS-LOO and prior sensitivity.

* :func:`posterior_predictive_checks`: replicated grades from the posterior (every inspection, the
  same inspectors, schools and years) against the observed grade shares, overall and by FSM quintile,
  phase and region (design note §6). A cell is *outside* when the observed share falls outside the
  central ``ci_prob`` predictive interval; with many cells a few are outside by chance (about
  ``1 - ci_prob`` of them), so :func:`ppc_summary` reports the count beside that expectation and the
  gate checks only the overall grade shares (a model that cannot reproduce them is wrong).
* :func:`loo` / :func:`compare`: PSIS-LOO (``arviz.loo`` / ``arviz.compare``) from the pointwise
  log-likelihood, computed here in numpy from the stored draws (no refit, no PyTensor graph).
* :func:`prior_sensitivity`: power-scaling sensitivity (Kallioinen et al. 2024,
  ``arviz.psense_summary``) of the reported parameters to the priors on the top-level parameters
  (beta, gamma, the SDs), by importance sampling, without refitting.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from inspect_audit.data import schemas
from inspect_audit.inspectors.posterior_summary import thin

if TYPE_CHECKING:  # the estimator imports this module: no import cycle at run time
    from inspect_audit.inspectors.estimator import InspectorModel

#: Groupings of the posterior predictive check.
PPC_GROUPS = ("overall", "fsm_quintile", "phase", "region")
#: Predictive interval of the overall-share gate (wide: a failure means the model is wrong, not unlucky).
GATE_PROB = 0.99


def _group_labels(model: InspectorModel) -> dict[str, np.ndarray]:
    """Each modelled inspection's FSM quintile, phase and region (from the design)."""
    d = model.design_
    raw = d.X + d.x_mean
    out = {"overall": np.full(d.n_obs, "all", dtype=object),
           "fsm_quintile": np.rint(raw[:, d.column("fsm_quintile")] + d.info.get("fsm_centre", 3.0))
           .astype(int).astype(str).astype(object),
           "phase": np.asarray(d.phase, dtype=object)}
    region = np.full(d.n_obs, str(d.info.get("reference", {}).get("region", "reference")), dtype=object)
    for k, name in enumerate(d.cov_names):
        if name.startswith("region["):
            region[raw[:, k] > 0.5] = name[len("region["):-1]
    out["region"] = region
    return out


def _probs_all(model: InspectorModel, draws: np.ndarray) -> np.ndarray:
    """Category probabilities (S', n, K), better-is-higher, for every modelled inspection."""
    parts = model._eta_parts(draws)
    eta = parts["xb"] + parts["a"] + parts["slope"] + parts["s"] + parts["t"]
    return model._probs(eta, parts["tau"], draws, parts["fsm_x"])


def posterior_predictive_checks(model: InspectorModel, n_draws: int = 400, seed: int = 0,
                                ci_prob: float | None = None) -> pd.DataFrame:
    """Observed vs replicated grade shares, overall and by FSM quintile, phase and region.

    Columns: check, group, grade (the scale's code), label, n (inspections in the group), observed,
    predicted_mean, ci_low, ci_high (central ``ci_prob`` interval of the replicated share), p_value
    (two-sided posterior predictive p: 2 min(P(rep <= obs), P(rep >= obs)), capped at 1), outside.
    """
    model._check_fitted()
    d = model.design_
    prob = model.ci_prob if ci_prob is None else ci_prob
    draws = thin(model._S, n_draws)
    K = d.n_levels
    rng = np.random.default_rng(seed)
    labels = _group_labels(model)
    sc = schemas.scale(d.scale)
    # replicate in chunks of draws: (S', n) grades, better-is-higher
    reps = np.empty((len(draws), d.n_obs), dtype=np.int8)
    for start in range(0, len(draws), 100):
        chunk = draws[start:start + 100]
        p = _probs_all(model, chunk)
        u = rng.random(p.shape[:2])[..., None]
        reps[start:start + len(chunk)] = (np.cumsum(p, axis=-1) < u).sum(axis=-1).clip(0, K - 1)
    rows = []
    for check in PPC_GROUPS:
        lab = labels[check]
        for group in sorted(set(lab), key=lambda g: (len(g), g)):
            sel = lab == group
            n = int(sel.sum())
            for code in sc.codes:
                k = K - code
                obs = float(np.mean(d.y[sel] == k))
                rep = (reps[:, sel] == k).mean(axis=1)
                lo, hi = np.quantile(rep, [(1 - prob) / 2, (1 + prob) / 2])
                pval = min(1.0, 2 * min(np.mean(rep <= obs), np.mean(rep >= obs)))
                rows.append({"check": check, "group": group, "grade": int(code), "label": sc.label(code), "n": n,
                             "observed": obs, "predicted_mean": float(rep.mean()), "ci_low": float(lo),
                             "ci_high": float(hi), "p_value": float(pval),
                             "outside": bool(obs < lo or obs > hi)})
    frame = pd.DataFrame(rows)
    frame.attrs.update({"ci_prob": prob, "n_draws": int(len(draws)), "seed": int(seed)})
    return frame


def ppc_summary(ppc: pd.DataFrame) -> dict:
    """Cells outside their interval (with the number expected by chance) and the overall-share gate.

    The gate (``ok``) passes when every overall grade share has a two-sided posterior predictive
    p-value above ``1 - GATE_PROB`` (i.e. lies inside the 99% predictive interval).
    """
    prob = ppc.attrs.get("ci_prob", 0.9)
    overall = ppc[ppc["check"] == "overall"]
    worst = ppc.sort_values("p_value").head(5)
    return {
        "ok": bool((overall["p_value"] > 1 - GATE_PROB).all()),
        "n_cells": int(len(ppc)), "n_outside": int(ppc["outside"].sum()),
        "expected_outside": float(len(ppc) * (1 - prob)), "ci_prob": prob,
        "overall_min_p": float(overall["p_value"].min()),
        "by_check": {c: int(g["outside"].sum()) for c, g in ppc.groupby("check")},
        "worst": worst[["check", "group", "label", "n", "observed", "ci_low", "ci_high", "p_value"]]
        .to_dict(orient="records"),
    }


# ---------------------------------------------------------------------- log-likelihood and LOO

def pointwise_log_likelihood(model: InspectorModel) -> xr.DataArray:
    """log p(y_i | draw) for every modelled inspection and every draw, dims (chain, draw, obs)."""
    model._check_fitted()
    d = model.design_
    out = np.empty((model._S, d.n_obs))
    for start in range(0, model._S, 200):
        chunk = np.arange(start, min(start + 200, model._S))
        p = _probs_all(model, chunk)
        out[chunk] = np.log(np.clip(np.take_along_axis(p, d.y[None, :, None].astype(int).repeat(len(chunk), axis=0),
                                                       axis=-1)[..., 0], 1e-300, None))
    return xr.DataArray(out.reshape(model.n_chains_, model.n_draws_, d.n_obs), dims=("chain", "draw", "obs"),
                        name="grade")


def _tree_with_loglik(model: InspectorModel) -> xr.DataTree:
    """Posterior plus pointwise log-likelihood, computed once per fitted model (LOO, compare and
    prior sensitivity all read it)."""
    if "loglik_tree" not in model._cache:
        post = model.idata_["posterior"].to_dataset()
        ll = pointwise_log_likelihood(model).assign_coords(chain=post["chain"].values, draw=post["draw"].values)
        model._cache["loglik_tree"] = xr.DataTree.from_dict({"posterior": post,
                                                             "log_likelihood": xr.Dataset({"grade": ll})})
    return model._cache["loglik_tree"]


def loo(model: InspectorModel) -> dict:
    """PSIS-LOO: elpd_loo with its SE, p_loo, and the count of Pareto k above 0.7 (unreliable)."""
    tree = _tree_with_loglik(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = az.loo(tree, pointwise=True)
    k = np.asarray(res.pareto_k).ravel()
    return {"elpd_loo": float(res.elpd), "se": float(res.se), "p_loo": float(res.p),
            "n": int(k.size), "n_pareto_k_above_0_7": int((k > 0.7).sum()), "max_pareto_k": float(np.nanmax(k))}


def compare(models: dict[str, InspectorModel]) -> pd.DataFrame:
    """``arviz.compare`` of fits to the *same* inspections (e.g. with and without the random slope).

    Columns as arviz (rank, elpd, p, elpd_diff, weight, se, dse, warning) plus n; the first row is the
    best model, and an elpd difference smaller than about 2 dse is not a meaningful preference.
    """
    ids = {name: tuple(m.design_.inspection_id) for name, m in models.items()}
    if len(set(ids.values())) > 1:
        raise ValueError("models compared by LOO must be fitted to the same inspections")
    trees = {name: _tree_with_loglik(m) for name, m in models.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.compare(trees, round_to="none")  # ArviZ rounds to 2 significant figures by default
    table = pd.DataFrame(table).copy()
    table["n"] = len(next(iter(ids.values())))
    return table


# ---------------------------------------------------------------------- prior sensitivity

def _log_prior(model: InspectorModel) -> xr.Dataset:
    """Log density of the top-level priors (model.py: beta N(0,1), gamma N(0,0.5), SDs half-normal)."""
    from inspect_audit.inspectors import model as model_mod

    post = model.idata_["posterior"].to_dataset()
    C, D = model.n_chains_, model.n_draws_
    scales = model_mod.PRIOR_SCALES
    terms = {}
    for name, (kind, scale) in scales.items():
        if name not in post:
            continue
        x = np.asarray(post[name].values, dtype=float).reshape(C, D, -1)
        dens = stats.norm.logpdf(x, 0.0, scale)
        if kind == "half":
            dens = dens + np.log(2.0)
        terms[name] = (("chain", "draw"), dens.sum(axis=-1))
    return xr.Dataset(terms, coords={"chain": post["chain"].values, "draw": post["draw"].values})


def prior_sensitivity(model: InspectorModel, var_names: tuple[str, ...] = ("sd_inspector", "sd_school", "sd_year",
                                                                          "beta", "gamma"),
                      threshold: float = 0.05) -> pd.DataFrame:
    """Power-scaling prior and likelihood sensitivity of the reported parameters (no refit).

    Columns: parameter, prior, likelihood (cumulative Jensen-Shannon distance per unit log-scaling;
    above ``threshold`` = sensitive) and diagnosis ("potential prior-data conflict", "potential strong
    prior / weak likelihood", or "ok"). Only the top-level priors are power-scaled.
    """
    tree = _tree_with_loglik(model).copy()
    tree["log_prior"] = xr.DataTree(_log_prior(model))
    names = [v for v in var_names if v in tree["posterior"].to_dataset()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("arviz_stats").setLevel(logging.ERROR)
        table = az.psense_summary(tree, var_names=names, threshold=threshold)
    table = pd.DataFrame(table).reset_index().rename(columns={"index": "parameter"})
    table["diagnosis"] = table["diagnosis"].replace({"✓": "ok"})
    return table


__all__ = ["posterior_predictive_checks", "ppc_summary", "pointwise_log_likelihood", "loo", "compare",
           "prior_sensitivity", "PPC_GROUPS"]
