"""Sensitivity analysis of a scorecard (JRC/OECD Handbook, step 8; Saltelli et al. 2008, 2010).

* :func:`sobol_pick_freeze`: first-order and total Sobol indices of any model whose uncertain
  inputs come in groups (each group may be a whole random vector), by the pick-freeze design
  with the Saltelli (2010) first-order and Jansen (1999) total-effect estimators; SALib's
  ``sobol.analyze`` is used for scalar outputs when installed (same estimators, with its
  bootstrap intervals).
* :func:`sobol_indices`: the scorecard's rank and average rank shift attributed to each
  indicator's sampling error, the weights, the normalisation and the aggregation.
* :func:`effective_weights`: Pearson correlation of each indicator with the composite and
  the Paruolo-Saisana-Saltelli (2013) main effect S_i = V[E(composite | x_i)] / V(composite),
  the "effective weight" an indicator actually carries.
* :func:`compare_specs`: how two scorecards disagree: rank reversals (school pairs ordered
  differently) and band flips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from inspect_audit.scorecard.composite import evaluate, prepare
from inspect_audit.scorecard.simulate import (ScorecardSimulation, add_shared_error, batch_rng, draw_weights,
                                              shared_error_columns)
from inspect_audit.scorecard.spec import Spec, load_spec
from inspect_audit._core.intervals import CI_PROB, percentile_interval

try:  # optional: used for scalar outputs when available
    from SALib.analyze import sobol as _salib_sobol
except ImportError:  # pragma: no cover - depends on the environment
    _salib_sobol = None

#: Sobol group of the error component shared by one school's judgement indicators.
SHARED_GROUP = "error:shared_within_inspection"
Sampler = Callable[[np.random.Generator, int], dict[str, np.ndarray]]
Model = Callable[[dict[str, np.ndarray]], np.ndarray]


def salib_available() -> bool:
    """Whether SALib can be imported."""
    return _salib_sobol is not None


# --------------------------------------------------------------------------- generic Sobol

@dataclass
class SobolResult:
    """Sobol indices per group.

    ``table`` has one row per group: ``group``, ``S1``, ``S1_lo``, ``S1_hi``, ``ST``, ``ST_lo``,
    ``ST_hi`` (for a scalar output, or pooled over outputs: sum of per-output partial variances
    over the sum of output variances), and ``method``. ``per_output`` holds (n_groups, n_outputs)
    arrays ``S1`` and ``ST`` for vector outputs (NaN where an output does not vary).
    """

    table: pd.DataFrame
    per_output: dict[str, np.ndarray]
    n_base: int
    n_model_runs: int


def _estimates(fa: np.ndarray, fb: np.ndarray, fab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numerators of first-order and total effects, and the variance (per output column)."""
    var = np.var(np.concatenate([fa, fb]), axis=0)
    first = np.mean(fb * (fab - fa), axis=0)
    total = 0.5 * np.mean((fa - fab) ** 2, axis=0)
    return first, total, var


