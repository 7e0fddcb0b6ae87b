"""Inspector model M1 against brms (Stan) on the same rows, in one run: wall, sampling, min bulk ESS per second.

Run: ``.venv/bin/python benchmarks/inspectors_vs_brms.py [--inspections 3000 --inspectors 150] [--seed 1]
[--json results.jsonl] [--keep DIR]``.

Data: the calibration grid's own generator (:func:`inspect_audit.data.simulate.designs.simulate_design`) on the
``no_year_effect`` design (by default exactly that design: 3,000 inspections, 150 inspectors, 1,500 schools,
one academic-year x framework cell per year of eif_2019), resized by ``--inspections`` / ``--inspectors``
(schools = inspections / 2).

Package: the default ``InspectorModel().fit(data, seed=...)`` (nutpie, 4 chains x (500 tune + 1000 draws)
first run, repaired by the package when a gate fails): ``timing_`` (wall, sampling), the minimum bulk ESS over
the gated parameters from ``diagnostics_``, the number of runs in ``repair_``.

brms: the rows the package modelled (``model.design_``: grade better-is-higher 0..K-1, the centred covariate
columns ``cov_names``, the lead inspector, the school, the academic-year x framework cell) go to a CSV, and an R
script written to a temporary folder fits, with ``Rscript`` under a timeout::

    y ~ x_1 + ... + x_p + w_male + ... + year_cell + (1 | inspector) + (1 | school),  cumulative("logit")

* priors: ``b`` ~ normal(0, 1) for the school covariates and year cells, ``normal(0, 0.5)`` for the inspector
  characteristics ``w_*`` (the package's ``gamma``; brms's per-inspector effect is then
  ``W_j gamma + r_inspector[j]``, the package's ``inspector_effect``), ``sd`` ~ normal(0, 1) (half-normal(1),
  the package's prior for sd_inspector and sd_school), thresholds ``Intercept`` ~ normal(0, 2.5);
* year cells: with the package's ``year_effects`` resolved to ``fixed`` (few cells, as here) a factor with
  sum-to-zero contrasts and normal(0, 1) on each of the T-1 coefficients (the package: ZeroSumNormal(1) over
  the T cells); ``non_centred`` / ``centred``: ``(1 | year_cell)`` with sd ~ normal(0, 0.5); ``none``: no term;
* sampler: rstan (Debian's ``r-cran-brms``), 4 chains, the package's first-run warm-up and draws
  (``--brms-warmup 500 --brms-draws 1000``), ``cores = 2``, ``adapt_delta`` 0.8 (brms's default; the package
  starts at target_accept 0.9; ``--adapt-delta`` to change), the same seed.

**The school effect differs, and it is the package that approximates.** The package gives an effect only to
schools inspected 2+ times and integrates out the effect of a school inspected once with the logistic-normal
approximation ``P(y <= k) = F((c_k - eta) / sqrt(1 + pi sd_school^2 / 8))``. brms has no such option, so it gets
``(1 | school)`` over *all* schools: the exact model the package approximates (same sd_school, same prior), at
the cost of one parameter per single-inspection school. There is no closer honest equivalent: giving singletons
no effect (or a shared dummy level) changes the latent scale of their rows. ESS per second therefore compares
the package's whole method (including the approximation) with brms's exact fit of the same generative model;
``sd_school`` and every other shared parameter estimate the same quantity.

Timings: brms's compile is timed separately (``brm(..., chains = 0)``), then sampling: the wall time of
``update(..., recompile = FALSE, future = TRUE)`` with ``future::plan(multicore, workers = cores)`` (4 chains on
2 forked workers, so no R worker start-up counts, as none does for nutpie's threads; ``--brms-parallel rstan`` uses
rstan's own ``cores`` instead, whose PSOCK workers' start-up then counts: at 3,000 inspections on the loaded 2-core
machine that call took 608.6 s against 650.8 s for the future path in a later run, so start-up is not material
beside the machine's load). The
package's sampling time is ``timing_["sampling_seconds"]`` (nutpie's wall time, 4 chains on 2 cores). Both are
wall-clock, so both grow with the machine's load. **rstan 2.21's** ``get_elapsed_time`` **is CPU time** (Stan's
``clock()``), not wall: it is printed as brms's CPU measure (chains only), beside the package's process CPU time
for the whole fit (``time.process_time``: design, compile, sampling, checks; all of nutpie's threads), and their
ESS per CPU second is a third ratio, less sensitive to load. brms's min bulk ESS is
``posterior::summarise_draws`` ``ess_bulk`` over the parameters the two fits share: ``b_*`` (thresholds,
covariates, inspector characteristics, year cells), ``sd_*`` and the per-inspector effects (``r_inspector`` and
``W gamma + r_inspector``); school effects are not gated by the package, so they are left out of both minima
(with fixed year cells the SD of brms's cell effects is printed beside the package's sd_year, not in the minimum).
ESS per second: min bulk ESS / sampling seconds and / wall seconds (brms's wall = R start to end: compile,
sampling, summaries). The ratio ``package min ESS/s / brms min ESS/s`` is the issue's goal (>= 10x).

Not a test and not run in CI: timings depend on the machine, its load (the 1-minute load average is printed at
start and end) and on numba's cache. Without ``Rscript`` or brms the script fits the package alone, says what is
missing and exits 2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit.inspectors import ConvergenceWarning, InspectorModel
from inspect_audit.data.simulate.designs import GRID, simulate_design

R_SCRIPT = r"""
suppressPackageStartupMessages({library(brms); library(posterior); library(jsonlite)})
options(warn = 1)  # say each warning when it happens
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cfg <- fromJSON(file.path(dir, "config.json"))
t_start <- Sys.time()
d <- read.csv(file.path(dir, "rows.csv"), stringsAsFactors = FALSE)
d$inspector <- factor(d$inspector)
d$school <- factor(d$school)
d$year_cell <- factor(d$year_cell)
x_terms <- c(cfg$x_names, cfg$w_names)
rhs <- x_terms
if (cfg$year_form == "fixed") {
  contrasts(d$year_cell) <- contr.sum(nlevels(d$year_cell))
  rhs <- c(rhs, "year_cell")
} else if (cfg$year_form %in% c("non_centred", "centred")) {
  rhs <- c(rhs, "(1 | year_cell)")
}
rhs <- c(rhs, "(1 | inspector)", "(1 | school)")
f <- bf(as.formula(paste("y1 ~", paste(rhs, collapse = " + "))))
pri <- c(prior(normal(0, 1), class = "b"),
         prior(normal(0, 1), class = "sd"),
         prior(normal(0, 2.5), class = "Intercept"))
