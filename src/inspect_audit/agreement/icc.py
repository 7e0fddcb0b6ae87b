"""Intraclass correlations and Cronbach's alpha for a units x raters matrix.

Input everywhere is a ``units x raters`` float matrix; ``NaN`` marks a missing rating and
units may have different numbers of raters.

Estimator
---------
All ICCs are ratios of variance components.  The components come from **moment
(ANOVA-type) estimators**, never from dropping incomplete units:

* two-way model ``y_ij = mu + a_i + b_j + e_ij`` (unit ``a``, rater ``b``, residual ``e``):
  **Henderson's method III** (fitting constants; Henderson 1953; Searle, Casella &
  McCulloch 1992, *Variance Components*, ch. 5) using the reductions ``SSE``, ``R(b | mu, a)`` and
  ``R(a | mu, b)`` of the unbalanced additive two-way model.  The least-squares fit is
  done by absorbing the unit effects (a ``raters x raters`` reduced normal-equation
  system built with :mod:`scipy.sparse`), so the cost is linear in the number of ratings.
* one-way model ``y_ij = mu + a_i + e_ij`` (for ICC(1, .)): the unbalanced one-way ANOVA
  estimator with ``n0 = (N - sum n_i^2 / N) / (units - 1)`` (Searle et al. 1992, ch. 3).
  It assumes each unit's raters are a fresh random draw; when the same raters recur
  across units (crossed designs) prefer ICC(2, .) -- ICC(1, .) intervals then undercover.

With complete data both reduce exactly to the mean-square formulas of Shrout & Fleiss
(1979) and McGraw & Wong (1996), and the intervals are their exact F-based intervals.

With missing data ``k`` (the number of ratings an average-measure ICC refers to) is the
**harmonic mean number of ratings per unit**.  The intervals are the same F-based
constructions written for the expected-mean-square coefficients of the unbalanced fit
(``c_unit = (N - raters) / df_unit``, ``c_rater = (N - units) / df_rater``, ``n0``) and its
real degrees of freedom; because unbalanced mean squares are only approximately scaled
chi-square they are approximate.  In simulations (90 % level, 100-300 units, 3-10
raters, 30-70 % missing) coverage was 0.89-0.91 for ICC(C, .), 0.86-0.91 for ICC(1, .)
under a one-way model, and 0.81-0.89 for ICC(A, .) -- no worse than McGraw & Wong's
interval on complete data, which itself undercovers with few raters (0.76 with 3).
``n_boot > 0`` gives percentile intervals from a seeded bootstrap over units instead;
raters are then held fixed, so those intervals omit rater-sampling uncertainty and are
too narrow for ICC(A, .) when raters are few.

A coefficient that is 0/0 on the data (every rating the same, fewer than two units with
two ratings, a mean square without degrees of freedom) is returned with ``estimate = nan``
and a ``method`` whose last clause starts with ``"undefined:"`` and says why, as in
:mod:`~inspect_audit.agreement.coefficients`; no warning is emitted.

Units with fewer than two ratings carry no information about within-unit agreement and
are dropped (so are raters left with no ratings); ``n`` in every result is the number of
units used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy import stats
from scipy.sparse.csgraph import connected_components

from inspect_audit._core.intervals import CI_PROB, percentile_interval
from inspect_audit.agreement.coefficients import check_ci_prob

__all__ = [
    "ICC_NAMES",
    "ICC_METHODS",
    "VarianceComponents",
    "prepare_matrix",
    "variance_components",
    "bootstrap_components",
    "icc_estimates",
    "cronbach_alpha",
    "bootstrap_note",
]

ICC_NAMES = ("icc1_1", "icc2_1", "icc3_1", "icc1_k", "icc2_k", "icc3_k")

ICC_METHODS = {
    "icc1_1": "ICC(1,1) = ICC(1), one-way random, single rater, absolute agreement",
    "icc2_1": "ICC(2,1) = ICC(A,1), two-way random, single rater, absolute agreement",
    "icc3_1": "ICC(3,1) = ICC(C,1), two-way mixed, single rater, consistency",
    "icc1_k": "ICC(1,k) = ICC(k), one-way random, mean of k raters, absolute agreement",
    "icc2_k": "ICC(2,k) = ICC(A,k), two-way random, mean of k raters, absolute agreement",
    "icc3_k": "ICC(3,k) = ICC(C,k), two-way mixed, mean of k raters, consistency",
}

# Dense reduced normal equations up to this many raters; conjugate gradients beyond.
_DENSE_MAX_RATERS = 200


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Ratings:
    """Observed ratings as triplets on compacted unit / rater indices."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    p: int
    q: int


