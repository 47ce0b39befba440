"""Robustness (OECD/JRC Handbook, 2008, uncertainty analysis): Monte Carlo over weights and methods.

Each draw picks
* weights from a Dirichlet distribution centred on the scheme's global weights,
  ``w ~ Dirichlet(c · w_scheme)`` (``c`` = concentration, default 100: larger = closer to the scheme),
  drawn as normalised gamma variates;
* one normalisation (default ``target``, ``minmax``, ``zscore``) and one aggregation (``arithmetic``,
  ``geometric``, ``topsis`` with cohort ideals) uniformly at random.

It reports each incubator's median rank and 5–95 % rank interval (observed ranks, ``inverted_cdf``
quantiles). Every draw has its own random stream, spawned from the seed (``SeedSequence.spawn``), so
the intervals depend on the seed alone, not on the chunk size or on what ran before. Excluded values
get the headline's treatment (weight moved within the dimension, an empty dimension dropped), so with
``concentration = inf`` and only the headline combination the ranks are the headline's; penalised
values score 0. It is vectorised: per chunk of draws, one matrix product per method combination, no
Python loop per incubator; ranks are competition ranks computed column-wise. Memory: ranks kept as
int32 (4 · n · draws bytes) plus one chunk.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._types import BoolArray, FloatArray, IntArray
from .engine import EvaluationResult
from .errors import MethodError
from .normalize import normalize
from .ranking import competition_rank_columns

__all__ = ["RobustnessResult", "robustness", "robustness_arrays"]

DEFAULT_NORMALIZATIONS = ("target", "minmax", "zscore")
DEFAULT_AGGREGATIONS = ("arithmetic", "geometric", "topsis")


@dataclass(frozen=True)
class RobustnessResult:
    """Median rank and 5–95 % rank interval per incubator (same order as ``incubator_ids``)."""

    incubator_ids: tuple[str, ...]
    draws: int
    concentration: float
    combos: tuple[tuple[str, str], ...]
    combo_counts: tuple[int, ...]
    median_rank: NDArray[np.float64]
    p05: NDArray[np.int64]
    p95: NDArray[np.int64]
    mean_rank: NDArray[np.float64]

    def interval(self, incubator_id: str) -> tuple[int, int]:
        i = self.incubator_ids.index(incubator_id)
        return int(self.p05[i]), int(self.p95[i])

    def rows(self) -> list[dict[str, Any]]:
        return [{"incubator_id": inc, "median_rank": float(self.median_rank[k]), "p05": int(self.p05[k]),
                 "p95": int(self.p95[k]), "mean_rank": float(self.mean_rank[k])}
                for k, inc in enumerate(self.incubator_ids)]


def _draw_streams(seed: int | np.random.Generator | None, draws: int) -> list[np.random.SeedSequence]:
    """One independent random stream per draw (spawned seed sequences): draw ``d`` is the same whatever
    the chunk size, the thread or the number of draws before it."""
    if isinstance(seed, np.random.Generator):
        root = np.random.SeedSequence(int(seed.integers(2**63)))
    else:
        root = np.random.SeedSequence(seed)
    return root.spawn(draws)


def _hierarchical(wc: FloatArray, mf: FloatArray, oh: FloatArray, dim_idx: IntArray,
                  values: FloatArray) -> FloatArray:
    """Weighted sums (n × k) of ``values`` for ``k`` weight vectors at once with the headline's treatment
    of excluded values: weight moves within the dimension; a dimension with nothing present is dropped
    and the others renormalised."""
    k, m = wc.shape
    d = oh.shape[1]
    dw = wc @ oh  # (k, d)
    within = wc / np.where(dw[:, dim_idx] > 0, dw[:, dim_idx], 1.0)  # (k, m)
    b2 = (within[:, :, None] * oh[None, :, :]).transpose(1, 0, 2).reshape(m, k * d)
    s = (mf @ b2).reshape(-1, k, d)
    a = ((values * mf) @ b2).reshape(-1, k, d)
    avail = s > 0
    dwa = dw[None, :, :] * avail
    dws = dwa.sum(axis=2, keepdims=True)
    dwn = dwa / np.where(dws > 0, dws, 1.0)
    dims = a / np.where(avail, s, 1.0)
    return np.asarray((dwn * dims).sum(axis=2), dtype=np.float64)


def _effective(wc: FloatArray, mf: FloatArray, oh: FloatArray, dim_idx: IntArray) -> FloatArray:
    """Per-draw effective weights (k × n × m), as :func:`evaluation.aggregate.effective_weights`."""
    dw = wc @ oh
    within = wc / np.where(dw[:, dim_idx] > 0, dw[:, dim_idx], 1.0)  # (k, m)
    wm = within[:, None, :] * mf[None, :, :]  # (k, n, m)
    s = wm @ oh  # (k, n, d)
    avail = s > 0
    dwa = dw[:, None, :] * avail
    dws = dwa.sum(axis=2, keepdims=True)
    dwn = dwa / np.where(dws > 0, dws, 1.0)
    return np.asarray(wm / np.where(avail, s, 1.0)[:, :, dim_idx] * dwn[:, :, dim_idx], dtype=np.float64)


def _topsis_masked(v0: FloatArray, wc: FloatArray, mf: FloatArray, present: BoolArray, oh: FloatArray,
                   dim_idx: IntArray, some: BoolArray) -> FloatArray:
    """TOPSIS closeness (n × k) with cohort ideals over ``v = n ⊙ E``: per-draw effective weights for the
    rows with exclusions only; complete rows take ``E = w`` as drawn."""
    k = wc.shape[0]
    full = ~some
    vf = v0[full]
    out = np.empty((v0.shape[0], k))
    pis = np.full((k, v0.shape[1]), -np.inf)
    nis = np.full((k, v0.shape[1]), np.inf)
    if full.any():
        pis = np.maximum(pis, wc * vf.max(axis=0))
        nis = np.minimum(nis, wc * vf.min(axis=0))
    vm = np.zeros((k, 0, v0.shape[1]))
    if some.any():
        vm = v0[some][None, :, :] * _effective(wc, mf[some], oh, dim_idx)
        pm = present[some][None]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # a column with nothing present adds no ideal
            pis = np.fmax(pis, np.nanmax(np.where(pm, vm, np.nan), axis=1))
            nis = np.fmin(nis, np.nanmin(np.where(pm, vm, np.nan), axis=1))
    pis = np.where(np.isfinite(pis), pis, 0.0)
    nis = np.where(np.isfinite(nis), nis, 0.0)
    if full.any():
        vw = vf[None, :, :] * wc[:, None, :]  # (k, n_full, m)
        dp = np.sqrt(((vw - pis[:, None, :]) ** 2).sum(axis=2))
        dm = np.sqrt(((vw - nis[:, None, :]) ** 2).sum(axis=2))
        tot = dp + dm
        out[full] = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5).T
    if some.any():
        pm = present[some][None]
        dp = np.sqrt(np.where(pm, (vm - pis[:, None, :]) ** 2, 0.0).sum(axis=2))
        dm = np.sqrt(np.where(pm, (vm - nis[:, None, :]) ** 2, 0.0).sum(axis=2))
        tot = dp + dm
        out[some] = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5).T
    return out


def robustness_arrays(x: FloatArray, cost: BoolArray, thresholds: FloatArray, weights: FloatArray, *,
                      mask: BoolArray | None = None, penalised: BoolArray | None = None, draws: int = 1000,
                      concentration: float = 100.0, normalizations: Sequence[str] = DEFAULT_NORMALIZATIONS,
                      aggregations: Sequence[str] = DEFAULT_AGGREGATIONS,
                      seed: int | np.random.Generator | None = None, chunk: int = 250, epsilon: float = 1.0,
                      progress: Callable[[int, int], None] | None = None, dimension_index: IntArray | None = None,
                      n_dims: int | None = None) -> tuple[NDArray[np.int32], list[int]]:
    """Array-level Monte Carlo: returns the (n × draws) rank matrix and the draw count per combination.

    ``concentration = inf`` keeps the weights exactly at ``weights`` (the zero-perturbation limit).
    ``dimension_index``/``n_dims``: the dimension of each indicator (default: one dimension)."""
    if draws < 1 or chunk < 1:
        raise MethodError("BAD_PARAMETER", "draws and chunk must be ≥ 1", field="draws")
    if not concentration > 0:
        raise MethodError("BAD_PARAMETER", "concentration must be > 0", field="concentration")
    for nm in normalizations:
        if nm not in ("target", "minmax", "zscore", "vector"):
            raise MethodError("UNKNOWN_METHOD", f"unknown normalisation {nm!r}", field="normalizations")
    for ag in aggregations:
        if ag not in ("arithmetic", "geometric", "topsis"):
            raise MethodError("UNKNOWN_METHOD", f"unknown aggregation {ag!r}", field="aggregations")
    n, m = x.shape
    dim_idx = np.zeros(m, dtype=np.intp) if dimension_index is None else np.asarray(dimension_index, dtype=np.intp)
    nd = int(n_dims if n_dims is not None else (dim_idx.max() + 1 if m else 1))
    oh = np.zeros((m, nd))
    oh[np.arange(m), dim_idx] = 1.0
    full = mask is None or bool(mask.all())
    mf = np.ones((n, m)) if full or mask is None else mask.astype(np.float64)
    combos = [(nm, ag) for nm in normalizations for ag in aggregations]
    pre: dict[tuple[str, str], tuple[FloatArray, ...]] = {}
    for nm in normalizations:
        v = normalize(x, nm, cost, thresholds).values
        if penalised is not None:
            v = np.where(penalised, 0.0, v)
        v0 = np.where(mf > 0, np.nan_to_num(v, nan=0.0), 0.0)
        for ag in aggregations:
            if ag == "arithmetic":
                pre[(nm, ag)] = (v0,)
            elif ag == "geometric":
                pre[(nm, ag)] = (np.log(np.maximum(v0, epsilon)),)
            elif full:
                hi, lo = v0.max(axis=0), v0.min(axis=0)
                pre[(nm, ag)] = ((v0 - hi) ** 2, (v0 - lo) ** 2)
            else:
                pre[(nm, ag)] = (v0,)
    base = np.asarray(weights, dtype=np.float64)
    alpha = np.maximum(concentration * base, 1e-6) if math.isfinite(concentration) else base
    streams = _draw_streams(seed, draws)
    ranks = np.empty((n, draws), dtype=np.int32)
    counts = [0] * len(combos)
    done = 0
    present = mf > 0
    some: BoolArray = np.asarray(~present.all(axis=1), dtype=bool)  # rows with an excluded value
    while done < draws:
        k = min(chunk, draws - done)
        w = np.empty((k, m))
        pick = np.empty(k, dtype=np.intp)
        for r in range(k):
            gen = np.random.Generator(np.random.PCG64(streams[done + r]))
            if math.isfinite(concentration):
                g = gen.standard_gamma(alpha)
                w[r] = g / g.sum()
            else:
                w[r] = base
            pick[r] = gen.integers(len(combos))
        scores = np.empty((n, k))
        for c, combo in enumerate(combos):
            sel = np.flatnonzero(pick == c)
            if sel.size == 0:
                continue
            counts[c] += int(sel.size)
            wc = w[sel]
            arrays = pre[combo]
            if combo[1] == "topsis" and full:
                w2 = (wc * wc).T
                dp = np.sqrt(arrays[0] @ w2)
                dm = np.sqrt(arrays[1] @ w2)
                tot = dp + dm
                scores[:, sel] = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)
            elif combo[1] == "topsis":
                scores[:, sel] = _topsis_masked(arrays[0], wc, mf, present, oh, dim_idx, some)
            else:
                s = arrays[0] @ wc.T  # rows with everything present: the weights as drawn
                if not full:  # rows with exclusions: weight moved within the dimension, as in the headline
                    s[some] = _hierarchical(wc, mf[some], oh, dim_idx, arrays[0][some])
                scores[:, sel] = np.exp(s) if combo[1] == "geometric" else s
        ranks[:, done:done + k] = competition_rank_columns(scores)
        done += k
        if progress is not None:
            progress(done, draws)
    return ranks, counts


def robustness(result: EvaluationResult, draws: int = 1000, *, concentration: float | None = None,
               normalizations: Sequence[str] = DEFAULT_NORMALIZATIONS,
               aggregations: Sequence[str] = DEFAULT_AGGREGATIONS, seed: int | np.random.Generator | None = None,
               chunk: int = 250, progress: Callable[[int, int], None] | None = None) -> RobustnessResult:
    """Monte Carlo rank robustness of an evaluation (module doc). Seed it for reproducible intervals.

    ``progress(done, total)`` is called after each chunk (the CLI drives a progress bar with it).
    """
    scheme = result.scheme
    conc = float(concentration if concentration is not None else scheme.method.get("robustness_concentration", 100.0))
    cost = np.array([i.is_cost for i in scheme.indicators])
    thr = np.array([i.threshold for i in scheme.indicators], dtype=np.float64)
    ranks, counts = robustness_arrays(result.values, cost, thr, scheme.global_weights(), mask=result.mask,
                                      penalised=result.penalised, draws=draws, concentration=conc,
                                      normalizations=normalizations, aggregations=aggregations, seed=seed,
                                      chunk=chunk, epsilon=result.method.epsilon, progress=progress,
                                      dimension_index=scheme.dimension_index(), n_dims=len(scheme.dimensions))
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=1, method="inverted_cdf")
    med = np.median(ranks, axis=1)
    return RobustnessResult(result.incubator_ids, draws, conc,
                            tuple((a, b) for a in normalizations for b in aggregations), tuple(counts),
                            np.asarray(med, dtype=np.float64), q[0].astype(np.int64), q[2].astype(np.int64),
                            ranks.mean(axis=1))
