"""Ranking with explicit ties.

Scores are rounded to 9 decimals (1e-9) and ranked by *competition ranking* ("1, 2, 2, 4"): equal rounded
scores share the best rank, the next rank skips. NaN scores (nothing to score) rank last, tied. The
display order among ties is stable: by position in the input, and the engine passes incubators sorted
by id, so ties are listed by incubator id ascending.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._types import FloatArray

__all__ = ["competition_rank", "competition_rank_columns", "display_order"]

DECIMALS = 9


def _prepare(scores: FloatArray) -> FloatArray:
    s = np.round(np.asarray(scores, dtype=np.float64), DECIMALS)
    return np.asarray(np.where(np.isnan(s), -np.inf, s), dtype=np.float64)


def display_order(scores: FloatArray) -> NDArray[np.intp]:
    """Indices sorted by score descending, ties in input order (stable)."""
    return np.argsort(-_prepare(scores), kind="stable")


def competition_rank(scores: FloatArray) -> NDArray[np.int64]:
    """Competition ranks (1 = best) of a score vector."""
    s = _prepare(scores)
    order = np.argsort(-s, kind="stable")
    ss = s[order]
    pos = np.arange(ss.size)
    new = np.empty(ss.size, dtype=bool)
    if ss.size:
        new[0] = True
        new[1:] = ss[1:] != ss[:-1]
    first = np.maximum.accumulate(np.where(new, pos, 0))
    ranks = np.empty(ss.size, dtype=np.int64)
    ranks[order] = first + 1
    return ranks


def competition_rank_columns(scores: FloatArray) -> NDArray[np.int32]:
    """Competition ranks of every column of an (n × k) score matrix at once (vectorised)."""
    s = _prepare(scores)
    order = np.argsort(-s, axis=0, kind="stable")
    ss = np.take_along_axis(s, order, axis=0)
    n = s.shape[0]
    new = np.ones(ss.shape, dtype=bool)
    new[1:] = ss[1:] != ss[:-1]
    pos = np.arange(n, dtype=np.int32)[:, None]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=0)
    ranks = np.empty(s.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, (first + 1).astype(np.int32), axis=0)
    return ranks
