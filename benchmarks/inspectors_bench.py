"""Inspector model M1 at scale: nutpie vs PyMC's own NUTS on the same model, same data, same run.

Run: ``.venv/bin/python benchmarks/inspectors_bench.py [--samplers nutpie,pymc,pymc-orderedlogistic]
[--chains 4 --tune 500 --draws 1000] [--seed 1] [--national] [--floor] [--json results.jsonl]``.

Samplers: ``nutpie`` (the package's default: nutpie with the fused numba likelihood), ``pymc`` (PyMC's
own NUTS on the same graph, fused likelihood included: the sampler alone differs),
``pymc-orderedlogistic`` (PyMC's own NUTS on the same statistical model written with
``pm.OrderedLogistic``, as a PyMC user would: the peer for the whole pipeline), ``nutpie-orderedlogistic``.

Data: the simulator (``inspect_audit.data.simulate``) scaled to about 20,000 graded inspections by 400 lead
inspectors (``--national``: about 100,000 by 2,000; expect tens of minutes for nutpie alone and hours
for PyMC's NUTS on 2 cores). For each sampler the same :class:`InspectorModel` (default options) is
fitted and the script prints wall time (model build, compile and sampling), sampling time, the minimum
bulk ESS over every gated parameter, ESS per second, the convergence gates and a few recovery checks;
then the nutpie / PyMC ratios. ``--floor`` adds nutpie on an iid normal of the model's dimension (the
leapfrog steps per iteration NUTS takes on the best-conditioned posterior of that size) and the time per
gradient the wall-time goal would need. The first fit of a new graph includes numba's compile (cold cache).

Not a test: timings depend on the machine, its load and the numba cache state.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd

from inspect_audit.inspectors import ConvergenceWarning, InspectorModel
from inspect_audit.data.simulate import SimulationConfig, simulate

#: inspections per school in the simulator with the default repeat shares (measured: 2,781 / 2,000)
INSPECTIONS_PER_SCHOOL = 1.39


def make_data(n_inspections: int, n_inspectors: int, seed: int):
    cfg = SimulationConfig(n_schools=int(round(n_inspections / INSPECTIONS_PER_SCHOOL)), n_inspectors=n_inspectors,
                           paired_n_schools=0, survey_n_schools=0)
    t0 = time.perf_counter()
    data = simulate(cfg, seed=seed)
    return data, time.perf_counter() - t0


def recovery(model: InspectorModel, truth: dict) -> dict:
    vp = model.variance_partition().set_index("statistic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        eff = model.inspector_effects()
    tr = pd.DataFrame(truth["inspectors"]).set_index("inspector_id")
    sev = tr.loc[eff["inspector_id"], "severity"].to_numpy()
    sev = sev - sev.mean()
    resid = tr.loc[eff["inspector_id"], "severity_residual"].to_numpy()
    ctx = model.context_effects()
    fsm = ctx[(ctx["term"] == "fsm_quintile") & (ctx["scale"] == "logit")].iloc[0]
    return {
        "sd_inspector_realised": float(resid.std()),
        "sd_inspector": [float(vp.loc["sd_inspector", k]) for k in ("mean", "ci_low", "ci_high")],
        "severity_coverage_90": float(np.mean((eff["ci_low"] <= sev) & (sev <= eff["ci_high"]))),
        "fsm_direct_truth": truth["beta"]["fsm_quintile_direct"],
        "fsm_direct": [float(fsm[k]) for k in ("mean", "ci_low", "ci_high")],
        "flags": {k: model.flag_summary_.get(k) for k in ("n_severe", "n_lenient", "expected_false_flags", "suppressed")},
    }


def ess_by_parameter(model: InspectorModel) -> dict:
    """Bulk ESS of the hyperparameters and the min / median over inspector effects, cutpoints, beta."""
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ess = az.ess(model.idata_, var_names=["sd_inspector", "sd_school", "sd_year", "inspector_effect",
                                                "cutpoints", "beta", "gamma"], method="bulk")
    ds = ess.to_dataset() if hasattr(ess, "to_dataset") else ess
    out = {}
    for name, da in ds.data_vars.items():
        v = np.asarray(da.values, dtype=float).ravel()
        out[name] = round(float(v[0]), 0) if v.size == 1 else {"min": round(float(v.min()), 0),
                                                               "median": round(float(np.median(v)), 0)}
    return out


def run(name: str, data, args) -> dict:
    sampler, _, likelihood = name.partition("-")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = InspectorModel(fused_likelihood=likelihood != "orderedlogistic").fit(
            data, chains=args.chains, tune=args.tune, draws=args.draws, seed=args.seed, progress=False, sampler=sampler)
    wall = time.perf_counter() - t0
    diag = model.diagnostics()
    # every run of the fit (the repair's appended chains and refits count; PyMC's NUTS runs once)
    sampling = float(model.timing_["sampling_seconds"])
    n = diag["data"]["n"]
    stats = model.idata_["sample_stats"]
    steps = float(stats["n_steps"].mean()) if "n_steps" in stats else None
    return {
        "sampler": name, "chains": model.n_chains_, "tune": model.fit_settings_["tune"],
        "draws": model.fit_settings_["draws"], "seed": args.seed, "runs": len(getattr(model, "repair_", [])) or 1,
        "repair": [e["what"] for e in getattr(model, "repair_", [])[1:]],
        "inspections": n["inspections"], "inspectors": n["inspectors"], "schools": n["schools"],
        "school_effects": n["school_effects"], "wall_s": round(wall, 1), "sampling_s": round(sampling, 1),
        "min_ess_bulk": round(float(diag["min_ess_bulk"]), 1), "min_ess_bulk_variable": diag["min_ess_bulk_variable"],
        "min_ess_tail": round(float(diag["min_ess_tail"]), 1),
        "ess_per_s_wall": round(float(diag["min_ess_bulk"]) / wall, 3),
        "ess_per_s_sampling": round(float(diag["min_ess_bulk"]) / sampling, 3) if sampling > 0 else None,
        "max_rhat": round(float(diag["max_rhat"]), 4), "max_rhat_variable": diag["max_rhat_variable"],
        "divergences": diag["divergences"], "min_bfmi": round(float(diag["min_bfmi"]), 3), "gates_ok": diag["ok"],
        "checks": diag["checks"], "ess_bulk": ess_by_parameter(model), "recovery": recovery(model, data.truth),
        "steps_per_iteration": None if steps is None else round(steps, 1),
        "n_parameters": n_parameters(model, data), "target_accept": model.target_accept,
    }


def n_parameters(model: InspectorModel, data) -> int:
    """Dimension of the sampled (unconstrained) posterior."""
    from inspect_audit.inspectors.estimator import build_design

    design = build_design(data, model.area, progress=False, school_effect=model.school_effect)
    return int(sum(np.size(v) for v in model.build_model(design).initial_point().values()))


def reference_normal(dim: int, target_accept: float, args) -> dict:
    """nutpie on the easiest posterior of the same size, an iid standard normal with ``dim`` parameters, with the
    fit's chains, warm-up, draws and target acceptance. NUTS needs longer trajectories as the dimension grows
    (step size about d^(-1/4)), so its leapfrog steps per iteration are a floor for the model's."""
    import nutpie
    import pymc as pm

    with pm.Model() as normal:
        pm.Normal("x", 0.0, 1.0, shape=dim)
    compiled = nutpie.compile_pymc_model(normal, backend="numba")
    trace = nutpie.sample(compiled, draws=args.draws, tune=args.tune, chains=args.chains, cores=min(args.chains, 2),
                          seed=args.seed, progress_bar=False, target_accept=target_accept)
    return {"dim": dim, "target_accept": target_accept,
            "steps_per_iteration": round(float(trace["sample_stats"]["n_steps"].mean()), 1)}


