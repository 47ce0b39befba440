"""Aggregation kernels: weighted arithmetic, weighted geometric and TOPSIS, each giving a composite and
five dimension scores (0–100) with intermediates.

Weights are hierarchical: a global weight ``g_j`` splits into a dimension weight ``W_d = Σ_{j∈d} g_j`` and
a within-dimension weight ``w_j = g_j / W_d``. When an incubator has an indicator excluded (``mask`` false),
its weight is redistributed within its dimension; a dimension with nothing available is dropped and the
dimension weights renormalised. The resulting per-incubator *effective weights* ``E_ij`` sum to 1 per row.

* arithmetic: ``composite_i = Σ_j E_ij n_ij``; contribution ``c_ij = E_ij n_ij`` (sums to the composite);
  dimension score = within-dimension weighted mean.
* geometric: ``Π_j max(n_ij, ε)^E_ij`` with an epsilon floor ``ε`` (default 1 point on the 0–100 scale) so a
  single zero does not wipe out the score. Contributions are log-shares:
  ``c_ij = composite_i · E_ij ln(max(n_ij, ε)/ε) / ln(composite_i/ε)`` (they sum to the composite).
* TOPSIS: weighted matrix ``v_ij = E_ij n_ij``; ideal/anti-ideal = column max/min over the cohort
  (``ideal="cohort"``, textbook) or 100/0 in weighted terms (``ideal="fixed"``, fixed goalposts);
  closeness ``D⁻/(D⁺ + D⁻)`` × 100 (50 when ``D⁺ + D⁻ = 0``). Dimension scores are TOPSIS closeness on each
  dimension's indicators. TOPSIS has no additive contributions (``None``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._types import BoolArray, FloatArray, IntArray

__all__ = ["AGGREGATIONS", "AggregationResult", "aggregate", "effective_weights"]

AGGREGATIONS = ("arithmetic", "geometric", "topsis")


@dataclass(frozen=True)
class AggregationResult:
    """Composite (n,), dimension scores (n × d), effective weights (n × m), contributions (n × m or None)."""

    method: str
    composite: FloatArray
    dimension_scores: FloatArray
    effective_weights: FloatArray
    contributions: FloatArray | None
    details: Mapping[str, FloatArray] = field(default_factory=dict)


def _mm(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a @ b`` for a skinny ``b`` (m × k, k small), one column at a time with ``einsum``: each row's sum is
    then computed the same way whatever the other rows (BLAS ``gemv`` blocks rows, so a row's last bits
    depend on how many rows there are — a fixed-goalpost score must not), at about 1.6× a ``gemv``."""
    out = np.empty((a.shape[0], b.shape[1]))
    for k in range(b.shape[1]):
        out[:, k] = np.einsum("ij,j->i", a, b[:, k])
    return out


def _onehot(dim_idx: IntArray, n_dims: int) -> FloatArray:
    oh = np.zeros((dim_idx.size, n_dims))
    oh[np.arange(dim_idx.size), dim_idx] = 1.0
    return oh


def effective_weights(g: FloatArray, mask: BoolArray | None, dim_idx: IntArray,
                      n_dims: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row effective weights ``E`` (n × m), within-dimension weights (n × m) and dimension weights
    (n × d) after redistributing excluded indicators (module doc). ``mask=None`` means all present."""
    oh = _onehot(dim_idx, n_dims)
    dw = g @ oh  # (d,)
    within = g / np.where(dw[dim_idx] > 0, dw[dim_idx], 1.0)
    if mask is None:
        e = np.broadcast_to(g, (1, g.size))
        return (np.asarray(e, dtype=np.float64), np.asarray(within[None, :], dtype=np.float64),
                np.asarray(dw[None, :], dtype=np.float64))
    wm = within[None, :] * mask
    s = _mm(wm, oh)  # (n, d) available within-weight per dimension
    avail = s > 0
    dwa = dw[None, :] * avail
    dws = dwa.sum(axis=1, keepdims=True)
    dwn = dwa / np.where(dws > 0, dws, 1.0)
    win = wm / np.where(s > 0, s, 1.0)[:, dim_idx]
    e = win * dwn[:, dim_idx]
    # a row with everything present gets exactly the unmasked weights, whatever the other rows hold
    # (so a fixed-goalpost score is bit-for-bit a function of its own row)
    full = mask.all(axis=1)
    if full.any():
        e[full] = g
        win[full] = within
        dwn[full] = dw
    return np.asarray(e, dtype=np.float64), np.asarray(win, dtype=np.float64), np.asarray(dwn, dtype=np.float64)


def _arithmetic(n: FloatArray, e: FloatArray, win: FloatArray, dwn: FloatArray, oh: FloatArray,
                mask: BoolArray | None) -> AggregationResult:
    n0 = n if mask is None else np.where(mask, n, 0.0)
    contrib = n0 * e
    composite = contrib.sum(axis=1)
    dims = _mm(n0 * win, oh)
    if mask is not None:
        dims = np.where(_mm(mask.astype(np.float64), oh) > 0, dims, np.nan)
    return AggregationResult("arithmetic", composite, dims, np.broadcast_to(e, n.shape), contrib)


def _geometric(n: FloatArray, e: FloatArray, win: FloatArray, dwn: FloatArray, oh: FloatArray,
               mask: BoolArray | None, eps: float) -> AggregationResult:
    floored = np.maximum(np.where(np.isnan(n), eps, n), eps)
    logn = np.log(floored)
    if mask is not None:
        logn = np.where(mask, logn, 0.0)
    composite = np.exp((logn * e).sum(axis=1))
    dims = np.exp(_mm(logn * win, oh))
    if mask is not None:
        dims = np.where(_mm(mask.astype(np.float64), oh) > 0, dims, np.nan)
    share = e * (logn - np.log(eps))
    if mask is not None:
        share = np.where(mask, share, 0.0)
    denom = np.log(composite / eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = np.where(denom[:, None] > 0, composite[:, None] * share / np.where(denom > 0, denom, 1.0)[:, None], 0.0)
    return AggregationResult("geometric", composite, dims, np.broadcast_to(e, n.shape), contrib,
                             {"epsilon": np.array([eps])})


def _ideals(v: FloatArray, present: BoolArray | None, ideal: str,
            w: FloatArray) -> tuple[FloatArray, FloatArray]:
    if ideal == "fixed":
        return 100.0 * w, np.zeros_like(w)
    if present is None:
        return v.max(axis=0), v.min(axis=0)
    vv = np.where(present, v, np.nan)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a column nobody has: ideal 0 below
        pis = np.nanmax(vv, axis=0) if present.any() else np.zeros(v.shape[1])
        nis = np.nanmin(vv, axis=0) if present.any() else np.zeros(v.shape[1])
    return np.where(np.isnan(pis), 0.0, pis), np.where(np.isnan(nis), 0.0, nis)


def _closeness(v: FloatArray, present: BoolArray | None, pis: FloatArray, nis: FloatArray,
               group: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TOPSIS closeness (×100) per group of columns (``group`` is m × k one-hot)."""
    dp2 = (v - pis) ** 2
    dm2 = (v - nis) ** 2
    if present is not None:
        dp2 = np.where(present, dp2, 0.0)
        dm2 = np.where(present, dm2, 0.0)
    dp = np.sqrt(_mm(dp2, group))
    dm = np.sqrt(_mm(dm2, group))
    tot = dp + dm
    c = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5) * 100.0
    return c, dp, dm


