from __future__ import annotations

import numpy as np

from evaluation import evaluate, robustness, robustness_arrays

from .conftest import tiny_scheme


def test_seeded_runs_are_identical_and_different_seeds_differ(metrics: dict, scheme) -> None:
    r = evaluate(metrics, scheme, "2025Q3")
    a = robustness(r, draws=300, seed=42, chunk=64)
    b = robustness(r, draws=300, seed=42, chunk=64)
    assert a.rows() == b.rows()
    assert sum(a.combo_counts) == 300 and len(a.combos) == 9
    c = robustness(r, draws=300, seed=43, chunk=64)
    assert not np.array_equal(a.mean_rank, c.mean_rank)
    assert (a.p05 <= a.median_rank).all() and (a.median_rank <= a.p95).all()


def test_dominant_incubator_has_interval_1_1() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 50, size=(40, 6))
    x[7] = x.max(axis=0) * 1.5
    ranks, counts = robustness_arrays(x, np.zeros(6, dtype=bool), np.full(6, 1000.0), np.full(6, 1 / 6),
                                      draws=500, seed=3, chunk=100)
    assert ranks.shape == (40, 500) and sum(counts) == 500
    assert (ranks[7] == 1).all()


def test_dominant_incubator_through_the_engine() -> None:
    d = {f"I{k}": {"2025Q3": {"n": 5 + k, "a": 1, "b": k % 3}} for k in range(6)}
    d["TOP"] = {"2025Q3": {"n": 40, "a": 35, "b": 30}}
    r = evaluate(d, tiny_scheme(), "2025Q3")
    rb = robustness(r, draws=400, seed=1)
    assert rb.interval("TOP") == (1, 1)


def test_progress_callback_moves_per_chunk(metrics: dict, scheme) -> None:
    r = evaluate(metrics, scheme, "2025Q3")
    seen: list[int] = []
    robustness(r, draws=250, seed=0, chunk=100, progress=lambda done, total: seen.append(done))
    assert seen == [100, 200, 250]
