"""All judgement areas of an inspection in one model (report cards, legacy sub-judgements).

Under the report-card framework each school has one inspection with up to eight graded areas and no
overall grade. Fitting one area at a time needs repeat inspections to link inspectors; this model uses
every area of every inspection together::

    y*_{i,a} = x_i' beta_a + u_i (+ d_{j[i],a}) + e,   e ~ Logistic(0, 1)
    grade k of area a  <=>  c_{a,k} < y*_{i,a} <= c_{a,k+1}
    u_i ~ N(a_j[i], sd_inspection^2)   (what the areas of one inspection share: the school, the visit and
                                        the lead inspector j's effect a_j)
    a_j ~ N(0, sd_inspector^2)         (the lead inspector, shared across areas; reported centred)
    d_{j,a} = sd_area_inspector z_{j,a}   (option ``area_inspector``: area-specific deviations)

Area-specific cutpoints and context effects (FSM quintile, progress, phase, region). The inspector effect
is identified by comparing inspectors across the schools they inspected given context, not through shared
schools, so it assumes that, given context, which inspector leads an inspection is unrelated to the school's
standard (the single-area model's school effects relax this where schools are inspected repeatedly). The
areas' consistency within an inspection is an estimate: ``area_correlation`` = (var u + var a) /
(var u + var a + pi^2/3), the latent correlation of two areas of one inspection.

Two parameterisations of the same model (:func:`build_model`): ``marginal`` (default; the inspection
effects sampled as they are, the inspector effects integrated out and drawn from their exact conditional)
and ``non_centred``; the repair (:mod:`.repair`) moves between them when divergences point at
sd_inspection. The grade likelihood is the fused kernel of :mod:`.ordinal_likelihood`, once per area.

Examples
--------
>>> from inspect_audit.data.simulate.designs import simulate_report_cards
>>> data = simulate_report_cards(n_inspections=300, n_inspectors=20, seed=1)
>>> sorted(data["judgements"]["area"].unique())[:2]
['achievement', 'attendance_and_behaviour']
>>> # not run here: a Bayesian fit takes minutes; the tests (tests/test_inspectors*.py) run it with short settings
>>> m = MultiAreaModel().fit(data, seed=1, progress=False)  # doctest: +SKIP
>>> m.variance_partition()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy.stats import norm

from inspect_audit.data import schemas
from inspect_audit.inspectors import diagnostics as diag_mod
from inspect_audit.data.dataset import as_tables
from inspect_audit.inspectors.design import context_columns, covariate_matrix, graded_rows
from inspect_audit.inspectors.flagging import exceedance_probabilities, flag_rule
from inspect_audit.inspectors.model import cutpoint_prior_means, scale_parameter
from inspect_audit.inspectors.posterior_summary import _interval, _jsonable, _summ
from inspect_audit.inspectors.saving import write_posterior

PI2_3 = np.pi**2 / 3.0


def long_rows(data, areas: list[str] | None = None, framework: str = "report_card_2025",
              progress: bool = True) -> dict:
    """Arrays of the model: one row per (inspection, area) on the framework's area scale.

    Areas default to every ordinal area the framework grades that has judgements in the data.
    """
    t = as_tables(data)
    if "framework" in t["inspections"]:  # only this framework's inspections: an area graded under two frameworks
        ins = t["inspections"]           # (early years, say) is on this framework's scale here
        keep = ins[ins["framework"].astype(str) == framework]
        t = {**t, "inspections": keep,
             "judgements": t["judgements"][t["judgements"]["inspection_id"].isin(set(keep["inspection_id"]))]}
    fw_areas = schemas.framework_areas(framework)
    if areas is None:
        areas = [a for a in fw_areas if len(schemas.scale(fw_areas[a]).codes) >= 3
                 and (t["judgements"]["area"].astype(str) == a).any()]
    if not areas:
        raise ValueError(f"no judgements of an ordinal area of framework {framework!r}")
    parts, scales, info = [], set(), {}
    for area in areas:
        try:
            f, scale_name, _ = graded_rows(t, area, info)
        except ValueError as err:
            raise ValueError(f"area {area!r}: {err}") from None
        f = f[f["framework"].astype(str) == framework]
        scales.add(scale_name)
        parts.append(f.assign(area=area))
    if len(scales) > 1:
        raise ValueError(f"the areas use different scales ({sorted(scales)}): fit them separately")
    scale_name = scales.pop()
    f = pd.concat(parts, ignore_index=True)
    f = f[f["lead_inspector_id"].notna()]
    s = t["schools"][[c for c in ("urn", "phase", "region", "fsm_quintile", "ks2_progress", "progress8")
                      if c in t["schools"].columns]]
    f = f.astype({"urn": str}).merge(s.astype({"urn": str}), on="urn", how="left")  # urns as text on both sides
    f = f[f[["phase", "region", "fsm_quintile"]].notna().all(axis=1)].reset_index(drop=True)
    if f.empty:
        raise ValueError("no judgements left after dropping rows without a lead inspector or school context")
    insp_rows = f.drop_duplicates("inspection_id").reset_index(drop=True)
    cols_x, cov_info = context_columns(insp_rows, progress=progress)
    cov_names, X_insp, _ = covariate_matrix(cols_x, cov_info)
    ins_codes, ins_idx = np.unique(f["inspection_id"].astype(str), return_inverse=True)
    order = pd.Index(insp_rows["inspection_id"].astype(str)).get_indexer(ins_codes)
    X = X_insp[order][ins_idx]
    area_codes, area_idx = np.unique(f["area"].to_numpy(), return_inverse=True)
    insp_ids, insp_idx = np.unique(f["lead_inspector_id"].astype(str), return_inverse=True)
    sc = schemas.scale(scale_name)
    y = len(sc.codes) - pd.to_numeric(f["grade"]).to_numpy(int)
    return {"y": y, "X": X, "cov_names": cov_names, "area_idx": area_idx, "areas": list(area_codes),
            "ins_idx": ins_idx, "inspection_ids": ins_codes, "insp_idx": insp_idx, "inspector_ids": insp_ids,
            "scale": scale_name, "K": len(sc.codes), "framework": framework,
            "info": {"n": {"judgements": int(len(f)), "inspections": int(len(ins_codes)),
                           "inspectors": int(len(insp_ids)), "areas": int(len(area_codes))}, **cov_info}}


#: the model's parameterisations (``MultiAreaModel(form=...)``; the repair moves between them)
FORMS = ("marginal", "non_centred")
#: HalfNormal prior scales of the SDs: the inspection SD is wide, as real report cards' areas move together
#: (measured on the 1,313 bundled report cards: sd_inspection 3.2, far past a HalfNormal(1)'s bulk)
#: what a saved fit keeps of the posterior (``posterior.nc``): enough for the summaries and the counterfactual
SAVED = ("beta", "cutpoints", "inspection_effect", "inspector_effect", "area_inspector_deviation", "sd_inspector",
         "sd_inspection", "sd_area_inspector")
MAX_SAVED_DRAWS = 2000
PRIOR_SD = {"sd_inspector": 1.0, "sd_inspection": 2.5, "sd_area_inspector": 0.5}


def _inspector_of_inspection(d: dict) -> np.ndarray:
    """The lead inspector's index for each inspection (every row of an inspection has the same lead)."""
    first = np.unique(d["ins_idx"], return_index=True)[1]
    return np.asarray(d["insp_idx"])[first]