def sobol_pick_freeze(model: Model, sampler: Sampler, groups: list[str], n_base: int = 1024,
                      seed: int | None = 0, n_boot: int = 200, ci_prob: float = CI_PROB,
                      use_salib: bool | None = None) -> SobolResult:
    """First-order and total Sobol indices of grouped inputs by the pick-freeze design.

    Parameters
    ----------
    model
        Maps a dict ``group -> (m, ...) inputs`` to outputs of shape (m,) or (m, p).
    sampler
        ``sampler(rng, m)`` returns ``m`` independent draws of every group, as a dict.
    groups
        The groups to attribute variance to (keys of the sampler's dict).
    n_base
        Base sample size N; the model is run N x (groups + 2) times.
    seed
        Random seed.
    n_boot
        Bootstrap resamples of the N base rows for the intervals.
    ci_prob
        Interval mass (default 0.90).
    use_salib
        For a scalar output, compute indices and intervals with SALib (default: when installed).

    Returns
    -------
    SobolResult

    Notes
    -----
    With A, B two independent samples and AB_i = A with group i taken from B, the estimators are
    S_i = mean(f(B) (f(AB_i) - f(A))) / V and ST_i = mean((f(A) - f(AB_i))^2) / (2 V), V the variance
    of f over A and B (Saltelli et al. 2010, Table 2, estimators b and f).
    """
    rng_a, rng_b, rng_boot = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    a, b = sampler(rng_a, n_base), sampler(rng_b, n_base)
    fa, fb = np.asarray(model(a), float), np.asarray(model(b), float)
    scalar = fa.ndim == 1
    fa2, fb2 = fa.reshape(n_base, -1), fb.reshape(n_base, -1)
    fab = []
    for g in groups:
        mixed = dict(a)
        mixed[g] = b[g]
        fab.append(np.asarray(model(mixed), float).reshape(n_base, -1))
    use_salib = salib_available() if use_salib is None else use_salib
    if use_salib and not salib_available():
        raise ImportError("SALib is not installed (pip install SALib)")
    rows, s1_all, st_all = [], [], []
    salib = None
    if scalar and use_salib:
        d = len(groups)
        y = np.column_stack([fa2[:, 0]] + [f[:, 0] for f in fab] + [fb2[:, 0]]).ravel()
        problem = {"num_vars": d, "names": list(groups), "bounds": [[0.0, 1.0]] * d}
        salib = _salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=max(n_boot, 2),
                                     conf_level=ci_prob, seed=seed if isinstance(seed, int) else None)
    # Bootstrap of the pooled indices over base rows, without copying the outputs: with row counts
    # c (n_boot x N), sums over rows become matrix products.
    counts = None
    if n_boot and salib is None:
        idx = rng_boot.integers(0, n_base, size=(n_boot, n_base))
        counts = np.zeros((n_boot, n_base))
        np.add.at(counts, (np.repeat(np.arange(n_boot), n_base), idx.ravel()), 1.0)
        sq = (fa2**2).sum(axis=1) + (fb2**2).sum(axis=1)
        boot_mean = (counts @ fa2 + counts @ fb2) / (2 * n_base)
        boot_var = counts @ sq / (2 * n_base) - (boot_mean**2).sum(axis=1)
    for i, g in enumerate(groups):
        first, total, var = _estimates(fa2, fb2, fab[i])
        with np.errstate(invalid="ignore", divide="ignore"):
            s1_all.append(np.where(var > 0, first / var, np.nan))
            st_all.append(np.where(var > 0, total / var, np.nan))
        vsum = var.sum()
        s1, st = (first.sum() / vsum, total.sum() / vsum) if vsum > 0 else (np.nan, np.nan)
        if salib is not None:
            s1, st = float(salib["S1"][i]), float(salib["ST"][i])
            half1, halft = float(salib["S1_conf"][i]), float(salib["ST_conf"][i])
            lo1, hi1, lot, hit = s1 - half1, s1 + half1, st - halft, st + halft
            method = "SALib sobol.analyze (Saltelli 2010 / Jansen), bootstrap interval"
        elif counts is not None:
            u = (fb2 * (fab[i] - fa2)).sum(axis=1)
            t = 0.5 * ((fa2 - fab[i]) ** 2).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                b1 = counts @ u / n_base / boot_var
                bt = counts @ t / n_base / boot_var
            (lo1, hi1), (lot, hit) = percentile_interval(b1, ci_prob), percentile_interval(bt, ci_prob)
            method = "pick-freeze (Saltelli 2010 / Jansen), percentile bootstrap"
        else:
            lo1 = hi1 = lot = hit = np.nan
            method = "pick-freeze (Saltelli 2010 / Jansen)"
        rows.append({"group": g, "S1": float(s1), "S1_lo": float(lo1), "S1_hi": float(hi1), "ST": float(st),
                     "ST_lo": float(lot), "ST_hi": float(hit), "method": method})
    return SobolResult(table=pd.DataFrame(rows), per_output={"S1": np.array(s1_all), "ST": np.array(st_all)},
                       n_base=n_base, n_model_runs=n_base * (len(groups) + 2))


# --------------------------------------------------------------------------- scorecard Sobol

