"""From the previous overall grade to the report card: where did each legacy grade go, area by area?

A report card (framework ``report_card_2025``) has no overall grade, so nothing maps one to one: the
previous grade is on the legacy scale (1 Outstanding, 2 Good, 3 Requires improvement, 4 Inadequate) and
each area of the card on its own scale (1 Exceptional .. 5 Urgent improvement; safeguarding met / not met).
The tables keep both scales' codes and labels side by side (``previous_grade``, ``previous_label`` and
``grade``, ``label``) and compute nothing across them (no "same grade", no "improved").

The previous grade is the school's (same ``urn``) latest graded inspection *before* the report card whose
overall effectiveness is on the legacy scale. In the bundled data that is the latest graded inspection on
record at 31 August 2024 (``MI2024-<urn>``), which may be many years earlier; ``previous_overall`` keeps the
dates so the gap can be shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.grade_patterns._data import adverse, area_frame, graded_inspections, phases_in
from inspect_audit._core.intervals import CI_PROB, wilson_interval

FRAMEWORK = "report_card_2025"
PREVIOUS_AREA = "overall_effectiveness"
PREVIOUS_SCALE = "legacy_4"
TRANSITION_COLUMNS = ["area", "phase", "previous_grade", "previous_label", "grade", "label", "k", "n", "share",
                      "ci_low", "ci_high"]
SUMMARY_COLUMNS = ["area", "phase", "previous_grade", "previous_label", "outcome", "k", "n", "share", "ci_low",
                   "ci_high"]
VALUES = ["k", "share", "ci_low", "ci_high"]


def previous_overall(tables: dict[str, pd.DataFrame], framework: str = FRAMEWORK) -> pd.DataFrame:
    """Each ``framework`` inspection with the school's latest earlier overall grade on the legacy scale.

    Columns ``inspection_id, urn, start_date, previous_inspection_id, previous_date, previous_framework,
    previous_grade, years_between``; inspections with no earlier legacy grade are left out.
    """
    ins = graded_inspections(tables)
    cards = ins.loc[ins["framework"].astype(str) == framework, ["inspection_id", "urn", "start_date"]]
    earlier_fw = [fw for fw, spec in schemas.scales()["frameworks"].items()
                  if spec["areas"].get(PREVIOUS_AREA) == PREVIOUS_SCALE and fw != framework]
    prev = area_frame(tables, PREVIOUS_AREA, earlier_fw)[["inspection_id", "urn", "start_date", "framework", "grade"]]
    prev = prev.rename(columns={"inspection_id": "previous_inspection_id", "start_date": "previous_date",
                                "framework": "previous_framework", "grade": "previous_grade"})
    both = cards.merge(prev, on="urn")
    both = both[pd.to_datetime(both["previous_date"]) < pd.to_datetime(both["start_date"])]
    both = (both.sort_values(["inspection_id", "previous_date"]).drop_duplicates("inspection_id", keep="last")
            .reset_index(drop=True))
    both["years_between"] = (pd.to_datetime(both["start_date"]) - pd.to_datetime(both["previous_date"])).dt.days / 365.25
    return both


def _linked(tables, framework, areas):
    """The framework's judgements (every area asked for) with each school's previous legacy grade."""
    prev = previous_overall(tables, framework)[["inspection_id", "previous_grade"]]
    present = set(tables["judgements"]["area"].astype(str))
    areas = [a for a in (areas or schemas.framework_areas(framework)) if a in present]
    frames = {a: area_frame(tables, a, [framework]).merge(prev, on="inspection_id") for a in areas}
    return {a: f for a, f in frames.items() if len(f)}


def transition_table(tables: dict[str, pd.DataFrame], framework: str = FRAMEWORK, areas=None, *,
                ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Cross-tabulation per area: previous overall grade (legacy) x the area's grade on the report card.

    One row per area x phase (``all`` first, then each phase in the data) x previous grade x grade, every
    combination included (``k`` = 0 where none): ``k`` schools of the ``n`` with that previous grade (and
    graded on the area) got ``grade``; ``share`` = k / n with a Wilson interval. Not suppressed: pass it to
    :func:`suppressed` (cells whose ``n`` is under :data:`~inspect_audit._core.privacy.MIN_N`) before showing it.

    Examples
    --------
    On the bundled England data: where schools' previous overall grade went on their report card.

    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.grade_patterns import transition_table
    >>> table = transition_table(load_england(), areas=["leadership_and_governance"])
    >>> was_good = table.query("phase == 'all' and previous_grade == 2")
    >>> was_good[["grade", "k", "n", "share", "ci_low", "ci_high"]].round(2)
       grade    k    n  share  ci_low  ci_high
    5      1    7  982   0.01    0.00     0.01
    6      2  212  982   0.22    0.20     0.24
    7      3  636  982   0.65    0.62     0.67
    8      4  111  982   0.11    0.10     0.13
    9      5   16  982   0.02    0.01     0.02
    """
    prev_scale = schemas.scale(PREVIOUS_SCALE)
    rows = []
    for area, f in _linked(tables, framework, areas).items():
        sc = schemas.scale_for(framework, area)
        for phase in ["all", *phases_in(f["phase"])]:
            part = f if phase == "all" else f[f["phase"] == phase]
            for pg, plabel in zip(prev_scale.codes, prev_scale.labels):
                g = part.loc[part["previous_grade"] == pg, "grade"].to_numpy()
                for code, label in zip(sc.codes, sc.labels):
                    rows.append({"area": area, "phase": phase, "previous_grade": pg, "previous_label": plabel,
                                 "grade": code, "label": label, "k": int((g == code).sum()), "n": len(g)})
    table = pd.DataFrame(rows, columns=["area", "phase", "previous_grade", "previous_label", "grade", "label", "k", "n"])
    return _with_shares(table, TRANSITION_COLUMNS, ci_prob)


