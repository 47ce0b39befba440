"""Tier rules: tried in scheme order, first match wins; the last rule is the unconditional fallback.

A rule holds when ``composite ≥ min_composite``, *every* dimension score ``≥ min_dimension`` and every
official gate the scheme lists for that tier passed (:mod:`evaluation.gates`). A dimension with no
score fails the dimension minimum, except one the incubator declared wholly not applicable when the
scheme says ``not_applicable_dimension = "skip"`` (``skip_dimension``). An incubator whose not-reported share of scheme weight exceeds
``missing.max_imputed_weight_share`` gets ``insufficient_data`` instead, whatever its scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._types import BoolArray, FloatArray
from .scheme import TierRule

__all__ = ["assign_tiers"]


def assign_tiers(composite: FloatArray, dimension_scores: FloatArray, rules: Sequence[TierRule],
                 insufficient: BoolArray | None = None,
                 insufficient_id: str = "insufficient_data", *,
                 gates_passed: Mapping[str, BoolArray] | None = None,
                 skip_dimension: BoolArray | None = None) -> tuple[str, ...]:
    """Tier id per incubator (vectorised over incubators, loop over the handful of rules).
    ``gates_passed[tier_id]``: every gate of that tier passed (absent = no gate)."""
    n = composite.shape[0]
    out = np.full(n, rules[-1].id, dtype=object)
    decided = np.zeros(n, dtype=bool)
    comp = np.round(np.where(np.isnan(composite), -np.inf, composite), 9)
    dims = np.where(np.isnan(dimension_scores), -np.inf, dimension_scores)
    if skip_dimension is not None:
        dims = np.where(skip_dimension, np.inf, dims)
    dmin = np.round(dims.min(axis=1), 9) if dimension_scores.shape[1] else np.full(n, np.inf)
    for rule in rules:
        ok = ~decided
        if gates_passed is not None and rule.id in gates_passed:
            ok &= gates_passed[rule.id]
        if rule.min_composite is not None:
            ok &= comp >= rule.min_composite
        if rule.min_dimension is not None:
            ok &= dmin >= rule.min_dimension
        out[ok] = rule.id
        decided |= ok
    if insufficient is not None:
        out[insufficient] = insufficient_id
    return tuple(str(t) for t in out)