def build_model(d: dict, *, form: str = "marginal", area_inspector: bool = False) -> pm.Model:
    """The PyMC model of :func:`long_rows` arrays (see the module docstring).

    ``form="marginal"`` (default): the inspection effects are sampled centred, u_i ~ N(a_j[i], sd_inspection),
    and the inspector effects are integrated out of their distribution analytically (the u_i of one inspector
    are jointly normal with compound-symmetric covariance sd_inspection^2 I + sd_inspector^2 11'); each
    inspector's effect is then its exact conditional normal given u and the SDs, a_j = m_j + sqrt(v_j) e_j with
    e_j ~ N(0, 1) sampled alongside (reported centred on the inspectors' mean). The sampler never meets the
    funnel between sd_inspector and the inspector effects, nor the ridge between an inspector's effect and the
    inspection effects of its schools, which made the non-centred form mix slowly when the inspection SD is
    large (real report cards: 3.2). ``form="non_centred"``: u_i = sd_inspection z_i and a_j = sd_inspector z_j.
    The grade likelihood is the fused kernel (:mod:`.ordinal_likelihood`), once per area (its cutpoints).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    from inspect_audit.inspectors.ordinal_likelihood import cumulative_logit_logp

    A, J, K = len(d["areas"]), len(d["inspector_ids"]), d["K"]
    n_ins = len(d["inspection_ids"])
    coords = {"area": d["areas"], "cov": d["cov_names"], "inspector": d["inspector_ids"].tolist(),
              "inspection": d["inspection_ids"].tolist(), "cut": np.arange(K - 1)}
    with pm.Model(coords=coords) as m:
        X = pm.Data("X", d["X"])
        beta = pm.Normal("beta", 0.0, 1.0, dims=("area", "cov"))
        xb = (X * beta[d["area_idx"]]).sum(axis=1)
        signed_a, sd_a = scale_parameter("sd_inspector", PRIOR_SD["sd_inspector"])
        if form == "marginal":
            sd_u = pm.HalfNormal("sd_inspection", PRIOR_SD["sd_inspection"])
            # summing to zero: the cutpoints carry the level, so the common level of 1,000s of u_i is not left to
            # drift against them
            u = pm.Flat("inspection_effect", dims="inspection",
                        default_transform=pm.distributions.transforms.ZeroSumTransform([-1]))
            lead = _inspector_of_inspection(d)
            onehot = np.zeros((n_ins, J))
            onehot[np.arange(n_ins), lead] = 1.0
            n_j = onehot.sum(axis=0)
            M = pm.Data("inspector_of_inspection", onehot)
            s_j, q_j = M.T @ u, M.T @ u**2
            v, w = sd_u**2, signed_a**2
            big = v + n_j * w
            # log N(u_j | 0, v I + w 11') per inspector (Sherman-Morrison), constants dropped, conditioned on
            # sum(u) = 0: plus 0.5 log Var(sum u), Var(sum u) = v N + w sum n_j^2
            pm.Potential("inspection_effect_prior", -0.5 * pt.sum(
                (n_j - 1.0) * pt.log(v) + pt.log(big) + (q_j - w * s_j**2 / big) / v)
                + 0.5 * pt.log(v * n_ins + w * np.sum(n_j**2)))
            e = pm.Normal("z_inspector", 0.0, 1.0, dims="inspector")
            a = w * s_j / big + pt.sqrt(w * v / big) * e
            pm.Deterministic("inspector_effect", a - a.mean(), dims="inspector")
            effects, idx = u, d["ins_idx"][:, None]
        else:
            mult_u, _ = scale_parameter("sd_inspection", PRIOR_SD["sd_inspection"])
            z_u = pm.Normal("z_inspection", 0.0, 1.0, dims="inspection")
            z_a = pm.ZeroSumNormal("z_inspector", sigma=1.0, dims="inspector")
            a = pm.Deterministic("inspector_effect", signed_a * z_a * np.sqrt(J / (J - 1.0)), dims="inspector")
            effects = pt.concatenate([mult_u * z_u, a])
            idx = np.column_stack([d["ins_idx"], n_ins + np.asarray(d["insp_idx"])])
            # what the areas of an inspection share, lead included: as the marginal form's u (for counterfactuals)
            pm.Deterministic("inspection_effect", mult_u * z_u + a[_inspector_of_inspection(d)], dims="inspection")
        if area_inspector:
            mult_d, _ = scale_parameter("sd_area_inspector", PRIOR_SD["sd_area_inspector"])
            z_d = pm.Normal("z_area_inspector", 0.0, 1.0, dims=("inspector", "area"))
            dev = pm.Deterministic("area_inspector_deviation", mult_d * z_d, dims=("inspector", "area"))
            effects = pt.concatenate([effects, dev.ravel()])
            start = n_ins if form == "marginal" else n_ins + J  # after u (and a) in the packed effects
            idx = np.column_stack([idx, start + np.asarray(d["insp_idx"]) * A + d["area_idx"]])
        mu = np.stack([cutpoint_prior_means(d["y"][d["area_idx"] == k], K) for k in range(A)])
        cut = pm.Normal("cutpoints", mu=mu, sigma=2.5, dims=("area", "cut"),
                        transform=pm.distributions.transforms.ordered)
        idx_data = pm.Data("effect_idx", idx.astype(np.int64))
        y = pm.Data("y", d["y"])
        no_scale, no_scale_idx = pt.ones((1,)), np.zeros((len(d["y"]), 0), dtype=np.int64)
        total = 0.0
        for k in range(A):  # one fused kernel call per area: its own cutpoints
            rows = np.flatnonzero(d["area_idx"] == k)
            total = total + cumulative_logit_logp(xb[rows], effects, idx_data[rows], no_scale, no_scale_idx[rows],
                                                  cut[k], y[rows])
        pm.Potential("grade_loglik", total)
    return m


def _flat_draws(post) -> dict[str, np.ndarray]:
    """Each posterior variable's draws with chains and draws in one leading axis."""
    post = post.to_dataset() if hasattr(post, "to_dataset") else post
    S = post.sizes["chain"] * post.sizes["draw"]
    return {k: np.asarray(v.values, dtype=float).reshape(S, *v.shape[2:]) for k, v in post.data_vars.items()}