def transition_summary(tables: dict[str, pd.DataFrame], framework: str = FRAMEWORK, areas=None, *,
                       ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Per area x phase x previous overall grade: the share graded below the area's boundary on the report
    card (``outcome``: "below expected standard" = Needs attention or Urgent improvement; safeguarding: "not
    met"), with a Wilson interval and n. Rows with previous grade ``all`` (``previous_label`` "any") give the
    share over every school with a previous grade."""
    prev_scale = schemas.scale(PREVIOUS_SCALE)
    rows = []
    for area, f in _linked(tables, framework, areas).items():
        codes, words = adverse(schemas.scale_for(framework, area))
        for phase in ["all", *phases_in(f["phase"])]:
            part = f if phase == "all" else f[f["phase"] == phase]
            for pg, plabel in [(0, "any"), *zip(prev_scale.codes, prev_scale.labels)]:
                g = part["grade"] if pg == 0 else part.loc[part["previous_grade"] == pg, "grade"]
                rows.append({"area": area, "phase": phase, "previous_grade": pg, "previous_label": plabel,
                             "outcome": words, "k": int(g.isin(codes).sum()), "n": int(len(g))})
    table = pd.DataFrame(rows, columns=["area", "phase", "previous_grade", "previous_label", "outcome", "k", "n"])
    return _with_shares(table, SUMMARY_COLUMNS, ci_prob)


def _with_shares(table: pd.DataFrame, columns: list[str], ci_prob: float) -> pd.DataFrame:
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = wilson_interval(table["k"], table["n"], ci_prob)
    table = table[columns]
    table.attrs.update({"ci_prob": ci_prob, "method": f"Wilson score interval, {ci_prob:.0%}",
                        "previous_scale": PREVIOUS_SCALE})
    return table


def suppressed(table: pd.DataFrame, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """Rows whose ``n`` (schools with that previous grade) is under ``min_n``: k, share, interval and n
    blanked (:func:`inspect_audit._core.privacy.suppress`), ``suppressed`` true."""
    return privacy.suppress(table, min_n=min_n, n_col="n", columns=VALUES, hide_n=True)


def years_between_summary(tables: dict[str, pd.DataFrame], framework: str = FRAMEWORK) -> dict:
    """How long before the report card the previous grade was given: n, median and quartiles (years)."""
    prev = previous_overall(tables, framework)
    cards = int((graded_inspections(tables)["framework"].astype(str) == framework).sum())
    if prev.empty:
        return {"report_cards": cards, "with_previous_grade": 0}
    y = prev["years_between"].to_numpy()
    return {"report_cards": cards, "with_previous_grade": int(len(prev)),
            "years_between_median": float(np.median(y)), "years_between_q1": float(np.quantile(y, 0.25)),
            "years_between_q3": float(np.quantile(y, 0.75)),
            "previous_frameworks": prev["previous_framework"].value_counts().to_dict()}
