"""Repeated-simulation checks of model M1 (design note §7.2-7.3): the flag rule and SBC.

Both checks keep one **template design** (schools, inspectors, years, covariates from one simulated
dataset), compile the model once, and refit it on many simulated grade vectors (nutpie ``with_data``),
so a replicate costs seconds of sampling instead of a compile.

* **Decision-rule calibration** (:func:`decision_rule`): grades are generated *outside* the model
  (numpy, every school with its own school effect, logistic errors; inspectors with residual SD
  ``sigma_inspector`` plus planted extremes), the model is fitted, and flags are compared with the truth.
  A flag is false when the inspector's true severity (centred, as the model's typical inspector is the
  average one) is not beyond the threshold in the flagged direction. Reported: false flags among flags
  against the nominal Bayesian FDR, per replicate and pooled, with flags as deployed (suppressed when the
  gates fail) and by the probability rule alone; and the calibration of P(beyond threshold) in bins.
* **Simulation-based calibration** (:func:`sbc`; Talts et al. 2018): parameters and grades are drawn
  from the model's own prior (``pm.sample_prior_predictive`` on the template), the model is refitted to
  each grade vector and the rank of the true sd_inspector and gamma among thinned posterior draws is
  recorded. If the sampler and model code are right, the ranks are uniform.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from inspect_audit._core.cumulative_logit import grades_from_latent
from inspect_audit.inspectors.design import Design, build_design
from inspect_audit.inspectors.diagnostics import ConvergenceWarning
from inspect_audit.inspectors.estimator import InspectorModel

#: Truth of the decision-rule scenario (latent, better-is-higher; the simulator's defaults).
PLANTED = {"sigma_inspector": 0.5, "n_planted_severe": 3, "n_planted_lenient": 3, "planted_effect": 1.5,
           "gamma": {"male": -0.4, "hmi": -0.2, "serving_leader": 0.15},
           "beta": {"fsm_quintile": -0.15, "progress": 0.6, "phase[secondary]": -0.1},
           "sigma_school": 1.0, "sigma_year": 0.15}
#: The null scenario: no inspector differences at all.
NULL = {**PLANTED, "sigma_inspector": 0.0, "n_planted_severe": 0, "n_planted_lenient": 0,
        "gamma": {"male": 0.0, "hmi": 0.0, "serving_leader": 0.0}}


@dataclass
class Template:
    """One design, its model and a compile cache shared by every replicate."""

    design: Design
    cutpoints: np.ndarray  # better-is-higher cutpoints used to generate grades
    model_options: dict = field(default_factory=dict)

    def __post_init__(self):
        from inspect_audit.inspectors.model import NutpieCache

        est = InspectorModel(**self.model_options)
        self.estimator = est
        self.model = est.build_model(self.design)
        self.cache = NutpieCache()

    @classmethod
    def from_simulation(cls, config, seed: int, **model_options) -> "Template":
        from inspect_audit.data.simulate import simulate

        data = simulate(config, seed=seed)
        est = InspectorModel(**model_options)
        d = build_design(data, est.area, progress=est.progress, school_effect=est.school_effect)
        return cls(d, np.asarray(data.truth["cutpoints"], dtype=float), model_options)

    def fit(self, y: np.ndarray, *, chains: int, tune: int, draws: int, seed: int) -> InspectorModel:
        """The template model fitted to grades ``y`` (better-is-higher), as an :class:`InspectorModel`.
        The cutpoint prior means stay those of the template, so the prior is the same in every replicate."""
        est = self.estimator
        idata = self.cache.sample(self.model, chains=chains, tune=tune, draws=draws, seed=seed,
                                  target_accept=est.target_accept, adaptation=est.adaptation,
                                  data={"y": np.asarray(y, dtype=self.model["y"].get_value().dtype)})
        fitted = InspectorModel(**self.model_options)
        fitted.fit_settings_ = {"chains": chains, "tune": tune, "draws": draws, "seed": seed, "sampler": "nutpie"}
        fitted._set_posterior(replace(self.design, y=np.asarray(y, dtype=int)), idata)
        return fitted


# ====================================================================== grades from a known truth

def draw_truth(d: Design, scenario: dict, rng: np.random.Generator) -> dict:
    """Inspector, school and year effects for one replicate (latent, better-is-higher)."""
    J = len(d.inspector_ids)
    resid = rng.normal(0.0, scenario["sigma_inspector"], J)
    order = rng.permutation(J)
    n_sev, n_len = scenario["n_planted_severe"], scenario["n_planted_lenient"]
    resid[order[:n_sev]] = -scenario["planted_effect"]
    resid[order[n_sev:n_sev + n_len]] = scenario["planted_effect"]
    gamma = np.array([scenario["gamma"].get(n, 0.0) for n in d.w_names])
    wg = d.W @ gamma if len(gamma) else np.zeros(J)  # W is centred: mean 0
    beta = np.array([scenario["beta"].get(n, 0.0) for n in d.cov_names])
    urns, school = np.unique(d.urn, return_inverse=True)
    s = rng.normal(0.0, scenario["sigma_school"], len(urns))
    t = rng.normal(0.0, scenario["sigma_year"], len(d.year_cells))
    a = wg + resid
    severity_c = -(a - a.mean())
    return {"a": a, "beta": beta, "school": s[school], "year": t, "severity_c": severity_c,
            "planted": order[:n_sev + n_len]}


def simulate_grades(d: Design, truth: dict, cutpoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Grades (0 = worst) from y* = x'beta + a_j + s_m + t + Logistic(0, 1), cut at ``cutpoints``."""
    eta = d.X @ truth["beta"] + truth["a"][d.insp_idx] + truth["school"] + truth["year"][d.year_idx]
    return grades_from_latent(eta + rng.logistic(0.0, 1.0, d.n_obs), cutpoints)


