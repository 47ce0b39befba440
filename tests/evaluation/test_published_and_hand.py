"""Methods checked against values worked out independently (published example, hand arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import MethodSpec, evaluate_matrix
from evaluation.weights import critic, entropy

HY = np.array([
    [2.0, 1500, 20000, 5.5, 5, 9],
    [2.5, 2700, 18000, 6.5, 3, 5],
    [1.8, 2000, 21000, 4.5, 7, 7],
    [2.2, 1800, 20000, 5.0, 5, 5],
])


def test_topsis_matches_hwang_yoon_fighter_aircraft_example() -> None:
    """Hwang & Yoon (1981) pp. 133–134: C = 0.643, 0.268, 0.613, 0.312; ranks 1, 4, 2, 3."""
    r = evaluate_matrix(HY, weights=[0.2, 0.1, 0.1, 0.1, 0.2, 0.3], cost=[0, 0, 0, 1, 0, 0],
                        method=MethodSpec(normalization="vector", aggregation="topsis"))
    np.testing.assert_allclose(r.composite / 100, [0.6433, 0.2684, 0.6135, 0.3123], atol=1e-3)
    assert r.ranks.tolist() == [1, 4, 2, 3]


X3 = np.array([[1.0, 10.0, 4.0], [2.0, 10.0, 6.0], [3.0, 40.0, 5.0]])


def test_entropy_weights_by_hand() -> None:
    """Pinned variant on X = [[1,10,4],[2,10,6],[3,40,5]] (all benefit).

    Min–max: col1 [0, .5, 1], col2 [0, 0, 1], col3 [0, 1, .5].
    p = x / Σx: col1 [0, 1/3, 2/3], col2 [0, 0, 1], col3 [0, 2/3, 1/3].
    e_j = −(1/ln 3) Σ p ln p with 0·ln 0 = 0:
      col1 = col3: (1/3·ln 3 + 2/3·ln 1.5)/ln 3 = (0.366204 + 0.270310)/1.098612 = 0.579380
      col2: −1·ln 1 = 0 → e = 0
    d = 1 − e = [0.420620, 1, 0.420620], Σd = 1.841240
    w = d/Σd = [0.228444, 0.543112, 0.228444]
    """
    w = entropy(X3, np.zeros(3, dtype=bool))
    np.testing.assert_allclose(w.weights, [0.228444, 0.543112, 0.228444], atol=1e-5)
    np.testing.assert_allclose(w.details["entropy"], [0.579380, 0.0, 0.579380], atol=1e-5)


def test_critic_weights_by_hand() -> None:
    """CRITIC on the same X.

    Min–max R: col1 [0, .5, 1], col2 [0, 0, 1], col3 [0, 1, .5].
    σ (ddof 1): col1 √(.5/2) = .5; col2 mean 1/3, Σdev² = 1/9+1/9+4/9 = 2/3, σ = √(1/3) = .577350; col3 .5.
    r12 = [(−.5)(−1/3) + 0 + (.5)(2/3)] / √(.5·2/3) = .5/.577350 = .866025
    r13 = [(−.5)(−.5) + 0·.5 + .5·0] / √(.5·.5) = .25/.5 = .5
    r23 = [(−1/3)(−.5) + (−1/3)(.5) + (2/3)·0] / … = 0
    C1 = .5·[(1−.866025) + (1−.5)] = .5·.633975 = .316987
    C2 = .577350·[(1−.866025) + (1−0)] = .577350·1.133975 = .654701
    C3 = .5·[(1−.5) + (1−0)] = .75
    ΣC = 1.721688 → w = [.184114, .380267, .435619]
    """
    w = critic(X3, np.zeros(3, dtype=bool))
    np.testing.assert_allclose(w.weights, [0.184114, 0.380267, 0.435619], atol=1e-5)
    assert w.details["correlation"][0, 1] == pytest.approx(0.866025, abs=1e-6)


def test_target_normalisation_and_arithmetic_by_hand() -> None:
    """Thresholds [10, 4 (cost)]; weights [.6, .4].
    Row 1: x = [5, 2] → benefit 5/10 = 50; cost 2 ≤ 4 → 100; composite .6·50 + .4·100 = 70.
    Row 2: x = [20, 8] → benefit capped 100; cost 4/8 = 50; composite 60 + 20 = 80."""
    r = evaluate_matrix([[5, 2], [20, 8]], weights=[0.6, 0.4], cost=[False, True], thresholds=[10, 4])
    np.testing.assert_allclose(r.normalization.values, [[50, 100], [100, 50]])
    np.testing.assert_allclose(r.composite, [70, 80])
    assert r.ranks.tolist() == [2, 1]


def test_geometric_epsilon_floor_by_hand() -> None:
    """Weights [.5, .5], target normalisation, ε = 1: x = [0, 10] with thresholds [10, 10] → n = [0, 100]
    → floored [1, 100] → 1^.5 · 100^.5 = 10."""
    r = evaluate_matrix([[0, 10]], weights=[0.5, 0.5], thresholds=[10, 10],
                        method=MethodSpec(aggregation="geometric"))
    assert r.composite[0] == pytest.approx(10.0)
    assert r.aggregation.contributions is not None
    assert r.aggregation.contributions.sum() == pytest.approx(10.0)
