"""Inter-rater agreement coefficients for categorical and ordinal grades.

Input is a units x raters matrix of grades (``NaN`` = not rated). Raters may rate
different numbers of units. The caller fixes the category set (for example
``[1, 2, 3, 4]``); categories nobody used still count, which matters for
Brennan-Prediger, Gwet's AC1/AC2 and every weighted coefficient.

Conventions
-----------
* Units with no rating at all, and raters with no rating at all, are removed first
  (:func:`rating_summary` counts them).
* Pairing-based quantities (observed agreement, Krippendorff's coincidences) use the
  units with two or more ratings; Gwet's marginal proportions use every rated unit,
  as in Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-5.
* A coefficient that is 0/0 on the data (for example a kappa when every rating is in
  one category) is returned with ``estimate = nan`` and a ``method`` text that says
  why (it starts with ``"undefined:"``). Inputs that allow no analysis at all (no unit
  with two ratings, grades outside the category set, fewer than two categories) raise
  :class:`AgreementError`.

Every coefficient here is a function of sums over units of per-unit quantities. The
module computes those per-unit quantities once; point estimates, delete-one-unit
jackknife standard errors and the unit-level bootstrap are all that function applied to
re-weighted sums, so 20,000 units x 1,000 replicates take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import krippendorff as _krippendorff
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, stats

from inspect_audit._core.intervals import CI_PROB, percentile_interval

__all__ = [
    "AgreementError",
    "LEVELS",
    "WEIGHT_KINDS",
    "bootstrap",
    "coefficient_estimates",
    "continuous_alpha",
    "rating_summary",
    "statistic_names",
    "weights",
]

WEIGHT_KINDS = ("identity", "linear", "quadratic", "ordinal")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
_ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")


class AgreementError(ValueError):
    """The ratings do not allow the requested agreement analysis."""


# ----------------------------------------------------------------------------- inputs


def _as_categories(categories: ArrayLike) -> NDArray[np.float64]:
    try:
        cats = np.asarray(categories, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise AgreementError("categories must be numbers, for example [1, 2, 3, 4]") from exc
    if cats.size < 2:
        raise AgreementError("at least two categories are needed to measure agreement")
    if not np.all(np.isfinite(cats)):
        raise AgreementError("categories must be finite numbers")
    if np.any(np.diff(cats) <= 0):
        raise AgreementError(
            "categories must be distinct and listed in increasing order, for example [1, 2, 3, 4]"
        )
    return cats


def weights(categories: ArrayLike, kind: str | ArrayLike = "identity") -> NDArray[np.float64]:
    """Agreement weights ``w[k, l]`` between categories (1 on the diagonal).

    Parameters
    ----------
    categories : array_like
        The category values in increasing order.
    kind : {"identity", "linear", "quadratic", "ordinal"} or array_like
        ``identity``: 1 if ``k == l`` else 0. ``linear``: ``1 - |x_k - x_l| / (x_max - x_min)``.
        ``quadratic``: ``1 - (x_k - x_l)^2 / (x_max - x_min)^2``. ``ordinal``: Gwet's
        (2014, sec. 3.5) rank weights ``1 - C(M_kl, 2) / max C(M, 2)`` with
        ``M_kl = |k - l| + 1`` on category ranks. A ``q x q`` matrix is checked
        (square, one row and column per category, finite, in [0, 1], symmetric, unit
        diagonal) and returned as a float array.

    Returns
    -------
    numpy.ndarray
        ``q x q`` weight matrix.
    """
    cats = _as_categories(categories)
    q = cats.size
    if isinstance(kind, str):
        if kind == "identity":
            return np.eye(q)
        dist = np.abs(cats[:, None] - cats[None, :]) / (cats[-1] - cats[0])
        if kind == "linear":
            return 1.0 - dist
        if kind == "quadratic":
            return 1.0 - dist**2
        if kind == "ordinal":
            ranks = np.arange(q)
            m = np.abs(ranks[:, None] - ranks[None, :]) + 1.0
            c = m * (m - 1.0) / 2.0
            return 1.0 - c / c.max()
        raise AgreementError(f"unknown weight kind {kind!r}; use one of {', '.join(WEIGHT_KINDS)} or a matrix")
    try:
        w = np.asarray(kind, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError("a custom weight matrix must be a square array of numbers") from exc
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise AgreementError(f"a custom weight matrix must be square, got shape {w.shape}")
    if w.shape != (q, q):
        raise AgreementError(f"a custom weight matrix must be {q} x {q} (one row and column per category)")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w > 1):
        raise AgreementError("custom weights must be finite and between 0 and 1")
    if not np.allclose(w, w.T):
        raise AgreementError("custom weights must be symmetric (w[k, l] == w[l, k])")
    if not np.allclose(np.diag(w), 1.0):
        raise AgreementError("custom weights must be 1 on the diagonal (a category fully agrees with itself)")
    return w.copy()


@dataclass(frozen=True)
class _Data:
    """Ratings mapped to category indices, empty units and raters removed."""

    categories: NDArray[np.float64]
    codes: NDArray[np.int64]  # (n, r) category index, -1 = missing
    counts: NDArray[np.float64]  # (n, q) n_ik: raters putting unit i in category k
    m: NDArray[np.float64]  # (n,) ratings per unit
    n_units_input: int
    n_raters_input: int

    @property
    def n(self) -> int:
        return self.codes.shape[0]

    @property
    def r(self) -> int:
        return self.codes.shape[1]

    @property
    def q(self) -> int:
        return self.categories.size

    @property
    def pairable(self) -> NDArray[np.bool_]:
        return self.m >= 2


def _as_matrix(x: ArrayLike) -> NDArray[np.float64]:
    """A units x raters float matrix (NaN = missing), or an AgreementError that says what is wrong."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError("ratings must be numbers (NaN for a missing rating)") from exc
    if arr.ndim != 2:
        raise AgreementError("ratings must be a 2-D units x raters matrix")
    if np.any(np.isinf(arr)):
        raise AgreementError("ratings contain infinite values")
    return arr


def _prepare(x: ArrayLike, categories: ArrayLike, require_pairs: bool = True) -> _Data:
    cats = _as_categories(categories)
    arr = _as_matrix(x)
    n_units_input, n_raters_input = arr.shape
    present = ~np.isnan(arr)
    idx = np.searchsorted(cats, np.where(present, arr, cats[0]))
    idx = np.clip(idx, 0, cats.size - 1)
    bad = present & (cats[idx] != arr)
    if bad.any():
        shown = ", ".join(f"{v:g}" for v in np.unique(arr[bad])[:5])
        cat_text = ", ".join(f"{c:g}" for c in cats)
        raise AgreementError(f"ratings {shown} are not in the category set [{cat_text}]")
    codes = np.where(present, idx, -1).astype(np.int64)
    codes = codes[present.any(axis=1)][:, present.any(axis=0)]
    n, r = codes.shape
    counts = np.zeros((n, cats.size))
    rows, cols = np.nonzero(codes >= 0)
    np.add.at(counts, (rows, codes[rows, cols]), 1.0)
    m = counts.sum(axis=1)
    if require_pairs and not np.any(m >= 2):
        raise AgreementError(
            "no unit has ratings from two or more raters, so there is nothing to compare"
        )
    return _Data(cats, codes, counts, m, n_units_input, n_raters_input)


