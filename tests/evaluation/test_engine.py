"""The engine from plain mappings: results, contributions, missing data, what-if, gap, explain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation import (
    InputError,
    MethodSpec,
    QuarterData,
    evaluate,
    explain_change,
    gap_to_benchmark,
    load_scheme_text,
    what_if,
)

from .conftest import TINY_SCHEME, tiny_scheme


def tiny_data(b_x: float | None = 10.0, prev_b: float | None = None) -> dict:
    d = {
        "X": {"2025Q3": {"n": 20, "a": 5, "b": b_x}},
        "Y": {"2025Q3": {"n": 10, "a": 5, "b": 6}},
        "Z": {"2025Q3": {"n": 30, "a": 3, "b": 8}},
        "W": {"2025Q3": {"n": 40, "a": 30, "b": 12}},
    }
    if prev_b is not None:
        d["X"]["2025Q2"] = {"n": 20, "a": 5, "b": prev_b}
    return d


def test_tiny_scheme_by_hand() -> None:
    """X: ia = 5/20 = .25 → 50; ib = 10 → 100; ic = 20 → 100. d1 = .5·50 + .5·100 = 75, d2 = 100,
    composite = .5·75 + .5·100 = 87.5; d1 ≥ 60 and composite ≥ 80 → benchmark."""
    r = evaluate(tiny_data(), tiny_scheme(), "2025Q3")
    i = r.index("X")
    np.testing.assert_allclose(r.normalized[i], [50, 100, 100])
    np.testing.assert_allclose(r.dimension_scores[i], [75, 100])
    assert r.composite[i] == pytest.approx(87.5)
    assert r.tiers[i] == "benchmark"
    assert r.incubator_ids == ("W", "X", "Y", "Z")  # sorted ids


@pytest.mark.parametrize(("policy", "prev_b", "expected", "flag"), [
    # exclude: ib dropped, d1 = ia only = 50 → composite .5·50 + .5·100 = 75
    ("exclude", None, 75.0, "excluded"),
    # penalise: ib scores 0 → d1 = 25 → 62.5
    ("penalise", None, 62.5, "penalised"),
    # impute, previous quarter b = 4 → 40 → d1 = 45 → 72.5
    ("impute", 4.0, 72.5, "imputed:previous_quarter"),
    # impute, no previous quarter: the headline reads no other incubator, so ib is excluded → 75
    ("impute", None, 75.0, "excluded"),
])
def test_missing_data_policies_by_hand(policy: str, prev_b: float | None, expected: float, flag: str) -> None:
    r = evaluate(tiny_data(b_x=None, prev_b=prev_b), tiny_scheme(policy), "2025Q3")
    i = r.index("X")
    assert r.composite[i] == pytest.approx(expected)
    assert r.imputed() == {"X": {"ib": flag}}
    assert r.scorecard("X")[1]["status"] == flag
    assert r.missing_weight_share[i] == pytest.approx(0.25)


def test_insufficient_data_above_the_cap() -> None:
    r = evaluate(tiny_data(b_x=None, prev_b=4.0), tiny_scheme("impute", share=0.2), "2025Q3")
    assert r.tiers[r.index("X")] == "insufficient_data"
    assert r.tiers[r.index("W")] != "insufficient_data"


def test_true_zero_and_not_applicable_are_distinct_from_not_reported() -> None:
    zero = evaluate(tiny_data(b_x=0.0), tiny_scheme("exclude"), "2025Q3")
    assert zero.composite[zero.index("X")] == pytest.approx(62.5) and zero.imputed() == {}
    na = evaluate(QuarterData(tiny_data(b_x=None), not_applicable={"X": {"b"}}), tiny_scheme("penalise"), "2025Q3")
    i = na.index("X")
    assert na.composite[i] == pytest.approx(75.0)  # not applicable → excluded, never penalised
    assert na.imputed() == {"X": {"ib": "not_applicable"}}
    assert na.missing_weight_share[i] == 0.0


@pytest.mark.parametrize("method", [MethodSpec(), MethodSpec(normalization="minmax"),
                                    MethodSpec(weighting="entropy"), MethodSpec(weighting="blend", alpha=0.3),
                                    MethodSpec(aggregation="geometric"), MethodSpec(normalization="zscore")])
def test_contributions_sum_to_composite(metrics: dict, scheme, method: MethodSpec) -> None:
    metrics = {k: {q: dict(r) for q, r in v.items()} for k, v in metrics.items()}
    metrics["inc-0003"]["2025Q3"]["mentors"] = None
    r = evaluate(metrics, scheme, "2025Q3", method)
    assert r.contributions is not None
    np.testing.assert_allclose(np.nansum(r.contributions, axis=1), r.composite, atol=1e-9)
    np.testing.assert_allclose(r.effective_weights.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(r.weights.sum(), 1.0, atol=1e-12)
    rows = r.scorecard("inc-0003")
    assert sum(x["contribution"] or 0.0 for x in rows) == pytest.approx(r.composite[r.index("inc-0003")])


def test_result_carries_all_parts(metrics: dict, scheme) -> None:
    r = evaluate(metrics, scheme, "2025Q3", "topsis")
    n, m = len(r.incubator_ids), len(scheme.indicators)
    assert r.raw.shape == r.normalized.shape == (n, m)
    assert r.dimension_scores.shape == (n, 5)
    assert r.contributions is None and r.scheme_version == "2026.2"
    assert r.method.key() == "vector/scheme/topsis/ideal=cohort/peer-imputation"
    assert not r.method.is_fixed_goalpost and MethodSpec().is_fixed_goalpost
    rows = r.ranking()
    assert [x["rank"] for x in rows] == sorted(x["rank"] for x in rows)
    assert set(rows[0]["dimensions"]) == {"tech_conversion", "investment", "mentoring", "supply_chain",
                                          "global_services"}


def test_ttm_needs_three_previous_quarters(scheme) -> None:
    from evaluation.synthetic import synthetic_metrics
    d = synthetic_metrics(3, ["2025Q2", "2025Q3"], seed=1)  # no 2024Q4/2025Q1: ttm indicators missing
    r = evaluate(d, scheme, "2025Q3")
    j = scheme.indicator_ids.index("training_events_ttm")
    assert np.isnan(r.raw[:, j]).all()
    assert all(v == "imputed:previous_quarter" or v.startswith("excluded")
               for flags in r.imputed().values() for k, v in flags.items() if k == "training_events_ttm")


def test_ratio_plan_by_hand() -> None:
    """Y: 5 financed of 10 tenants (100), b = 6 → 60, n = 10 → 50: composite .5·80 + .5·50 = 65.
    n is ic's lever but also ia's denominator (more tenants would lower ia), so it is not offered; b alone
    cannot lift d2 to 60: benchmark is out of reach, and the plan says so instead of listing items."""
    r = evaluate(tiny_data(), tiny_scheme(), "2025Q3")
    plan = gap_to_benchmark(r, "Y").plan
    assert not plan.reachable and plan.steps == () and plan.reason


def test_plan_applied_via_what_if_reaches_the_claimed_tier(metrics: dict, scheme) -> None:
    r = evaluate(metrics, scheme, "2025Q3")
    worst = r.incubator_ids[r.order()[-1]]
    g = gap_to_benchmark(r, worst)
    assert g.tier != "benchmark" and g.plan.reachable and g.plan.steps
    gains = [s.points_per_effort for s in g.plan.steps]
    assert gains == sorted(gains, reverse=True)
    w = what_if(r, worst, g.changes())
    assert w.tier_after == g.plan.reaches_tier == "benchmark"
    assert w.composite_after == pytest.approx(g.plan.composite_after)


def test_what_if_returns_new_score_and_tier() -> None:
    r = evaluate(tiny_data(), tiny_scheme(), "2025Q3")
    w = what_if(r, "Y", {"n": 10})  # Y: n 10 → 20: ia 5/20 = .25 → 50, ic → 100
    assert w.tier_before == "needs_improvement"
    assert w.composite_after == pytest.approx(0.5 * (0.5 * 50 + 0.5 * 60) + 0.5 * 100)
    assert w.indicators_after["ia"] == pytest.approx(0.25)


@pytest.mark.parametrize("method", [MethodSpec(), MethodSpec(normalization="minmax"),
                                    MethodSpec(normalization="vector", aggregation="topsis"),
                                    MethodSpec(aggregation="geometric"), MethodSpec(weighting="critic")])
def test_change_explanation_adds_up(metrics: dict, scheme, method: MethodSpec) -> None:
    before = evaluate(metrics, scheme, "2025Q2", method)
    after = evaluate(metrics, scheme, "2025Q3", method)
    ids = list(after.incubator_ids[:4])
    for e in explain_change(before, after, ids):
        total = sum(e.indicator_effects.values()) + e.interaction + e.peer_effect
        assert total == pytest.approx(e.delta, abs=1e-9)
        assert e.rank_change == e.rank_before - e.rank_after
        if method.is_fixed_goalpost:
            assert e.peer_effect == pytest.approx(0.0, abs=1e-9)
        if method.aggregation == "arithmetic":
            assert abs(e.interaction) < 1e-9


def test_explanation_attributes_a_single_change_to_its_indicator() -> None:
    scheme = tiny_scheme()
    d = tiny_data()
    d["X"]["2025Q2"] = {"n": 20, "a": 5, "b": 6}
    for inc in ("Y", "Z", "W"):
        d[inc]["2025Q2"] = dict(d[inc]["2025Q3"])
    e = next(x for x in explain_change(evaluate(d, scheme, "2025Q2"), evaluate(d, scheme, "2025Q3"))
             if x.incubator_id == "X")
    # ib 6 → 10: 60 → 100 normalised, effective weight .25 → +10 points
    assert e.delta == pytest.approx(10.0)
    assert e.indicator_effects["ib"] == pytest.approx(10.0)
    assert e.top(1)[0][0] == "ib"
    assert math.isclose(sum(v for k, v in e.indicator_effects.items() if k != "ib"), 0.0, abs_tol=1e-12)


def _rate_scheme(rule: str | None):
    """The tiny scheme with ib = a / b (threshold 1), optionally declaring what a zero b means."""
    text = TINY_SCHEME.replace("POLICY", "impute").replace("SHARE", "0.5")
    old = 'formula = "b"\ndirection = "benefit"\nunit = "场"\nweight = 0.5\nthreshold = 10\n'
    new = 'formula = "a / b"\ndirection = "benefit"\nunit = "比例"\nweight = 0.5\nthreshold = 1\n'
    if rule is not None:
        new += f'zero_denominator = "{rule}"\n'
    assert old in text
    return load_scheme_text(text.replace(old, new))


def test_zero_denominator_declared_not_applicable_leaves_the_indicator_out() -> None:
    """X reports b = 0, so ib = a / b has no value. Declared not applicable: X's d1 rests on ia alone,
    ia = 5/20 = .25 → 50, so d1 = 50; ic = 20 → 100; composite = .5·50 + .5·100 = 75, nothing missing.
    Y: ia = 5/10 = .5 → 100, ib = 5/6 → 83.33, d1 = 91.67; ic = 10 → 50; composite = 70.83.
    After X sets b = 5: ib = 1 → 100, d1 = .5·50 + .5·100 = 75, composite = 87.5."""
    data = tiny_data(b_x=0.0)
    r = evaluate(data, _rate_scheme("not_applicable"), "2025Q3")
    x, y = r.index("X"), r.index("Y")
    assert r.composite[x] == pytest.approx(75.0)
    assert r.composite[y] == pytest.approx(0.5 * (0.5 * 100 + 0.5 * 500 / 6) + 0.5 * 50)
    assert r.imputed()["X"] == {"ib": "not_applicable"} and r.missing_weight_share[x] == 0.0
    w = what_if(r, "X", {"b": 5.0}, absolute=True)
    assert w.composite_after == pytest.approx(87.5)
    assert w.result.imputed().get("X", {}) == {}


def test_zero_denominator_is_an_error_unless_declared() -> None:
    for rule in (None, "error"):
        with pytest.raises(InputError) as caught:
            evaluate(tiny_data(b_x=0.0), _rate_scheme(rule), "2025Q3")
        assert caught.value.code == "ZERO_DENOMINATOR" and caught.value.incubator_id == "X"


def test_a_lever_in_its_rate_denominator_is_not_counted_by_the_plan() -> None:
    """ib = a / (a + b) is not linear in its lever a: the plan does not count that help (conservative) and
    still reaches the tier through what it can count, and the what-if confirms the tier it claims."""
    text = TINY_SCHEME.replace("POLICY", "impute").replace("SHARE", "0.5")
    old = 'formula = "b"\ndirection = "benefit"\nunit = "场"\nweight = 0.5\nthreshold = 10\n'
    new = 'formula = "a / (a + b)"\ndirection = "benefit"\nunit = "比例"\nweight = 0.5\nthreshold = 0.9\nlever = "a"\n'
    scheme = load_scheme_text(text.replace(old, new))
    data = {"X": {"2025Q3": {"n": 20, "a": 2, "b": 20}}, "Y": {"2025Q3": {"n": 10, "a": 9, "b": 1}}}
    r = evaluate(data, scheme, "2025Q3")
    plan = gap_to_benchmark(r, "X").plan
    if plan.reachable:
        assert what_if(r, "X", plan.changes()).tier_after == plan.reaches_tier == "benchmark"
    else:
        assert plan.reason