def _topsis_fast(n: FloatArray, g: FloatArray, win: FloatArray, oh: FloatArray, ideal: str) -> AggregationResult:
    """No exclusions, one weight vector: ``Σ_j w_j² (n_ij − n*_j)²`` for the composite (w = g) and each
    dimension (w = within-dimension weight) in one matrix product per distance."""
    if ideal == "fixed":
        hi = np.full(n.shape[1], 100.0)
        lo = np.zeros(n.shape[1])
    else:
        hi = n.max(axis=0)
        lo = n.min(axis=0)
    group = np.column_stack([g * g, oh * (win * win)[:, None]])  # (m, 1 + d)
    a = np.subtract(n, hi)
    np.square(a, out=a)
    dp = np.sqrt(_mm(a, group))
    np.subtract(n, lo, out=a)
    np.square(a, out=a)
    dm = np.sqrt(_mm(a, group))
    tot = dp + dm
    c = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5) * 100.0
    return AggregationResult("topsis", c[:, 0], c[:, 1:], np.broadcast_to(g, n.shape), None,
                             {"pis": g * hi, "nis": g * lo, "d_plus": dp[:, 0], "d_minus": dm[:, 0]})


def _topsis(n: FloatArray, e: FloatArray, win: FloatArray, oh: FloatArray, mask: BoolArray | None,
            ideal: str) -> AggregationResult:
    if mask is None and e.shape[0] == 1 and not np.isnan(n.sum()) and ideal == "cohort":
        return _topsis_fast(n, e[0], win[0], oh, ideal)
    n0 = n if mask is None else np.where(mask, n, 0.0)
    v = n0 * e
    pis, nis = _ideals(v, mask, ideal, e)
    c, dp, dm = _closeness(v, mask, pis, nis, np.ones((n.shape[1], 1)))
    vw = n0 * win
    pisw, nisw = _ideals(vw, mask, ideal, win)
    dims, _, _ = _closeness(vw, mask, pisw, nisw, oh)
    if mask is not None:
        dims = np.where(_mm(mask.astype(np.float64), oh) > 0, dims, np.nan)
    return AggregationResult("topsis", c[:, 0], dims, np.broadcast_to(e, n.shape), None,
                             {"pis": np.asarray(pis, dtype=np.float64), "nis": np.asarray(nis, dtype=np.float64),
                              "d_plus": dp[:, 0], "d_minus": dm[:, 0]})


def aggregate(n: FloatArray, g: FloatArray, dim_idx: IntArray, n_dims: int, method: str,
              mask: BoolArray | None = None, *, epsilon: float = 1.0, ideal: str = "cohort") -> AggregationResult:
    """Aggregate an oriented 0–100 matrix ``n`` with global weights ``g`` (no validation)."""
    oh = _onehot(dim_idx, n_dims)
    e, win, dwn = effective_weights(g, mask, dim_idx, n_dims)
    if method == "arithmetic":
        return _arithmetic(n, e, win, dwn, oh, mask)
    if method == "geometric":
        return _geometric(n, e, win, dwn, oh, mask, epsilon)
    if method == "topsis":
        return _topsis(n, e, win, oh, mask, ideal)
    raise ValueError(f"unknown aggregation {method!r}")
