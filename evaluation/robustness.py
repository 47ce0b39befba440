"""Robustness (OECD/JRC Handbook, 2008, uncertainty analysis): Monte Carlo over weights and methods.

Each draw picks
* weights from a Dirichlet distribution centred on the scheme's global weights,
  ``w ~ Dirichlet(c · w_scheme)`` (``c`` = concentration, default 100: larger = closer to the scheme),
  drawn as normalised gamma variates;
* one normalisation (default ``target``, ``minmax``, ``zscore``) and one aggregation (``arithmetic``,
  ``geometric``, ``topsis`` with cohort ideals) uniformly at random.

It reports each incubator's median rank and 5–95 % rank interval (observed ranks, ``inverted_cdf``
quantiles). It is vectorised: per chunk of draws, one matrix product per method combination (a handful),
no Python loop per draw or per incubator; ranks are competition ranks computed column-wise. Excluded
values are skipped with the weights renormalised over the available indicators (globally, not per
dimension); penalised values score 0. Memory: ranks kept as int32 (4 · n · draws bytes) plus one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._types import BoolArray, FloatArray
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


def robustness_arrays(x: FloatArray, cost: BoolArray, thresholds: FloatArray, weights: FloatArray, *,
                      mask: BoolArray | None = None, penalised: BoolArray | None = None, draws: int = 1000,
                      concentration: float = 100.0, normalizations: Sequence[str] = DEFAULT_NORMALIZATIONS,
                      aggregations: Sequence[str] = DEFAULT_AGGREGATIONS,
                      seed: int | np.random.Generator | None = None, chunk: int = 250, epsilon: float = 1.0,
                      progress: Callable[[int, int], None] | None = None) -> tuple[NDArray[np.int32], list[int]]:
    """Array-level Monte Carlo: returns the (n × draws) rank matrix and the draw count per combination."""
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
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n, m = x.shape
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
                pre[(nm, ag)] = (v0 * mf,)
            elif ag == "geometric":
                pre[(nm, ag)] = (np.log(np.maximum(v0, epsilon)) * mf,)
            else:
                vv = np.where(mf > 0, v0, np.nan)
                hi = np.nan_to_num(np.nanmax(vv, axis=0), nan=0.0)
                lo = np.nan_to_num(np.nanmin(vv, axis=0), nan=0.0)
                pre[(nm, ag)] = (((v0 - hi) ** 2) * mf, ((v0 - lo) ** 2) * mf)
    alpha = concentration * np.asarray(weights, dtype=np.float64)
    alpha = np.maximum(alpha, 1e-6)
    ranks = np.empty((n, draws), dtype=np.int32)
    counts = [0] * len(combos)
    done = 0
    while done < draws:
        k = min(chunk, draws - done)
        g = rng.standard_gamma(alpha, size=(k, m))
        w = g / g.sum(axis=1, keepdims=True)
        pick = rng.integers(len(combos), size=k)
        scores = np.empty((n, k))
        for c, combo in enumerate(combos):
            sel = np.flatnonzero(pick == c)
            if sel.size == 0:
                continue
            counts[c] += int(sel.size)
            wc = w[sel]
            arrays = pre[combo]
            if combo[1] == "topsis":
                w2 = (wc * wc).T
                dp = np.sqrt(arrays[0] @ w2)
                dm = np.sqrt(arrays[1] @ w2)
                tot = dp + dm
                scores[:, sel] = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)
            else:
                s = arrays[0] @ wc.T
                if not full:
                    den = mf @ wc.T
                    s = np.where(den > 0, s / np.where(den > 0, den, 1.0), 0.0)
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
                                      chunk=chunk, epsilon=result.method.epsilon, progress=progress)
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=1, method="inverted_cdf")
    med = np.median(ranks, axis=1)
    return RobustnessResult(result.incubator_ids, draws, conc,
                            tuple((a, b) for a in normalizations for b in aggregations), tuple(counts),
                            np.asarray(med, dtype=np.float64), q[0].astype(np.int64), q[2].astype(np.int64),
                            ranks.mean(axis=1))
