"""``inspect-audit context``: does a grade fall with deprivation, before and after progress?

Two forms:

* without ``--framework`` (the legacy form): one judgement area (``--area``, default overall
  effectiveness) by phase, as :class:`~inspect_audit.inspectors.context.ContextModel` writes it;
* with ``--framework F`` (e.g. ``report_card_2025``): only the inspections of framework ``F``, **area by
  area**. OUT receives

  - ``grade_shares.csv``: observed shares, one row per area x phase x FSM quintile x grade
    (``area, phase, fsm_quintile, grade, label, share, ci_low, ci_high, n, suppressed``; grade = the
    framework's code, 1 = best; fsm_quintile 1 = least deprived, as in the schools table; 90% Wilson
    intervals; cells of fewer than :data:`~inspect_audit._core.privacy.MIN_N` inspections are suppressed:
    ``suppressed`` true, share, interval and n left empty);
  - ``context_effects.csv``: the context model's effects with a first column ``area``: per area and
    phase the FSM-quintile effect on the logit scale (estimand ``total`` and ``direct``, per quintile
    more deprived) and on the probability scale (outcome ``expected_or_better`` on report cards:
    P(expected standard or better) at quintile 5 minus quintile 1, and the best grade);
  - ``adjusted_grade_shares.csv``, ``fsm_total_vs_direct.csv`` (with ``area``), ``diagnostics.json``
    (gates over every fit, per area under ``areas``, areas or phases left out under ``skipped``, and
    what the data can and cannot say under ``caveats``), ``legacy_comparison.csv`` (the same schools'
    previous graded inspection, where they have one), ``privacy.json`` (the package's one writer's record
    for these tables) and ``areas/<area>/`` (each area's own fit as :meth:`ContextModel.save` writes it,
    posteriors included unless ``--no-posterior``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit._core.jsonsafe import jsonable
from inspect_audit.data.files import InputError
from inspect_audit.data.validation import validate
from inspect_audit.cli.validate import _print_report

EXIT_INVALID = 1
EXIT_NOT_CONVERGED = 3
CONTEXT_TABLES = ("schools", "inspections", "judgements")
#: Interval mass of the observed shares (the package's usual 90%).
LEVEL = 0.90
GRADE_SHARE_COLUMNS = ["area", "phase", "fsm_quintile", "grade", "label", "share", "ci_low", "ci_high", "n"]
#: What a one-framework context analysis can and cannot say (printed and written to diagnostics.json).
CAVEATS = {
    "can": "how grades in each area differ between schools with fewer and more disadvantaged pupils (FSM "
           "quintile within phase), as observed shares and as model estimates before ('total') and after "
           "('direct') holding 2022/23 progress fixed, both adjusted for region and school size, with 90% "
           "intervals: associations, not causes.",
    "cannot": [
        "One inspection per school: a school's grades cannot be told apart from the inspection that gave "
        "them (team, day), and no inspector effect or inspector consistency can be estimated from these data.",
        "FSM and progress are from 2022/23, two to three years before a report card; a school's intake may "
        "have changed since.",
        "'Direct' is not 'bias': progress is partly on the path from deprivation to grades, and differences "
        "between schools that no column measures remain in both estimates.",
        "The schools inspected so far under a new framework are those Ofsted scheduled first, not a random "
        "sample of schools, and one academic year shows no change over time.",
        "Public data name no inspectors.",
    ],
}


# ---------------------------------------------------------------------- data

def _data_paths(folder: Path) -> dict[str, Path]:
    paths = {}
    for table in CONTEXT_TABLES:
        hits = [folder / f"{table}{ext}" for ext in (".csv", ".csv.gz", ".parquet", ".xlsx")
                if (folder / f"{table}{ext}").exists()]
        if not hits:
            raise SystemExit(f"{folder}: no {table}.csv (need {', '.join(t + '.csv' for t in CONTEXT_TABLES)})")
        paths[table] = hits[0]
    return paths


def load_tables(data: str | Path) -> dict[str, pd.DataFrame] | None:
    """``bundled`` (the England data shipped with the package), a workspace (``*.duckdb``) or a folder of
    files, through the validator; ``None`` once a folder's row-level errors are printed."""
    if str(data) == "bundled":
        from inspect_audit.data.bundled import load_england

        return load_england()
    path = Path(data)
    if path.is_file() and path.suffix == ".duckdb":
        from inspect_audit.data import workspace

        return workspace.load_tables(path, list(CONTEXT_TABLES))  # validated when ingested
    if not path.is_dir():
        raise SystemExit(f"{data}: not 'bundled', a workspace (.duckdb) or a folder")
    report = validate(_data_paths(path))
    if not report.ok:
        _print_report(report, as_json=False, limit=50)
        return None
    return report.tables