def sobol_indices(indicators: pd.DataFrame, spec: Spec | dict | str, n_base: int = 256, seed: int | None = 0,
                  vary_weights: bool = True, vary_methods: bool = True, sampling_error: bool = True,
                  n_boot: int = 200, use_salib: bool | None = None) -> pd.DataFrame:
    """Sobol indices of the scorecard's ranks to each group of uncertain inputs.

    Groups: ``error:ID`` (the sampling error of each indicator that has one; with
    ``uncertainty.judgement_error_corr`` > 0, the judgements' own parts, plus a group
    ``error:shared_within_inspection`` for their shared part), ``weights``
    (Dirichlet around the spec weights), ``normalisation`` and ``aggregation`` (uniform over the
    spec's ``uncertainty`` lists). Two outputs are analysed:

    * ``rank``: every school's rank; indices pooled over schools (each school's partial
      variances summed, over the sum of rank variances), so schools whose rank varies most weigh most;
    * ``mean_abs_rank_shift``: the Handbook's average absolute shift in rank from the nominal
      scorecard (one number per run); SALib is used for it when installed.

    Returns
    -------
    pandas.DataFrame
        ``output``, ``group``, ``S1``, ``S1_lo``, ``S1_hi``, ``ST``, ``ST_lo``, ``ST_hi``, ``method``,
        ``n_base``, ``n_model_runs``. Intervals for ``rank`` are percentile bootstraps of the base rows.
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    n, k = prep.n, prep.k
    err_cols = [j for j in range(k) if sampling_error and (prep.se[:, j] > 0).any()]
    shared = shared_error_columns(prep, spec) if sampling_error else []
    groups = [f"error:{prep.ids[j]}" for j in err_cols]
    if shared:
        groups.append(SHARED_GROUP)
    if vary_weights:
        groups.append("weights")
    if vary_methods and len(spec.alt_normalisations) > 1:
        groups.append("normalisation")
    if vary_methods and len(spec.alt_aggregations) > 1:
        groups.append("aggregation")
    if not groups:
        raise ValueError("nothing is uncertain: no sampling error, weights or methods to vary")
    norms_opts = np.asarray(spec.alt_normalisations if vary_methods else [spec.normalisation])
    aggs_opts = np.asarray(spec.alt_aggregations if vary_methods else [spec.aggregation])
    nominal_rank = evaluate(prep, spec, prep.weights[None], [spec.normalisation], [spec.aggregation]).rank[0]

    def sampler(rng: np.random.Generator, m: int) -> dict[str, np.ndarray]:
        draws = {f"error:{prep.ids[j]}": rng.integers(0, 2**63 - 1, size=m) for j in err_cols}
        draws[SHARED_GROUP] = rng.integers(0, 2**63 - 1, size=m)
        draws["weights"] = (draw_weights(rng, prep.weights, spec.weight_concentration, m) if vary_weights
                            else np.tile(prep.weights, (m, 1)))
        draws["normalisation"] = rng.integers(0, len(norms_opts), size=m)
        draws["aggregation"] = rng.integers(0, len(aggs_opts), size=m)
        return draws

    batch = max(1, min(64, 24_000_000 // (4 * n * k)))

    def run(inputs: dict[str, np.ndarray]) -> np.ndarray:
        m = len(inputs["weights"])
        ranks = np.empty((m, n), dtype=np.float64)
        for start in range(0, m, batch):
            stop = min(m, start + batch)
            eps = None
            if err_cols:
                eps = np.zeros((stop - start, n, k), dtype=np.float32)
                for j in err_cols:
                    for row, s in enumerate(inputs[f"error:{prep.ids[j]}"][start:stop]):
                        eps[row, :, j] = batch_rng(np.random.SeedSequence(int(s))).standard_normal(n, dtype=np.float32)
                if shared:
                    common = np.stack([batch_rng(np.random.SeedSequence(int(s))).standard_normal(n, dtype=np.float32)
                                       for s in inputs[SHARED_GROUP][start:stop]])[:, :, None]
                    add_shared_error(eps, shared, spec.judgement_error_corr, common)
            ev = evaluate(prep, spec, inputs["weights"][start:stop], norms_opts[inputs["normalisation"][start:stop]],
                          aggs_opts[inputs["aggregation"][start:stop]], eps)
            ranks[start:stop] = ev.rank
        return ranks

    shifts: list[np.ndarray] = []

    def model_rank(inputs: dict[str, np.ndarray]) -> np.ndarray:
        ranks = run(inputs)
        shifts.append(np.abs(ranks - nominal_rank).mean(axis=1))
        return ranks

    rank_res = sobol_pick_freeze(model_rank, sampler, groups, n_base=n_base, seed=seed, n_boot=n_boot,
                                 use_salib=False)
    # The shift output reuses the same runs: same seed, so the same A, B and AB samples.
    it = iter(shifts)
    shift_res = sobol_pick_freeze(lambda _inputs: next(it), sampler, groups,
                                  n_base=n_base, seed=seed, n_boot=n_boot, use_salib=use_salib)
    frames = []
    for name, res in (("rank", rank_res), ("mean_abs_rank_shift", shift_res)):
        frames.append(res.table.assign(output=name, n_base=n_base, n_model_runs=res.n_model_runs))
    table = pd.concat(frames, ignore_index=True)
    return table[["output", "group", "S1", "S1_lo", "S1_hi", "ST", "ST_lo", "ST_hi", "method", "n_base", "n_model_runs"]]


# --------------------------------------------------------------------------- diagnostics

def indicator_correlations(indicators: pd.DataFrame, spec: Spec | dict | str) -> pd.DataFrame:
    """Pairwise Pearson correlations of the indicators, oriented so that higher is better.

    Returns
    -------
    pandas.DataFrame
        Long: ``indicator_a``, ``indicator_b``, ``r``, ``n`` (schools with both).
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    rows = []
    for i in range(prep.k):
        for j in range(i + 1, prep.k):
            ok = prep.mask[:, i] & prep.mask[:, j]
            r = float(np.corrcoef(prep.x[ok, i], prep.x[ok, j])[0, 1]) if ok.sum() > 2 else np.nan
            rows.append({"indicator_a": prep.ids[i], "indicator_b": prep.ids[j], "r": r, "n": int(ok.sum())})
    return pd.DataFrame(rows)


