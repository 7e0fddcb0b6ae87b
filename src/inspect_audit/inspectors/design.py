"""From validated tables to the arrays of model M1 (one row per graded inspection).

Steps, each recorded in :attr:`Design.info` so a report can say what was analysed:

1. judgements of one ``area`` joined to inspections, schools and lead inspectors;
   rows without a lead inspector, grade on another scale, or missing context are dropped;
2. the **largest connected component** of the inspector-school graph is kept
   (inspectors are only comparable through schools that several of them inspected);
3. school context becomes centred fixed effects (FSM quintile, progress standardised within
   phase, phase and region indicators), inspector characteristics become centred 0/1
   predictors of the inspector effect (male, HMI, serving leader);
4. grades are recoded better-is-higher: ``y = K - code`` (0 = worst ... K-1 = best).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from inspect_audit._core.dates import academic_year
from inspect_audit.data.dataset import as_tables
from inspect_audit.data import schemas

#: Inspector-level predictors of the inspector effect (0/1, reference = female or unknown, OI, not serving).
INSPECTOR_PREDICTORS = ("male", "hmi", "serving_leader")
#: Inspection types that grade areas (``ungraded`` and ``monitoring`` visits do not).
GRADED_TYPES = ("graded", "report_card")
#: Phases whose progress measure is Progress 8 (else KS2 progress).
P8_PHASES = ("secondary", "all_through", "post_16")


@dataclass
class Design:
    """Arrays for model M1; ``obs`` rows are inspections, grades better-is-higher."""

    area: str
    scale: str
    inspection_id: np.ndarray  # (n,) str
    urn: np.ndarray  # (n,) str
    phase: np.ndarray  # (n,) str
    y: np.ndarray  # (n,) int, 0 = worst
    X: np.ndarray  # (n, p) centred covariates
    cov_names: list[str]
    x_mean: np.ndarray  # (p,) means subtracted from X
    insp_idx: np.ndarray  # (n,) index into inspector_ids
    inspector_ids: np.ndarray  # (J,)
    W: np.ndarray  # (J, q) centred inspector predictors
    w_names: list[str]
    w_mean: np.ndarray
    year_idx: np.ndarray  # (n,)
    year_cells: np.ndarray  # (T,) "2019/eif_2019"
    school_idx: np.ndarray  # (n,) index into repeat_urns, -1 = single-inspection school
    repeat_urns: np.ndarray  # (R,)
    info: dict = field(default_factory=dict)
    #: rows are counts of identical (covariates, year cell, grade) rows when set (context model)
    weights: np.ndarray | None = None

    @property
    def n_levels(self) -> int:
        return len(schemas.scale(self.scale).codes)

    @property
    def n_obs(self) -> int:
        return len(self.y)

    def column(self, name: str) -> int:
        return self.cov_names.index(name)

    # ------------------------------------------------------------------ persistence
    def to_dataset(self) -> xr.Dataset:
        """Everything needed to recompute summaries and counterfactuals from saved draws."""
        ds = xr.Dataset(
            {
                "inspection_id": ("obs", self.inspection_id.astype(str)),
                "urn": ("obs", self.urn.astype(str)),
                "phase": ("obs", self.phase.astype(str)),
                "y": ("obs", self.y.astype(np.int64)),
                "X": (("obs", "cov"), self.X.astype(float)),
                "x_mean": ("cov", self.x_mean.astype(float)),
                "insp_idx": ("obs", self.insp_idx.astype(np.int64)),
                "inspector_ids": ("inspector", self.inspector_ids.astype(str)),
                "W": (("inspector", "insp_cov"), self.W.astype(float)),
                "w_mean": ("insp_cov", self.w_mean.astype(float)),
                "year_idx": ("obs", self.year_idx.astype(np.int64)),
                "year_cells": ("year", self.year_cells.astype(str)),
                "school_idx": ("obs", self.school_idx.astype(np.int64)),
                "repeat_urns": ("school", self.repeat_urns.astype(str)),
            },
            coords={"cov": list(self.cov_names), "insp_cov": list(self.w_names)},
        )
        if self.weights is not None:
            ds["weights"] = ("obs", np.asarray(self.weights, dtype=float))
        ds.attrs.update({"area": self.area, "scale": self.scale, "info": json.dumps(self.info)})
        return ds

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> "Design":
        def arr(name, kind=None):
            v = np.asarray(ds[name].values)
            return v.astype(str) if kind == "str" else v

        return cls(area=str(ds.attrs["area"]), scale=str(ds.attrs["scale"]),
                   inspection_id=arr("inspection_id", "str"), urn=arr("urn", "str"), phase=arr("phase", "str"),
                   y=arr("y").astype(int), X=arr("X").astype(float).reshape(ds.sizes["obs"], ds.sizes["cov"]),
                   cov_names=[str(c) for c in ds["cov"].values], x_mean=arr("x_mean").astype(float),
                   insp_idx=arr("insp_idx").astype(int), inspector_ids=arr("inspector_ids", "str"),
                   W=arr("W").astype(float).reshape(ds.sizes["inspector"], ds.sizes["insp_cov"]),
                   w_names=[str(c) for c in ds["insp_cov"].values], w_mean=arr("w_mean").astype(float),
                   year_idx=arr("year_idx").astype(int), year_cells=arr("year_cells", "str"),
                   school_idx=arr("school_idx").astype(int), repeat_urns=arr("repeat_urns", "str"),
                   info=json.loads(ds.attrs.get("info", "{}")),
                   weights=arr("weights").astype(float) if "weights" in ds else None)


# ---------------------------------------------------------------------- helpers

def _flag(series: pd.Series, true_values: tuple) -> np.ndarray:
    s = series.astype("object")
    return np.array([(v in true_values) if not pd.isna(v) else False for v in s], dtype=float)


def largest_component(inspector: np.ndarray, school: np.ndarray) -> tuple[np.ndarray, dict]:
    """Rows in the largest connected component of the inspector-school bipartite graph.

    Returns a boolean mask over rows and a summary: number of components and, for the largest
    ones, their numbers of inspectors, schools and inspections ("subset connection" check).
    """
    insp_codes, insp_idx = np.unique(inspector, return_inverse=True)
    sch_codes, sch_idx = np.unique(school, return_inverse=True)
    n_i, n_s = len(insp_codes), len(sch_codes)
    if len(inspector) == 0:
        return np.zeros(0, dtype=bool), {"n_components": 0, "components": []}
    rows = insp_idx
    cols = n_i + sch_idx
    g = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_i + n_s, n_i + n_s))
    n_comp, labels = connected_components(g, directed=False)
    row_label = labels[insp_idx]
    counts = np.bincount(row_label, minlength=n_comp)
    order = np.argsort(-counts, kind="stable")
    comps = []
    for lab in order[: min(10, n_comp)]:
        if counts[lab] == 0:
            continue
        sel = row_label == lab
        comps.append({"n_inspections": int(sel.sum()), "n_inspectors": int(len(np.unique(insp_idx[sel]))),
                      "n_schools": int(len(np.unique(sch_idx[sel])))})
    keep = row_label == order[0]
    n_nonempty = int((counts > 0).sum())
    return keep, {"n_components": n_nonempty, "components": comps}


def _progress(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Progress standardised within phase group (KS2 progress vs Progress 8), over schools."""
    p8 = frame["phase"].isin(P8_PHASES).to_numpy()
    def col(name):
        if name not in frame:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)

    ks2, pr8 = col("ks2_progress"), col("progress8")
    raw = np.where(p8, pr8, ks2)
    z = np.full(len(raw), np.nan)
    urn = frame["urn"].to_numpy()
    for grp in (p8, ~p8):
        sel = grp & ~np.isnan(raw)
        if sel.sum() < 2:
            continue
        # standardise over schools (not inspections), so repeat inspections do not weigh more
        _, first = np.unique(urn[sel], return_index=True)
        vals = raw[sel][first]
        sd = vals.std()
        z[sel] = (raw[sel] - vals.mean()) / (sd if sd > 0 else 1.0)
    return z, np.isnan(z)


