"""Matchmaking benchmarks: top-10 recommendations for 10,000 startups × 2,000 investors, and an optimal
session assignment for 300 startups × 60 investors × 8 slots.

Run: .venv/bin/python -m bench.bench_matchmaking [--quick]  (quick: 1,000 × 200 and 60 × 12 × 8)
Baselines measured in the same run: a per-pair Python loop over a sample (extrapolated), and the
exact MILP (branch and bound) on the same session problem.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import numpy as np

from bench.common import Targets, arguments
from cloud_incubator.matchmaking.assignment import assign, check_feasible, integer_weights
from cloud_incubator.matchmaking.scoring import (
    INDUSTRIES,
    NEEDS,
    STAGES,
    WEIGHTS,
    _terms,
    build_problem,
    explain,
    score_block,
)

WORDS = ("payment risk ledger credit compliance cloud data platform analytics vision model sensor design "
         "industrial prototype animation museum game film music supply chain retail bank insurance robot "
         "chip edge security privacy identity marketing media education health logistics energy carbon").split()
TAGS = [f"tag{i}" for i in range(40)]
SIZES = {"startups": 10_000, "investors": 2_000, "sample": 10, "s_startups": 300, "s_investors": 60}
QUICK_SIZES = {"startups": 1_000, "investors": 200, "sample": 2, "s_startups": 60, "s_investors": 12}


def synthetic(n_startups: int, n_investors: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    rng = np.random.default_rng(seed)
    startups = []
    for i in range(n_startups):
        lo = float(rng.choice([50, 100, 300, 500, 1000, 3000]))
        startups.append({"_id": f"s{i}", "industry": INDUSTRIES[rng.integers(4)], "stage": STAGES[rng.integers(6)],
                         "ask_min": lo, "ask_max": lo * float(rng.choice([1, 2])),
                         "needs": list(rng.choice(NEEDS, size=2, replace=False)),
                         "tags": list(rng.choice(TAGS, size=3, replace=False)),
                         "description": " ".join(rng.choice(WORDS, size=12))})
    investors = []
    for j in range(n_investors):
        lo = float(rng.choice([30, 100, 500, 1000]))
        investors.append({"_id": f"i{j}", "industries": list(rng.choice(INDUSTRIES[:4], size=2, replace=False)),
                          "stages": list(rng.choice(STAGES, size=3, replace=False)),
                          "ticket_min": lo, "ticket_max": lo * 5, "serves": ["funding"],
                          "tags": list(rng.choice(TAGS, size=4, replace=False)),
                          "description": " ".join(rng.choice(WORDS, size=15))})
    return startups, investors


def top_k(p: Any, k: int, chunk: int = 1024, c_cols: np.ndarray | None = None, workers: int = 2
          ) -> tuple[np.ndarray, np.ndarray]:
    """For every startup, the ``k`` best counterparts: (indices, scores), best first; -1 / -inf pad.
    The app's kernel (``score_block``) in chunks, with the top-k picked here: the app itself ranks one
    party's row at a time (``best_first``), this is the all-startups workload the target is set for.

    Chunks of ``chunk`` startups bound the memory; ``workers`` threads score chunks in parallel (numpy
    releases the GIL in its loops)."""
    n = len(p.startup_ids)
    cols = np.arange(len(p.counterpart_ids)) if c_cols is None else c_cols
    k_eff = min(k, cols.size)
    out_idx = np.full((n, k), -1, dtype=np.int64)
    out_score = np.full((n, k), -np.inf, dtype=np.float32)
    if k_eff == 0 or n == 0:
        return out_idx, out_score

    def run(start: int) -> None:
        rows = np.arange(start, min(n, start + chunk))
        block = score_block(p, rows, cols)
        np.negative(block, out=block)
        part = np.argpartition(block, k_eff - 1, axis=1)[:, :k_eff]
        part_scores = -np.take_along_axis(block, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        best = np.take_along_axis(part, order, axis=1)
        best_scores = np.take_along_axis(part_scores, order, axis=1)
        out_idx[rows, :k_eff] = np.where(np.isfinite(best_scores), cols[best], -1)
        out_score[rows, :k_eff] = best_scores

    starts = range(0, n, chunk)
    if workers > 1 and n > chunk:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    return out_idx, out_score


def bench_recommendations() -> float:
    n_s, n_c = SIZES["startups"], SIZES["investors"]
    startups, investors = synthetic(n_s, n_c)
    t0 = time.perf_counter()
    problem = build_problem(startups, investors)
    t_enc = time.perf_counter()
    runs = []
    for _ in range(3):
        r0 = time.perf_counter()
        _idx, scores = top_k(problem, 10)
        runs.append(time.perf_counter() - r0)
    t1, t2 = 0.0, statistics.median(runs)  # t2 - t1 = the median score+top-10 time
    # Baseline 1: the same vectorised terms evaluated for every pair (no grouping of alike profiles).
    t3 = time.perf_counter()
    for start in range(0, n_s, 1024):
        rows = np.arange(start, min(n_s, start + 1024))
        cols = np.arange(n_c)
        tags_dot = problem.s_tags[rows] @ problem.c_tags.T
        text_dot = np.asarray(problem.s_text[rows] @ problem.c_text, dtype=np.float32)
        credits, excluded = _terms(problem, rows[:, None], cols[None, :], tags_dot, text_dot)
        block = sum(np.float32(WEIGHTS[k]) * v for k, v in credits.items())
        block[excluded] = -np.inf
        np.argpartition(-block, 9, axis=1)[:, :10]
    ungrouped = time.perf_counter() - t3
    # Baseline 2: a per-pair Python loop (explain() for each pair), sampled and extrapolated.
    sample = SIZES["sample"]
    t4 = time.perf_counter()
    for s in range(sample):
        for c in range(len(investors)):
            explain(problem, s, c)
    per_startup_loop = (time.perf_counter() - t4) / sample
    assert np.array_equal(np.sort(score_block(problem, np.arange(1))[0])[::-1][:10], scores[0])
    encode = t_enc - t0
    print(f"recommendations {n_s:,} × {n_c:,} top-10: encode {encode:.2f} s, score+top-10 median {t2:.2f} s "
          f"(min {min(runs):.2f}), total {encode + t2:.2f} s (target ≤ 2 s)")
    print(f"  baseline ungrouped vectorised terms: {ungrouped:.2f} s ({ungrouped / (t2 - t1):.1f}× slower)")
    print(f"  baseline per-pair Python loop: {per_startup_loop * 1000:.0f} ms per startup → "
          f"{per_startup_loop * n_s:.0f} s extrapolated ({per_startup_loop * n_s / (t2 - t1):.0f}× slower)")
    return encode + t2


def bench_session() -> float:
    n_s, n_c = SIZES["s_startups"], SIZES["s_investors"]
    startups, investors = synthetic(n_s, n_c, seed=11)
    problem = build_problem(startups, investors)
    weights = integer_weights(score_block(problem, np.arange(n_s)))
    rng = np.random.default_rng(3)
    s_cap, c_cap = np.full(n_s, 3), np.full(n_c, 8)
    worst = 0.0
    for label, s_av, c_av in (("everyone available", np.ones((n_s, 8), bool), np.ones((n_c, 8), bool)),
                              ("80% availability", rng.random((n_s, 8)) < 0.8, rng.random((n_c, 8)) < 0.8)):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            result = assign(weights, s_av, c_av, s_cap, c_cap)
            runs.append(time.perf_counter() - t0)
        elapsed = statistics.median(runs)
        worst = max(worst, elapsed)
        assert not check_feasible(result.meetings, s_av, c_av, s_cap, c_cap)
        print(f"session {n_s} × {n_c} × 8 ({label}): median {elapsed:.2f} s (target ≤ 5 s), {len(result.meetings)} meetings, "
              f"method {result.method}, optimal {result.optimal}, pairs allowed {(weights > 0).sum()}")
        if label == "everyone available":

            t0 = time.perf_counter()
            baseline = _plain_milp(weights, s_av, c_av, s_cap, c_cap)
            print(f"  baseline plain MILP: {time.perf_counter() - t0:.2f} s, total {baseline} "
                  f"(ours {result.total}; {(time.perf_counter() - t0) / elapsed:.1f}× slower)")
    return worst


def _plain_milp(weights, s_av, c_av, s_cap, c_cap) -> int:
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_s, n_c = weights.shape
    n_t = s_av.shape[1]
    ps, pc = np.nonzero(weights > 0)
    pi, ti = np.nonzero(s_av[ps] & c_av[pc])
    n = pi.size
    s_of, c_of = ps[pi], pc[pi]

    def block(keys, size):
        return sparse.csr_matrix((np.ones(n), (keys, np.arange(n))), shape=(size, n))

    a = sparse.vstack([block(pi, ps.size), block(s_of * n_t + ti, n_s * n_t), block(c_of * n_t + ti, n_c * n_t),
                       block(s_of, n_s), block(c_of, n_c)])
    ub = np.concatenate([np.ones(ps.size + n_s * n_t + n_c * n_t), s_cap, c_cap])
    res = milp(-weights[s_of, c_of].astype(float), constraints=LinearConstraint(a, -np.inf, ub),
               integrality=np.ones(n), bounds=Bounds(0, 1), options={"time_limit": 120})
    return round(float(-res.fun))


if __name__ == "__main__":
    targets = Targets(arguments(__doc__.splitlines()[0]).parse_args().quick)
    SIZES.update(QUICK_SIZES if targets.quick else {})
    recommendations_s = bench_recommendations()
    targets.check("recommendations 10,000 × 2,000 top-10 ≤ 2 s", recommendations_s <= 2,
                  f"{recommendations_s:.2f} s for {SIZES['startups']:,} × {SIZES['investors']:,}")
    session_s = bench_session()
    targets.check("session 300 × 60 × 8 ≤ 5 s", session_s <= 5,
                  f"{session_s:.2f} s (worst median) for {SIZES['s_startups']} × {SIZES['s_investors']} × 8")
    sys.exit(targets.exit_code())
