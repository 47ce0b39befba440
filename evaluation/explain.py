"""Change explanation between two quarters.

For each incubator present in both quarters the composite change splits into parts that add up exactly
(a telescoping chain of re-scorings, each step changing one thing):

1. **scheme effect** – last quarter's data re-scored with this quarter's scheme version and method
   (weights, thresholds, method changes; 0 when both are the same);
2. **indicator effects** (own value changes) – the incubator's own *reported* values of last quarter
   replaced by this quarter's, one part per indicator: for additive (arithmetic) aggregation the change
   of each indicator's contribution, otherwise one-at-a-time effects plus an ``interaction`` remainder;
3. **imputation effect** – the rest of its own row: values that became or stopped being reported,
   carried forward, excluded, penalised or not applicable;
4. **peer effect** – everything the other incubators did: their values (cohort-relative methods) and
   any peer-median value imputed into this incubator's row. Exactly 0 for a fixed-goalpost method.

``scheme_effect + Σ indicator effects + interaction + imputation_effect + peer_effect = delta``.
The two results must share the indicator list (a scheme that adds or drops indicators cannot be split).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._types import FloatArray
from .engine import EvaluationResult, rescore
from .errors import MethodError
from .missing import PEER_MEDIAN, REPORTED

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
    imputation_effect: float = 0.0
    scheme_effect: float = 0.0

    def parts(self) -> float:
        """The sum of every part (equals ``delta``)."""
        return (self.scheme_effect + sum(self.indicator_effects.values()) + self.interaction
                + self.imputation_effect + self.peer_effect)

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k indicators that moved the score most (by absolute effect)."""
        return sorted(self.indicator_effects.items(), key=lambda kv: -abs(kv[1]))[:k]


def explain_change(before: EvaluationResult, after: EvaluationResult,
                   incubator_ids: Sequence[str] | None = None) -> list[ChangeExplanation]:
    """Explain each incubator's score and rank change from ``before`` to ``after`` (module doc)."""
    if before.indicator_ids != after.indicator_ids:
        raise MethodError("SCHEME_MISMATCH", "explain_change needs the same indicators in both quarters "
                          f"({before.scheme_version} vs {after.scheme_version})", field="scheme")
    common = [i for i in after.incubator_ids if i in set(before.incubator_ids)]
    if incubator_ids is not None:
        wanted = set(incubator_ids)
        common = [i for i in common if i in wanted]
    fixed = after.is_fixed_goalpost
    additive = after.method.aggregation == "arithmetic"
    ids = after.indicator_ids
    m = len(ids)

    def score(values: FloatArray, status: np.ndarray) -> FloatArray:
        return rescore(after, values, status).aggregation.composite

    # step 1: last quarter's data under this quarter's scheme and method
    same_scoring = before.scheme is after.scheme and before.method == after.method
    base_scores = before.composite if same_scoring else score(before.values, before.status)
    out: list[ChangeExplanation] = []
    pos_b = [before.index(i) for i in common]
    pos_a = [after.index(i) for i in common]

    def rows(k_rows: Sequence[int], cols_of: str) -> tuple[FloatArray, np.ndarray]:
        """Last quarter's matrix with the listed incubators' cells moved to this quarter's: ``own``
        (reported in both), ``own+imputation`` (all but peer-median cells), ``all``."""
        v = before.values.copy()
        s = before.status.copy()
        for k in k_rows:
            ib, ia = pos_b[k], pos_a[k]
            sb, sa = before.status[ib], after.status[ia]
            if cols_of == "own":
                take = (sb == REPORTED) & (sa == REPORTED)
            else:
                take = ~((sa == PEER_MEDIAN) & (sb == PEER_MEDIAN)) if cols_of == "imputation" else np.ones(m, bool)
            v[ib, take] = after.values[ia, take]
            s[ib, take] = sa[take]
        return v, s

    everyone = list(range(len(common)))
    if fixed:  # scores depend on the own row only: every incubator moved at once
        own_v, own_s = rows(everyone, "own")
        own_all = score(own_v, own_s)
        imp_all = score(*rows(everyone, "imputation"))
    for k, inc in enumerate(common):
        ib, ia = pos_b[k], pos_a[k]
        c0, c1 = float(before.composite[ib]), float(after.composite[ia])
        h1 = float(base_scores[ib])
        if fixed:
            h2, h3 = float(own_all[ib]), float(imp_all[ib])
            v2, s2 = own_v, own_s
        else:
            v2, s2 = rows([k], "own")
            h2 = float(score(v2, s2)[ib])
            h3 = float(score(*rows([k], "imputation"))[ib])
        effects: dict[str, float] = {}
        if additive:
            hy = rescore(after, v2, s2).aggregation
            b1 = before.aggregation if same_scoring else rescore(after, before.values, before.status).aggregation
            assert hy.contributions is not None and b1.contributions is not None
            diff = np.nan_to_num(hy.contributions[ib], nan=0.0) - np.nan_to_num(b1.contributions[ib], nan=0.0)
            effects = {ind: float(diff[j]) for j, ind in enumerate(ids)}
        else:
            changed = (before.status[ib] == REPORTED) & (after.status[ia] == REPORTED)
            for j, ind in enumerate(ids):
                if not changed[j] or before.values[ib, j] == after.values[ia, j]:
                    effects[ind] = 0.0
                    continue
                v = before.values.copy()
                v[ib, j] = after.values[ia, j]
                effects[ind] = float(score(v, before.status)[ib]) - h1
        interaction = (h2 - h1) - sum(effects.values())
        rb, ra = int(before.ranks[ib]), int(after.ranks[ia])
        out.append(ChangeExplanation(inc, c0, c1, c1 - c0, rb, ra, rb - ra, before.tiers[ib], after.tiers[ia],
                                     effects, interaction, c1 - h3, h3 - h2, h1 - c0))
    return out
