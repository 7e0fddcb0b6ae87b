"""Observed grade shares by FSM quintile, area by area, with Wilson intervals; the same schools under the
earlier framework.

Examples
--------
>>> from inspect_audit.data import Dataset
>>> from inspect_audit.context import framework_tables, grade_shares
>>> cards = framework_tables(Dataset.bundled().tables, "report_card_2025")
>>> shares = grade_shares(cards, "report_card_2025", ["primary"], areas=["achievement"])
>>> list(shares.columns)
['area', 'phase', 'fsm_quintile', 'grade', 'label', 'share', 'ci_low', 'ci_high', 'n', 'suppressed']
"""

from __future__ import annotations

import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.data.files import InputError
from inspect_audit._core.intervals import CI_PROB, wilson_interval

GRADE_SHARE_COLUMNS = ["area", "phase", "fsm_quintile", "grade", "label", "share", "ci_low", "ci_high", "n"]


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


def grade_shares(tables: dict[str, pd.DataFrame], framework: str, phases, areas=None, *,
                 ci_prob: float = CI_PROB, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """Observed grade shares per area x phase x FSM quintile x grade, with Wilson intervals.

    ``tables`` hold the framework's inspections (see :func:`framework_tables`). Every combination gets a
    row, grades never awarded included (share 0); inspections whose school has no FSM quintile are not
    counted. ``n`` is the number of inspections graded on the area in the cell; cells with fewer than
    ``min_n`` are suppressed with :func:`inspect_audit._core.privacy.suppress` (share, interval and n blanked,
    ``suppressed`` true). Columns: :data:`GRADE_SHARE_COLUMNS` and ``suppressed``.
    """
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
    low, high = wilson_interval(table["k"].to_numpy(), table["n"].to_numpy(), ci_prob)
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = low, high
    table = table[GRADE_SHARE_COLUMNS]
    out = privacy.suppress(table, min_n=min_n, n_col="n", columns=["share", "ci_low", "ci_high"], hide_n=True)
    out.attrs.update({"ci_prob": ci_prob, "method": f"Wilson score interval, {ci_prob:.0%}"})
    return out


def legacy_comparison(all_tables: dict[str, pd.DataFrame], framework: str, phases, areas=None, *,
                      ci_prob: float = CI_PROB, min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """The same schools under the earlier framework: share good or better at each school's latest graded
    inspection before its ``framework`` inspection (overall effectiveness), beside the share at or above
    each area's boundary on ``framework`` (e.g. expected standard or better), by phase and FSM quintile
    (``areas``: default every ordinal area of the framework in the data).

    Only schools with both (an earlier overall grade and the area) and an FSM quintile count. The two
    scales differ, so compare the gradients across quintiles, not the levels. Columns: ``measure, area,
    phase, fsm_quintile, share, ci_low, ci_high, n, suppressed``.
    """
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
    low, high = wilson_interval(table["k"].to_numpy(), table["n"].to_numpy(), ci_prob)
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["ci_low"], table["ci_high"] = low, high
    table = table[["measure", "area", "phase", "fsm_quintile", "share", "ci_low", "ci_high", "n"]]
    return privacy.suppress(table, min_n=min_n, n_col="n", columns=["share", "ci_low", "ci_high"], hide_n=True)


def require_fsm(tables: dict[str, pd.DataFrame], source: str = "schools") -> None:
    """:class:`~inspect_audit.data.files.InputError` unless some school has an FSM quintile (checked before
    fitting); ``source`` names the schools file in the message."""
    fsm = tables["schools"]["fsm_quintile"] if "fsm_quintile" in tables["schools"] else pd.Series(dtype=float)
    if fsm.notna().any():
        return
    idaci = "idaci_quintile" in tables["schools"] and tables["schools"]["idaci_quintile"].notna().any()
    raise InputError(f"{source}: column fsm_quintile is empty in every row; `context` needs each school's FSM "
                     "quintile" + (" (these data carry IDACI quintiles only, as Ofsted's MI does: add fsm_quintile "
                                   "from DfE's school census)" if idaci else ""))