def _rule_flags(model) -> pd.DataFrame:
    """Inspector effects with flags by the probability and FDR rule alone (gates ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.inspector_effects(ignore_gates=True)


def decision_rule(template: Template, scenario: dict, n_rep: int, *, chains: int = 4, tune: int = 500,
                  draws: int = 500, seed: int = 0, progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit ``n_rep`` simulated grade vectors; returns (per replicate, per inspector x replicate) frames."""
    rng = np.random.default_rng(seed)
    d = template.design
    reps, rows = [], []
    for r in range(n_rep):
        t0 = time.perf_counter()
        truth = draw_truth(d, scenario, rng)
        y = simulate_grades(d, truth, template.cutpoints, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = template.fit(y, chains=chains, tune=tune, draws=draws, seed=seed * 1000 + r)
            deployed = model.inspector_effects()
            rule = _rule_flags(model)
        delta = model.threshold
        sev = truth["severity_c"]
        sd_draws = model._draws["sd_inspector"]
        sd_lo, sd_hi = np.quantile(sd_draws, [0.05, 0.95])
        resid = truth["a"] - (d.W @ np.array([scenario["gamma"].get(n, 0.0) for n in d.w_names])
                              if len(d.w_names) else 0.0)
        sd_real = float(np.std(resid))
        beyond_sev, beyond_len = sev > delta, sev < -delta
        for kind, eff in (("deployed", deployed), ("rule", rule)):
            f = eff["flag"].to_numpy()
            false = ((f == "severe") & ~beyond_sev) | ((f == "lenient") & ~beyond_len)
            reps.append({"rep": r, "flags": kind, "ok": bool(model.diagnostics_["ok"]),
                         "max_rhat": model.diagnostics_["max_rhat"], "min_ess_bulk": model.diagnostics_["min_ess_bulk"],
                         "divergences": model.diagnostics_["divergences"], "n_flagged": int((f != "").sum()),
                         "n_false": int(false.sum()), "n_truly_beyond": int((beyond_sev | beyond_len).sum()),
                         "expected_false": float(np.sum(1 - np.maximum(eff["p_severe"], eff["p_lenient"])[f != ""])),
                         "sd_inspector_realised": sd_real, "sd_inspector_mean": float(sd_draws.mean()),
                         "sd_inspector_ci_low": float(sd_lo), "sd_inspector_ci_high": float(sd_hi),
                         "seconds": round(time.perf_counter() - t0, 2)})
        inside = (rule["ci_low"] <= sev) & (sev <= rule["ci_high"])
        p_dir_sev = rule["p_severe"].to_numpy() >= rule["p_lenient"].to_numpy()
        rows.append(pd.DataFrame({
            "rep": r, "inspector_id": rule["inspector_id"], "n_inspections": rule["n_inspections"],
            "true_severity": sev, "mean": rule["mean"], "covered": inside.to_numpy(),
            "p_max": np.maximum(rule["p_severe"], rule["p_lenient"]),
            "truly_beyond": np.where(p_dir_sev, beyond_sev, beyond_len), "flag_rule": rule["flag"],
            "flag_deployed": deployed["flag"]}))
        if progress:
            last = reps[-1]
            progress(f"replicate {r + 1}/{n_rep}: gates {'ok' if last['ok'] else 'FAIL'}, rule flags "
                     f"{last['n_flagged']} ({last['n_false']} false), {last['seconds']:.0f} s")
    return pd.DataFrame(reps), pd.concat(rows, ignore_index=True)


def summarise_decision_rule(reps: pd.DataFrame, per_inspector: pd.DataFrame, fdr: float = 0.10) -> dict:
    """Pooled false-flag share among flags (as deployed and by the rule alone), mean per-replicate
    false-discovery proportion, P-bin calibration and interval coverage."""
    out = {"nominal_fdr": fdr, "replicates": int(reps["rep"].nunique()),
           "gates_passed": int(reps[reps["flags"] == "rule"]["ok"].sum())}
    for kind in ("deployed", "rule"):
        part = reps[reps["flags"] == kind]
        n_flag, n_false = int(part["n_flagged"].sum()), int(part["n_false"].sum())
        fdp = (part["n_false"] / part["n_flagged"].where(part["n_flagged"] > 0)).fillna(0.0)
        lo, hi = stats.beta.ppf([0.05, 0.95], n_false + 0.5, n_flag - n_false + 0.5) if n_flag else (np.nan, np.nan)
        out[kind] = {"flags": n_flag, "false_flags": n_false,
                     "false_share": n_false / n_flag if n_flag else None,
                     "false_share_90ci_jeffreys": [float(lo), float(hi)] if n_flag else None,
                     "mean_fdp": float(fdp.mean()), "expected_false": float(part["expected_false"].sum()),
                     "replicates_with_flags": int((part["n_flagged"] > 0).sum()),
                     "replicates_with_false_flag": int((part["n_false"] > 0).sum())}
    bins = [0.0, 0.5, 0.7, 0.9, 0.95, 1.0001]
    pi = per_inspector.assign(bin=pd.cut(per_inspector["p_max"], bins, right=False))
    cal = pi.groupby("bin", observed=True).agg(n=("p_max", "size"), mean_p=("p_max", "mean"),
                                                share_truly_beyond=("truly_beyond", "mean"))
    out["p_calibration"] = [{"bin": str(k), **{c: float(v) for c, v in row.items()}} for k, row in cal.iterrows()]
    out["severity_coverage_90"] = float(per_inspector["covered"].mean())
    if "sd_inspector_mean" in reps:
        part = reps[reps["flags"] == "rule"]
        inside = (part["sd_inspector_ci_low"] <= part["sd_inspector_realised"]) & \
            (part["sd_inspector_realised"] <= part["sd_inspector_ci_high"])
        out["sd_inspector"] = {"mean_realised": float(part["sd_inspector_realised"].mean()),
                               "mean_posterior_mean": float(part["sd_inspector_mean"].mean()),
                               "realised_inside_90": float(inside.mean()),
                               "mean_error": float((part["sd_inspector_mean"] - part["sd_inspector_realised"]).mean())}
    return out


# ====================================================================== the calibration grid

def grid_replicate(design, seed: int, *, fit: dict | None = None, model_options: dict | None = None) -> dict:
    """Simulate ``design`` (:class:`~inspect_audit.data.simulate.designs.GridDesign`, or the name of a
    :data:`MULTI_AREA_DESIGNS` design, fitted by the multi-area model) with ``seed``, fit the model as a user
    would (defaults, repair on; ``fit`` and ``model_options`` override) and score it against the truth.

    Returns one row: gates (``ok``, R-hat, ESS, divergences, runs and the repair's actions), wall time,
    flags as deployed (none when the gates fail) and by the rule alone, false flags (flagged severe while the
    true centred severity is not above +delta, or lenient while not below -delta), planted extremes found,
    90% interval coverage of the true severities, and sd_inspector (posterior mean, interval, the design's
    value and the realised SD).
    """
    from inspect_audit.data.simulate.designs import simulate_design

    if isinstance(design, str):
        return _multi_area_replicate(design, seed, fit=fit, model_options=model_options)
    data = simulate_design(design, seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = InspectorModel(**{"area": design.area, **(model_options or {})}).fit(
            data, seed=seed, progress=False, **(fit or {}))
    return _score_fit(design.name, seed, model, time.perf_counter() - t0, data.truth["severity"],
                      data.truth["planted"], design.sd_inspector, inspections=model.design_.info["n"]["inspections"],
                      year_effects=model.fit_settings_["year_effects"])


#: latent probit units in logits (the logistic's SD over the normal's is 1.81; 1.7 is the usual match of
#: the two CDFs): the probit designs' true severities are scored on the model's logit scale, approximately
PROBIT_TO_LOGIT = 1.7
#: report-card designs for the multi-area model: name -> (generator, options). ``simulate_report_cards``
#: (logistic, equal loadings) with planted extremes or none, and ``probit_report_cards`` (probit errors, unequal
#: loadings, the real grade shares, Zipf-like loads) as a null with the real cards' strong area correlation and
#: with long-tailed inspector effects; 600 inspections by 40 leads each.
MULTI_AREA_DESIGNS = {
    "multi_area_planted": ("simulate", {"sd_inspector": 0.4, "n_planted": 4}),
    "multi_area_null": ("simulate", {"sd_inspector": 0.0}),
    "multi_area_probit_null_strong_areas": ("probit", {"sd_inspection": 3.0}),
    "multi_area_probit_long_tail": ("probit", {"sd_inspection": 1.5, "inspector_sd": 0.6, "tail_df": 3}),
}


def _multi_area_replicate(name: str, seed: int, *, fit: dict | None = None, model_options: dict | None = None,
                          n_inspections: int = 600, n_inspectors: int = 40) -> dict:
    """:func:`grid_replicate` for a :data:`MULTI_AREA_DESIGNS` design, fitted by :class:`.MultiAreaModel`."""
    from inspect_audit.data.simulate.designs import simulate_report_cards
    from inspect_audit.data.simulate.probit_report_cards import probit_report_cards
    from inspect_audit.inspectors.multi_area import MultiAreaModel

    kind, options = MULTI_AREA_DESIGNS[name]
    if kind == "simulate":
        data = simulate_report_cards(n_inspections, n_inspectors, seed=seed, **options)
        severity, planted, sd_true = data.truth["severity"], data.truth["planted"], options["sd_inspector"]
    else:
        data, severity = probit_report_cards(n_inspections, n_inspectors, seed=seed, **options)
        severity, planted = severity * PROBIT_TO_LOGIT, ()
        sd_true = options.get("inspector_sd", 0.0) * PROBIT_TO_LOGIT
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MultiAreaModel(**(model_options or {})).fit(data, seed=seed, progress=False, **(fit or {}))
    return _score_fit(name, seed, model, time.perf_counter() - t0, severity, planted, sd_true,
                      inspections=model.data_["info"]["n"]["inspections"], year_effects="none")


def _score_fit(name: str, seed: int, model, wall: float, severity: pd.Series, planted, sd_true: float, *,
               inspections: int, year_effects: str) -> dict:
    """One replicate's row for :func:`summarise_grid` from a fitted model (single- or multi-area)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deployed = model.inspector_effects()
    rule = _rule_flags(model)
    diag = model.diagnostics_
    ids = deployed["inspector_id"].to_numpy()
    raw = severity.reindex(ids).to_numpy(dtype=float)
    sev = raw - raw.mean()  # the model's typical inspector is the average of those modelled
    delta = model.threshold
    planted = np.isin(ids, list(planted))
    sd = model._draws["sd_inspector"]
    lo, hi = np.quantile(sd, [(1 - model.ci_prob) / 2, (1 + model.ci_prob) / 2])
    chains = int(model.idata_["posterior"].sizes["chain"])
    row = {"design": name, "seed": seed, "inspections": inspections,
           "inspectors": len(ids), "ok": bool(diag["ok"]), "runs": len(model.repair_),
           "actions": " | ".join(e["what"] for e in model.repair_[1:]),
           "year_effects": year_effects, "max_rhat": diag["max_rhat"],
           "min_ess_bulk": diag["min_ess_bulk"], "min_ess_tail": diag["min_ess_tail"],
           "divergences": diag["divergences"], "chains": chains, "wall_seconds": round(wall, 1),
           "coverage_90": float(np.mean((deployed["ci_low"] <= sev) & (sev <= deployed["ci_high"]))),
           "sd_inspector_true": sd_true, "sd_inspector_realised": float(np.std(sev)),
           "sd_inspector_mean": float(sd.mean()), "sd_inspector_ci_low": float(lo), "sd_inspector_ci_high": float(hi),
           "n_planted": int(planted.sum())}
    for kind, eff in (("deployed", deployed), ("rule", rule)):
        f = eff["flag"].to_numpy()
        false = ((f == "severe") & ~(sev > delta)) | ((f == "lenient") & ~(sev < -delta))
        right = ((f == "severe") & (sev > 0)) | ((f == "lenient") & (sev < 0))
        row[f"flags_{kind}"] = int((f != "").sum())
        row[f"false_{kind}"] = int(false.sum())
        row[f"planted_found_{kind}"] = int((planted & right).sum())
    return row


def summarise_grid(reps: pd.DataFrame) -> pd.DataFrame:
    """Per design: gate pass rate (Wilson 95% interval), false-flag share among deployed flags, planted
    extremes found, replicates flagging anyone in a null design, interval coverage, sd_inspector interval
    coverage of its realised value (where the true SD is 0 no equal-tailed interval of an SD contains it:
    ``sd_inspector_ci_low_median`` shows how near 0 the intervals reach), and wall time (median, max)."""
    from inspect_audit._core.intervals import wilson_interval

    out = []
    for name, part in reps.groupby("design", sort=False):
        n, k = len(part), int(part["ok"].sum())
        lo, hi = (float(v[0]) for v in wilson_interval(k, n, 0.95))
        flags, false = int(part["flags_deployed"].sum()), int(part["false_deployed"].sum())
        inside = (part["sd_inspector_ci_low"] <= part["sd_inspector_realised"]) & \
            (part["sd_inspector_realised"] <= part["sd_inspector_ci_high"])
        out.append({"design": name, "replicates": n, "inspections": int(part["inspections"].median()),
                    "inspectors": int(part["inspectors"].median()), "gates_passed": k,
                    "pass_rate": k / n, "pass_ci_low": float(lo), "pass_ci_high": float(hi),
                    "repaired": int(((part["runs"] > 1) & part["ok"]).sum()),
                    "flags": flags, "false_flags": false, "false_share": false / flags if flags else np.nan,
                    "planted_found": int(part["planted_found_deployed"].sum()),
                    "planted": int(part["n_planted"].sum()),
                    "coverage_90": float(part["coverage_90"].mean()),
                    "sd_inspector_inside_90": float(inside.mean()), "sd_inspector_true": float(
                        part["sd_inspector_true"].iloc[0]),
                    "sd_inspector_ci_low_median": float(part["sd_inspector_ci_low"].median()),
                    "wall_median": float(part["wall_seconds"].median()), "wall_max": float(part["wall_seconds"].max())})
    return pd.DataFrame(out)


# ====================================================================== simulation-based calibration

SBC_PARAMS = ("sd_inspector", "gamma")


def sbc(template: Template, n_rep: int, *, chains: int = 2, tune: int = 500, draws: int = 500,
        n_rank: int = 99, seed: int = 0, progress=None) -> pd.DataFrame:
    """Prior SBC on the template design: ranks (0..n_rank) of sd_inspector and each gamma."""
    import pymc as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=n_rep, model=template.model, random_seed=seed)
    pri = prior["prior"].to_dataset() if hasattr(prior["prior"], "to_dataset") else prior["prior"]
    pp = prior["prior_predictive"].to_dataset() if hasattr(prior["prior_predictive"], "to_dataset") \
        else prior["prior_predictive"]
    grades = np.asarray(pp["grade"].values).reshape(n_rep, -1)
    truth = {"sd_inspector": np.asarray(pri["sd_inspector"].values).reshape(n_rep)}
    gam = np.asarray(pri["gamma"].values).reshape(n_rep, -1)
    names = list(template.design.w_names)
    for k, n in enumerate(names):
        truth[f"gamma[{n}]"] = gam[:, k]
    rows = []
    for r in range(n_rep):
        t0 = time.perf_counter()
        y = grades[r].astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = template.fit(y, chains=chains, tune=tune, draws=draws, seed=seed * 1000 + r + 1)
        S = model._S
        keep = np.linspace(0, S - 1, n_rank).round().astype(int)
        post = {"sd_inspector": model._draws["sd_inspector"][keep]}
        for k, n in enumerate(names):
            post[f"gamma[{n}]"] = model._draws["gamma"][keep, k]
        diag = model.diagnostics_
        counts = np.bincount(y, minlength=template.design.n_levels)
        for name, draws_ in post.items():
            rows.append({"rep": r, "parameter": name, "truth": float(truth[name][r]),
                         "rank": int((draws_ < truth[name][r]).sum()), "n_rank": n_rank,
                         "posterior_mean": float(draws_.mean()), "ok": bool(diag["ok"]),
                         "max_rhat": diag["max_rhat"], "min_ess_bulk": diag["min_ess_bulk"],
                         "divergences": diag["divergences"], "grade_counts": counts.tolist(),
                         "seconds": round(time.perf_counter() - t0, 2)})
        if progress:
            progress(f"SBC replicate {r + 1}/{n_rep}: sd_inspector truth {truth['sd_inspector'][r]:.2f}, rank "
                     f"{rows[-len(post)]['rank']}/{n_rank}; gates {'ok' if diag['ok'] else 'FAIL'}, "
                     f"{rows[-1]['seconds']:.0f} s")
    return pd.DataFrame(rows)


def summarise_sbc(ranks: pd.DataFrame, n_bins: int = 10) -> pd.DataFrame:
    """Per parameter: chi-square test of uniform binned ranks, the largest ECDF deviation from uniform
    (with its 95% simultaneous Kolmogorov bound), and the mean rank fraction (0.5 if unbiased)."""
    out = []
    for name, part in ranks.groupby("parameter", sort=False):
        L = int(part["n_rank"].iloc[0])
        frac = (part["rank"].to_numpy() + 0.5) / (L + 1)
        counts = np.histogram(frac, bins=n_bins, range=(0, 1))[0]
        chi2 = stats.chisquare(counts)
        u = np.sort(frac)
        n = len(u)
        ecdf_dev = float(np.max(np.maximum(np.arange(1, n + 1) / n - u, u - np.arange(n) / n)))
        out.append({"parameter": name, "replicates": n, "mean_rank_fraction": float(frac.mean()),
                    "chi2": float(chi2.statistic), "chi2_p": float(chi2.pvalue), "ks_d": ecdf_dev,
                    "ks_d_95": float(1.358 / np.sqrt(n)), "bin_counts": counts.tolist()})
    return pd.DataFrame(out)


__all__ = ["Template", "PLANTED", "NULL", "draw_truth", "simulate_grades", "decision_rule",
           "summarise_decision_rule", "grid_replicate", "summarise_grid", "sbc", "summarise_sbc"]
