"""What an expert does when a fit fails its convergence gates, within a stated budget.

The gates (:mod:`.diagnostics`) never move; the sampler and the parameterisation do. After each run,
:func:`next_step` reads the failed gates and the posterior and chooses one step:

* **E-BFMI** alone: twice the adaptation;
* **divergences**: find the hierarchical SD whose funnel they sit in
  (:func:`locate_divergences`: divergent draws at unusually small or large values of log SD); switch the
  parameterisation there (year effects to fixed effects; inspector effects centred <-> non-centred; the
  multi-area model's inspection effects centred with inspector effects integrated out <-> non-centred),
  otherwise raise the target acceptance (0.9 -> 0.95 -> 0.99), then lengthen the adaptation;
* **R-hat over the gate**: longer chains (R-hat's noise falls with each chain's ESS, not with the number of
  chains), as long as the measured ESS per chain says; far off (> 1.05: chains in different places) also
  twice the adaptation;
* **too few effective draws** (bulk or tail ESS under the gate, R-hat within it): more chains of the same
  run, as many as the measured ESS per chain says are needed, appended to those already drawn (nothing
  thrown away): sampling stops when the gate is met, not at a fixed count;
* **posterior predictive check**: nothing sampling can mend; stop and say so.

Every step is recorded (what failed, what was done, how long it took) and reported with the fit.

Examples
--------
>>> budget = RepairBudget()
>>> step = next_step({"ok": False, "divergences": 0, "max_rhat": 1.008, "min_ess_bulk": 250.0,
...                   "min_ess_tail": 390.0, "min_bfmi": 0.9, "gates": {"ess_min": 400.0, "rhat_max": 1.01},
...                   "checks": {"rhat": True, "ess_bulk": False, "ess_tail": False, "divergences": True,
...                              "bfmi": True, "chains": True, "ppc": True}},
...                  None, SamplerState(chains=4, tune=500, draws=500, target_accept=0.9,
...                                     year_effects="fixed", centered=False), budget)
>>> step.action, step.extra_chains
('append', 4)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

#: hierarchical SDs whose funnels divergences can sit in, with the option that reparameterises each
FUNNEL_PARAMETERS = ("sd_year", "sd_inspector", "sd_school", "sd_slope", "sd_consistency", "sd_inspection",
                     "sd_area_inspector")
#: how far (in posterior SDs of log SD) divergent draws must sit from the others to name a funnel
LOCATE_MIN_Z = 0.5
TARGET_ACCEPT_STEPS = (0.95, 0.99)
#: effective draws per chain that keep R-hat's sampling noise under the 1.01 gate (about 1 / (2 x 50))
PER_CHAIN_ESS_FOR_RHAT = 100.0


@dataclass(frozen=True)
class RepairBudget:
    """How far the repair may go before the fit is reported as not converged.

    ``max_refits``: fresh runs after the first (parameterisation, target acceptance, adaptation);
    ``max_draws_factor``: total draws (all runs, all chains) at most this multiple of the first run's;
    ``max_target_accept``: the highest target acceptance tried.
    """

    max_refits: int = 3
    max_draws_factor: float = 4.0
    max_target_accept: float = 0.99


@dataclass(frozen=True)
class SamplerState:
    """The settings of one run: sampler settings and the parameterisation of the model."""

    chains: int
    tune: int
    draws: int
    target_accept: float
    year_effects: str
    centered: bool
    tried: tuple = field(default=())  #: parameterisations already used ("year_effects=fixed", ...)

    def key(self) -> tuple:
        return (self.year_effects, self.centered)


@dataclass(frozen=True)
class Step:
    """One repair step: ``action`` is ``"append"`` (more chains of the same run), ``"refit"`` (a fresh run
    with ``state``) or ``"stop"`` (nothing left to try within the budget, or nothing sampling can mend)."""

    action: str
    reason: str
    what: str
    state: SamplerState | None = None
    extra_chains: int = 0


def locate_divergences(idata) -> tuple[str | None, float]:
    """The hierarchical SD the divergences sit in, and how far (z, + = larger values) they sit from the rest.

    For each SD in :data:`FUNNEL_PARAMETERS` present in the posterior: the mean of log SD over divergent
    draws minus the mean over all draws, in posterior SDs of log SD. A funnel shows as divergences piled at
    small SDs (z < 0; the non-centred form or fixed effects remove it) or, where the data inform each effect
    strongly, at large ones (z > 0; the centred form). Returns ``(None, 0.0)`` without divergences or when
    no SD stands out by :data:`LOCATE_MIN_Z`.
    """
    post = idata["posterior"]
    stats = idata["sample_stats"]
    div = np.asarray(stats["diverging"].values, dtype=bool).ravel()
    if not div.any() or div.all():
        return None, 0.0
    best, best_z = None, 0.0
    for name in FUNNEL_PARAMETERS:
        if name not in post.data_vars:
            continue
        x = np.asarray(post[name].values, dtype=float).ravel()
        if x.shape != div.shape or not np.all(np.isfinite(x)) or np.any(x <= 0):
            continue
        lx = np.log(x)
        sd = lx.std()
        if sd <= 0:
            continue
        z = (lx[div].mean() - lx.mean()) / sd
        if abs(z) > abs(best_z):
            best, best_z = name, float(z)
    if best is None or abs(best_z) < LOCATE_MIN_Z:
        return None, float(best_z)
    return best, best_z


def _reparameterise(culprit: str | None, z: float, state: SamplerState, random_slope: bool) -> tuple[SamplerState, str] | None:
    """A new parameterisation for the funnel of ``culprit``, or None if none is left to try."""
    if culprit == "sd_year" and state.year_effects in ("non_centred", "centred"):
        new = replace(state, year_effects="fixed")
        what = "year effects made fixed effects (no between-cell SD, so no funnel)"
    elif culprit == "sd_inspection":  # the multi-area model: state.centered is its marginal form
        new = replace(state, centered=z > 0)
        what = ("inspection effects centred, inspector effects integrated out (divergences at large sd_inspection: "
                "the areas pin each inspection)" if z > 0 else
                "inspection effects non-centred (divergences at small sd_inspection: a funnel)")
    elif culprit == "sd_inspector" and not random_slope:
        new = replace(state, centered=z > 0)
        what = ("inspector effects centred (divergences at large sd_inspector: the data pin each inspector)"
                if z > 0 else "inspector effects non-centred (divergences at small sd_inspector: a funnel)")
    else:
        return None
    if new.key() == state.key() or new.key() in state.tried:
        return None
    return replace(new, tried=state.tried + (state.key(),)), what


def next_step(diag: dict, idata, state: SamplerState, budget: RepairBudget, *, refits: int = 0,
              draws_used: int = 0, draws_first: int | None = None, random_slope: bool = False) -> Step:
    """The next step after a run whose gates gave ``diag`` (see the module docstring)."""
    c = diag["checks"]
    g = diag["gates"]
    draws_first = draws_first or state.chains * state.draws
    draws_used = draws_used or state.chains * state.draws
    if diag["ok"]:
        return Step("stop", "all gates passed", "nothing")
    sampling_ok = all(c[k] for k in ("rhat", "ess_bulk", "ess_tail", "divergences", "bfmi", "chains"))
    if sampling_ok and not c.get("ppc", True):
        return Step("stop", "the posterior predictive check failed",
                    "nothing: the model does not reproduce the observed grade shares; more sampling cannot mend it")
    can_refit = refits < budget.max_refits
    if not c["divergences"] or not c["bfmi"]:
        reason = (f"{diag['divergences']} divergent transitions" if not c["divergences"]
                  else f"E-BFMI {diag['min_bfmi']:.2f}")
        if not can_refit:
            return Step("stop", reason, f"nothing: the budget of {budget.max_refits} refits is spent")
        if c["divergences"]:  # E-BFMI alone: the momentum resampling cannot keep up with the energy; adapt longer
            return Step("refit", reason, f"adaptation {state.tune} -> {2 * state.tune} tuning draws",
                        replace(state, tune=2 * state.tune))
        culprit, z = locate_divergences(idata) if idata is not None else (None, 0.0)
        where = f" (they sit at {'large' if z > 0 else 'small'} {culprit}, z = {z:+.1f})" if culprit else ""
        moved = _reparameterise(culprit, z, state, random_slope)
        if moved is not None:
            return Step("refit", reason + where, moved[1], moved[0])
        higher = [t for t in TARGET_ACCEPT_STEPS if t > state.target_accept and t <= budget.max_target_accept]
        if higher:
            return Step("refit", reason + where, f"target acceptance {state.target_accept} -> {higher[0]} "
                        "(smaller steps through the curved region)", replace(state, target_accept=higher[0]))
        return Step("refit", reason + where, f"adaptation {state.tune} -> {2 * state.tune} tuning draws",
                    replace(state, tune=2 * state.tune))
    ess = min(diag["min_ess_bulk"], diag["min_ess_tail"])
    ess = ess if np.isfinite(ess) and ess > 0 else 1.0
    total_chains = int(diag.get("chains", state.chains))
    room = int(budget.max_draws_factor * draws_first - draws_used)
    if not c["rhat"]:
        # R-hat's excess over 1 under perfect mixing is about 1 / (ESS per split chain): more chains do not
        # lower it, longer chains do (Vehtari et al. 2021); far off (> 1.05), the adaptation is doubled too
        far = diag["max_rhat"] > 1.05
        reason = (f"max R-hat {diag['max_rhat']:.3f} ({diag.get('max_rhat_variable', '')})"
                  + (": chains disagree" if far else f" with {ess / max(total_chains, 1):.0f} effective draws per chain"))
        per_chain_needed = PER_CHAIN_ESS_FOR_RHAT * max(total_chains, 1) / ess
        factor = max(2.0, per_chain_needed) if not far else 2.0
        new_draws = int(math.ceil(state.draws * factor / 100.0) * 100)
        new_tune = 2 * state.tune if far else state.tune
        if not can_refit or state.chains * new_draws > room:
            new_draws = (room // max(state.chains, 1)) // 100 * 100
            if not can_refit or new_draws <= state.draws:
                return Step("stop", reason, "nothing: the budget is spent "
                            f"({budget.max_refits} refits, {budget.max_draws_factor:g}x the first run's draws)")
        what = (f"longer chains: {state.draws} -> {new_draws} draws each"
                + (f", adaptation {state.tune} -> {new_tune}" if far else ""))
        return Step("refit", reason, what, replace(state, draws=new_draws, tune=new_tune))
    # too few effective draws, R-hat within the gate: more chains of the same run, appended
    need = g["ess_min"] / ess
    extra = max(2, math.ceil(total_chains * (1.15 * need - 1.0)))
    extra += extra % 2  # pairs of chains keep both cores busy
    reason = f"min ESS bulk {diag['min_ess_bulk']:.0f} / tail {diag['min_ess_tail']:.0f} < {g['ess_min']:.0f}"
    extra = min(extra, room // max(state.draws, 1))
    if extra < 1:
        return Step("stop", reason, f"nothing: the draw budget ({budget.max_draws_factor:g}x the first run) is spent")
    return Step("append", reason, f"{extra} more chains of {state.draws} draws appended "
                f"(measured ESS per chain says about {need:.1f}x the draws are needed)", state, extra)


def sample_until_converged(build, state: SamplerState, *, seed: int, budget: RepairBudget, gates: dict,
                           first_what: str = "first run", say=lambda msg: None, random_slope: bool = False,
                           sampler: str = "nutpie", form_of=None,
                           **sample_options) -> tuple[object, SamplerState, list[dict]]:
    """Sample, check the gates and take :func:`next_step` until they pass or the budget is spent.

    ``build(state)`` returns the PyMC model for a :class:`SamplerState` (its parameterisation);
    ``sample_options`` go to :func:`.model.sample` (adaptation, progress, cores). Returns the draws of the
    last run (appended chains included), its state, and one record per run (what was done and why, seconds,
    the gates' figures; ``form_of(state)``, where given, names the parameterisation in each record as ``form``).
    Sampler ``"pymc"`` (benchmarks) runs once. The predictive check is left to the
    caller: it costs a pass over the data and sampling cannot mend it.
    """
    from inspect_audit.inspectors import diagnostics as diag_mod
    from inspect_audit.inspectors.model import NutpieCache, sample

    cache = NutpieCache()  # appended chains and refits of one parameterisation compile once
    runs: list[dict] = []
    refits, run, idata, model, draws_used = 0, 0, None, None, 0
    draws_first = state.chains * state.draws
    step = Step("refit", "first run", first_what, state)
    while True:
        t_run = time.perf_counter()
        run_seed = int(np.random.SeedSequence([int(seed), run]).generate_state(1)[0] % (2**31)) if run else int(seed)
        if step.action == "refit":
            state = step.state
            model = build(state)
            say(f"run {run + 1}: {step.what}; {state.chains} chains x ({state.tune} tuning + {state.draws} draws), "
                f"target acceptance {state.target_accept}; compiling and sampling...")
            idata = sample(model, chains=state.chains, tune=state.tune, draws=state.draws, seed=run_seed,
                           target_accept=state.target_accept, sampler=sampler, cache=cache, **sample_options)
            run_sampling = float(idata["posterior"].attrs.get("sampling_time", np.nan))
            draws_used += state.chains * state.draws
            refits += run > 0
        else:
            say(f"run {run + 1}: {step.what}...")
            more = sample(model, chains=step.extra_chains, tune=state.tune, draws=state.draws, seed=run_seed,
                          target_accept=state.target_accept, sampler=sampler, cache=cache, **sample_options)
            run_sampling = float(more["posterior"].attrs.get("sampling_time", np.nan))
            idata = combine_chains(idata, more)
            draws_used += step.extra_chains * state.draws
        diag = diag_mod.compute(idata, gates)
        entry = {"run": run + 1, "action": step.action, "why": step.reason, "what": step.what,
                 "chains_total": int(idata["posterior"].sizes["chain"]), "tune": state.tune, "draws": state.draws,
                 "target_accept": state.target_accept, "year_effects": state.year_effects,
                 "inspector_effects": "centred" if state.centered else "non_centred",
                 "seconds": round(time.perf_counter() - t_run, 2), "sampling_seconds": round(run_sampling, 2),
                 "result": summary(diag)}
        if form_of is not None:
            entry["form"] = form_of(state)
            del entry["inspector_effects"]
        runs.append(entry)
        say(f"run {run + 1}: {diag_mod.explain(diag)}")
        run += 1
        if diag["ok"] or sampler != "nutpie" or (not budget.max_refits and budget.max_draws_factor <= 1):
            return idata, state, runs
        step = next_step(diag, idata, state, budget, refits=refits, draws_used=draws_used, draws_first=draws_first,
                         random_slope=random_slope)
        if step.action == "stop":
            entry["next"] = step.what
            return idata, state, runs


def combine_chains(first, more):
    """One DataTree with the chains of ``first`` followed by those of ``more`` (same model and settings)."""
    import xarray as xr

    out = first.copy()
    for group in ("posterior", "sample_stats"):
        a = first[group].to_dataset() if hasattr(first[group], "to_dataset") else first[group]
        b = more[group].to_dataset() if hasattr(more[group], "to_dataset") else more[group]
        n = a.sizes["chain"]
        a = a.assign_coords(chain=np.arange(n))
        b = b.assign_coords(chain=np.arange(n, n + b.sizes["chain"]))
        merged = xr.concat([a, b], dim="chain", combine_attrs="override")
        if "sampling_time" in a.attrs and "sampling_time" in b.attrs:
            merged.attrs["sampling_time"] = float(a.attrs["sampling_time"]) + float(b.attrs["sampling_time"])
        out[group] = xr.DataTree(merged)
    return out


def summary(diag: dict) -> dict:
    """The gate figures of one run, for the repair log."""
    return {"ok": bool(diag["ok"]), "max_rhat": round(float(diag["max_rhat"]), 4),
            "min_ess_bulk": round(float(diag["min_ess_bulk"]), 1),
            "min_ess_tail": round(float(diag["min_ess_tail"]), 1), "divergences": int(diag["divergences"]),
            "min_bfmi": round(float(diag["min_bfmi"]), 3)}
