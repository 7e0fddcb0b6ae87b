"""Intervals, one home each: the package's interval mass (``ci_prob``, 90% unless a caller says otherwise),
Wilson score intervals for proportions and equal-tailed percentile intervals for draws or bootstrap replicates.

Examples
--------
>>> from inspect_audit._core.intervals import wilson_interval, percentile_interval
>>> low, high = wilson_interval([8, 0], [10, 0])   # 8 of 10 (by hand: 0.736 +- 0.195); nothing observed
>>> [round(float(v), 3) for v in low], [round(float(v), 3) for v in high]
([0.541, nan], [0.931, nan])
>>> import numpy as np
>>> [round(float(v), 2) for v in percentile_interval(np.arange(101.0), ci_prob=0.9)]
[5.0, 95.0]
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.stats.proportion import proportion_confint

#: The interval mass every estimate is shown with unless a caller asks for another (argument ``ci_prob``).
CI_PROB = 0.90


def wilson_interval(k, n, ci_prob: float = CI_PROB) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes of ``n`` trials (arrays or numbers), within [0, 1]; NaN where
    ``n`` is 0. Returns ``(low, high)`` as arrays of ``k``'s shape (at least 1-d)."""
    k = np.atleast_1d(np.asarray(k, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    k, n = np.broadcast_arrays(k, n)
    low, high = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(k[ok], n[ok], alpha=1 - ci_prob, method="wilson")
        low[ok], high[ok] = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    return low, high


def percentile_interval(draws, ci_prob: float = CI_PROB, axis: int | None = None,
                        min_finite: int = 1) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Equal-tailed interval of posterior draws or bootstrap replicates along ``axis`` (all values if None),
    ignoring non-finite values; NaN where fewer than ``min_finite`` values are finite."""
    x = np.asarray(draws, dtype=float)
    x = np.where(np.isfinite(x), x, np.nan)
    tail = (1 - ci_prob) / 2
    count = np.sum(np.isfinite(x), axis=axis)
    if np.all(count == 0):
        shape = np.shape(count)
        nan = np.full(shape, np.nan) if shape else float("nan")
        return nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, as wanted
        low, high = np.nanquantile(x, [tail, 1 - tail], axis=axis)
    few = count < min_finite
    if np.ndim(low):
        low, high = np.where(few, np.nan, low), np.where(few, np.nan, high)
    elif few:
        low, high = float("nan"), float("nan")
    else:
        low, high = float(low), float(high)
    return low, high