def print_floor(fit: dict, floor: dict, limit: float, cores: int) -> None:
    """The floor's steps beside the fit's, and the time per gradient the wall-time goal would need."""
    iterations = fit["chains"] * (fit["tune"] + fit["draws"])
    per_gradient = fit["sampling_s"] * cores / (iterations * fit["steps_per_iteration"])
    budget = (limit - (fit["wall_s"] - fit["sampling_s"])) * cores / (iterations * floor["steps_per_iteration"])
    print(f"floor: an iid normal with {floor['dim']:,} parameters takes {floor['steps_per_iteration']:.1f} leapfrog "
          f"steps per iteration at target_accept {floor['target_accept']}; the model took "
          f"{fit['steps_per_iteration']:.1f}. Time per gradient in the fit (sampling time x {cores} cores / gradients): "
          f"{per_gradient * 1e3:.2f} ms; the {limit:.0f} s goal, at the floor's steps and this fit's set-up time, "
          f"needs {budget * 1e3:.2f} ms")


def print_ratios(a: dict, b: dict) -> None:
    """nutpie (a) against a peer (b): wall time and ESS per second, overall and by parameter."""
    print(f"nutpie / {b['sampler']}: wall {a['wall_s'] / b['wall_s']:.2f}x the time; min ESS/s (wall) "
          f"{a['ess_per_s_wall'] / b['ess_per_s_wall']:.1f}x; min ESS/s (sampling) "
          f"{a['ess_per_s_sampling'] / b['ess_per_s_sampling']:.1f}x")
    ratios = []
    for name in ("sd_inspector", "sd_school", "sd_year"):
        if isinstance(a["ess_bulk"].get(name), float) and isinstance(b["ess_bulk"].get(name), float):
            ratios.append(f"{name} {(a['ess_bulk'][name] / a['sampling_s']) / (b['ess_bulk'][name] / b['sampling_s']):.1f}x")
    ie_a, ie_b = a["ess_bulk"].get("inspector_effect"), b["ess_bulk"].get("inspector_effect")
    if ie_a and ie_b:
        ratios.append(f"median inspector effect {(ie_a['median'] / a['sampling_s']) / (ie_b['median'] / b['sampling_s']):.1f}x")
    print(f"ESS/s (sampling) by parameter, nutpie / {b['sampler']}: " + "; ".join(ratios))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samplers", default="nutpie,pymc,pymc-orderedlogistic",
                   help="comma-separated: nutpie, pymc (PyMC's own NUTS, same graph), pymc-orderedlogistic "
                        "(PyMC's own NUTS with pm.OrderedLogistic), nutpie-orderedlogistic")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=500, help="first run's tuning draws (the package default)")
    p.add_argument("--draws", type=int, default=1000, help="first run's draws (the package default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--national", action="store_true", help="100,000 inspections / 2,000 inspectors")
    p.add_argument("--inspections", type=int, default=None, help="override the number of inspections")
    p.add_argument("--inspectors", type=int, default=None, help="override the number of inspectors")
    p.add_argument("--json", default=None, help="append one JSON line per fit to this file")
    p.add_argument("--floor", action="store_true",
                   help="also sample an iid normal of the model's dimension (a floor on the leapfrog steps)")
    args = p.parse_args(argv)
    n_ins = args.inspections or (100_000 if args.national else 20_000)
    n_insp = args.inspectors or (2_000 if args.national else 400)
    data, t_sim = make_data(n_ins, n_insp, args.seed)
    print(f"simulated {len(data.inspections):,} inspections, {len(data.inspectors):,} inspectors, "
          f"{len(data.schools):,} schools in {t_sim:.0f} s; {args.chains} chains x ({args.tune} tune + "
          f"{args.draws} draws); machine: {os.cpu_count()} cores, {platform.python_version()}, 1-minute load "
          f"average {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    for sampler in args.samplers.split(","):
        print(f"fitting with {sampler} ...", flush=True)
        r = run(sampler.strip(), data, args)
        results.append(r)
        rec = r["recovery"]
        print(f"  {sampler}: wall {r['wall_s']:.0f} s (sampling {r['sampling_s']:.0f} s); min bulk ESS "
              f"{r['min_ess_bulk']:.0f} ({r['min_ess_bulk_variable']}), tail {r['min_ess_tail']:.0f}; ESS/s "
              f"{r['ess_per_s_wall']:.2f} (wall), {r['ess_per_s_sampling']:.2f} (sampling); max R-hat "
              f"{r['max_rhat']:.4f} ({r['max_rhat_variable']}); divergences {r['divergences']}; min E-BFMI "
              f"{r['min_bfmi']:.2f}; gates {'PASS' if r['gates_ok'] else 'FAIL ' + str(r['checks'])}; runs {r['runs']}"
              f"{' (' + '; '.join(r['repair']) + ')' if r['repair'] else ''}; load {os.getloadavg()[0]:.1f}", flush=True)
        print(f"  bulk ESS by parameter: {r['ess_bulk']}", flush=True)
        print(f"  recovery: sd_inspector {rec['sd_inspector'][0]:.3f} [{rec['sd_inspector'][1]:.3f}, "
              f"{rec['sd_inspector'][2]:.3f}] (realised {rec['sd_inspector_realised']:.3f}); severity 90% coverage "
              f"{rec['severity_coverage_90']:.2f}; FSM direct {rec['fsm_direct'][0]:.3f} (truth "
              f"{rec['fsm_direct_truth']}); flags {rec['flags']}", flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"benchmark": "inspectors", "national": args.national, **r}) + "\n")
    by = {r["sampler"]: r for r in results}
    if "nutpie" in by:
        a = by["nutpie"]
        for peer in ("pymc", "pymc-orderedlogistic", "nutpie-orderedlogistic"):
            if peer in by:
                print_ratios(a, by[peer])
        limit = 600 if args.national else 60
        if args.floor and a["steps_per_iteration"]:
            print_floor(a, reference_normal(a["n_parameters"], a["target_accept"], args), limit, min(args.chains, 2))
        print(f"goal (issue 4): gated fit in under {limit} s wall: {a['wall_s']:.0f} s, gates "
              f"{'pass' if a['gates_ok'] else 'FAIL'}: {'MET' if a['gates_ok'] and a['wall_s'] < limit else 'NOT MET'}")
        for peer in ("pymc", "pymc-orderedlogistic"):
            if peer in by:
                ratio = a["ess_per_s_sampling"] / by[peer]["ess_per_s_sampling"]
                print(f"goal (issue 4): >= 3x the min ESS/s (sampling) of {peer}: {ratio:.1f}x: "
                      f"{'MET' if ratio >= 3 else 'NOT MET'}")
    return 0 if all(r["gates_ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
