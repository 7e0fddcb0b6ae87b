"""Normalise, weight and aggregate indicators into a composite, many replicates at once.

Conventions (JRC/OECD Handbook on Constructing Composite Indicators, sections 5-6):

* every indicator is first oriented so that **higher is better** (``lower_better`` indicators,
  such as inspection grades where 1 = best, are multiplied by -1);
* normalisation, over the scored schools that have the indicator:
  ``z`` = (x - mean) / SD; ``min_max`` = (x - min) / (max - min), in [0, 1];
  ``rank`` = percentile rank (rank - 0.5) / n, in (0, 1), ties averaged;
* a school missing an indicator is aggregated over the others, weights rescaled to sum to one;
* ``arithmetic`` = weighted mean of normalised values (fully compensatory);
  ``geometric`` = weighted geometric mean (partly compensatory); it needs positive values, so
  normalised values are first mapped into (0, 1]: z -> Phi(z) (standard normal CDF),
  min-max -> 0.01 + 0.99 x, rank -> unchanged;
* ``rule_based`` = the band of the ``base`` composite, capped at ``max_bands_above`` bands above
  the school's weakest indicator band (indicator bands use the same cutoffs, on the
  indicator's own percentile or z-score); within a band, schools are ordered by the base
  composite;
* bands are on the composite's percentile among scored schools (``percentile``, 100 = best) or
  on the composite standardised to mean 0, SD 1 (``z``). Both are relative: a composite of
  normalised indicators cannot say how good schools are in absolute terms.

Ranks: 1 = best; tied schools share the best (smallest) rank of the tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from inspect_audit.scorecard.spec import AGGREGATIONS, NORMALISATIONS, Spec, load_spec

GEOMETRIC_FLOOR = 0.01


@dataclass
class Prepared:
    """Indicator arrays ready for vectorised evaluation (higher = better, NaN = missing)."""

    urns: np.ndarray
    ids: list[str]
    x: np.ndarray        # (n, k) oriented values, NaN where missing
    se: np.ndarray       # (n, k) sampling SE, 0 where missing
    mask: np.ndarray     # (n, k) indicator present
    weights: np.ndarray  # (k,) nominal weights summing to one

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def k(self) -> int:
        return self.x.shape[1]


def prepare(indicators: pd.DataFrame, spec: Spec | dict | str) -> Prepared:
    """Arrays from an :func:`~inspect_audit.scorecard.indicators.indicator_table` frame.

    The frame needs ``urn`` and one column per indicator id; ``ID_se`` columns are optional
    (missing means no sampling error). Schools with no indicator at all are dropped.
    """
    spec = load_spec(spec)
    missing = [i for i in spec.ids if i not in indicators.columns]
    if missing:
        raise KeyError(f"indicator column(s) {missing} not in the indicator table")
    x = np.column_stack([indicators[i].to_numpy(dtype=float) for i in spec.ids])
    se = np.column_stack([indicators[f"{i}_se"].to_numpy(dtype=float) if f"{i}_se" in indicators.columns
                          else np.zeros(len(indicators)) for i in spec.ids])
    sign = np.array([ind.sign for ind in spec.indicators])
    mask = np.isfinite(x)
    keep = mask.sum(axis=1) >= max(1, spec.min_indicators)
    if spec.missing == "complete_cases":
        keep &= mask.all(axis=1)
    x, se, mask = x[keep] * sign, np.where(mask, np.nan_to_num(se, nan=0.0), 0.0)[keep], mask[keep]
    if not keep.any():
        raise ValueError("no school has enough indicators to be scored")
    urns = (indicators["urn"].astype(str).to_numpy() if "urn" in indicators.columns
            else indicators.index.astype(str).to_numpy())[keep]
    return Prepared(urns=urns, ids=spec.ids, x=x, se=se, mask=mask, weights=np.asarray(spec.weights, float))


# --------------------------------------------------------------------------- building blocks

def rank_rows(a: np.ndarray, method: str = "min") -> np.ndarray:
    """Ranks (1 = smallest) along the last axis; ties get the ``min`` or ``average`` rank.

    Same result as ``scipy.stats.rankdata(a, axis=-1, method=method)`` but faster on many rows
    (an unstable sort is enough because tied values get the same rank whatever their order).
    """
    shape = a.shape
    n = shape[-1]
    flat = np.ascontiguousarray(a).reshape(-1, n)
    order = np.argsort(flat, axis=1)
    s = np.take_along_axis(flat, order, axis=1)
    new = np.ones(s.shape, dtype=bool)
    np.not_equal(s[:, 1:], s[:, :-1], out=new[:, 1:])
    idx = np.arange(1, n + 1, dtype=np.int64)
    if new.all():  # no ties: the rank is the position in sorted order
        r = np.broadcast_to(idx, s.shape) if method == "min" else np.broadcast_to(idx.astype(float), s.shape)
    else:
        r = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
        if method == "average":
            end = np.ones(s.shape, dtype=bool)
            end[:, :-1] = new[:, 1:]
            rmax = np.minimum.accumulate(np.where(end, idx, n + 1)[:, ::-1], axis=1)[:, ::-1]
            r = (r + rmax) / 2.0
        elif method != "min":
            raise ValueError("method must be 'min' or 'average'")
    out = np.empty(flat.shape, dtype=r.dtype)
    np.put_along_axis(out, order, r, axis=1)
    return out.reshape(shape)


def _indicator_ranks(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average ranks of (r, n, k) values over schools (axis 1); missing cells rank last."""
    t = np.where(mask, v, np.inf).transpose(0, 2, 1)
    return rank_rows(t, "average").transpose(0, 2, 1)


