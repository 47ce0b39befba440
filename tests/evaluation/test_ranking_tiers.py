from __future__ import annotations

import numpy as np

from evaluation import competition_rank
from evaluation.ranking import competition_rank_columns, display_order
from evaluation.scheme import TierRule
from evaluation.tiers import assign_tiers


def test_competition_ranking_1_2_2_4() -> None:
    assert competition_rank(np.array([90.0, 80.0, 80.0, 70.0])).tolist() == [1, 2, 2, 4]


def test_scores_equal_to_1e_9_tie_and_display_order_is_stable() -> None:
    s = np.array([50.0, 60.0 + 1e-11, 60.0, 40.0])
    assert competition_rank(s).tolist() == [3, 1, 1, 4]
    assert display_order(s).tolist() == [1, 2, 0, 3]


def test_nan_ranks_last() -> None:
    assert competition_rank(np.array([np.nan, 10.0, 20.0])).tolist() == [3, 2, 1]


def test_column_ranks_match_vector_ranks() -> None:
    rng = np.random.default_rng(0)
    s = np.round(rng.uniform(0, 5, (50, 7)))  # many ties
    cols = competition_rank_columns(s)
    for k in range(7):
        assert cols[:, k].tolist() == competition_rank(s[:, k]).tolist()


def test_tier_rules_in_order_with_dimension_gate_and_insufficient_data() -> None:
    rules = [TierRule("benchmark", "标杆", "Benchmark", 80, 60), TierRule("near", "准标杆", "Near", 70, 50),
             TierRule("developing", "发展中", "Developing", 55, None), TierRule("low", "待提升", "Low", None, None)]
    comp = np.array([85.0, 85.0, 72.0, 60.0, 30.0, 90.0])
    dims = np.array([[70, 60], [90, 59.9], [55, 50], [10, 10], [90, 90], [100, 100]], dtype=float)
    ins = np.array([False, False, False, False, False, True])
    assert assign_tiers(comp, dims, rules, ins) == ("benchmark", "near", "near", "developing", "low",
                                                    "insufficient_data")
