"""Monte Carlo uncertainty analysis of a scorecard (JRC/OECD Handbook, step 8).

Each replicate perturbs, at once:

* every indicator by its sampling error (normal, SD = the indicator's SE); the errors of one
  school's judgement indicators may share a component (``uncertainty.judgement_error_corr``);
* the weights, drawn from a Dirichlet distribution centred on the spec's weights
  (parameters ``concentration x weight``; larger concentration = weights closer to the spec);
* the normalisation and the aggregation, each drawn with equal probability from the spec's
  ``uncertainty`` lists.

and records every school's rank and band. The result is, per school, a median rank and a 90%
rank interval (5th to 95th percentile of its ranks), and the probability of each band.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from inspect_audit.scorecard.composite import Prepared, evaluate, prepare
from inspect_audit.scorecard.spec import Spec, load_spec

#: Target size in bytes of one batch of replicates x schools x indicators (float64).
BATCH_BYTES = 24_000_000


def default_workers() -> int:
    """Threads used by default: at most 2 (NumPy sorting and random draws release the GIL)."""
    return max(1, min(2, os.cpu_count() or 1))


def batch_rng(seed_seq: np.random.SeedSequence) -> np.random.Generator:
    """The generator of one batch (SFC64: the fastest NumPy bit generator for normal draws)."""
    return np.random.Generator(np.random.SFC64(seed_seq))


@dataclass
class ScorecardSimulation:
    """Result of :func:`simulate_composites`.

    Attributes
    ----------
    summary
        One row per school: ``urn``, ``n_indicators``, nominal ``score``/``rank``/``band``,
        ``median_z`` (median composite, standardised within replicate), ``median_rank``,
        ``rank_lo``/``rank_hi`` (90% interval), ``rank_interval_width``, ``p_<band label>``
        for each band, ``modal_band`` and ``p_modal_band``.
    replicates
        One row per replicate: ``rep``, ``normalisation``, ``aggregation``, ``w_<id>`` weights
        and ``mean_abs_rank_shift`` (mean over schools of |rank - nominal rank|, the Handbook's
        average shift in ranks).
    ranks
        (n_rep, n_schools) ranks when ``keep_ranks`` was set, else None.
    """

    spec: Spec
    summary: pd.DataFrame
    replicates: pd.DataFrame
    ranks: np.ndarray | None = None
    settings: dict = field(default_factory=dict)

    @property
    def band_columns(self) -> list[str]:
        return [f"p_{label}" for label in self.spec.labels]


def draw_weights(rng: np.random.Generator, weights: np.ndarray, concentration: float, size: int) -> np.ndarray:
    """``size`` Dirichlet draws with mean ``weights`` and parameters ``concentration x weights``."""
    return rng.dirichlet(concentration * np.asarray(weights, float), size=size)


def shared_error_columns(prep: Prepared, spec: Spec) -> list[int]:
    """Columns of judgement indicators whose errors share a component (empty when the correlation is 0)."""
    if spec.judgement_error_corr <= 0:
        return []
    cols = [j for j, ind in enumerate(spec.indicators) if ind.kind == "judgement" and (prep.se[:, j] > 0).any()]
    return cols if len(cols) > 1 else []


def add_shared_error(eps: np.ndarray, cols: list[int], rho: float, common: np.ndarray) -> None:
    """In place: eps[..., j] = sqrt(1 - rho) eps[..., j] + sqrt(rho) common, for j in ``cols``."""
    eps[:, :, cols] = np.sqrt(1 - rho) * eps[:, :, cols] + np.sqrt(rho) * common


def _batch_size(prep: Prepared) -> int:
    return int(max(1, min(500, BATCH_BYTES // (8 * max(1, prep.n) * max(1, prep.k)))))


def _rank_quantiles(ranks: np.ndarray, qs: tuple[float, ...], cols: int = 2048) -> np.ndarray:
    """Quantiles over replicates (axis 0), in column blocks to bound memory; 'lower' method (ranks stay integers)."""
    out = np.empty((len(qs), ranks.shape[1]))
    for start in range(0, ranks.shape[1], cols):
        block = ranks[:, start:start + cols]
        out[:, start:start + cols] = np.quantile(block, qs, axis=0, method="inverted_cdf")
    return out


def simulate_composites(indicators: pd.DataFrame, spec: Spec | dict | str, n_rep: int = 2000,
                        seed: int | None = 0, vary_weights: bool = True, vary_methods: bool = True,
                        sampling_error: bool = True, keep_ranks: bool = False,
                        n_jobs: int | None = None) -> ScorecardSimulation:
    """Monte Carlo distribution of every school's composite rank and band.

    Parameters
    ----------
    indicators
        From :func:`~inspect_audit.scorecard.indicators.indicator_table` (``urn``, indicator
        columns, ``ID_se`` columns).
    spec
        The scorecard spec (object, dictionary or path).
    n_rep
        Number of Monte Carlo replicates.
    seed
        Seed of the random generator; the same seed gives the same result.
    vary_weights
        Draw weights from a Dirichlet around the spec's weights (``uncertainty.weight_concentration``).
    vary_methods
        Draw the normalisation and aggregation from the spec's ``uncertainty`` lists.
    sampling_error
        Perturb indicators by their sampling error.
    keep_ranks
        Keep the full (n_rep, n_schools) rank matrix in the result.
    n_jobs
        Threads (default: up to 2). Results do not depend on it: each batch of replicates has
        its own random stream spawned from ``seed``.

    Returns
    -------
    ScorecardSimulation

    Notes
    -----
    Vectorised over replicates in batches of about 24 MB (float32 when there is sampling error), run on
    ``n_jobs`` threads; ranks are stored as ``uint16``/``uint32``
    and medians/intervals taken at the end, so memory is about ``n_rep x n_schools x 6`` bytes
    (250 MB for 2,000 x 21,000).

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.scorecard import indicator_table, load_spec, simulate_composites
    >>> spec = load_spec("primary_balanced")
    >>> sim = simulate_composites(indicator_table(load_england(), spec), spec, n_rep=200, seed=1)
    >>> sim.summary[["urn", "median_rank", "rank_lo", "rank_hi"]].head(3)
          urn  median_rank  rank_lo  rank_hi
    0  100000        731.0    240.0   1773.0
    1  100008       1837.0    594.0   3954.0
    2  100010       3025.0   1160.0   5319.0
    """
    spec = load_spec(spec)
    if n_rep < 1:
        raise ValueError("n_rep must be at least 1")
    prep = prepare(indicators, spec)
    root = np.random.SeedSequence(seed)
    main_seq, batch_root = root.spawn(2)
    rng = np.random.default_rng(main_seq)
    n, k = prep.n, prep.k
    weights = (draw_weights(rng, prep.weights, spec.weight_concentration, n_rep) if vary_weights
               else np.tile(prep.weights, (n_rep, 1)))
    if vary_methods:
        norms = np.asarray(spec.alt_normalisations)[rng.integers(0, len(spec.alt_normalisations), n_rep)]
        aggs = np.asarray(spec.alt_aggregations)[rng.integers(0, len(spec.alt_aggregations), n_rep)]
    else:
        norms = np.full(n_rep, spec.normalisation)
        aggs = np.full(n_rep, spec.aggregation)
    use_error = sampling_error and bool((prep.se > 0).any())

    nominal = evaluate(prep, spec, prep.weights[None], [spec.normalisation], [spec.aggregation])
    nominal_rank = nominal.rank[0]
    rank_dtype = np.uint16 if n < 65_535 else np.uint32
    ranks = np.empty((n_rep, n), dtype=rank_dtype)
    zs = np.empty((n_rep, n), dtype=np.float32)
    shift = np.empty(n_rep)
    step = _batch_size(prep)
    starts = list(range(0, n_rep, step))
    seqs = batch_root.spawn(len(starts))

    shared = shared_error_columns(prep, spec) if use_error else []

    def run_batch(i: int) -> np.ndarray:
        start, stop = starts[i], min(n_rep, starts[i] + step)
        eps = None
        if use_error:
            rng_b = batch_rng(seqs[i])
            eps = rng_b.standard_normal((stop - start, n, k), dtype=np.float32)
            if shared:
                add_shared_error(eps, shared, spec.judgement_error_corr,
                                 rng_b.standard_normal((stop - start, n, 1), dtype=np.float32))
        ev = evaluate(prep, spec, weights[start:stop], norms[start:stop], aggs[start:stop], eps)
        ranks[start:stop] = ev.rank
        zs[start:stop] = ev.zscore
        shift[start:stop] = np.abs(ev.rank - nominal_rank).mean(axis=1)
        counts = np.empty((n, spec.n_bands), dtype=np.int64)
        for b in range(spec.n_bands):
            counts[:, b] = (ev.band == b).sum(axis=0)
        return counts

    workers = n_jobs or default_workers()
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            band_counts = sum(pool.map(run_batch, range(len(starts))))
    else:
        band_counts = sum(run_batch(i) for i in range(len(starts)))

    q = _rank_quantiles(ranks, (0.05, 0.5, 0.95))
    probs = band_counts / n_rep
    summary = pd.DataFrame({
        "urn": prep.urns, "n_indicators": prep.mask.sum(axis=1),
        "score": nominal.score[0], "rank": nominal_rank,
        "band": np.asarray(spec.labels, dtype=object)[nominal.band[0]],
        "median_z": np.median(zs, axis=0), "median_rank": q[1], "rank_lo": q[0], "rank_hi": q[2],
    })
    summary["rank_interval_width"] = summary["rank_hi"] - summary["rank_lo"]
    for b, label in enumerate(spec.labels):
        summary[f"p_{label}"] = probs[:, b]
    modal = probs.argmax(axis=1)
    summary["modal_band"] = np.asarray(spec.labels, dtype=object)[modal]
    summary["p_modal_band"] = probs.max(axis=1)
    replicates = pd.DataFrame({"rep": np.arange(n_rep), "normalisation": norms, "aggregation": aggs})
    for j, ident in enumerate(prep.ids):
        replicates[f"w_{ident}"] = weights[:, j]
    replicates["mean_abs_rank_shift"] = shift
    settings = {"n_rep": n_rep, "seed": seed, "vary_weights": vary_weights, "vary_methods": vary_methods,
                "sampling_error": use_error, "n_schools": n, "batch_size": step}
    return ScorecardSimulation(spec=spec, summary=summary, replicates=replicates,
                               ranks=ranks if keep_ranks else None, settings=settings)