def rating_summary(x: ArrayLike, categories: ArrayLike) -> dict[str, object]:
    """Counts behind the coefficients: units used, dropped, raters and category use.

    Returns
    -------
    dict
        ``n_units_input``, ``n_units_unrated`` (no rating, removed), ``n_units_single``
        (one rating: not pairable, dropped from pairing-based statistics),
        ``n_units_pairable``, ``n_raters`` (with at least one rating), ``n_ratings``,
        ``max_raters_per_unit`` and ``category_counts`` (category -> ratings).
    """
    d = _prepare(x, categories, require_pairs=False)
    return {
        "n_units_input": d.n_units_input,
        "n_units_unrated": d.n_units_input - d.n,
        "n_units_single": int(np.sum(d.m == 1)),
        "n_units_pairable": int(np.sum(d.pairable)),
        "n_raters": d.r,
        "n_ratings": int(d.m.sum()),
        "max_raters_per_unit": int(d.m.max()) if d.n else 0,
        "category_counts": {_code(c): int(v) for c, v in zip(d.categories, d.counts.sum(axis=0), strict=True)},
    }


def _code(c: float) -> str:
    return str(int(c)) if float(c).is_integer() else f"{c:g}"


# ------------------------------------------------------------------ additive features


def _pair_entries(d: _Data) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every (unit, rater pair) with both ratings: unit, dense pair id, cell ``c_g * q + c_h``.

    Pair ids number only the rater pairs that share a unit, in (g, h) order, so the cost
    is O(units x raters-per-unit^2) however many raters there are.
    """
    codes, q, r = d.codes, d.q, d.r
    rated = codes >= 0
    mmax = int(d.m.max())
    order = np.argsort(~rated, axis=1, kind="stable")[:, :mmax]  # rated raters first, in column order
    nrated = rated.sum(axis=1)
    units, gs, hs = [], [], []
    for s_ in range(mmax):
        for t_ in range(s_ + 1, mmax):
            ok = np.nonzero(nrated > t_)[0]
            units.append(ok)
            gs.append(order[ok, s_])
            hs.append(order[ok, t_])
    unit = np.concatenate(units) if units else np.zeros(0, np.int64)
    g = np.concatenate(gs) if gs else np.zeros(0, np.int64)
    h = np.concatenate(hs) if hs else np.zeros(0, np.int64)
    _, pair_id = np.unique(g * r + h, return_inverse=True)
    cell = codes[unit, g] * q + codes[unit, h]
    return unit.astype(np.int64), pair_id.astype(np.int64).ravel(), cell.astype(np.int64)


class _Features:
    """Per-unit additive quantities; each coefficient is a function of their sums."""

    def __init__(self, d: _Data, wmats: dict[str, NDArray[np.float64]], need: set[str]):
        self.d = d
        n, q = d.n, d.q
        m = d.m
        pair = d.pairable
        dense: dict[str, NDArray[np.float64]] = {}
        dense["n1"] = np.ones(n)
        dense["n2"] = pair.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            den = np.where(pair, m * (m - 1.0), 1.0)
            dense["pi"] = d.counts / m[:, None]
            for key, w in wmats.items():
                nstar = d.counts @ w.T
                dense[f"pa_{key}"] = np.where(pair, (d.counts * (nstar - 1.0)).sum(axis=1) / den, 0.0)
            if "dis" in need:
                dense["dis"] = np.where(pair[:, None], d.counts * (m[:, None] - d.counts) / den[:, None], 0.0)
            if "coinc" in need:
                c = d.counts
                o = c[:, :, None] * c[:, None, :] - c[:, :, None] * np.eye(q)[None]
                o /= np.where(pair, m - 1.0, 1.0)[:, None, None]
                o[~pair] = 0.0
                dense["coinc"] = o
        self.dense_names = list(dense)
        self.dense_shapes = {k: v.shape[1:] for k, v in dense.items()}
        self.dense = np.hstack([v.reshape(n, -1) for v in dense.values()])

        blocks: list[sparse.csr_array] = []
        self.sparse_names: list[str] = []
        self.sparse_shapes: dict[str, tuple[int, ...]] = {}
        codes = d.codes
        if "rater" in need:  # one-hot of (rater, category): Conger's rater marginals
            rows, cols = np.nonzero(codes >= 0)
            blocks.append(
                sparse.csr_array(
                    (np.ones(rows.size), (rows, cols * q + codes[rows, cols])), shape=(n, d.r * q)
                )
            )
            self.sparse_names.append("rater")
            self.sparse_shapes["rater"] = (d.r, q)
        if "pairs" in need:  # one-hot of (rater pair, category of first, category of second)
            unit, pair_id, cell = _pair_entries(d)
            self.pair_entries = (unit, pair_id, cell)
            n_pairs = int(pair_id.max()) + 1 if pair_id.size else 1
            blocks.append(
                sparse.csr_array(
                    (np.ones(unit.size), (unit, pair_id * q * q + cell)), shape=(n, n_pairs * q * q)
                )
            )
            self.sparse_names.append("pairs")
            self.sparse_shapes["pairs"] = (n_pairs, q, q)
        self.sparse = sparse.hstack(blocks, format="csr") if blocks else None
        self.sparse_t = self.sparse.T.tocsr() if blocks else None
        self._dense_total = self.dense.sum(axis=0)[None, :]
        self._sparse_total = None if self.sparse is None else np.asarray(self.sparse.sum(axis=0))[None, :]

    # sums ---------------------------------------------------------------------------
    def _unpack(self, dense: NDArray, sp: NDArray | None) -> dict[str, NDArray]:
        out: dict[str, NDArray] = {}
        b = dense.shape[0]
        pos = 0
        for name in self.dense_names:
            shape = self.dense_shapes[name]
            size = int(np.prod(shape)) if shape else 1
            block = dense[:, pos : pos + size]
            out[name] = block.reshape((b, *shape)) if shape else block[:, 0]
            pos += size
        pos = 0
        for name in self.sparse_names if sp is not None else ():
            shape = self.sparse_shapes[name]
            size = int(np.prod(shape))
            out[name] = sp[:, pos : pos + size].reshape((b, *shape))
            pos += size
        return out

    def totals(self, c: NDArray[np.float64] | None = None) -> dict[str, NDArray]:
        """Sums over units, unit i counted ``c[b, i]`` times (default once), batch first."""
        if c is None:
            dense, sp = self._dense_total, self._sparse_total
        else:
            dense = c @ self.dense
            sp = None if self.sparse is None else (self.sparse_t @ c.T).T
        return self._unpack(dense, sp)

    def leave_one_out(self, rows: NDArray[np.int64], with_sparse: bool = True) -> dict[str, NDArray]:
        """Sums with each unit in ``rows`` left out in turn (batch = len(rows))."""
        dense = self._dense_total - self.dense[rows]
        sp = None
        if with_sparse and self.sparse is not None:
            sp = self._sparse_total - self.sparse[rows].toarray()
        return self._unpack(dense, sp)


# ------------------------------------------------------------------------ statistics


def _chance_corrected(pa: NDArray, pe: NDArray) -> NDArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (pa - pe) / (1.0 - pe)
    return np.where(np.abs(1.0 - pe) < 1e-12, np.nan, out)


def _krippendorff_delta(metric: str, cats: NDArray, nc: NDArray) -> NDArray:
    """Squared distances delta^2 (q x q, or batch x q x q for ordinal)."""
    q = cats.size
    if metric == "nominal":
        return 1.0 - np.eye(q)
    if metric == "interval":
        return (cats[:, None] - cats[None, :]) ** 2
    if metric == "ratio":
        s = cats[:, None] + cats[None, :]
        diff = cats[:, None] - cats[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s != 0, (diff / np.where(s != 0, s, 1.0)) ** 2, 0.0)
    # ordinal (Krippendorff 2011, sec. "ordinal metric"): depends on the marginals n_g
    idx = np.arange(q)
    lo = np.minimum(idx[:, None], idx[None, :])
    hi = np.maximum(idx[:, None], idx[None, :])
    cum = np.cumsum(nc, axis=-1)
    between = cum[..., hi] - cum[..., lo] + nc[..., lo]
    return (between - (nc[..., idx[:, None]] + nc[..., idx[None, :]]) / 2.0) ** 2


def _alpha_from_coincidences(o: NDArray, metric: str, cats: NDArray, delta: NDArray | None = None) -> NDArray:
    """Alpha from (batch, q, q) coincidences; ``delta`` (q x q) overrides the metric's distances."""
    nc = o.sum(axis=-1)
    ntot = nc.sum(axis=-1)
    if delta is None:
        delta = _krippendorff_delta(metric, cats, nc)
    d_o = (o * delta).sum(axis=(-2, -1))
    d_e = (nc[..., :, None] * nc[..., None, :] * delta).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - (ntot - 1.0) * d_o / d_e
    return np.where(d_e <= 1e-12 * np.maximum(ntot, 1.0) ** 2, np.nan, out)


