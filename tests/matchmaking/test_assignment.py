"""Session assignment: equal to a brute-force optimum on small cases; feasible on large ones."""

from __future__ import annotations

import numpy as np
import pytest

from cloud_incubator.matchmaking.assignment import AssignmentError, assign, check_feasible


def brute_force(w, s_av, c_av, s_cap, c_cap, locked=()):
    """Depth-first search over every (startup, counterpart, slot) triple: take it or not."""
    triples = [(s, c, t) for s in range(w.shape[0]) for c in range(w.shape[1]) for t in range(s_av.shape[1])
               if (w[s, c] > 0 or (s, c, t) in locked) and s_av[s, t] and c_av[c, t]]
    best = [-1]

    def dfs(k, total, busy_s, busy_c, pairs, ns, nc, taken):
        if k == len(triples):
            if all(x in taken for x in locked):
                best[0] = max(best[0], total)
            return
        s, c, t = triples[k]
        if ((s, t) not in busy_s and (c, t) not in busy_c and (s, c) not in pairs
                and ns[s] < s_cap[s] and nc[c] < c_cap[c]):
            ns[s] += 1
            nc[c] += 1
            dfs(k + 1, total + w[s, c], busy_s | {(s, t)}, busy_c | {(c, t)}, pairs | {(s, c)}, ns, nc,
                taken | {(s, c, t)})
            ns[s] -= 1
            nc[c] -= 1
        if (s, c, t) not in locked:
            dfs(k + 1, total, busy_s, busy_c, pairs, ns, nc, taken)

    dfs(0, 0, frozenset(), frozenset(), frozenset(), [0] * w.shape[0], [0] * w.shape[1], frozenset())
    return best[0]


@pytest.mark.parametrize("seed", range(30))
def test_small_cases_match_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n_s, n_c, n_t = int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(1, 4))
    w = rng.integers(0, 10, size=(n_s, n_c)) * (rng.random((n_s, n_c)) < 0.8)
    s_av = rng.random((n_s, n_t)) < 0.8
    c_av = rng.random((n_c, n_t)) < 0.8
    s_cap = rng.integers(1, 3, size=n_s)
    c_cap = rng.integers(1, 4, size=n_c)
    result = assign(w, s_av, c_av, s_cap, c_cap)
    assert not check_feasible(result.meetings, s_av, c_av, s_cap, c_cap)
    assert result.total == sum(w[s, c] for s, c, _ in result.meetings)
    assert result.total == brute_force(w, s_av, c_av, s_cap, c_cap)
    assert result.optimal


def test_the_greedy_choice_is_not_taken():
    """One slot, capacity 1 each. Greedy takes the best pair s0–c0 (9) and leaves s1 (compatible only
    with c0) without a meeting: 9. Optimal: s0–c1 (8) + s1–c0 (7) = 15."""
    w = np.array([[9, 8], [7, 0]])
    result = assign(w, np.ones((2, 1), bool), np.ones((2, 1), bool), np.array([1, 1]), np.array([1, 1]))
    assert result.meetings == [(0, 1, 0), (1, 0, 0)]
    assert result.total == 15


@pytest.mark.parametrize("seed", range(6))
def test_locked_meetings_are_kept_and_the_rest_is_optimal(seed):
    rng = np.random.default_rng(100 + seed)
    n_s, n_c, n_t = 3, 3, 2
    w = rng.integers(1, 10, size=(n_s, n_c))
    s_av = np.ones((n_s, n_t), bool)
    c_av = np.ones((n_c, n_t), bool)
    s_cap = np.array([2, 2, 2])
    c_cap = np.array([2, 2, 2])
    w_min = np.unravel_index(np.argmin(w), w.shape)
    locked = [(int(w_min[0]), int(w_min[1]), 1)]
    result = assign(w, s_av, c_av, s_cap, c_cap, locked=locked)
    assert locked[0] in result.meetings
    assert result.total == brute_force(w, s_av, c_av, s_cap, c_cap, locked=set(locked))


