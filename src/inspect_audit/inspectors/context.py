"""Context fairness without inspector identities: do grades fall with deprivation, before and after progress?

Public data (e.g. the bundled England tables) do not name inspectors, so model M1 cannot be fitted.
This module fits M1 *without the inspector term* (design note ``bayes-inspector-model.md`` §3c), one
phase at a time, with the same design and model code:

    y*_i = x_i'beta + t_cell[i] + e_i,   e_i ~ Logistic(0, 1)     (better-is-higher grades)

x = FSM quintile - 3 (linear, per quintile step), region indicators (missing region = its own level
``unknown`` by default), school size (log pupils, standardised within phase) and, for the **direct**
estimand only, progress (KS2 progress / Progress 8 standardised within phase, plus a missing
indicator). t = academic-year x framework effects (sum-to-zero, partially pooled). There is no school
effect: the bundled data have one inspection per school.

Estimands (per phase):

* ``total``: FSM association without progress;
* ``direct``: FSM association holding progress fixed. Progress is partly a *mediator* of
  deprivation (deprivation -> progress -> grade), so "direct" is not "bias", and neither is causal.

Identical (covariates, year cell, grade) rows are collapsed into counts (a weighted likelihood), which
matters when every covariate is discrete; the weighted model is used for every fit so all fits share
one compiled graph.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from inspect_audit.data import schemas
from inspect_audit._core.cumulative_logit import category_probs
from inspect_audit.inspectors import diagnostics as diag_mod
from inspect_audit.data.dataset import as_tables
from inspect_audit.inspectors.design import (Design, context_columns, covariate_matrix,
                                             graded_rows, merge_small_cells, year_framework_cells)
from inspect_audit.inspectors.diagnostics import ConvergenceWarning
from inspect_audit.inspectors.posterior_summary import _interval, _jsonable, _summ

PHASES = ("primary", "secondary")
#: estimand -> progress in the model
ESTIMANDS = {"total": False, "direct": True}
COLUMNS = ["term", "phase", "estimand", "scale", "outcome", "mean", "sd", "ci_low", "ci_high", "description"]
CONTEXT_FILES = ("context_effects.csv", "adjusted_grade_shares.csv", "observed_grade_shares.csv",
                 "fsm_total_vs_direct.csv", "diagnostics.json")


# ====================================================================== design

def context_rows(data, phase: str, area: str = "overall_effectiveness", *, missing_region: str = "category",
                 max_rows: int | None = None, seed: int = 0) -> tuple[pd.DataFrame, str, dict]:
    """Graded inspections of one phase joined to school context, before any model choice.

    Rows with no FSM quintile or date are dropped; a missing region becomes level ``unknown``
    (``missing_region="category"``) or drops the row (``"drop"``). ``max_rows`` keeps a seeded random
    subsample (the same rows for every estimand). Returns rows, scale name and an info dict.
    """
    if missing_region not in ("category", "drop"):
        raise ValueError("missing_region must be 'category' or 'drop'")
    t = as_tables(data)
    missing = [n for n in ("schools", "inspections", "judgements") if n not in t]
    if missing:
        raise ValueError(f"missing tables: {', '.join(missing)}")
    info: dict = {"area": area, "phase": phase}
    f, scale_name, drops = graded_rows(t, area, info)
    cols = [c for c in ("urn", "phase", "region", "fsm_quintile", "pupils", "ks2_progress", "progress8")
            if c in t["schools"].columns]
    f = f.merge(t["schools"][cols], on="urn", how="left")
    for c in ("phase", "region", "fsm_quintile", "pupils"):
        if c not in f:
            f[c] = np.nan
    f = f[f["phase"].astype("object") == phase]
    if f.empty:
        raise ValueError(f"no {area} grades for phase {phase!r}")
    n_phase = len(f)
    miss_region = f["region"].isna()
    if missing_region == "category":
        f["region"] = f["region"].astype("object").where(~miss_region, "unknown")
        drops["missing_region"] = 0
    else:
        drops["missing_region"] = int(miss_region.sum())
        f = f[~miss_region]
    info["n_region_unknown"] = int(miss_region.sum()) if missing_region == "category" else 0
    bad = f["fsm_quintile"].isna() | f["start_date"].isna()
    drops["missing_fsm_or_date"] = int(bad.sum())
    f = f[~bad].reset_index(drop=True)
    if max_rows is not None and len(f) > max_rows:
        rng = np.random.default_rng([int(seed), sum(map(ord, phase))])
        keep = np.sort(rng.choice(len(f), size=int(max_rows), replace=False))
        drops["subsampled_out"] = int(len(f) - max_rows)
        f = f.iloc[keep].reset_index(drop=True)
    for c in ("inspection_id", "urn", "phase", "region", "framework"):
        f[c] = f[c].astype(str)
    info["n_phase_graded"] = int(n_phase)
    info["dropped"] = drops
    return f, scale_name, info


def collapse(design: Design) -> Design:
    """Merge rows with identical covariates, year cell and grade into one weighted row."""
    key = np.column_stack([design.X, design.year_idx, design.y])
    _, first, inverse, counts = np.unique(key, axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
    info = {**design.info, "collapsed": {"rows": int(design.n_obs), "distinct": int(len(first))}}
    w = counts.astype(float) if design.weights is None else np.bincount(inverse.ravel(), weights=design.weights)
    return replace(design, inspection_id=design.inspection_id[first], urn=design.urn[first],
                   phase=design.phase[first], y=design.y[first], X=design.X[first],
                   insp_idx=design.insp_idx[first], year_idx=design.year_idx[first],
                   school_idx=design.school_idx[first], info=info, weights=w)


def build_context_design(data, phase: str, *, progress: bool, area: str = "overall_effectiveness",
                         missing_region: str = "category", max_rows: int | None = None, seed: int = 0,
                         collapse_rows: bool = True, min_cell: int = 100) -> Design:
    """A :class:`Design` for the context model of one phase (no inspectors, no school effects).

    Covariates come from :func:`~inspect_audit.inspectors.design.context_columns` (FSM quintile,
    region, size and, with ``progress``, progress); year x framework cells with fewer than ``min_cell``
    inspections are merged with a neighbour. The design always carries row weights (counts of
    identical rows when ``collapse_rows``, else ones).
    """
    f, scale_name, info = context_rows(data, phase, area, missing_region=missing_region,
                                       max_rows=max_rows, seed=seed)
    sc = schemas.scale(scale_name)
    cols_x, cov_info = context_columns(f, progress=progress, phase=False, region=True, size=True)
    info.update(cov_info)
    cov_names, X, x_mean = covariate_matrix(cols_x, info)
    if "fsm_quintile" not in cov_names:
        raise ValueError(f"FSM quintile does not vary among {phase} inspections")
    year_cells, year_idx = year_framework_cells(f)
    n_cells = len(year_cells)
    year_cells, year_idx = merge_small_cells(year_cells, year_idx, min_cell)
    info["year_cells_merged"] = int(n_cells - len(year_cells))
    codes = pd.to_numeric(f["grade"]).to_numpy(int)
    if not np.isin(codes, sc.codes).all():
        raise ValueError(f"grades outside scale {scale_name!r}: {sorted(set(codes) - set(sc.codes))}")
    n = len(f)
    info["n"] = {"inspections": int(n), "schools": int(f["urn"].nunique()), "year_cells": int(len(year_cells)),
                 "inspectors": 0, "school_effects": 0}
    info["grade_counts"] = {str(c): int((codes == c).sum()) for c in sc.codes}
    info["progress"] = bool(progress)
    d = Design(area=area, scale=scale_name, inspection_id=f["inspection_id"].to_numpy(), urn=f["urn"].to_numpy(),
               phase=f["phase"].to_numpy(), y=len(sc.codes) - codes, X=X, cov_names=cov_names, x_mean=x_mean,
               insp_idx=np.zeros(n, dtype=int), inspector_ids=np.array([], dtype=str), W=np.zeros((0, 0)),
               w_names=[], w_mean=np.zeros(0), year_idx=year_idx, year_cells=year_cells,
               school_idx=np.full(n, -1, dtype=int), repeat_urns=np.array([], dtype=str), info=info,
               weights=np.ones(n))
    return collapse(d) if collapse_rows else d


def _union(lists: list[list[str]]) -> list[str]:
    out: list[str] = []
    for names in lists:
        out += [n for n in names if n not in out]
    return out


def _anchor(y: np.ndarray, n_levels: int) -> int:
    """The cutpoint whose cumulative share is nearest 1/2 (as ``anchored_cutpoints``), on pooled grades."""
    counts = np.bincount(y, minlength=n_levels).astype(float) + 0.5
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return int(np.argmin(np.abs(cum - 0.5)))


def _pad(d: Design, cov_names: list[str], T: int) -> tuple[Design, np.ndarray]:
    """The design on a shared layout: zero columns for covariates it lacks (their coefficients are
    sampled from the prior and dropped afterwards) and empty year cells up to ``T`` (mask 0)."""
    X = np.zeros((d.n_obs, len(cov_names)))
    x_mean = np.zeros(len(cov_names))
    for k, name in enumerate(d.cov_names):
        X[:, cov_names.index(name)] = d.X[:, k]
        x_mean[cov_names.index(name)] = d.x_mean[k]
    extra = T - len(d.year_cells)
    cells = np.concatenate([d.year_cells, [f"(padding {i})" for i in range(extra)]]).astype(str)
    mask = np.r_[np.ones(len(d.year_cells)), np.zeros(extra)]
    return replace(d, X=X, x_mean=x_mean, cov_names=list(cov_names), year_cells=cells), mask


def _strip(idata, d: Design, padded: Design):
    """Posterior of the padded model restricted to the design's own covariates and year cells."""
    post = idata["posterior"].to_dataset() if hasattr(idata["posterior"], "to_dataset") else idata["posterior"]
    attrs = dict(post.attrs)
    post = post.assign_coords(cov=list(padded.cov_names), year=list(padded.year_cells))
    post = post.sel(cov=list(d.cov_names), year=list(d.year_cells))
    drop = [v for v in post.data_vars if v.startswith("year_raw")]
    post = post.drop_vars(drop)
    post.attrs.update(attrs)
    tree = idata.copy()
    tree["posterior"] = xr.DataTree(post)
    return tree


