"""Climate diagnostics: is a school's score different from last time, from similar schools,
or between groups inside the school?

Every comparison is a difference of means with an interval; a result is shown only
where every side passes the minimum-response gate (otherwise the row is kept with
``withheld = True`` and no estimate).  Waves are ordered as text, so name them so that
text order is time order (e.g. ``2024-summer``, ``2025-spring``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.surveys._stats import t_value, z_value
from inspect_audit.surveys.scoring import DEFAULT_MIN_RESPONSES

DIFF_COLUMNS = ["urn", "wave", "respondent_group", "dimension", "comparison", "estimate", "ci_low", "ci_high",
                "n", "n_comparison", "withheld"]


def _welch(m1, s1, n1, m2, s2, n2, level):
    """Difference m1 - m2 with a Welch t interval (arrays)."""
    v1, v2 = s1**2 / n1, s2**2 / n2
    se = np.sqrt(v1 + v2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    q = np.array([t_value(d, level) if np.isfinite(d) else np.nan for d in np.atleast_1d(df)])
    d = m1 - m2
    return d, d - q * se, d + q * se


def wave_changes(school_scores: pd.DataFrame, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Each school's score minus its previous wave's, per group and dimension (Welch interval).

    Parameters
    ----------
    school_scores : DataFrame
        Output of :func:`~inspect_audit.surveys.scoring.school_scores` (withheld rows have no
        estimate; a change touching one is withheld).

    Returns
    -------
    DataFrame
        ``urn, wave, respondent_group, dimension, comparison`` (``"vs <previous wave>"``),
        ``estimate, ci_low, ci_high, n`` (respondents now), ``n_comparison`` (then), ``withheld``.
    """
    s = school_scores.sort_values(["urn", "respondent_group", "dimension", "wave"]).copy()
    prev = s.groupby(["urn", "respondent_group", "dimension"])[["wave", "estimate", "sd", "n", "withheld"]].shift(1)
    has = prev["wave"].notna()
    cur, prev = s[has], prev[has]
    d, lo, hi = _welch(cur["estimate"].to_numpy(float), cur["sd"].to_numpy(float), cur["n"].to_numpy(float),
                       prev["estimate"].to_numpy(float), prev["sd"].to_numpy(float), prev["n"].to_numpy(float),
                       ci_prob)
    out = pd.DataFrame({"urn": cur["urn"].to_numpy(), "wave": cur["wave"].to_numpy(),
                        "respondent_group": cur["respondent_group"].to_numpy(),
                        "dimension": cur["dimension"].to_numpy(),
                        "comparison": "vs " + prev["wave"].astype(str).to_numpy(),
                        "estimate": d, "ci_low": lo, "ci_high": hi, "n": cur["n"].to_numpy(int),
                        "n_comparison": prev["n"].astype(int).to_numpy(),
                        "withheld": cur["withheld"].to_numpy(bool) | prev["withheld"].astype(bool).to_numpy()})
    out.loc[out["withheld"], ["estimate", "ci_low", "ci_high"]] = np.nan
    return out[DIFF_COLUMNS].reset_index(drop=True)


def _features(schools: pd.DataFrame) -> pd.DataFrame:
    """Phase, FSM % and a progress measure (KS2 for primary, Progress 8 otherwise), standardised within phase."""
    f = schools[["urn", "phase"]].copy()
    f["urn"] = f["urn"].astype(str)
    f["phase"] = f["phase"].astype(str)
    ks2 = schools["ks2_progress"].astype(float) if "ks2_progress" in schools else np.nan
    p8 = schools["progress8"].astype(float) if "progress8" in schools else np.nan
    progress = np.where(f["phase"] == "primary", ks2, p8)
    f["fsm"] = schools["fsm_pct"].astype(float).to_numpy() if "fsm_pct" in schools else np.nan
    f["progress"] = np.where(np.isfinite(progress), progress,
                             np.where(f["phase"] == "primary", p8, ks2)).astype(float)
    for col in ("fsm", "progress"):
        grp = f.groupby("phase")[col]
        z = (f[col] - grp.transform("mean")) / grp.transform("std")
        f[col] = z.fillna(0.0)  # a missing measure counts as typical for the phase
    return f