def test_contradictory_locks_are_refused():
    w = np.ones((2, 1), int)
    with pytest.raises(AssignmentError, match="two meetings in slot 0"):
        assign(w, np.ones((2, 1), bool), np.ones((1, 1), bool), np.array([1, 1]), np.array([2]),
               locked=[(0, 0, 0), (1, 0, 0)])


@pytest.mark.parametrize("full", [True, False])
def test_large_case_is_feasible_and_fills_capacity_when_everyone_is_free(full):
    rng = np.random.default_rng(5)
    n_s, n_c, n_t = 150, 30, 6
    w = rng.integers(1, 10_000, size=(n_s, n_c)) * (rng.random((n_s, n_c)) < 0.6)
    s_av = np.ones((n_s, n_t), bool) if full else rng.random((n_s, n_t)) < 0.7
    c_av = np.ones((n_c, n_t), bool) if full else rng.random((n_c, n_t)) < 0.7
    s_cap, c_cap = np.full(n_s, 2), np.full(n_c, 6)
    result = assign(w, s_av, c_av, s_cap, c_cap)
    assert not check_feasible(result.meetings, s_av, c_av, s_cap, c_cap)
    slots = {(s, t) for s, _, t in result.meetings}
    assert len(slots) == len(result.meetings)  # no startup double-booked
    assert len({(c, t) for _, c, t in result.meetings}) == len(result.meetings)
    if full:
        # 30 investors × 6 slots = 180 seats, 150 × 2 = 300 wanted: every investor seat is used
        # when each investor has ≥ 6 compatible startups (true here: 60% density over 150).
        assert len(result.meetings) == n_c * n_t


def test_when_the_pairs_bound_cannot_be_slotted_the_exact_model_decides():
    """s0 and s1 can only come to slot 0; c0 could meet both (capacity 2, free in slots 0 and 1), so the
    pairs-only bound takes both (5 + 4 = 9), but they collide in slot 0: the optimum is 5 (s0–c0)."""
    w = np.array([[5], [4]])
    s_av = np.array([[True, False], [True, False]])
    c_av = np.array([[True, True]])
    result = assign(w, s_av, c_av, np.array([1, 1]), np.array([2]))
    assert result.method in ("lp-integral", "milp")
    assert result.meetings == [(0, 0, 0)] and result.total == 5 and result.optimal


@pytest.mark.parametrize("seed", range(12))
def test_tight_availability_cases_match_brute_force(seed):
    """Sparse availability makes the pairs bound unreachable in many of these; all must still be optimal."""
    rng = np.random.default_rng(1000 + seed)
    n_s, n_c, n_t = 4, 3, 3
    w = rng.integers(1, 10, size=(n_s, n_c))
    s_av = rng.random((n_s, n_t)) < 0.4
    c_av = rng.random((n_c, n_t)) < 0.7
    s_cap = np.full(n_s, 2)
    c_cap = np.full(n_c, 3)
    result = assign(w, s_av, c_av, s_cap, c_cap)
    assert not check_feasible(result.meetings, s_av, c_av, s_cap, c_cap)
    assert result.total == brute_force(w, s_av, c_av, s_cap, c_cap)


def test_a_fractional_relaxation_goes_to_branch_and_bound_and_stays_optimal():
    """Seed 925 of a random search: the LP relaxation of this instance is fractional."""
    rng = np.random.default_rng(925)
    n_s, n_c, n_t = 3, 3, int(rng.integers(2, 4))
    w = rng.integers(0, 10, size=(n_s, n_c))
    s_av = rng.random((n_s, n_t)) < 0.6
    c_av = rng.random((n_c, n_t)) < 0.6
    s_cap = rng.integers(1, 3, size=n_s)
    c_cap = rng.integers(1, 3, size=n_c)
    result = assign(w, s_av, c_av, s_cap, c_cap)
    assert result.method == "milp" and result.optimal
    assert result.total == brute_force(w, s_av, c_av, s_cap, c_cap)