def _ratings(x, min_per_unit: int = 2) -> _Ratings:
    """Validate a units x raters matrix and keep its observed ratings.

    Units with fewer than ``min_per_unit`` ratings are dropped, then raters left with
    no rating; indices are renumbered.  ``NaN`` is missing; infinities are an error.
    Only two passes touch the full matrix; everything else is O(ratings).
    """
    a = np.asarray(x, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D units x raters matrix, got shape {a.shape}")
    rows, cols = np.nonzero(~np.isnan(a))
    vals = a[rows, cols]
    if np.isinf(vals).any():
        raise ValueError("ratings must be finite (use NaN for missing)")
    keep_u = np.bincount(rows, minlength=a.shape[0]) >= min_per_unit
    sel = keep_u[rows]
    rows, cols, vals = rows[sel], cols[sel], vals[sel]
    keep_r = np.bincount(cols, minlength=a.shape[1]) > 0
    new_u = np.cumsum(keep_u) - 1
    new_r = np.cumsum(keep_r) - 1
    return _Ratings(new_u[rows], new_r[cols], vals, int(keep_u.sum()), int(keep_r.sum()))


def _pairs_within_units(rows: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(a, b)`` of every ordered pair of ratings of the same unit (``a == b``
    included), in O(sum of squared ratings per unit)."""
    order = np.argsort(rows, kind="stable")
    n_i = np.bincount(rows, minlength=p)
    start = np.cumsum(n_i) - n_i
    size = n_i[rows[order]]  # size of the unit of each (sorted) rating
    a = np.repeat(np.arange(order.size), size)
    offset = np.arange(a.size) - np.repeat(np.cumsum(size) - size, size)
    b = start[rows[order]][a] + offset
    return order[a], order[b]


def _constant(r: _Ratings) -> bool:
    """Every kept rating has the same value (zero variance)."""
    return bool(r.vals.size) and bool(r.vals.min() == r.vals.max())


def bootstrap_note(n_boot: int, seed) -> str:
    """How a unit-bootstrap interval of this module was made (for ``method`` texts)."""
    return f"percentile bootstrap over units, raters fixed ({n_boot} resamples, seed {seed})"


def prepare_matrix(x) -> np.ndarray:
    """The units x raters matrix the estimators actually use: units with fewer than two
    ratings and raters left with no rating are dropped (``NaN`` = missing)."""
    r = _ratings(x)
    out = np.full((r.p, r.q), np.nan)
    out[r.rows, r.cols] = r.vals
    return out


@dataclass(frozen=True)
class VarianceComponents:
    """Moment estimates of the variance components of a units x raters matrix.

    Two-way (Henderson III) mean squares and the coefficients of their expectations::

        E[msr] = s2_e + c_unit  * s2_unit     msr = R(a | mu, b) / df_unit
        E[msc] = s2_e + c_rater * s2_rater    msc = R(b | mu, a) / df_rater
        E[mse] = s2_e                         mse = SSE / df_residual

    and one-way ANOVA mean squares ``E[msb] = s2_w + n0 s2_unit1``, ``E[msw] = s2_w``.
    With complete data (n units x k raters) ``c_unit = n0 = k``, ``c_rater = n`` and the
    mean squares are the classical ones of Shrout & Fleiss (1979).  ``unit``,
    ``rater`` and ``residual`` (interaction confounded with error) are the two-way
    components, ``unit_oneway`` and ``within_oneway`` (rater + residual) the one-way
    ones.  Estimates are *not* truncated at zero.
    """

    msr: float
    msc: float
    mse: float
    msb: float
    msw: float
    c_unit: float
    c_rater: float
    n0: float
    df_unit: int
    df_rater: int
    df_residual: int
    df_between: int
    df_within: int
    n_units: int
    n_raters: int
    n_ratings: int
    k_harmonic: float
    complete: bool

    @property
    def unit(self) -> float:
        """Unit (true-score) variance, two-way model."""
        return (self.msr - self.mse) / self.c_unit

    @property
    def rater(self) -> float:
        """Rater (leniency) variance, two-way model."""
        return (self.msc - self.mse) / self.c_rater

    @property
    def residual(self) -> float:
        """Residual variance (unit x rater interaction + error), two-way model."""
        return self.mse

    @property
    def unit_oneway(self) -> float:
        """Unit variance, one-way model."""
        return (self.msb - self.msw) / self.n0

    @property
    def within_oneway(self) -> float:
        """Within-unit variance (rater + residual), one-way model."""
        return self.msw


def _nan_components(n_units, n_raters, n_ratings) -> VarianceComponents:
    nan = float("nan")
    return VarianceComponents(nan, nan, nan, nan, nan, nan, nan, nan, 0, 0, 0, 0, 0,
                              n_units, n_raters, n_ratings, nan, False)


def _solve_psd(c: sp.csr_matrix, rhs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Solve ``C b = rhs`` for a singular PSD ``C`` whose null space is spanned by the
    indicator vectors of ``labels`` (connected components); ``rhs`` lies in its range.

    Adding ``v v'`` for every null vector makes the system positive definite without
    changing ``b' rhs`` (the only quantity used).
    """
    q = c.shape[0]
    ind = sp.csr_matrix((np.ones(q), (np.arange(q), labels)), shape=(q, labels.max() + 1))
    if q <= _DENSE_MAX_RATERS:
        m = c.toarray() + (ind @ ind.T).toarray()
        return np.linalg.solve(m, rhs)
    from scipy.sparse.linalg import LinearOperator, cg

    op = LinearOperator((q, q), matvec=lambda v: c @ v + ind @ (ind.T @ v), dtype=float)
    diag = c.diagonal() + 1.0
    pre = LinearOperator((q, q), matvec=lambda v: v / diag, dtype=float)
    sol, info = cg(op, rhs, rtol=1e-12, maxiter=10 * q, M=pre)
    if info != 0:  # pragma: no cover - safety net
        sol = np.linalg.lstsq((c + ind @ ind.T).toarray(), rhs, rcond=None)[0]
    return sol


# Raters up to this many: the off-diagonal of the reduced normal equations is built
# with one ``bincount`` over all within-unit rater pairs; sparse products beyond.
# (Everything in the estimator avoids BLAS on long vectors: on a busy machine threaded
# OpenBLAS calls on tall-thin arrays can be 100x slower than the work itself.)
_PAIRS_MAX_RATERS = 32


@dataclass(frozen=True)
class _Layout:
    """A prepared matrix in the forms the estimator needs (built once, reused by the
    bootstrap, which only changes the unit weights)."""

    p: int
    q: int
    rows: np.ndarray  # unit index of each rating
    cols: np.ndarray  # rater index of each rating
    y: np.ndarray  # ratings, centred at their mean
    n_i: np.ndarray  # ratings per unit
    y_i: np.ndarray  # centred unit totals
    ss_i: np.ndarray  # centred unit sums of squares
    incid: sp.csr_matrix  # units x raters 0/1 incidence
    pair_unit: np.ndarray | None  # unit of each ordered within-unit rater pair
    pair_key: np.ndarray | None  # j * q + l for that pair


def _layout(r: _Ratings) -> _Layout:
    p, q, rows, cols = r.p, r.q, r.rows, r.cols
    y = r.vals - (r.vals.mean() if r.vals.size else 0.0)  # shift invariant; stability
    n_i = np.bincount(rows, minlength=p).astype(float)
    y_i = np.bincount(rows, weights=y, minlength=p)
    ss_i = np.bincount(rows, weights=y * y, minlength=p)
    incid = sp.csr_matrix((np.ones(y.size), (rows, cols)), shape=(p, q))
    pair_unit = pair_key = None
    if q <= _PAIRS_MAX_RATERS:
        ra, rb = _pairs_within_units(rows, p)
        pair_unit, pair_key = rows[ra], cols[ra] * q + cols[rb]
    return _Layout(p, q, rows, cols, y, n_i, y_i, ss_i, incid, pair_unit, pair_key)


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    return float((u * v).sum())


def _fit(lay: _Layout, w: np.ndarray | None = None) -> VarianceComponents:
    """Henderson III and one-way ANOVA mean squares, with optional unit frequency
    weights ``w`` (a bootstrap resample: unit ``i`` appears ``w[i]`` times, each copy
    with its own unit effect).  ``w = None`` is the plain estimator."""
    n_i, y_i, ss_i, q = lay.n_i, lay.y_i, lay.ss_i, lay.q
    w = np.ones(lay.p) if w is None else np.asarray(w, float)
    p_eff = float(w.sum())
    n_tot = _dot(w, n_i)
    w_r = w[lay.rows]  # weight of each rating
    n_j = np.bincount(lay.cols, weights=w_r, minlength=q)
    y_j = np.bincount(lay.cols, weights=w_r * lay.y, minlength=q)
    q_eff = int(np.count_nonzero(n_j))
    if p_eff < 2 or q_eff < 2:
        return _nan_components(int(p_eff), q_eff, int(n_tot))

    sum_y = _dot(w, y_i)
    r_mu = sum_y**2 / n_tot  # R(mu) for the centred data
    ss_total = _dot(w, ss_i) - r_mu

    # ---- one-way ANOVA (units only)
    r_mu_a = _dot(w, y_i**2 / n_i) - r_mu  # R(a | mu)
    df_b, df_w = int(round(p_eff)) - 1, int(round(n_tot - p_eff))
    n0 = (n_tot - _dot(w, n_i**2) / n_tot) / df_b
    msw = (ss_total - r_mu_a) / df_w if df_w > 0 else float("nan")
    msb = r_mu_a / df_b

    # ---- additive two-way model, Henderson method III: absorb unit effects and solve
    # the reduced normal equations C b = rhs for the rater effects,
    # C = diag(n_j) - N' diag(w / n_i) N,  rhs = y_j - N' diag(w / n_i) y_i
    wn = w / n_i
    rhs = np.bincount(lay.cols, weights=w_r * lay.y - (wn * y_i)[lay.rows], minlength=q)
    if lay.pair_key is not None:
        off = np.bincount(lay.pair_key, weights=wn[lay.pair_unit], minlength=q * q)
        c_mat = sp.csr_matrix(np.diag(n_j) - off.reshape(q, q))
    else:
        c_mat = (sp.diags(n_j) - lay.incid.T @ sp.diags(wn) @ lay.incid).tocsr()
    # raters are connected when they share a unit (off-diagonal of C non-zero); units
    # all have >= 2 ratings, so components of the rater graph are those of the design.
    # Raters with no rating (weight 0) are isolated and excluded from the count.
    graph = c_mat.copy()
    graph.data = np.abs(graph.data) > 1e-12
    graph.eliminate_zeros()
    _, labels = connected_components(graph, directed=False)
    n_comp = len(np.unique(labels[n_j > 0]))
    b_hat = _solve_psd(c_mat, rhs, labels)
    r_b_given_a = _dot(b_hat, rhs)  # R(b | mu, a)
    r_full = r_mu_a + r_b_given_a  # R(mu, a, b) - R(mu)
    pos = n_j > 0
    r_mu_b = float(np.sum(y_j[pos] ** 2 / n_j[pos])) - r_mu  # R(b | mu)
    r_a_given_b = r_full - r_mu_b  # R(a | mu, b)
    sse = max(ss_total - r_full, 0.0)

    p_int = int(round(p_eff))
    df_e = int(round(n_tot)) - (p_int + q_eff - n_comp)
    df_r = q_eff - n_comp  # rank of R(b | mu, a)
    df_u = p_int - n_comp  # rank of R(a | mu, b)
    nan = float("nan")
    mse = sse / df_e if df_e > 0 else nan
    msc = r_b_given_a / df_r if df_r > 0 else nan
    msr = r_a_given_b / df_u if df_u > 0 else nan
    # E[R(b|mu,a)] = df_r s2_e + tr(C) s2_b,  tr(C) = N - sum_ij n_ij^2 / n_i = N - p
    # E[R(a|mu,b)] = df_u s2_e + (N - sum_ij n_ij^2 / n_j) s2_a = ... + (N - q) s2_a
    c_rater = (n_tot - p_eff) / df_r if df_r > 0 else nan
    c_unit = (n_tot - q_eff) / df_u if df_u > 0 else nan

    k_h = p_eff / _dot(w, 1.0 / n_i)
    return VarianceComponents(
        msr=float(msr), msc=float(msc), mse=float(mse), msb=float(msb), msw=float(msw),
        c_unit=float(c_unit), c_rater=float(c_rater), n0=float(n0),
        df_unit=int(df_u), df_rater=int(df_r), df_residual=int(df_e),
        df_between=int(df_b), df_within=int(df_w),
        n_units=p_int, n_raters=q_eff, n_ratings=int(round(n_tot)), k_harmonic=float(k_h),
        complete=bool(round(n_tot) == p_int * q_eff),
    )


def variance_components(x) -> VarianceComponents:
    """Henderson-III (two-way) and one-way ANOVA variance components of ``x``.

    ``x`` is a units x raters matrix with ``NaN`` for missing ratings.  Incomplete
    units are kept; only units with fewer than two ratings are dropped.
    """
    return _fit(_layout(_ratings(x)))


def _bootstrap_fits(lay: _Layout, n_boot: int, seed) -> list[VarianceComponents]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(n_boot)):
        w = np.bincount(rng.integers(0, lay.p, size=lay.p), minlength=lay.p)
        out.append(_fit(lay, w))
    return out


def bootstrap_components(x, n_boot: int, seed: int | None = 0) -> list[VarianceComponents]:
    """Variance components re-estimated on ``n_boot`` bootstrap resamples of units.

    Resampling (of the units kept by :func:`prepare_matrix`) uses a seeded
    ``numpy.random.default_rng``; each resample is fitted with unit frequency weights (a
    unit drawn twice counts as two units), which is the same estimator as
    :func:`variance_components` on the resampled matrix, without building it.  Raters
    are held fixed, so intervals from these replicates do not reflect the sampling of
    raters (they understate the uncertainty of the rater variance when raters are few).
    """
    return _bootstrap_fits(_layout(_ratings(x)), n_boot, seed)


# ------------------------------------------------------------------------------ ICC


def _icc_points(vc: VarianceComponents) -> dict[str, float]:
    """The six ICCs as ratios of variance components (untruncated)."""
    k = np.float64(vc.k_harmonic)
    a1, w1 = np.float64(vc.unit_oneway), np.float64(vc.within_oneway)
    a, b, e = np.float64(vc.unit), np.float64(vc.rater), np.float64(vc.residual)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "icc1_1": a1 / (a1 + w1),
            "icc2_1": a / (a + b + e),
            "icc3_1": a / (a + e),
            "icc1_k": a1 / (a1 + w1 / k),
            "icc2_k": a / (a + (b + e) / k),
            "icc3_k": a / (a + e / k),
        }