def correlation_ratio(x: np.ndarray, y: np.ndarray, max_bins: int = 20) -> float:
    """Main effect V[E(y | x)] / V(y), estimated by the means of y within bins of x.

    Distinct values of x are their own bins when there are at most ``max_bins`` of them (e.g.
    grades); otherwise x is cut at its quantiles into ``max_bins`` bins. The bias of the binned
    estimator, about (bins - 1) / n, is subtracted.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(y) < 3 or np.var(y) == 0:
        return float("nan")
    values = np.unique(x)
    if len(values) <= max_bins:
        codes = np.searchsorted(values, x)
    else:
        edges = np.unique(np.quantile(x, np.linspace(0, 1, max_bins + 1)[1:-1]))
        codes = np.searchsorted(edges, x, side="right")
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=y) / np.maximum(counts, 1)
    between = np.sum(counts * (means - y.mean()) ** 2) / len(y)
    eta2 = between / np.var(y)
    bins = int((counts > 0).sum())
    return float(max(0.0, eta2 - (bins - 1) / len(y) * (1 - eta2)))


def effective_weights(indicators: pd.DataFrame, spec: Spec | dict | str) -> pd.DataFrame:
    """How much each indicator actually drives the nominal composite.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, ``weight`` (nominal), ``n``, ``pearson_r`` (indicator vs composite, schools
        with the indicator), ``main_effect`` (Paruolo-Saisana-Saltelli S_i, a correlation ratio),
        ``effective_weight`` (main effects rescaled to sum to one) and ``ratio`` (effective /
        nominal). An indicator whose effective weight is far below its nominal weight is largely
        ignored by the composite, whatever its stated weight.
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    ev = evaluate(prep, spec, prep.weights[None], [spec.normalisation], [spec.aggregation])
    composite = ev.zscore[0] if spec.aggregation != "rule_based" else ev.score[0]
    rows = []
    for j, ident in enumerate(prep.ids):
        ok = prep.mask[:, j]
        x = prep.x[ok, j]
        r = float(stats.pearsonr(x, composite[ok])[0]) if ok.sum() > 2 and np.std(x) > 0 else np.nan
        rows.append({"indicator": ident, "weight": prep.weights[j], "n": int(ok.sum()), "pearson_r": r,
                     "main_effect": correlation_ratio(x, composite[ok])})
    out = pd.DataFrame(rows)
    total = out["main_effect"].sum()
    out["effective_weight"] = out["main_effect"] / total if total > 0 else np.nan
    out["ratio"] = out["effective_weight"] / out["weight"]
    return out


# --------------------------------------------------------------------------- comparing specs

def _as_frame(obj: pd.DataFrame | ScorecardSimulation) -> pd.DataFrame:
    frame = obj.summary if isinstance(obj, ScorecardSimulation) else obj
    missing = {"urn", "rank", "band"} - set(frame.columns)
    if missing:
        raise KeyError(f"need columns urn, rank and band (missing {sorted(missing)})")
    order = (frame.sort_values("band_index")["band"].drop_duplicates().tolist() if "band_index" in frame.columns
             else None)
    if isinstance(obj, ScorecardSimulation):
        order = list(obj.spec.labels)
    out = frame[["urn", "rank", "band"]].copy()
    out.attrs["band_order"] = order
    return out


