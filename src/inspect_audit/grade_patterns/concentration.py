"""Do grades pile up in the middle category ("playing it safe")?

Two measures, each on one scale at a time (model card: ``models/grade-concentration.md``):

* the **middle share**: the share of grades in the scale's middle category (:data:`MIDDLE`: Expected
  standard on report cards, Good on the legacy scale), with a Wilson interval and n;
* the **concentration index** ``C = 1 - H / ln K``, where ``H = -sum p_k ln p_k`` is the Shannon entropy
  of the grade shares and ``K`` the number of grades on the scale: 0 when every grade is equally common,
  1 when every grade falls in one category. It uses every category (two distributions with the same
  largest share differ when the rest is spread out or not) and changes smoothly with the counts, unlike the
  share in the modal category, which jumps when the mode changes and so has a lumpy bootstrap.

Per area the index gets a percentile bootstrap interval (multinomial resampling). Per **group** (a lead
inspector where ids exist, a region) both measures are compared with chance: the grades of the area are
permuted among the group labels within strata (phase, and framework where several share the scale), which
keeps each group's number of inspections and mix of phases and the area's grade distribution, so a group
with 12 inspections all at Expected standard is judged against what 12 inspections drawn from the area's
own grades give. Small groups are concentrated by chance (a plug-in entropy is biased low in small
samples): the reference is computed at each group's own n, so that bias is in the reference too. The
one-sided permutation p-values are adjusted for the number of groups shown (Benjamini-Hochberg).

>>> round(float(concentration_index([0, 0, 12, 0, 0])), 3), round(float(concentration_index([1, 1, 1, 1])), 3)
(1.0, 0.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.grade_patterns._data import area_frame, frameworks_on_scale, phases_in
from inspect_audit._core.intervals import CI_PROB, percentile_interval, wilson_interval

#: The middle ("safe") category of each scale, by code: Expected standard (report cards, the centre of five)
#: and Good (legacy: the most common grade, between Outstanding and the grades below good). Scales not
#: listed (met / not met) have no middle category.
MIDDLE: dict[str, int] = {"report_card_5": 3, "legacy_4": 2}
N_PERMUTATIONS = 2000
N_BOOTSTRAP = 2000
FDR = 0.10
AREA_COLUMNS = ["framework", "scale", "area", "phase", "middle_grade", "middle_label", "modal_label", "k", "n",
                "middle_share", "middle_low", "middle_high", "concentration", "concentration_low",
                "concentration_high"]
#: Value columns blanked when a group or cell is suppressed.
AREA_VALUES = ["k", "middle_share", "middle_low", "middle_high", "concentration", "concentration_low",
               "concentration_high", "modal_label"]
GROUP_VALUES = AREA_VALUES + ["chance_middle", "chance_middle_low", "chance_middle_high", "p_middle",
                              "chance_concentration", "chance_concentration_low", "chance_concentration_high",
                              "excess_concentration", "p_concentration", "q_concentration", "flag", "pattern"]


def middle_code(scale: schemas.Scale) -> int | None:
    """The code of a scale's middle category, or ``None``.

    >>> middle_code(schemas.scale("report_card_5")), middle_code(schemas.scale("legacy_4"))
    (3, 2)
    """
    return MIDDLE.get(scale.name)


def concentration_index(counts, n_levels: int | None = None) -> np.ndarray:
    """``1 - H / ln K`` of grade counts along the last axis (NaN where there are no grades).

    Parameters
    ----------
    counts : array_like
        Counts per grade, last axis = the scale's grades (all of them, zeros included).
    n_levels : int, optional
        K, the number of grades on the scale (default: the length of the last axis).
    """
    counts = np.asarray(counts, dtype=float)
    K = n_levels or counts.shape[-1]
    n = counts.sum(axis=-1, keepdims=True)
    p = counts / np.where(n > 0, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    c = 1.0 - (-plogp.sum(axis=-1)) / np.log(K)
    return np.where(n[..., 0] > 0, c, np.nan)


def bootstrap_interval(counts, n_boot: int = N_BOOTSTRAP, ci_prob: float = CI_PROB,
                       rng: np.random.Generator | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`concentration_index` (multinomial resampling of the grades).

    It collapses to a point when every grade is in one category (no resample differs): the comparison with
    chance, not this interval, says whether such a record is surprising.
    """
    counts = np.asarray(counts, dtype=float)
    n = int(counts.sum())
    if n == 0:
        return float("nan"), float("nan")
    rng = rng or np.random.default_rng(0)
    draws = rng.multinomial(n, counts / n, size=n_boot)
    return percentile_interval(concentration_index(draws, len(counts)), ci_prob)