def _ratio_to_icc(theta: float, k: float) -> float:
    """ICC for ``k`` ratings from a variance ratio ``theta`` (unit variance over the
    variance of one rating's error): ``k theta / (1 + k theta)``.

    ``theta = inf`` (an error mean square of 0) gives 1; ``1 + k theta <= 0`` (a lower
    limit below ``-1 / k``, possible with unbalanced data) gives ``-inf``: the map has a
    pole there, so every value below the upper limit is compatible with the data.
    """
    if np.isnan(theta):
        return float("nan")
    if np.isposinf(theta):
        return 1.0
    if 1.0 + k * theta <= 0.0:
        return float("-inf")
    return float(k * theta / (1.0 + k * theta))


_NO_DF = "no F-based interval: a mean square it needs has no degrees of freedom"
_ZERO_ZERO = ("no F-based interval: the mean squares it compares are both zero, so their F ratio is 0/0 "
              "(the point estimate rests on the other components)")
_POINT_ONE = ("the error mean square is 0 (ratings agree exactly, up to a constant rater shift where "
              "the form allows one), so the F-based interval is the single point 1, as in psych::ICC")
_UNBOUNDED = ("lower limit -inf: the F-based lower limit of the variance ratio is below -1/k (unbalanced "
              "data, few ratings), where the average-measure ICC has its pole, so the data rule out no "
              "negative value")