# ====================================================================== one fitted phase x estimand

@dataclass
class _Fit:
    phase: str
    estimand: str
    design: Design
    idata: object
    draws: dict
    diagnostics: dict
    seconds: float = float("nan")

    @property
    def S(self) -> int:
        return len(self.draws["sd_year"])


def _draws_of(idata) -> dict:
    post = idata["posterior"].to_dataset() if hasattr(idata["posterior"], "to_dataset") else idata["posterior"]
    c, d = int(post.sizes["chain"]), int(post.sizes["draw"])
    return {k: np.asarray(v.values, dtype=float).reshape(c * d, *v.shape[2:]) for k, v in post.data_vars.items()}


def _boundary(scale_name: str) -> tuple[int, str]:
    """(m, label): P(good or better) = P(y >= m) on the better-is-higher scale."""
    sc = schemas.scale(scale_name)
    K = len(sc.codes)
    key = next((k for k in sc.boundaries if k.endswith("_or_better")), None)
    codes = sc.boundaries[key] if key else sc.codes[: K // 2]
    return K - max(codes), key or (sc.label(max(codes)).lower().replace(" ", "_") + "_or_better")


class ContextModel:
    """Cumulative-logit model of grades on school context, by phase, without inspector identities.

    Parameters
    ----------
    area : judgement area (default overall effectiveness).
    phases : phases fitted separately (default primary and secondary).
    estimands : ``"total"`` (no progress) and/or ``"direct"`` (with progress).
    missing_region : ``"category"`` (level ``unknown``) or ``"drop"``.
    collapse_rows : merge identical rows into counts.
    ci_prob : equal-tailed interval mass (default 0.90).
    max_draws_summary : posterior draws used for the probability-scale summaries.

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.inspectors.context import ContextModel
    >>> # not run here: a Bayesian fit takes minutes; the tests (tests/test_inspectors*.py) run it with short settings
    >>> cm = ContextModel().fit(load_england(), chains=4, tune=1000, draws=1000, seed=1)  # doctest: +SKIP
    >>> cm.context_effects().query("term == 'fsm_quintile' and scale == 'logit'")  # doctest: +SKIP
    """

    def __init__(self, area: str = "overall_effectiveness", phases=PHASES, estimands=tuple(ESTIMANDS), *,
                 missing_region: str = "category", collapse_rows: bool = True, ci_prob: float = 0.90,
                 target_accept: float = 0.9, adaptation: str = "low_rank", min_cell: int = 100,
                 max_draws_summary: int = 1000, gates: dict | None = None):
        bad = [e for e in estimands if e not in ESTIMANDS]
        if bad:
            raise ValueError(f"unknown estimand(s) {bad}; choose from {list(ESTIMANDS)}")
        self.area = area
        self.phases = tuple(phases)
        self.estimands = tuple(estimands)
        self.missing_region = missing_region
        self.collapse_rows = collapse_rows
        self.ci_prob = ci_prob
        self.target_accept = target_accept
        self.adaptation = adaptation
        self.min_cell = min_cell
        self.max_draws_summary = max_draws_summary
        self.gates = {**diag_mod.GATES, **(gates or {})}

    _OPTIONS = ("area", "phases", "estimands", "missing_region", "collapse_rows", "ci_prob", "target_accept",
                "adaptation", "min_cell", "max_draws_summary", "gates")

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in self._OPTIONS}

    # ------------------------------------------------------------------ fitting
    def fit(self, data, chains: int = 4, tune: int = 1000, draws: int = 1000, seed: int | None = None, *,
            max_rows: int | None = None, progress: bool = True, cores: int | None = None) -> "ContextModel":
        """Fit every phase x estimand with nutpie; ``max_rows`` subsamples each phase (seeded).

        Data: a mapping with ``schools``, ``inspections``, ``judgements`` (e.g.
        :func:`inspect_audit.data.bundled.load_england`), a ``ValidationReport`` or ``SimulatedData``.
        All fits are padded to one layout (the union of covariates, the largest number of year cells)
        so nutpie compiles the model once; padding columns and cells are dropped from the results.
        Emits a :class:`~inspect_audit.inspectors.ConvergenceWarning` when any fit fails the gates.
        """
        from inspect_audit.inspectors.model import NutpieCache, build_model

        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**31))
        self.tables_ = as_tables(data)
        t_all = time.perf_counter()
        designs = {(phase, est): build_context_design(
            self.tables_, phase, progress=ESTIMANDS[est], area=self.area, missing_region=self.missing_region,
            max_rows=max_rows, seed=seed, collapse_rows=self.collapse_rows, min_cell=self.min_cell)
            for phase in self.phases for est in self.estimands}
        cov_union = _union([d.cov_names for d in designs.values()])
        T_max = max(len(d.year_cells) for d in designs.values())
        pooled = np.concatenate([np.repeat(d.y, d.weights.astype(int)) for d in designs.values()])
        anchor = _anchor(pooled, next(iter(designs.values())).n_levels)
        cache = NutpieCache.shared()
        compiles_before = cache.n_compiles
        self.fits_: dict[tuple[str, str], _Fit] = {}
        for i, ((phase, est), d) in enumerate(designs.items()):
            t0 = time.perf_counter()
            padded, mask = _pad(d, cov_union, T_max)
            model = build_model(padded, marginalise_single=False, marginal_cutpoints=False, anchored=True,
                                cutpoint_anchor=anchor, year_effects="centred" if T_max > 1 else "none",
                                year_mask=mask, zero_sum=True)
            if progress:
                print(f"context model {phase}/{est}: {d.info['n']['inspections']} inspections "
                      f"({d.n_obs} distinct rows), {len(d.cov_names)} covariates, {len(d.year_cells)} year "
                      f"cells; sampling...",
                      file=sys.stderr, flush=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                idata = cache.sample(model, chains=chains, tune=tune, draws=draws, seed=int(seed) + i,
                                     target_accept=self.target_accept, adaptation=self.adaptation, cores=cores)
            idata = _strip(idata, d, padded)
            diag = diag_mod.compute(idata, self.gates)
            fit = _Fit(phase, est, d, idata, _draws_of(idata), diag, round(time.perf_counter() - t0, 2))
            self.fits_[(phase, est)] = fit
            if progress:
                print(f"context model {phase}/{est}: {fit.seconds:.0f} s; max R-hat {diag['max_rhat']:.3f}, "
                      f"min ESS bulk {diag['min_ess_bulk']:.0f}, divergences {diag['divergences']}: "
                      f"{'OK' if diag['ok'] else 'NOT OK'}", file=sys.stderr, flush=True)
        self.fit_settings_ = {"chains": chains, "tune": tune, "draws": draws, "seed": int(seed),
                              "max_rows": max_rows, "sampler": "nutpie", "adaptation": self.adaptation,
                              "n_compiles": cache.n_compiles - compiles_before}
        self.timing_ = {"wall_seconds": round(time.perf_counter() - t_all, 2)}
        self._cache: dict = {}
        diag = self.diagnostics()
        if not diag["ok"]:
            warnings.warn(f"CONTEXT MODEL DID NOT CONVERGE ({diag['worst_fit']}): {diag_mod.explain(diag)}. "
                          "Rerun with more tuning/draws (e.g. chains=4, tune=1000, draws=1000) before using "
                          "any result.", ConvergenceWarning, stacklevel=2)
        return self

    def _check_fitted(self) -> None:
        if not getattr(self, "fits_", None):
            raise RuntimeError("fit the model (or load a saved fit) first")

    # ------------------------------------------------------------------ posterior helpers
    def _subset(self, fit: _Fit) -> np.ndarray:
        S = fit.S
        if S <= self.max_draws_summary:
            return np.arange(S)
        return np.linspace(0, S - 1, self.max_draws_summary).round().astype(int)

    @staticmethod
    def _fsm_raw(d: Design) -> np.ndarray:
        k = d.column("fsm_quintile")
        return d.X[:, k] + d.x_mean[k] + d.info.get("fsm_centre", 3.0)

    def _category_shares(self, fit: _Fit, draws: np.ndarray, fsm: float | None = None,
                         shift: np.ndarray | None = None, chunk: int = 250) -> np.ndarray:
        """Weighted mean category probabilities over the phase's inspections, (S', K) better-is-higher.

        ``fsm``: every inspection set to this FSM quintile (others as observed, g-computation);
        ``shift``: extra linear-predictor shift per row (e.g. +beta_progress)."""
        d = fit.design
        w = d.weights if d.weights is not None else np.ones(d.n_obs)
        w = w / w.sum()
        K = d.n_levels
        kf = d.column("fsm_quintile")
        out = np.empty((len(draws), K))
        fsm_raw = self._fsm_raw(d)
        for start in range(0, len(draws), chunk):
            s = draws[start:start + chunk]
            beta = fit.draws["beta"][s]
            eta = beta @ d.X.T + fit.draws["year_effect"][s][:, d.year_idx]
            if fsm is not None:
                eta = eta + beta[:, [kf]] * (fsm - fsm_raw)[None, :]
            if shift is not None:
                eta = eta + shift[start:start + chunk, None]
            cuts = fit.draws["cutpoints"][s]
            out[start:start + chunk] = np.einsum("snk,n->sk", category_probs(cuts[:, None, :], eta), w)
        return out

    def _quintile_shares(self, fit: _Fit) -> dict[int, np.ndarray]:
        key = ("q", fit.phase, fit.estimand)
        if key not in self._cache:
            draws = self._subset(fit)
            self._cache[key] = {q: self._category_shares(fit, draws, fsm=float(q)) for q in range(1, 6)}
        return self._cache[key]

    def _row(self, term, fit, scale, outcome, x, description) -> dict:
        s = _summ(np.asarray(x, dtype=float), self.ci_prob)
        return {"term": term, "phase": fit.phase, "estimand": fit.estimand, "scale": scale, "outcome": outcome,
                "mean": s["mean"], "sd": s["sd"], "ci_low": s["ci_low"], "ci_high": s["ci_high"],
                "description": description}

    # ------------------------------------------------------------------ tables
    def context_effects(self) -> pd.DataFrame:
        """Effects on the chance of a better grade (positive = better), per phase and estimand.

        Rows: ``fsm_quintile`` on the logit scale (per quintile more deprived) and on the probability
        scale (outcome ``outstanding`` and ``good_or_better``, on report cards ``exceptional`` and
        ``expected_or_better``: the scale's best grade and boundary; average change in the probability when
        every inspection's school is moved from FSM quintile 1 to 5, other covariates and years as
        observed); ``progress`` (direct only; logit per SD and P(good or better) per +1 SD);
        ``size`` (per SD of log pupils), region levels vs the most common region, missing indicators,
        and ``sd_year`` (SD of year x framework effects), all logit.
        """
        self._check_fitted()
        if "effects" in self._cache:
            return self._cache["effects"].copy()
        out = []
        for (phase, est), fit in self.fits_.items():
            d = fit.design
            beta = fit.draws["beta"]
            m, good = _boundary(d.scale)
            K = d.n_levels
            adj = "adjusted for progress, region, size, year" if est == "direct" else \
                "adjusted for region, size, year (not progress)"
            kf = d.column("fsm_quintile")
            out.append(self._row("fsm_quintile", fit, "logit", "", beta[:, kf],
                                 f"log-odds of a better grade per FSM quintile more deprived ({est}; {adj})"))
            qs = self._quintile_shares(fit)
            best = schemas.scale(d.scale).labels[0]  # Outstanding (legacy_4), Exceptional (report_card_5)
            out.append(self._row("fsm_quintile", fit, "probability", best.lower().replace(" ", "_"),
                                 qs[5][:, K - 1] - qs[1][:, K - 1],
                                 f"change in P({best}), FSM quintile 1 -> 5 ({est})"))
            out.append(self._row("fsm_quintile", fit, "probability", good,
                                 qs[5][:, m:].sum(axis=1) - qs[1][:, m:].sum(axis=1),
                                 f"change in P({good.replace('_', ' ')}), FSM quintile 1 -> 5 ({est})"))
            for k, name in enumerate(d.cov_names):
                if name == "fsm_quintile":
                    continue
                if name == "progress":
                    desc = "log-odds of a better grade per SD of progress (within phase)"
                elif name == "size":
                    desc = "log-odds of a better grade per SD of log(pupils) (within phase)"
                elif name.endswith("_missing"):
                    desc = f"log-odds of a better grade when {name[:-8]} is missing"
                else:
                    ref = d.info.get("reference", {}).get(name.split("[")[0], "reference")
                    desc = f"log-odds of a better grade vs {ref}"
                out.append(self._row(name, fit, "logit", "", beta[:, k], desc))
                if name == "progress":
                    draws = self._subset(fit)
                    base = self._category_shares(fit, draws)
                    up = self._category_shares(fit, draws, shift=beta[draws, k])
                    out.append(self._row("progress", fit, "probability", good,
                                         up[:, m:].sum(axis=1) - base[:, m:].sum(axis=1),
                                         f"change in P({good.replace('_', ' ')}) with progress +1 SD"))
            out.append(self._row("sd_year", fit, "logit", "", fit.draws["sd_year"],
                                 "SD of academic-year x framework effects"))
        frame = pd.DataFrame(out, columns=COLUMNS)
        self._cache["effects"] = frame
        return frame.copy()

    def adjusted_shares(self) -> pd.DataFrame:
        """Model-adjusted grade shares by FSM quintile (g-computation): every inspection of the phase
        set to quintile q, other covariates and year effects as observed, weighted average of the
        grade probabilities. Columns: phase, estimand, fsm_quintile, grade (Ofsted code), label,
        mean, ci_low, ci_high; plus ``good_or_better`` rows (grade 0)."""
        self._check_fitted()
        rows = []
        for (phase, est), fit in self.fits_.items():
            sc = schemas.scale(fit.design.scale)
            K = fit.design.n_levels
            m, good = _boundary(fit.design.scale)
            for q, p in self._quintile_shares(fit).items():
                for code in sc.codes:
                    x = p[:, K - code]
                    lo, hi = _interval(x, self.ci_prob)
                    rows.append({"phase": phase, "estimand": est, "fsm_quintile": q, "grade": int(code),
                                 "label": sc.label(code), "mean": float(x.mean()), "ci_low": float(lo),
                                 "ci_high": float(hi)})
                x = p[:, m:].sum(axis=1)
                lo, hi = _interval(x, self.ci_prob)
                rows.append({"phase": phase, "estimand": est, "fsm_quintile": q, "grade": 0,
                             "label": good.replace("_", " ").capitalize(), "mean": float(x.mean()),
                             "ci_low": float(lo), "ci_high": float(hi)})
        return pd.DataFrame(rows)

    def observed_shares(self) -> pd.DataFrame:
        """Raw grade shares by FSM quintile among the modelled inspections (phase, fsm_quintile, grade,
        label, n, share), plus ``good_or_better`` rows (grade 0)."""
        self._check_fitted()
        rows = []
        for (phase, est), fit in self.fits_.items():
            if est != self.estimands[0]:
                continue
            d = fit.design
            sc = schemas.scale(d.scale)
            K = d.n_levels
            m, good = _boundary(d.scale)
            w = d.weights if d.weights is not None else np.ones(d.n_obs)
            fsm = np.rint(self._fsm_raw(d)).astype(int)
            for q in range(1, 6):
                sel = fsm == q
                n = float(w[sel].sum())
                for code in [*sc.codes, 0]:
                    hit = d.y[sel] >= m if code == 0 else d.y[sel] == K - code
                    rows.append({"phase": phase, "fsm_quintile": q, "grade": int(code),
                                 "label": sc.label(code) if code else good.replace("_", " ").capitalize(),
                                 "n": int(n), "share": float(w[sel][hit].sum() / n) if n else np.nan})
        return pd.DataFrame(rows)

    def fsm_total_vs_direct(self, seed: int = 0) -> pd.DataFrame:
        """Per phase: how much of the total FSM association remains once progress is held fixed.

        ``share_remaining_logit`` = beta_direct / beta_total and ``share_remaining_probability`` =
        (change in P(good or better), quintile 1 -> 5, direct) / (same, total). The two fits are
        separate posteriors, so their draws are paired at random (independence; the intervals are
        approximate). The probability-scale ratio is the one to read: logit coefficients change when
        a covariate is added even without mediation (non-collapsibility).
        """
        self._check_fitted()
        eff = self.context_effects()
        rows = []
        rng = np.random.default_rng(seed)
        for phase in self.phases:
            if (phase, "total") not in self.fits_ or (phase, "direct") not in self.fits_:
                continue
            ft, fd = self.fits_[(phase, "total")], self.fits_[(phase, "direct")]
            m, good = _boundary(ft.design.scale)
            bt = ft.draws["beta"][:, ft.design.column("fsm_quintile")]
            bd = fd.draws["beta"][:, fd.design.column("fsm_quintile")]
            n = min(len(bt), len(bd))
            bt, bd = rng.permutation(bt)[:n], rng.permutation(bd)[:n]
            qt, qd = self._quintile_shares(ft), self._quintile_shares(fd)
            pt_ = qt[5][:, m:].sum(axis=1) - qt[1][:, m:].sum(axis=1)
            pd_ = qd[5][:, m:].sum(axis=1) - qd[1][:, m:].sum(axis=1)
            n2 = min(len(pt_), len(pd_))
            pt_, pd_ = rng.permutation(pt_)[:n2], rng.permutation(pd_)[:n2]
            for stat, x in (("share_remaining_logit", bd / bt), ("share_remaining_probability", pd_ / pt_)):
                s = _summ(x, self.ci_prob)
                rows.append({"phase": phase, "statistic": stat, "mean": s["median"], "ci_low": s["ci_low"],
                             "ci_high": s["ci_high"]})
            for est in ("total", "direct"):
                e = eff[(eff.phase == phase) & (eff.estimand == est) & (eff.term == "fsm_quintile")]
                for r in e.itertuples():
                    stat = f"{est}_logit" if r.scale == "logit" else f"{est}_p_{r.outcome}"
                    rows.append({"phase": phase, "statistic": stat, "mean": r.mean, "ci_low": r.ci_low,
                                 "ci_high": r.ci_high})
        return pd.DataFrame(rows, columns=["phase", "statistic", "mean", "ci_low", "ci_high"])

    # ------------------------------------------------------------------ diagnostics
    def diagnostics(self) -> dict:
        """Gates over every fit: ``ok`` only if each phase x estimand passes (R-hat <= 1.01, bulk and
        tail ESS >= 400, no divergences, E-BFMI > 0.3). Per-fit details under ``fits``."""
        self._check_fitted()
        fits = {f"{p}/{e}": f.diagnostics for (p, e), f in self.fits_.items()}
        def worst(key, fn):
            vals = {k: (v[key] if np.isfinite(v[key]) else (np.inf if fn is max else -np.inf))
                    for k, v in fits.items()}
            k = fn(vals, key=vals.get)
            return float(fits[k][key]), f"{k}: {fits[k].get(key + '_variable', '')}", k

        vals = list(fits.values())
        max_rhat, rhat_var, worst_fit = worst("max_rhat", max)
        min_bulk, bulk_var, _ = worst("min_ess_bulk", min)
        min_tail, tail_var, _ = worst("min_ess_tail", min)
        failed = [k for k, v in fits.items() if not v["ok"]]
        out = {
            "ok": all(v["ok"] for v in vals),
            "max_rhat": max_rhat, "max_rhat_variable": rhat_var,
            "min_ess_bulk": min_bulk, "min_ess_bulk_variable": bulk_var,
            "min_ess_tail": min_tail, "min_ess_tail_variable": tail_var,
            "divergences": int(sum(v["divergences"] for v in vals)),
            "min_bfmi": min(float(v["min_bfmi"]) for v in vals),
            "worst_fit": failed[0] if failed else worst_fit,
            "failed_fits": failed,
            "checks": {k: all(v["checks"][k] for v in vals) for k in vals[0]["checks"]},
            "gates": self.gates,
            "fits": {k: {**v, "seconds": self.fits_[tuple(k.split("/"))].seconds} for k, v in fits.items()},
            "data": {k: f.design.info for k, f in ((f"{p}/{e}", f) for (p, e), f in self.fits_.items())},
            "fit": getattr(self, "fit_settings_", {}),
            "timing": getattr(self, "timing_", {}),
            "model": self.get_params(),
        }
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path, posterior: bool = True) -> Path:
        """Write context_effects.csv, adjusted_grade_shares.csv, observed_grade_shares.csv,
        fsm_total_vs_direct.csv, diagnostics.json and (``posterior``) one ``posterior_<phase>_<estimand>.nc``
        per fit (draws and design; :meth:`load` restores every table)."""
        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.context_effects().to_csv(out / "context_effects.csv", index=False)
        self.adjusted_shares().to_csv(out / "adjusted_grade_shares.csv", index=False)
        self.observed_shares().to_csv(out / "observed_grade_shares.csv", index=False)
        self.fsm_total_vs_direct().to_csv(out / "fsm_total_vs_direct.csv", index=False)
        (out / "diagnostics.json").write_text(json.dumps(_jsonable(self.diagnostics()), indent=1) + "\n",
                                              encoding="utf-8")
        if posterior:
            for (phase, est), fit in self.fits_.items():
                tree = fit.idata.copy()
                tree["design"] = xr.DataTree(fit.design.to_dataset())
                tree.attrs["inspect_audit_context"] = json.dumps(
                    {"params": self.get_params(), "phase": phase, "estimand": est, "seconds": fit.seconds,
                     "fit": getattr(self, "fit_settings_", {})})
                tmp = out / f"posterior_{phase}_{est}.nc.tmp"
                tree.to_netcdf(tmp, engine="h5netcdf")
                tmp.replace(out / f"posterior_{phase}_{est}.nc")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "ContextModel":
        """A fitted context model from the ``posterior_*.nc`` files written by :meth:`save`."""
        files = sorted(Path(directory).glob("posterior_*.nc"))
        if not files:
            raise FileNotFoundError(f"no posterior_*.nc in {directory}")
        obj, fits = None, {}
        for nc in files:
            with xr.open_datatree(nc, engine="h5netcdf") as tree:
                tree = tree.load()
            meta = json.loads(tree.attrs["inspect_audit_context"])
            if obj is None:
                params = dict(meta["params"])
                obj = cls(**params)
                obj.fit_settings_ = meta.get("fit", {})
            design = Design.from_dataset(tree["design"].to_dataset())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                diag = diag_mod.compute(tree, obj.gates)
            fits[(meta["phase"], meta["estimand"])] = _Fit(meta["phase"], meta["estimand"], design, tree,
                                                           _draws_of(tree), diag, meta.get("seconds", np.nan))
        order = [(p, e) for p in obj.phases for e in obj.estimands]
        obj.fits_ = {k: fits[k] for k in order if k in fits}
        obj.timing_ = {}
        obj._cache = {}
        return obj


__all__ = ["ContextModel", "build_context_design", "context_rows", "collapse", "PHASES", "ESTIMANDS",
           "CONTEXT_FILES"]