def discordant_pairs(a: np.ndarray, b: np.ndarray) -> int:
    """Number of pairs (i, j) ordered one way by ``a`` and the other by ``b`` (ties in either excluded).

    From Kendall's tau-b: P - Q = tau_b sqrt((n0 - n1)(n0 - n2)) and P + Q = n0 - n1 - n2 + n3.

    Examples
    --------
    >>> discordant_pairs(np.array([1, 2, 3, 4]), np.array([2, 1, 4, 3]))
    2
    """
    a, b = np.asarray(a), np.asarray(b)
    n = len(a)
    if n < 2:
        return 0

    def tied(*cols: np.ndarray) -> float:
        _, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
        return float(np.sum(counts * (counts - 1) / 2))

    n0 = n * (n - 1) / 2
    n1, n2, n3 = tied(a), tied(b), tied(a, b)
    untied = n0 - n1 - n2 + n3
    if n0 - n1 == 0 or n0 - n2 == 0:
        return 0
    tau = stats.kendalltau(a, b, variant="b").statistic
    diff = tau * np.sqrt((n0 - n1) * (n0 - n2))
    return int(round((untied - diff) / 2))


def compare_specs(a: pd.DataFrame | ScorecardSimulation | Spec | dict | str,
                  b: pd.DataFrame | ScorecardSimulation | Spec | dict | str,
                  labels: tuple[str, str] = ("a", "b"), tables: dict[str, pd.DataFrame] | None = None) -> dict:
    """How two scorecards of the same schools disagree.

    Parameters
    ----------
    a, b
        Results with ``urn``, ``rank`` and ``band`` columns: :func:`nominal_composite` frames or
        :class:`ScorecardSimulation` objects (their nominal rank and band are compared); or, with
        ``tables``, two specs (objects, dictionaries or paths), scored here on ``tables``.
    labels
        Names of the two scorecards, for the band cross-table.
    tables
        Validated tables, needed only when ``a`` and ``b`` are specs.

    Returns
    -------
    dict
        ``n_schools`` (in both), ``n_pairs``, ``rank_reversals`` (pairs of schools ordered one way
        by ``a`` and the other by ``b``; ranks recomputed among the common schools),
        ``share_pairs_reversed``, ``kendall_tau``, ``spearman_rho``, ``mean_abs_rank_shift``,
        ``band_flips`` (schools whose band label differs), ``share_band_flips`` and ``band_table``
        (a DataFrame cross-tabulating the bands).
    """
    if tables is not None:
        from inspect_audit.scorecard.composite import nominal_composite
        from inspect_audit.scorecard.indicators import indicator_table

        a, b = (x if isinstance(x, (pd.DataFrame, ScorecardSimulation))
                else nominal_composite(indicator_table(tables, load_spec(x)), load_spec(x)) for x in (a, b))
    elif not all(isinstance(x, (pd.DataFrame, ScorecardSimulation)) for x in (a, b)):
        raise TypeError("compare_specs needs results (DataFrames or ScorecardSimulation), or specs with tables=")
    fa, fb = _as_frame(a), _as_frame(b)
    both = fa.merge(fb, on="urn", suffixes=("_a", "_b"))
    n = len(both)
    ra = stats.rankdata(both["rank_a"].to_numpy(), method="min")
    rb = stats.rankdata(both["rank_b"].to_numpy(), method="min")
    reversals = discordant_pairs(ra, rb)
    n_pairs = n * (n - 1) // 2
    flips = int((both["band_a"].astype(str) != both["band_b"].astype(str)).sum())
    table = pd.crosstab(both["band_a"].rename(f"band ({labels[0]})"), both["band_b"].rename(f"band ({labels[1]})"))
    order_a, order_b = fa.attrs.get("band_order"), fb.attrs.get("band_order")
    if order_a:
        table = table.reindex(index=[x for x in order_a if x in table.index] + [x for x in table.index if x not in order_a])
    if order_b:
        table = table.reindex(columns=[x for x in order_b if x in table.columns] + [x for x in table.columns if x not in order_b])
    return {
        "n_schools": n, "n_pairs": n_pairs, "rank_reversals": reversals,
        "share_pairs_reversed": reversals / n_pairs if n_pairs else np.nan,
        "kendall_tau": float(stats.kendalltau(ra, rb).statistic) if n > 1 else np.nan,
        "spearman_rho": float(stats.spearmanr(ra, rb).statistic) if n > 1 else np.nan,
        "mean_abs_rank_shift": float(np.mean(np.abs(ra - rb))) if n else np.nan,
        "band_flips": flips, "share_band_flips": flips / n if n else np.nan, "band_table": table,
    }