def _f_intervals(vc: VarianceComponents, ci_prob: float) -> tuple[dict[str, tuple[float, float]],
                                                                   dict[str, str | None]]:
    """F-based intervals of Shrout & Fleiss (1979) and McGraw & Wong (1996), and a note
    per ICC (``None`` when the interval is an ordinary one).

    Written for general expected-mean-square coefficients: with ``F = MS_a / MS_e`` and
    ``E[MS_a] = s2_e + c s2_a``, ``theta = s2_a / s2_e`` has limits
    ``(F / F_crit - 1) / c``.  For ICC(A,1) McGraw & Wong's Satterthwaite construction
    is solved with ``c_unit`` and ``c_rater`` in place of ``k`` and ``n``.  Each ICC is
    ``k theta / (1 + k theta)`` (``k = 1`` single, ``k`` = ratings per unit average
    measures), so the limits of every form are the limits of its ``theta`` mapped by
    :func:`_ratio_to_icc`; with complete data (``c_unit = k``, ``c_rater = n``) these
    are exactly the published intervals (for average measures, the Spearman-Brown
    transforms of the single-measure limits).  With missing data the mean squares are
    only approximately scaled chi-square, so the intervals are approximate.
    """
    q = (1.0 + ci_prob) / 2.0
    k = float(vc.k_harmonic)
    nan = float("nan")
    thetas: dict[str, tuple[float, float]] = {}
    notes: dict[str, str | None] = {}

    def ratio_limits(ms_a, ms_e, df1, df2, c):
        """Limits of theta = s2_a / s2_e from F = ms_a / ms_e on (df1, df2) df."""
        if ms_e == 0.0 and ms_a > 0.0:
            return np.inf, np.inf
        f = np.float64(ms_a) / ms_e
        return (f / stats.f.ppf(q, df1, df2) - 1) / c, (f * stats.f.ppf(q, df2, df1) - 1) / c

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # one-way: F = MSB / MSW, coefficient n0
        if min(vc.df_between, vc.df_within) > 0:
            thetas["icc1"] = ratio_limits(vc.msb, vc.msw, vc.df_between, vc.df_within, vc.n0)
        # two-way consistency: F = MSR / MSE, coefficient c_unit
        if min(vc.df_unit, vc.df_residual) > 0:
            thetas["icc3"] = ratio_limits(vc.msr, vc.mse, vc.df_unit, vc.df_residual, vc.c_unit)
        # two-way absolute agreement (McGraw & Wong 1996, Table 7 / appendix): at the
        # boundary rho, MSR has the expectation of a MSC + b MSE; Satterthwaite df v.
        # theta here is s2_unit / (s2_rater + s2_residual).
        if min(vc.df_unit, vc.df_rater, vc.df_residual) > 0:
            msr, msc, mse = np.float64(vc.msr), np.float64(vc.msc), np.float64(vc.mse)
            cu, cr = np.float64(vc.c_unit), np.float64(vc.c_rater)
            if msc == 0.0 and mse == 0.0 and msr > 0.0:
                thetas["icc2"] = (np.inf, np.inf)
            else:
                rho = _icc_points(vc)["icc2_1"]
                tau = rho / (1 - rho)
                aa = cu * tau / cr
                bb = 1 + cu * tau - aa
                v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / vc.df_rater
                                                  + (bb * mse) ** 2 / vc.df_residual)
                f_lo = stats.f.ppf(q, vc.df_unit, v)
                f_hi = stats.f.ppf(q, v, vc.df_unit)
                scale = cu * (msc / cr + mse * (1 - 1 / cr))
                thetas["icc2"] = ((msr - f_lo * mse) / (f_lo * scale), (f_hi * msr - mse) / scale)
    out: dict[str, tuple[float, float]] = {}
    for name in ICC_NAMES:
        family, measures = name.split("_")
        if family not in thetas:
            out[name], notes[name] = (nan, nan), _NO_DF
            continue
        t_lo, t_hi = (float(t) for t in thetas[family])
        kk = 1.0 if measures == "1" else k
        out[name] = (_ratio_to_icc(t_lo, kk), _ratio_to_icc(t_hi, kk))
        notes[name] = (_ZERO_ZERO if np.isnan(out[name]).any() else _POINT_ONE if np.isposinf(t_lo) else
                       _UNBOUNDED if np.isneginf(out[name][0]) else None)
    return out, notes


