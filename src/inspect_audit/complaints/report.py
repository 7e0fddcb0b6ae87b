"""The complaints section of a report: upheld rates, complaint rates, time to closure, severity.

Inspector ids are pseudonymised before anything is computed; every table written goes through
:func:`~inspect_audit._core.privacy.export_csv` (the one writer, :mod:`inspect_audit._core.export`) and every plot
leaves out groups of fewer than ``min_n`` complaints.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit.complaints.closure import plot_time_to_closure, time_to_closure
from inspect_audit.complaints.plots import plot_rates, plot_severity
from inspect_audit.complaints.rates import complaint_rates, upheld_rates
from inspect_audit.complaints.severity import complaints_vs_severity, truth_severity_draws
from inspect_audit._core import privacy
from inspect_audit.data.dataset import as_tables
from inspect_audit._core.markdown import markdown_table
from inspect_audit.complaints.suppression import MIN_N, export_csv, suppress

TABLES = ("complaints", "inspections", "judgements", "schools")
SIMULATED_NOTE = ("**Simulated data**: schools and inspectors are simulated, not real people; "
                  "inspector-level results illustrate the methods only.")


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.1%}"


def _row_text(r: pd.Series) -> str:
    return f"{_pct(r.estimate)} ({_pct(r.ci_low)} to {_pct(r.ci_high)}; n={int(r.n):,})"


def _tables_of(data: object) -> dict[str, pd.DataFrame | None]:
    """The complaints analysis's tables (None where absent) from anything :func:`~inspect_audit.data.dataset.as_tables`
    reads: a Dataset, a mapping, a ValidationReport or simulated data."""
    tables = as_tables(data)
    return {t: tables.get(t) for t in TABLES}


#: How each grade scale's grade is named in the report (complaints by grade are shown per scale, never mixed).
SCALE_WORDS: dict[str, tuple[str, str]] = {
    "legacy_4": ("grade awarded (overall effectiveness)", ""),
    "report_card_5": ("lowest report-card area grade", "_report_card"),
}


def _by_scale(table: pd.DataFrame) -> list[tuple[pd.DataFrame, str, str]]:
    """The ``grade`` rows of a rates table split by grade scale: (rows, words, file-name suffix) per scale; rows of
    inspections without a grade (empty scale) go with the first scale's table."""
    scales = [s for s in dict.fromkeys(table["scale"].astype(str)) if s]
    if not scales:
        return [(table, SCALE_WORDS["legacy_4"][0], "")]
    out = []
    for i, scale in enumerate(scales):
        rows = table[(table["scale"] == scale) | ((table["scale"] == "") if i == 0 else False)]
        words, suffix = SCALE_WORDS.get(scale, (f"grade awarded ({scale})", f"_{scale}"))
        out.append((rows, words, suffix))
    return out


def default_snapshot(complaints: pd.DataFrame) -> pd.Timestamp:
    """Latest received or closed date in the table (used when no snapshot date is known)."""
    dates = pd.concat([pd.to_datetime(complaints["received_date"]), pd.to_datetime(complaints["closed_date"])])
    return pd.Timestamp(dates.max())


