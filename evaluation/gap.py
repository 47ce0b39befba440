"""Gap to benchmark and what-if, always on the headline (fixed-goalpost) method so the answer does not
depend on the other incubators.

For every indicator below its threshold the gap says how much the indicator's **lever** raw field (set
per indicator in the scheme; for a ratio, its numerator) must change *this quarter, holding the other
fields (the denominator) fixed* to reach the threshold. Counts and hours are rounded up to whole units,
amounts and areas up to 0.01. The composite points gained are the indicator's effective weight × its
normalised shortfall (target normalisation reaches 100 exactly at the threshold). Items are ordered by
points gained per unit of effort, effort = scheme ``effort`` (per lever unit) × units needed.
A change that would break a scheme constraint (e.g. more financed tenants than tenants) is flagged
``feasible = False``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .engine import EvaluationResult, headline_result, indicator_value, with_changes
from .errors import InputError
from .scheme import Indicator

__all__ = ["GapItem", "GapReport", "WhatIfResult", "gap_to_benchmark", "what_if"]


@dataclass(frozen=True)
class GapItem:
    """One indicator short of its threshold and what it takes to close the gap."""

    indicator_id: str
    dimension: str
    value: float
    threshold: float
    direction: str
    lever: str
    lever_value: float
    change: float
    unit: str
    points_gained: float
    effort: float
    points_per_effort: float
    feasible: bool
    note: str

    def message(self, lang: str = "en") -> str:
        verb_en = "more" if self.change >= 0 else "fewer"
        amount = f"{abs(self.change):g}"
        if lang == "zh":
            return f"{self.lever} 需{'增加' if self.change >= 0 else '减少'} {amount}（{self.indicator_id} 达到 {self.threshold:g}）"
        return f"needs {amount} {verb_en} {self.lever} next quarter to reach {self.indicator_id} ≥ {self.threshold:g}"


@dataclass(frozen=True)
class GapReport:
    incubator_id: str
    quarter: str
    tier: str
    target_tier: str
    composite: float
    composite_needed: float | None
    dimension_shortfalls: Mapping[str, float]
    items: tuple[GapItem, ...]
    skipped: Mapping[str, str]

    def changes(self, feasible_only: bool = True) -> dict[str, float]:
        """The suggested raw-field increments, summed per lever (for :func:`what_if`)."""
        out: dict[str, float] = {}
        for it in self.items:
            if it.feasible or not feasible_only:
                out[it.lever] = max(out.get(it.lever, 0.0), it.change) if it.change >= 0 else \
                    min(out.get(it.lever, 0.0), it.change)
        return out


def _smallest_change_meeting(res: EvaluationResult, i: int, ind: Indicator, start: float,
                             unit: float) -> float | None:
    """For formulas that are not affine in their lever (a rate whose lever is also in the denominator), the
    linear estimate ``start`` falls short: the smallest ``start ± k·unit`` that meets the threshold, found
    by doubling k, then bisection (the indicator is monotone in the lever on that side). None: the lever
    alone never gets there."""
    sign = 1.0 if start >= 0 else -1.0

    def meets(k: int) -> bool:
        return _meets(indicator_value(res, i, ind, start + sign * k * unit), ind.threshold, ind.is_cost)

    high = 1
    while not meets(high):
        if high > 2**40:
            return None
        high *= 2
    low = high // 2  # does not meet (0 is the estimate, which did not)
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return round(start + sign * high * unit, 10)


def _round_up(x: float, kind: str) -> float:
    if kind in ("count", "hours"):
        return float(math.ceil(x - 1e-9)) if x >= 0 else -float(math.ceil(-x - 1e-9))
    return math.ceil(x * 100 - 1e-7) / 100 if x >= 0 else -math.ceil(-x * 100 - 1e-7) / 100


def _meets(value: float, threshold: float, cost: bool) -> bool:
    return value <= threshold + 1e-12 if cost else value >= threshold - 1e-12


def gap_to_benchmark(result: EvaluationResult, incubator_id: str, target_tier: str = "benchmark") -> GapReport:
    """What ``incubator_id`` must change to reach each threshold, best points-per-effort first."""
    res = headline_result(result)
    scheme = res.scheme
    i = res.index(incubator_id)
    try:
        rule = scheme.tier(target_tier)
    except KeyError:
        raise InputError("UNKNOWN_TIER", f"unknown tier {target_tier!r}", field="target_tier") from None
    items: list[GapItem] = []
    skipped: dict[str, str] = {}
    fields = res.field_values[res.quarter]
    row = {f: (None if np.isnan(a[i]) else float(a[i])) for f, a in fields.items()}
    for j, ind in enumerate(scheme.indicators):
        st = int(res.status[i, j])
        if st == 5:
            continue
        value = float(res.raw[i, j])
        if st != 0 or math.isnan(value):
            skipped[ind.id] = "not reported: report it to get a gap"
            continue
        if _meets(value, ind.threshold, ind.is_cost):
            continue
        lever_now = float(fields[ind.lever][i])
        f0 = indicator_value(res, i, ind, 0.0)
        slope = indicator_value(res, i, ind, 1.0) - f0
        if slope == 0 or math.isnan(slope):
            skipped[ind.id] = f"the lever {ind.lever} does not move this indicator"
            continue
        spec = scheme.raw_field(ind.lever)
        change = _round_up((ind.threshold - f0) / slope, spec.kind)
        if not _meets(indicator_value(res, i, ind, change), ind.threshold, ind.is_cost):
            found = _smallest_change_meeting(res, i, ind, change, 1.0 if spec.kind in ("count", "hours") else 0.01)
            if found is None:
                skipped[ind.id] = f"moving {ind.lever} alone does not reach the threshold"
                continue
            change = found
        gained = float(res.effective_weights[i, j] * (100.0 - res.normalized[i, j]))
        effort = ind.effort * abs(change)
        new_row = dict(row)
        new_row[ind.lever] = lever_now + change
        feasible = lever_now + change >= spec.min and (spec.max is None or lever_now + change <= spec.max)
        note = ""
        for c in scheme.constraints:
            if ind.lever in (c.left, c.right) and c.check(new_row) is False:
                feasible = False
                note = c.message_en
        items.append(GapItem(ind.id, ind.dimension, value, ind.threshold, ind.direction, ind.lever, lever_now,
                             change, spec.unit, gained, effort, gained / effort if effort > 0 else math.inf,
                             feasible, note))
    items.sort(key=lambda it: (-it.points_per_effort, it.indicator_id))
    shortfalls = {}
    if rule.min_dimension is not None:
        for k, d in enumerate(scheme.dimension_ids):
            s = float(res.dimension_scores[i, k])
            if math.isnan(s) or s < rule.min_dimension:
                shortfalls[d] = rule.min_dimension - (0.0 if math.isnan(s) else s)
    comp = float(res.composite[i])
    need = None if rule.min_composite is None else max(0.0, rule.min_composite - comp)
    return GapReport(incubator_id, res.quarter, res.tiers[i], target_tier, comp, need, shortfalls,
                     tuple(items), skipped)


@dataclass(frozen=True)
class WhatIfResult:
    """Scores before and after the proposed raw-field changes (headline method)."""

    incubator_id: str
    changes: Mapping[str, float]
    composite_before: float
    composite_after: float
    tier_before: str
    tier_after: str
    rank_before: int
    rank_after: int
    dimensions_before: Mapping[str, float | None]
    dimensions_after: Mapping[str, float | None]
    indicators_after: Mapping[str, float | None]
    result: EvaluationResult


def what_if(result: EvaluationResult, incubator_id: str, changes: Mapping[str, float], *,
            absolute: bool = False) -> WhatIfResult:
    """Score and tier after adding ``changes`` (raw-field increments; ``absolute=True`` to set values)
    to the incubator's current quarter, recomputed with fixed goalposts (headline method)."""
    before = headline_result(result)
    after = with_changes(before, incubator_id, changes, before.method, absolute=absolute)
    i = before.index(incubator_id)

    def dims(r: EvaluationResult) -> dict[str, float | None]:
        return {d: (None if np.isnan(r.dimension_scores[i, k]) else float(r.dimension_scores[i, k]))
                for k, d in enumerate(r.dimension_ids)}

    return WhatIfResult(
        incubator_id, dict(changes), float(before.composite[i]), float(after.composite[i]), before.tiers[i],
        after.tiers[i], int(before.ranks[i]), int(after.ranks[i]), dims(before), dims(after),
        {ind: (None if np.isnan(after.values[i, j]) else float(after.values[i, j]))
         for j, ind in enumerate(after.indicator_ids)}, after)