for (w in cfg$w_names) pri <- c(pri, set_prior("normal(0, 0.5)", class = "b", coef = w))
if (cfg$year_form %in% c("non_centred", "centred"))
  pri <- c(pri, set_prior("normal(0, 0.5)", class = "sd", group = "year_cell"))
t0 <- Sys.time()
fit0 <- brm(f, data = d, family = cumulative("logit"), prior = pri, chains = 0, seed = cfg$seed, refresh = 0)
t_compile <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
use_future <- cfg$parallel == "future"
if (use_future) future::plan(future::multicore, workers = cfg$cores)  # forked workers: no start-up
t1 <- Sys.time()
fit <- update(fit0, recompile = FALSE, chains = cfg$chains, iter = cfg$warmup + cfg$draws, warmup = cfg$warmup,
              cores = if (use_future) 1 else cfg$cores, future = use_future, seed = cfg$seed, refresh = 0,
              control = list(adapt_delta = cfg$adapt_delta))
t_sampling <- as.numeric(difftime(Sys.time(), t1, units = "secs"))
el <- rstan::get_elapsed_time(fit$fit)
dr <- as_draws_array(fit)
vars <- variables(dr)
keep <- grep("^(b_|sd_|r_inspector\\[)", vars, value = TRUE)
summ <- summarise_draws(subset_draws(dr, variable = keep), mean = mean, ~quantile(.x, probs = c(0.05, 0.95)),
                        rhat = posterior::rhat, ess_bulk = posterior::ess_bulk, ess_tail = posterior::ess_tail)
