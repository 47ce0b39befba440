"""Change explanation between two quarters (same scheme version and method).

For each incubator present in both quarters the composite change splits into

* **indicator effects** (own data change): for additive (arithmetic) aggregation, the change of each
  indicator's contribution when the incubator's own row changes from last quarter to this quarter
  *against last quarter's cohort*; for geometric/TOPSIS, one-at-a-time effects (each indicator moved
  alone) plus an ``interaction`` remainder so the parts add up;
* **peer effect**: what the other incubators' changes did to this incubator's score (0 for fixed-goalpost
  methods; nonzero for cohort-relative normalisations, data-driven weights and cohort TOPSIS).

``Σ indicator effects + interaction + peer effect = composite change`` exactly (up to rounding).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .engine import EvaluationResult, rescore
from .errors import MethodError

__all__ = ["ChangeExplanation", "explain_change"]


@dataclass(frozen=True)
class ChangeExplanation:
    incubator_id: str
    composite_before: float
    composite_after: float
    delta: float
    rank_before: int
    rank_after: int
    rank_change: int
    tier_before: str
    tier_after: str
    indicator_effects: Mapping[str, float]
    interaction: float
    peer_effect: float

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k indicators that moved the score most (by absolute effect)."""
        return sorted(self.indicator_effects.items(), key=lambda kv: -abs(kv[1]))[:k]


def explain_change(before: EvaluationResult, after: EvaluationResult,
                   incubator_ids: Sequence[str] | None = None) -> list[ChangeExplanation]:
    """Explain each incubator's score and rank change from ``before`` to ``after``."""
    if before.scheme_version != after.scheme_version or before.method != after.method:
        raise MethodError("SCHEME_MISMATCH", "explain_change needs the same scheme version and method in both "
                          f"quarters ({before.scheme_version}/{before.method.key()} vs "
                          f"{after.scheme_version}/{after.method.key()})", field="method")
    common = [i for i in after.incubator_ids if i in set(before.incubator_ids)]
    if incubator_ids is not None:
        common = [i for i in common if i in set(incubator_ids)]
    relative = not after.method.is_fixed_goalpost
    additive = after.method.aggregation == "arithmetic"
    ids = before.indicator_ids
    out: list[ChangeExplanation] = []

    def hybrid(rows_b: list[int], rows_a: list[int], cols: slice | int = slice(None)) -> np.ndarray:
        v = before.values.copy()
        s = before.status.copy()
        v[rows_b, cols] = after.values[rows_a, cols]
        s[rows_b, cols] = after.status[rows_a, cols]
        return rescore(before, v, s).aggregation.composite

    pos_b = [before.index(i) for i in common]
    pos_a = [after.index(i) for i in common]
    if not relative:
        # scores depend on the own row only: all incubators swapped at once
        own_scores = hybrid(pos_b, pos_a)
        if not additive:
            one = [hybrid(pos_b, pos_a, j) for j in range(len(ids))]
    for k, inc in enumerate(common):
        ib, ia = pos_b[k], pos_a[k]
        c0, c1 = float(before.composite[ib]), float(after.composite[ia])
        if relative:
            own_total = float(hybrid([ib], [ia])[ib])
        else:
            own_total = float(own_scores[ib])
        peer = c1 - own_total
        effects: dict[str, float] = {}
        interaction = 0.0
        if additive:
            v = before.values.copy()
            s = before.status.copy()
            v[ib] = after.values[ia]
            s[ib] = after.status[ia]
            hy = rescore(before, v, s).aggregation
            assert hy.contributions is not None and before.contributions is not None
            diff = np.nan_to_num(hy.contributions[ib], nan=0.0) - np.nan_to_num(before.contributions[ib], nan=0.0)
            effects = {ind: float(diff[j]) for j, ind in enumerate(ids)}
            interaction = (own_total - c0) - float(diff.sum())
        else:
            for j, ind in enumerate(ids):
                s_j = float(one[j][ib]) if not relative else float(hybrid([ib], [ia], j)[ib])
                effects[ind] = s_j - c0
            interaction = (own_total - c0) - sum(effects.values())
        rb, ra = int(before.ranks[ib]), int(after.ranks[ia])
        out.append(ChangeExplanation(inc, c0, c1, c1 - c0, rb, ra, rb - ra, before.tiers[ib], after.tiers[ia],
                                     effects, interaction, peer))
    return out
