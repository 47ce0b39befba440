"""Normalisation kernels. Every kernel returns an *oriented* matrix on a 0–100 scale: higher is better,
cost indicators already inverted. NaN marks a value that is not available (excluded); statistics are
taken over the available values only.

* ``target`` (headline, fixed goalposts): benefit ``100·min(x/t, 1)``; cost ``100`` if ``x ≤ t`` else
  ``100·t/x``. ``t`` is the scheme threshold, fixed per scheme version, so scores are comparable across
  quarters and do not depend on the other incubators.
* ``minmax`` (cohort-relative): ``100·(x − min)/(max − min)`` (cost: ``(max − x)``); a constant column
  scores 100 for everyone. Optional fixed bounds per indicator (values clipped to the bounds) make it
  a fixed-goalpost method.
* ``zscore`` (cohort-relative): ``z = (x − mean)/sd`` (population sd, cost: ``−z``), mapped to 0–100 by
  the standard normal CDF, ``100·Φ(z)``; a constant column scores 50.
* ``vector`` (cohort-relative, textbook TOPSIS): ``100·x/‖x‖₂``; cost ``100 − 100·x/‖x‖₂`` (for TOPSIS this
  gives exactly the textbook distances, since the ideal point moves with the inversion). An all-zero
  column scores 0 (benefit) / 100 (cost).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from ._types import BoolArray, FloatArray

__all__ = ["NORMALIZATIONS", "NormalizationResult", "minmax", "normalize", "target", "vector", "zscore"]

NORMALIZATIONS = ("target", "minmax", "zscore", "vector")


@dataclass(frozen=True)
class NormalizationResult:
    """Normalised values (n × m, 0–100, oriented) and the per-column parameters used."""

    method: str
    values: FloatArray
    params: Mapping[str, FloatArray] = field(default_factory=dict)


def _has_nan(x: FloatArray) -> bool:
    return bool(np.isnan(x.sum()))


def target(x: FloatArray, cost: BoolArray, thresholds: FloatArray) -> FloatArray:
    """Distance to the benchmark threshold, capped at 100 (see module doc)."""
    with np.errstate(all="ignore"):
        ben = np.minimum(x / thresholds, 1.0)
        cst = np.where(x <= thresholds, 1.0, thresholds / x)
    out = np.where(cost, cst, ben)
    out = np.where(np.isnan(x), np.nan, out)
    return np.asarray(np.clip(out, 0.0, 1.0) * 100.0, dtype=np.float64)


def minmax(x: FloatArray, cost: BoolArray, lo: FloatArray | None = None,
           hi: FloatArray | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Min–max to 0–100 (cohort bounds unless ``lo``/``hi`` given). Returns (values, lo, hi)."""
    nan = _has_nan(x)
    if lo is None:
        lo = np.nanmin(x, axis=0) if nan else x.min(axis=0)
    if hi is None:
        hi = np.nanmax(x, axis=0) if nan else x.max(axis=0)
    span = hi - lo
    flat = span <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (np.clip(x, lo, hi) - lo) / np.where(flat, 1.0, span)
    r = np.where(cost, 1.0 - r, r)
    r = np.where(flat, 1.0, r)
    if nan:
        r = np.where(np.isnan(x), np.nan, r)
    return np.asarray(r * 100.0, dtype=np.float64), lo, hi


def zscore(x: FloatArray, cost: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """z-score mapped by the normal CDF to 0–100. Returns (values, mean, sd)."""
    nan = _has_nan(x)
    with warnings.catch_warnings():
        # A column nobody reported has no mean: it stays NaN and the missing-data policy handles it.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0) if nan else x.mean(axis=0)
        sd = np.nanstd(x, axis=0) if nan else x.std(axis=0)
    flat = sd <= 0
    z = (x - mean) / np.where(flat, 1.0, sd)
    z = np.where(cost, -z, z)
    z = np.where(flat, 0.0, z)
    out = ndtr(z) * 100.0
    if nan:
        out = np.where(np.isnan(x), np.nan, out)
    return np.asarray(out, dtype=np.float64), mean, sd


def vector(x: FloatArray, cost: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Vector (Euclidean) normalisation to 0–100. Returns (values, column norms)."""
    nan = _has_nan(x)
    norm = np.sqrt(np.nansum(x * x, axis=0) if nan else np.einsum("ij,ij->j", x, x))
    zero = norm <= 0
    if not nan:  # fast path: one pass over the matrix, cost columns fixed in place
        out = x * (100.0 / np.where(zero, 1.0, norm))
        if zero.any():
            out[:, zero] = 0.0
        if cost.any():
            out[:, cost] = 100.0 - out[:, cost]
        return out, norm
    r = x / np.where(zero, 1.0, norm)
    r = np.where(zero, 0.0, r)
    r = np.where(cost, 1.0 - r, r)
    if nan:
        r = np.where(np.isnan(x), np.nan, r)
    return np.asarray(r * 100.0, dtype=np.float64), norm


def normalize(x: FloatArray, method: str, cost: BoolArray, thresholds: FloatArray,
              lo: FloatArray | None = None, hi: FloatArray | None = None) -> NormalizationResult:
    """Dispatch to a kernel (no validation: the engine validates before calling)."""
    if method == "target":
        return NormalizationResult("target", target(x, cost, thresholds), {"threshold": thresholds})
    if method == "minmax":
        v, a, b = minmax(x, cost, lo, hi)
        return NormalizationResult("minmax", v, {"min": a, "max": b})
    if method == "zscore":
        v, mu, sd = zscore(x, cost)
        return NormalizationResult("zscore", v, {"mean": mu, "sd": sd})
    if method == "vector":
        v, nrm = vector(x, cost)
        return NormalizationResult("vector", v, {"norm": nrm})
    raise ValueError(f"unknown normalisation {method!r}")