def similar_school_comparison(school_scores: pd.DataFrame, schools: pd.DataFrame, k: int = 10,
                              ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Each school's score minus the mean of its ``k`` most similar surveyed schools.

    Similar = same phase and wave, nearest in (FSM %, progress) standardised within phase
    (Euclidean distance); only schools passing the gate are compared or used as peers.
    Interval: ``d +/- z sqrt(se_school^2 + var(peer scores) / k)``, treating the peers as a
    sample of schools like this one.

    Returns
    -------
    DataFrame
        Columns as :func:`wave_changes`, ``comparison`` = ``"vs k similar schools"``, ``n``
        = the school's respondents and ``n_comparison`` = peer schools used; plus ``peers``
        (their URNs).
    """
    feats = _features(schools)
    s = school_scores.copy()
    s["urn"] = s["urn"].astype(str)
    s = s.merge(feats, on="urn", how="left")
    q = z_value(ci_prob)
    rows = []
    for (wave, group, dim, phase), part in s.groupby(["wave", "respondent_group", "dimension", "phase"],
                                                     sort=True):
        ok = part[~part["withheld"].astype(bool)]
        xy = ok[["fsm", "progress"]].to_numpy(float)
        est = ok["estimate"].to_numpy(float)
        for row in part.itertuples(index=False):
            base = {"urn": row.urn, "wave": wave, "respondent_group": group, "dimension": dim,
                    "comparison": f"vs {k} similar schools", "n": int(row.n)}
            others = ok["urn"].to_numpy() != row.urn
            if row.withheld or others.sum() < 2:
                rows.append({**base, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "n_comparison": int(others.sum()), "withheld": True, "peers": ""})
                continue
            dist = np.sqrt(((xy[others] - np.array([row.fsm, row.progress])) ** 2).sum(axis=1))
            take = np.argsort(dist, kind="stable")[:k]
            peer = est[others][take]
            d = row.estimate - peer.mean()
            se = np.sqrt(row.se**2 + peer.var(ddof=1) / len(peer))
            rows.append({**base, "estimate": d, "ci_low": d - q * se, "ci_high": d + q * se,
                         "n_comparison": int(len(peer)), "withheld": False,
                         "peers": " ".join(ok["urn"].to_numpy()[others][take])})
    return pd.DataFrame(rows, columns=DIFF_COLUMNS + ["peers"])


def subgroup_differences(scores: pd.DataFrame, min_responses: int = DEFAULT_MIN_RESPONSES,
                         ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Each subgroup (year group, staff role) against the rest of its school (Welch interval).

    Parameters
    ----------
    scores : DataFrame
        Respondent scores (:func:`~inspect_audit.surveys.scoring.respondent_scores`) with
        ``subgroup``.
    min_responses : int
        Gate applied to the subgroup **and** to the rest of the school: small groups are
        withheld (this also protects respondents in small groups, e.g. leaders).

    Returns
    -------
    DataFrame
        Columns as :func:`wave_changes` plus ``subgroup``; ``comparison`` =
        ``"subgroup vs rest of school"``, ``n`` = subgroup respondents, ``n_comparison`` =
        the rest.
    """
    sc = scores[np.isfinite(scores["score"].to_numpy(float)) & scores["subgroup"].notna()].copy()
    sc["subgroup"] = sc["subgroup"].astype(str)
    key = ["urn", "wave", "respondent_group", "dimension"]
    sc["sq"] = sc["score"] ** 2
    sub = sc.groupby(key + ["subgroup"], sort=True).agg(n=("score", "size"), s=("score", "sum"),
                                                         ss=("sq", "sum")).reset_index()
    tot = sc.groupby(key, sort=True).agg(N=("score", "size"), S=("score", "sum"), SS=("sq", "sum")).reset_index()
    sub = sub.merge(tot, on=key)
    n1, s1, ss1 = sub["n"].to_numpy(float), sub["s"].to_numpy(float), sub["ss"].to_numpy(float)
    n2, s2, ss2 = (sub["N"] - sub["n"]).to_numpy(float), (sub["S"] - sub["s"]).to_numpy(float), \
        (sub["SS"] - sub["ss"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = s1 / n1, s2 / n2
        sd1 = np.sqrt(np.clip((ss1 - n1 * m1**2) / (n1 - 1), 0, None))
        sd2 = np.sqrt(np.clip((ss2 - n2 * m2**2) / (n2 - 1), 0, None))
        d, lo, hi = _welch(m1, sd1, n1, m2, sd2, n2, ci_prob)
    withheld = (n1 < min_responses) | (n2 < min_responses)
    out = sub[key + ["subgroup"]].copy()
    out["comparison"] = "subgroup vs rest of school"
    out["estimate"], out["ci_low"], out["ci_high"] = d, lo, hi
    out["n"], out["n_comparison"], out["withheld"] = n1.astype(int), n2.astype(int), withheld
    out.loc[out["withheld"], ["estimate", "ci_low", "ci_high"]] = np.nan
    return out[key + ["subgroup"] + DIFF_COLUMNS[4:]].reset_index(drop=True)