def _icc_undefined_reason(name: str, vc: VarianceComponents, constant: bool) -> str:
    if constant:
        return "undefined: every rating is the same (zero variance), so the ICC is 0/0"
    if vc.n_units < 2:
        return "undefined: fewer than two units have two or more ratings"
    mean_squares = (vc.msb, vc.msw) if name.startswith("icc1") else (vc.msr, vc.msc, vc.mse)
    if not np.all(np.isfinite(mean_squares)):
        return ("undefined: too few overlapping ratings to estimate every variance component "
                "(a mean square has no degrees of freedom)")
    return ("undefined: the variance components in its denominator sum to zero (for example "
            "ratings that differ only between raters), so it is 0/0")


def icc_estimates(x: ArrayLike, ci_prob: float = CI_PROB, *, n_boot: int = 0,
                  seed: int | None = 0) -> dict[str, dict]:
    """Six intraclass correlations of a units x raters matrix (``NaN`` = missing).

    Parameters
    ----------
    x : array_like
        Units x raters ratings, any real numbers (no category list is needed);
        ``NaN`` = not rated.
    ci_prob : float
        Probability covered by the two-sided interval (default 0.90).
    n_boot : int
        ``0``: F-based intervals; ``> 0``: seeded percentile bootstrap over units.
    seed : int, optional
        Bootstrap seed.

    Returns
    -------
    dict
        ``{name: {estimate, se, ci_low, ci_high, method, n}}`` for the names in
        :data:`ICC_NAMES` (``se`` is always ``None``; ``n`` = units with two or more
        ratings).  Shrout & Fleiss (1979) and McGraw & Wong (1996) notation are both
        given in ``method``.

    Notes
    -----
    Complete data: ANOVA formulas and exact F-based intervals for all six forms (equal
    to R's ``psych::ICC`` and ``pingouin.intraclass_corr``).  Missing data: Henderson
    method III (two-way) and unbalanced one-way ANOVA moment estimates of the variance
    components, with ``k`` = harmonic mean number of ratings per unit; intervals are
    approximate F-based intervals, or seeded percentile-bootstrap intervals over units
    when ``n_boot > 0`` (see the module docstring for their coverage and limits).  An
    error mean square of 0 gives the interval ``[1, 1]`` (said in ``method``); an
    F-based interval is missing only where a mean square has no degrees of freedom, and
    ``method`` says so.  An ICC that is 0/0 on the data has ``estimate = nan`` and says
    why in ``method`` (``"undefined: ..."``).

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> import numpy as np
    >>> from inspect_audit.agreement.icc import icc_estimates
    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> res = icc_estimates(x, ci_prob=0.95)
    >>> {name: round(r["estimate"], 2) for name, r in res.items()}
    {'icc1_1': 0.17, 'icc2_1': 0.29, 'icc3_1': 0.71, 'icc1_k': 0.44, 'icc2_k': 0.62, 'icc3_k': 0.91}
    >>> print(f"{res['icc2_1']['ci_low']:.3f} to {res['icc2_1']['ci_high']:.3f} (n = {res['icc2_1']['n']})")
    0.019 to 0.761 (n = 6)
    """
    check_ci_prob(ci_prob)
    r = _ratings(x)
    constant = _constant(r)
    lay = _layout(r)
    vc = _fit(lay)
    points = _icc_points(vc)
    if n_boot > 0 and vc.n_units >= 2:
        reps = np.array([list(_icc_points(rep).values())
                         for rep in _bootstrap_fits(lay, n_boot, seed)])
        cis = {name: percentile_interval(reps[:, j], ci_prob) for j, name in enumerate(ICC_NAMES)}
        notes = {name: None if np.isfinite(cis[name][0]) else
                 "no bootstrap interval: the ICC is undefined in every resample" for name in ICC_NAMES}
        ci_note = bootstrap_note(n_boot, seed)
    else:
        cis, notes = _f_intervals(vc, ci_prob)
        ci_note = ("exact F-based interval (Shrout & Fleiss 1979; McGraw & Wong 1996)"
                   if vc.complete else
                   "approximate F-based interval (unbalanced mean squares)")
    if vc.complete:
        est_note = f"complete data, k = {vc.n_raters}"
    else:
        est_note = ("missing data: Henderson III / one-way ANOVA moment estimates, "
                    f"k = {vc.k_harmonic:.2f} (harmonic mean ratings per unit)")
    nan = float("nan")
    out = {}
    for name in ICC_NAMES:
        estimate = float(points[name]) if np.isfinite(points[name]) and not constant else nan
        if np.isfinite(estimate):
            lo, hi = cis[name]
            method = f"{ICC_METHODS[name]}; {est_note}; {ci_note}, {ci_prob:.0%}"
            if notes[name]:
                method += f"; {notes[name]}"
        else:
            lo = hi = nan
            method = f"{ICC_METHODS[name]}; {_icc_undefined_reason(name, vc, constant)}"
        out[name] = {"estimate": estimate, "se": None, "ci_low": lo, "ci_high": hi,
                     "method": method, "n": int(vc.n_units)}
    return out


