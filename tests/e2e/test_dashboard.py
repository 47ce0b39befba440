"""Evaluator dashboard on the demo park: ranking table (sortable, filterable), the four Plotly charts,
who has not submitted; then a manager fixes a bad field and submits, and the open dashboard shows the
incubator's new rank through the rankingUpdated subscription, without a reload."""

from __future__ import annotations

import pytest

from backend.demo.seed import DEMO_INCUBATORS, DEMO_PASSWORD
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in, wait_for_charts_to_fit

pytestmark = pytest.mark.e2e
QUARTER = "2026Q3"  # the demo's latest quarter


async def _seed_park(state) -> None:
    from backend.demo.seed import DemoContext, seed_registry
    from backend.submissions.demo import seed_quarterly_metrics

    context = DemoContext(state)
    await seed_registry(context)
    await seed_quarterly_metrics(context)


async def _metrics(state, incubator_id: str) -> dict[str, float | None]:
    from backend.submissions.service import submission_service

    head = await submission_service(state).current(incubator_id, QUARTER)
    return dict(head.submitted_metrics or head.metrics)


def table(page) -> list[dict[str, str]]:
    return page.eval_on_selector_all("#ranking-table tbody tr", """rows => rows.map(r => ({
        id: r.dataset.incubator, rank: r.cells[0].innerText, name: r.cells[2].innerText.replace(' *', ''),
        composite: r.cells[3].innerText, tier: r.cells[9].innerText}))""")


def test_dashboard_ranks_sorts_filters_charts_and_follows_a_new_submission(open_page, live_server):
    live_server.run_coroutine(_seed_park(live_server.state))
    dashboard = open_page()
    sign_in(dashboard, "evaluator1", DEMO_PASSWORD)
    dashboard.goto(f"/pages/dashboard.html?quarter={QUARTER}")
    dashboard.wait_for_selector("#ranking-table tbody tr")
    rows = table(dashboard)
    assert [int(r["rank"]) for r in rows] == sorted(int(r["rank"]) for r in rows) and len(rows) >= 10
    names_zh = [d[0] for d in DEMO_INCUBATORS]
    assert all(r["name"] in names_zh for r in rows)
    # the four charts are drawn by plotly.js from the API's figure JSON
    for kind in ("bars", "trends", "intervals", "heatmap"):
        dashboard.wait_for_selector(f"#chart-{kind}[data-drawn='true'] .main-svg")
    # who has not submitted: the demo's late incubator
    assert names_zh[13] in dashboard.inner_text("#missing-list")
    shot(dashboard, "dashboard-desktop")
    assert_accessible(dashboard)
    # publishing keeps a new immutable version (the demo published version 1)
    dashboard.once("dialog", lambda dialog: dialog.accept())
    dashboard.click("#publish")
    dashboard.wait_for_selector("#ranking-summary:has-text('发布第 2 版')")
    with dashboard.expect_download() as download:
        dashboard.click("#export-csv")
    exported = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert exported[0].startswith("rank,incubator_id") and len(exported) == len(rows) + 1

    # sort by composite (ascending, then descending)
    dashboard.click("button.sort[data-sort='composite']")
    values = [float(r["composite"].replace(",", "")) for r in table(dashboard)]
    assert values == sorted(values)
    dashboard.click("button.sort[data-sort='composite']")
    values = [float(r["composite"].replace(",", "")) for r in table(dashboard)]
    assert values == sorted(values, reverse=True)
    # filter by sub-area: only Beizhan incubators remain
    dashboard.select_option("#filter-subarea", "BEIZHAN")
    beizhan = {d[0] for d in DEMO_INCUBATORS if d[4] == "beizhan"}
    filtered = table(dashboard)
    assert filtered and {r["name"] for r in filtered} <= beizhan
    dashboard.select_option("#filter-subarea", "")
    dashboard.click("button.sort[data-sort='rank']")

    # the last-ranked incubator's manager resubmits with the leader's metrics, one field wrong first
    rows = table(dashboard)
    leader, last = rows[0], rows[-1]
    index = names_zh.index(last["name"])
    better = live_server.run_coroutine(_metrics(live_server.state, leader["id"]))
    manager = open_page()
    sign_in(manager, f"manager{index + 1:02d}", DEMO_PASSWORD)
    manager.goto(f"/pages/submit.html?quarter={QUARTER}")
    manager.wait_for_selector("#f-tenants")
    from backend.submissions.models import camel

    for field, value in better.items():
        manager.fill(f"#f-{camel(field)}", "" if value is None else repr(value))
    tenants = better["tenants"]
    manager.fill("#f-financedTenants", str(int(tenants) + 5))  # more financed tenants than tenants
    manager.click("#submit-final")
    manager.wait_for_selector("#err-financedTenants:has-text('获得融资的企业数不能超过在孵企业数')")
    shot(manager, "dashboard-scenario-field-error")
    manager.fill("#f-financedTenants", repr(better["financed_tenants"]))
    manager.click("#submit-final")
    manager.wait_for_selector("#notice.notice-ok")

    # the open dashboard follows: the incubator climbs, no reload
    dashboard.wait_for_function(
        """([id, before]) => { const row = document.querySelector(`#ranking-table tr[data-incubator="${id}"]`);
           return row && Number(row.cells[0].innerText) < before; }""", arg=[last["id"], int(last["rank"])])
    new_rank = int(dashboard.inner_text(f"#ranking-table tr[data-incubator='{last['id']}'] td:first-child"))
    assert new_rank < int(last["rank"])
    # pushed by the subscription: the publish above and this submission
    assert int(dashboard.get_attribute("body", "data-ranking-updates")) >= 2
    shot(dashboard, "dashboard-after-update")

    # reporting deadline: close the quarter, reopen it for the late incubator only
    dashboard.click("#window-toggle")
    dashboard.wait_for_selector("#window:has-text('填报窗口已关闭')")
    late = f"#missing-list li:has-text('{names_zh[13]}')"
    dashboard.click(f"{late} button:has-text('为其重新开放')")
    dashboard.wait_for_selector(f"{late} .badge:has-text('已单独开放')")
    dashboard.click("#window-toggle")
    dashboard.wait_for_selector("#window:has-text('填报窗口开放中')")

    # in English: the same page relabelled, charts asked for in English, numbers formatted for en
    dashboard.click("#lang-switch")
    dashboard.wait_for_selector("#chart-bars[data-drawn='true'] .main-svg")
    assert dashboard.inner_text("button.sort[data-sort='composite']") == "Composite"
    assert "Composite score ranking" in dashboard.inner_text("#chart-bars")
    assert "incubators have not submitted" in dashboard.inner_text("#missing")
    shot(dashboard, "dashboard-english")
    dashboard.set_viewport_size(PHONE)
    wait_for_charts_to_fit(dashboard)
    shot(dashboard, "dashboard-english-phone")
    assert not dashboard.errors and not manager.errors
