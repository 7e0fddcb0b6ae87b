"""The agreement section of the demo report: paired inspections, boundaries, D study, kinds of rater."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.agreement.decisions import decision_consistency, paired_study_interval, rater_type_agreement
from inspect_audit.agreement.gtheory import d_study, g_study, raters_needed
from inspect_audit.agreement.table import agreement_table, to_wide
from inspect_audit._core.export import write_csv
from inspect_audit._core.markdown import markdown_table
from inspect_audit._core.plots import plot_d_study, plot_estimates

HEADLINE = ["percent_agreement", "fleiss_kappa", "fleiss_kappa_quadratic", "gwet_ac1", "gwet_ac2_quadratic",
            "krippendorff_alpha_ordinal", "icc1_1"]
AREA = "overall_effectiveness"
DECISION_LABELS = {"same_grade": "same grade", "within_one_grade": "within one grade",
                   "same_side_good_or_better": "agree: Good or better, or not",
                   "same_side_inadequate": "agree: Inadequate, or not"}


def decision_label(statistic: str, scale: schemas.Scale | None = None) -> str:
    """Words for a :func:`~inspect_audit.agreement.decisions.decision_consistency` statistic, on its scale's own
    labels and boundaries (``scales.json``; default the legacy scale).

    >>> decision_label("same_side_expected_or_better", schemas.scale("report_card_5"))
    'agree: Expected standard or better, or not'
    >>> decision_label("same_side_urgent_improvement", schemas.scale("report_card_5"))
    'agree: Urgent improvement, or not'
    """
    scale = scale or schemas.scale("legacy_4")
    name = statistic.removeprefix("same_side_")
    if name == statistic or name not in scale.boundaries:
        return DECISION_LABELS.get(statistic, statistic.replace("_", " "))
    codes = scale.boundaries[name]
    words = (f"{scale.label(max(codes))} or better" if name.endswith("_or_better")
             else " or ".join(scale.label(c) for c in codes))
    return f"agree: {words}, or not"


def paired_matrix(ratings: pd.DataFrame, area: str = AREA) -> pd.DataFrame:
    """Units x (first, second, ...) inspector grades: inspectors differ between schools, so columns are
    positions, not people (raters nested in schools)."""
    part = ratings[(ratings["area"] == area) & (ratings["rater_type"] == "inspector")]
    part = part.assign(rater_id=part.groupby("unit_id").cumcount() + 1)
    return to_wide(part)


# Thresholds for wording the kappa-paradox sentence: raw agreement counted as "high", kappa as "low" (0.40 is
# the top of Landis & Koch's 1977 "fair" band) and chance agreement as "high".
HIGH_AGREEMENT = 0.75
LOW_KAPPA = 0.40
HIGH_CHANCE = 0.50


def chance_sentence(table: pd.DataFrame) -> str:
    """What percent agreement, Fleiss' kappa and Gwet's AC1 say together, worded from their values."""
    t = table.set_index("statistic")["estimate"]
    pa, kappa, ac1 = (float(t[name]) for name in ("percent_agreement", "fleiss_kappa", "gwet_ac1"))
    if not np.isfinite(kappa):
        return (f"Raw agreement is {pa:.0%}; Fleiss' kappa is undefined here (every rating in one grade) and "
                f"Gwet's AC1 is {ac1:.2f}.")
    if kappa >= 1:
        return f"Every pair of inspectors gave the same grade (Fleiss' kappa 1.00, Gwet's AC1 {ac1:.2f})."
    chance = (pa - kappa) / (1 - kappa)  # kappa = (pa - chance) / (1 - chance)
    numbers = (f"raw agreement {pa:.0%}, agreement expected by chance from the grade shares {chance:.0%}, "
               f"Fleiss' kappa {kappa:.2f}, Gwet's AC1 {ac1:.2f}")
    if kappa >= LOW_KAPPA:
        return f"Kappa and raw agreement tell a similar story ({numbers})."
    lead = ("Kappa is low although raw agreement is high" if pa >= HIGH_AGREEMENT
            else "Kappa is low and raw agreement only moderate")
    if chance < HIGH_CHANCE:
        return f"{lead} ({numbers}): inspectors disagree more than a dominant grade alone would explain."
    return (f"{lead} ({numbers}): most schools get the same grade, so much agreement is expected by chance "
            "and kappa is pulled down (the *kappa paradox*); AC1 is less affected.")


def _fmt(row: pd.Series) -> str:
    return f"{row.estimate:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f})"


def demo_section(ratings: pd.DataFrame, out_dir: Path, seed: int = 0, n_boot: int = 1000) -> dict:
    """Agreement on the simulated paired inspections; returns {title, markdown, summary}."""
    scale = schemas.scale("legacy_4")
    wide = paired_matrix(ratings)
    table = agreement_table(wide, list(scale.codes), n_boot=n_boot, seed=seed)
    write_csv(table, out_dir / "agreement_coefficients.csv", min_n=None)
    headline = table.set_index("statistic").loc[HEADLINE].reset_index()

    inspectors = ratings[(ratings["area"] == AREA) & (ratings["rater_type"] == "inspector")]
    decisions = decision_consistency(inspectors, scale, seed=seed)
    write_csv(decisions, out_dir / "agreement_decision_consistency.csv", min_n=None)
    labels = [decision_label(s, scale) for s in decisions["statistic"]]
    plot_estimates(decisions.assign(decision=labels), "decision",
                   "Do two inspectors reach the same decision? (simulated, 90% intervals)",
                   "share of paired inspections agreeing", out_dir / "agreement_by_boundary.png")

    g = g_study(wide.to_numpy(), design="nested", n_boot=n_boot, seed=seed)
    d = d_study(g, range(1, 9))
    write_csv(d, out_dir / "agreement_d_study.csv", min_n=None)
    plot_d_study(d, "How many inspectors would make a grade reliable? (simulated)", out_dir / "agreement_d_study.png")
    needed = raters_needed(g, 0.8, "phi")

    kinds = rater_type_agreement(ratings[ratings["area"] == AREA])
    ofsted = paired_study_interval(22, 24).iloc[0]
    same = decisions.set_index("statistic").loc["same_grade"]
    better = next(k for k in scale.boundaries if k.endswith("_or_better"))
    gob = decisions.set_index("statistic").loc[f"same_side_{better}"]
    side = decision_label(f"same_side_{better}", scale).removeprefix("agree: ").removesuffix(", or not")

    rows = markdown_table(pd.DataFrame({"coefficient": [f"`{s}`" for s in headline["statistic"]],
                                        "estimate (90% interval)": [_fmt(r) for r in headline.itertuples()],
                                        "n": headline["n"].astype(int).astype(str)}))
    kind_rows = markdown_table(pd.DataFrame({
        "raters": kinds["rater_types"], "pairs": kinds["n_pairs"].astype(int).astype(str),
        "exact agreement (90%)": [f"{r.agreement:.0%} ({r.ci_low:.0%}-{r.ci_high:.0%})" for r in kinds.itertuples()],
        "mean difference": [f"{v:+.2f}" for v in kinds["mean_difference"]]}))
    md = (
        f"**Simulated paired inspections** (simulated inspectors, not real people): {len(wide)} schools each "
        "graded independently by two inspectors on the same day. Estimates with 90% intervals; n = schools.\n\n"
        + rows + "\n\n"
        f"Two inspectors gave the same overall grade in {same.estimate:.0%} of schools "
        f"({same.ci_low:.0%} to {same.ci_high:.0%}); they agreed on whether the school is {side} in "
        f"{gob.estimate:.0%} ({gob.ci_low:.0%} to {gob.ci_high:.0%}).\n\n"
        + chance_sentence(table) + " Both are shown because they answer different questions: AC1 how often "
        "inspectors agree beyond chance, kappa how well grades separate schools.\n\n"
        "![Agreement by boundary](agreement_by_boundary.png)\n\n"
        "**How many inspectors would make a grade reliable?** A decision study projects the reliability of the "
        "average grade of *k* independent inspectors from the variance components (raters nested in schools). "
        + (f"Reaching Phi = 0.80 would take {needed} inspectors per school.\n\n" if needed else "\n\n")
        + "![D study](agreement_d_study.png)\n\n"
        "**Self-evaluation, peer review and inspection** (same schools; difference = first minus second on "
        "Ofsted's coding, negative = first grades more favourably):\n\n"
        + kind_rows + "\n\n"
        f"**How much can a small paired study tell us?** Ofsted's 2017 study found 22 of 24 paired inspections "
        f"agreed ({ofsted.estimate:.0%}); the 95% interval is {ofsted.ci_low:.0%} to {ofsted.ci_high:.0%}, so the "
        "true agreement rate could be as low as about three in four.\n\n"
        "Full tables: `agreement_coefficients.csv`, `agreement_decision_consistency.csv`, `agreement_d_study.csv`.\n"
    )
    ac1 = table.set_index("statistic").loc["gwet_ac1"]
    summary = [f"paired inspections (simulated, n={len(wide)}): same grade {same.estimate:.0%} "
               f"({same.ci_low:.0%}-{same.ci_high:.0%}); Gwet AC1 {_fmt(ac1)}",
               f"Ofsted 2017 paired study 22/24 = {ofsted.estimate:.0%}, 95% interval "
               f"{ofsted.ci_low:.0%}-{ofsted.ci_high:.0%}"]
    return {"title": "Agreement between inspectors", "markdown": md, "summary": summary}