def analyse(tables: Mapping[str, pd.DataFrame | None], out_dir: str | Path, min_n: int = MIN_N,
            snapshot_date: str | pd.Timestamp | None = None, severity_draws: pd.DataFrame | None = None,
            truth: dict | None = None, simulated: bool = False, severity_note: str = "",
            pseudonymise: bool = True) -> dict:
    """Run every complaints analysis, write CSVs and PNGs into ``out_dir`` and return a report section.

    Parameters
    ----------
    tables : mapping
        ``complaints`` (required), ``inspections``, ``judgements``, ``schools`` (optional).
    out_dir : str or Path
        Folder for ``complaints_*.csv`` and ``complaints_*.png`` (created).
    min_n : int
        Small-group suppression threshold for everything written.
    snapshot_date : str or Timestamp, optional
        Extraction date (open complaints are censored there); default the latest date in the table.
    severity_draws : DataFrame, optional
        Posterior draws of inspector severity (index inspector_id); the severity analysis is skipped
        without them.
    truth : dict, optional
        ``truth["complaints"]`` of simulated data, to compare estimates with the planted values.
    simulated : bool
        Label the section as simulated.
    severity_note : str
        Sentence describing where the severity draws came from.
    pseudonymise : bool
        Replace inspector ids (in the tables and the draws' index) by keyed pseudonyms before anything is
        computed, so no table, plot or report names a real id (default). Rows of an inspector whose
        groups are suppressed are left out of the tables. ``False`` for one's own data; stated in
        ``privacy.json``.

    Returns
    -------
    dict
        ``title``, ``markdown`` and ``summary`` (list of one-line findings).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if pseudonymise:
        tables = privacy.pseudonymise_tables(tables)
        if severity_draws is not None:
            severity_draws = severity_draws.set_axis(
                privacy.pseudonymise(severity_draws.index.to_series(), prefix=privacy.PERSON_COLUMNS["inspector_id"]),
                axis=0)
    complaints = tables["complaints"]
    inspections, judgements, schools = (tables.get("inspections"), tables.get("judgements"), tables.get("schools"))
    snap = pd.Timestamp(snapshot_date) if snapshot_date is not None else default_snapshot(complaints)
    md: list[str] = []
    summary: list[str] = []
    if simulated:
        md.append(SIMULATED_NOTE + "\n")
    md.append(f"{len(complaints):,} complaints; snapshot {snap:%Y-%m-%d}. Estimates with 90% intervals and n. "
              f"Groups of fewer than {min_n} complaints are suppressed in every table and plot.\n")

    # 1. upheld rates
    rates = upheld_rates(complaints, inspections, judgements, schools)
    export_csv(rates, out / "complaints_upheld_rates.csv", min_n, pseudonymise=pseudonymise)
    overall = rates[rates["dimension"] == "overall"].iloc[0]
    md.append("### How often are complaints upheld?\n")
    line = (f"Of {int(overall.n):,} decided complaints (open and withdrawn ones excluded), "
            f"{_pct(overall.estimate)} were upheld in full or in part (90% interval {_pct(overall.ci_low)} to "
            f"{_pct(overall.ci_high)}).")
    if truth and truth.get("upheld_expected_share") is not None:
        line += (f" The simulation planted {truth['upheld_expected_share']:.1%} (expected) and realised "
                 f"{truth['upheld_observed_share']:.1%} among decided complaints.")
    md.append(line)
    md.append("\nEach group is shown twice: the observed share (grey) and a *partially pooled* estimate "
              "(blue) that pulls small groups towards the typical rate, so 1 upheld out of 3 is not read as "
              "33%. A complaint with several grounds counts under each of them.\n")
    summary.append(f"Upheld or partially upheld: {_row_text(overall)} of decided complaints")
    panels = []
    for dim, title in [("stage", "stage reached"), ("ground", "ground of complaint"), ("grade", "grade awarded"),
                       ("phase", "phase"), ("region", "region"), ("fsm_quintile", "FSM quintile"),
                       ("lead_inspector", "lead inspector")]:
        rows = rates[rates["dimension"] == dim]
        if dim == "grade":  # legacy grades and report-card grades are shown apart, each with its own labels
            panels += [(dim, words, f"complaints_upheld_by_{dim}{suffix}.png", part) for part, words, suffix in
                       _by_scale(rows)]
        elif len(rows):
            panels.append((dim, title, f"complaints_upheld_by_{dim}.png", rows))
    for dim, title, name, rows in panels:
        part = suppress(rows[rows["statistic"] == "pooled_rate"], min_n)
        n_hidden = int(part["suppressed"].sum())
        if n_hidden == len(part):
            md.append(f"By {title}: all {len(part)} groups suppressed (fewer than {min_n} decided complaints, or "
                      "hidden so that a small group cannot be worked out from the total; no plot).\n")
            continue
        plot_rates(rows, dim, out / name, min_n, reference=overall.estimate,
                   title=f"Complaints upheld by {title} (90% intervals)" + (" - simulated" if simulated else ""))
        extra = (f" ({n_hidden} of {len(part)} groups suppressed: fewer than {min_n} complaints, or hidden so that "
                 "a small group cannot be worked out from the total.)" if n_hidden else "")
        md.append(f"![Upheld by {title}]({name}){extra}\n")
    stage = suppress(rates[(rates["dimension"] == "stage") & (rates["statistic"] == "pooled_rate")], min_n)
    if len(stage):
        raw = rates[(rates["dimension"] == "stage") & (rates["statistic"] == "raw_rate")].set_index("group")
        md.append("\n" + markdown_table(pd.DataFrame([
            {"stage": r.group, "decided complaints": "suppressed" if r.suppressed else str(r.n),
             "observed": "suppressed" if r.suppressed else _pct(raw.loc[r.group, "estimate"]),
             "partially pooled (90% interval)": "suppressed" if r.suppressed else
             f"{_pct(r.estimate)} ({_pct(r.ci_low)} to {_pct(r.ci_high)})"} for r in stage.itertuples()])))
        md.append("")

    # 2. complaint rates by grade
    if inspections is not None and judgements is not None:
        crate = complaint_rates(complaints, inspections, judgements, schools, by="grade")
        export_csv(crate, out / "complaints_rate_by_grade.csv", min_n, pseudonymise=pseudonymise)
        md.append("\n### Which inspections are complained about?\n")
        for rows, words, suffix in _by_scale(crate):
            name = f"complaints_rate_by_grade{suffix}.png"
            plot_rates(rows, "grade", out / name, min_n,
                       title=f"Share of inspections complained about, by {words} (90% intervals)",
                       xlabel="share of inspections with at least one complaint")
            md.append(f"![Complaint rate by {words}]({name})\n")
            shown = suppress(rows, min_n)
            md.append(markdown_table(pd.DataFrame([
                {words: r.group, "inspections": "suppressed" if r.suppressed else f"{r.n:,}",
                 "complained about": "suppressed" if r.suppressed else f"{int(r.k):,}",
                 "share (90% interval)": "suppressed" if r.suppressed else
                 f"{_pct(r.estimate)} ({_pct(r.ci_low)} to {_pct(r.ci_high)})"} for r in shown.itertuples()])))
            summary += [f"Complaint rate, {words} {r.group}: {_row_text(r)} inspections"
                        for r in shown.itertuples() if not r.suppressed]
            md.append("")

    # 3. time to closure
    closure = time_to_closure(complaints, snap)
    export_csv(closure.medians, out / "complaints_time_to_closure_medians.csv", min_n, pseudonymise=pseudonymise)
    export_csv(closure.curves, out / "complaints_time_to_closure_curves.csv", min_n, pseudonymise=pseudonymise)
    plot_time_to_closure(closure, out / "complaints_time_to_closure.png", min_n)
    md.append("\n### How long do complaints take to close?\n")
    md.append("Kaplan-Meier curves: complaints still open at the snapshot count for as long as they have been "
              "open (censored), instead of being dropped. Medians in days with 90% intervals.\n")
    md.append("![Time to closure](complaints_time_to_closure.png)\n")
    table = []
    for r in suppress(closure.medians, min_n).itertuples():
        if r.suppressed:
            table.append({"stage": r.group, "n": "suppressed", "still open": "suppressed",
                          "median days (90% interval)": "suppressed"})
            continue
        hi = "open-ended" if not np.isfinite(r.ci_high) else f"{r.ci_high:.0f}"
        med = "not reached" if not np.isfinite(r.estimate) else f"{r.estimate:.0f} ({r.ci_low:.0f} to {hi})"
        table.append({"stage": r.group, "n": str(r.n), "still open": str(r.n_censored),
                      "median days (90% interval)": med})
        if r.group == "all" and np.isfinite(r.estimate):
            summary.append(f"Median time to closure: {r.estimate:.0f} days ({r.ci_low:.0f} to {hi}; n={r.n:,}, "
                           f"{r.n_censored} still open)")
    md.append(markdown_table(pd.DataFrame(table)))
    md.append("")

    # 4. severity
    if severity_draws is not None and inspections is not None:
        sev = complaints_vs_severity(complaints, inspections, severity_draws, judgements)
        export_csv(sev, out / "complaints_vs_severity.csv", min_n, pseudonymise=pseudonymise)
        plot_severity(sev, out / "complaints_vs_severity.png",
                      title="Complaints and lead-inspector severity" + (" (simulated inspectors)" if simulated else ""))
        md.append("\n### Do harsher inspectors attract more complaints?\n")
        if severity_note:
            md.append(severity_note + "\n")
        md.append("![Severity](complaints_vs_severity.png)\n")
        table = []
        slopes = sev.set_index(["outcome", "statistic"])
        for outcome, label in [("complaint", "inspection complained about (adjusted for grade)"
                                if judgements is not None else "inspection complained about"),
                               ("upheld", "complaint upheld")]:
            s, o = slopes.loc[(outcome, "slope")], slopes.loc[(outcome, "odds_ratio")]
            table.append({"outcome": label,
                          "slope per logit of severity (90% interval)": f"{s.estimate:.2f} ({s.ci_low:.2f} to "
                                                                         f"{s.ci_high:.2f})",
                          "odds multiplier": f"{o.estimate:.2f} ({o.ci_low:.2f} to {o.ci_high:.2f})",
                          "n": f"{int(s.n):,}", "draws": str(int(s.n_draws))})
            line = f"Severity slope ({outcome}): {s.estimate:.2f} ({s.ci_low:.2f} to {s.ci_high:.2f}; n={int(s.n):,})"
            if truth and f"{outcome}_severity_slope" in truth:
                line += f"; planted {truth[f'{outcome}_severity_slope']:.2f}"
            summary.append(line)
        md.append(markdown_table(pd.DataFrame(table)))
        if truth:
            md.append(f"\nPlanted slopes: complaint {truth.get('complaint_severity_slope')}, upheld "
                      f"{truth.get('upheld_severity_slope')}.")
        md.append("")
    title = "Complaints about inspections" + (" (simulated data)" if simulated else "")
    return {"title": title, "markdown": "\n".join(md), "summary": summary}


def demo_section(data: object, out_dir: str | Path, severity_draws: pd.DataFrame | None = None,
                 min_n: int = MIN_N, seed: int = 0, severity_converged: bool | None = None) -> dict:
    """Complaints section of the demo report on simulated (or any) data.

    Parameters
    ----------
    data : SimulatedData or mapping
        Object with ``complaints``, ``inspections``, ``judgements``, ``schools`` (attributes or keys)
        and, for simulated data, ``truth``.
    out_dir : str or Path
        Folder for plots and CSVs.
    severity_draws : DataFrame, optional
        Posterior draws of inspector severity. For simulated data without draws, stand-in draws
        (true severity + Normal(0, 0.15) noise) are used and labelled as such.
    min_n : int
        Suppression threshold.
    seed : int
        Seed for stand-in draws.
    severity_converged : bool, optional
        Whether the fit behind ``severity_draws`` passed its convergence gates (``False`` is stated).

    Returns
    -------
    dict
        ``title``, ``markdown``, ``summary``.
    """
    tables = _tables_of(data)
    truth_all = data.get("truth") if isinstance(data, Mapping) else getattr(data, "truth", None)
    truth_all = truth_all or {}
    simulated = bool(truth_all)
    snapshot = truth_all.get("config", {}).get("snapshot_date")
    note = ""
    if severity_draws is None and truth_all.get("inspectors"):
        severity_draws = truth_severity_draws(truth_all["inspectors"], noise_sd=0.15, n_draws=100, seed=seed)
        note = ("Severity draws here are a stand-in: the simulated inspectors' true severity plus Normal(0, 0.15) "
                "noise per draw (100 draws), in place of the inspector model's posterior.")
    elif severity_draws is not None:
        note = f"Severity: {severity_draws.shape[1]} posterior draws for {severity_draws.shape[0]} inspectors."
        if severity_converged is False:
            note += (" **The fit behind them failed its convergence gates**: read this link as a demonstration "
                     "of the method, not as evidence.")
    return analyse(tables, out_dir, min_n=min_n, snapshot_date=snapshot, severity_draws=severity_draws,
                   truth=truth_all.get("complaints"), simulated=simulated, severity_note=note)
