"""Convergence gates for a fit (design note §6): hard gates, not advice.

A fit is ``ok`` only if every reported parameter has rank-normalised split R-hat <= 1.01,
bulk and tail ESS >= 400, there are no divergent transitions and every chain's E-BFMI > 0.3
(and, for the inspector model, its replicated overall grade shares contain the observed ones:
``model_checks.ppc_summary``).
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import xarray as xr

GATES = {"rhat_max": 1.01, "ess_min": 400.0, "divergences_max": 0, "bfmi_min": 0.3, "mcse_p_max": 0.02}

#: Parameters whose convergence is checked (school effects are not reported, so only their SD is).
CHECKED = ("cutpoints", "cutpoints_marginal", "beta", "gamma", "sd_inspector", "sd_school", "sd_year", "inspector_effect",
           "year_effect", "inspector_residual", "sd_slope", "corr_intercept_slope", "inspector_slope",
           "sd_consistency", "inspector_consistency", "fsm_boundary_deviation", "sd_inspection", "sd_area_inspector",
           "area_inspector_deviation")


class ConvergenceWarning(UserWarning):
    """The sampler did not pass the convergence gates; results must not be used for decisions."""


def _ds(node) -> xr.Dataset:
    return node.to_dataset() if hasattr(node, "to_dataset") else node


def _worst(ds: xr.Dataset, fn) -> tuple[float, str]:
    best_val, best_name = None, ""
    for name, da in ds.data_vars.items():
        vals = np.asarray(da.values, dtype=float).ravel()
        if vals.size == 0:
            continue
        vals = np.where(np.isnan(vals), np.inf if fn is max else -np.inf, vals)
        v = fn(vals)
        if best_val is None or (v > best_val if fn is max else v < best_val):
            best_val, best_name = float(v), name
    return (float("nan") if best_val is None else best_val), best_name


def compute(idata, gates: dict | None = None) -> dict:
    """Diagnostics of a DataTree from ``pm.sample``, with the gate verdict in ``ok``."""
    g = {**GATES, **(gates or {})}
    post = _ds(idata["posterior"])
    # constants (no year effect when there is one year cell) have no R-hat: nothing to check
    names = [n for n in CHECKED if n in post.data_vars and float(np.ptp(np.asarray(post[n].values))) > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rhat = _ds(az.rhat(idata, var_names=names))
        ess_b = _ds(az.ess(idata, var_names=names, method="bulk"))
        ess_t = _ds(az.ess(idata, var_names=names, method="tail"))
    max_rhat, rhat_var = _worst(rhat, max)
    min_bulk, bulk_var = _worst(ess_b, min)
    min_tail, tail_var = _worst(ess_t, min)
    stats = _ds(idata["sample_stats"])
    div = int(np.asarray(stats["diverging"].values).sum()) if "diverging" in stats else 0
    energy = np.asarray(stats["energy"].values, dtype=float)
    num = np.mean(np.diff(energy, axis=1) ** 2, axis=1)
    den = np.var(energy, axis=1)
    bfmi = num / np.where(den > 0, den, np.nan)
    min_bfmi = float(np.nanmin(bfmi)) if np.isfinite(bfmi).any() else float("nan")
    n_chains, n_draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    checks = {
        "rhat": bool(np.isfinite(max_rhat) and max_rhat <= g["rhat_max"]),
        "ess_bulk": bool(np.isfinite(min_bulk) and min_bulk >= g["ess_min"]),
        "ess_tail": bool(np.isfinite(min_tail) and min_tail >= g["ess_min"]),
        "divergences": div <= g["divergences_max"],
        "bfmi": bool(np.isfinite(min_bfmi) and min_bfmi > g["bfmi_min"]),
        "chains": n_chains >= 2,
    }
    return {
        "ok": all(checks.values()),
        "max_rhat": max_rhat, "max_rhat_variable": rhat_var,
        "min_ess_bulk": min_bulk, "min_ess_bulk_variable": bulk_var,
        "min_ess_tail": min_tail, "min_ess_tail_variable": tail_var,
        "divergences": div, "min_bfmi": min_bfmi,
        "checks": checks, "gates": g,
        "chains": n_chains, "draws": n_draws,
        "checked_variables": names,
    }


def explain(diag: dict) -> str:
    """One sentence naming the failed gates."""
    g = diag["gates"]
    parts = []
    c = diag["checks"]
    if not c["rhat"]:
        parts.append(f"max R-hat {diag['max_rhat']:.3f} > {g['rhat_max']} ({diag['max_rhat_variable']})")
    if not c["ess_bulk"]:
        parts.append(f"min bulk ESS {diag['min_ess_bulk']:.0f} < {g['ess_min']:.0f} ({diag['min_ess_bulk_variable']})")
    if not c["ess_tail"]:
        parts.append(f"min tail ESS {diag['min_ess_tail']:.0f} < {g['ess_min']:.0f} ({diag['min_ess_tail_variable']})")
    if not c["divergences"]:
        parts.append(f"{diag['divergences']} divergent transitions")
    if not c["bfmi"]:
        parts.append(f"min E-BFMI {diag['min_bfmi']:.2f} <= {g['bfmi_min']}")
    if not c["chains"]:
        parts.append("fewer than 2 chains")
    if not c.get("ppc", True):
        p = diag.get("ppc", {})
        parts.append(f"posterior predictive check: an overall grade share outside its 99% predictive interval "
                     f"(min p = {p.get('overall_min_p', float('nan')):.3f})")
    return "; ".join(parts) if parts else "all gates passed"


def explain_repair(repair: list[dict]) -> str:
    """What the runs of a fit tried, one clause per run (``InspectorModel.repair_``)."""
    return "; ".join(f"run {e['run']}: {e['what']} -> {'passed' if e['result']['ok'] else 'failed'}"
                     for e in repair)


#: what a user can change when the repair's budget is spent (the CLI options of ``inspect-audit inspectors``)
ADVICE = ("what you can change: a longer budget (--max-refits, --max-draws-factor), more tuning (--tune), "
          "a higher target acceptance (--target-accept 0.99), another parameterisation (--year-effects fixed, "
          "--centred; with --framework, --form non_centred), or a simpler model (drop --random-slope / --consistency)")


def warn_if_failed(diag: dict, stacklevel: int = 3, repair: list[dict] | None = None) -> None:
    """A :class:`ConvergenceWarning` naming the failed gates, what the repair tried, and what to change."""
    if not diag["ok"]:
        tried = f" Tried: {explain_repair(repair)}." if repair else ""
        warnings.warn(
            "INSPECTOR MODEL DID NOT CONVERGE: " + explain(diag) + ". No inspector is flagged." + tried + " "
            + ADVICE[0].upper() + ADVICE[1:] + ".", ConvergenceWarning, stacklevel=stacklevel)