# ------------------------------------------------------------------------ Cronbach

# Bootstrap of alpha with dense per-unit features up to this many cells (units x 3 q^2).
_ALPHA_DENSE_MAX = 8_000_000


def _alpha_features(r: _Ratings) -> sp.csr_matrix | None:
    """Per-unit sums behind the pairwise-complete rater covariances (``None`` when some
    pair of raters shares fewer than two units).

    Row ``i``, column ``j * q + l`` of three ``q x q`` blocks, for raters ``j`` and ``l``
    who both rated unit ``i``: 1 (shared units), ``z_ij z_il`` (cross-products) and
    ``z_ij`` (sum of rater ``j`` over the units ``l`` rated too), with ``z`` the ratings
    centred at their rater's mean (covariances are shift invariant per pair).  Summed
    with unit weights they give the covariances of a bootstrap resample.
    """
    p, q = r.p, r.q
    a, b = _pairs_within_units(r.rows, p)
    key = r.cols[a] * q + r.cols[b]
    if (np.bincount(key, minlength=q * q) < 2).any():
        return None
    z = r.vals - (np.bincount(r.cols, weights=r.vals, minlength=q)
                  / np.bincount(r.cols, minlength=q))[r.cols]
    qq = q * q
    return sp.csr_matrix((np.concatenate([np.ones(a.size), z[a] * z[b], z[a]]),
                          (np.tile(r.rows[a], 3), np.concatenate([key, qq + key, 2 * qq + key]))),
                         shape=(p, 3 * qq))


