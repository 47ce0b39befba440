"""Weighting kernels: scheme (expert) weights, entropy, CRITIC and their blend.

Entropy, two named variants (they disagree wildly on the same data; the scheme's ``[method]
entropy_variant`` picks one and the engine honours it):

``sum`` (textbook; Shannon entropy weights as in Hwang & Yoon 1981 and Zeleny 1982, worked example in
Xu 2004, EJOR 156(2):530–532): ``p_ij = x_ij / Σ_i x_ij`` on the raw non-negative values (not
oriented: entropy measures dispersion), then steps 3–4 below.

``minmax_sum`` (the pinned default):
    1. min–max normalise each indicator to [0, 1], oriented (cost inverted);
    2. ``p_ij = x_ij / Σ_i x_ij``;
    3. ``e_j = −(1/ln n) Σ_i p_ij ln p_ij`` with ``0·ln 0 = 0``;
    4. ``d_j = 1 − e_j``; ``w_j = d_j / Σ_k d_k``.
    A constant column (all zeros after min–max) carries no information: ``e_j = 1``, ``d_j = 0``. If every
    ``d_j`` is 0 the weights are equal. NaN (excluded) values are skipped and ``n`` counts the values present.

CRITIC (Diakoulaki et al. 1995):
    1. min–max normalise to [0, 1], oriented;
    2. ``σ_j`` = sample standard deviation (ddof = 1; the ddof cancels in the weights);
    3. ``r_jk`` = Pearson correlation (0 where a column is constant);
    4. ``C_j = σ_j Σ_k (1 − r_jk)``; ``w_j = C_j / Σ_k C_k``.
    Only rows with every indicator present are used.

Blend: ``w = α·w_scheme + (1 − α)·w_other`` (a convex combination, ``0 ≤ α ≤ 1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._types import BoolArray, FloatArray

__all__ = ["ENTROPY_VARIANTS", "WEIGHTINGS", "WeightingResult", "blend", "critic", "entropy", "entropy_kernel"]

ENTROPY_VARIANTS = ("minmax_sum", "sum")

WEIGHTINGS = ("scheme", "entropy", "critic", "blend")


@dataclass(frozen=True)
class WeightingResult:
    """Global indicator weights (sum 1) and intermediates (entropy, divergence, sd, correlation ...)."""

    method: str
    weights: FloatArray
    details: Mapping[str, FloatArray] = field(default_factory=dict)


def _unit_minmax(x: FloatArray, cost: BoolArray) -> FloatArray:
    lo = np.nanmin(x, axis=0)
    hi = np.nanmax(x, axis=0)
    span = hi - lo
    r = (x - lo) / np.where(span > 0, span, 1.0)
    r = np.where(span > 0, r, 0.0)
    r = np.where(np.isnan(x), np.nan, r)
    return np.asarray(np.where(cost, 1.0 - r, r) if cost.any() else r, dtype=np.float64)


def entropy_kernel(p_source: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Entropy weights of a non-negative matrix (sum normalisation, ``0·ln 0 = 0``).

    Returns (weights, entropy e_j, divergence d_j). NaN entries are skipped.
    """
    x = p_source
    present = ~np.isnan(x)
    x0 = np.where(present, x, 0.0)
    n = present.sum(axis=0).astype(np.float64)
    colsum = x0.sum(axis=0)
    ok = colsum > 0
    p = x0 / np.where(ok, colsum, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    k = np.where(n > 1, 1.0 / np.log(np.where(n > 1, n, 2.0)), 0.0)
    e = np.where(ok & (n > 1), -k * plogp.sum(axis=0), 1.0)
    d = 1.0 - e
    total = d.sum()
    w = d / total if total > 0 else np.full(d.shape, 1.0 / d.size)
    return np.asarray(w, dtype=np.float64), np.asarray(e, dtype=np.float64), np.asarray(d, dtype=np.float64)


def _entropy_fast(x: FloatArray, cost: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Same variant without NaNs, in few passes: Σ p ln p = (Σ r ln r)/S − ln S with S = Σ r."""
    n = x.shape[0]
    lo = x.min(axis=0)
    hi = x.max(axis=0)
    span = hi - lo
    ok = span > 0
    scale = 1.0 / np.where(ok, span, 1.0)
    r = np.subtract(x, lo)
    r *= scale
    if cost.any():
        r[:, cost] = 1.0 - r[:, cost]
    s = r.sum(axis=0)
    good = ok & (s > 0)
    q = np.where(r > 0, r, 1.0)  # few full-size temporaries: allocation dominates at this size
    np.log(q, out=q)
    q *= r
    rlogr = q.sum(axis=0)
    with np.errstate(all="ignore"):
        plogp = rlogr / np.where(good, s, 1.0) - np.log(np.where(good, s, 1.0))
    e = np.where(good & (n > 1), -plogp / np.log(max(n, 2)), 1.0)
    d = 1.0 - e
    total = d.sum()
    w = d / total if total > 0 else np.full(d.shape, 1.0 / d.size)
    return np.asarray(w, dtype=np.float64), np.asarray(e, dtype=np.float64), np.asarray(d, dtype=np.float64)


def entropy(x: FloatArray, cost: BoolArray, variant: str = "minmax_sum") -> WeightingResult:
    """Entropy weights of the named ``variant`` (module doc): ``minmax_sum`` or ``sum``."""
    if variant == "sum":
        w, e, d = entropy_kernel(x)
        return WeightingResult("entropy", w, {"entropy": e, "divergence": d})
    if variant != "minmax_sum":
        raise ValueError(f"unknown entropy variant {variant!r}")
    if not np.isnan(x.sum()):
        w, e, d = _entropy_fast(x, cost)
        return WeightingResult("entropy", w, {"entropy": e, "divergence": d})
    r = _unit_minmax(x, cost)
    w, e, d = entropy_kernel(r)
    return WeightingResult("entropy", w, {"entropy": e, "divergence": d})


def critic(x: FloatArray, cost: BoolArray) -> WeightingResult:
    """CRITIC weights (module doc)."""
    rows = ~np.isnan(x).any(axis=1)
    r = _unit_minmax(x[rows], cost)
    sd = r.std(axis=0, ddof=1) if r.shape[0] > 1 else np.zeros(r.shape[1])
    centred = r - r.mean(axis=0)
    cov = centred.T @ centred
    norms = np.sqrt(np.diag(cov))
    denom = np.outer(norms, norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(denom > 0, cov / np.where(denom > 0, denom, 1.0), 0.0)
    np.fill_diagonal(corr, 1.0)
    c = sd * (1.0 - corr).sum(axis=0)
    total = c.sum()
    w = c / total if total > 0 else np.full(c.shape, 1.0 / c.size)
    return WeightingResult("critic", np.asarray(w, dtype=np.float64),
                           {"sd": np.asarray(sd, dtype=np.float64), "correlation": np.asarray(corr, dtype=np.float64),
                            "information": np.asarray(c, dtype=np.float64)})


def blend(w_scheme: FloatArray, w_other: FloatArray, alpha: float) -> FloatArray:
    """Convex combination ``α·w_scheme + (1 − α)·w_other``."""
    return np.asarray(alpha * w_scheme + (1.0 - alpha) * w_other, dtype=np.float64)
