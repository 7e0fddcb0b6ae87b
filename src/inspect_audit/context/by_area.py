"""The context model fitted area by area on one framework's inspections (report cards: each area its own
cumulative logit of the grade on FSM quintile, region and size, 'direct' adding progress), with the gates over
every fit and what the data can and cannot say.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from inspect_audit.context.shares import framework_area_list

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



@dataclass
class ByArea:
    """Fits of :func:`fit_by_area`: ``models`` by area, ``skipped`` (area -> phase -> why), ``counts`` (area ->
    phase -> inspections modelled) and :meth:`diagnostics` over all of them."""

    framework: str
    models: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def stack(self, method: str) -> pd.DataFrame:
        """One of the models' tables (``context_effects``, ``adjusted_shares``, ``fsm_total_vs_direct``) for every
        area, with a first column ``area``; an area of one academic year has no ``sd_year`` row."""
        frames = [getattr(m, method)().assign(area=a) for a, m in self.models.items()]
        if not frames:  # nothing could be modelled: the tables keep their header
            from inspect_audit.inspectors.context import COLUMNS

            return pd.DataFrame(columns=["area", *COLUMNS] if method == "context_effects" else ["area"])
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[["area", *[c for c in frame.columns if c != "area"]]]
        if method == "context_effects":
            frame = frame[~((frame["term"] == "sd_year") & frame["area"].isin(self.one_year))]
        return frame

    @property
    def one_year(self) -> set[str]:
        """Areas whose every fit saw one academic year (no year effect estimated)."""
        return {a for a, m in self.models.items() if all(len(f.design.year_cells) == 1 for f in m.fits_.values())}

    def diagnostics(self) -> dict:
        """The gates over every area's fits (per area under ``areas``), what was skipped, and the caveats."""
        out = _combined_diagnostics(self.models, self.framework, self.skipped, self.counts)
        out["year_effects"] = {a: "none: one academic year" if a in self.one_year else "centred" for a in self.models}
        return out


def fit_by_area(tables: dict[str, pd.DataFrame], framework: str, areas: list[str], phases: tuple[str, ...], *,
                min_rows: int = 100, chains: int = 4, tune: int = 1000, draws: int = 1000, seed: int | None = None,
                max_rows: int | None = None, progress: bool = True, on_fit=None) -> ByArea:
    """Fit the context model for each ordinal area of ``framework`` in ``areas`` and each phase with at least
    ``min_rows`` modelled inspections; ``tables`` hold that framework's inspections
    (:func:`~inspect_audit.context.shares.framework_tables`). ``on_fit(area, model)`` is called after each fit
    (e.g. to save it). A fit that fails its gates warns and is kept, and :meth:`ByArea.diagnostics` says so."""
    from inspect_audit.inspectors import ConvergenceWarning
    from inspect_audit.inspectors.context import ContextModel

    ordinal = framework_area_list(tables, framework, ordinal_only=True)
    result = ByArea(framework=framework)
    for area in areas:
        if area not in ordinal:
            result.skipped[area] = {"all": "not an ordinal grade of 3+ levels, or no judgements: observed shares only"}
            continue
        keep, skip, n = _phase_counts(tables, area, phases, min_rows)
        result.counts[area] = n
        if skip:
            result.skipped[area] = skip
        if not keep:
            continue
        model = ContextModel(area=area, phases=keep)
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(tables, chains=chains, tune=tune, draws=draws, seed=seed, max_rows=max_rows, progress=progress)
        if on_fit is not None:
            on_fit(area, model)
        result.models[area] = model
    return result


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