def _alpha_from_sums(s: np.ndarray, q: int) -> np.ndarray:
    """Cronbach's alpha from ``(batch, 3 q^2)`` column sums of :func:`_alpha_features`;
    ``nan`` where a pair shares fewer than two units or the total has no variance."""
    qq = q * q
    nij, sxy, sx = (s[:, k * qq:(k + 1) * qq].reshape(-1, q, q) for k in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(nij < 2, np.nan, (sxy - sx * sx.transpose(0, 2, 1) / nij) / (nij - 1))
        total = cov.sum(axis=(1, 2))
        trace = np.trace(cov, axis1=1, axis2=2)
        alpha = q / (q - 1) * (1 - trace / total)
    return np.where(np.abs(total) > 1e-12 * np.abs(trace), alpha, np.nan)


def _alpha_bootstrap(feat: sp.csr_matrix, q: int, n_boot: int, seed) -> np.ndarray:
    """Alpha on ``n_boot`` resamples of units (same draws as :func:`bootstrap_components`)."""
    rng = np.random.default_rng(seed)
    p, width = feat.shape
    # a dense matrix product is ~10x faster than the sparse one while the features fit
    dense = feat.toarray() if p * width <= _ALPHA_DENSE_MAX else None
    feat_t = feat.T.tocsr()
    chunk = max(1, min(n_boot, 4_000_000 // max(p, width)))
    out = []
    for start in range(0, n_boot, chunk):
        w = np.array([np.bincount(rng.integers(0, p, size=p), minlength=p)
                      for _ in range(min(chunk, n_boot - start))], dtype=float)
        out.append(_alpha_from_sums(w @ dense if dense is not None else (feat_t @ w.T).T, q))
    return np.concatenate(out)


def cronbach_alpha(x: ArrayLike, ci_prob: float = CI_PROB, *, n_boot: int = 0,
                   seed: int | None = 0) -> dict:
    """Cronbach's alpha treating raters as items; same dict shape as one ICC.

    The item covariance matrix is estimated **pairwise-complete** (each covariance
    from the units both raters rated, each variance from all of a rater's ratings),
    alpha = q/(q-1) (1 - trace(C) / sum(C)).  The interval is Feldt's F-based interval
    with ``n - 1`` and ``(n - 1)(q - 1)`` df, ``n`` = units with at least one rating
    (``pingouin.cronbach_alpha(nan_policy="pairwise")`` gives the same alpha and, for
    data without empty rows, the same interval), or with ``n_boot > 0`` a seeded
    percentile bootstrap over units (raters fixed).  With complete data alpha equals
    ICC(3,k).  ``estimate = nan`` with an ``"undefined: ..."`` reason in ``method`` when
    every rating is the same, or some pair of raters shares fewer than two units (the
    usual case for large, sparse inspector panels: use the ICCs there).

    Parameters
    ----------
    x : array_like
        Units x raters scores (no category list needed), ``NaN`` = not rated.
    ci_prob : float
        Probability covered by the two-sided interval (default 0.90).
    n_boot : int
        ``0``: Feldt's interval; ``> 0``: seeded percentile bootstrap over units.
    seed : int, optional
        Bootstrap seed.

    Returns
    -------
    dict
        ``estimate``, ``se`` (``None``), ``ci_low``, ``ci_high``, ``method``, ``n``.

    Examples
    --------
    With complete data alpha equals ICC(3,k) (Shrout & Fleiss 1979 data):

    >>> import numpy as np
    >>> from inspect_audit.agreement.icc import cronbach_alpha
    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> res = cronbach_alpha(x)
    >>> print(f"{res['estimate']:.3f} ({res['ci_low']:.3f} to {res['ci_high']:.3f}), n = {res['n']}")
    0.909 (0.737 to 0.980), n = 6
    """
    check_ci_prob(ci_prob)
    r = _ratings(x, min_per_unit=1)
    n, q = r.p, r.q
    nan = float("nan")
    alpha = lo = hi = nan
    method = ("Cronbach's alpha (raters as items), "
              + ("complete data" if r.vals.size == n * q else "pairwise-complete covariances"))
    feat = _alpha_features(r) if n >= 2 and q >= 2 else None
    if n < 2 or q < 2:
        reason = "undefined: fewer than two rated units or fewer than two raters"
    elif _constant(r):
        reason = "undefined: every rating is the same (zero variance), so alpha is 0/0"
    elif feat is None:
        reason = ("undefined: some pair of raters shares fewer than two units, so their "
                  "covariance cannot be estimated (usual for sparse panels: use the ICCs)")
    else:
        alpha = float(_alpha_from_sums(np.asarray(feat.sum(axis=0)), q)[0])
        reason = (None if np.isfinite(alpha) else
                  "undefined: the raters' total score has no variance, so alpha is 0/0")
    if reason is not None:
        method += f"; {reason}"
    elif n_boot > 0:
        lo, hi = percentile_interval(_alpha_bootstrap(feat, q, int(n_boot), seed), ci_prob)
        method += f"; {bootstrap_note(n_boot, seed)}, {ci_prob:.0%}"
        if not np.isfinite(lo):
            method += "; no bootstrap interval: alpha is undefined in every resample"
    else:
        df1, df2 = n - 1, (n - 1) * (q - 1)
        lo = float(1 - (1 - alpha) * stats.f.isf((1 - ci_prob) / 2, df1, df2))
        hi = float(1 - (1 - alpha) * stats.f.isf((1 + ci_prob) / 2, df1, df2))
        method += f"; Feldt F-based interval, {ci_prob:.0%}"
    return {"estimate": alpha, "se": None, "ci_low": lo, "ci_high": hi, "method": method,
            "n": int(n)}
