"""Figures, printed lines and the demo report's report-card section (sentences first, tables second).

Every number shown comes from a suppressed table (groups under :data:`~inspect_audit._core.privacy.MIN_N` are
not shown) and carries its interval and n; each figure is on one scale.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.grade_patterns import concentration as conc
from inspect_audit.grade_patterns import history as hist
from inspect_audit.grade_patterns import transitions as trans
from inspect_audit.grade_patterns._data import adverse, area_frame
from inspect_audit._core.intervals import CI_PROB, wilson_interval
from inspect_audit._core.markdown import markdown_table
from inspect_audit._core.plots import save_figure

FRAMEWORK = trans.FRAMEWORK
REGION_WORDS = {"north_east": "North East", "north_west": "North West", "yorkshire_and_the_humber":
                "Yorkshire and the Humber", "east_midlands": "East Midlands", "west_midlands": "West Midlands",
                "east_of_england": "East of England", "london": "London", "south_east": "South East",
                "south_west": "South West"}


def human(name: object) -> str:
    """Words for a code: ``personal_development_and_well_being`` -> "Personal development and well-being".

    >>> human("post_16"), human("yorkshire_and_the_humber"), human("attendance_and_behaviour")
    ('Post-16', 'Yorkshire and the Humber', 'Attendance and behaviour')
    """
    text = str(name)
    if text in REGION_WORDS:
        return REGION_WORDS[text]
    words = text.replace("_", " ").replace("well being", "well-being").replace("post 16", "post-16")
    return words[:1].upper() + words[1:]


def pct(share: float, low: float, high: float, n: int | None = None) -> str:
    """``43% (39-47%, n=214)``.

    >>> pct(0.4346, 0.3812, 0.4895, 214)
    '43% (38-49%, n=214)'
    """
    text = f"{share:.0%} ({100 * low:.0f}-{100 * high:.0f}%"
    return text + (f", n={int(n):,})" if n is not None else ")")


def _ordinal_areas(framework: str) -> list[str]:
    return [a for a, s in schemas.framework_areas(framework).items() if s in conc.MIDDLE]


# ---------------------------------------------------------------------- figures

def _err(est, low, high) -> list[np.ndarray]:
    """Error-bar lengths, never negative (a Wilson bound can sit a rounding error beyond a 0 or 1 share)."""
    est, low, high = (np.asarray(v, dtype=float) for v in (est, low, high))
    return [np.clip(est - low, 0, None), np.clip(high - est, 0, None)]


def plot_transitions(summary: pd.DataFrame, framework: str, path: str | Path | None, phase: str = "all") -> Figure:
    """Share below each area's boundary on the report card, by previous overall grade (legacy labels on the
    x axis, one line per area, 90% intervals; suppressed cells left out)."""
    s = summary[(summary["phase"] == phase) & (summary["previous_grade"] > 0) & ~summary["suppressed"]]
    areas = [a for a in _ordinal_areas(framework) if a in set(s["area"])]
    prev = schemas.scale(trans.PREVIOUS_SCALE)
    _, words = adverse(schemas.scale_for(framework, areas[0])) if areas else (None, "")
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    colours = plt.get_cmap("tab10").colors
    width = 0.5 / max(len(areas), 1)
    for i, area in enumerate(areas):
        part = s[s["area"] == area].sort_values("previous_grade")
        x = part["previous_grade"].to_numpy() - 0.25 + (i + 0.5) * width
        ax.errorbar(x, part["share"], yerr=_err(part["share"], part["ci_low"], part["ci_high"]),
                    fmt="o-", ms=4, lw=1, capsize=2, color=colours[i % 10], label=human(area))
    n_by_prev = s.groupby("previous_grade")["n"].max()
    ax.set_xticks(list(prev.codes), [f"{lab}\n(n={int(n_by_prev.get(c, 0)):,})" if c in n_by_prev else lab
                                     for c, lab in zip(prev.codes, prev.labels)], fontsize=8)
    ax.set_xlabel("previous overall grade (legacy scale; n = schools, fewer for early years and post-16)", fontsize=8)
    ax.set_ylabel(f"share {words} on the report card", fontsize=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    ax.set_title(f"Report-card areas by the school's previous overall grade ({phase if phase != 'all' else 'all phases'};"
                 " 90% Wilson intervals)", fontsize=9)
    return save_figure(fig, path)


def plot_middle(area_table: pd.DataFrame, framework: str, path: str | Path | None,
                phases=("all", "primary", "secondary")) -> Figure:
    """Per area of one framework: share in the middle category (Wilson) and the concentration index
    (bootstrap), by phase, 90% intervals; suppressed cells left out."""
    t = area_table[(area_table["framework"] == framework) & ~area_table["suppressed"]]
    areas = [a for a in schemas.framework_areas(framework) if a in set(t["area"])]
    label = t["middle_label"].dropna().iloc[0] if len(t) else ""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 0.42 * len(areas) + 1.8), sharey=True)
    colours = {"all": "#1f5c99", "primary": "#c06000", "secondary": "#2e8b57"}
    y0 = np.arange(len(areas))[::-1]
    for j, phase in enumerate(p for p in phases if p in set(t["phase"])):
        part = t[t["phase"] == phase].set_index("area").reindex(areas)
        y = y0 + 0.22 * (1 - j)
        for ax, col, low, high in ((axes[0], "middle_share", "middle_low", "middle_high"),
                                   (axes[1], "concentration", "concentration_low", "concentration_high")):
            ok = part[col].notna().to_numpy()
            ax.errorbar(part[col][ok], y[ok], xerr=_err(part[col][ok], part[low][ok], part[high][ok]),
                        fmt="o", ms=4, capsize=2, color=colours.get(phase, "grey"),
                        label=phase if phase != "all" else "all phases")
    n_all = t[t["phase"] == "all"].set_index("area")["n"]
    axes[0].set_yticks(y0, [f"{human(a)} (n={int(n_all.get(a)):,})" if a in n_all else human(a) for a in areas],
                       fontsize=8)
    axes[0].set_xlim(0, 1)
    axes[0].xaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_xlabel(f"share at {label}", fontsize=8)
    axes[1].set_xlim(0, 1)
    axes[1].set_xlabel("concentration index 1 - H / ln K (0 = spread evenly, 1 = one grade)", fontsize=8)
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{schemas.scales()['frameworks'][framework]['label']}: how concentrated grades are in the middle "
                 "category (90% intervals)", fontsize=9, y=0.99)
    return save_figure(fig, path, rect=(0, 0, 1, 0.97))


def plot_stuck(rates: pd.DataFrame, path: str | Path | None) -> Figure:
    """'Stuck' and 'stayed below good' by FSM quintile and by region, 90% intervals (suppressed left out)."""
    r = rates[~rates["suppressed"]] if "suppressed" in rates else rates
    dims = [d for d in ("fsm_quintile", "region") if d in set(r["dimension"])]
    fig, axes = plt.subplots(1, max(len(dims), 1), figsize=(5.2 * max(len(dims), 1), 4.2), squeeze=False)
    styles = {"stuck": ("#a02020", "stuck: last two graded inspections below good"),
              "stayed_below_good": ("#1f5c99", "stayed below good: of schools below good before")}
    for ax, dim in zip(axes[0], dims):
        part = r[r["dimension"] == dim]
        groups = list(dict.fromkeys(part["group"]))
        for i, (stat, (colour, words)) in enumerate(styles.items()):
            p = part[part["statistic"] == stat].set_index("group").reindex(groups)
            x = np.arange(len(groups)) + (i - 0.5) * 0.2
            ok = p["estimate"].notna().to_numpy()
            ax.errorbar(x[ok], p["estimate"][ok], yerr=_err(p["estimate"][ok], p["ci_low"][ok], p["ci_high"][ok]),
                        fmt="o", capsize=3, color=colour, label=words)
        n = part[part["statistic"] == "stuck"].set_index("group")["n"]
        ax.set_xticks(range(len(groups)), [f"{human(g)}\n(n={int(n[g]):,})" if g in n and pd.notna(n[g]) else human(g)
                                           for g in groups], fontsize=7, rotation=0 if dim == "fsm_quintile" else 45,
                      ha="center" if dim == "fsm_quintile" else "right")
        ax.set_xlabel("FSM quintile (1 = least, 5 = most disadvantaged)" if dim == "fsm_quintile" else "region",
                      fontsize=8)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Schools repeatedly graded below good (legacy overall grade; 90% Wilson intervals; "
                 "n = schools with two or more graded inspections)", fontsize=9, y=0.99)
    return save_figure(fig, path, rect=(0, 0, 1, 0.96))


def plot_groups(groups: pd.DataFrame, path: str | Path | None, what: str = "lead inspectors", max_panels: int = 4) -> Figure:
    """Funnel view: each group's concentration index against its number of inspections, over the central
    90% range of chance at that n (grey band: the groups' permutation ranges averaged at each n); groups
    flagged as more concentrated than chance in red. Suppressed groups are not drawn, and no group is named.
    Areas with a flagged group come first, then the areas with most inspections."""
    g = groups[~groups["suppressed"]] if "suppressed" in groups else groups
    g = g.assign(_flag=g["flag"].fillna(False).astype(bool))
    order = (g.groupby(["scale", "area"], sort=False).agg(flags=("_flag", "sum"), n=("n", "sum"))
             .sort_values(["flags", "n"], ascending=False))
    keys = list(order.index)[:max_panels]
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4.3 * max(len(keys), 1), 3.9), squeeze=False,
                             sharey=True)
    for ax, (scale_name, area) in zip(axes[0], keys):
        part = g[(g["scale"] == scale_name) & (g["area"] == area)]
        band = part.groupby("n")[["chance_concentration_low", "chance_concentration_high"]].mean()
        ax.fill_between(band.index, band.iloc[:, 0], band.iloc[:, 1], step="mid", color="0.82",
                        label="chance, central 90%")
        flag = part["_flag"].to_numpy()
        ax.scatter(part["n"][~flag], part["concentration"][~flag], s=12, color="#1f5c99", label="consistent with chance")
        ax.scatter(part["n"][flag], part["concentration"][flag], s=26, color="#c02020", marker="D",
                   label="more concentrated than chance (FDR 10%)")
        ax.set_title(f"{human(area)} ({scale_name}; {len(part)} {what})", fontsize=8)
        ax.set_xlabel("inspections", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("concentration index 1 - H / ln K", fontsize=8)
    axes[0][0].set_ylim(0, 1.02)
    axes[0][0].legend(fontsize=6, loc="lower right")
    fig.suptitle(f"Grade concentration of {what} against chance (the area's own grades permuted among them within "
                 f"phase; {what} with fewer than {privacy.MIN_N} inspections not shown)", fontsize=9, y=0.99)
    return save_figure(fig, path, rect=(0, 0, 1, 0.95))


def plot_consistency_vs_middle(table: pd.DataFrame, result: pd.DataFrame, area: str, middle_label: str,
                               path: str | Path | None) -> Figure:
    """Each inspector's middle share above chance (x, with its Wilson interval shifted by the chance mean)
    against the inspector model's consistency (y, log axis, with its posterior interval); the title carries
    Spearman's rho, its interval and n. Points only: no inspector is named. ``table`` and ``result`` from
    :mod:`inspect_audit.grade_patterns.consistency`."""
    t = table
    fig, ax = plt.subplots(figsize=(6.2, 4.6))
    x = t["excess_middle"].to_numpy(float)
    xerr = _err(x, t["middle_low"] - t["chance_middle"], t["middle_high"] - t["chance_middle"])
    yerr = _err(t["consistency_mean"], t["consistency_ci_low"], t["consistency_ci_high"])
    ax.errorbar(x, t["consistency_mean"], xerr=xerr, yerr=yerr, fmt="o", ms=4, color="#1f5c99", ecolor="0.7",
                elinewidth=0.8)
    ax.axvline(0, color="0.4", lw=0.8, ls="--")
    ax.axhline(1, color="0.4", lw=0.8, ls="--")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_minor_locator(LogLocator(subs=(1.2, 1.5, 2.0, 3.0, 5.0, 7.0)))  # ticks inside a narrow range too
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"share of grades at {middle_label} minus its chance mean (points of %)", fontsize=8)
    ax.set_ylabel("model consistency exp(d) (1 = typical inspector)", fontsize=8)
    ax.grid(alpha=0.3)
    r = result.iloc[0]
    prob = result.attrs.get("ci_prob", CI_PROB)
    rho = (f"Spearman's rho {r['estimate']:.2f} ({prob:.0%} interval {r['ci_low']:.2f} to {r['ci_high']:.2f})"
           if np.isfinite(r["estimate"]) else "no correlation estimated")
    ax.set_title(f"{human(area)}: 'playing it safe' vs model consistency. {rho}, n = {int(r['n'])} inspectors "
                 f"with {privacy.MIN_N}+ inspections; bars: {prob:.0%} intervals", fontsize=9)
    return save_figure(fig, path)


# ---------------------------------------------------------------------- sentences

def below_by_fsm(tables: dict[str, pd.DataFrame], framework: str, area: str, phases=("primary", "secondary"),
                 ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Share below the area's boundary by phase and FSM quintile (Wilson, n), suppressed under MIN_N."""
    f = area_frame(tables, area, [framework])
    codes, words = adverse(schemas.scale_for(framework, area))
    rows = []
    for phase in phases:
        for q in range(1, 6):
            g = f.loc[(f["phase"] == phase) & (f["fsm_quintile"] == q), "grade"]
            rows.append({"area": area, "phase": phase, "fsm_quintile": q, "outcome": words,
                         "k": int(g.isin(codes).sum()), "n": int(len(g))})
    t = pd.DataFrame(rows)
    t["share"] = t["k"] / t["n"].where(t["n"] > 0)
    t["ci_low"], t["ci_high"] = wilson_interval(t["k"], t["n"], ci_prob)
    return privacy.suppress(t, n_col="n", columns=["k", "share", "ci_low", "ci_high"], hide_n=True)


def transition_lines(summary: pd.DataFrame, framework: str, phase: str = "all") -> list[str]:
    """One line per area: the share below its boundary by previous grade (suppressed cells say so)."""
    lines = []
    s = summary[summary["phase"] == phase]
    for area in [a for a in schemas.framework_areas(framework) if a in set(s["area"])]:
        part = s[(s["area"] == area) & (s["previous_grade"] > 0)].sort_values("previous_grade")
        bits = [f"{r.previous_label} " + ("suppressed (n<10)" if r.suppressed else pct(r.share, r.ci_low, r.ci_high, r.n))
                for r in part.itertuples()]
        lines.append(f"{human(area)}, {part['outcome'].iloc[0]}: previously " + "; ".join(bits))
    return lines


def demo_section(england: dict[str, pd.DataFrame], out_dir: str | Path, seed: int = 2024, simulated=None,
                 framework: str = FRAMEWORK, n_perm: int = 10_000) -> dict:
    """The demo report's report-card section on the real bundled report cards: grades by area, below
    expected by deprivation, where each previous overall grade went, and how concentrated grades are in
    the middle; 'stuck' schools on the simulated data (labelled) since the bundled data hold one graded
    inspection per school. Returns ``{"title", "markdown", "summary"}``; writes two figures and two tables.
    ``n_perm`` permutations for the regions' chance reference (10,000: a q-value near 0.10 then moves by
    about 0.01 between seeds)."""
    from inspect_audit._core.export import write_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fw_label = schemas.scales()["frameworks"][framework]["label"]
    rc_scale = schemas.scale(schemas.framework_areas(framework)["achievement"])
    prev_scale = schemas.scale(trans.PREVIOUS_SCALE)
    ins = england["inspections"]
    dates = pd.to_datetime(ins.loc[ins["framework"].astype(str) == framework, "start_date"])
    first, last = dates.min(), dates.max()
    areas = [a for a in _ordinal_areas(framework)]
    # ---- grades by area and concentration
    area_t = conc.suppressed(conc.area_concentration(england, [framework], seed=seed), conc.AREA_VALUES,
                             by=["framework", "area", "phase"])
    write_csv(area_t, out / "report_card_concentration.csv", min_n=privacy.MIN_N, float_format="%.4g")
    plot_middle(area_t, framework, out / "report_card_middle.png")
    allp = area_t[(area_t["phase"] == "all")].set_index("area")
    n_cards = int(allp["n"].max())
    below = {}
    for area in areas:
        f = area_frame(england, area, [framework])
        codes, words = adverse(schemas.scale_for(framework, area))
        k = int(f["grade"].isin(codes).sum())
        lo, hi = wilson_interval(k, len(f))
        below[area] = (k / len(f), float(lo[0]), float(hi[0]), len(f), words)
    lo_area = allp.loc[areas, "middle_share"].idxmin()
    hi_area = allp.loc[areas, "middle_share"].idxmax()
    c_lo = allp.loc[areas, "concentration"].idxmin()
    c_hi = allp.loc[areas, "concentration"].idxmax()
    r_lo, r_hi = allp.loc[lo_area], allp.loc[hi_area]
    modal = allp.loc[areas, "modal_label"]
    mid_label = allp["middle_label"].iloc[0]
    if (modal == mid_label).all():
        lead = f"**{mid_label} is the most common grade in every area**, from"
    else:
        lead = (f"**{mid_label} is the most common grade in {int((modal == mid_label).sum())} of {len(areas)} areas**; "
                f"its share runs from")
    # where schools previously Good went, on achievement
    tt = trans.suppressed(trans.transition_table(england, framework, ["achievement"]))
    good_to = tt[(tt["phase"] == "all") & (tt["previous_label"] == "Good") & ~tt["suppressed"]]
    # ---- deprivation (observed shares; the model estimates are in `context --framework`)
    dep = below_by_fsm(england, framework, "achievement").set_index(["phase", "fsm_quintile"])
    # ---- transitions
    summary = trans.suppressed(trans.transition_summary(england, framework))
    write_csv(summary, out / "report_card_transitions.csv", min_n=privacy.MIN_N, float_format="%.4g")
    plot_transitions(summary, framework, out / "report_card_transitions.png")
    gap = trans.years_between_summary(england, framework)
    ach = summary[(summary["phase"] == "all") & (summary["area"] == "achievement")].set_index("previous_label")
    # ---- regions against chance
    regions = conc.groups_by_area(england, "region", [framework], seed=seed, n_perm=n_perm)
    regions = conc.suppressed(regions, conc.GROUP_VALUES, by=["scale", "area"], group="region")
    shown = regions[~regions["suppressed"]]
    flagged = shown[shown["flag"].fillna(False).astype(bool)]
    # ---- history
    counts = hist.history_counts(hist.graded_history(england))
    sim_line = ""
    if simulated is not None:
        sim_tables = simulated.tables() if hasattr(simulated, "tables") else simulated
        rates = hist.suppressed(hist.stuck_rates(hist.stuck_schools(sim_tables)))
        rr = rates.set_index(["statistic", "dimension", "group"])
        a = rr.loc[("stuck", "all", "all")]
        q1, q5 = rr.loc[("stuck", "fsm_quintile", "1")], rr.loc[("stuck", "fsm_quintile", "5")]
        stay = rr.loc[("stayed_below_good", "all", "all")]
        sim_line = (f" On the demo's **simulated** data (simulated schools, not real), {_cell_r(a)} of schools with "
                    f"two or more graded inspections were stuck: {_cell_r(q1)} in FSM quintile 1 against "
                    f"{_cell_r(q5)} in quintile 5; of schools below good at one inspection, {_cell_r(stay)} were "
                    "below good again at the next.")

    def dep_cell(phase, q):
        r = dep.loc[(phase, q)]
        return "suppressed (n<10)" if r["suppressed"] else pct(r["share"], r["ci_low"], r["ci_high"], r["n"])

    sentences = [
        f"These are the **{n_cards:,} real report cards** bundled with the package ({fw_label}; inspections "
        f"from {first:%B %Y} to {last:%B %Y}): up to {len(areas)} areas, each on the {len(rc_scale.codes)}-point scale "
        f"{', '.join(rc_scale.labels)}, and no overall grade. Previous grades are on the legacy "
        f"{len(prev_scale.codes)}-point scale ({', '.join(prev_scale.labels)}); the two scales are shown side by side "
        "and never converted into each other. Intervals are 90%; n counts schools.",
        f"{lead} {pct(r_lo.middle_share, r_lo.middle_low, r_lo.middle_high, r_lo.n)} "
        f"of cards on {human(lo_area).lower()} to {pct(r_hi.middle_share, r_hi.middle_low, r_hi.middle_high, r_hi.n)} on "
        f"{human(hi_area).lower()}. Below expected standard (Needs attention or Urgent improvement) ranges from "
        + " to ".join(f"{pct(*below[a][:4])} on {human(a).lower()}" for a in
                      sorted(below, key=lambda a: below[a][0])[:: max(len(below) - 1, 1)]) + ".",
        f"**On achievement, {dep_cell('primary', 5)} of the most disadvantaged primaries** (FSM quintile 5 within "
        f"phase) were graded below expected, against {dep_cell('primary', 1)} of the least disadvantaged (quintile 1); "
        f"for secondaries {dep_cell('secondary', 5)} against {dep_cell('secondary', 1)}. These are observed shares; "
        "`inspect-audit context --framework report_card_2025` estimates them before and after 2022/23 progress.",
        f"**Where the previous grade went.** {gap['with_previous_grade']:,} of the cards have the school's previous "
        f"overall grade (given a median {gap['years_between_median']:.1f} years earlier, quartiles "
        f"{gap['years_between_q1']:.1f} to {gap['years_between_q3']:.1f}). Below expected on achievement: "
        + "; ".join(f"previously {lab} {_cell_r(ach.loc[lab])}" for lab in schemas.scale(trans.PREVIOUS_SCALE).labels)
        + ". Schools previously Good got, on achievement, "
        + "; ".join(f"{r.label} {pct(r.share, r.ci_low, r.ci_high)}" for r in good_to.itertuples() if r.k > 0)
        + (f" (n={int(good_to['n'].iloc[0]):,})" if len(good_to) else "") + ".",
        f"**Playing it safe?** The concentration index (1 - H / ln 5, normalised entropy: 0 = the five grades equally "
        f"common, 1 = every card on one grade) runs from {allp.loc[c_lo, 'concentration']:.2f} "
        f"({allp.loc[c_lo, 'concentration_low']:.2f}-{allp.loc[c_lo, 'concentration_high']:.2f}) on {human(c_lo).lower()} to "
        f"{allp.loc[c_hi, 'concentration']:.2f} ({allp.loc[c_hi, 'concentration_low']:.2f}-{allp.loc[c_hi, 'concentration_high']:.2f}) "
        f"on {human(c_hi).lower()}. Public data name no inspectors, so the per-inspector comparison with chance "
        "cannot be made on these cards; by region, against the area's own grades permuted among regions within "
        f"phase, {len(flagged)} of {len(shown)} region x area cells are more concentrated than chance at a 10% false "
        "discovery rate (regions differ in their schools as well as their inspection teams)" + (": " + "; ".join(f"{human(r.region)} on {human(r.area).lower()}, {pct(r.middle_share, r.middle_low, r.middle_high, r.n)} "
                                             f"at Expected standard against {r.chance_middle:.0%} by chance (central 90% "
                                             f"of chance allocations {100 * r.chance_middle_low:.0f}-{100 * r.chance_middle_high:.0f}%; "
                                             f"q = {r.q_concentration:.3f})"
                                             for r in flagged.itertuples()) if len(flagged) else "") + "."
        + (" A q-value near 0.10 is borderline: another random seed can move it across." if len(flagged) else ""),
        f"**'Stuck' schools** (the last two graded inspections both below good) cannot be counted on the bundled "
        f"data, which hold {counts['graded_inspections']:,} graded inspections for {counts['schools']:,} schools: one "
        "per school. `inspect-audit grade-patterns --data DIR` counts them on a folder or workspace with repeat "
        "inspections." + sim_line,
    ]
    # ---- tables
    t1 = pd.DataFrame([{
        "Area": human(a), "Report cards": f"{int(allp.loc[a].n):,}",
        "Expected standard": f"{allp.loc[a].middle_share:.1%} ({allp.loc[a].middle_low:.1%}-{allp.loc[a].middle_high:.1%})",
        "Below expected standard": f"{below[a][0]:.1%} ({below[a][1]:.1%}-{below[a][2]:.1%})",
        "Concentration index": f"{allp.loc[a].concentration:.2f} ({allp.loc[a].concentration_low:.2f}-"
                               f"{allp.loc[a].concentration_high:.2f})"} for a in areas])
    prev_labels = schemas.scale(trans.PREVIOUS_SCALE).labels
    s_all = summary[summary["phase"] == "all"]
    t2 = pd.DataFrame([
        {"Area": f"{human(a)}: {part['outcome'].iloc[0]}",
         **{f"Previously {lab}": _cell_r(part.loc[lab], short=True) for lab in prev_labels}}
        for a in [x for x in schemas.framework_areas(framework) if x in set(s_all["area"])]
        for part in [s_all[s_all["area"] == a].set_index("previous_label")]])
    md = ("\n\n".join(sentences) + "\n\n![Concentration in the middle category](report_card_middle.png)\n\n"
          "![Report-card areas by previous grade](report_card_transitions.png)\n\n"
          "**Grades by area** (all phases; 90% Wilson intervals; concentration index with 90% bootstrap interval)\n\n"
          + markdown_table(t1) + "\n\n**Share below the area's boundary on the report card, by the school's previous "
          "overall grade** (90% Wilson intervals; n = schools)\n\n" + markdown_table(t2)
          + "\n\nTables: `report_card_concentration.csv`, `report_card_transitions.csv` (cells under 10 schools "
          "suppressed). Full analysis: `inspect-audit grade-patterns --data bundled --out OUT`; method: "
          "`models/grade-concentration.md`.\n")
    summary_lines = [
        f"{n_cards:,} real report cards: Expected standard {r_lo.middle_share:.0%}-{r_hi.middle_share:.0%} by area",
        f"achievement below expected: primary FSM Q5 {dep_cell('primary', 5)} vs Q1 {dep_cell('primary', 1)}",
        f"achievement below expected, previously Good: {_cell_r(ach.loc['Good'])}; previously Requires improvement: "
        f"{_cell_r(ach.loc['Requires improvement'])}",
        f"regions more concentrated than chance: {len(flagged)} of {len(shown)} region x area cells (FDR 10%)",
    ]
    return {"title": "Report cards (real data): areas, deprivation, previous grades, concentration",
            "markdown": md, "summary": summary_lines}


def _cell_r(r, short: bool = False) -> str:
    """A row with share, ci_low, ci_high, n (or estimate ...) and suppressed, as text."""
    if bool(r.get("suppressed", False)):
        return "suppressed (n<10)"
    share = r["share"] if "share" in r else r["estimate"]
    if short:
        return f"{share:.0%} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f}%; {int(r['n']):,})"
    return pct(share, r["ci_low"], r["ci_high"], r["n"])
