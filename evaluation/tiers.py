"""Tier rules: tried in scheme order, first match wins; the last rule is the unconditional fallback.

A rule holds when ``composite ≥ min_composite`` and *every* dimension score ``≥ min_dimension`` (a missing
dimension score fails a dimension gate). An incubator whose not-reported share of scheme weight exceeds
``missing.max_imputed_weight_share`` gets ``insufficient_data`` instead, whatever its scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._types import BoolArray, FloatArray
from .scheme import TierRule

__all__ = ["assign_tiers"]


def assign_tiers(composite: FloatArray, dimension_scores: FloatArray, rules: Sequence[TierRule],
                 insufficient: BoolArray | None = None,
                 insufficient_id: str = "insufficient_data") -> tuple[str, ...]:
    """Tier id per incubator (vectorised over incubators, loop over the handful of rules)."""
    n = composite.shape[0]
    out = np.full(n, rules[-1].id, dtype=object)
    decided = np.zeros(n, dtype=bool)
    comp = np.round(np.where(np.isnan(composite), -np.inf, composite), 9)
    dmin = np.round(np.where(np.isnan(dimension_scores), -np.inf, dimension_scores).min(axis=1), 9) \
        if dimension_scores.shape[1] else np.full(n, np.inf)
    for rule in rules:
        ok = ~decided
        if rule.min_composite is not None:
            ok &= comp >= rule.min_composite
        if rule.min_dimension is not None:
            ok &= dmin >= rule.min_dimension
        out[ok] = rule.id
        decided |= ok
    if insufficient is not None:
        out[insufficient] = insufficient_id
    return tuple(str(t) for t in out)
