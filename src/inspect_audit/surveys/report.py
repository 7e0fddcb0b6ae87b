"""The surveys section of the demo report: simulated climate surveys (known truth) and real Parent View."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from inspect_audit._core.export import write_csv  # noqa: E402
from inspect_audit._core.markdown import markdown_table  # noqa: E402
from inspect_audit._core.plots import plot_estimates, save_figure  # noqa: E402
from inspect_audit.surveys.analysis import analyse  # noqa: E402
from inspect_audit.surveys.perspectives import RATING  # noqa: E402
from inspect_audit.surveys.scoring import COMPOSITE, DEFAULT_MIN_RESPONSES  # noqa: E402

PV_SHOWN = ("PV_Q14", "PV_Q3", "PV_Q1", "PV_Q12", COMPOSITE)


def _fmt(est: float, lo: float, hi: float, digits: int = 2) -> str:
    return f"{est:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"


def _view_label(name: str) -> str:
    if name == RATING:
        return "inspection"
    group, _, dim = name.partition(":")
    group = {"staff": "staff", "pupil": "pupils", "parent": "parents"}.get(group, group)
    return f"{group} (all)" if dim == COMPOSITE else f"{group}: {dim}"


def plot_reliability(scales: pd.DataFrame, truth: dict | None, path: str | Path | None) -> Figure:
    """Alpha and omega per dimension with 90 % intervals and n; simulated truth as crosses."""
    labels = list(dict.fromkeys(scales["respondent_group"] + ": " + scales["dimension"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(labels) + 1.6))
    for off, stat, colour in ((-0.15, "alpha", "#1f5c99"), (0.15, "omega", "#c05a00")):
        part = scales[scales["statistic"] == stat]
        y = np.array([labels.index(f"{g}: {d}") for g, d in zip(part["respondent_group"], part["dimension"])]) + off
        ax.errorbar(part["estimate"], y, xerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                    fmt="o", capsize=3, color=colour, label=f"{stat} (90% interval)")
    if truth:
        part = scales[scales["statistic"] == "alpha"]
        tv = [truth.get(d, {}).get("alpha_likert", np.nan) for d in part["dimension"]]
        y = [labels.index(f"{g}: {d}") - 0.15 for g, d in zip(part["respondent_group"], part["dimension"])]
        ax.plot(tv, y, "x", color="black", label="true alpha (simulation)")
    n_of = scales.drop_duplicates(["respondent_group", "dimension"]).set_index(
        scales.drop_duplicates(["respondent_group", "dimension"])["respondent_group"] + ": "
        + scales.drop_duplicates(["respondent_group", "dimension"])["dimension"])["n"]
    ax.set_yticks(range(len(labels)), [f"{lab} (n={int(n_of[lab]):,})" for lab in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0.4, 1.0)
    ax.set_xlabel("reliability of a respondent's dimension score", fontsize=9)
    ax.set_title("Scale reliability: alpha and omega (simulated surveys)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return save_figure(fig, path)


def plot_divergence(div: pd.DataFrame, title: str, path: str | Path | None, max_points: int = 400) -> Figure:
    """Standardised residuals (score vs what the grade predicts) with intervals, sorted."""
    part = div.sort_values("estimate").reset_index(drop=True)
    x = np.arange(len(part)) + 1  # rank among all schools
    if len(part) > max_points:  # keep the extremes and an even sample of the rest
        keep = np.unique(np.r_[np.arange(50), np.linspace(0, len(part) - 1, max_points - 100).astype(int),
                               np.arange(len(part) - 50, len(part))])
        part, x = part.iloc[keep].reset_index(drop=True), x[keep]
    colours = part["direction"].map({"above": "#2a8c2a", "below": "#b22222"}).fillna("#888888")
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.vlines(x, part["ci_low"], part["ci_high"], color=colours, alpha=0.6, lw=1)
    ax.scatter(x, part["estimate"], c=colours, s=8, zorder=3)
    ax.axhline(0, color="black", lw=0.8)
    shown = "" if len(part) == len(div) else f"; {len(part)} shown: both tails and an even sample"
    ax.set_xlabel(f"rank of the school (n = {len(div):,} schools passing the gate{shown}; "
                  f"respondents per school {int(div['n'].min())}-{int(div['n'].max())})", fontsize=8)
    ax.set_ylabel("standardised residual\n(above / below what the grade predicts)", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_parent_view(by_grade: pd.DataFrame, path: str | Path | None, shown: tuple[str, ...] = PV_SHOWN,
                     grade_words: str = "latest overall-effectiveness grade") -> Figure:
    """Mean % positive by grade for a few questions, with 90 % intervals and n per point."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for item in shown:
        part = by_grade[by_grade["item_id"] == item].sort_values("grade")
        if part.empty:
            continue
        ax.errorbar(part["grade"], part["estimate"],
                    yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                    fmt="o-", capsize=3, label=item if item != COMPOSITE else "mean of all questions")
    comp = by_grade[by_grade["item_id"] == (COMPOSITE if COMPOSITE in shown else shown[0])].sort_values("grade")
    ticks = [f"{lab}\n(n={n:,})" for lab, n in zip(comp["grade_label"], comp["n"])]
    ax.set_xticks(comp["grade"].tolist(), ticks, fontsize=8)
    ax.set_ylabel("parents responding positively (%)", fontsize=9)
    ax.text(0.01, 0.02, "n = schools (mean of all questions); per-question n in the CSV", transform=ax.transAxes,
            fontsize=7, color="#555555")
    ax.set_title(f"Parent View by {grade_words} (real data, 90% intervals)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def demo_section(simulated, england_tables: dict[str, pd.DataFrame], out_dir: Path, seed: int = 0,
                 n_boot: int = 500, min_responses: int = DEFAULT_MIN_RESPONSES) -> dict:
    """Survey section of the demo report.

    Parameters
    ----------
    simulated : SimulatedData
        :func:`inspect_audit.data.simulate.simulate` output (``survey_items``, ``survey_responses``,
        ``truth["survey"]``).
    england_tables : dict of DataFrame
        :func:`inspect_audit.data.bundled.load_england` output (Parent View aggregates and grades).
    out_dir : Path
        Folder for PNG plots and CSV tables (``surveys_*``).
    seed, n_boot, min_responses : int
        Bootstrap seed and resamples; minimum respondents for a school result.

    Returns
    -------
    dict
        ``title``, ``markdown`` and ``summary`` (list of console lines).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sim = analyse(simulated.tables(), min_responses=min_responses, n_boot=n_boot, seed=seed)
    eng = analyse({k: v for k, v in england_tables.items()
                   if k in ("survey_items", "survey_aggregates", "judgements", "inspections", "schools")},
                  min_responses=min_responses, n_boot=n_boot, seed=seed)
    for prefix, results in (("sim", sim), ("england", eng)):  # small groups are withheld by the analysis
        for name, frame in results.items():
            write_csv(frame, out_dir / f"surveys_{prefix}_{name}.csv", min_n=None)
    truth = simulated.truth.get("survey", {})

    # --- reliability
    scales = sim["scale_reliability"]
    plot_reliability(scales, truth.get("reliability"), out_dir / "surveys_reliability.png")
    alpha = scales[scales["statistic"] == "alpha"].set_index("dimension")
    omega = scales[scales["statistic"] == "omega"].set_index("dimension")
    rel_rows = []
    for dim, row in alpha.iterrows():
        t = truth.get("reliability", {}).get(dim, {})
        o = omega.loc[dim]
        rel_rows.append({"group": row.respondent_group, "dimension": dim, "items": str(int(row.n_items)),
                         "alpha (90% CI)": _fmt(row.estimate, row.ci_low, row.ci_high),
                         "true alpha": f"{t.get('alpha_likert', float('nan')):.2f}",
                         "omega (90% CI)": _fmt(o.estimate, o.ci_low, o.ci_high), "n": f"{int(row.n):,}"})
    flagged = sim["item_statistics"][sim["item_statistics"]["flag"] != ""]

    # --- aggregation
    agg = sim["aggregation_summary"]
    icc = agg[agg["statistic"].isin(["icc1", "icc2_harmonic", "rwg_median"])]
    wide = icc.pivot_table(index=["respondent_group", "dimension"], columns="statistic",
                           values=["estimate", "ci_low", "ci_high", "n"], aggfunc="first")
    agg_rows = []
    for (g, dim) in wide.index:
        r = wide.loc[(g, dim)]
        rwg = (_fmt(r[("estimate", "rwg_median")], r[("ci_low", "rwg_median")], r[("ci_high", "rwg_median")])
               if np.isfinite(r.get(("estimate", "rwg_median"), np.nan)) else "-")
        cell = lambda stat: _fmt(r[("estimate", stat)], r[("ci_low", stat)], r[("ci_high", stat)])  # noqa: E731
        agg_rows.append({"group": g, "dimension": dim, "ICC(1)": cell("icc1"), "ICC(2)": cell("icc2_harmonic"),
                         "median rwg": rwg, "n": str(int(r[("n", "icc1")]))})
    icc_plot = agg[agg["statistic"] == "icc1"].assign(label=lambda f: f["respondent_group"] + ": " + f["dimension"])
    plot_estimates(icc_plot, "label", "Between-school share of variance, ICC(1) (simulated, 90% intervals)",
                   "ICC(1); n = school-waves", out_dir / "surveys_icc.png", limits=(0, 0.35))
    by_school = sim["aggregation_by_school"]
    n_units = by_school[(by_school["statistic"] == "icc2") & (by_school["dimension"] == COMPOSITE)].groupby(
        "respondent_group")["withheld"].agg(["sum", "size"])

    # --- perspectives (simulated)
    corr = sim["perspective_correlations"]
    sp = corr[(corr["method"] == "spearman") & (corr["x"].str.endswith(COMPOSITE))].copy()
    every = corr[(corr["method"] == "spearman")
                 & (corr["x"].str.endswith(COMPOSITE) | (corr["y"] == RATING))].copy()
    every["label"] = (every["x"].map(_view_label) + " vs " + every["y"].map(_view_label))
    plot_estimates(every, "label", "Do the views agree? Spearman, simulated, 90% intervals",
                   "rank correlation between school-level views (n = schools)", out_dir / "surveys_perspectives.png",
                   limits=(-1, 1))
    corr_rows = markdown_table(pd.DataFrame(
        [{"view": r.x, "compared with": r.y, "Spearman (90% CI)": _fmt(r.estimate, r.ci_low, r.ci_high),
          "n schools": str(r.n)} for r in sp.itertuples()],
        columns=["view", "compared with", "Spearman (90% CI)", "n schools"]))
    div = sim.get("divergence", pd.DataFrame())
    pupil_div = div[div["respondent_group"] == "pupil"] if len(div) else div
    if len(pupil_div):
        plot_divergence(pupil_div, "Pupil climate vs inspection grade: divergence (simulated, 90% intervals)",
                        out_dir / "surveys_divergence_sim.png")
    # truth check: estimated composite vs true climate
    tab = sim["school_scores"]
    latest = tab[~tab["withheld"]].sort_values("wave").drop_duplicates(
        ["urn", "respondent_group", "dimension"], keep="last")
    clim = pd.Series(truth.get("school_climate", {}), name="climate")
    truth_lines = []
    for group in ("staff", "pupil"):
        part = latest[(latest["respondent_group"] == group) & (latest["dimension"] == COMPOSITE)]
        part = part.assign(climate=part["urn"].astype(str).map(clim)).dropna(subset=["climate"])
        if len(part) > 3:
            from inspect_audit.surveys._stats import correlation
            c = correlation(part["estimate"].to_numpy(float), part["climate"].to_numpy(float), "pearson")
            truth_lines.append(f"{group} composite vs the true school climate: r = "
                               f"{_fmt(c['estimate'], c['ci_low'], c['ci_high'])}, n = {c['n']} schools")

    # --- comparisons
    sub = sim["subgroup_differences"]
    wave = sim["wave_changes"]
    simi = sim.get("similar_schools", pd.DataFrame())

    def _share_clear(frame: pd.DataFrame) -> str:
        shown = frame[~frame["withheld"]]
        clear = ((shown["ci_low"] > 0) | (shown["ci_high"] < 0)).sum()
        return f"{clear} of {len(shown)} shown ({int(frame['withheld'].sum())} withheld)"

    # --- Parent View (real)
    pv, pvc = eng.get("parent_view_by_grade"), eng.get("parent_view_correlations")
    pv_md, pv_lines = "", []
    if pv is not None and len(pv):
        plot_parent_view(pv, out_dir / "surveys_parent_view_by_grade.png")
        plot_estimates(pvc.assign(label=pvc["item_id"]), "label",
                       "Parent View % positive vs inspection rating: Spearman (real, 90% intervals)",
                       "rank correlation (higher rating = better grade; n = schools)",
                       out_dir / "surveys_parent_view_correlations.png", limits=(-0.1, 0.5))
        comp = pv[pv["item_id"] == COMPOSITE].set_index("grade")
        pv_table = markdown_table(pd.DataFrame(
            [{"grade": r.grade_label, "mean % positive": _fmt(r.estimate, r.ci_low, r.ci_high, 1), "n": f"{r.n:,}"}
             for r in comp.reset_index().itertuples()], columns=["grade", "mean % positive", "n"]))
        cc = pvc.set_index("item_id").loc[COMPOSITE]
        q14 = pv[pv["item_id"] == "PV_Q14"].set_index("grade")
        best = pvc[pvc["item_id"] != COMPOSITE].sort_values("estimate").iloc[-1]
        worst = pvc[pvc["item_id"] != COMPOSITE].sort_values("estimate").iloc[0]
        pv_md = (
            "### Parent View and the inspection grade (real data)\n\n"
            f"Ofsted Parent View, {int(cc.n):,} schools with at least {min_responses} responses, against each "
            "school's latest overall-effectiveness grade. Mean % of parents answering positively "
            "(mean over the questions each school has; 90% t intervals; n = schools):\n\n"
            + pv_table + "\n\n"
            f"Rank correlation with the inspection rating (higher = better grade): "
            f"{_fmt(cc.estimate, cc.ci_low, cc.ci_high)}. Strongest for {best.item_id} (\"{best.text}\") "
            f"{best.estimate:.2f}, weakest for {worst.item_id} (\"{worst.text}\") {worst.estimate:.2f}.\n\n"
            "![Parent View by grade](surveys_parent_view_by_grade.png)\n\n"
            "![Parent View correlations](surveys_parent_view_correlations.png)\n\n"
            "Parent View figures are the current published ones, grades come from the latest graded "
            "inspection (often years earlier): parents' and inspectors' views line up, but only loosely.\n\n")
        if len(q14) >= 2:  # the best and worst grades present, in the scale's own words
            top, bottom = q14.index.min(), q14.index.max()
            pv_lines.append(f"Parent View (real): 'would recommend' {q14.loc[top, 'estimate']:.1f}% at "
                            f"{q14.loc[top, 'grade_label']} (n={q14.loc[top, 'n']:,}) vs "
                            f"{q14.loc[bottom, 'estimate']:.1f}% at {q14.loc[bottom, 'grade_label']} "
                            f"(n={q14.loc[bottom, 'n']:,}) schools")
        pv_lines.append(f"Parent View (real): rank correlation with inspection rating "
                        f"{_fmt(cc.estimate, cc.ci_low, cc.ci_high)}, n={int(cc.n):,} schools")
        pdiv = eng.get("divergence")
        if pdiv is not None and len(pdiv):
            plot_divergence(pdiv, "Parents vs inspection grade: divergence (real Parent View, 90% intervals)",
                            out_dir / "surveys_divergence_parent_view.png")
            counts = pdiv["direction"].value_counts()
            pv_md += (f"**Divergence.** {int(counts.get('above', 0))} schools' parents are clearly more positive, "
                      f"and {int(counts.get('below', 0))} clearly less positive, than their grade predicts "
                      f"(standardised residual beyond 1.5 with a 90% interval excluding zero; "
                      f"{len(pdiv):,} schools). The scale's ceiling near 100% makes 'below' easier to "
                      "detect than 'above'.\n\n![Parent divergence](surveys_divergence_parent_view.png)\n\n")

    staff_pupil = sp[sp["x"].str.startswith("pupil") & sp["y"].str.startswith("staff")]
    pupil_grade = sp[(sp["x"] == f"pupil:{COMPOSITE}") & (sp["y"] == RATING)]
    md = (
        "Surveys of staff and pupils (**simulated**, with known truth; seed and generative model in "
        "`simulated_data/truth.json`) and of parents (**real** Ofsted Parent View). Every estimate has a 90% "
        f"interval and its n. School results are withheld below {min_responses} respondents.\n\n"
        "### Are the scales reliable? (simulated)\n\n"
        "Reverse-coded items are recoded first. Alpha and omega (one-factor): percentile cluster bootstrap "
        "over schools (Feldt's interval for alpha, which ignores clustering, is in the CSV). n = respondents.\n\n"
        + markdown_table(pd.DataFrame(rel_rows)) + "\n\n"
        "![Reliability](surveys_reliability.png)\n\n"
        + (f"Items flagged: {', '.join(flagged['item_id'] + ' (' + flagged['flag'] + ')')}.\n\n" if len(flagged)
           else "No item is flagged (no item's removal raises alpha; every reverse-coded item behaves).\n\n")
        + "### Can a school's average be trusted? (simulated)\n\n"
        "ICC(1): share of the variance between schools; ICC(2): reliability of a school's mean at the typical "
        "(harmonic mean) number of respondents; rwg: within-school agreement against random answering "
        "(median over schools passing the gate). n = school-waves.\n\n"
        + markdown_table(pd.DataFrame(agg_rows)) + "\n\n![ICC](surveys_icc.png)\n\n"
        + "Withheld (fewer than the minimum respondents): "
        + ", ".join(f"{g} {int(r['sum'])} of {int(r['size'])} school-waves" for g, r in n_units.iterrows()) + ".\n\n"
        "### Do staff, pupils and inspectors agree? (simulated)\n\n"
        + corr_rows + "\n\n"
        "![Perspectives](surveys_perspectives.png)\n\n"
        + ("Check against the truth: " + "; ".join(truth_lines) + f". The simulation's climate-quality "
           f"correlation is {truth.get('climate_quality_corr', float('nan'))}; the inspection grade is a noisy "
           "measure of quality, so survey-grade correlations are smaller.\n\n" if truth_lines else "")
        + ("![Divergence](surveys_divergence_sim.png)\n\n" if len(pupil_div) else "")
        + "### Climate diagnostics (simulated)\n\n"
        f"* Change since the previous wave: {_share_clear(wave)} differences have a 90% interval excluding zero.\n"
        + (f"* Against the 10 most similar schools (same phase, nearest FSM and progress): {_share_clear(simi)} "
           "(schools really do differ in climate, so many of these are real differences).\n"
           if len(simi) else "")
        + f"* Subgroups (year groups, staff roles) against the rest of their school: {_share_clear(sub)}.\n\n"
        "With 90% intervals about one comparison in ten excludes zero by chance alone.\n\n"
        + pv_md
        + "Tables: `surveys_sim_*.csv`, `surveys_england_*.csv`.\n"
    )
    summary = []
    a = alpha
    summary.append(f"Simulated surveys: alpha {a['estimate'].min():.2f}-{a['estimate'].max():.2f} across "
                   f"{len(a)} dimensions (true {min(v['alpha_likert'] for v in truth['reliability'].values()):.2f}-"
                   f"{max(v['alpha_likert'] for v in truth['reliability'].values()):.2f})"
                   if truth.get("reliability") else f"alpha {a['estimate'].min():.2f}-{a['estimate'].max():.2f}")
    i1 = agg[agg["statistic"] == "icc1"]
    summary.append(f"School share of variance ICC(1) {i1['estimate'].min():.2f}-{i1['estimate'].max():.2f} "
                   f"(n={int(i1['n'].max())} school-waves)")
    if len(pupil_grade):
        r = pupil_grade.iloc[0]
        summary.append(f"Pupil climate vs inspection rating: Spearman {_fmt(r.estimate, r.ci_low, r.ci_high)}, "
                       f"n={r.n} schools")
    if len(staff_pupil):
        r = staff_pupil.iloc[0]
        summary.append(f"Pupils vs staff: Spearman {_fmt(r.estimate, r.ci_low, r.ci_high)}, n={r.n} schools")
    summary += pv_lines
    return {"title": "Staff, pupil and parent surveys", "markdown": md, "summary": summary}