def _cohen_from_table(j: NDArray, w: NDArray) -> NDArray:
    """Weighted kappa from (batch, ..., q, q) joint counts."""
    tot = j.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = j / tot[..., None, None]
    row, col = p.sum(axis=-1), p.sum(axis=-2)
    po = (p * w).sum(axis=(-2, -1))
    pe = np.einsum("kl,...k,...l->...", w, row, col)
    return _chance_corrected(po, pe)


@dataclass(frozen=True)
class _Stat:
    fn: Callable[[dict[str, NDArray]], NDArray]
    need: frozenset[str]
    weight: str | None
    family: str
    method: str


def _build_stats(
    d: _Data, names: Sequence[str], custom: ArrayLike | None = None
) -> tuple[dict[str, _Stat], dict[str, NDArray]]:
    """The statistics in ``names`` and the weight matrices they use (``custom``: a
    user weight matrix, validated by :func:`weights`, behind the ``*_custom`` names)."""
    cats, q = d.categories, d.q
    wm = {k: weights(cats, k) for k in ("identity", "linear", "quadratic")}
    if custom is not None:
        wm["custom"] = weights(cats, custom)
    extra = (("custom", "_custom"),) if custom is not None else ()
    stats: dict[str, _Stat] = {}

    def pi(s):
        return s["pi"] / s["n1"][:, None]

    def pa(s, key):
        with np.errstate(divide="ignore", invalid="ignore"):
            return s[f"pa_{key}"] / s["n2"]

    def add(name, fn, need=(), weight=None, family="", method=""):
        stats[name] = _Stat(fn, frozenset(need), weight, family, method)

    wlabel = {"identity": "unweighted", "linear": "linear weights", "quadratic": "quadratic weights",
              "custom": "custom weights"}
    all_weights = (("identity", ""), ("linear", "_linear"), ("quadratic", "_quadratic"), *extra)

    def add_weighted(stem, fn, family, method, need=(), unweighted_name=None):
        """One statistic per weight kind: ``fn(s, key, w)``; ``method(label)`` its text."""
        for key, suffix in all_weights:
            name = unweighted_name if key == "identity" and unweighted_name else f"{stem}{suffix}"
            add(name, lambda s, key=key, w=wm[key]: fn(s, key, w), need=need, weight=key, family=family,
                method=method(wlabel[key]))

    def scott(s, key, w):
        j = s["pairs"][:, 0]
        tot = j.sum(axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = j / tot[:, None, None]
        pk = (p.sum(axis=-1) + p.sum(axis=-2)) / 2.0
        po = (p * w).sum(axis=(-2, -1))
        return _chance_corrected(po, np.einsum("kl,bk,bl->b", w, pk, pk))

    def light(s, key, w):
        kap = _cohen_from_table(s["pairs"], w)
        ok = np.isfinite(kap)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(ok, kap, 0.0).sum(axis=1) / ok.sum(axis=1)
        return np.where(ok.any(axis=1), out, np.nan)

    add_weighted(
        "percent_agreement", lambda s, key, w: pa(s, key), "pa",
        lambda lab: f"percent agreement ({lab}): agreeing share of rater pairs within a unit, averaged over "
        "units with 2+ ratings; SE from the between-unit variance (Gwet 2014, ch. 2)",
    )
    add_weighted(
        "cohen_kappa", lambda s, key, w: _cohen_from_table(s["pairs"][:, 0], w), "cohen",
        lambda lab: f"Cohen's kappa ({lab}; Cohen 1960/1968) on units rated by both raters; "
        "SE: large-sample non-null variance (Fleiss, Cohen & Everitt 1969)",
        need={"pairs"},
    )
    add_weighted(
        "scott_pi", scott, "scott",
        lambda lab: f"Scott's pi ({lab}; Scott 1955, weighted as in Gwet 2014, ch. 3) on units rated by both "
        "raters; SE: Gwet's (2014) linearised variance of Fleiss' kappa, which equals pi on complete two-rater "
        "data",
        need={"pairs"},
    )
    add_weighted(
        "fleiss_kappa",
        lambda s, key, w: _chance_corrected(pa(s, key), np.einsum("kl,bk,bl->b", w, pi(s), pi(s))), "fleiss",
        lambda lab: f"Fleiss' kappa ({lab}; Fleiss 1971) generalised to missing ratings (Gwet 2014, ch. 5); "
        "SE: Gwet's linearised variance",
    )
    for k, c in enumerate(cats):

        def cat_kappa(s, k=k):
            pk = pi(s)[:, k]
            with np.errstate(divide="ignore", invalid="ignore"):
                out = 1.0 - (s["dis"][:, k] / s["n2"]) / (pk * (1.0 - pk))
            return np.where(pk * (1.0 - pk) < 1e-12, np.nan, out)

        add(
            f"fleiss_kappa_category_{_code(c)}",
            cat_kappa,
            need={"dis"},
            family="category",
            method=f"Fleiss (1971) kappa for category {_code(c)} against all others; SE under "
            "H0: kappa = 0 for a z-test only (Fleiss, Nee & Landis 1979, generalised to unequal "
            "raters per unit), not for a confidence interval (no normal interval is built from it)",
        )
    add_weighted(
        "conger_kappa", lambda s, key, w: _chance_corrected(pa(s, key), _conger_pe(s["rater"], w)), "conger",
        lambda lab: f"Conger's (1980) kappa ({lab}) with rater-specific marginals, missing ratings as in Gwet "
        "(2014, ch. 5); SE: Gwet's linearised variance",
        need={"rater"},
    )
    add_weighted(
        "light_kappa", light, "light",
        lambda lab: f"Light's (1971) kappa ({lab}): mean of Cohen's kappas over rater pairs with joint units; "
        "SE: delete-one-unit jackknife",
        need={"pairs"},
    )
    add_weighted(
        "brennan_prediger",
        lambda s, key, w: _chance_corrected(pa(s, key), np.full(s["n1"].shape, w.sum() / q**2)), "bp",
        lambda lab: f"Brennan-Prediger (1981) coefficient ({lab}), chance = sum(w)/q^2 over all {q} categories; "
        "SE: Gwet's (2014) linearised variance",
    )
    add_weighted(
        "gwet_ac2",
        lambda s, key, w: _chance_corrected(
            pa(s, key), w.sum() / (q * (q - 1.0)) * (pi(s) * (1.0 - pi(s))).sum(axis=1)
        ),
        "gwet",
        lambda lab: f"Gwet's {'AC1' if lab == 'unweighted' else 'AC2'} ({lab}; Gwet 2008, 2014 ch. 4) with "
        "missing ratings; SE: Gwet's linearised variance",
        unweighted_name="gwet_ac1",
    )
    for metric in _ALPHA_LEVELS:
        add(
            f"krippendorff_alpha_{metric}",
            (lambda s: np.full(s["n1"].shape, np.nan))
            if metric == "ratio" and cats[0] < 0
            else (lambda s, metric=metric: _alpha_from_coincidences(s["coinc"], metric, cats)),
            need={"coinc"},
            family="alpha",
            method=f"Krippendorff's alpha, {metric} metric (Krippendorff 2011), value domain = the "
            f"{q} categories; units with 1 rating are not pairable; SE: delete-one-unit jackknife",
        )
    if custom is not None:
        add(
            "krippendorff_alpha_custom",
            lambda s: _alpha_from_coincidences(s["coinc"], "custom", cats, 1.0 - wm["custom"]),
            need={"coinc"},
            weight="custom",
            family="alpha",
            method="Krippendorff's alpha with custom weights: distance delta^2 = 1 - w (Krippendorff 2011; "
            "Gwet 2014, ch. 6), value domain = the "
            f"{q} categories; units with 1 rating are not pairable; SE: delete-one-unit jackknife",
        )
    unknown = [nm for nm in names if nm not in stats]
    if unknown:
        raise AgreementError(f"unknown statistic(s): {', '.join(unknown)}")
    return {nm: stats[nm] for nm in names}, wm


def statistic_names(
    n_raters: int, categories: ArrayLike, level: str = "ordinal", custom_weights: bool = False
) -> list[str]:
    """Names :func:`coefficient_estimates` returns for ``n_raters`` raters at ``level``.

    Every chance-corrected coefficient comes unweighted and with ``_linear`` and
    ``_quadratic`` weights (Gwet's AC1 is the unweighted AC2); ``level="nominal"``
    leaves out those weighted versions and the ordinal, interval and ratio alphas
    (distances between nominal categories mean nothing). Cohen's kappas and Scott's pi
    need exactly two raters (for more, Fleiss' kappa is the many-rater Scott's pi and
    Conger's kappa the many-rater Cohen's kappa). ``custom_weights=True`` (a weight
    matrix was given) adds a ``_custom`` version of every weighted coefficient and
    ``krippendorff_alpha_custom`` (distance ``1 - w``) at every level: the user's matrix
    says how similar the categories are, so it applies to nominal data too.

    Parameters
    ----------
    n_raters : int
        Raters with at least one rating.
    categories : array_like
        The category set, in increasing order.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Measurement level of the grades.
    custom_weights : bool
        Whether a custom weight matrix was given.

    Returns
    -------
    list of str
        Statistic names in output order.

    Examples
    --------
    >>> from inspect_audit.agreement.coefficients import statistic_names
    >>> [n for n in statistic_names(2, [1, 2, 3], custom_weights=True) if n.startswith("scott_pi")]
    ['scott_pi', 'scott_pi_linear', 'scott_pi_quadratic', 'scott_pi_custom']
    >>> [n for n in statistic_names(3, [1, 2, 3], level="nominal") if n.startswith("conger")]
    ['conger_kappa']
    """
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    cats = _as_categories(categories)
    kinds = [""] + (["_linear", "_quadratic"] if level != "nominal" else []) + (["_custom"] if custom_weights else [])
    names = [f"percent_agreement{k}" for k in kinds]
    if n_raters == 2:
        names += [f"cohen_kappa{k}" for k in kinds] + [f"scott_pi{k}" for k in kinds]
    names += [f"fleiss_kappa{k}" for k in kinds]
    names += [f"fleiss_kappa_category_{_code(c)}" for c in cats]
    for stem in ("conger_kappa", "light_kappa", "brennan_prediger"):
        names += [f"{stem}{k}" for k in kinds]
    names += ["gwet_ac1"] + [f"gwet_ac2{k}" for k in kinds[1:]]
    names += ["krippendorff_alpha_nominal"]
    if level != "nominal":
        names += ["krippendorff_alpha_ordinal", "krippendorff_alpha_interval", "krippendorff_alpha_ratio"]
    names += ["krippendorff_alpha_custom"] if custom_weights else []
    return names


def _conger_pe(g: NDArray, w: NDArray) -> NDArray:
    """Conger's chance agreement from (batch, raters, q) rater-by-category counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = g / g.sum(axis=-1, keepdims=True)
    r = p.shape[1]
    pbar = p.mean(axis=1)
    cross = np.einsum("bgk,bgl->bkl", p, p)
    outer = pbar[:, :, None] * pbar[:, None, :]
    return np.einsum("kl,bkl->b", w, r * r * outer - cross) / (r * (r - 1.0))


def _needs(stats: dict[str, _Stat]) -> set[str]:
    need: set[str] = set()
    for st in stats.values():
        need |= st.need
    return need


# ------------------------------------------------------------------ standard errors


def _gwet_se(d: _Data, w: NDArray, family: str, est: float, pe: float, pi: NDArray) -> float | None:
    """Gwet's (2014) linearised SE (irrCAC ``*.raw`` functions, f = 0), n = rated units."""
    n = d.n
    if n < 2 or not np.isfinite(est):
        return None
    counts, m, pair = d.counts, d.m, d.pairable
    n2 = pair.sum()
    q = d.q
    nstar = counts @ w.T
    den = np.where(pair, m * (m - 1.0), 1.0)
    pa_i = np.where(pair, (counts * (nstar - 1.0)).sum(axis=1) / den, 0.0)
    k_i = (n / n2) * (pa_i - pe * pair) / (1.0 - pe)
    if family in ("fleiss", "scott"):
        piw = (w @ pi + w.T @ pi) / 2.0
        pe_i = counts @ piw / m
    elif family == "gwet":
        pe_i = w.sum() / (q * (q - 1.0)) * (counts @ (1.0 - pi)) / m
    elif family == "conger":
        pe_i = _conger_pe_i(d, w)
    else:  # Brennan-Prediger: chance agreement is fixed
        pe_i = np.full(n, pe)
    k_x = k_i - 2.0 * (1.0 - est) * (pe_i - pe) / (1.0 - pe)
    var = ((k_x - est) ** 2).sum() / (n * (n - 1.0))
    return float(math.sqrt(var))


def _conger_pe_i(d: _Data, w: NDArray) -> NDArray:
    """Per-unit linearised chance agreement of Conger's kappa.

    Same quantity as ``pe.ivec`` in Gwet's irrCAC ``conger.kappa.raw`` (lambda_ig summed
    over raters), rearranged so it costs O(units x raters):
    ``r (r - 1) pe_i = sum_{g rates i} (n / n_g) (A[g, c_ig] - B_g) + sum_g B_g`` with
    ``A[g, l] = sum_k (r pbar_k - p_gk) w_kl`` and ``B_g = sum_l A[g, l] p_gl``.
    """
    n, r, q = d.n, d.r, d.q
    codes = d.codes
    rated = codes >= 0
    cls = np.zeros((r, q))
    rows, cols = np.nonzero(rated)
    np.add.at(cls, (cols, codes[rows, cols]), 1.0)
    ng = cls.sum(axis=1)
    pgk = cls / ng[:, None]
    pbar = pgk.mean(axis=0)
    a = (r * pbar[None, :] - pgk) @ w  # (r, q)
    b = (a * pgk).sum(axis=1)  # (r,)
    gi = np.arange(r)[None, :]
    term = np.where(rated, (n / ng)[None, :] * (a[gi, np.where(rated, codes, 0)] - b[None, :]), 0.0)
    return (term.sum(axis=1) + b.sum()) / (r * (r - 1.0))


def _cohen_se(table: NDArray, w: NDArray, est: float) -> float | None:
    """Fleiss, Cohen & Everitt (1969) large-sample SE of (weighted) kappa."""
    n = table.sum()
    if n < 2 or not np.isfinite(est):
        return None
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    pe = row @ w @ col
    wbar_row = w @ col  # w-bar_{k.} = sum_l p_{.l} w_kl
    wbar_col = row @ w  # w-bar_{.l} = sum_k p_{k.} w_kl
    inner = (p * (w - (wbar_row[:, None] + wbar_col[None, :]) * (1.0 - est)) ** 2).sum()
    var = (inner - (est - pe * (1.0 - est)) ** 2) / (n * (1.0 - pe) ** 2)
    return float(math.sqrt(max(var, 0.0)))


def _light_jackknife_se(
    feat: _Features, tables: NDArray, rows: NDArray[np.int64], w: NDArray
) -> float | None:
    """Exact delete-one-unit jackknife SE of (weighted) Light's kappa in O(unit-pair entries).

    Leaving unit i out removes one cell (a, b) from the table of each rater pair that
    rated it; the pair's kappa is updated from its margins instead of recomputing every
    table: the weighted agreement loses ``w[a, b]`` and ``sum_kl w_kl row_k col_l`` loses
    ``(w @ col)[a] + (row @ w)[b] - w[a, b]``.
    """
    n = rows.size
    if n < 2:
        return None
    q = tables.shape[-1]
    unit, pid, cell = feat.pair_entries
    a, b = cell // q, cell % q
    tot = tables.sum(axis=(1, 2))
    agree = (tables * w).sum(axis=(1, 2))
    row, col = tables.sum(axis=2), tables.sum(axis=1)
    wcol, roww = col @ w.T, row @ w  # (w @ col)[k] per pair, (row @ w)[l] per pair
    srow = (row * wcol).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kap = _chance_corrected(agree / tot, srow / tot**2)
        same = w[a, b]
        n1 = tot[pid] - 1.0
        po1 = (agree[pid] - same) / n1
        pe1 = (srow[pid] - wcol[pid, a] - roww[pid, b] + same) / n1**2
        kap1 = np.where(n1 > 0, _chance_corrected(po1, pe1), np.nan)
    ok = np.isfinite(kap)
    ok1 = np.isfinite(kap1)
    nu = feat.d.n
    sum_i = np.bincount(unit, weights=np.where(ok1, kap1, 0.0), minlength=nu) - np.bincount(
        unit, weights=np.where(ok[pid], kap[pid], 0.0), minlength=nu
    )
    cnt_i = np.bincount(unit, weights=ok1.astype(float), minlength=nu) - np.bincount(
        unit, weights=ok[pid].astype(float), minlength=nu
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = (np.where(ok, kap, 0.0).sum() + sum_i[rows]) / (ok.sum() + cnt_i[rows])
    return _jackknife(vals)


def _jackknife_se(feat: _Features, st: _Stat, rows: NDArray[np.int64]) -> float | None:
    """Delete-one-unit jackknife SE over ``rows`` (Efron & Tibshirani 1993, ch. 11)."""
    n = rows.size
    if n < 2:
        return None
    with_sparse = bool(st.need & {"rater", "pairs"})
    width = feat.dense.shape[1] + (feat.sparse.shape[1] if with_sparse and feat.sparse is not None else 0)
    chunk = max(1, 4_000_000 // max(width, 1))
    vals = np.concatenate(
        [st.fn(feat.leave_one_out(rows[i : i + chunk], with_sparse)) for i in range(0, n, chunk)]
    )
    return _jackknife(vals)


def _jackknife(vals: NDArray) -> float | None:
    """Jackknife SE from the n leave-one-out values; ``None`` if any is undefined."""
    n = vals.size
    if n < 2 or not np.all(np.isfinite(vals)):
        return None
    return float(math.sqrt((n - 1.0) / n * ((vals - vals.mean()) ** 2).sum()))


# ------------------------------------------------------------------------- public API


def _undefined_reason(family: str, name: str, categories: NDArray) -> str:
    if name == "krippendorff_alpha_ratio" and categories[0] < 0:
        return "undefined: the ratio metric needs non-negative category values"
    if family == "alpha":
        return "undefined: expected disagreement is 0 (all pairable ratings in one category), alpha is 0/0"
    if family == "category":
        return "undefined: this category was used by every rating or by none, so its kappa is 0/0"
    if family == "light":
        return "undefined: no rater pair has a defined Cohen's kappa"
    if family == "pa":
        return "undefined: no unit with two or more ratings"
    return "undefined: chance agreement is 1 (all ratings in one category), so the coefficient is 0/0"


def coefficient_estimates(
    x: ArrayLike, categories: ArrayLike, level: str = "ordinal", weights: ArrayLike | None = None
) -> dict[str, dict[str, object]]:
    """Agreement coefficients with standard errors.

    Parameters
    ----------
    x : array_like
        Units x raters matrix of grades, ``NaN`` for a missing rating.
    categories : array_like
        The full category set in increasing order (unused categories count).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Measurement level; ``"nominal"`` drops the weighted coefficients (see
        :func:`statistic_names`).
    weights : array_like, optional
        A custom ``q x q`` agreement-weight matrix (square, one row and column per
        category, symmetric, 1 on the diagonal, values in [0, 1]; checked by
        :func:`weights`). Adds the ``*_custom`` weighted coefficients (percent
        agreement, Cohen's, Scott's, Fleiss', Conger's and Light's kappa,
        Brennan-Prediger, Gwet's AC2, Krippendorff's alpha with distance ``1 - w``),
        whose ``method`` says "custom weights".

    Returns
    -------
    dict
        ``name -> {"estimate": float, "se": float | None, "method": str}`` in the order of
        :func:`statistic_names`. The per-category Fleiss kappas carry the null-hypothesis
        SE and give its z statistic in ``method``. ``estimate`` is ``nan`` only when ``method`` starts its
        last clause with ``"undefined:"``. Krippendorff's alphas come from the
        ``krippendorff`` package (value domain = ``categories``).

    Raises
    ------
    AgreementError
        Grades outside ``categories``, fewer than two categories, no unit with two or
        more ratings, or an invalid custom weight matrix.

    Examples
    --------
    Gwet's ``cac.raw4raters`` (irrCAC): four raters, twelve subjects, missing ratings.
    Weighted Conger's kappa with half credit for adjacent grades (irrCAC: 0.80009,
    SE 0.14533):

    >>> import numpy as np
    >>> from inspect_audit.agreement.coefficients import coefficient_estimates
    >>> nan = np.nan
    >>> x = [[1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    ...      [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [nan, 5, 5, 5], [nan, nan, 1, 1], [nan, nan, 3, nan]]
    >>> w = np.eye(5) + 0.5 * (np.eye(5, k=1) + np.eye(5, k=-1))
    >>> res = coefficient_estimates(x, [1, 2, 3, 4, 5], weights=w)
    >>> for name in ("conger_kappa", "conger_kappa_quadratic", "conger_kappa_custom"):
    ...     print(f"{name}: {res[name]['estimate']:.5f} (SE {res[name]['se']:.5f})")
    conger_kappa: 0.76282 (SE 0.14917)
    conger_kappa_quadratic: 0.85771 (SE 0.14367)
    conger_kappa_custom: 0.80009 (SE 0.14533)
    """
    d = _prepare(x, categories)
    names = statistic_names(d.r, d.categories, level, custom_weights=weights is not None)
    stats, wm = _build_stats(d, names, weights)
    feat = _Features(d, wm, _needs(stats))
    totals = feat.totals()
    pi = totals["pi"][0] / totals["n1"][0]
    pair_rows = np.nonzero(d.pairable)[0]
    out: dict[str, dict[str, object]] = {}
    for name, st in stats.items():
        est = float(st.fn(totals)[0])
        se: float | None = None
        method = st.method
        w = wm.get(st.weight) if st.weight else None
        if st.family == "alpha":
            metric = name.removeprefix("krippendorff_alpha_")
            if np.isfinite(est) and metric != "custom":
                est = float(
                    _krippendorff.alpha(
                        value_counts=d.counts[d.pairable].astype(np.int64),
                        value_domain=d.categories,
                        level_of_measurement=metric,
                    )
                )
        if not np.isfinite(est):
            reason = _undefined_reason(st.family, name, d.categories)
            out[name] = {"estimate": math.nan, "se": None, "method": f"{method}; {reason}"}
            continue
        if st.family == "pa":
            se = _gwet_se(d, w, "bp", est, 0.0, pi)
        elif st.family == "cohen":
            se = _cohen_se(totals["pairs"][0, 0], w, est)
        elif st.family == "scott":
            both = (d.codes[:, 0] >= 0) & (d.codes[:, 1] >= 0)
            sub = _Data(d.categories, d.codes[both], d.counts[both], d.m[both], 0, 0)
            pi_s = sub.counts.sum(axis=0) / sub.counts.sum()
            se = _gwet_se(sub, w, "scott", est, float(pi_s @ w @ pi_s), pi_s)
        elif st.family in ("fleiss", "gwet", "bp", "conger"):
            q = d.q
            if st.family == "fleiss":
                pe = float(pi @ w @ pi)
            elif st.family == "gwet":
                pe = float(w.sum() / (q * (q - 1.0)) * (pi * (1.0 - pi)).sum())
            elif st.family == "bp":
                pe = float(w.sum() / q**2)
            else:
                pe = float(_conger_pe(totals["rater"], w)[0])
            se = _gwet_se(d, w, st.family, est, pe, pi)
        elif st.family == "category":
            mm = d.m[d.pairable]
            se = float(math.sqrt(2.0 * np.sum(1.0 / (mm * (mm - 1.0)))) / mm.size)
            z = est / se
            method += f"; z = {z:.2f} (two-sided p = {math.erfc(abs(z) / math.sqrt(2.0)):.2g}) for H0: kappa = 0"
        elif st.family == "alpha":
            se = _jackknife_se(feat, st, pair_rows)
        elif st.family == "light":
            se = _light_jackknife_se(feat, totals["pairs"][0], pair_rows, w)
            tables = totals["pairs"][0]
            kap = _cohen_from_table(tables, w)
            joint = tables.sum(axis=(1, 2))
            method += (
                f"; {int(np.isfinite(kap).sum())} of {d.r * (d.r - 1) // 2} rater pairs have a defined "
                f"kappa, median {np.median(joint):g} shared units per pair"
            )
        if se is None:
            method += "; no SE: too few units (or a leave-one-out replicate is undefined)"
        out[name] = {"estimate": est, "se": se, "method": method}
    return out


def _resample_counts(rng: np.random.Generator, n: int, b: int) -> NDArray[np.float64]:
    """(b, n) times each of n units is drawn in b bootstrap resamples (with replacement)."""
    idx = rng.integers(0, n, size=(b, n))
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)


def _bootstrap_replicates(
    d: _Data, names: Sequence[str], n_boot: int, seed, return_full: bool = False, custom: ArrayLike | None = None
):
    """Replicate values ``name -> (n_boot,)``; replicate b counts unit i as often as it is drawn."""
    stats, wm = _build_stats(d, names, custom)
    feat = _Features(d, wm, _needs(stats))
    rng = np.random.default_rng(seed)
    n = d.n
    width = feat.dense.shape[1] + (feat.sparse.shape[1] if feat.sparse is not None else 0)
    # Draws depend on n only, so a statistic's interval does not depend on what else is asked.
    chunk = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    sub = max(1, 4_000_000 // max(width, 1))  # replicates evaluated together (memory bound)
    reps = {nm: np.empty(n_boot) for nm in names}
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        c = _resample_counts(rng, n, b)
        for lo in range(0, b, sub):
            s = feat.totals(c[lo : lo + sub])
            for nm, st in stats.items():
                reps[nm][start + lo : start + min(lo + sub, b)] = st.fn(s)
    if return_full:
        return stats, reps, feat.totals()
    return reps


def bootstrap(
    x: ArrayLike,
    categories: ArrayLike,
    statistics: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int | np.random.Generator | None = None,
    ci_prob: float = CI_PROB,
    weights: ArrayLike | None = None,
) -> dict[str, tuple[float, float]]:
    """Unit-level percentile bootstrap intervals.

    Units (rows) are resampled with replacement; every coefficient is recomputed from
    the resampled per-unit sums (category counts, pair agreements, coincidences, rater
    one-hots), so no replicate re-reads the ratings.

    Parameters
    ----------
    x, categories
        As in :func:`coefficient_estimates`.
    statistics : sequence of str, optional
        Names from :func:`statistic_names`; default all of them at the ordinal level.
    n_boot : int
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same intervals.
    ci_prob : float
        Probability covered by the two-sided percentile interval (default 0.90).
    weights : array_like, optional
        Custom weight matrix behind the ``*_custom`` statistics (as in
        :func:`coefficient_estimates`).

    Returns
    -------
    dict
        ``name -> (lower, upper)``. Replicates where a coefficient is 0/0 are left out
        of its percentiles; a coefficient undefined on the data itself gets ``(nan, nan)``
        (:func:`coefficient_estimates` says why).
    """
    check_ci_prob(ci_prob)
    if int(n_boot) < 1:
        raise AgreementError("n_boot must be at least 1")
    n_boot = int(n_boot)
    d = _prepare(x, categories)
    available = statistic_names(d.r, d.categories, "ordinal", custom_weights=weights is not None)
    names = list(available if statistics is None else statistics)
    not_here = [nm for nm in names if nm not in available]
    if not_here:
        raise AgreementError(
            f"statistic(s) {', '.join(not_here)} are not available for {d.r} raters"
            f" (available: {', '.join(available)})"
        )
    stats, reps, full = _bootstrap_replicates(d, names, n_boot, seed, return_full=True, custom=weights)
    out: dict[str, tuple[float, float]] = {}
    for nm, st in stats.items():
        est = st.fn(full)[0]
        out[nm] = percentile_interval(reps[nm], ci_prob) if np.isfinite(est) else (math.nan, math.nan)
    return out


def check_ci_prob(ci_prob: float) -> None:
    """Raise :class:`AgreementError` unless ``0 < ci_prob < 1`` (every agreement function's interval mass)."""
    if not 0.0 < ci_prob < 1.0:
        raise AgreementError(f"ci_prob must be between 0 and 1 (for example 0.90), got {ci_prob!r}")


# ------------------------------------------------------- continuous ratings (no categories)

_CONTINUOUS_LEVELS = ("interval", "ratio")


def _ratio_delta(a: NDArray, b: NDArray) -> NDArray:
    """Krippendorff's ratio distance ((a - b) / (a + b))^2, 0 where a + b = 0."""
    s_ = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s_ != 0, ((a - b) / np.where(s_ != 0, s_, 1.0)) ** 2, 0.0)


class _ContinuousAlpha:
    """Krippendorff's interval or ratio alpha of real-valued ratings as sums over units.

    With ``N`` pairable ratings, ``D_u`` the sum of distances over ordered pairs of
    unit ``u``'s ratings divided by ``m_u - 1``, and ``E`` the sum of distances over all
    ordered pairs of pairable ratings, ``alpha = 1 - (N - 1) sum_u D_u / E``
    (Krippendorff 2011: the coincidence-matrix formula with one value per rating). For
    the interval metric ``E = 2 (N S2 - S1^2)`` from per-unit sums of ``x`` and ``x^2``,
    so the bootstrap re-weights units at no extra cost; for the ratio metric ``E`` is a
    sum over all pairs (computed once, in blocks) and only the delete-one-unit jackknife
    is offered.
    """

    def __init__(self, x: ArrayLike, metric: str):
        if metric not in _CONTINUOUS_LEVELS:
            raise AgreementError(
                f"continuous ratings (no category list) allow the interval or ratio alpha, not {metric!r}"
            )
        arr = _as_matrix(x)
        present = ~np.isnan(arr)
        keep = present.sum(axis=1) >= 2
        if not keep.any():
            raise AgreementError("no unit has ratings from two or more raters, so there is nothing to compare")
        rows, cols = np.nonzero(present[keep])
        self.metric = metric
        self.values = arr[keep][rows, cols]
        self.unit = rows
        self.n = int(keep.sum())
        self.m = np.bincount(rows, minlength=self.n).astype(float)
        self.negative = bool(metric == "ratio" and np.any(self.values < 0))
        # size of a typical distance, for the "expected disagreement is 0" test
        self.scale = 1.0 if metric == "ratio" else max(float(np.max(np.abs(self.values))) ** 2, 1e-300)
        if metric == "interval":
            self.s1 = np.bincount(rows, weights=self.values, minlength=self.n)
            self.s2 = np.bincount(rows, weights=self.values**2, minlength=self.n)
            centred = self.s2 - self.s1**2 / self.m  # within-unit sum of squares
            self.d = 2.0 * self.m * centred / (self.m - 1.0)
        else:
            a, b = self._unit_pairs()
            within = np.bincount(self.unit[a], weights=_ratio_delta(self.values[a], self.values[b]),
                                 minlength=self.n)
            self.within = within  # sum over ordered pairs inside each unit
            self.d = within / (self.m - 1.0)
            self.g = self._row_sums()

    def _unit_pairs(self) -> tuple[NDArray, NDArray]:
        order = np.argsort(self.unit, kind="stable")
        start = np.concatenate([[0], np.cumsum(self.m.astype(int))[:-1]])
        a_list, b_list = [], []
        mmax = int(self.m.max())
        for s_ in range(mmax):
            for t_ in range(mmax):
                ok = np.nonzero((self.m > max(s_, t_)) & (s_ != t_))[0]
                a_list.append(order[start[ok] + s_])
                b_list.append(order[start[ok] + t_])
        return np.concatenate(a_list), np.concatenate(b_list)

    def _row_sums(self) -> NDArray:
        """g(x_i) = sum over all pairable ratings j of delta(x_i, x_j), in blocks."""
        v = self.values
        out = np.empty(v.size)
        step = max(1, 2_000_000 // max(v.size, 1))
        for lo in range(0, v.size, step):
            out[lo : lo + step] = _ratio_delta(v[lo : lo + step, None], v[None, :]).sum(axis=1)
        return out

    def _alpha(self, n_tot: NDArray, d_sum: NDArray, e: NDArray) -> NDArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1.0 - (n_tot - 1.0) * d_sum / e
        return np.where(e <= 1e-12 * np.maximum(n_tot, 1.0) ** 2 * self.scale, np.nan, out)

    def estimate(self) -> float:
        if self.negative:
            return math.nan
        return float(self._weighted(np.ones((1, self.n)))[0]) if self.metric == "interval" else float(
            self._alpha(np.array([self.m.sum()]), np.array([self.d.sum()]), np.array([self.g.sum()]))[0]
        )

    def _weighted(self, c: NDArray) -> NDArray:
        """Interval alpha with unit i counted c[b, i] times (a bootstrap replicate)."""
        n_tot, s1, s2 = c @ self.m, c @ self.s1, c @ self.s2
        return self._alpha(n_tot, c @ self.d, 2.0 * (n_tot * s2 - s1**2))

    def jackknife_se(self) -> float | None:
        n = self.n
        if n < 2 or self.negative:
            return None
        if self.metric == "interval":
            n_tot = self.m.sum() - self.m
            s1, s2 = self.s1.sum() - self.s1, self.s2.sum() - self.s2
            vals = self._alpha(n_tot, self.d.sum() - self.d, 2.0 * (n_tot * s2 - s1**2))
        else:
            g_unit = np.bincount(self.unit, weights=self.g, minlength=n)
            e = self.g.sum() - 2.0 * g_unit + self.within
            vals = self._alpha(self.m.sum() - self.m, self.d.sum() - self.d, e)
        return _jackknife(vals)

    def bootstrap(self, n_boot: int, seed, ci_prob: float) -> tuple[float, float]:
        rng = np.random.default_rng(seed)
        reps = np.empty(n_boot)
        chunk = max(1, min(n_boot, 4_000_000 // max(self.n, 1)))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            reps[start : start + b] = self._weighted(_resample_counts(rng, self.n, b))
        return percentile_interval(reps, ci_prob)


def continuous_alpha(
    x: ArrayLike,
    metric: str = "interval",
    ci_prob: float = CI_PROB,
    n_boot: int = 0,
    seed: int | np.random.Generator | None = None,
) -> dict[str, object]:
    """Krippendorff's alpha for real-valued ratings, without a category list.

    Parameters
    ----------
    x : array_like
        Units x raters scores (any real numbers), ``NaN`` = not rated.
    metric : {"interval", "ratio"}
        Distance between two scores: ``(a - b)^2`` or ``((a - b) / (a + b))^2``
        (Krippendorff 2011). The ratio metric needs non-negative scores.
    ci_prob : float
        Probability covered by the two-sided interval (default 0.90).
    n_boot : int
        ``0``: normal interval from the delete-one-unit jackknife SE. ``> 0`` (interval
        metric only): seeded percentile bootstrap over units.
    seed : int or numpy.random.Generator, optional
        Bootstrap seed.

    Returns
    -------
    dict
        ``estimate``, ``se`` (jackknife), ``ci_low``, ``ci_high``, ``method`` (how the
        interval was made, or ``"undefined: ..."``) and ``n`` (units with two or more
        ratings, the units alpha uses).

    Raises
    ------
    AgreementError
        Not a 2-D numeric matrix, infinite values, an unknown metric, no unit with two
        ratings, or ``ci_prob`` outside (0, 1).

    Examples
    --------
    Krippendorff (2011), sec. E, read as scores (equal to the categorical interval
    alpha, .849, because distances depend on the values only):

    >>> import numpy as np
    >>> from inspect_audit.agreement.coefficients import continuous_alpha
    >>> nan = np.nan
    >>> x = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...               [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...               [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...               [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> res = continuous_alpha(x)
    >>> print(f"{res['estimate']:.3f} ({res['ci_low']:.2f} to {res['ci_high']:.2f}), n = {res['n']}")
    0.849 (0.62 to 1.08), n = 11
    """
    check_ci_prob(ci_prob)
    ca = _ContinuousAlpha(x, metric)
    method = (f"Krippendorff's alpha, {metric} metric (Krippendorff 2011) on continuous scores (no category "
              "list: every observed value is its own value); units with 1 rating are not pairable")
    nan = math.nan
    if ca.negative:
        return {"estimate": nan, "se": None, "ci_low": nan, "ci_high": nan, "n": ca.n,
                "method": f"{method}; undefined: the ratio metric needs non-negative scores"}
    est = ca.estimate()
    if not np.isfinite(est):
        return {"estimate": nan, "se": None, "ci_low": nan, "ci_high": nan, "n": ca.n,
                "method": f"{method}; undefined: expected disagreement is 0 (every pairable score is the "
                "same), alpha is 0/0"}
    se = ca.jackknife_se()
    if n_boot > 0 and metric == "interval":
        lo, hi = ca.bootstrap(int(n_boot), seed, ci_prob)
        method += f"; SE: delete-one-unit jackknife; {ci_prob:.0%} unit bootstrap ({int(n_boot)} replicates, seed {seed})"
    elif se is not None:
        z = float(stats.norm.ppf((1.0 + ci_prob) / 2.0))
        lo, hi = est - z * se, est + z * se
        method += f"; SE: delete-one-unit jackknife; {ci_prob:.0%} normal interval from that SE"
        if n_boot > 0:
            method += (" (no bootstrap for the ratio metric: its expected disagreement is a sum over all "
                       "pairs of scores)")
    else:
        lo = hi = nan
        method += "; no SE: too few units (or a leave-one-out replicate is undefined), so no interval"
    return {"estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "method": method, "n": ca.n}