def year_framework_cells(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Academic year x framework cells ("2019/eif_2019") and each row's index into them."""
    ay = academic_year(frame["start_date"])
    cell = np.array([f"{a}/{fw}" for a, fw in zip(ay, frame["framework"].astype(str))])
    return np.unique(cell, return_inverse=True)


def _log_size(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """log(pupils) standardised over schools; NaN where pupils are missing or not positive."""
    pupils = pd.to_numeric(frame.get("pupils", pd.Series(np.nan, index=frame.index)), errors="coerce")
    raw = np.log(pupils.where(pupils > 0).to_numpy(dtype=float))
    z = np.full(len(raw), np.nan)
    sel = ~np.isnan(raw)
    if sel.sum() >= 2:
        _, first = np.unique(frame["urn"].to_numpy()[sel], return_index=True)
        vals = raw[sel][first]
        sd = vals.std()
        z[sel] = (raw[sel] - vals.mean()) / (sd if sd > 0 else 1.0)
    return z, np.isnan(z)


def merge_small_cells(year_cells: np.ndarray, year_idx: np.ndarray, min_n: int,
                      weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Merge year x framework cells with fewer than ``min_n`` inspections into a chronological neighbour.

    The smallest cell is merged with its smaller adjacent cell until every cell has ``min_n`` or the
    data have one cell. A merged cell is labelled ``"first..last"`` (e.g. ``"2006/section5_2005..2009/
    section5_2009"``). Nearly empty cells are otherwise pinned only by the prior and, through the
    sum-to-zero constraint, make the level of every year effect and cutpoint mix slowly.
    """
    w = np.ones(len(year_idx)) if weights is None else np.asarray(weights, dtype=float)
    groups = [[c] for c in year_cells]  # year_cells are sorted chronologically ("YYYY/framework")
    n = list(np.bincount(year_idx, weights=w, minlength=len(year_cells)))
    while len(groups) > 1 and min(n) < min_n:
        k = int(np.argmin(n))
        if k == 0:
            j = 1
        elif k == len(groups) - 1:
            j = k - 1
        else:
            j = k - 1 if n[k - 1] <= n[k + 1] else k + 1
        a, b = min(j, k), max(j, k)
        groups[a:b + 1] = [groups[a] + groups[b]]
        n[a:b + 1] = [n[a] + n[b]]
    labels = np.array([g[0] if len(g) == 1 else f"{g[0]}..{g[-1]}" for g in groups])
    old_to_new = np.empty(len(year_cells), dtype=int)
    for new, g in enumerate(groups):
        for c in g:
            old_to_new[np.searchsorted(year_cells, c)] = new
    return labels, old_to_new[year_idx]


def context_columns(f: pd.DataFrame, *, progress: bool, phase: bool = True, region: bool = True,
                    size: bool = False) -> tuple[dict[str, np.ndarray], dict]:
    """School-context fixed effects (uncentred) for the rows of ``f``, shared by M1 and the context model.

    ``fsm_quintile`` - 3 (per quintile step); with ``progress`` the within-phase-group standardised
    KS2 progress / Progress 8 (missing set to 0 plus a ``progress_missing`` indicator); with ``size``
    log(pupils) standardised over schools (missing set to 0 plus ``size_missing``); phase and region
    indicators against their most common level. Returns the columns and an info dict (references,
    missing counts).
    """
    info: dict = {}
    cols_x: dict[str, np.ndarray] = {"fsm_quintile": pd.to_numeric(f["fsm_quintile"]).to_numpy(float) - 3.0}
    if progress:
        z, miss = _progress(f)
        cols_x["progress"] = np.nan_to_num(z, nan=0.0)
        if miss.any():
            cols_x["progress_missing"] = miss.astype(float)
        info["n_progress_missing"] = int(miss.sum())
    size_missing = None
    if size:
        z, miss = _log_size(f)
        cols_x["size"] = np.nan_to_num(z, nan=0.0)
        size_missing = miss.astype(float) if miss.any() else None
        info["n_size_missing"] = int(miss.sum())
    ref = {}
    for name, use in (("phase", phase), ("region", region)):
        if not use:
            continue
        ref[name] = f[name].value_counts().index[0]
        for level in sorted(f[name].unique()):
            if level != ref[name]:
                cols_x[f"{name}[{level}]"] = (f[name] == level).to_numpy(float)
    if size_missing is not None:  # after the indicators, so a duplicate (e.g. of region[unknown]) is the one dropped
        cols_x["size_missing"] = size_missing
    info["reference"] = ref
    info["fsm_centre"] = 3.0
    return cols_x, info


def covariate_matrix(cols_x: dict[str, np.ndarray], info: dict | None = None
                     ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Centred design matrix: constant columns are dropped, and so are exact duplicates of an
    earlier column (e.g. ``size_missing`` = ``region[unknown]``), recorded in ``info["dropped_columns"]``.
    Returns names, centred X and the subtracted means."""
    names, kept, dropped = [], [], {}
    for k, v in cols_x.items():
        if np.ptp(v) == 0:
            continue
        dup = next((n for n, w in zip(names, kept) if np.array_equal(v, w)), None)
        if dup is not None:
            dropped[k] = dup
            continue
        names.append(k)
        kept.append(v)
    if info is not None and dropped:
        info["dropped_columns"] = {k: f"duplicate of {v}" for k, v in dropped.items()}
    X = np.column_stack(kept) if kept else np.zeros((len(next(iter(cols_x.values()))), 0))
    x_mean = X.mean(axis=0)
    return names, X - x_mean, x_mean


def graded_rows(t: Mapping[str, pd.DataFrame], area: str, info: dict) -> tuple[pd.DataFrame, str, dict]:
    """Judgements of ``area`` joined to graded inspections, on the area's most common scale.

    Returns the rows (columns inspection_id, grade, urn, start_date, framework and, when present,
    lead_inspector_id), the scale name and the count of rows dropped for another scale.
    """
    j = t["judgements"]
    j = j[j["area"].astype(str) == area][["inspection_id", "grade"]]
    if j.empty:
        raise ValueError(f"no judgements for area {area!r}")
    ins = t["inspections"].copy()
    if "inspection_type" in ins:
        ins = ins[ins["inspection_type"].isna() | ins["inspection_type"].astype(str).isin(GRADED_TYPES)]
    cols = [c for c in ("inspection_id", "urn", "start_date", "framework", "lead_inspector_id") if c in ins]
    f = j.merge(ins[cols], on="inspection_id", how="inner")
    if f.empty:
        raise ValueError(f"no {area!r} judgements belong to an inspection of type {' or '.join(GRADED_TYPES)}")
    info["n_judgements"] = int(len(j))
    # scale: the area's scale in each framework; keep the most common one
    scale_of = {}
    for fw in f["framework"].dropna().astype(str).unique():
        areas = schemas.framework_areas(fw)
        scale_of[fw] = areas.get(area)
    f["_scale"] = f["framework"].astype(str).map(scale_of)
    if f["_scale"].isna().all():
        raise ValueError(f"area {area!r} is not graded by the frameworks in the data")
    scale_name = f["_scale"].value_counts().index[0]
    sc = schemas.scale(scale_name)
    if len(sc.codes) < 3:
        raise ValueError(f"area {area!r} uses scale {scale_name!r} with fewer than 3 levels; "
                         "the cumulative-logit model needs an ordinal grade")
    drops = {"other_scale": int((f["_scale"] != scale_name).sum())}
    f = f[f["_scale"] == scale_name].drop(columns="_scale")
    return f, scale_name, drops


def build_design(data, area: str = "overall_effectiveness", *, progress: bool = True,
                 school_effect: str = "repeat", min_repeat_schools: int = 10,
                 research: tuple[str, ...] = ()) -> Design:
    """Assemble model M1's arrays from the inspection tables.

    Parameters
    ----------
    data : tables ``schools``, ``inspections``, ``judgements``, ``inspectors`` (mapping,
        ``ValidationReport`` or ``SimulatedData``).
    area : judgement area to model (a 3+ level ordinal scale, e.g. ``overall_effectiveness``).
    progress : include progress (KS2 progress / Progress 8) so FSM effects are *direct*
        (controlled for progress); ``False`` gives the *total* association.
    school_effect : ``"repeat"`` (school effects for schools with 2+ inspections),
        ``"all"`` or ``"none"``. ``"repeat"`` falls back to ``"none"`` when fewer than
        ``min_repeat_schools`` schools are inspected more than once.
    research : research questions (:mod:`.research`) whose inspection-level columns join the school-context
        fixed effects (described in ``info["research"]``); ``("all",)`` asks every question the data can answer
        and records the others in ``info["research"]["not_asked"]``.
    """
    t = as_tables(data)
    missing = [n for n in ("schools", "inspections", "judgements", "inspectors") if n not in t]
    if missing:
        raise ValueError(f"missing tables: {', '.join(missing)}")
    if school_effect not in ("repeat", "all", "none"):
        raise ValueError("school_effect must be 'repeat', 'all' or 'none'")
    info: dict = {"area": area}
    f, scale_name, drops = graded_rows(t, area, info)
    sc = schemas.scale(scale_name)
    drops["no_lead_inspector"] = int(f["lead_inspector_id"].isna().sum())
    f = f[f["lead_inspector_id"].notna()]
    if research:
        from inspect_audit.inspectors import research as rs

        # before rows are dropped for missing context: an inspection's previous one may lack context itself
        previous = (pd.Series(rs.previous_grades(f).to_numpy(), index=f["inspection_id"].astype(str))
                    if "sequence" in rs.expand(research)[0] else None)
    s = t["schools"][[c for c in ("urn", "phase", "region", "fsm_quintile", "ks2_progress", "progress8", "pupils")
                      if c in t["schools"].columns]]
    f = f.merge(s, on="urn", how="left")
    for c in ("phase", "region", "fsm_quintile"):
        if c not in f:
            f[c] = np.nan
    bad = f[["phase", "region", "fsm_quintile"]].isna().any(axis=1) | f["start_date"].isna()
    drops["missing_context"] = int(bad.sum())
    f = f[~bad]
    insp = t["inspectors"].drop_duplicates("inspector_id").set_index("inspector_id")
    known = f["lead_inspector_id"].astype(str).isin(insp.index.astype(str))
    drops["unknown_inspector"] = int((~known).sum())
    f = f[known].reset_index(drop=True)
    if f.empty:
        raise ValueError("no inspections left to model after dropping incomplete rows")
    for c in ("inspection_id", "urn", "lead_inspector_id", "phase", "region", "framework"):
        f[c] = f[c].astype(str)

    keep, comp = largest_component(f["lead_inspector_id"].to_numpy(), f["urn"].to_numpy())
    info["connectivity"] = {**comp, "n_inspections_total": int(len(f)),
                            "n_inspectors_total": int(f["lead_inspector_id"].nunique()),
                            "n_schools_total": int(f["urn"].nunique())}
    drops["outside_largest_component"] = int((~keep).sum())
    f = f[keep].reset_index(drop=True)
    info["dropped"] = drops

    # ---------------------------------------------------------------- covariates
    cols_x, cov_info = context_columns(f, progress=progress, size="pupils" in f)
    info.update(cov_info)
    if research:
        cols_r, info["research"] = rs.research_columns(f, t, research, scale=sc, previous=previous)
        rs.drop_unanswerable(cols_r, info["research"])
        cols_x.update(cols_r)
    cov_names, X, x_mean = covariate_matrix(cols_x, info)
    if research:
        rs.check_identified(cov_names, info)

    # ---------------------------------------------------------------- inspectors
    inspector_ids, insp_idx = np.unique(f["lead_inspector_id"].to_numpy(), return_inverse=True)
    rows = insp.loc[inspector_ids]
    wcols = {
        "male": _flag(rows["gender"], ("male",)) if "gender" in rows else np.zeros(len(rows)),
        "hmi": _flag(rows["role"], ("HMI",)) if "role" in rows else np.zeros(len(rows)),
        "serving_leader": (_flag(rows["serving_leader"], (True, "true", "True", 1))
                           if "serving_leader" in rows else np.zeros(len(rows))),
    }
    w_names = [k for k in INSPECTOR_PREDICTORS if np.ptp(wcols[k]) > 0]
    W = np.column_stack([wcols[k] for k in w_names]) if w_names else np.zeros((len(rows), 0))
    w_mean = W.mean(axis=0)
    info["inspector_predictor_shares"] = {k: float(wcols[k].mean()) for k in INSPECTOR_PREDICTORS}

    # ---------------------------------------------------------------- year x framework
    year_cells, year_idx = year_framework_cells(f)

    # ---------------------------------------------------------------- schools
    counts = f["urn"].value_counts()
    n_repeat = int((counts >= 2).sum())
    mode = school_effect
    if mode == "repeat" and n_repeat < min_repeat_schools:
        mode = "none"
    if mode == "all":
        repeat_urns = np.array(sorted(counts.index))
    elif mode == "repeat":
        repeat_urns = np.array(sorted(counts.index[counts >= 2]))
    else:
        repeat_urns = np.array([], dtype=str)
    pos = {u: k for k, u in enumerate(repeat_urns)}
    school_idx = np.array([pos.get(u, -1) for u in f["urn"]], dtype=int)
    info["school_effect"] = mode
    info["n_schools_repeat"] = n_repeat

    codes = pd.to_numeric(f["grade"]).to_numpy(int)
    if not np.isin(codes, sc.codes).all():
        raise ValueError(f"grades outside scale {scale_name!r}: {sorted(set(codes) - set(sc.codes))}")
    y = len(sc.codes) - codes  # code 1 (best) -> K-1
    info["n"] = {"inspections": int(len(f)), "inspectors": int(len(inspector_ids)),
                 "schools": int(f["urn"].nunique()), "year_cells": int(len(year_cells)),
                 "school_effects": int(len(repeat_urns))}
    info["grade_counts"] = {str(c): int((codes == c).sum()) for c in sc.codes}
    return Design(area=area, scale=scale_name, inspection_id=f["inspection_id"].to_numpy(),
                  urn=f["urn"].to_numpy(), phase=f["phase"].to_numpy(), y=y, X=X,
                  cov_names=cov_names, x_mean=x_mean, insp_idx=insp_idx, inspector_ids=inspector_ids,
                  W=W - w_mean, w_names=w_names, w_mean=w_mean, year_idx=year_idx, year_cells=year_cells,
                  school_idx=school_idx, repeat_urns=repeat_urns, info=info)
