"""A manager opens their incubator's scorecard: radar drawn, the gap to benchmark as a to-do list that
matches the API's gap items, and a what-if that recomputes as a target is edited."""

from __future__ import annotations

import pytest

from backend.demo.seed import DEMO_INCUBATORS, DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, shot, sign_in, wait_for_charts_to_fit
from tests.e2e.test_dashboard import QUARTER, _seed_park

pytestmark = pytest.mark.e2e


async def _lowest_tier_incubator(state):
    """The incubator of the demo park ranked last in the latest quarter, and its gap items (from the engine)."""
    from backend.rankings.service import ranking_service

    evaluated = await ranking_service(state).evaluated(QUARTER, "arithmetic")
    result = evaluated.result
    from backend.submissions.service import scheme
    from evaluation.gap import gap_to_benchmark

    last = max(range(len(result.incubator_ids)), key=lambda i: result.ranks[i])
    incubator = result.incubator_ids[last]
    levers = [scheme().raw_field(item.lever).name_zh for item in gap_to_benchmark(result, incubator).items]
    return incubator, int(result.ranks[last]), len(result.incubator_ids), levers


def test_manager_reads_the_gap_and_tries_a_what_if(open_page, live_server):
    live_server.run_coroutine(_seed_park(live_server.state))
    incubator_id, rank, total, levers = live_server.run_coroutine(_lowest_tier_incubator(live_server.state))
    names = [d[0] for d in DEMO_INCUBATORS]
    incubators = live_server.run_coroutine(live_server.state.incubators.by_ids([incubator_id]))
    index = names.index(incubators[0].name_zh)

    page = open_page(viewport=PHONE)
    sign_in(page, f"manager{index + 1:02d}", DEMO_PASSWORD)
    page.goto(f"/pages/scorecard.html?quarter={QUARTER}")
    page.wait_for_selector("#gap-list li")
    assert page.inner_text("#rank") == f"第 {rank} / {total} 名"
    todo = page.eval_on_selector_all("#gap-list li", "els => els.map(e => e.innerText)")
    assert len(todo) == len(levers) > 0
    assert all(item.startswith(("再增加", "减少")) and lever in item for item, lever in zip(todo, levers, strict=True))
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
    after = int(page.inner_text("#what-if-rank"))
    assert after < rank, "closing the whole gap moves the incubator up"
    shot(page, "scorecard-what-if-phone")
    page.set_viewport_size(DESKTOP)
    wait_for_charts_to_fit(page)
    shot(page, "scorecard-desktop")
    assert not page.errors
