"""Demo-report sections for the Bayesian models: inspector effects (simulated) and context fairness (real).

``demo_section`` fits :class:`~inspect_audit.inspectors.InspectorModel` to simulated data (simulated
inspectors, not real people) and checks it against the simulator's truth; ``context_section`` fits
:class:`~inspect_audit.inspectors.context.ContextModel` to the bundled England data (no inspector
identities). Both return ``{"title", "markdown", "summary"}`` like the other sections of
``inspect-audit demo``; ``demo_section`` also returns the fitted model under ``"model"`` (pass
:func:`~inspect_audit.inspectors.severity_draws` of it to the complaints section).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from inspect_audit._core.intervals import wilson_interval  # noqa: E402
from inspect_audit._core.markdown import markdown_table  # noqa: E402
from inspect_audit.inspectors.context import ContextModel  # noqa: E402
from inspect_audit.inspectors.diagnostics import ConvergenceWarning, explain  # noqa: E402
from inspect_audit.inspectors.estimator import InspectorModel  # noqa: E402
from inspect_audit._core.plots import save_figure  # noqa: E402

#: Sampler settings: production (gated) and quick (plumbing only: seconds of sampling, gates usually fail).
#: the library's default fit (first run; the repair appends chains or refits until the gates pass)
FULL_FIT = {"chains": 4, "tune": 500, "draws": 1000}
#: a plumbing check: one short run, no repair (its gates usually fail, so nothing is flagged)
QUICK_FIT = {"chains": 2, "tune": 300, "draws": 300, "repair": False}
#: the context model's settings (no repair loop there yet): production and quick
CONTEXT_FIT = {"chains": 4, "tune": 1000, "draws": 1000}
CONTEXT_QUICK_FIT = {"chains": 2, "tune": 300, "draws": 300}
QUICK_CONTEXT_ROWS = 4000
SEVERE, LENIENT, NEUTRAL, TRUTH = "#b2182b", "#2166ac", "#7f7f7f", "#e08214"


def _ci(lo: float, hi: float, fmt: str = "{:.2f}") -> str:
    return f"[{fmt.format(lo)}, {fmt.format(hi)}]"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def _gates_line(diag: dict) -> str:
    status = "**passed**" if diag["ok"] else "**failed**"
    line = (f"Convergence gates {status}: max R-hat {diag['max_rhat']:.3f} (gate 1.01), min bulk ESS "
            f"{diag['min_ess_bulk']:.0f} and tail ESS {diag['min_ess_tail']:.0f} (gate 400), "
            f"{diag['divergences']} divergent transitions (gate 0)")
    return line + ("." if diag["ok"] else f": {explain(diag)}.")


# ====================================================================== inspector effects (simulated)

def recovery(model: InspectorModel, truth: dict) -> dict:
    """Compare a fit with the simulator's truth: interval coverage of the true severities (centred over
    the modelled inspectors, as the model's typical inspector is their average), flags against the truth
    (false flag = true |severity| <= threshold or the wrong direction), planted inspectors found, and
    sd_inspector against the realised residual SD."""
    eff = model.inspector_effects()
    tr = pd.DataFrame(truth["inspectors"]).set_index("inspector_id")
    eff = eff.join(tr[["severity", "severity_residual", "planted"]], on="inspector_id")
    eff["true_c"] = eff["severity"] - eff["severity"].mean()
    inside = (eff["ci_low"] <= eff["true_c"]) & (eff["true_c"] <= eff["ci_high"])
    delta = model.threshold
    flagged = eff[eff["flag"] != ""]
    right = np.where(flagged["flag"] == "severe", flagged["true_c"] > delta, flagged["true_c"] < -delta)
    planted = eff[eff["planted"].notna()]
    found = (planted["flag"] == planted["planted"]).sum()
    vp = model.variance_partition().set_index("statistic")
    resid = eff["severity_residual"]
    return {"n_inspectors": int(len(eff)), "coverage": float(inside.mean()), "ci_prob": model.ci_prob,
            "n_flagged": int(len(flagged)), "n_false_flags": int((~right).sum()), "n_planted": int(len(planted)),
            "n_planted_found": int(found), "expected_false_flags": model.flag_summary_.get("expected_false_flags"),
            "sd_inspector_realised": float((resid - resid.mean()).std(ddof=0)),
            "sd_inspector_mean": float(vp.loc["sd_inspector", "mean"]),
            "sd_inspector_ci": (float(vp.loc["sd_inspector", "ci_low"]), float(vp.loc["sd_inspector", "ci_high"])),
            "table": eff}


def plot_caterpillar(eff: pd.DataFrame, path: Path, threshold: float, suppressed: bool, title: str) -> Path:
    """Posterior mean severity and interval per inspector, sorted; flags coloured; truth as crosses."""
    part = eff.sort_values("mean").reset_index(drop=True)
    J = len(part)
    # one row per inspector, tall enough for a readable label (7 pt in 0.17 in) up to 60 inspectors; beyond that
    # the figure stops growing and labels shrink to 5 pt at least (the table has every inspector)
    fig, ax = plt.subplots(figsize=(7.5, min(1.6 + 0.17 * J, 22)))
    y = np.arange(J)
    colour = part["flag"].map({"severe": SEVERE, "lenient": LENIENT}).fillna(NEUTRAL).replace("", NEUTRAL)
    ax.hlines(y, part["ci_low"], part["ci_high"], colors=colour, lw=1.4)
    ax.scatter(part["mean"], y, c=colour, s=12, zorder=3)
    if "true_c" in part:
        ax.scatter(part["true_c"], y, marker="x", c=TRUTH, s=14, lw=1, zorder=4, label="true severity (simulated)")
    for x in (-threshold, threshold):
        ax.axvline(x, ls=":", color="grey", lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, part["inspector_id"], fontsize=max(5.0, min(8.0, 700 / max(J, 1))))
    ax.set_ylim(-1, J)
    ax.set_xlabel("severity vs the typical inspector (latent logits; positive = harsher)", fontsize=9)
    handles = [plt.Line2D([], [], color=SEVERE, marker="o", lw=1.4, label="flagged severe"),
               plt.Line2D([], [], color=LENIENT, marker="o", lw=1.4, label="flagged lenient"),
               plt.Line2D([], [], color=NEUTRAL, marker="o", lw=1.4, label="not flagged")]
    if "true_c" in part:
        handles.append(plt.Line2D([], [], color=TRUTH, marker="x", lw=0, label="true severity (simulated)"))
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    if suppressed:
        ax.text(0.02, 0.98, "convergence gates failed:\nno inspector is flagged", transform=ax.transAxes,
                va="top", fontsize=8, color=SEVERE, bbox={"fc": "white", "ec": SEVERE})
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)


def plot_ppc(ppc: pd.DataFrame, path: Path, title: str) -> Path:
    """Observed grade shares (points) against the posterior predictive interval (bars), by FSM quintile,
    phase and region; one panel per grouping, grades side by side."""
    checks = [c for c in ("fsm_quintile", "phase", "region") if c in set(ppc["check"])]
    fig, axes = plt.subplots(len(checks), 1, figsize=(8.5, 2.7 * len(checks)), squeeze=False)
    labels = list(dict.fromkeys(ppc["label"]))
    colours = ["#1a9850", "#91cf60", "#fc8d59", "#d73027", "#7f7f7f"]
    for ax, check in zip(axes[:, 0], checks):
        part = ppc[ppc["check"] == check]
        groups = list(dict.fromkeys(part["group"]))
        width = 0.8 / len(labels)
        for g_i, label in enumerate(labels):
            sub = part[part["label"] == label].set_index("group").loc[groups]
            x = np.arange(len(groups)) + (g_i - (len(labels) - 1) / 2) * width
            ax.vlines(x, sub["ci_low"], sub["ci_high"], color=colours[g_i % len(colours)], lw=6, alpha=0.6)
            ax.scatter(x, sub["observed"], color=colours[g_i % len(colours)], edgecolor="black", s=14, zorder=3,
                       label=label)
            out = sub["outside"].to_numpy()
            ax.scatter(x[out], sub["observed"].to_numpy()[out], marker="o", facecolor="none", edgecolor="black",
                       s=70, zorder=4)
        n = part.drop_duplicates("group").set_index("group")["n"].loc[groups]
        ax.set_xticks(np.arange(len(groups)), [f"{g.replace('_', ' ')}\n(n={k:,})" for g, k in n.items()],
                      fontsize=7, rotation=0 if len(groups) <= 6 else 30, ha="center" if len(groups) <= 6 else "right")
        ax.set_title(check.replace("_", " "), fontsize=9)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(axis="y", alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(title, fontsize=10, y=0.995)
    fig.legend(handles, names, fontsize=8, ncol=len(labels), loc="upper center", bbox_to_anchor=(0.5, 0.965),
               frameon=False)
    return save_figure(fig, path, rect=(0, 0, 1, 0.94))


def _unreliable(line: str, ok: bool) -> str:
    """A summary line quoting a fit's figures, marked when that fit failed its gates (never quoted bare)."""
    return line if ok else f"NOT RELIABLE, the fit failed its gates: {line}"


