"""Optimal meeting assignment for a matchmaking session (pure: numpy + scipy's HiGHS).

Variables x[s, c, t] ∈ {0, 1}: startup s meets counterpart c in slot t, only for pairs with a positive
weight and a slot both parties are available in. Maximise Σ w[s, c]·x subject to: each pair meets at
most once; nobody is in two meetings in one slot; each party's total ≤ its capacity; locked meetings
are kept (x = 1).

Weights are integers (scores × 100, rounded). A tiny deterministic perturbation (summing to < 1/2 over
any feasible schedule) breaks the symmetry between slots, so the LP relaxation almost always has an
integral vertex: an integral LP optimum is then a proven optimum of the integer problem (and of the
unperturbed one, since integer objectives differing by ≥ 1 cannot swap order). Otherwise the exact
MILP (branch and bound) runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp


class AssignmentError(ValueError):
    """The locked meetings contradict the constraints, or the inputs are malformed."""


@dataclass
class Assignment:
    meetings: list[tuple[int, int, int]]   # (startup, counterpart, slot), sorted
    total: int                             # Σ integer weights
    optimal: bool
    method: str                            # "lp-integral" | "milp"


def integer_weights(scores: np.ndarray) -> np.ndarray:
    """Scores (0–100, -inf excluded) → integer weights (hundredths); excluded/negative → 0 (not allowed)."""
    w = np.where(np.isfinite(scores), np.round(scores * 100), 0)
    return np.maximum(w, 0).astype(np.int64)


def assign(weights: np.ndarray, startup_avail: np.ndarray, counterpart_avail: np.ndarray,
           startup_cap: np.ndarray, counterpart_cap: np.ndarray,
           locked: list[tuple[int, int, int]] | None = None, time_limit: float = 60.0) -> Assignment:
    """Maximise total weight; ``weights`` (S, C) integers, availability (S, T) / (C, T) booleans."""
    weights = np.asarray(weights, dtype=np.int64)
    n_s, n_c = weights.shape
    n_t = startup_avail.shape[1]
    if startup_avail.shape != (n_s, n_t) or counterpart_avail.shape != (n_c, n_t):
        raise AssignmentError("availability shapes do not match the weights")
    locked = sorted(set(locked or ()))
    _check_locked(locked, weights, startup_avail, counterpart_avail, startup_cap, counterpart_cap)

    allowed = weights > 0
    for s, c, _t in locked:
        allowed[s, c] = True
    ps, pc = np.nonzero(allowed)
    slot_ok = startup_avail[ps] & counterpart_avail[pc]
    pi, ti = np.nonzero(slot_ok)
    n = pi.size
    if n == 0:
        return Assignment([], 0, True, "empty")
    s_of, c_of = ps[pi], pc[pi]
    w = weights[s_of, c_of].astype(np.float64)

    def block(keys: np.ndarray, size: int) -> sparse.csr_matrix:
        return sparse.csr_matrix((np.ones(n), (keys, np.arange(n))), shape=(size, n))

    a = sparse.vstack([block(pi, ps.size), block(s_of * n_t + ti, n_s * n_t), block(c_of * n_t + ti, n_c * n_t),
                       block(s_of, n_s), block(c_of, n_c)]).tocsr()
    ub = np.concatenate([np.ones(ps.size), np.ones(n_s * n_t), np.ones(n_c * n_t),
                         np.asarray(startup_cap, float), np.asarray(counterpart_cap, float)])
    lower = np.zeros(n)
    if locked:
        var_of = {(int(s), int(c), int(t)): k for k, (s, c, t) in enumerate(zip(s_of, c_of, ti, strict=True))}
        for key in locked:
            lower[var_of[key]] = 1
    max_meetings = max(1, min(int(np.sum(startup_cap)), int(np.sum(counterpart_cap)), n))
    rng = np.random.default_rng(20260512)
    cost = -(w + rng.random(n) / (2 * max_meetings + 2))
    # 1) Upper bound: the pairs alone (a bipartite b-matching, whose LP vertices are integral), each
    #    party's degree ≤ min(capacity, slots available). 2) If those pairs can be given slots, that
    #    schedule reaches the bound, hence is optimal. 3) Otherwise solve the full problem exactly.
    chosen_pairs = _pairs_bound(ps, pc, slot_ok, weights, startup_avail, counterpart_avail, startup_cap,
                                counterpart_cap, locked, rng, max_meetings)
    if chosen_pairs is not None:
        keep = np.isin(pi, chosen_pairs)
        slotted = _slots_for(keep, pi, s_of, c_of, ti, n_s, n_c, n_t, lower, time_limit)
        if slotted is not None:
            meetings = sorted((int(s_of[k]), int(c_of[k]), int(ti[k])) for k in slotted)
            return Assignment(meetings, int(sum(weights[s, c] for s, c, _ in meetings)), True, "bound-reached")
    constraints = LinearConstraint(a, -np.inf, ub)
    bounds = Bounds(lower, np.ones(n))
    relaxed = milp(cost, constraints=constraints, integrality=np.zeros(n), bounds=bounds)
    if relaxed.status != 0:
        raise AssignmentError(f"no feasible schedule: {relaxed.message}")
    x = relaxed.x
    method = "lp-integral"
    optimal = True
    if np.any(np.abs(x - np.round(x)) > 1e-6):
        exact = milp(cost, constraints=constraints, integrality=np.ones(n), bounds=bounds,
                     options={"time_limit": time_limit})
        if exact.x is None:
            raise AssignmentError(f"no schedule found: {exact.message}")
        x, method, optimal = exact.x, "milp", exact.status == 0
    chosen = np.nonzero(x > 0.5)[0]
    meetings = sorted((int(s_of[k]), int(c_of[k]), int(ti[k])) for k in chosen)
    return Assignment(meetings, int(sum(weights[s, c] for s, c, _ in meetings)), optimal, method)


def _pairs_bound(ps: np.ndarray, pc: np.ndarray, slot_ok: np.ndarray, weights: np.ndarray, s_av: np.ndarray,
                 c_av: np.ndarray, s_cap: np.ndarray, c_cap: np.ndarray, locked: list[tuple[int, int, int]],
                 rng: np.random.Generator, max_meetings: int) -> np.ndarray | None:
    """Indices (into ps/pc) of an optimal b-matching of the relaxed problem, or None if not integral."""
    usable = np.nonzero(slot_ok.any(axis=1))[0]
    m = usable.size
    if m == 0:
        return None
    n_s, n_c = s_av.shape[0], c_av.shape[0]
    s_deg = np.minimum(np.asarray(s_cap, float), s_av.sum(axis=1))
    c_deg = np.minimum(np.asarray(c_cap, float), c_av.sum(axis=1))
    rows = np.concatenate([ps[usable], n_s + pc[usable]])
    a = sparse.csr_matrix((np.ones(2 * m), (rows, np.tile(np.arange(m), 2))), shape=(n_s + n_c, m))
    lower = np.zeros(m)
    locked_pairs = {(s, c) for s, c, _ in locked}
    for k, p in enumerate(usable):
        if (int(ps[p]), int(pc[p])) in locked_pairs:
            lower[k] = 1
    cost = -(weights[ps[usable], pc[usable]] + rng.random(m) / (2 * max_meetings + 2))
    res = milp(cost, constraints=LinearConstraint(a, -np.inf, np.concatenate([s_deg, c_deg])),
               integrality=np.zeros(m), bounds=Bounds(lower, np.ones(m)))
    if res.status != 0 or np.any(np.abs(res.x - np.round(res.x)) > 1e-6):
        return None
    return usable[res.x > 0.5]


def _slots_for(keep: np.ndarray, pi: np.ndarray, s_of: np.ndarray, c_of: np.ndarray, ti: np.ndarray, n_s: int,
               n_c: int, n_t: int, lower: np.ndarray, time_limit: float) -> np.ndarray | None:
    """Give every chosen pair one common free slot (a feasibility MILP); variable indices or None."""
    idx = np.nonzero(keep)[0]
    if idx.size == 0:
        return idx
    pairs, pair_of = np.unique(pi[idx], return_inverse=True)
    k = idx.size

    def block(keys: np.ndarray, size: int) -> sparse.csr_matrix:
        return sparse.csr_matrix((np.ones(k), (keys, np.arange(k))), shape=(size, k))

    a = sparse.vstack([block(pair_of, pairs.size), block(s_of[idx] * n_t + ti[idx], n_s * n_t),
                       block(c_of[idx] * n_t + ti[idx], n_c * n_t)]).tocsr()
    lb = np.concatenate([np.ones(pairs.size), np.zeros(n_s * n_t + n_c * n_t)])
    ub = np.concatenate([np.ones(pairs.size), np.ones(n_s * n_t + n_c * n_t)])
    # Prefer earlier slots (a tie-break only: every feasible slotting has the same total).
    res = milp(ti[idx].astype(float), constraints=LinearConstraint(a, lb, ub), integrality=np.ones(k),
               bounds=Bounds(lower[idx], np.ones(k)), options={"time_limit": time_limit})
    if res.status != 0 or res.x is None:
        return None
    return idx[res.x > 0.5]


def _check_locked(locked: list[tuple[int, int, int]], weights: np.ndarray, s_av: np.ndarray, c_av: np.ndarray,
                  s_cap: np.ndarray, c_cap: np.ndarray) -> None:
    problems = check_feasible(locked, s_av, c_av, s_cap, c_cap)
    if problems:
        raise AssignmentError("locked meetings conflict: " + "; ".join(problems))


def check_feasible(meetings: list[tuple[int, int, int]], s_av: np.ndarray, c_av: np.ndarray,
                   s_cap: np.ndarray, c_cap: np.ndarray) -> list[str]:
    """Every violated rule of a schedule (empty when feasible)."""
    problems: list[str] = []
    seen_st: set[tuple[int, int]] = set()
    seen_ct: set[tuple[int, int]] = set()
    seen_pair: set[tuple[int, int]] = set()
    s_count = np.zeros(len(s_cap), dtype=int)
    c_count = np.zeros(len(c_cap), dtype=int)
    for s, c, t in meetings:
        if not (0 <= s < s_av.shape[0] and 0 <= c < c_av.shape[0] and 0 <= t < s_av.shape[1]):
            problems.append(f"meeting {(s, c, t)} is out of range")
            continue
        if not (s_av[s, t] and c_av[c, t]):
            problems.append(f"startup {s} or counterpart {c} is not available in slot {t}")
        if (s, t) in seen_st:
            problems.append(f"startup {s} has two meetings in slot {t}")
        if (c, t) in seen_ct:
            problems.append(f"counterpart {c} has two meetings in slot {t}")
        if (s, c) in seen_pair:
            problems.append(f"startup {s} meets counterpart {c} twice")
        seen_st.add((s, t))
        seen_ct.add((c, t))
        seen_pair.add((s, c))
        s_count[s] += 1
        c_count[c] += 1
    for i in np.nonzero(s_count > np.asarray(s_cap))[0]:
        problems.append(f"startup {i} exceeds its {s_cap[i]} meetings")
    for j in np.nonzero(c_count > np.asarray(c_cap))[0]:
        problems.append(f"counterpart {j} exceeds its {c_cap[j]} meetings")
    return problems