def _counts(grades: np.ndarray, scale: schemas.Scale) -> np.ndarray:
    return np.array([(grades == code).sum() for code in scale.codes], dtype=float)


def area_concentration(tables: dict[str, pd.DataFrame], frameworks: list[str] | None = None, *,
                       ci_prob: float = CI_PROB, n_boot: int = N_BOOTSTRAP, seed: int = 0) -> pd.DataFrame:
    """Middle share and concentration index per framework x area x phase (``phase`` ``all`` = every phase).

    Only areas on a scale with a middle category (:data:`MIDDLE`); each row on its framework's own scale
    and labels. Columns :data:`AREA_COLUMNS`; not suppressed (see :func:`suppressed`).

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.grade_patterns import area_concentration
    >>> table = area_concentration(load_england(), ["report_card_2025"], n_boot=200)
    >>> everyone = table.query("phase == 'all'")
    >>> everyone[["area", "n", "middle_share", "concentration"]].head(3).round(2)
                           area     n  middle_share  concentration
    0                 inclusion  1313          0.54           0.35
    7   curriculum_and_teaching  1313          0.60           0.35
    14              achievement  1313          0.53           0.29
    """
    rng = np.random.default_rng(seed)
    present = set(tables["inspections"]["framework"].dropna().astype(str))
    rows = []
    for fw in schemas.scales()["frameworks"]:
        if fw not in present or (frameworks is not None and fw not in frameworks):
            continue
        for area, scale_name in schemas.framework_areas(fw).items():
            if scale_name not in MIDDLE:
                continue
            f = area_frame(tables, area, [fw])
            if f.empty:
                continue
            sc = schemas.scale(scale_name)
            mid = middle_code(sc)
            for phase in ["all", *phases_in(f["phase"])]:
                g = f["grade"].to_numpy() if phase == "all" else f.loc[f["phase"] == phase, "grade"].to_numpy()
                counts = _counts(g, sc)
                low, high = bootstrap_interval(counts, n_boot, ci_prob, rng)
                rows.append({"framework": fw, "scale": scale_name, "area": area, "phase": phase,
                             "middle_grade": mid, "middle_label": sc.label(mid),
                             "modal_label": sc.labels[int(np.argmax(counts))], "k": int(counts[sc.codes.index(mid)]),
                             "n": int(counts.sum()), "concentration": float(concentration_index(counts)),
                             "concentration_low": low, "concentration_high": high})
    table = pd.DataFrame(rows, columns=[c for c in AREA_COLUMNS if c not in ("middle_share", "middle_low", "middle_high")])
    table["middle_share"] = table["k"] / table["n"].where(table["n"] > 0)
    table["middle_low"], table["middle_high"] = wilson_interval(table["k"], table["n"], ci_prob)
    table = table[AREA_COLUMNS]
    table.attrs.update({"ci_prob": ci_prob, "method": f"middle share: Wilson score interval, {ci_prob:.0%}; "
                        f"concentration 1 - H/ln K: percentile bootstrap ({n_boot} resamples), {ci_prob:.0%}"})
    return table


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if not len(ok):
        return q
    order = ok[np.argsort(p[ok])]
    m = len(order)
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def _permuted_counts(grade_idx: np.ndarray, group_idx: np.ndarray, strata: np.ndarray, n_groups: int, K: int,
                     n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """Grade counts per group (n_perm x n_groups x K) with grades permuted among inspections within strata."""
    N = len(grade_idx)
    out = np.empty((n_perm, n_groups, K), dtype=np.int32)
    members = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    batch = max(1, min(n_perm, 20_000_000 // max(N, 1)))
    done = 0
    while done < n_perm:
        b = min(batch, n_perm - done)
        g = np.empty((b, N), dtype=np.int64)
        for rows in members:
            g[:, rows] = rng.permuted(np.broadcast_to(grade_idx[rows], (b, len(rows))), axis=1)
        flat = (np.arange(b)[:, None] * (n_groups * K) + group_idx[None, :] * K + g).ravel()
        out[done:done + b] = np.bincount(flat, minlength=b * n_groups * K).reshape(b, n_groups, K)
        done += b
    return out


def group_concentration(frame: pd.DataFrame, group: str, scale: schemas.Scale, strata=("phase",), *,
                        n_perm: int = N_PERMUTATIONS, n_boot: int = N_BOOTSTRAP, ci_prob: float = CI_PROB,
                        min_n: int = privacy.MIN_N, fdr: float = FDR, seed: int = 0) -> pd.DataFrame:
    """Middle share and concentration index of each group's grades, against chance.

    Parameters
    ----------
    frame : DataFrame
        One row per graded inspection of one area, all on ``scale``: ``grade``, ``group`` and the ``strata``
        columns (e.g. from :func:`inspect_audit.grade_patterns._data.area_frame`). Rows without a group are
        left out; a missing stratum is a stratum of its own.
    group : str
        The grouping column (``lead_inspector_id``, ``region``).
    scale : Scale
        The grades' scale (must have a middle category).
    strata : sequence of str
        Columns within which grades are permuted (the chance reference keeps each group's mix of them).
    n_perm, n_boot : int
        Permutations for the chance reference; bootstrap resamples for the index's interval.
    ci_prob : float
        Interval mass (Wilson, bootstrap, central range of chance).
    min_n : int
        Groups with fewer inspections get no q-value (they will not be shown) and are not flagged.
    fdr : float
        Benjamini-Hochberg level at which a group is flagged as more concentrated than chance.

    Returns
    -------
    DataFrame
        One row per group: ``group, n, k`` (grades in the middle category), ``middle_share, middle_low,
        middle_high`` (Wilson), ``chance_middle`` (mean under permutation) with ``chance_middle_low/high``
        (central ``ci_prob`` range of chance), ``p_middle``; ``concentration`` with ``concentration_low/high``
        (bootstrap), ``chance_concentration`` with its range, ``excess_concentration`` (observed minus chance
        mean), ``p_concentration`` (one-sided, (1 + #{chance >= observed}) / (1 + n_perm)),
        ``q_concentration`` (Benjamini-Hochberg over groups of ``min_n`` or more), ``flag`` (q <= fdr),
        ``modal_label`` and ``pattern`` ("concentrated in the middle (Expected standard)", "concentrated on
        <label>" or ""). ``attrs`` records the settings.
    """
    mid = middle_code(scale)
    if mid is None:
        raise ValueError(f"scale {scale.name} has no middle category")
    f = frame[frame[group].notna()]
    f = f[f["grade"].isin(scale.codes)]
    K = len(scale.codes)
    cols = ["group", "n", *GROUP_VALUES]
    if f.empty:
        return pd.DataFrame(columns=cols)
    grade_idx = f["grade"].map({c: i for i, c in enumerate(scale.codes)}).to_numpy(int)
    group_idx, names = pd.factorize(f[group].astype(str), sort=True)
    key = np.zeros(len(f), dtype=np.int64)
    for col in strata:  # one code per combination of the strata columns (a missing value is a stratum)
        codes = pd.factorize(f[col].astype("object").fillna("(missing)").astype(str))[0]
        key = key * (codes.max() + 1) + codes
    strata_idx = pd.factorize(key)[0]
    J = len(names)
    rng = np.random.default_rng(seed)
    obs = np.zeros((J, K))
    np.add.at(obs, (group_idx, grade_idx), 1)
    null = _permuted_counts(grade_idx, group_idx, strata_idx, J, K, n_perm, rng)
    m = scale.codes.index(mid)
    n = obs.sum(axis=1)
    c_obs = concentration_index(obs, K)
    mid_obs = obs[:, m] / n
    c_null = concentration_index(null, K)  # n_perm x J (each group's n is kept)
    mid_null = null[:, :, m] / n[None, :]
    eps = 1e-9
    p_c = (1 + (c_null >= c_obs[None, :] - eps).sum(axis=0)) / (n_perm + 1)
    p_m = (1 + (mid_null >= mid_obs[None, :] - eps).sum(axis=0)) / (n_perm + 1)
    shown = n >= min_n
    q = benjamini_hochberg(np.where(shown, p_c, np.nan))
    boot = np.array([bootstrap_interval(obs[j], n_boot, ci_prob, rng) for j in range(J)])
    low, high = wilson_interval(obs[:, m], n, ci_prob)
    modal = obs.argmax(axis=1)
    flag = shown & (q <= fdr)
    chance_mid, chance_c = percentile_interval(mid_null, ci_prob, axis=0), percentile_interval(c_null, ci_prob, axis=0)
    pattern = np.where(~flag, "", np.where(modal == m, f"concentrated in the middle ({scale.label(mid)})",
                                           ["concentrated on " + scale.labels[i] for i in modal]))
    table = pd.DataFrame({
        "group": names.astype(str), "n": n.astype(int), "k": obs[:, m].astype(int),
        "middle_share": mid_obs, "middle_low": low, "middle_high": high,
        "concentration": c_obs, "concentration_low": boot[:, 0], "concentration_high": boot[:, 1],
        "modal_label": [scale.labels[i] for i in modal],
        "chance_middle": mid_null.mean(axis=0), "chance_middle_low": chance_mid[0],
        "chance_middle_high": chance_mid[1], "p_middle": p_m,
        "chance_concentration": c_null.mean(axis=0), "chance_concentration_low": chance_c[0],
        "chance_concentration_high": chance_c[1],
        "excess_concentration": c_obs - c_null.mean(axis=0), "p_concentration": p_c, "q_concentration": q,
        "flag": flag, "pattern": pattern})[cols]
    table.attrs.update({
        "scale": scale.name, "middle_label": scale.label(mid), "strata": list(strata), "n_permutations": n_perm,
        "n_bootstrap": n_boot, "ci_prob": ci_prob, "fdr": fdr, "min_n": min_n, "seed": seed,
        "rows_without_group": int(frame[group].isna().sum()),
        "method": (f"permutation reference: the area's grades permuted among {group} within "
                   f"{' x '.join(strata) or 'all inspections'} ({n_perm} permutations); one-sided p = (1 + "
                   f"#chance >= observed) / (1 + {n_perm}); Benjamini-Hochberg over groups with n >= {min_n}, "
                   f"flag at q <= {fdr}")})
    return table


def groups_by_area(tables: dict[str, pd.DataFrame], group: str, frameworks: list[str] | None = None, *,
                   strata=("phase",), **options) -> pd.DataFrame:
    """:func:`group_concentration` for every (scale, area) of the data with a middle category: one row per
    scale x area x group, first columns ``scale, area, frameworks`` and the group's column named ``group``. Frameworks that grade an area on the
    same scale are analysed together, with the framework added to the strata; scales are never mixed.
    Areas whose inspections carry no ``group`` are left out."""
    present = set(tables["inspections"]["framework"].dropna().astype(str))
    if frameworks is not None:
        present &= set(frameworks)
    parts, seen = [], set()
    for fw in schemas.scales()["frameworks"]:
        if fw not in present:
            continue
        for area, scale_name in schemas.framework_areas(fw).items():
            if scale_name not in MIDDLE or (scale_name, area) in seen:
                continue
            seen.add((scale_name, area))
            fws = [x for x in frameworks_on_scale(area, scale_name) if x in present]
            f = area_frame(tables, area, fws)
            if group not in f or f[group].notna().sum() == 0:
                continue
            st = tuple(strata) + (("framework",) if f["framework"].nunique() > 1 else ())
            part = group_concentration(f, group, schemas.scale(scale_name), st, **options)
            if part.empty:
                continue
            part = part.rename(columns={"group": group})
            part.insert(0, "frameworks", ",".join(sorted(f["framework"].unique(), key=fws.index)))
            part.insert(0, "area", area)
            part.insert(0, "scale", scale_name)
            parts.append((part, part.attrs))
    if not parts:
        return pd.DataFrame(columns=["scale", "area", "frameworks", group, "n", *GROUP_VALUES])
    out = pd.concat([p for p, _ in parts], ignore_index=True)
    out.attrs = dict(parts[0][1])
    return out


def suppressed(table: pd.DataFrame, values: list[str], by: list[str], group: str | None = None,
               min_n: int = privacy.MIN_N) -> pd.DataFrame:
    """``table`` with :func:`inspect_audit._core.privacy.suppress` applied within each ``by`` cell: groups (rows)
    under ``min_n`` blanked, n included, and where ``group`` is given, a second group wherever one alone
    could be worked out from the cell's total (published in the area table)."""
    if table.empty:
        out = table.copy()
        out["suppressed"] = pd.Series(dtype=bool)
        return out
    parts = []
    for _, part in table.groupby(by, sort=False, dropna=False):
        part = part.copy()
        if group is not None:
            part["group"] = part[group].astype(str)
        part = privacy.suppress(part, min_n=min_n, n_col="n", columns=values, hide_n=True)
        parts.append(part.drop(columns=["group"]) if group is not None and group != "group" else part)
    out = pd.concat(parts).loc[table.index]
    out.attrs = dict(table.attrs)
    out.attrs["min_n"] = int(min_n)
    return out