def framework_tables(tables: dict[str, pd.DataFrame], framework: str) -> dict[str, pd.DataFrame]:
    """The schools, and only the inspections (and their judgements) of ``framework``."""
    ins = tables["inspections"]
    if "framework" not in ins:
        raise ValueError("the inspections table has no framework column")
    keep = ins[ins["framework"].astype(str) == framework]
    if keep.empty:
        present = ", ".join(sorted(ins["framework"].dropna().astype(str).unique())) or "none"
        raise ValueError(f"no inspections of framework {framework!r} in the data (frameworks present: {present})")
    judg = tables["judgements"]
    return {"schools": tables["schools"], "inspections": keep.reset_index(drop=True),
            "judgements": judg[judg["inspection_id"].isin(set(keep["inspection_id"]))].reset_index(drop=True)}


def _graded(tables: dict[str, pd.DataFrame], framework: str) -> pd.DataFrame:
    """Judgements of the framework's inspections joined to their school's phase and FSM quintile."""
    j = tables["judgements"][["inspection_id", "area", "grade"]]
    ins = tables["inspections"][["inspection_id", "urn"]]
    s = tables["schools"][["urn", "phase", "fsm_quintile"]]
    f = j.merge(ins, on="inspection_id").merge(s, on="urn", how="left")
    f = f[f["area"].astype(str).isin(schemas.framework_areas(framework))]
    f["fsm_quintile"] = pd.to_numeric(f["fsm_quintile"], errors="coerce")
    f["grade"] = pd.to_numeric(f["grade"], errors="coerce")
    return f


def framework_area_list(tables: dict[str, pd.DataFrame], framework: str, ordinal_only: bool = False) -> list[str]:
    """Areas of ``framework`` (scales.json order) with judgements in the data; ``ordinal_only``: only
    areas on a scale of 3+ grades (the context model needs an ordinal grade; safeguarding is met / not met)."""
    present = set(tables["judgements"]["area"].astype(str))
    return [a for a, sc in schemas.framework_areas(framework).items()
            if a in present and (not ordinal_only or len(schemas.scale(sc).codes) >= 3)]


# ---------------------------------------------------------------------- observed shares