def _indicator_percentile_bands(v: np.ndarray, mask: np.ndarray, n_valid: np.ndarray,
                                cutoffs: np.ndarray) -> np.ndarray:
    """Band of each (r, n, k) value by its percentile among present values (axis 1), without a full sort.

    Equal to ``band_index(100 * (average_rank - 0.5) / n_valid, cutoffs)``: a value is at or above
    cutoff c when its average rank is at least t = c n / 100 + 0.5. The smallest such value is the
    order statistic at position ceil(t), or the next larger distinct value when the ties of that
    order statistic average below t; ``np.partition`` finds the order statistics in linear time.
    """
    r, n, k = v.shape
    out = np.zeros((r, n, k), dtype=np.int8)
    for j in range(k):
        present = mask[0, :, j]
        nv = int(n_valid.ravel()[j])
        if nv == 0:
            continue
        vals = np.where(present, v[:, :, j], np.inf)
        targets = [c * nv / 100 + 0.5 for c in cutoffs]
        positions = [min(max(int(np.ceil(t - 1e-9)), 1), nv) for t in targets]
        part = np.partition(vals, sorted(set(p - 1 for p in positions)), axis=1)
        for t, pos in zip(targets, positions):
            sm = part[:, pos - 1][:, None]
            a = (vals < sm).sum(axis=1) + 1
            b = (vals <= sm).sum(axis=1)
            nxt = np.where(vals > sm, vals, np.inf).min(axis=1)
            thr = np.where((a + b) / 2 >= t - 1e-9, sm[:, 0], nxt)
            out[:, :, j] += (vals >= thr[:, None]) & present & np.isfinite(thr)[:, None]
    return out


def _normalise(v: np.ndarray, mask: np.ndarray, n_valid: np.ndarray, method: str) -> np.ndarray:
    """Normalise (r, n, k) values over schools (axis 1); missing cells are returned as 0."""
    full = bool(mask.all())
    if method == "z":
        vm = v if full else np.where(mask, v, 0.0)
        mean = vm.sum(axis=1, keepdims=True) / n_valid
        dev = v - mean
        if not full:
            dev = np.where(mask, dev, 0.0)
        sd = np.sqrt(np.einsum("rnk,rnk->rk", dev, dev)[:, None, :] / np.maximum(n_valid - 1, 1))
        dev /= np.where(sd > 0, sd, 1.0)
        return dev
    if method == "min_max":
        lo = (v if full else np.where(mask, v, np.inf)).min(axis=1, keepdims=True)
        hi = (v if full else np.where(mask, v, -np.inf)).max(axis=1, keepdims=True)
        span = hi - lo
        out = ((v if full else np.where(mask, v, lo)) - lo) / np.where(span > 0, span, 1.0)
        return np.where(span > 0, out, 0.5) if not full or (span <= 0).any() else out
    if method == "rank":
        out = (_indicator_ranks(v, mask) - 0.5) / n_valid
        return out if full else np.where(mask, out, 0.0)
    raise ValueError(f"unknown normalisation {method!r} (use one of {NORMALISATIONS})")


def _positive(y: np.ndarray, method: str) -> np.ndarray:
    """Map normalised values into (0, 1] for geometric aggregation."""
    if method == "z":
        return np.maximum(ndtr(y), 1e-12)
    if method == "min_max":
        return GEOMETRIC_FLOOR + (1 - GEOMETRIC_FLOOR) * y
    return np.maximum(y, 1e-12)


def _aggregate(y: np.ndarray, w: np.ndarray, mask: np.ndarray, denom: np.ndarray, method: str,
               norm: str) -> np.ndarray:
    """Weighted aggregation of (r, n, k) normalised values with (r, k) weights over present indicators."""
    if method == "arithmetic":
        return np.matmul(y, w[:, :, None])[..., 0] / denom
    if method == "geometric":
        logp = np.log(_positive(y, norm))
        if not mask.all():
            logp = np.where(mask, logp, 0.0)
        return np.exp(np.matmul(logp, w[:, :, None])[..., 0] / denom)
    raise ValueError(f"unknown aggregation {method!r}")


def percentile_from_rank(rank: np.ndarray, n: int) -> np.ndarray:
    """Percentile (0-100, 100 = best) of rank 1..n (1 = best): 100 (n - rank + 0.5) / n."""
    return 100.0 * (n - rank + 0.5) / n


def band_index(values: np.ndarray, cutoffs: tuple[float, ...] | np.ndarray) -> np.ndarray:
    """Band 0 (worst) .. len(cutoffs) (best): values at or above a cutoff go to the band above it."""
    return np.searchsorted(np.asarray(cutoffs, float), values, side="right").astype(np.int8)