# per-inspector effect as the package reports it: W_j gamma + r_inspector[j]
W <- unique(d[, c("inspector", cfg$w_names), drop = FALSE])
W <- W[order(W$inspector), , drop = FALSE]
lev <- levels(d$inspector)
stopifnot(nrow(W) == length(lev), all(as.character(W$inspector) == lev))
eff <- lapply(seq_along(lev), function(j) {
  v <- dr[, , sprintf("r_inspector[%s,Intercept]", lev[j])]
  for (w in cfg$w_names) v <- v + W[j, w] * dr[, , paste0("b_", w)]
  v
})
eff_arr <- array(unlist(lapply(eff, function(v) as.numeric(v))),
                 dim = c(dim(dr)[1], dim(dr)[2], length(lev)),
                 dimnames = list(NULL, NULL, sprintf("inspector_effect[%s]", lev)))
eff_summ <- summarise_draws(as_draws_array(eff_arr), mean = mean, ~quantile(.x, probs = c(0.05, 0.95)),
                            rhat = posterior::rhat, ess_bulk = posterior::ess_bulk, ess_tail = posterior::ess_tail)
out <- rbind(as.data.frame(summ), as.data.frame(eff_summ))
if (cfg$year_form == "fixed") {
  # the package's sd_year for fixed cells: their finite-population SD, sqrt(sum t^2 / (T - 1)), t summing to 0
  yc <- grep("^b_year_cell", vars, value = TRUE)
  tt <- lapply(yc, function(v) as.numeric(dr[, , v]))
  tt[[length(tt) + 1]] <- -Reduce(`+`, tt)
  sdy <- sqrt(Reduce(`+`, lapply(tt, function(v) v^2)) / (length(tt) - 1))
  sdy_arr <- array(sdy, dim = c(dim(dr)[1], dim(dr)[2], 1), dimnames = list(NULL, NULL, "sdfp_year"))
  out <- rbind(out, as.data.frame(summarise_draws(as_draws_array(sdy_arr), mean = mean,
                                                  ~quantile(.x, probs = c(0.05, 0.95)), rhat = posterior::rhat,
                                                  ess_bulk = posterior::ess_bulk, ess_tail = posterior::ess_tail)))
}
names(out) <- c("variable", "mean", "q5", "q95", "rhat", "ess_bulk", "ess_tail")
for (k in names(out)) out[[k]] <- if (k == "variable") as.character(out[[k]]) else as.numeric(unclass(out[[k]]))
write.csv(out, file.path(dir, "brms_summary.csv"), row.names = FALSE)
np <- nuts_params(fit)
res <- list(compile_s = t_compile, sampling_s = t_sampling,
            chain_warmup_s = as.numeric(el[, "warmup"]), chain_sample_s = as.numeric(el[, "sample"]),
            divergences = sum(np$Value[np$Parameter == "divergent__"]),
            n_parameters = length(grep("^(b_|sd_|r_)", vars)),
            brms = as.character(packageVersion("brms")), rstan = as.character(packageVersion("rstan")),
            r = R.version.string, wall_s = as.numeric(difftime(Sys.time(), t_start, units = "secs")))
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA), file.path(dir, "brms_result.json"))
"""


def make_data(n_inspections: int, n_inspectors: int, seed: int):
    design = GRID["no_year_effect"]
    if (n_inspections, n_inspectors) != (design.n_inspections, design.n_inspectors):
        design = replace(design, n_inspections=n_inspections, n_inspectors=n_inspectors,
                         n_schools=max(1, n_inspections // 2))
    return simulate_design(design, seed), design


def r_name(name: str, taken: set) -> str:
    """A syntactic R name for a covariate column (``region[london]`` -> ``x_region_london``)."""
    base = "x_" + re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    out, k = base, 1
    while out in taken:
        k += 1
        out = f"{base}_{k}"
    taken.add(out)
    return out


def export_rows(model: InspectorModel) -> tuple[pd.DataFrame, list[str], list[str], dict]:
    """The modelled rows of ``model.design_`` as brms's data: y1 = y + 1 (1 = worst, better-is-higher),
    covariates (already centred), inspector characteristics per row (centred W), inspector, school, year cell."""
    d = model.design_
    taken: set = set()
    x_names = [r_name(c, taken) for c in d.cov_names]
    w_names = [r_name(c, taken).replace("x_", "w_", 1) for c in d.w_names]
    rows = pd.DataFrame({"y1": d.y.astype(int) + 1})
    for k, c in enumerate(x_names):
        rows[c] = d.X[:, k]
    for k, c in enumerate(w_names):
        rows[c] = d.W[d.insp_idx, k]
    rows["inspector"] = d.inspector_ids[d.insp_idx]
    rows["school"] = d.urn  # every school, inspected once or more (brms's exact model)
    rows["year_cell"] = d.year_cells[d.year_idx]
    names = {**dict(zip(x_names, d.cov_names)), **dict(zip(w_names, d.w_names))}
    return rows, x_names, w_names, names


def fit_package(data, seed: int) -> tuple[InspectorModel, dict, pd.Series]:
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = InspectorModel().fit(data, seed=seed, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    diag = model.diagnostics_
    vp = model.variance_partition().set_index("statistic")
    post = model.idata_["posterior"]
    post = post.to_dataset() if hasattr(post, "to_dataset") else post
    effect = post["inspector_effect"].mean(("chain", "draw")).to_numpy()
    beta = post["beta"].mean(("chain", "draw")).to_numpy()
    res = {
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "timing_wall_s": float(model.timing_["wall_seconds"]),
        "sampling_s": float(model.timing_["sampling_seconds"]), "runs": len(model.repair_),
        "repair": [e["what"] for e in model.repair_],
        "chains": model.n_chains_, "draws": model.n_draws_, "tune": model.fit_settings_["tune"],
        "target_accept": model.fit_settings_["target_accept"], "year_effects": model.fit_settings_["year_effects"],
        "min_ess_bulk": float(diag["min_ess_bulk"]), "min_ess_bulk_variable": diag["min_ess_bulk_variable"],
        "min_ess_tail": float(diag["min_ess_tail"]), "max_rhat": float(diag["max_rhat"]),
        "divergences": int(diag["divergences"]), "gates_ok": bool(diag["ok"]),
        "sd": {k: [float(vp.loc[k, c]) for c in ("mean", "ci_low", "ci_high")]
               for k in ("sd_inspector", "sd_school", "sd_year") if k in vp.index},
        "beta": dict(zip(model.design_.cov_names, map(float, beta))),
        "n": model.design_.info["n"],
    }
    res["ess_per_s_sampling"] = res["min_ess_bulk"] / res["sampling_s"]
    res["ess_per_s_wall"] = res["min_ess_bulk"] / res["wall_s"]
    res["ess_per_cpu_s"] = res["min_ess_bulk"] / res["cpu_s"]
    return model, res, pd.Series(effect, index=model.design_.inspector_ids)


def r_missing() -> str | None:
    """Why brms cannot run here (``None`` when it can)."""
    if shutil.which("Rscript") is None:
        return ("Rscript not found (install R and brms from Debian: apt-get install r-cran-brms; Debian's rstan "
                "also needs ln -s /usr/include/boost /usr/lib/R/site-library/BH/include/boost)")
    p = subprocess.run(["Rscript", "-e", "suppressPackageStartupMessages({library(brms); library(posterior); "
                        "library(jsonlite)})"], capture_output=True, text=True)
    if p.returncode != 0:
        return f"Rscript -e 'library(brms)' failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}"
    bh = Path("/usr/lib/R/site-library/BH/include/boost")
    if Path("/usr/lib/R/site-library/BH").is_dir() and not bh.exists():
        return (f"{bh} is missing: Debian's rstan cannot compile a model without it "
                "(ln -s /usr/include/boost /usr/lib/R/site-library/BH/include/boost)")
    return None


def fit_brms(model: InspectorModel, args, workdir: Path) -> tuple[dict, pd.DataFrame]:
    rows, x_names, w_names, names = export_rows(model)
    rows.to_csv(workdir / "rows.csv", index=False)
    cfg = {"x_names": x_names, "w_names": w_names, "year_form": model.fit_settings_["year_effects"],
           "chains": args.chains, "warmup": args.brms_warmup, "draws": args.brms_draws, "cores": args.cores,
           "seed": args.seed, "adapt_delta": args.adapt_delta, "parallel": args.brms_parallel}
    (workdir / "config.json").write_text(json.dumps(cfg))
    (workdir / "fit.R").write_text(R_SCRIPT)
    t0 = time.perf_counter()
    p = subprocess.run(["Rscript", str(workdir / "fit.R"), str(workdir)], capture_output=True, text=True,
                       timeout=args.r_timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"Rscript failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    res = json.loads((workdir / "brms_result.json").read_text())
    summ = pd.read_csv(workdir / "brms_summary.csv")
    res["wall_s"] = round(wall, 1)  # Rscript start to end, as the caller waits for it
    # rstan 2.21's per-chain elapsed times are CPU seconds (Stan's clock()), not wall: the CPU measure
    res["cpu_s"] = float(np.sum(res["chain_warmup_s"]) + np.sum(res["chain_sample_s"]))
    res["names"] = names
    res["rows"] = len(rows)
    return res, summ


def summarise_brms(res: dict, summ: pd.DataFrame) -> dict:
    v = summ["variable"]
    common = summ[v.str.startswith(("b_", "sd_", "r_inspector[", "inspector_effect["))]
    k = int(common["ess_bulk"].idxmin())
    res["min_ess_bulk"] = float(summ.loc[k, "ess_bulk"])
    res["min_ess_bulk_variable"] = str(summ.loc[k, "variable"])
    res["min_ess_tail"] = float(common["ess_tail"].min())
    res["max_rhat"] = float(common["rhat"].max())
    res["ess_per_s_sampling"] = res["min_ess_bulk"] / res["sampling_s"]
    res["ess_per_s_wall"] = res["min_ess_bulk"] / res["wall_s"]
    res["ess_per_cpu_s"] = res["min_ess_bulk"] / res["cpu_s"]
    sds = summ[v.str.startswith("sd_")].set_index("variable")
    res["sd"] = {name.split("__")[0]: [float(r["mean"]), float(r["q5"]), float(r["q95"])]
                 for name, r in sds.iterrows()}
    if "sdfp_year" in set(v):  # fixed year cells: their finite-population SD, as the package reports sd_year
        r = summ.set_index("variable").loc["sdfp_year"]
        res["sd"]["sd_year"] = [float(r["mean"]), float(r["q5"]), float(r["q95"])]
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inspections", type=int, default=3000)
    p.add_argument("--inspectors", type=int, default=150)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--chains", type=int, default=4, help="brms chains (the package's first run uses 4)")
    p.add_argument("--brms-warmup", type=int, default=500, help="brms warm-up per chain (the package's first-run tune)")
    p.add_argument("--brms-draws", type=int, default=1000, help="brms draws per chain (the package's first-run draws)")
    p.add_argument("--adapt-delta", type=float, default=0.8, help="brms adapt_delta (brms's default 0.8)")
    p.add_argument("--cores", type=int, default=2, help="brms cores")
    p.add_argument("--brms-parallel", choices=("future", "rstan"), default="future",
                   help="how brms runs chains side by side: 'future' (forked workers, brm(future = TRUE); default) or "
                        "'rstan' (rstan's own cores: its PSOCK workers' start-up counts in the sampling time)")
    p.add_argument("--r-timeout", type=int, default=3600, help="seconds before the R fit is stopped")
    p.add_argument("--json", default=None, help="append one JSON line with both fits to this file")
    p.add_argument("--keep", default=None, help="keep the CSV, R script and brms summaries in this folder")
    args = p.parse_args(argv)

    load0 = os.getloadavg()[0]
    data, design = make_data(args.inspections, args.inspectors, args.seed)
    print(f"data: calibration-grid generator, design {design.name} ({design.n_inspections:,} inspections, "
          f"{design.n_inspectors} inspectors, {design.n_schools:,} schools), seed {args.seed}; machine: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; 1-minute load average at start {load0:.2f}",
          flush=True)
    print("fitting the package (InspectorModel() defaults) ...", flush=True)
    model, pk, pk_effect = fit_package(data, args.seed)
    n = pk["n"]
    print(f"  package: {n['inspections']:,} rows, {n['inspectors']} inspectors, {n['schools']:,} schools "
          f"({n['school_effects']} with an effect: inspected 2+ times; the rest integrated out, approximately); "
          f"year effects {pk['year_effects']}; {pk['chains']} chains x ({pk['tune']} tune + {pk['draws']} draws) "
          f"at target_accept {pk['target_accept']}; runs {pk['runs']} ({'; '.join(pk['repair'])})", flush=True)
    print(f"  package: wall {pk['wall_s']:.1f} s (timing_ {pk['timing_wall_s']:.1f} s), sampling {pk['sampling_s']:.1f} s;"
          f" min bulk ESS {pk['min_ess_bulk']:.0f} ({pk['min_ess_bulk_variable']}), min tail {pk['min_ess_tail']:.0f};"
          f" max R-hat {pk['max_rhat']:.4f}; divergences {pk['divergences']}; gates "
          f"{'PASS' if pk['gates_ok'] else 'FAIL'}; ESS/s {pk['ess_per_s_sampling']:.2f} (sampling), "
          f"{pk['ess_per_s_wall']:.2f} (wall), {pk['ess_per_cpu_s']:.2f} per CPU second (whole fit: {pk['cpu_s']:.1f} "
          f"CPU s); load {os.getloadavg()[0]:.2f}", flush=True)

    record = {"benchmark": "inspectors_vs_brms", "design": design.name, "inspections": args.inspections,
              "inspectors": args.inspectors, "seed": args.seed, "cores": os.cpu_count(), "load_start": load0,
              "package": pk}
    why = r_missing()
    if why:
        print(f"brms: NOT RUN: {why}", flush=True)
        record.update(brms=None, brms_missing=why, load_end=os.getloadavg()[0])
        print(f"1-minute load average at end {record['load_end']:.2f}")
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
        return 2

    print(f"fitting brms (rstan, {args.chains} chains x ({args.brms_warmup} warmup + {args.brms_draws} draws), "
          f"cores {args.cores}, adapt_delta {args.adapt_delta}; (1 | school) over all {n['schools']:,} schools) ...",
          flush=True)
    tmp = None
    if args.keep:
        workdir = Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="inspectors_vs_brms_")
        workdir = Path(tmp.name)
    try:
        br, summ = fit_brms(model, args, workdir)
    finally:
        if tmp is not None:
            tmp.cleanup()
    br = summarise_brms(br, summ)
    print(f"  brms {br['brms']} / rstan {br['rstan']}: wall {br['wall_s']:.1f} s (compile {br['compile_s']:.1f} s, "
          f"sampling {br['sampling_s']:.1f} s wall); chains' CPU time {br['cpu_s']:.1f} s (warmup + sample per chain "
          f"{', '.join(f'{a:.0f}+{b:.0f}' for a, b in zip(br['chain_warmup_s'], br['chain_sample_s']))} s, "
          f"rstan::get_elapsed_time); {br['n_parameters']:,} parameters; min bulk ESS {br['min_ess_bulk']:.0f} "
          f"({br['min_ess_bulk_variable']}), min tail {br['min_ess_tail']:.0f}; max R-hat {br['max_rhat']:.4f}; "
          f"divergences {br['divergences']}; ESS/s {br['ess_per_s_sampling']:.2f} (sampling), "
          f"{br['ess_per_s_wall']:.2f} (wall), {br['ess_per_cpu_s']:.2f} per CPU second (chains)", flush=True)

    # ---------------------------------------------------------------- estimates side by side
    print("estimates (posterior mean [90% interval]), package | brms:")
    for k in ("sd_inspector", "sd_school", "sd_year"):
        a, b = pk["sd"].get(k), br["sd"].get(k)
        if a is None and b is None:
            continue
        fa = f"{a[0]:.3f} [{a[1]:.3f}, {a[2]:.3f}]" if a else "-"
        fb = f"{b[0]:.3f} [{b[1]:.3f}, {b[2]:.3f}]" if b else "-"
        note = " (fixed cells: SD of their effects)" if k == "sd_year" and pk["year_effects"] == "fixed" else ""
        print(f"  {k:<13} {fa} | {fb}{note}")
    bsum = summ.set_index("variable")
    names = br["names"]
    for rname, pname in names.items():
        if pname == "fsm_quintile":
            r = bsum.loc[f"b_{rname}"]
            print(f"  beta fsm_quintile {pk['beta']['fsm_quintile']:.3f} | {r['mean']:.3f} [{r['q5']:.3f}, {r['q95']:.3f}]"
                  f" (truth {design.beta_fsm})")
    br_eff = bsum.loc[[f"inspector_effect[{i}]" for i in pk_effect.index], "mean"].to_numpy()
    corr = float(np.corrcoef(pk_effect.to_numpy(), br_eff)[0, 1])
    truth = -data.truth["severity"].loc[pk_effect.index].to_numpy()
    corr_truth = (float(np.corrcoef(pk_effect.to_numpy(), truth)[0, 1]), float(np.corrcoef(br_eff, truth)[0, 1]))
    print(f"  per-inspector effects (W gamma + residual, posterior means): correlation package vs brms {corr:.4f};"
          f" with the truth {corr_truth[0]:.3f} | {corr_truth[1]:.3f}")

    # ---------------------------------------------------------------- ratios
    r_s = pk["ess_per_s_sampling"] / br["ess_per_s_sampling"]
    r_w = pk["ess_per_s_wall"] / br["ess_per_s_wall"]
    r_c = pk["ess_per_cpu_s"] / br["ess_per_cpu_s"]
    load1 = os.getloadavg()[0]
    print(f"package / brms: min ESS/s (sampling wall) {r_s:.1f}x; min ESS/s (wall) {r_w:.1f}x; min ESS per CPU "
          f"second {r_c:.1f}x (package: whole fit, brms: chains only); wall {br['wall_s'] / pk['wall_s']:.1f}x "
          f"shorter; sampling {br['sampling_s'] / pk['sampling_s']:.1f}x shorter")
    verdict = "MET" if min(r_s, r_w, r_c) >= 10 else ("MET on sampling wall" if r_s >= 10 else "NOT MET")
    print(f"goal (issue 14): package min ESS/s >= 10x brms': {r_s:.1f}x (sampling wall), {r_w:.1f}x (wall), "
          f"{r_c:.1f}x (CPU): {verdict}")
    print("note: brms fits (1 | school) over every school (the exact model); the package gives effects to repeat "
          "schools only and integrates out single-inspection schools approximately (logistic-normal).")
    print(f"1-minute load average: start {load0:.2f}, end {load1:.2f} ({os.cpu_count()} cores)")
    if args.json:
        br_out = {k: v for k, v in br.items() if k != "names"}
        record.update(brms=br_out, corr_inspector_effects=corr, corr_truth=corr_truth,
                      ratio_ess_per_s_sampling=r_s, ratio_ess_per_s_wall=r_w, ratio_ess_per_cpu_s=r_c,
                      load_end=load1)
        with open(args.json, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