def grade_shares(tables: dict[str, pd.DataFrame], framework: str, phases, areas=None, *,
                 level: float = LEVEL, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """Observed grade shares per area x phase x FSM quintile x grade, with Wilson intervals.

    ``tables`` hold the framework's inspections (see :func:`framework_tables`). Every combination gets a
    row, grades never awarded included (share 0); inspections whose school has no FSM quintile are not
    counted. ``n`` is the number of inspections graded on the area in the cell; cells with fewer than
    ``min_n`` are suppressed with :func:`inspect_audit._core.privacy.suppress` (share, interval and n blanked,
    ``suppressed`` true). Columns: :data:`GRADE_SHARE_COLUMNS` and ``suppressed``.
    """
    from inspect_audit.complaints.rates import wilson_interval

    f = _graded(tables, framework)
    f = f[f["fsm_quintile"].between(1, 5)]
    areas = list(areas) if areas is not None else framework_area_list(tables, framework)
    rows = []
    for area in areas:
        sc = schemas.scale_for(framework, area)
        part = f[f["area"].astype(str) == area]
        for phase in phases:
            cell = part[part["phase"].astype("object") == phase]
            for q in range(1, 6):
                grades = cell.loc[cell["fsm_quintile"] == q, "grade"].to_numpy()
                for code, label in zip(sc.codes, sc.labels):
                    rows.append({"area": area, "phase": phase, "fsm_quintile": q, "grade": int(code), "label": label,
                                 "k": int((grades == code).sum()), "n": int(len(grades))})
    table = pd.DataFrame(rows, columns=["area", "phase", "fsm_quintile", "grade", "label", "k", "n"])
    low, high = wilson_interval(table["k"].to_numpy(), table["n"].to_numpy(), level=level)
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    table = table[GRADE_SHARE_COLUMNS]
    out = privacy.suppress(table, min_n=min_n, n_col="n", columns=["share", "ci_low", "ci_high"], hide_n=True)
    out.attrs.update({"level": level, "method": f"Wilson score interval, {level:.0%}"})
    return out


def legacy_comparison(all_tables: dict[str, pd.DataFrame], framework: str, phases, areas=None, *,
                      level: float = LEVEL, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """The same schools under the earlier framework: share good or better at each school's latest graded
    inspection before its ``framework`` inspection (overall effectiveness), beside the share at or above
    each area's boundary on ``framework`` (e.g. expected standard or better), by phase and FSM quintile
    (``areas``: default every ordinal area of the framework in the data).

    Only schools with both (an earlier overall grade and the area) and an FSM quintile count. The two
    scales differ, so compare the gradients across quintiles, not the levels. Columns: ``measure, area,
    phase, fsm_quintile, share, ci_low, ci_high, n, suppressed``.
    """
    from inspect_audit.complaints.rates import wilson_interval

    ins = all_tables["inspections"]
    current = ins[ins["framework"].astype(str) == framework][["inspection_id", "urn", "start_date"]]
    kind = ins["inspection_type"] if "inspection_type" in ins else pd.Series(pd.NA, index=ins.index)
    earlier = ins[(ins["framework"].astype(str) != framework) & (kind.isna() | (kind.astype(str) == "graded"))]
    j = all_tables["judgements"]
    prev = (j[j["area"].astype(str) == "overall_effectiveness"].merge(earlier, on="inspection_id")
            [["urn", "start_date", "framework", "grade"]])
    prev = prev.merge(current[["urn", "start_date"]].rename(columns={"start_date": "card_date"}), on="urn")
    prev = prev[prev["start_date"] < prev["card_date"]].sort_values(["urn", "start_date"]).drop_duplicates("urn", keep="last")
    if prev.empty:
        return pd.DataFrame(columns=["measure", "area", "phase", "fsm_quintile", "share", "ci_low", "ci_high", "n",
                                     "suppressed"])
    prev["good"] = [int(g) in schemas.scale_for(fw, "overall_effectiveness").boundaries.get("good_or_better", ())
                    for g, fw in zip(prev["grade"], prev["framework"])]
    cur = _graded(framework_tables(all_tables, framework), framework)
    cur = cur[cur["fsm_quintile"].between(1, 5)]
    rows = []
    for area in framework_area_list(framework_tables(all_tables, framework), framework, ordinal_only=True):
        if areas is not None and area not in areas:
            continue
        sc = schemas.scale_for(framework, area)
        key = next((k for k in sc.boundaries if k.endswith("_or_better")), None)
        if key is None:
            continue
        both = cur[cur["area"].astype(str) == area].merge(prev[["urn", "good"]], on="urn")
        both["now"] = both["grade"].isin(sc.boundaries[key])
        for phase in phases:
            for q in range(1, 6):
                cell = both[(both["phase"].astype("object") == phase) & (both["fsm_quintile"] == q)]
                for measure, flag in (("previous_overall_effectiveness_good_or_better", "good"), (key, "now")):
                    rows.append({"measure": measure, "area": area, "phase": phase, "fsm_quintile": q,
                                 "k": int(cell[flag].sum()), "n": int(len(cell))})
    table = pd.DataFrame(rows)
    low, high = wilson_interval(table["k"].to_numpy(), table["n"].to_numpy(), level=level)
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    table = table[["measure", "area", "phase", "fsm_quintile", "share", "ci_low", "ci_high", "n"]]
    return privacy.suppress(table, min_n=min_n, n_col="n", columns=["share", "ci_low", "ci_high"], hide_n=True)


# ---------------------------------------------------------------------- fitting

def _phase_counts(tables, area: str, phases, min_rows: int) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """Phases with at least ``min_rows`` modelled inspections of ``area`` (graded, FSM quintile known)."""
    from inspect_audit.inspectors.context import context_rows

    keep, skipped, counts = [], {}, {}
    for phase in phases:
        try:
            rows, _, _ = context_rows(tables, phase, area)
            n = len(rows)
        except ValueError:
            n = 0
        counts[phase] = n
        if n >= min_rows:
            keep.append(phase)
        else:
            skipped[phase] = f"{n} inspections graded on {area} with an FSM quintile (fewer than {min_rows})"
    return keep, skipped, counts


_clean = jsonable  # inspect_audit._core.jsonsafe


def _combined_diagnostics(models: dict, framework: str, skipped: dict, counts: dict) -> dict:
    """The gates over every area's fits, with the per-area diagnostics under ``areas``."""
    per = {area: m.diagnostics() for area, m in models.items()}
    out: dict = {"ok": bool(per) and all(d["ok"] for d in per.values()), "framework": framework,
                 "areas_fitted": list(per)}
    if per:
        def worst(key, fn):
            vals = {a: d[key] for a, d in per.items() if d[key] is not None and np.isfinite(d[key])}
            if not vals:
                return float("nan"), ""
            a = fn(vals, key=vals.get)
            return float(vals[a]), f"{a}: {per[a].get(key + '_variable', '')}"

        for key, fn in (("max_rhat", max), ("min_ess_bulk", min), ("min_ess_tail", min)):
            out[key], out[key + "_variable"] = worst(key, fn)
        out["divergences"] = int(sum(d["divergences"] for d in per.values()))
        out["min_bfmi"] = min(float(d["min_bfmi"]) for d in per.values())
        out["failed_fits"] = [f"{a}:{f}" for a, d in per.items() for f in d["failed_fits"]]
        out["gates"] = next(iter(per.values()))["gates"]
    else:
        out["failed_fits"] = []
    out["skipped"] = skipped
    out["n_modelled"] = counts
    out["areas"] = per
    out["caveats"] = CAVEATS
    return out


def _best_label(scale_name: str) -> tuple[str, str]:
    """(outcome name, words) of the scale's '..._or_better' boundary, e.g. ('expected_or_better',
    'expected standard or better')."""
    sc = schemas.scale(scale_name)
    key = next((k for k in sc.boundaries if k.endswith("_or_better")), None)
    if key is None:
        return "", ""
    return key, f"{sc.label(max(sc.boundaries[key])).lower()} or better"


def print_gradients(effects: pd.DataFrame, counts: dict, framework: str, file=None) -> None:
    """Per area and phase: the FSM gradient (logit per quintile, and the change in P(boundary or better)
    from quintile 1 to 5), total and direct, with 90% intervals."""
    file = file or sys.stdout
    print(f"FSM gradient by area ({framework}; quintile 1 = least, 5 = most disadvantaged within phase; "
          "90% intervals; 'total' without progress, 'direct' holding 2022/23 progress fixed):", file=file)
    fsm = effects[effects["term"] == "fsm_quintile"]
    for area in dict.fromkeys(effects["area"]):
        outcome, words = _best_label(schemas.scale_for(framework, area).name)
        for phase in dict.fromkeys(fsm.loc[fsm["area"] == area, "phase"]):
            part = fsm[(fsm["area"] == area) & (fsm["phase"] == phase)].set_index(["estimand", "scale", "outcome"])
            logit, prob = [], []
            for est in ("total", "direct"):
                if (est, "logit", "") in part.index:
                    r = part.loc[(est, "logit", "")]
                    logit.append(f"{est} {r['mean']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]")
                if (est, "probability", outcome) in part.index:
                    r = part.loc[(est, "probability", outcome)]
                    prob.append(f"{est} {100 * r['mean']:+.1f} [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}]")
            n = counts.get(area, {}).get(phase, "?")
            print(f"  {area}, {phase} ({n} inspections): log-odds of a better grade per quintile more deprived "
                  f"{'; '.join(logit)}", file=file)
            if prob:
                print(f"    P({words}), quintile 5 minus quintile 1, percentage points: {'; '.join(prob)}", file=file)


def print_caveats(file=None) -> None:
    file = file or sys.stdout
    print("What these data can say: " + CAVEATS["can"], file=file)
    print("What they cannot say:", file=file)
    for line in CAVEATS["cannot"]:
        print(f"  - {line}", file=file)


def _write(table: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    """Through the package's one writer (:func:`inspect_audit._core.export.write_csv`, recorded in privacy.json).

    These tables hold schools' public grades, no person ids. Observed shares come suppressed already
    (:func:`grade_shares` blanks share, interval and n, which the writer's default columns would not
    cover), so the writer suppresses nothing more and the record states the suppression done here."""
    from inspect_audit._core import export

    export.write_csv(table, path, min_n=None, float_format=float_format)
    if "suppressed" in table:
        export.record(path, {**export.recorded(path), "suppression": {
            "min_n": int(table.attrs.get("min_n", privacy.MIN_N)), "count_column": "n",
            "rows_suppressed": int(table["suppressed"].sum()), "person_rows_dropped": 0,
            "blanked": ["share", "ci_low", "ci_high", "n"]}})


def run_framework(args: argparse.Namespace, tables: dict[str, pd.DataFrame]) -> int:
    """``context --framework F``: area by area on the framework's inspections."""
    from inspect_audit.inspectors import ConvergenceWarning
    from inspect_audit.inspectors.context import ContextModel

    framework = args.framework
    try:
        fw_tables = framework_tables(tables, framework)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    phases = tuple(p for p in args.phases.split(",") if p)
    ordinal = framework_area_list(fw_tables, framework, ordinal_only=True)
    if args.areas:
        areas = [a for a in args.areas.split(",") if a]
        unknown = [a for a in areas if a not in schemas.framework_areas(framework)]
        if unknown:
            print(f"framework {framework} does not grade {', '.join(unknown)} (it grades: "
                  f"{', '.join(schemas.framework_areas(framework))})", file=sys.stderr)
            return EXIT_INVALID
    else:
        areas = ordinal
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # observed shares: every area asked for (default: every area of the framework in the data, safeguarding too)
    present = framework_area_list(fw_tables, framework)
    shares = grade_shares(fw_tables, framework, phases,
                          areas=[a for a in (areas if args.areas else present) if a in present])
    _write(shares, out / "grade_shares.csv", float_format="%.6g")

    models, skipped, counts = {}, {}, {}
    for area in areas:
        if area not in ordinal:
            skipped[area] = {"all": "not an ordinal grade of 3+ levels, or no judgements: observed shares only"}
            continue
        keep, skip, n = _phase_counts(fw_tables, area, phases, args.min_rows)
        counts[area] = n
        if skip:
            skipped[area] = skip
        if not keep:
            continue
        model = ContextModel(area=area, phases=keep)
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(fw_tables, chains=args.chains, tune=args.tune, draws=args.draws, seed=args.seed,
                      max_rows=args.max_rows, progress=not args.quiet)
        model.save(out / "areas" / area, posterior=not args.no_posterior)
        models[area] = model

    def stack(method: str) -> pd.DataFrame:
        frames = [getattr(m, method)().assign(area=a) for a, m in models.items()]
        if not frames:  # nothing could be modelled: the tables keep their header
            from inspect_audit.inspectors.context import COLUMNS

            return pd.DataFrame(columns=["area", *COLUMNS] if method == "context_effects" else ["area"])
        frame = pd.concat(frames, ignore_index=True)
        return frame[["area", *[c for c in frame.columns if c != "area"]]]

    effects = stack("context_effects")
    one_cell = {a for a, m in models.items() if all(len(f.design.year_cells) == 1 for f in m.fits_.values())}
    if len(effects):  # one academic year: no year effect is estimated (sd_year is 0 by construction)
        effects = effects[~((effects["term"] == "sd_year") & effects["area"].isin(one_cell))]
    _write(effects, out / "context_effects.csv")
    _write(stack("adjusted_shares"), out / "adjusted_grade_shares.csv")
    _write(stack("fsm_total_vs_direct"), out / "fsm_total_vs_direct.csv")
    comparison = legacy_comparison(tables, framework, phases, areas=areas)
    _write(comparison, out / "legacy_comparison.csv", float_format="%.6g")
    diag = _combined_diagnostics(models, framework, skipped, counts)
    diag["year_effects"] = {a: "none: one academic year" if a in one_cell else "centred" for a in models}
    diag["grade_shares"] = {"method": shares.attrs["method"], "min_n": privacy.MIN_N,
                            "rows": int(len(shares)), "rows_suppressed": int(shares["suppressed"].sum())}
    (out / "diagnostics.json").write_text(json.dumps(_clean(diag), indent=1) + "\n", encoding="utf-8")

    if len(effects):
        print_gradients(effects, counts, framework)
    for area, why in skipped.items():
        print(f"  {area}: not modelled for " + "; ".join(f"{p} ({r})" for p, r in why.items()))
    _print_comparison(comparison)
    print_caveats()
    if not diag["ok"]:
        failed = ", ".join(diag["failed_fits"]) or "no area could be modelled"
        print(f"NOT CONVERGED ({failed}): see diagnostics.json", file=sys.stderr)
    print(f"results written to {out}")
    return 0 if diag["ok"] else EXIT_NOT_CONVERGED


def _print_comparison(comparison: pd.DataFrame, file=None) -> None:
    """One line per phase: the same schools' previous overall grade, good or better, quintile 1 vs 5."""
    file = file or sys.stdout
    if comparison.empty:
        return
    prev = comparison[comparison["measure"] == "previous_overall_effectiveness_good_or_better"]
    area = prev["area"].iloc[0]  # the previous grade does not depend on the area: any area's schools
    for phase, part in prev[prev["area"] == area].groupby("phase", sort=False):
        part = part.set_index("fsm_quintile")
        if {1, 5} <= set(part.index) and not part.loc[[1, 5], "suppressed"].any():
            q1, q5 = part.loc[1], part.loc[5]
            print(f"  the same schools' previous graded inspection ({phase}, {int(part['n'].sum())} schools with an "
                  "earlier overall grade and an FSM quintile, of those with a report card): good or better "
                  f"{q1['share']:.0%} [{q1['ci_low']:.0%}, {q1['ci_high']:.0%}] in quintile 1 vs "
                  f"{q5['share']:.0%} [{q5['ci_low']:.0%}, {q5['ci_high']:.0%}] in quintile 5 "
                  "(legacy_comparison.csv)", file=file)


def run_legacy(args: argparse.Namespace, tables: dict[str, pd.DataFrame]) -> int:
    """``context`` without ``--framework``: one area by phase (the original form, outputs unchanged)."""
    from inspect_audit.inspectors import ConvergenceWarning
    from inspect_audit.inspectors.context import ContextModel

    model = ContextModel(area=args.area, phases=tuple(args.phases.split(",")))
    with warnings.catch_warnings():
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(tables, chains=args.chains, tune=args.tune, draws=args.draws, seed=args.seed,
                  max_rows=args.max_rows, progress=not args.quiet)
        model.save(args.out, posterior=not args.no_posterior)
    diag = model.diagnostics()
    comp = model.fsm_total_vs_direct().set_index(["phase", "statistic"])
    print("FSM quintile, log-odds of a better grade per quintile more deprived (90% intervals):")
    for phase in model.phases:
        parts = []
        for est in model.estimands:
            if (phase, f"{est}_logit") in comp.index:
                r = comp.loc[(phase, f"{est}_logit")]
                parts.append(f"{est} {r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]")
        line = f"  {phase}: " + "; ".join(parts)
        if (phase, "share_remaining_probability") in comp.index:
            r = comp.loc[(phase, "share_remaining_probability")]
            line += (f"; direct/total on P(good or better): {r['mean']:.2f} "
                     f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]")
        print(line)
    if not diag["ok"]:
        print(f"NOT CONVERGED ({', '.join(diag['failed_fits'])}): see diagnostics.json", file=sys.stderr)
    print(f"results written to {args.out}")
    return 0 if diag["ok"] else EXIT_NOT_CONVERGED


def check_fsm(tables: dict[str, pd.DataFrame], data: str | Path) -> None:
    """:class:`~inspect_audit.data.files.InputError` unless some school has an FSM quintile (checked before fitting)."""
    fsm = tables["schools"]["fsm_quintile"] if "fsm_quintile" in tables["schools"] else pd.Series(dtype=float)
    if fsm.notna().any():
        return
    path = Path(data)
    source = _data_paths(path)["schools"] if path.is_dir() else f"{data} (schools)"
    idaci = "idaci_quintile" in tables["schools"] and tables["schools"]["idaci_quintile"].notna().any()
    raise InputError(f"{source}: column fsm_quintile is empty in every row; `context` needs each school's FSM "
                     "quintile" + (" (these data carry IDACI quintiles only, as Ofsted's MI does: add fsm_quintile "
                                   "from DfE's school census)" if idaci else ""))


def run_context(args: argparse.Namespace) -> int:
    tables = load_tables(args.data)
    if tables is None:
        return EXIT_INVALID
    check_fsm(tables, args.data)
    if args.framework:
        return run_framework(args, tables)
    return run_legacy(args, tables)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "context", help="context fairness without inspector identities: FSM effect on grades, total vs direct",
        description="Fit the context model (cumulative logit of the grade on FSM quintile, region, size and "
                    "year of inspection; 'direct' adds progress) by phase with nutpie, and write "
                    "context_effects.csv, adjusted_grade_shares.csv, observed_grade_shares.csv, "
                    "fsm_total_vs_direct.csv, diagnostics.json and posterior_<phase>_<estimand>.nc to OUT. "
                    "With --framework (e.g. report_card_2025): only that framework's inspections, area by "
                    "area, writing grade_shares.csv (observed shares by area, phase, FSM quintile and grade, "
                    "90% Wilson intervals, small cells suppressed), context_effects.csv and the other tables "
                    "with a column 'area', legacy_comparison.csv, diagnostics.json and areas/<area>/; it "
                    "prints each area's FSM gradient and what the data can and cannot say. "
                    "Exit 3 if the convergence gates fail.")
    p.add_argument("--data", required=True,
                   help="'bundled' (the England data shipped with the package), a workspace (.duckdb) or a folder "
                        "with schools.csv, inspections.csv, judgements.csv")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--framework", default=None, choices=list(schemas.scales()["frameworks"]),
                   help="analyse only this framework's inspections, area by area (e.g. report_card_2025)")
    p.add_argument("--area", default="overall_effectiveness",
                   help="judgement area without --framework (default overall_effectiveness)")
    p.add_argument("--areas", default=None,
                   help="with --framework: comma-separated areas (default every area the framework grades on an "
                        "ordinal scale that the data hold)")
    p.add_argument("--phases", default="primary,secondary", help="comma-separated phases (default primary,secondary)")
    p.add_argument("--min-rows", type=int, default=100,
                   help="with --framework: fewest inspections (with an FSM quintile) to model an area in a phase "
                        "(default 100)")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-rows", type=int, default=None, help="seeded random subsample of each phase (quick runs)")
    p.add_argument("--no-posterior", action="store_true", help="do not write the posterior_*.nc files")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run_context)