def _standardise_rows(s: np.ndarray) -> np.ndarray:
    sd = s.std(axis=1, keepdims=True)
    return (s - s.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)


@dataclass
class Evaluation:
    """Composite for r replicates x n schools."""

    rank: np.ndarray   # (r, n) 1 = best
    band: np.ndarray   # (r, n) 0 = worst band
    zscore: np.ndarray  # (r, n) (base) composite standardised within replicate
    score: np.ndarray  # (r, n) composite in its own units (rule_based: band + base percentile / 100)


def evaluate(prep: Prepared, spec: Spec, weights: np.ndarray, norms: list[str] | np.ndarray,
             aggs: list[str] | np.ndarray, eps: np.ndarray | None = None) -> Evaluation:
    """Composite, rank and band for a batch of replicates.

    Parameters
    ----------
    prep
        From :func:`prepare`.
    spec
        The spec (bands, rule, base aggregation).
    weights
        (r, k) weights per replicate (each row sums to one).
    norms, aggs
        Length-r normalisation and aggregation names.
    eps
        (r, n, k) standard-normal sampling errors (scaled by ``prep.se``), or None for none.
        Overwritten in place; float32 errors make the whole batch float32 (faster sorting).
    """
    weights = np.atleast_2d(np.asarray(weights, float))
    r, n, k = weights.shape[0], prep.n, prep.k
    norms, aggs = np.asarray(norms), np.asarray(aggs)
    mask = prep.mask[None, :, :]
    dtype = np.float64 if eps is None else eps.dtype
    n_valid = prep.mask.sum(axis=0)[None, None, :].astype(dtype)
    x = np.where(prep.mask, prep.x, 0.0).astype(dtype)
    if eps is None:
        v = np.broadcast_to(x[None], (r, n, k))
    else:
        v = eps
        v *= prep.se[None].astype(dtype)
        v += x[None]
    weights = weights.astype(dtype)
    denom = (prep.mask.astype(dtype) @ weights.T).T  # (r, n)
    score = np.empty((r, n))
    zscore = np.empty((r, n))
    band = np.empty((r, n), dtype=np.int8)
    rank = np.empty((r, n), dtype=np.int64)
    cut = np.asarray(spec.cutoffs, float)
    for norm in np.unique(norms):
        sel_n = np.flatnonzero(norms == norm)
        y = _normalise(v[sel_n] if len(sel_n) < r else v, mask, n_valid, str(norm))
        for agg in np.unique(aggs[sel_n]):
            sub = np.flatnonzero(aggs[sel_n] == agg)
            rows = sel_n[sub]
            ysub = y if len(sub) == len(sel_n) else y[sub]
            base_method = spec.base_aggregation if agg == "rule_based" else str(agg)
            s = _aggregate(ysub, weights[rows], mask, denom[rows], base_method, str(norm))
            z = _standardise_rows(s)
            zscore[rows] = z
            rk = rank_rows(-s, "min")
            if agg != "rule_based" and spec.band_scale == "z":
                b = band_index(z, cut)
            else:
                pct = percentile_from_rank(rk, n)
                b = band_index(pct if spec.band_scale == "percentile" else z, cut)
            if agg == "rule_based":
                if spec.band_scale == "percentile":
                    ind_band = _indicator_percentile_bands(v[rows], mask, n_valid, cut)
                else:
                    ind_val = ysub if norm == "z" else _normalise(np.array(v[rows]), mask, n_valid, "z")
                    ind_band = band_index(ind_val, cut)
                ind_band = np.where(mask, ind_band, 127).min(axis=2)
                b = np.minimum(b, ind_band + spec.max_bands_above).astype(np.int8)
                s = b + pct / 100.0 * 0.999
                rk = rank_rows(-s, "min")
            score[rows] = s
            band[rows] = b
            rank[rows] = rk
    return Evaluation(rank=rank, band=band, zscore=zscore, score=score)


def nominal_composite(indicators: pd.DataFrame, spec: Spec | dict | str) -> pd.DataFrame:
    """The composite as the spec defines it, with no uncertainty: one row per scored school.

    Returns
    -------
    pandas.DataFrame
        ``urn``, ``n_indicators``, ``score`` (in the aggregation's own units), ``z`` (score
        standardised), ``rank`` (1 = best), ``band`` (label) and ``band_index`` (0 = worst).
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    ev = evaluate(prep, spec, prep.weights[None], [spec.normalisation], [spec.aggregation])
    return pd.DataFrame({"urn": prep.urns, "n_indicators": prep.mask.sum(axis=1), "score": ev.score[0],
                         "z": ev.zscore[0], "rank": ev.rank[0],
                         "band": np.asarray(spec.labels, dtype=object)[ev.band[0]], "band_index": ev.band[0]})


__all__ = ["Prepared", "prepare", "evaluate", "Evaluation", "nominal_composite", "band_index",
           "percentile_from_rank", "AGGREGATIONS", "NORMALISATIONS"]
