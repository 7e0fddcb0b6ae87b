"""Schools repeatedly graded below good ("stuck"), by deprivation and region.

**Definition.** A school's *graded history* is its graded inspections (type ``graded``, or no type) with an
overall-effectiveness grade on the legacy four-point scale (1 Outstanding, 2 Good, 3 Requires improvement,
4 Inadequate), in date order. Report cards have no overall grade and are not part of it (their scale is a
different one). With ``run`` = 2 (the default):

* a school is **stuck** when its last two graded inspections were both below good (Requires improvement or
  Inadequate). ``stuck`` rates count schools with at least two graded inspections;
* **stayed below good** is the same among schools whose second-to-last graded inspection was below good:
  the chance that a school below good was below good again at its next inspection.

``run`` = r asks for the last r inspections all below good (and, for "stayed", the r - 1 before the last).
Each school counts once (its latest inspections), so schools are the independent units of the Wilson
intervals. FSM quintile and region are the school's, as in the schools table (the bundled FSM is 2022/23,
not the year of each inspection).
"""

from __future__ import annotations

import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.grade_patterns._data import adverse, area_frame
from inspect_audit._core.intervals import CI_PROB, wilson_interval

AREA = "overall_effectiveness"
SCALE = "legacy_4"
DIMENSIONS = ("all", "phase", "fsm_quintile", "region")
STATISTICS = {"stuck": "last {run} graded inspections all below good (schools with {run} or more)",
              "stayed_below_good": "below good at the last graded inspection, of schools below good at the "
                                   "{prev} before it"}
COLUMNS = ["statistic", "dimension", "group", "k", "n", "estimate", "ci_low", "ci_high"]


def graded_history(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every graded inspection with a legacy overall grade, by school and date: ``urn, inspection_id,
    start_date, framework, grade, order`` (1 = the school's latest, 2 = the one before, ...)."""
    frameworks = [fw for fw, spec in schemas.scales()["frameworks"].items() if spec["areas"].get(AREA) == SCALE]
    f = area_frame(tables, AREA, frameworks)[["urn", "inspection_id", "start_date", "framework", "grade"]]
    f = f.sort_values(["urn", "start_date", "inspection_id"]).reset_index(drop=True)
    f["order"] = f.groupby("urn").cumcount(ascending=False) + 1
    return f


def history_counts(history: pd.DataFrame) -> dict:
    """Schools by number of graded inspections, and whether a stuck analysis is possible."""
    per = history.groupby("urn").size()
    counts = {int(k): int(v) for k, v in per.value_counts().sort_index().items()}
    repeat = int((per >= 2).sum())
    return {"schools": int(len(per)), "graded_inspections": int(len(history)),
            "schools_by_number_of_graded_inspections": counts, "schools_with_two_or_more": repeat,
            "possible": repeat > 0}


def stuck_schools(tables: dict[str, pd.DataFrame], run: int = 2) -> pd.DataFrame:
    """One row per school with at least ``run`` graded inspections: ``urn, n_graded, last_grade,
    previous_grade`` (the one before the last), ``stuck`` (the last ``run`` all below good),
    ``previous_below`` (the ``run - 1`` before the last all below good) and the school's ``phase,
    fsm_quintile, region``.

    Examples
    --------
    The bundled data hold one graded inspection per school, so no school can be stuck there; simulated data
    (with repeat inspections) can:

    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.grade_patterns import stuck_rates, stuck_schools
    >>> data = simulate(SimulationConfig(n_schools=600, n_inspectors=20, survey_n_schools=10), seed=1)
    >>> schools = stuck_schools(data.tables())
    >>> stuck_rates(schools).head(3).round(3)
      statistic dimension      group  k    n  estimate  ci_low  ci_high
    0     stuck       all        all  3  177     0.017   0.007    0.042
    1     stuck     phase    primary  2  142     0.014   0.005    0.042
    2     stuck     phase  secondary  1   35     0.029   0.006    0.118
    """
    if run < 2:
        raise ValueError("run must be 2 or more (repeatedly below good)")
    below, _ = adverse(schemas.scale(SCALE))
    h = graded_history(tables)
    h["below"] = h["grade"].isin(below)
    n = h.groupby("urn").size().rename("n_graded")
    h = h.join(n, on="urn")
    h = h[h["n_graded"] >= run]
    last = h[h["order"] <= run]
    out = pd.DataFrame({
        "n_graded": last.groupby("urn")["n_graded"].first(),
        "last_grade": last[last["order"] == 1].set_index("urn")["grade"],
        "previous_grade": last[last["order"] == 2].set_index("urn")["grade"],
        "stuck": last.groupby("urn")["below"].all(),
        "previous_below": last[last["order"] >= 2].groupby("urn")["below"].all(),
    }).reset_index()
    schools = tables.get("schools")
    cols = [c for c in ("phase", "fsm_quintile", "region") if schools is not None and c in schools]
    if cols:
        out = out.merge(schools[["urn", *cols]], on="urn", how="left")
    for c in ("phase", "fsm_quintile", "region"):
        if c not in out:
            out[c] = pd.NA
    out.attrs["run"] = run
    return out


def stuck_rates(schools: pd.DataFrame, *, ci_prob: float = CI_PROB, dimensions=DIMENSIONS) -> pd.DataFrame:
    """Tidy rates from :func:`stuck_schools`: one row per statistic (``stuck``, ``stayed_below_good``) x
    dimension (``all``, ``phase``, ``fsm_quintile``, ``region``) x group: ``k`` of ``n`` schools,
    ``estimate`` = k / n with a Wilson interval. Schools without a value of a dimension are left out of that
    dimension (counted in ``attrs["missing"]``). Groups add up to ``all``, so pass the table through the
    package's writer, whose suppression hides a second group wherever one alone could be worked out."""
    run = int(schools.attrs.get("run", 2))
    rows, missing = [], {}
    for statistic in STATISTICS:
        # stayed below good: among schools below good before the last inspection, stuck = last below good too
        base = schools if statistic == "stuck" else schools[schools["previous_below"]]
        flag = "stuck"
        for dim in dimensions:
            if dim == "all":
                rows.append({"statistic": statistic, "dimension": "all", "group": "all",
                             "k": int(base[flag].sum()), "n": int(len(base))})
                continue
            values = base[dim]
            missing[f"{statistic}:{dim}"] = int(values.isna().sum())
            keys = values.dropna()
            if dim == "fsm_quintile":
                keys = keys.astype(int)
            for g in sorted(keys.unique(), key=lambda v: (str(type(v)), v)):
                part = base.loc[keys.index[keys == g]]
                rows.append({"statistic": statistic, "dimension": dim, "group": str(g),
                             "k": int(part[flag].sum()), "n": int(len(part))})
    table = pd.DataFrame(rows, columns=["statistic", "dimension", "group", "k", "n"])
    table["estimate"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = wilson_interval(table["k"], table["n"], ci_prob)
    table = table[COLUMNS]
    table.attrs.update({"ci_prob": ci_prob, "run": run, "missing": missing,
                        "method": f"Wilson score interval, {ci_prob:.0%}",
                        "definitions": {k: v.format(run=run, prev="inspection" if run == 2 else f"{run - 1} inspections")
                                        for k, v in STATISTICS.items()}})
    return table


def suppressed(table: pd.DataFrame, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """:func:`inspect_audit._core.privacy.suppress` as the writer applies it (groups under ``min_n``, and a second
    group where one alone could be worked out from ``all``), for in-memory use (report, figure)."""
    return privacy.suppress(table, min_n=min_n, n_col="n", hide_n=True)