def _ppc_lines(ppc_summary: dict, image: str) -> list[str]:
    pct = int(round(100 * ppc_summary["ci_prob"]))
    return ["**Posterior predictive check.** Grades replicated from the fitted model, for the same inspections, "
            f"against the observed grade shares: {ppc_summary['n_outside']} of {ppc_summary['n_cells']} cells (grade x "
            f"group) fall outside their {pct}% predictive interval, about {ppc_summary['expected_outside']:.0f} "
            "expected by chance; the overall grade shares "
            + ("are reproduced (gate passed)." if ppc_summary["ok"] else "are **not** reproduced (gate failed)."),
            "", f"![Posterior predictive check]({image})", ""]


def demo_section(simulated, out_dir: str | Path, quick: bool = False, seed: int = 0,
                 progress: bool = False) -> dict:
    """Inspector-effects section on simulated data (simulated inspectors, not real people).

    Fits :class:`InspectorModel` (4 chains x 500 + 1000, repaired until the gates pass; ``quick``: 2 x 300 + 300, a plumbing check
    whose gates usually fail, so nothing is flagged), writes ``inspector_severity.png`` (caterpillar
    plot, 90% intervals, flags marked, true severities as crosses), the fit's tables under
    ``inspector_model/`` and returns ``{"title", "markdown", "summary", "model"}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = QUICK_FIT if quick else FULL_FIT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = InspectorModel().fit(simulated, seed=seed, progress=progress, **settings)
        rec = recovery(model, getattr(simulated, "truth", {}) or {})
        model.save(out / "inspector_model")
    eff = rec["table"]
    diag = model.diagnostics()
    vp = model.variance_partition().set_index("statistic")
    ch = model.characteristic_effects()
    truth = simulated.truth
    delta, pct = model.threshold, int(round(100 * model.ci_prob))
    suppressed = not diag["ok"]
    plot_caterpillar(eff, out / "inspector_severity.png", delta, suppressed,
                     f"Inspector severity, {pct}% intervals (simulated inspectors, not real people)")
    plot_ppc(model.ppc_, out / "inspector_ppc.png",
             f"Observed grade shares (points) and {pct}% posterior predictive intervals (bars); circled: outside")
    n = diag["data"]["n"]
    fit_kind = ("**Quick fit** (2 chains x 300 draws after 300 tuning): it shows the plumbing, not a usable "
                "result; the convergence gates usually fail, and then no inspector is flagged." if quick else
                "Fit: 4 chains x 1000 draws after 1000 tuning (nutpie).")
    gap_key = next(k for k in vp.index if k.endswith("_gap_p90_p10"))
    icc, mor, gap = vp.loc["icc_inspector_total"], vp.loc["median_odds_ratio"], vp.loc[gap_key]
    sdi = vp.loc["sd_inspector"]
    md = [
        "**Simulated inspectors, not real people.** Public data do not name inspectors, so this section fits "
        f"the inspector model to simulated data with known truth: {n['inspections']:,} inspections by "
        f"{n['inspectors']} lead inspectors at {n['schools']:,} schools (largest connected component; "
        f"{n['school_effects']} schools inspected more than once). {fit_kind}",
        "",
        _gates_line(diag),
        "",
        "**How much of a grade is the inspector?** (latent scale, adjusted for school context, school, year)",
        "",
        markdown_table(pd.DataFrame(
            [["share of latent grade variance due to the inspector (incl. characteristics)", f"{icc['mean']:.3f}",
              _ci(icc["ci_low"], icc["ci_high"], "{:.3f}")],
             ["median odds ratio between two random inspectors", f"{mor['mean']:.2f}",
              _ci(mor["ci_low"], mor["ci_high"])],
             ["P(Good or better) for a median school, 90th- minus 10th-percentile inspector (points)",
              _pts(gap["mean"]), f"[{_pts(gap['ci_low'])}, {_pts(gap['ci_high'])}]"],
             ["SD of residual inspector effects (logits)", f"{sdi['mean']:.2f}", _ci(sdi["ci_low"], sdi["ci_high"])]],
            columns=["quantity", "posterior mean", f"{pct}% interval"])),
        "",
        "![Inspector severity](inspector_severity.png)",
        "",
        f"Each line is one simulated inspector: posterior mean severity and {pct}% interval, harsher to the right. "
        f"An inspector is flagged only if P(|severity| > {delta} logit, in one direction) > {model.prob_threshold} "
        f"and the flagged set keeps the Bayesian false-discovery rate <= {model.fdr:.0%}, and only when the "
        "convergence gates pass. Orange crosses are the true (simulated) severities.",
        "",
    ]
    fs = getattr(model, "flag_summary_", {})
    if suppressed:
        md.append("**Flags: none** (the convergence gates failed, so flags are suppressed).")
    else:
        md.append(f"**Flags:** {fs.get('n_severe', 0)} severe, {fs.get('n_lenient', 0)} lenient; expected number "
                  f"of false flags {fs.get('expected_false_flags', 0):.2f}.")
    md += ["", "**Inspector characteristics** (average change in P(Requires improvement or worse) when the lead "
           "inspector has the characteristic vs not; positive = harsher; simulated):", ""]
    gamma = truth.get("gamma", {})
    md.append(markdown_table(pd.DataFrame(
        [[r.term.replace("_", " "), r.phase, _pts(r.mean), f"[{_pts(r.ci_low)}, {_pts(r.ci_high)}]",
          "" if gamma.get(r.term) is None else f"{-gamma[r.term]:+.2f}"]
         for r in ch[(ch["scale"] == "probability") & (ch["phase"] != "all")].itertuples()],
        columns=["characteristic", "phase", "change (points)", "90% interval", "true severity difference (logit)"])))
    implied = truth.get("gamma_implied_effects", {}).get("male_vs_female_primary_ri_or_worse_points")
    if implied is not None:
        md.append(f"\nSimulated truth: male vs female lead, primary, P(RI or worse) {implied:+.1f} points.")
    md += [""] + _ppc_lines(diag["ppc"], "inspector_ppc.png")
    md += ["", "**Recovery of the truth (simulated):**", "",
           f"* true severity inside the {pct}% interval for {rec['coverage']:.0%} of {rec['n_inspectors']} inspectors "
           f"(nominal {pct}%);",
           f"* SD of residual inspector effects: realised {rec['sd_inspector_realised']:.2f}, posterior "
           f"{rec['sd_inspector_mean']:.2f} {_ci(*rec['sd_inspector_ci'])};",
           f"* flags: {rec['n_flagged']} flagged, {rec['n_false_flags']} of them false (true |severity| <= {delta} "
           f"or the other direction); {rec['n_planted_found']} of {rec['n_planted']} planted extreme inspectors "
           "flagged in the right direction.",
           "",
           "Tables: `inspector_model/inspector_effects.csv`, `variance_partition.json`, `characteristic_effects.csv`, "
           "`context_effects.csv`, `posterior_predictive_checks.csv`, `diagnostics.json`; posterior draws and design: `inspector_model/posterior.nc`.",
           ""]
    summary = [
        f"inspector model (simulated inspectors{', quick fit' if quick else ''}): gates "
        f"{'passed' if diag['ok'] else 'FAILED'} (max R-hat {diag['max_rhat']:.3f}, min ESS {diag['min_ess_bulk']:.0f})",
        f"inspector share of latent variance {icc['mean']:.3f} {_ci(icc['ci_low'], icc['ci_high'], '{:.3f}')}; "
        f"P(Good or better) gap p90-p10 inspector {_pts(gap['mean'])} points",
        f"true severity inside {pct}% intervals: {rec['coverage']:.0%}; flags {rec['n_flagged']} "
        f"({rec['n_false_flags']} false){' - suppressed, gates failed' if suppressed else ''}",
    ]
    summary = summary[:1] + [_unreliable(line, diag["ok"]) for line in summary[1:]]
    return {"title": "Inspector effects (simulated inspectors)", "markdown": "\n".join(md), "summary": summary,
            "model": model}


# ====================================================================== context fairness (real data)

def plot_context(observed: pd.DataFrame, adjusted: pd.DataFrame, path: Path, title: str) -> Path:
    """Observed (points, Wilson intervals) and model-adjusted (total and direct, bands) shares of
    Outstanding and of Good or better by FSM quintile, one column per phase."""
    phases = list(dict.fromkeys(adjusted["phase"]))
    outcomes = [(1, "Outstanding"), (0, "Good or better")]
    fig, axes = plt.subplots(len(outcomes), len(phases), figsize=(4.4 * len(phases), 6.4), squeeze=False)
    styles = {"total": ("#c06000", "adjusted: total (region, size, year)"),
              "direct": ("#1f5c99", "adjusted: direct (+ progress)")}
    for c, phase in enumerate(phases):
        for r, (grade, label) in enumerate(outcomes):
            ax = axes[r][c]
            o = observed[(observed.phase == phase) & (observed.grade == grade)].sort_values("fsm_quintile")
            k = np.rint(o["share"] * o["n"]).to_numpy()
            lo, hi = wilson_interval(k, o["n"].to_numpy())
            ax.errorbar(o["fsm_quintile"] - 0.08, o["share"], yerr=[o["share"] - lo, hi - o["share"]], fmt="o",
                        color="black", capsize=3, ms=4, label="observed (90% Wilson)")
            for est, (colour, name) in styles.items():
                a = adjusted[(adjusted.phase == phase) & (adjusted.grade == grade) & (adjusted.estimand == est)]
                if a.empty:
                    continue
                a = a.sort_values("fsm_quintile")
                x = a["fsm_quintile"] + (0.08 if est == "direct" else 0.0)
                ax.plot(x, a["mean"], "-", color=colour, label=name)
                ax.fill_between(x, a["ci_low"], a["ci_high"], color=colour, alpha=0.2)
            ax.set_title(f"{phase}: {label}", fontsize=9)
            ax.set_xticks([1, 2, 3, 4, 5])
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            ax.grid(alpha=0.3)
            if r == len(outcomes) - 1:
                ax.set_xlabel("FSM quintile within phase (1 = least, 5 = most disadvantaged)", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def context_section(england_tables: dict[str, pd.DataFrame], out_dir: str | Path, quick: bool = False,
                    seed: int = 0, progress: bool = False) -> dict:
    """Deprivation and grades before and after progress, on the real England data (no inspector identities).

    Fits :class:`ContextModel` by phase (4 chains x 1000 + 1000 on every inspection; ``quick``: 2 x 300 + 300
    on a seeded subsample of 4,000 inspections per phase), writes ``context_fsm_shares.png`` and the tables
    under ``context_model/``, and returns ``{"title", "markdown", "summary", "model"}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = CONTEXT_QUICK_FIT if quick else CONTEXT_FIT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cm = ContextModel().fit(england_tables, seed=seed, progress=progress,
                                max_rows=QUICK_CONTEXT_ROWS if quick else None, **settings)
    cm.save(out / "context_model", posterior=False)
    diag = cm.diagnostics()
    observed, adjusted = cm.observed_shares(), cm.adjusted_shares()
    comp = cm.fsm_total_vs_direct().set_index(["phase", "statistic"])
    plot_context(observed, adjusted, out / "context_fsm_shares.png",
                 "Grades by FSM quintile: observed and model-adjusted (90% intervals; real data)")
    n_by_phase = {p: cm.fits_[(p, cm.estimands[0])].design.info["n"]["inspections"] for p in cm.phases}
    fit_kind = (f"**Quick fit** (2 chains x 300 draws after 300 tuning, a seeded random subsample of at most "
                f"{QUICK_CONTEXT_ROWS:,} inspections per phase): it shows the method; rerun without `--quick` "
                "for the reported figures." if quick else
                "Fit: 4 chains x 1000 draws after 1000 tuning (nutpie), every inspection with an FSM quintile.")
    md = [
        "Does deprivation shift grades, and how much of that remains once pupils' progress is held fixed? "
        "A cumulative-logit model of the overall-effectiveness grade (one per school, the latest graded "
        "inspection) on the school's FSM quintile (per quintile step), region, size (log pupils) and a "
        "year-of-inspection effect, fitted by phase. **Total**: without progress; **direct**: adding KS2 "
        "progress (primary) or Progress 8 (secondary). Inspections: "
        + ", ".join(f"{p} {n:,}" for p, n in n_by_phase.items()) + f". {fit_kind}",
        "",
        _gates_line(diag),
        "",
        "![Grades by FSM quintile](context_fsm_shares.png)",
        "",
        "Points: observed shares. Lines and bands: model-adjusted shares, every school of the phase set to the "
        "quintile with its other characteristics and inspection year as observed (posterior mean, 90% interval).",
        "",
    ]
    summary, rows = [], []
    for phase in cm.phases:
        for est in cm.estimands:
            if (phase, f"{est}_logit") not in comp.index:
                continue
            lg, po, pg = (comp.loc[(phase, f"{est}_{k}")] for k in ("logit", "p_outstanding", "p_good_or_better"))
            rows.append([phase, est, f"{lg['mean']:.3f} {_ci(lg['ci_low'], lg['ci_high'], '{:.3f}')}",
                         f"{_pts(po['mean'])} [{_pts(po['ci_low'])}, {_pts(po['ci_high'])}]",
                         f"{_pts(pg['mean'])} [{_pts(pg['ci_low'])}, {_pts(pg['ci_high'])}]"])
    md.append(markdown_table(pd.DataFrame(rows, columns=[
        "phase", "estimand", "log-odds per quintile", "change in P(Outstanding), Q1 to Q5 (points)",
        "change in P(Good or better), Q1 to Q5 (points)"])))
    md += ["", "**How much of the total remains after progress** (direct / total change in P(Good or better), "
           "quintile 1 to 5; the logit ratio beside it is distorted by non-collapsibility):", ""]
    for phase in cm.phases:
        if (phase, "share_remaining_probability") not in comp.index:
            continue
        sp, sl = comp.loc[(phase, "share_remaining_probability")], comp.loc[(phase, "share_remaining_logit")]
        tot, dr = comp.loc[(phase, "total_logit")], comp.loc[(phase, "direct_logit")]
        md.append(f"* {phase}: {sp['mean']:.0%} [{sp['ci_low']:.0%}, {sp['ci_high']:.0%}] "
                  f"(logit ratio {sl['mean']:.2f})")
        summary.append(f"context ({phase}, real data{', quick fit' if quick else ''}): FSM per quintile total "
                       f"{tot['mean']:.3f}, direct {dr['mean']:.3f} logits; {sp['mean']:.0%} of the total "
                       "remains after progress")
    md += [
        "",
        "**Caveats.**",
        "",
        "* **Timing.** Inspection dates span 2006-2024 while FSM, size and progress are from 2022/23: a "
        "school's context when it was inspected may have differed. The year effect absorbs who was inspected "
        "when (Outstanding schools were exempt from routine inspection until 2020, so old latest inspections "
        "are mostly Outstanding), not the change in each school's context.",
        "* **Mediation: \"direct\" is not \"bias\".** Progress is partly a *consequence* of deprivation "
        "(deprivation -> progress -> grade); progress scores allow for pupils' prior attainment but not for "
        "their circumstances. The direct effect is what remains among schools with the same measured progress; it may "
        "reflect unmeasured differences in quality, intake or context as well as any inspection bias, and the "
        "total effect is not inspection bias either. Neither is causal.",
        "* **Missing data.** Schools without an FSM quintile are dropped; schools not in the GIAS extract "
        "(no region or size) are kept as region `unknown`: in secondaries their grades are much worse (many "
        "have probably closed or converted since).",
        "* One grade per school (its latest graded inspection); no inspector identities, so inspector effects "
        "cannot be separated from context here.",
        "",
        "Tables: `context_model/context_effects.csv` (all coefficients; positive = towards a better grade), "
        "`adjusted_grade_shares.csv`, `observed_grade_shares.csv`, `fsm_total_vs_direct.csv`, `diagnostics.json`.",
        "",
    ]
    summary = [f"context model gates {'passed' if diag['ok'] else 'FAILED'} (max R-hat {diag['max_rhat']:.3f}, "
               f"min ESS {diag['min_ess_bulk']:.0f})"] + [_unreliable(line, diag["ok"]) for line in summary]
    return {"title": "Deprivation and grades before and after progress (real data)", "markdown": "\n".join(md),
            "summary": summary, "model": cm}


__all__ = ["demo_section", "context_section", "recovery", "plot_caterpillar", "plot_context", "plot_ppc"]
