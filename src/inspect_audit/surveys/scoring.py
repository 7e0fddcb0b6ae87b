"""Recode reverse-coded items, score respondents on each dimension, and average them by school.

Every survey analysis starts here. A "don't know" is missing and never a number; a
respondent's dimension score is the mean of the items they answered (after recoding),
and is missing if they answered fewer than half of the dimension's items.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.surveys._stats import t_value

COMPOSITE = "composite"
DEFAULT_MIN_RESPONSES = 10
KEY = ["urn", "wave", "respondent_group"]
RESPONDENT = ["urn", "wave", "respondent_group", "respondent_id"]


def recode(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Join item metadata to responses and recode reverse-coded items.

    Parameters
    ----------
    responses : DataFrame
        The ``survey_responses`` table (``urn, wave, respondent_group, respondent_id,
        item_id, response`` and optionally ``subgroup``).
    items : DataFrame
        The ``survey_items`` table (``item_id, respondent_group, dimension, scale_min,
        scale_max, reverse_coded``).

    Returns
    -------
    DataFrame
        One row per answered-or-not item with ``dimension``, ``reverse_coded``,
        ``scale_min``, ``scale_max``, ``raw`` (as given) and ``response`` (recoded so that
        higher is always more favourable: ``scale_min + scale_max - raw`` for
        reverse-coded items; ``NaN`` = don't know).

    Raises
    ------
    ValueError
        If a response lies outside its item's scale or names an unknown item.
    """
    meta = items[["item_id", "dimension", "scale_min", "scale_max", "reverse_coded"]].copy()
    meta["reverse_coded"] = meta["reverse_coded"].astype(bool)
    out = responses.copy()
    if "subgroup" not in out.columns:
        out["subgroup"] = pd.NA
    out = out.merge(meta, on="item_id", how="left", validate="many_to_one")
    if out["dimension"].isna().any():
        unknown = sorted(set(out.loc[out["dimension"].isna(), "item_id"].astype(str)))[:5]
        raise ValueError(f"responses name items missing from survey_items: {unknown}")
    raw = pd.to_numeric(out["response"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lo = out["scale_min"].to_numpy(dtype=float, na_value=np.nan)
    hi = out["scale_max"].to_numpy(dtype=float, na_value=np.nan)
    bad = np.isfinite(raw) & ((raw < lo) | (raw > hi))
    if bad.any():
        raise ValueError(f"{int(bad.sum())} responses lie outside their item's scale")
    rev = out["reverse_coded"].to_numpy(dtype=bool)
    out["raw"] = raw
    out["response"] = np.where(rev, lo + hi - raw, raw)
    for col in ("urn", "wave", "respondent_group", "respondent_id", "item_id", "dimension"):
        out[col] = out[col].astype(str)
    return out


def respondent_scores(recoded: pd.DataFrame, min_item_share: float = 0.5,
                      composite: bool = True) -> pd.DataFrame:
    """Each respondent's mean recoded score per dimension.

    Parameters
    ----------
    recoded : DataFrame
        Output of :func:`recode`.
    min_item_share : float
        A score needs at least ``ceil(min_item_share * items)`` answered items.
    composite : bool
        Also add dimension ``"composite"``: the mean of the respondent's dimension scores
        (needs at least half of the group's dimensions).

    Returns
    -------
    DataFrame
        ``urn, wave, respondent_group, respondent_id, subgroup, dimension, score, n_items``
        (``score`` is ``NaN`` when too few items were answered).
    """
    n_dim_items = recoded.groupby(["respondent_group", "dimension"])["item_id"].nunique()
    g = recoded.groupby(RESPONDENT + ["dimension"], sort=False, observed=True)
    out = g.agg(score=("response", "mean"), n_items=("response", "count"),
                subgroup=("subgroup", "first")).reset_index()
    need_of = {k: math.ceil(min_item_share * v) for k, v in n_dim_items.items()}
    keys = pd.MultiIndex.from_frame(out[["respondent_group", "dimension"]])
    need = np.array([need_of.get(k, 1) for k in keys.unique()])[keys.unique().get_indexer(keys)]
    out.loc[out["n_items"].to_numpy() < need, "score"] = np.nan
    if composite:
        g2 = out.groupby(RESPONDENT, sort=False, observed=True)
        comp = g2.agg(score=("score", "mean"), n_items=("score", "count"),
                      subgroup=("subgroup", "first")).reset_index()
        n_dims = out.groupby("respondent_group")["dimension"].nunique()
        need2 = comp["respondent_group"].map(lambda k: math.ceil(0.5 * n_dims.get(k, 1))).to_numpy()
        comp.loc[comp["n_items"].to_numpy() < need2, "score"] = np.nan
        comp["dimension"] = COMPOSITE
        out = pd.concat([out, comp[out.columns]], ignore_index=True)
    return out[RESPONDENT + ["subgroup", "dimension", "score", "n_items"]]


def school_scores(scores: pd.DataFrame, min_responses: int = DEFAULT_MIN_RESPONSES,
                  ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Mean dimension score per school, wave and respondent group, with the minimum-response gate.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`respondent_scores`.
    min_responses : int
        Schools with fewer respondents with a score are **withheld**: the row is kept
        (``withheld = True``, ``n`` shown) but ``estimate``, ``ci_low``, ``ci_high``, ``sd``
        and ``se`` are ``NaN`` so no result is published for them.
    ci_prob : float
        Coverage of the t interval of the mean.

    Returns
    -------
    DataFrame
        ``urn, wave, respondent_group, dimension, estimate, ci_low, ci_high, n, sd, se, withheld``.
    """
    g = scores.groupby(KEY + ["dimension"], sort=True, observed=True)["score"]
    out = g.agg(estimate="mean", sd="std", n="count").reset_index()
    out["n"] = out["n"].astype(int)
    out["se"] = out["sd"] / np.sqrt(out["n"])
    q = np.array([t_value(n - 1, ci_prob) for n in out["n"]])
    out["ci_low"] = out["estimate"] - q * out["se"]
    out["ci_high"] = out["estimate"] + q * out["se"]
    out["withheld"] = out["n"] < min_responses
    out.loc[out["withheld"], ["estimate", "ci_low", "ci_high", "se", "sd"]] = np.nan
    return out[KEY + ["dimension", "estimate", "ci_low", "ci_high", "n", "sd", "se", "withheld"]]


def item_matrix(recoded: pd.DataFrame, group: str, dimension: str
                ) -> tuple[np.ndarray, np.ndarray, list[str], pd.DataFrame]:
    """Respondents x items matrix (recoded, ``NaN`` = missing) of one dimension.

    Returns
    -------
    X : ndarray
        Respondents x items.
    unit : ndarray of int
        Index of each respondent's school-wave (``urn|wave``) into ``units``.
    item_ids : list of str
    units : DataFrame
        ``urn, wave`` of each unit code, plus ``subgroup`` is not included.
    """
    part = recoded[(recoded["respondent_group"] == group) & (recoded["dimension"] == dimension)]
    resp_key = part["urn"] + "|" + part["wave"] + "|" + part["respondent_id"]
    r_codes, r_uniques = pd.factorize(resp_key, sort=True)
    item_ids = sorted(part["item_id"].unique())
    i_codes = pd.Index(item_ids).get_indexer(part["item_id"])
    x = np.full((len(r_uniques), len(item_ids)), np.nan)
    x[r_codes, i_codes] = part["response"].to_numpy(float)
    unit_of_resp = pd.Series(r_uniques).str.rsplit("|", n=1).str[0]
    u_codes, u_uniques = pd.factorize(unit_of_resp, sort=True)
    units = pd.Series(u_uniques).str.split("|", n=1, expand=True)
    units.columns = ["urn", "wave"]
    return x, u_codes, item_ids, units


def dimensions(items: pd.DataFrame) -> list[tuple[str, str]]:
    """(respondent_group, dimension) pairs in the order the item table gives them."""
    pairs = items[["respondent_group", "dimension"]].astype(str).drop_duplicates()
    return [tuple(p) for p in pairs.itertuples(index=False)]
