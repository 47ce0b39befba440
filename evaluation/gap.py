"""Gap to a tier as an optimal plan, and what-if — always on the headline (fixed-goalpost) method, so the
answer depends on the incubator's own data alone.

**The plan** is the least-effort set of changes to the incubator's raw fields *in the evaluated quarter*
that reaches a target tier (by default the next tier up, or benchmark status), solved exactly as a
mixed-integer linear programme with scipy's HiGHS (:func:`scipy.optimize.milp`):

* variables: for every *lever* (a raw field an indicator or a gate condition names as ``lever``) the
  change, in the direction that improves its indicators: whole units for counts and hours; amounts and
  areas continuous (in 0.01 units) and rounded up to 0.01 afterwards — the exactness rule: a count plan is
  exactly least-effort, and an amount lever's effort exceeds the continuous optimum by less than
  ``effort·0.01`` (its levers only help, so the rounded plan still reaches the tier); the normalised score ``s_j`` of each scored indicator; a binary per cost
  indicator (it reaches its threshold or keeps its score: ``100·t/x`` is not linear) and per
  alternative of a gate with alternatives;
* indicator values are affine in the levers (a ratio's numerator, a ``ttm`` sum) with the denominators
  held fixed; where a lever enters an indicator non-linearly (a rate with it in the denominator too) its
  help is not counted (conservative) and a lever that could hurt an indicator is not offered;
* constraints: benefit ``s_j ≤ 100·x_j/t_j`` and ``s_j ≤ 100``; composite ``Σ E_ij s_j ≥`` the tier's
  minimum; each dimension score ``≥`` its minimum (a dimension declared wholly not applicable is left
  out when the scheme says so); every gate of the tier (any of its conditions); the scheme's
  constraints (e.g. financed tenants ≤ tenants) and field ranges on the new values;
* objective: ``Σ effort_f · |change_f|`` with ``effort_f`` the scheme's ``effort`` of one lever unit
  (the largest one declared for that field; default 1).

A benefit indicator moved by one whole-unit lever alone also gets its convex-hull row (:func:`_hull_cut`):
it removes no whole-unit plan, only fractional ones, so the optimum is the same and HiGHS proves it with
far fewer branch-and-bound nodes.

The plan is then applied to the incubator's row and re-scored by the engine: the tier it claims is the
tier the what-if gives (:attr:`Plan.reaches_tier`). Steps are ordered by points per effort; each step's
points are what that change alone adds to the composite.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from ._types import FloatArray
from .engine import EvaluationResult, _evaluate_arrays, headline_result, shift_quarter, with_changes
from .errors import InputError, MethodError
from .formula import BinOp, Formula, parse_formula
from .formula import _render as render_node
from .gates import NOT_APPLICABLE as GATE_NOT_APPLICABLE
from .gates import PASSED as GATE_PASSED
from .missing import NOT_APPLICABLE, REPORTED
from .scheme import GateCondition, Scheme

__all__ = ["GapReport", "Plan", "PlanStep", "WhatIfResult", "gap_to_benchmark", "plan_to_tier", "what_if"]

_MARGIN = (0.0, 1e-6, 1e-4)  # above each minimum, in points: retried larger if the engine finds it short
MIP_GAP = 1e-9  # relative optimality gap HiGHS must prove
TIME_LIMIT = 5.0
EXACT_STEPS = 400  # a whole-unit lever of a cost indicator is modelled unit by unit up to this many units
PIECES = 16  # otherwise the way to the threshold is cut in this many steps  # seconds per plan (a bound on the request; small plans take milliseconds)  # safety above each minimum, in points; the second try if the first rounds short


@dataclass(frozen=True)
class PlanStep:
    """One change of one raw field in the evaluated quarter, with what it buys."""

    lever: str
    lever_value: float
    change: float
    unit: str
    indicators: tuple[str, ...]
    gates: tuple[str, ...]
    points: float
    effort: float
    quarter: str
    targets: tuple[tuple[str, str, float, float], ...] = ()  # (indicator_id, "≥"|"≤", threshold, new value)
    also: str | None = None  # the field the lever is part of, moved by the same change

    @property
    def points_per_effort(self) -> float:
        return self.points / self.effort if self.effort > 0 else math.inf

    def message(self, scheme: Scheme, lang: str = "en") -> str:
        """``In 2025Q3, raise Financed tenants from 3 to 5 (+2 家): Financed share 0.2 (target ≥ 0.2), +4.2 points``."""
        spec = scheme.raw_field(self.lever)
        new = self.lever_value + self.change
        parts_en, parts_zh = [], []
        for iid, op, thr, val in self.targets:
            ind = scheme.indicator(iid)
            parts_en.append(f"{ind.name_en} {val:.4g} (target {op} {thr:g})")
            parts_zh.append(f"“{ind.name_zh}”{val:.4g}（目标 {op} {thr:g}）")
        for gid in self.gates:
            gate = next(g for g in scheme.gates if g.id == gid)
            parts_en.append(f"gate: {gate.name_en}")
            parts_zh.append(f"门槛：{gate.name_zh}")
        if self.also:
            other = scheme.raw_field(self.also)
            parts_en.append(f"{other.name_en.lower()} {self.change:+g} {other.unit} with it")
            parts_zh.append(f"{other.name_zh}随之{self.change:+g}{other.unit}")
        if lang == "zh":
            verb = "增至" if self.change >= 0 else "减至"
            return (f"{self.quarter}：{spec.name_zh}由 {self.lever_value:g} {verb} {new:g}（{self.change:+g}{spec.unit}），"
                    + "；".join(parts_zh) + f"，+{self.points:.2f} 分")
        verb = "raise" if self.change >= 0 else "lower"
        return (f"In {self.quarter}, {verb} {spec.name_en.lower()} from {self.lever_value:g} to {new:g} "
                f"({self.change:+g} {spec.unit}): " + "; ".join(parts_en) + f", +{self.points:.2f} points")


@dataclass(frozen=True)
class Plan:
    """The least-effort plan to ``target_tier`` (empty when already there; ``reachable=False`` with a
    ``reason`` when no change of the levers gets there; ``optimal=False`` with a ``reason`` when the
    solver's time limit — a bound on every request — stopped it before it proved the least effort)."""

    incubator_id: str
    quarter: str
    target_tier: str
    tier_before: str
    reaches_tier: str
    reachable: bool
    reason: str
    composite_before: float
    composite_after: float
    total_effort: float
    steps: tuple[PlanStep, ...]
    optimal: bool = True  # False only when the solver's time limit stopped it before proving the optimum

    def changes(self) -> dict[str, float]:
        """The raw-field increments of the plan (for :func:`what_if`), a field it is part of included."""
        out: dict[str, float] = {}
        for s in self.steps:
            for f in (s.lever, *((s.also,) if s.also else ())):
                out[f] = round(out.get(f, 0.0) + s.change, 10)
        return out


@dataclass(frozen=True)
class GapReport:
    """Where an incubator stands against a target tier, and the optimal plan to reach it."""

    incubator_id: str
    quarter: str
    tier: str
    target_tier: str
    composite: float
    composite_needed: float | None
    dimension_shortfalls: Mapping[str, float]
    plan: Plan
    gates: tuple[Mapping[str, object], ...] = field(default_factory=tuple)

    def changes(self) -> dict[str, float]:
        return self.plan.changes()


# ----- the model ---------------------------------------------------------------------------------------
def _moves(scheme: Scheme, lever: str) -> tuple[str, ...]:
    """The fields a change of ``lever`` moves: itself and the field it is ``part_of`` (e.g. non-rent income
    is part of total income: more of it is more total income too)."""
    if not lever:
        return ()
    also = scheme.part_of.get(lever)
    return (lever, also) if also else (lever,)


def _gate_row(res: EvaluationResult, i: int, cond: GateCondition,
              levers: Sequence[_Lever]) -> tuple[list[float], float] | None:
    """``cond`` as a linear row ``Σ a_l z_l ≥ need``: a ratio ``L/R ≥ m`` with ``L`` and ``R`` affine in the
    levers becomes ``L − m·R ≥ 0`` exactly (R > 0); otherwise the value's own slope. None: not computable."""
    root = cond.formula.root
    if isinstance(root, BinOp) and root.op == "/":
        left, right = parse_formula(render_node(root.left)), parse_formula(render_node(root.right))
        l0 = float(_probe(res, i, left, "", np.zeros(1))[0])
        r0 = float(_probe(res, i, right, "", np.zeros(1))[0])
        if not (math.isnan(l0) or math.isnan(r0)) and r0 > 0:
            row, ok = [], True
            for lv in levers:
                al, ul = _coefficient(res, i, left, lv.field, lv.direction * lv.step, 1, strict=True)
                ar, ur = _coefficient(res, i, right, lv.field, lv.direction * lv.step, 1, strict=True)
                ok &= ul and ur
                row.append(al - cond.min * ar)
            if ok:
                return row, cond.min * r0 - l0
    g0 = float(_probe(res, i, cond.formula, "", np.zeros(1))[0])
    if math.isnan(g0):
        return None
    row = []
    for lv in levers:
        a, usable = _coefficient(res, i, cond.formula, lv.field, lv.direction * lv.step, 1)
        row.append(a if usable else 0.0)
    return row, cond.min - g0


def _probe(res: EvaluationResult, i: int, formula: Formula, lever: str, deltas: FloatArray) -> FloatArray:
    """``formula`` for row ``i`` with ``lever`` moved by each of ``deltas`` this quarter (vectorised)."""
    p = deltas.size
    moved = _moves(res.scheme, lever)

    def lookup(f: str, lag: int) -> FloatArray:
        fv = res.field_values.get(shift_quarter(res.quarter, -lag))
        v = np.full(p, float(fv[f][i]) if fv is not None else math.nan)
        if lag == 0 and f in moved:
            v = v + deltas
        return v

    vals, zero, _ = formula.evaluate(lookup, p)
    return np.where(zero, np.nan, vals)


def _coefficient(res: EvaluationResult, i: int, formula: Formula, lever: str, step: float,
                 better: int, *, strict: bool = False) -> tuple[float, bool]:
    """Per-unit slope of ``formula`` in ``lever`` and whether it is usable: affine (slope exact), or
    non-affine but never worse in direction ``better`` (+1 higher is better, −1 lower) — slope 0 then."""
    if not set(_moves(res.scheme, lever)) & set(formula.fields):
        return 0.0, True
    k = np.array([0.0, 1.0, 7.0, 1000.0])
    v = _probe(res, i, formula, lever, k * step)
    if np.isnan(v).any():
        return 0.0, False
    a = v[1] - v[0]
    scale = max(1.0, abs(float(v[0])), abs(float(v[3])))
    if abs(v[2] - v[0] - 7 * a) <= 1e-9 * scale and abs(v[3] - v[0] - 1000 * a) <= 1e-7 * scale:
        return float(a), True
    return 0.0, (not strict) and bool(np.all(better * (v[1:] - v[0]) >= -1e-12))


@dataclass
class _Lever:
    field: str
    step: float
    direction: int
    effort: float
    value: float
    upper: float = 0.0  # units


def _levers(res: EvaluationResult, i: int, scored: Sequence[int], gate_conds: Sequence[tuple[int, int]]) -> list[_Lever]:
    scheme = res.scheme
    fields = res.field_values[res.quarter]
    declared: dict[str, tuple[int, float]] = {}

    def declare(formula: Formula, lever: str, better: int, effort: float) -> None:
        v = _probe(res, i, formula, lever, np.array([0.0, 1.0]))
        if np.isnan(v).any() or v[1] == v[0]:
            return
        d = 1 if better * (v[1] - v[0]) > 0 else -1  # the direction that improves it
        prev = declared.get(lever)
        declared[lever] = (prev[0] if prev else d, max(effort, prev[1] if prev else 0.0))

    for j in scored:
        ind = scheme.indicators[j]
        declare(ind.formula, ind.lever, -1 if ind.is_cost else 1, ind.effort)
    for k, c in gate_conds:
        cond = scheme.gates[k].conditions[c]
        declare(cond.formula, cond.lever, 1, cond.effort)
    out = []
    for f, (d, effort) in declared.items():
        value = float(fields[f][i])
        if math.isnan(value):
            continue
        spec = scheme.raw_field(f)
        out.append(_Lever(f, 1.0 if spec.kind in ("count", "hours") else 0.01, d, effort, value))
    return out


def plan_to_tier(result: EvaluationResult, incubator_id: str, target_tier: str | None = None) -> Plan:
    """The least-effort plan for ``incubator_id`` to reach ``target_tier`` (default: the next tier up)
    in the evaluated quarter (module doc)."""
    res = headline_result(result)
    scheme = res.scheme
    if not res.is_fixed_goalpost or res.method.aggregation != "arithmetic" or res.method.normalization != "target":
        raise MethodError("PLAN_NEEDS_HEADLINE", "a plan needs a fixed-goalpost headline with target normalisation "
                          "and arithmetic aggregation (not a scheme whose headline imputes peer medians)",
                          field="method")
    i = res.index(incubator_id)
    order = [t.id for t in scheme.tiers]
    current = res.tiers[i]
    if target_tier is None:
        k = order.index(current) if current in order else len(order)
        target_tier = order[max(k - 1, 0)]
    if target_tier not in order:
        raise InputError("UNKNOWN_TIER", f"unknown tier {target_tier!r}", field="target_tier")
    comp0 = float(res.composite[i])

    def done(reachable: bool, reason: str, steps: tuple[PlanStep, ...] = (), after: float | None = None,
             reached: str | None = None, effort: float = 0.0, optimal: bool = True) -> Plan:
        return Plan(incubator_id, res.quarter, target_tier, current, reached or current, reachable, reason, comp0,
                    comp0 if after is None else after, effort, steps, optimal)

    if current in order and order.index(current) <= order.index(target_tier):
        return done(True, "already there")
    if current == scheme.insufficient_data.id:
        return done(False, "insufficient data: report the missing values first")
    deadline = time.monotonic() + TIME_LIMIT  # one time budget for the whole plan, retries included
    for margin in _MARGIN:
        plan = _solve(res, i, target_tier, margin, max(deadline - time.monotonic(), 1e-3))
        if isinstance(plan, str):
            return done(False, plan)
        levers, z, optimal = plan
        changes: dict[str, float] = {}
        for lv, u in zip(levers, z, strict=True):
            if u > 0.5:
                for f in _moves(scheme, lv.field):
                    changes[f] = round(changes.get(f, 0.0) + lv.direction * lv.step * float(u), 10)
        after = _row_after(res, i, changes)
        reached = after.tiers[0]
        if reached in order and order.index(reached) <= order.index(target_tier):
            steps = _steps(res, i, levers, z, after)
            return done(True, "" if optimal else f"best plan found within {TIME_LIMIT:g} s, not proven least-effort",
                        steps, float(after.composite[0]), reached, sum(s.effort for s in steps), optimal)
    return done(False, "rounding keeps the plan short of the tier")


def _target_score(value: float, threshold: float, cost: bool) -> float:
    """The target normalisation of one value (as :func:`evaluation.normalize.target`)."""
    if cost:
        return 100.0 if value <= threshold else 100.0 * threshold / value
    return 100.0 * min(value / threshold, 1.0)


def _row_after(res: EvaluationResult, i: int, changes: Mapping[str, float]) -> EvaluationResult:
    """The incubator's row alone re-scored with ``changes`` (valid because the headline is
    fixed-goalpost: its score reads no other row)."""
    fv = {q: {f: a[i:i + 1].copy() for f, a in cols.items()} for q, cols in res.field_values.items()}
    for f, d in changes.items():
        fv[res.quarter][f][0] += d
    inc = res.incubator_ids[i]
    na_ids = {inc: res.not_applicable_ids[inc]} if inc in res.not_applicable_ids else {}
    return _evaluate_arrays((inc,), fv, res.not_applicable[i:i + 1], na_ids, res.scheme, res.quarter, res.method)


def _hull_cut(levers: Sequence[_Lever], movers: Sequence[int], coef: Mapping[tuple[int, int], float], j: int,
              v0: float, thr: float) -> tuple[int, float, float] | None:
    """The convex hull of a benefit score moved by one whole-unit lever alone: ``s ≤ 100·(v0 + a·z)/t``
    capped at 100 reaches 100 at ``K = ⌈(t − v0)/a⌉`` units, so over whole ``z`` also
    ``s ≤ f(K−1) + (100 − f(K−1))·(z − K + 1)`` — valid at every whole ``z`` (the chord of a concave
    function), cutting only fractional ``z``: the optimum is unchanged, the relaxation much tighter.
    Returns ``(lever, slope, constant)`` for ``s − slope·z ≤ constant``; None when it would cut nothing."""
    if len(movers) != 1 or levers[movers[0]].step != 1.0:
        return None
    li = movers[0]
    a = coef[(j, li)]
    if a <= 0 or thr <= 0 or v0 >= thr:
        return None
    k = math.ceil((thr - v0) / a - 1e-9)
    before = 100.0 * (v0 + a * (k - 1)) / thr  # the score one unit short of the threshold
    slope = 100.0 - before
    if k < 1 or slope >= 100.0 * a / thr - 1e-12:
        return None
    return li, slope, before - slope * (k - 1)


def _solve(res: EvaluationResult, i: int, target: str, margin: float,
           time_limit: float) -> tuple[list[_Lever], FloatArray, bool] | str:
    scheme = res.scheme
    rule = scheme.tier(target)
    status = res.status[i]
    scored = [j for j in range(len(scheme.indicators)) if res.mask[i, j]]
    movable = [j for j in scored if status[j] == REPORTED]
    gates = [k for k, g in enumerate(scheme.gates) if target in g.tiers
             and res.gate_status[i, k] != GATE_NOT_APPLICABLE]
    fields = res.field_values
    gate_conds = []
    for k in gates:
        for c, cond in enumerate(scheme.gates[k].conditions):
            if scheme.gates[k].id in res.not_applicable_ids.get(res.incubator_ids[i], ()) or any(
                    f in res.not_applicable_ids.get(res.incubator_ids[i], ()) for f in cond.formula.fields):
                continue
            gate_conds.append((k, c))
    levers = _levers(res, i, movable, gate_conds)
    # drop levers that could hurt an indicator non-linearly
    coef: dict[tuple[int, int], float] = {}
    keep: list[_Lever] = []
    for lv in levers:
        ok = True
        for j in movable:
            ind = scheme.indicators[j]
            a, usable = _coefficient(res, i, ind.formula, lv.field, lv.direction * lv.step, -1 if ind.is_cost else 1)
            if not usable:
                ok = False
                break
            coef[(j, len(keep))] = a
        if ok:
            keep.append(lv)
        else:
            for key in [key for key in coef if key[1] == len(keep)]:
                del coef[key]
    levers = keep
    gate_rows = {(k, c): _gate_row(res, i, scheme.gates[k].conditions[c], levers) for k, c in gate_conds}
    thr = np.array([ind.threshold for ind in scheme.indicators])
    n0 = np.nan_to_num(res.normalized[i], nan=0.0)
    v0 = res.values[i]

    def hurt(j: int) -> bool:
        cost = scheme.indicators[j].is_cost
        return any((a > 0) == cost and a != 0 for (jj, _), a in coef.items() if jj == j)

    # variables only for indicators a lever can move (below their threshold, or hurt by a lever)
    active = [j for j in movable if n0[j] < 100.0 - 1e-9 or hurt(j)]
    fixed_part = [j for j in scored if j not in active]
    L, J = len(levers), len(active)
    # upper bounds (units): enough for every indicator and gate condition it serves, capped by the range
    for li, lv in enumerate(levers):
        need = 0.0
        for j in movable:
            a = coef.get((j, li), 0.0)
            ind = scheme.indicators[j]
            if a != 0 and (a < 0) == ind.is_cost:
                need = max(need, math.ceil(abs((thr[j] - v0[j]) / a) - 1e-9))
        for k, c in gate_conds:
            gate_row = gate_rows[(k, c)]
            if gate_row is not None and gate_row[0][li] > 0:
                need = max(need, math.ceil(gate_row[1] / gate_row[0][li] - 1e-9))
        spec = scheme.raw_field(lv.field)
        cap = math.inf
        if lv.direction > 0 and spec.max is not None:
            cap = math.floor((spec.max - lv.value) / lv.step + 1e-9)
        if lv.direction < 0:
            cap = math.floor((lv.value - spec.min) / lv.step + 1e-9)
        lv.upper = float(max(0.0, min(need, cap)))
    # a cost indicator's score 100·t/x is convex in the lever: exact by unit steps (binaries in order)
    # when one whole-unit lever moves it, else at PIECES steps of the way to its threshold (conservative)
    pieces: dict[int, tuple[int, list[float], list[float]]] = {}
    reach: list[int] = []
    for j in active:
        if not scheme.indicators[j].is_cost:
            continue
        movers = [li for li in range(len(levers)) if coef.get((j, li), 0.0) < 0]
        if len(movers) == 1:
            li = movers[0]
            a_j = coef[(j, li)]
            full_units = math.ceil((v0[j] - thr[j]) / -a_j - 1e-9)
            if levers[li].step == 1.0 and full_units <= EXACT_STEPS:
                units = [float(k) for k in range(full_units + 1)]
            else:
                units = sorted({float(math.ceil(full_units * k / PIECES)) if levers[li].step == 1.0
                                else full_units * k / PIECES for k in range(PIECES + 1)})
            scores = [_target_score(v0[j] + a_j * u, thr[j], True) for u in units]
            pieces[j] = (li, units, scores)
        else:
            reach.append(j)
    n_bin = sum(len(p[1]) - 1 for p in pieces.values()) + len(reach)
    alt = [(k, c) for k, c in gate_conds if len(scheme.gates[k].conditions) > 1]
    nvar = L + J + n_bin + len(alt)
    col_s = {j: L + q for q, j in enumerate(active)}
    col_q = {kc: L + J + n_bin + q for q, kc in enumerate(alt)}
    lb = np.zeros(nvar)
    ub = np.concatenate([[lv.upper for lv in levers], np.full(J, 100.0), np.ones(n_bin + len(alt))])
    # whole units for counts and hours; amounts and areas continuous, rounded up to 0.01 afterwards
    whole = [1.0 if lv.step == 1.0 else 0.0 for lv in levers]
    integrality = np.concatenate([whole, np.zeros(J), np.ones(n_bin + len(alt))])
    rows: list[FloatArray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(row: FloatArray, low: float, high: float) -> None:
        rows.append(row)
        lo.append(low)
        hi.append(high)

    next_bin = L + J
    for j in active:
        r = np.zeros(nvar)
        r[col_s[j]] = 1.0
        ind = scheme.indicators[j]
        if not ind.is_cost:
            for li in range(L):
                r[li] = -100.0 * coef.get((j, li), 0.0) / thr[j]
            add(r, -np.inf, 100.0 * v0[j] / thr[j])
            hull = _hull_cut(levers, [li for li in range(L) if coef.get((j, li), 0.0) != 0.0], coef, j, v0[j], thr[j])
            if hull is not None:
                li, slope, const = hull
                r = np.zeros(nvar)
                r[col_s[j]], r[li] = 1.0, -slope
                add(r, -np.inf, const)
        elif j in pieces:
            li, units, scores = pieces[j]
            used = np.zeros(nvar)
            used[li] = 1.0
            for k in range(1, len(units)):
                col = next_bin + k - 1
                r[col] = -(scores[k] - scores[k - 1])
                used[col] = -(units[k] - units[k - 1])
                if k > 1:  # steps in order: w_k ≤ w_{k−1}
                    order_row = np.zeros(nvar)
                    order_row[col - 1], order_row[col] = 1.0, -1.0
                    add(order_row, 0.0, np.inf)
            next_bin += len(units) - 1
            add(r, -np.inf, scores[0])
            lever_big = max(levers[li].upper, units[-1])
            levers[li].upper = lever_big
            ub[li] = lever_big
            add(used, 0.0, np.inf)  # the lever moves at least as far as the steps counted
        else:
            col = next_bin
            next_bin += 1
            r[col] = -(100.0 - n0[j])
            add(r, -np.inf, n0[j])
            # the binary only if the value reaches the threshold: Σ a z ≤ t − v0 + M(1 − y)
            rc = np.zeros(nvar)
            big = max(0.0, v0[j] - thr[j]) + sum(max(coef.get((j, li), 0.0), 0.0) * levers[li].upper for li in range(L))
            for li in range(L):
                rc[li] = coef.get((j, li), 0.0)
            rc[col] = big
            add(rc, -np.inf, thr[j] - v0[j] + big)
    e = res.effective_weights[i]
    if rule.min_composite is not None:
        r = np.zeros(nvar)
        for j in active:
            r[col_s[j]] = e[j]
        add(r, rule.min_composite + margin - sum(e[j] * n0[j] for j in fixed_part), np.inf)
    if rule.min_dimension is not None:
        dim_idx = scheme.dimension_index()
        for d in range(len(scheme.dimensions)):
            if scheme.not_applicable_dimension == "skip" and res.dimension_not_applicable[i, d]:
                continue
            members = [j for j in scored if dim_idx[j] == d]
            if not members:
                return f"dimension {scheme.dimensions[d].id} has no scored indicator"
            tot = sum(e[j] for j in members)
            r = np.zeros(nvar)
            for j in members:
                if j in col_s:
                    r[col_s[j]] = e[j] / tot
            const = sum(e[j] * n0[j] for j in members if j not in col_s) / tot
            add(r, rule.min_dimension + margin - const, np.inf)
    for k in gates:
        conds = [(kk, c) for kk, c in gate_conds if kk == k]
        if not conds:
            return f"gate {scheme.gates[k].id} cannot be computed: report its fields"
        pick = np.zeros(nvar)
        for kk, c in conds:
            gate_row = gate_rows[(kk, c)]
            if gate_row is None:
                continue
            r = np.zeros(nvar)
            r[:L] = gate_row[0]
            need = gate_row[1]
            if (kk, c) in col_q:
                big = max(0.0, need) + sum(max(-r[li], 0.0) * levers[li].upper for li in range(L))
                r[col_q[(kk, c)]] = -big
                add(r, need - big, np.inf)
                pick[col_q[(kk, c)]] = 1.0
            else:
                add(r, need, np.inf)
        if len(conds) > 1:
            add(pick, 1.0, np.inf)
    # scheme constraints on the new values (left op right; either side may be a lever)
    touched = {f for lv in levers for f in _moves(scheme, lv.field)}
    cur = fields[res.quarter]
    for con in scheme.constraints:
        if con.left not in touched and (isinstance(con.right, float) or con.right not in touched):
            continue
        left0 = float(cur[con.left][i])
        right0 = con.right if isinstance(con.right, float) else float(cur[con.right][i])
        if math.isnan(left0) or math.isnan(right0):
            continue
        r = np.zeros(nvar)
        for li, lv in enumerate(levers):
            moved = _moves(scheme, lv.field)
            r[li] = lv.direction * lv.step * ((con.left in moved) - (isinstance(con.right, str) and con.right in moved))
        gap = right0 - left0  # left + Δl op right + Δr  ⇔  Δl − Δr op right0 − left0
        if con.op in ("<=", "<"):
            add(r, -np.inf, gap - (1e-9 if con.op == "<" else 0.0))
        elif con.op in (">=", ">"):
            add(r, gap + (1e-9 if con.op == ">" else 0.0), np.inf)
        else:
            add(r, gap, gap)
    objective = np.zeros(nvar)
    for li, lv in enumerate(levers):
        objective[li] = lv.effort * lv.step
    constraints = LinearConstraint(np.array(rows), np.array(lo), np.array(hi)) if rows else ()
    out = milp(objective, constraints=constraints, integrality=integrality, bounds=Bounds(lb, ub),
               options={"presolve": False, "mip_rel_gap": MIP_GAP, "time_limit": time_limit})
    if out.x is None:
        if out.status == 1:
            return f"the solver found no plan within its {TIME_LIMIT:g} s limit"
        return "no change of the levers reaches this tier (within the scheme's constraints and gates)"
    z = np.array([round(u) if lv.step == 1.0 else math.ceil(u - 1e-7) for lv, u in zip(levers, out.x[:L], strict=True)],
                 dtype=np.float64)
    return levers, z, out.status == 0


def _steps(res: EvaluationResult, i: int, levers: Sequence[_Lever], z: FloatArray,
           after: EvaluationResult) -> tuple[PlanStep, ...]:
    """One step per lever moved; its points are what that change alone adds to the composite: for the
    headline's weighted mean with the row's weights unchanged, ``Σ_j E_ij (score_j after − score_j now)``
    over the indicators it moves (re-scored by the engine when the change could make an indicator
    applicable, which would move the weights)."""
    scheme = res.scheme
    steps = []
    for lv, units in zip(levers, z, strict=True):
        if units < 0.5:
            continue
        change = round(lv.direction * lv.step * float(units), 10)
        moves = set(_moves(scheme, lv.field))
        uses = [j for j, ind in enumerate(scheme.indicators) if moves & set(ind.formula.fields)]
        if any(res.status[i, j] == NOT_APPLICABLE for j in uses):
            alone = _row_after(res, i, {f: change for f in moves})
            points = float(alone.composite[0] - res.composite[i])
            new = {j: float(alone.values[0, j]) for j in uses}
        else:
            new = {j: float(_probe(res, i, scheme.indicators[j].formula, lv.field, np.array([change]))[0])
                   for j in uses if res.status[i, j] == REPORTED}
            points = float(sum(res.effective_weights[i, j] * (
                _target_score(v, scheme.indicators[j].threshold, scheme.indicators[j].is_cost) - res.normalized[i, j])
                for j, v in new.items()))
        moved = [j for j, v in new.items() if res.mask[i, j] and not math.isclose(v, res.values[i, j], abs_tol=1e-12)]
        gates = []
        for k, g in enumerate(scheme.gates):
            if res.gate_status[i, k] == GATE_PASSED or not any(moves & set(c.formula.fields) for c in g.conditions):
                continue
            if any(float(_probe(res, i, c.formula, lv.field, np.array([change]))[0]) >= c.min - 1e-12
                   for c in g.conditions):
                gates.append(g.id)
        targets = tuple((scheme.indicators[j].id, "≤" if scheme.indicators[j].is_cost else "≥",
                         scheme.indicators[j].threshold, float(after.values[0, j])) for j in moved)
        steps.append(PlanStep(lv.field, float(lv.value), change, scheme.raw_field(lv.field).unit,
                              tuple(scheme.indicators[j].id for j in moved), tuple(gates), points,
                              lv.effort * abs(change), res.quarter, targets, scheme.raw_field(lv.field).part_of))
    steps.sort(key=lambda s: (-s.points_per_effort, s.lever))
    return tuple(steps)


def gap_to_benchmark(result: EvaluationResult, incubator_id: str, target_tier: str = "benchmark") -> GapReport:
    """Where ``incubator_id`` stands against ``target_tier`` and the optimal plan to reach it."""
    res = headline_result(result)
    scheme = res.scheme
    i = res.index(incubator_id)
    try:
        rule = scheme.tier(target_tier)
    except KeyError:
        raise InputError("UNKNOWN_TIER", f"unknown tier {target_tier!r}", field="target_tier") from None
    shortfalls = {}
    if rule.min_dimension is not None:
        for k, d in enumerate(scheme.dimension_ids):
            if scheme.not_applicable_dimension == "skip" and res.dimension_not_applicable[i, k]:
                continue
            s = float(res.dimension_scores[i, k])
            if math.isnan(s) or s < rule.min_dimension:
                shortfalls[d] = rule.min_dimension - (0.0 if math.isnan(s) else s)
    comp = float(res.composite[i])
    need = None if rule.min_composite is None else max(0.0, rule.min_composite - comp)
    return GapReport(incubator_id, res.quarter, res.tiers[i], target_tier, comp, need, shortfalls,
                     plan_to_tier(res, incubator_id, target_tier),
                     tuple(g for g in res.gates(incubator_id) if target_tier in g["tiers"]))


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