def _form(state) -> str:
    """The form of a repair state (:class:`.repair.SamplerState`): ``centered`` stands for the marginal form."""
    return "marginal" if state.centered else "non_centred"


class MultiAreaModel:
    """Inspector effects from every area of every inspection (see the module docstring).

    Parameters
    ----------
    framework : the framework whose areas are modelled together (default ``report_card_2025``).
    areas : areas to model (default every ordinal area of the framework found in the data).
    area_inspector : add area-specific inspector deviations (``sd_area_inspector``).
    form : the first run's parameterisation, ``"marginal"`` (default) or ``"non_centred"`` (:func:`build_model`).
    threshold, prob_threshold, fdr, ci_prob, target_accept, gates : as :class:`.InspectorModel`.
    """

    def __init__(self, framework: str = "report_card_2025", areas: list[str] | None = None, *,
                 progress: bool = True, area_inspector: bool = False, form: str = "marginal",
                 threshold: float = 0.5, prob_threshold: float = 0.9, fdr: float = 0.10, ci_prob: float = 0.90,
                 target_accept: float = 0.9, adaptation: str = "diag", gates: dict | None = None):
        self.framework, self.areas, self.progress = framework, areas, progress
        if form not in FORMS:
            raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
        self.area_inspector, self.form = area_inspector, form
        self.threshold, self.prob_threshold, self.fdr, self.ci_prob = threshold, prob_threshold, fdr, ci_prob
        self.target_accept, self.adaptation = target_accept, adaptation
        self.gates = {**diag_mod.GATES, **(gates or {})}

    def fit(self, data, chains: int = 4, tune: int = 500, draws: int = 1000, seed: int | None = None, *,
            progress: bool = True, cores: int | None = None, repair=True) -> "MultiAreaModel":
        """Sample with nutpie, check the gates and repair a failed fit (as :meth:`.InspectorModel.fit`)."""
        from inspect_audit.inspectors import repair as rp

        t0 = time.perf_counter()
        d = long_rows(data, self.areas, self.framework, self.progress)
        say = (lambda msg: print(f"multi-area model: {msg}", file=sys.stderr, flush=True)) if progress else (
            lambda msg: None)
        n = d["info"]["n"]
        say(f"{n['judgements']} judgements in {n['areas']} areas of {n['inspections']} inspections by "
            f"{n['inspectors']} lead inspectors")
        seed = int(np.random.SeedSequence().entropy % (2**31)) if seed is None else int(seed)
        budget = repair if isinstance(repair, rp.RepairBudget) else rp.RepairBudget(
            max_refits=3 if repair else 0, max_draws_factor=4.0 if repair else 1.0)
        state = rp.SamplerState(chains=chains, tune=tune, draws=draws, target_accept=self.target_accept,
                                year_effects="none", centered=self.form == "marginal")
        idata, state, self.repair_ = rp.sample_until_converged(
            lambda st: build_model(d, form=_form(st), area_inspector=self.area_inspector), state, form_of=_form,
            seed=seed, budget=budget, gates=self.gates, say=say, adaptation=self.adaptation, progress=progress,
            cores=cores)
        self.data_, self.idata_ = d, idata
        post = idata["posterior"]
        self._draws = _flat_draws(post)
        self.diagnostics_ = diag_mod.compute(idata, self.gates)
        self.timing_ = {"wall_seconds": round(time.perf_counter() - t0, 2)}
        self.fit_settings_ = {"chains": int(post.sizes["chain"]), "tune": state.tune, "draws": state.draws,
                              "seed": seed, "target_accept": state.target_accept,
                              "form": _form(state)}
        say(f"done in {self.timing_['wall_seconds']:.0f} s after {len(self.repair_)} run(s): "
            f"{diag_mod.explain(self.diagnostics_)}")
        diag_mod.warn_if_failed(self.diagnostics_, repair=self.repair_)
        return self

    def variance_partition(self) -> pd.DataFrame:
        """sd_inspector, sd_inspection, (sd_area_inspector), icc_inspector = var a / (var a + var u + pi^2/3),
        area_correlation (latent correlation of two areas of one inspection), median_odds_ratio; with n."""
        var_a = self._draws["sd_inspector"] ** 2
        var_u = self._draws["sd_inspection"] ** 2
        var_d = self._draws.get("sd_area_inspector", np.zeros_like(var_a)) ** 2
        rows = {"sd_inspector": np.sqrt(var_a), "sd_inspection": np.sqrt(var_u),
                "icc_inspector": (var_a + var_d) / (var_a + var_d + var_u + PI2_3),
                "area_correlation": (var_a + var_u) / (var_a + var_d + var_u + PI2_3),
                "median_odds_ratio": np.exp(np.sqrt(2 * var_a) * norm.ppf(0.75))}
        if "sd_area_inspector" in self._draws:
            rows["sd_area_inspector"] = np.sqrt(var_d)
        n = self.data_["info"]["n"]
        return pd.DataFrame([{"statistic": k, **_summ(v, self.ci_prob), "n_inspections": n["inspections"],
                              "n_inspectors": n["inspectors"]} for k, v in rows.items()])

    def inspector_effects(self, *, ignore_gates: bool = False) -> pd.DataFrame:
        """One row per lead inspector: severity (positive = harsher, latent logits, shared across areas), its
        interval, n inspections, P(beyond +-threshold) and the flag (none when the gates fail;
        ``ignore_gates=True``: the flag rule alone, for calibration studies only)."""
        sev = -self._draws["inspector_effect"]
        lo, hi = _interval(sev, self.ci_prob)
        ex = exceedance_probabilities(sev, self.fit_settings_["chains"], self.threshold)
        p_sev, p_len, mcse = ex["p_severe"], ex["p_lenient"], ex["mcse"]
        flags = np.full(sev.shape[1], "", dtype=object)
        if self.diagnostics_["ok"] or ignore_gates:
            flags, _ = flag_rule(p_sev, p_len, mcse, prob_threshold=self.prob_threshold, fdr=self.fdr,
                                 mcse_max=self.gates["mcse_p_max"])
        n_insp = np.bincount(self.data_["insp_idx"][np.unique(self.data_["ins_idx"], return_index=True)[1]],
                             minlength=sev.shape[1])
        return pd.DataFrame({"inspector_id": self.data_["inspector_ids"], "n_inspections": n_insp,
                             "mean": sev.mean(axis=0), "sd": sev.std(axis=0, ddof=1), "ci_low": lo, "ci_high": hi,
                             "p_severe": p_sev, "p_lenient": p_len, "flag": flags})

    def counterfactual(self, inspection_id: str, max_draws: int = 1000) -> pd.DataFrame:
        """Each graded area's grade chances for one inspection: with its lead inspector and with a typical one.

        The typical inspector replaces the lead's effect (shared by the areas, and the area's own deviation under
        ``area_inspector``) by that of the average inspector; the school, the visit and the context stay as
        estimated (the inspection effect less the lead's effect). One row per area and grade, in the scale's order
        (code 1 = best first): ``area, grade, label, observed``; the chance of this grade ``actual_*``,
        ``typical_*``, ``change_*`` (typical minus actual) and of a better grade than this one ``better_actual_*``,
        ``better_typical_*``, ``better_change_*``, each as mean, ci_low, ci_high (``ci_prob``), from at most
        ``max_draws`` draws.
        Raises KeyError for an inspection not in the modelled data.
        """
        from inspect_audit._core.cumulative_logit import category_probs
        from inspect_audit.inspectors.posterior_summary import thin

        d = self.data_
        hit = np.flatnonzero(np.asarray(d["inspection_ids"]) == str(inspection_id))
        if not len(hit):
            raise KeyError(f"inspection {inspection_id!r} is not in the modelled data (another framework, or a "
                           "missing lead inspector or school context)")
        i = int(hit[0])
        rows = np.flatnonzero(d["ins_idx"] == i)
        j = int(d["insp_idx"][rows[0]])
        draws = thin(len(self._draws["sd_inspector"]), max_draws)
        lead = self._draws["inspector_effect"][draws, j]
        shared = self._draws["inspection_effect"][draws, i]
        sc = schemas.scale(d["scale"])
        K = d["K"]
        out = []
        for r in rows:
            a = int(d["area_idx"][r])
            xb = self._draws["beta"][draws, a, :] @ d["X"][r]
            own = self._draws["area_inspector_deviation"][draws, j, a] if "area_inspector_deviation" in self._draws \
                else 0.0
            eta = np.stack([xb + shared + own, xb + shared - lead], axis=1)  # (S, 2): actual, typical
            probs = category_probs(self._draws["cutpoints"][draws, a, :][:, None, :], eta)  # (S, 2, K)
            for code in sc.codes:
                k = K - code
                act, typ = probs[:, 0, k], probs[:, 1, k]
                b_act, b_typ = probs[:, 0, k + 1:].sum(axis=1), probs[:, 1, k + 1:].sum(axis=1)
                row = {"area": d["areas"][a], "grade": int(code), "label": sc.label(code), "observed": k == d["y"][r]}
                for name, v in (("actual", act), ("typical", typ), ("change", typ - act), ("better_actual", b_act),
                                ("better_typical", b_typ), ("better_change", b_typ - b_act)):
                    lo, hi = _interval(v, self.ci_prob)
                    row.update({f"{name}_mean": float(v.mean()), f"{name}_ci_low": float(lo), f"{name}_ci_high": float(hi)})
                out.append(row)
        frame = pd.DataFrame(out)
        frame.attrs.update({"inspection_id": str(inspection_id), "inspector_id": str(d["inspector_ids"][j])})
        return frame

    def area_effects(self) -> pd.DataFrame:
        """Context effects per area on the logit scale (positive = better grades), with intervals and n."""
        beta = self._draws["beta"]
        n_area = np.bincount(self.data_["area_idx"], minlength=len(self.data_["areas"]))
        return pd.DataFrame([{"area": area, "term": term, **_summ(beta[:, a, k], self.ci_prob), "n": int(n_area[a])}
                             for a, area in enumerate(self.data_["areas"])
                             for k, term in enumerate(self.data_["cov_names"])])

    def diagnostics(self) -> dict:
        return {**self.diagnostics_, "framework": self.framework, "data": self.data_["info"], "fit": self.fit_settings_,
                "timing": self.timing_, "repair": self.repair_}

    def save(self, directory: str | Path, pseudonymise: bool = True) -> Path:
        """``inspector_effects.csv``, ``variance_partition.json`` (top-level sd_inspector, icc_inspector,
        median_odds_ratio as {mean, ci_low, ci_high}, as the single-area model), ``area_effects.csv``,
        ``diagnostics.json`` and ``posterior.nc`` (for :meth:`load`: the counterfactual of an evidence pack),
        through the package's one writer as :meth:`InspectorModel.save` does (inspector ids
        as pseudonyms unless ``pseudonymise=False``; ``privacy.json``; the record also as ``privacy_``)."""
        from inspect_audit.inspectors.saving import protect_fit_outputs

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", diag_mod.ConvergenceWarning)
            self.inspector_effects().to_csv(out / "inspector_effects.csv", index=False)
        vp = self.variance_partition()
        top = {r["statistic"]: {k: r[k] for k in ("mean", "ci_low", "ci_high")} for r in vp.to_dict("records")}
        (out / "variance_partition.json").write_text(json.dumps(
            {**top, "ci_prob": self.ci_prob, "converged": bool(self.diagnostics_["ok"]),
             "rows": vp.to_dict("records")}, indent=1) + "\n", encoding="utf-8")
        self.area_effects().to_csv(out / "area_effects.csv", index=False)
        (out / "diagnostics.json").write_text(json.dumps(_jsonable(self.diagnostics()), indent=1) + "\n",
                                              encoding="utf-8")
        write_posterior(self._posterior_tree(), out, pseudonymise)
        self.privacy_ = protect_fit_outputs(out, pseudonymise, int(len(self.data_["inspector_ids"])))
        return out

    _OPTIONS = ("framework", "areas", "progress", "area_inspector", "form", "threshold", "prob_threshold", "fdr",
                "ci_prob", "target_accept", "adaptation", "gates")

    def _posterior_tree(self) -> xr.DataTree:
        """What :meth:`load` needs, for ``posterior.nc``: the posterior of :data:`SAVED` (evenly thinned to at most
        :data:`MAX_SAVED_DRAWS` draws, every chain kept) and the modelled data's arrays."""
        post = self.idata_["posterior"]
        ds = post.to_dataset() if hasattr(post, "to_dataset") else post
        ds = ds[[v for v in SAVED if v in ds.data_vars]]
        per_chain = max(1, MAX_SAVED_DRAWS // ds.sizes["chain"])
        ds = ds.isel(draw=slice(None, None, max(1, int(np.ceil(ds.sizes["draw"] / per_chain)))))
        d = self.data_
        rows = {k: ("row", np.asarray(d[k])) for k in ("y", "area_idx", "ins_idx", "insp_idx")}
        design = xr.Dataset({"X": (("row", "cov"), np.asarray(d["X"], float)), **rows,
                             "inspector_ids": ("inspector", np.asarray(d["inspector_ids"]).astype(str))},
                            coords={"area": list(d["areas"]), "cov": list(d["cov_names"]),
                                    "inspection": np.asarray(d["inspection_ids"]).astype(str)},
                            attrs={"scale": d["scale"], "K": int(d["K"]), "framework": d["framework"],
                                   "info": json.dumps(_jsonable(d["info"]))})
        tree = xr.DataTree.from_dict({"posterior": ds, "design": design})
        tree.attrs["inspect_audit_model"] = json.dumps(_jsonable({
            "kind": "multi_area", "params": {k: getattr(self, k) for k in self._OPTIONS}, "fit": self.fit_settings_,
            "timing": self.timing_, "repair": self.repair_, "diagnostics": self.diagnostics_}))
        return tree

    @classmethod
    def load(cls, directory: str | Path) -> "MultiAreaModel":
        """A fitted model from a folder written by :meth:`save` (or its ``posterior.nc``): the summaries and the
        counterfactual from the saved draws; the gates as the fit recorded them."""
        path = Path(directory)
        nc = path / "posterior.nc" if path.is_dir() else path
        with xr.open_datatree(nc, engine="h5netcdf") as tree:
            tree = tree.load()
        meta = json.loads(tree.attrs.get("inspect_audit_model", "{}"))
        if meta.get("kind") != "multi_area":
            raise ValueError(f"{nc} is not a saved multi-area fit")
        obj = cls(**meta["params"])
        des = tree["design"].to_dataset()
        obj.data_ = {**{k: des[k].values for k in ("X", "y", "area_idx", "ins_idx", "insp_idx")},
                     "areas": [str(a) for a in des["area"].values], "cov_names": [str(c) for c in des["cov"].values],
                     "inspection_ids": des["inspection"].values.astype(str),
                     "inspector_ids": des["inspector_ids"].values.astype(str), "scale": str(des.attrs["scale"]),
                     "K": int(des.attrs["K"]), "framework": str(des.attrs["framework"]),
                     "info": json.loads(des.attrs["info"])}
        obj.idata_ = tree
        obj._draws = _flat_draws(tree["posterior"])
        obj.diagnostics_, obj.fit_settings_ = meta["diagnostics"], meta["fit"]
        obj.timing_, obj.repair_ = meta["timing"], meta["repair"]
        return obj
