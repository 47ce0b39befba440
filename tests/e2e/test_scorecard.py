"""A manager opens their incubator's scorecard: radar drawn, the official gates shown passed or failed,
the gap to benchmark as the engine's least-effort plan (ordered steps, each with its points), and a
what-if that, filled with the plan, reaches exactly the tier the plan claims."""

from __future__ import annotations

import pytest

from backend.demo.seed import DEMO_INCUBATORS, DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, shot, sign_in, wait_for_charts_to_fit
from tests.e2e.test_dashboard import QUARTER, _seed_park

pytestmark = pytest.mark.e2e


async def _lowest_with_a_plan(state):
    """The lowest-ranked incubator of the demo park in the latest quarter whose benchmark plan is reachable,
    with its plan and gates (from the engine)."""
    from backend.rankings.service import ranking_service
    from evaluation import gap_to_benchmark, plan_to_tier

    evaluated = await ranking_service(state).evaluated(QUARTER, "arithmetic")
    result = evaluated.result
    for i in sorted(range(len(result.incubator_ids)), key=lambda k: -result.ranks[k]):
        incubator = result.incubator_ids[i]
        if result.tiers[i] == "benchmark":
            continue
        report = gap_to_benchmark(result, incubator)
        if report.plan.reachable and report.plan.steps:
            next_plan = plan_to_tier(result, incubator)
            return (incubator, int(result.ranks[i]), len(result.incubator_ids),
                    [s.message(result.scheme, "zh") for s in report.plan.steps], report.plan.reaches_tier,
                    {g["gate_id"]: g["status"] for g in result.gates(incubator)},
                    None if next_plan.target_tier == "benchmark" else [s.message(result.scheme, "zh")
                                                                       for s in next_plan.steps])
    raise AssertionError("no demo incubator below benchmark with a reachable plan")


def test_manager_reads_the_gates_and_the_plan_and_applies_it(open_page, live_server):
    live_server.run_coroutine(_seed_park(live_server.state))
    incubator_id, rank, total, messages, reaches, gates, next_messages = live_server.run_coroutine(
        _lowest_with_a_plan(live_server.state))
    names = [d[0] for d in DEMO_INCUBATORS]
    incubators = live_server.run_coroutine(live_server.state.incubators.by_ids([incubator_id]))
    index = names.index(incubators[0].name_zh)

    page = open_page(viewport=PHONE)
    sign_in(page, f"manager{index + 1:02d}", DEMO_PASSWORD)
    page.goto(f"/pages/scorecard.html?quarter={QUARTER}")
    page.wait_for_selector("#gap-list li")
    assert page.inner_text("#rank") == f"第 {rank} / {total} 名"
    steps = page.eval_on_selector_all("#gap-list li", "els => els.map(e => e.innerText)")
    assert len(steps) == len(messages) > 0
    assert all(text.startswith(message) for text, message in zip(steps, messages, strict=True))
    assert all(QUARTER in text and "分" in text for text in steps)
    points = page.eval_on_selector_all("#gap-list li", "els => els.map(e => Number(e.dataset.points))")
    assert all(p > 0 for p in points)
    if next_messages is None:  # its next tier is benchmark: one plan
        assert page.query_selector("#next-tier") is None
    else:  # the plan to the next tier comes first, from the same engine
        shown_next = page.eval_on_selector_all("#next-gap-list li", "els => els.map(e => e.innerText)")
        assert len(shown_next) == len(next_messages)
        assert all(text.startswith(m) for text, m in zip(shown_next, next_messages, strict=True))
    shown = page.eval_on_selector_all("#gate-list li", "els => els.map(e => [e.dataset.gate, e.dataset.status])")
    assert dict(shown) == gates and len(gates) == 2
    assert "131号" in page.inner_text("#gate-list")
    page.wait_for_selector("#chart-radar[data-drawn='true'] .main-svg")
    page.wait_for_selector("#indicator-table tbody tr")
    # counted by incubench from its own records, not "reported" by the manager
    status = "#indicator-table tr[data-indicator='ip_consultations_per_10_tenants'] td:last-child"
    assert page.inner_text(status) == "平台统计"
    assert page.inner_text("#indicator-table tr[data-indicator='financed_tenant_share'] td:last-child") != "平台统计"
    shot(page, "scorecard-gap-phone")
    assert_accessible(page)

    page.click("#what-if-apply-gap")
    page.wait_for_selector("#what-if-table")
    tier_names = {"benchmark": "标杆", "near_benchmark": "准标杆", "developing": "发展中", "needs_improvement": "待提升"}
    assert page.inner_text("#what-if-tier") == tier_names[reaches] == "标杆"
    assert int(page.inner_text("#what-if-rank")) < rank, "the plan moves the incubator up"
    shot(page, "scorecard-what-if-phone")
    page.set_viewport_size(DESKTOP)
    wait_for_charts_to_fit(page)
    shot(page, "scorecard-desktop")
    assert not page.errors
