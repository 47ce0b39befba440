"""Compatibility scores worked out by hand from the weights in scoring.py:
industry 25, stage 15, ticket 15, need 10, tags 10, text 10, roadshow 15 (points × credit).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from cloud_incubator.matchmaking.scoring import (
    Signal,
    best_first,
    build_problem,
    explain,
    score_block,
    tokens,
)

CHAIN = {"_id": "chain", "industry": "fintech", "stage": "series_a", "ask_min": 800, "ask_max": 800,
         "needs": ["funding", "ip"], "tags": ["payments", "risk"], "description": ""}
BRUSH = {"_id": "brush", "industry": "culture_tech", "stage": "angel", "ask_min": 500, "ask_max": 900,
         "needs": ["funding"], "tags": [], "description": ""}
FUND_X = {"_id": "x", "industries": ["fintech", "digital"], "stages": ["angel", "series_a"], "ticket_min": 500,
          "ticket_max": 1000, "serves": ["funding"], "tags": ["payments", "blockchain"], "description": ""}
OPEN_Y = {"_id": "y", "industries": [], "stages": [], "ticket_min": 1000, "ticket_max": 3000,
          "serves": ["funding"], "tags": [], "description": ""}
LATE_Z = {"_id": "z", "industries": ["fintech"], "stages": ["series_b"], "ticket_min": 500, "ticket_max": 1000,
          "serves": ["funding"], "tags": [], "description": ""}
PART_W = {"_id": "w", "industries": ["culture_tech"], "stages": [], "ticket_min": 600, "ticket_max": 1200,
          "serves": ["funding"], "tags": [], "description": ""}
IP_FIRM = {"_id": "ipfirm", "industries": [], "stages": [], "serves": ["ip", "legal"], "tags": ["risk"],
           "description": ""}


def test_hand_worked_scores_and_reasons():
    """chain × x: industry fintech ∈ {fintech, digital} → 25; series_a ∈ {angel, series_a} → 15;
    ticket 500–1000 holds the 800 ask → 15; x serves funding, chain needs it → 10; tags {payments, risk}
    vs {payments, blockchain}: Jaccard 1/3 → 3.33; no text; no roadshow signal → 68.33.
    brush × w: culture_tech ∈ {culture_tech} → 25; no stages named → 0.5 × 15 = 7.5; ticket 600–1200 holds
    only part of the 500–900 ask → 0.5 × 15 = 7.5; funding → 10 → 50.
    chain × ipfirm: open industry 12.5; any stage 7.5; no ticket/ask pair 0; ip need served 10;
    tags {payments, risk} vs {risk}: 1/2 → 5 → 35.
    """
    p = build_problem([CHAIN, BRUSH], [FUND_X, OPEN_Y, LATE_Z, PART_W, IP_FIRM])
    e = explain(p, 0, 0)
    assert e["score"] == pytest.approx(68.33, abs=0.01)
    assert e["points"] == pytest.approx({"industry": 25, "stage": 15, "ticket": 15, "need": 10, "tags": 3.33,
                                         "text": 0, "roadshow": 0}, abs=0.01)
    texts = [r["en"] for r in e["reasons"]]
    assert "same industry: fintech" in texts
    assert "stage fits: Series A" in texts
    assert "ticket CNY 5–10 M covers the CNY 8 M ask" in texts
    assert "offers what is needed: funding" in texts
    assert "common tags: payments" in texts
    assert "同属金融科技产业" in [r["zh"] for r in e["reasons"]]
    assert explain(p, 1, 3)["score"] == pytest.approx(50.0)
    assert "covers part of" in " ".join(r["en"] for r in explain(p, 1, 3)["reasons"])
    assert explain(p, 0, 4)["score"] == pytest.approx(35.0)
    block = score_block(p, np.arange(2))
    assert block[0, 0] == pytest.approx(68.33, abs=0.01)
    assert block[1, 3] == pytest.approx(50.0)
    assert block[0, 4] == pytest.approx(35.0)


def test_hard_constraints_exclude_pairs():
    """chain × y: ticket 1000–3000 and the 800 ask are disjoint → excluded (although open industry/stage).
    chain × z: z invests only at series_b, chain is series_a → excluded.
    brush × x: x's stages include angel, ticket 500–1000 holds 500–900, but industry culture_tech ∉ x's
    (a soft term) → 0 + 15 + 15 + 10 = 40, NOT excluded.
    """
    p = build_problem([CHAIN, BRUSH], [FUND_X, OPEN_Y, LATE_Z])
    block = score_block(p, np.arange(2))
    assert block[0, 1] == -np.inf and explain(p, 0, 1)["excluded"]
    assert block[0, 2] == -np.inf and explain(p, 0, 2)["excluded"]
    assert block[1, 0] == pytest.approx(40.0)
    assert "outside" in " ".join(r["en"] for r in explain(p, 0, 1)["reasons"])


def test_roadshow_signal_adds_points_and_a_dated_reason_and_decline_excludes():
    """x marked chain interesting on 12 May: 68.33 + 15 = 83.33; chain declined w? brush declined x → excluded."""
    at = datetime(2026, 5, 12, 10, 30, tzinfo=UTC)
    p = build_problem([CHAIN, BRUSH], [FUND_X, PART_W], roadshow={("chain", "x"): Signal(at, "rs1")},
                      declined={("brush", "x"): Signal(at)})
    e = explain(p, 0, 0)
    assert e["score"] == pytest.approx(83.33, abs=0.01)
    assert "showed interest in the roadshow on 12 May" in [r["en"] for r in e["reasons"]]
    assert "5月12日路演中表示感兴趣" in [r["zh"] for r in e["reasons"]]
    assert score_block(p, np.array([1]))[0, 0] == -np.inf
    assert score_block(p, np.array([1]))[0, 1] == pytest.approx(50.0)


def test_identical_descriptions_add_the_full_text_term():
    """Same words → cosine 1 → 10 points; disjoint words → 0. Startup has no industry match with the
    call (open industries 12.5, any stage 7.5) and no need served: 20 + 10 = 30 vs 20."""
    s = {"_id": "s", "industry": "digital", "stage": "seed", "needs": [], "tags": [],
         "description": "边缘计算 视觉检测 edge vision inspection"}
    same = {"_id": "same", "description": "边缘计算 视觉检测 edge vision inspection"}
    other = {"_id": "other", "description": "动漫 IP 授权 animation licensing"}
    p = build_problem([s], [same, other])
    block = score_block(p, np.array([0]))
    assert block[0, 0] == pytest.approx(30.0, abs=1e-3)
    assert block[0, 1] == pytest.approx(20.0, abs=1e-3)


def test_tokens_split_latin_words_and_cjk_bigrams():
    assert tokens("Edge vision 边缘计算") == ["edge", "vision", "边缘", "缘计", "计算"]


def test_recommendations_are_ordered_best_first_without_the_excluded():
    """chain: x 68.33, ipfirm 35, w: industry culture_tech ∌ fintech 0, stage any 7.5, ticket 600–1200
    holds 800 → 15, funding 10 → 32.5; y, z excluded → x, ipfirm, w and nothing else."""
    p = build_problem([CHAIN], [OPEN_Y, IP_FIRM, FUND_X, LATE_Z, PART_W])
    scores = score_block(p, np.array([0]))[0]
    order = best_first(scores, p.counterpart_ids)
    assert [p.counterpart_ids[i] for i in order] == ["x", "ipfirm", "w"]
    assert scores[order] == pytest.approx([68.33, 35.0, 32.5], abs=0.01)


def test_equal_scores_are_ordered_by_id():
    """Stable pages: ties go by id as text ("c10" before "c2"), the excluded (-inf) are left out."""
    scores = np.array([5.0, 7.0, 5.0, -np.inf, 7.0], dtype=np.float32)
    assert list(best_first(scores, ["c2", "c9", "c10", "c0", "c1"])) == [4, 1, 2, 0]


def test_grouped_block_scores_equal_the_pairwise_explanations():
    """score_block (terms computed per distinct profile, then gathered) against explain() pair by pair."""
    from bench.bench_matchmaking import synthetic

    startups, investors = synthetic(40, 15, seed=3)
    startups[0]["ask_min"] = startups[0]["ask_max"] = None
    at = datetime(2026, 5, 12, tzinfo=UTC)
    p = build_problem(startups, investors, roadshow={("s1", "i2"): Signal(at), ("s5", "i0"): Signal(at)},
                      declined={("s3", "i4"): Signal(at)})
    block = score_block(p, np.arange(40))
    expected = np.array([[explain(p, s, c)["score"] for c in range(15)] for s in range(40)])
    assert np.array_equal(np.isinf(block), np.isinf(expected))
    finite = np.isfinite(expected)
    assert np.allclose(block[finite], expected[finite], atol=0.01)
    assert block[3, 4] == -np.inf
    for s in range(40):  # each startup's recommendations, against a plain Python sort (score, then id)
        ranked = sorted((-float(block[s, c]), p.counterpart_ids[c], c) for c in range(15) if np.isfinite(block[s, c]))
        assert list(best_first(block[s], p.counterpart_ids)) == [c for _, _, c in ranked]


def test_amounts_read_naturally_in_both_languages():
    """Amounts are stored in 10k CNY (万元): 50 → CNY 500 k / 50万; 200 → CNY 2 M / 200万."""
    from cloud_incubator.matchmaking.scoring import _range

    assert _range(50, 200) == ("CNY 500 k–2 M", "50–200万元")
    assert _range(500, 1000) == ("CNY 5–10 M", "500–1000万元")
    assert _range(30, 50) == ("CNY 300–500 k", "30–50万元")
    assert _range(800, 800) == ("CNY 8 M", "800万元")
