"""Intraclass correlations and Cronbach's alpha for a units x raters matrix.

Input everywhere is a ``units x raters`` float matrix; ``NaN`` marks a missing rating and
units may have different numbers of raters.

Estimator
---------
All ICCs are ratios of variance components.  The components come from **moment
(ANOVA-type) estimators**, never from dropping incomplete units:

* two-way model ``y_ij = mu + a_i + b_j + e_ij`` (unit ``a``, rater ``b``, residual ``e``):
  **Henderson's method III** (fitting constants; Henderson 1953, Searle, Casella &
  McCulloch 1992, sec. 5.5) using the reductions ``SSE``, ``R(b | mu, a)`` and
  ``R(a | mu, b)`` of the unbalanced additive two-way model.  The least-squares fit is
  done by absorbing the unit effects (a ``raters x raters`` reduced normal-equation
  system built with :mod:`scipy.sparse`), so the cost is linear in the number of ratings.
* one-way model ``y_ij = mu + a_i + e_ij`` (for ICC(1, .)): the unbalanced one-way ANOVA
  estimator with ``n0 = (N - sum n_i^2 / N) / (units - 1)`` (Searle et al. 1992, sec. 3.6).

With complete data both reduce exactly to the mean-square formulas of Shrout & Fleiss
(1979) and McGraw & Wong (1996), and the intervals are their exact F-based intervals.

With missing data ``k`` (the number of ratings an average-measure ICC refers to) is the
**harmonic mean number of ratings per unit**.  The intervals are the same F-based
constructions written for the expected-mean-square coefficients of the unbalanced fit
(``c_unit = (N - raters) / df_unit``, ``c_rater = (N - units) / df_rater``, ``n0``) and its
real degrees of freedom; because unbalanced mean squares are only approximately scaled
chi-square they are approximate (simulated 90 % coverage 0.85-0.92 for 30-60 %
missing).  ``n_boot > 0`` gives percentile intervals from a seeded bootstrap over units
instead.

Units with fewer than two ratings carry no information about within-unit agreement and
are dropped (so are raters left with no ratings); ``n`` in every result is the number of
units used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

__all__ = [
    "ICC_NAMES",
    "ICC_METHODS",
    "VarianceComponents",
    "prepare_matrix",
    "variance_components",
    "bootstrap_components",
    "icc_estimates",
    "cronbach_alpha",
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
_DENSE_MAX_RATERS = 3000


# ----------------------------------------------------------------------------- data


def prepare_matrix(x) -> np.ndarray:
    """Validate a units x raters matrix and drop what carries no information.

    Returns a float copy without units that have fewer than two ratings and without
    raters that have no rating left.  ``NaN`` is missing; infinities are an error.
    """
    a = np.array(x, dtype=float, copy=True)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D units x raters matrix, got shape {a.shape}")
    if np.isinf(a).any():
        raise ValueError("ratings must be finite (use NaN for missing)")
    obs = ~np.isnan(a)
    a = a[obs.sum(axis=1) >= 2]
    a = a[:, (~np.isnan(a)).any(axis=0)]
    return a


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


# Raters up to this many: the reduced normal equations are formed from a dense
# units x raters mask (fast for inspection panels of a few raters); sparse beyond.
_DENSE_MASK_MAX_RATERS = 64


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
    mask: np.ndarray | None  # dense incidence when q is small
    ymat: np.ndarray | None  # dense centred ratings (0 where missing) when q is small


def _layout(a: np.ndarray) -> _Layout:
    p, q = a.shape
    obs = ~np.isnan(a)
    rows, cols = np.nonzero(obs)
    y = a[rows, cols]
    y = y - (y.mean() if y.size else 0.0)  # shift invariance; numerical stability
    n_i = np.bincount(rows, minlength=p).astype(float)
    y_i = np.bincount(rows, weights=y, minlength=p)
    ss_i = np.bincount(rows, weights=y * y, minlength=p)
    incid = sp.csr_matrix((np.ones(y.size), (rows, cols)), shape=(p, q))
    mask = ymat = None
    if q <= _DENSE_MASK_MAX_RATERS:
        mask = obs.astype(float)
        ymat = np.zeros((p, q))
        ymat[rows, cols] = y
    return _Layout(p, q, rows, cols, y, n_i, y_i, ss_i, incid, mask, ymat)


def _fit(lay: _Layout, w: np.ndarray | None = None) -> VarianceComponents:
    """Henderson III and one-way ANOVA mean squares, with optional unit frequency
    weights ``w`` (a bootstrap resample: unit ``i`` appears ``w[i]`` times, each copy
    with its own unit effect).  ``w = None`` is the plain estimator."""
    # (1-D products use np.dot: on some OpenBLAS builds ``@`` on vectors is much slower)
    n_i, y_i, ss_i = lay.n_i, lay.y_i, lay.ss_i
    if w is None:
        w = np.ones(lay.p)
    w = np.asarray(w, float)
    p_eff = float(w.sum())
    n_tot = float(np.dot(w, n_i))
    if lay.mask is not None:
        n_j = w @ lay.mask
        y_j = w @ lay.ymat
    else:
        n_j = lay.incid.T @ w
        y_j = np.bincount(lay.cols, weights=w[lay.rows] * lay.y, minlength=lay.q)
    q_eff = int(np.count_nonzero(n_j))
    if p_eff < 2 or q_eff < 2:
        return _nan_components(int(p_eff), q_eff, int(n_tot))

    sum_y = float(np.dot(w, y_i))
    r_mu = sum_y**2 / n_tot  # R(mu) for the centred data
    ss_total = float(np.dot(w, ss_i)) - r_mu

    # ---- one-way ANOVA (units only)
    r_mu_a = float(np.dot(w, y_i**2 / n_i)) - r_mu  # R(a | mu)
    df_b, df_w = int(round(p_eff)) - 1, int(round(n_tot - p_eff))
    n0 = (n_tot - float(np.dot(w, n_i**2)) / n_tot) / df_b
    msw = (ss_total - r_mu_a) / df_w if df_w > 0 else float("nan")
    msb = r_mu_a / df_b

    # ---- additive two-way model, Henderson method III: absorb unit effects and solve
    # the reduced normal equations C b = rhs for the rater effects,
    # C = diag(n_j) - N' diag(w / n_i) N,  rhs = y_j - N' diag(w / n_i) y_i
    wn = w / n_i
    if lay.mask is not None:
        c_dense = np.diag(n_j) - (lay.mask.T * wn) @ lay.mask
        c_mat = sp.csr_matrix(c_dense)
        rhs = y_j - lay.mask.T @ (wn * y_i)
    else:
        scaled = sp.diags(wn) @ lay.incid
        c_mat = (sp.diags(n_j) - lay.incid.T @ scaled).tocsr()
        rhs = y_j - scaled.T @ y_i
    # raters are connected when they share a unit (off-diagonal of C non-zero); units
    # all have >= 2 ratings, so components of the rater graph are those of the design.
    # Raters with no rating (weight 0) are isolated and excluded from the count.
    graph = c_mat.copy()
    graph.data = np.abs(graph.data) > 1e-12
    graph.eliminate_zeros()
    _, labels = connected_components(graph, directed=False)
    n_comp = len(np.unique(labels[n_j > 0]))
    b_hat = _solve_psd(c_mat, rhs, labels)
    r_b_given_a = float(np.dot(b_hat, rhs))  # R(b | mu, a)
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

    k_h = p_eff / float(np.dot(w, 1.0 / n_i))
    return VarianceComponents(
        msr=float(msr), msc=float(msc), mse=float(mse), msb=float(msb), msw=float(msw),
        c_unit=float(c_unit), c_rater=float(c_rater), n0=float(n0),
        df_unit=int(df_u), df_rater=int(df_r), df_residual=int(df_e),
        df_between=int(df_b), df_within=int(df_w),
        n_units=p_int, n_raters=q_eff, n_ratings=int(round(n_tot)), k_harmonic=float(k_h),
        complete=bool(round(n_tot) == p_int * q_eff),
    )


def variance_components(x, *, prepared: bool = False) -> VarianceComponents:
    """Henderson-III (two-way) and one-way ANOVA variance components of ``x``.

    ``x`` is a units x raters matrix with ``NaN`` for missing ratings.  Incomplete
    units are kept; only units with fewer than two ratings are dropped
    (``prepared=True`` skips that step for a matrix from :func:`prepare_matrix`).
    """
    a = x if prepared else prepare_matrix(x)
    return _fit(_layout(a))


def bootstrap_components(x, n_boot: int, seed: int | None = 0, *,
                         prepared: bool = False) -> list[VarianceComponents]:
    """Variance components re-estimated on ``n_boot`` bootstrap resamples of units.

    Resampling uses a seeded ``numpy.random.default_rng``; each resample is fitted with
    unit frequency weights (a unit drawn twice counts as two units), which is the same
    estimator as :func:`variance_components` on the resampled matrix, without copying it.
    """
    a = x if prepared else prepare_matrix(x)
    lay = _layout(a)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(n_boot)):
        w = np.bincount(rng.integers(0, lay.p, size=lay.p), minlength=lay.p)
        out.append(_fit(lay, w))
    return out


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


def _spearman_brown(r: float, k: float) -> float:
    return k * r / (1.0 + (k - 1.0) * r)


def _f_intervals(vc: VarianceComponents, level: float) -> dict[str, tuple[float, float]]:
    """F-based intervals of Shrout & Fleiss (1979) and McGraw & Wong (1996).

    Written for general expected-mean-square coefficients: with ``F = MS_a / MS_e`` and
    ``E[MS_a] = s2_e + c s2_a``, ``theta = s2_a / s2_e`` has limits
    ``(F / F_crit - 1) / c``.  For ICC(A,1) McGraw & Wong's Satterthwaite construction
    is solved with ``c_unit`` and ``c_rater`` in place of ``k`` and ``n``.  With complete
    data (``c_unit = k``, ``c_rater = n``) these are exactly their intervals; with missing
    data the mean squares are only approximately scaled chi-square, so the intervals
    are approximate.  Average-measure limits are the Spearman-Brown transforms of the
    single-measure limits at ``k`` (exact for complete data).
    """
    q = (1.0 + level) / 2.0
    k = np.float64(vc.k_harmonic)
    nan = float("nan")
    if min(vc.df_unit, vc.df_rater, vc.df_residual, vc.df_between, vc.df_within) <= 0:
        return {name: (nan, nan) for name in ICC_NAMES}
    out: dict[str, tuple[float, float]] = {}

    def ratio_limits(f, df1, df2, c):
        """Limits of rho = theta / (1 + theta) from F on (df1, df2) df."""
        lo = (f / stats.f.ppf(q, df1, df2) - 1) / c
        hi = (f * stats.f.ppf(q, df2, df1) - 1) / c
        return lo / (1 + lo), hi / (1 + hi)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # one-way: F = MSB / MSW, coefficient n0
        lo, hi = ratio_limits(np.float64(vc.msb) / vc.msw, vc.df_between, vc.df_within,
                              vc.n0)
        out["icc1_1"] = (lo, hi)
        out["icc1_k"] = (_spearman_brown(lo, k), _spearman_brown(hi, k))
        # two-way consistency: F = MSR / MSE, coefficient c_unit
        lo, hi = ratio_limits(np.float64(vc.msr) / vc.mse, vc.df_unit, vc.df_residual,
                              vc.c_unit)
        out["icc3_1"] = (lo, hi)
        out["icc3_k"] = (_spearman_brown(lo, k), _spearman_brown(hi, k))
        # two-way absolute agreement (McGraw & Wong 1996, Table 7 / appendix): at the
        # boundary rho, MSR has the expectation of a MSC + b MSE; Satterthwaite df v.
        msr, msc, mse = np.float64(vc.msr), np.float64(vc.msc), np.float64(vc.mse)
        cu, cr = np.float64(vc.c_unit), np.float64(vc.c_rater)
        rho = _icc_points(vc)["icc2_1"]
        tau = rho / (1 - rho)
        aa = cu * tau / cr
        bb = 1 + cu * tau - aa
        v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / vc.df_rater
                                          + (bb * mse) ** 2 / vc.df_residual)
        f_lo = stats.f.ppf(q, vc.df_unit, v)
        f_hi = stats.f.ppf(q, v, vc.df_unit)
        scale = cu * (msc / cr + mse * (1 - 1 / cr))
        t_lo = (msr - f_lo * mse) / (f_lo * scale)
        t_hi = (f_hi * msr - mse) / scale
        lo, hi = t_lo / (1 + t_lo), t_hi / (1 + t_hi)
        out["icc2_1"] = (lo, hi)
        out["icc2_k"] = (_spearman_brown(lo, k), _spearman_brown(hi, k))
    return {key: (float(lo), float(hi)) for key, (lo, hi) in out.items()}


def _percentile(reps: np.ndarray, level: float) -> tuple[float, float]:
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def icc_estimates(x, ci_level: float = 0.90, *, n_boot: int = 0,
                  seed: int | None = 0) -> dict[str, dict]:
    """Six intraclass correlations of a units x raters matrix (``NaN`` = missing).

    Returns ``{name: {estimate, se, ci_low, ci_high, method, n}}`` for the names in
    :data:`ICC_NAMES` (``se`` is always ``None``).  Shrout & Fleiss (1979) notation and
    McGraw & Wong (1996) notation are both given in ``method``.

    Complete data: ANOVA formulas and exact F-based intervals (these match
    ``pingouin.intraclass_corr``).  Missing data: Henderson method III (two-way) and
    unbalanced one-way ANOVA moment estimates of the variance components, with ``k`` =
    harmonic mean number of ratings per unit; intervals are approximate F-based
    intervals, or seeded percentile-bootstrap intervals over units when ``n_boot > 0``.
    """
    if not 0 < ci_level < 1:
        raise ValueError("ci_level must be in (0, 1)")
    a = prepare_matrix(x)
    vc = variance_components(a, prepared=True)
    points = _icc_points(vc)
    if n_boot > 0 and vc.n_units >= 2:
        reps = np.array([list(_icc_points(r).values())
                         for r in bootstrap_components(a, n_boot, seed, prepared=True)])
        cis = {name: _percentile(reps[:, j], ci_level) for j, name in enumerate(ICC_NAMES)}
        ci_note = f"percentile bootstrap over units ({n_boot} resamples, seed {seed})"
    else:
        cis = _f_intervals(vc, ci_level)
        ci_note = ("exact F-based interval (Shrout & Fleiss 1979; McGraw & Wong 1996)"
                   if vc.complete else
                   "approximate F-based interval (unbalanced mean squares)")
    if vc.complete:
        est_note = f"complete data, k = {vc.n_raters}"
    else:
        est_note = ("missing data: Henderson III / one-way ANOVA moment estimates, "
                    f"k = {vc.k_harmonic:.2f} (harmonic mean ratings per unit)")
    out = {}
    for name in ICC_NAMES:
        lo, hi = cis[name]
        out[name] = {
            "estimate": float(points[name]),
            "se": None,
            "ci_low": lo,
            "ci_high": hi,
            "method": f"{ICC_METHODS[name]}; {est_note}; {ci_note}, {ci_level:.0%}",
            "n": int(vc.n_units),
        }
    return out


# ------------------------------------------------------------------------ Cronbach


def _pairwise_cov(a: np.ndarray) -> np.ndarray:
    """Pairwise-complete covariance matrix of the columns (as ``pandas.DataFrame.cov``)."""
    m = (~np.isnan(a)).astype(float)
    z = np.where(np.isnan(a), 0.0, a)
    # centre columns for stability (covariances are shift invariant per pair)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.nanmean(a, axis=0)
    z = np.where(m > 0, z - shift, 0.0)
    nij = m.T @ m
    sxy = z.T @ z
    sx = z.T @ m  # sx[i, j] = sum of column i over rows where j is observed too
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sx.T / nij) / (nij - 1)
    cov[nij < 2] = np.nan
    return cov


def cronbach_alpha(x, ci_level: float = 0.90) -> dict:
    """Cronbach's alpha treating raters as items; same dict shape as one ICC.

    The item covariance matrix is estimated **pairwise-complete** (each covariance
    from the units both raters rated, each variance from all of a rater's ratings),
    alpha = q/(q-1) (1 - trace(C) / sum(C)).  The interval is Feldt's F-based interval
    with ``n - 1`` and ``(n - 1)(q - 1)`` df, ``n`` = units with at least one rating
    (as in ``pingouin.cronbach_alpha(nan_policy="pairwise")``).  With complete data alpha
    equals ICC(3,k).
    """
    if not 0 < ci_level < 1:
        raise ValueError("ci_level must be in (0, 1)")
    a = np.array(x, dtype=float, copy=True)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D units x raters matrix, got shape {a.shape}")
    if np.isinf(a).any():
        raise ValueError("ratings must be finite (use NaN for missing)")
    a = a[(~np.isnan(a)).any(axis=1)]
    a = a[:, (~np.isnan(a)).any(axis=0)]
    n, q = a.shape
    alpha = lo = hi = float("nan")
    if n >= 2 and q >= 2:
        cov = _pairwise_cov(a)
        if np.isfinite(cov).all():
            alpha = float(q / (q - 1) * (1 - np.trace(cov) / cov.sum()))
            df1, df2 = n - 1, (n - 1) * (q - 1)
            lo = float(1 - (1 - alpha) * stats.f.isf((1 - ci_level) / 2, df1, df2))
            hi = float(1 - (1 - alpha) * stats.f.isf((1 + ci_level) / 2, df1, df2))
    complete = not np.isnan(a).any()
    return {
        "estimate": alpha,
        "se": None,
        "ci_low": lo,
        "ci_high": hi,
        "method": ("Cronbach's alpha (raters as items), "
                   + ("complete data" if complete else "pairwise-complete covariances")
                   + f"; Feldt F-based interval, {ci_level:.0%}"),
        "n": int(n),
    }
