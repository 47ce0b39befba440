"""A startup and an investor each mark interest in the other from their recommendations (with reasons);
the mutual interest creates a match announced live to the startup's open page, and the two negotiate
in a thread that updates live on both pages."""

from __future__ import annotations

import pytest

from backend.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


async def _seed_and_pick_pair(state):
    """Demo park and matchmaking profiles; then a startup account and an investor account that appear
    in each other's top-10 recommendations (and have not met yet)."""
    from backend.demo.seed import DemoContext, seed_registry
    from cloud_incubator.matchmaking.demo import seed_matchmaking
    from cloud_incubator.matchmaking.service import service

    context = DemoContext(state)
    await seed_registry(context)
    await seed_matchmaking(context)
    mm = service(state)
    for n in range(1, 5):
        investor = await state.users.by_username(f"investor{n:02d}")
        fund = await mm.repo.counterpart_of_user(investor.id)
        startups, _ = await mm.recommendations(investor, fund.id, None, 10, 0)
        for rec in startups:
            if not rec.startup.id.startswith("demo-startup-") or rec.startup.id == "demo-startup-01":
                continue
            founder = await state.users.by_username("startup" + rec.startup.id[-2:])
            theirs, _ = await mm.recommendations(founder, rec.startup.id, "investor", 10, 0)
            if any(r.counterpart.id == fund.id for r in theirs):
                return founder.username, rec.startup.id, rec.startup.name_zh, investor.username, fund.id, fund.name_zh
    raise AssertionError("the demo data has no mutually recommended startup/investor pair")


def test_mutual_interest_makes_a_match_and_the_thread_is_live(open_page, live_server):
    founder, startup_id, startup_name, investor, fund_id, fund_name = live_server.run_coroutine(
        _seed_and_pick_pair(live_server.state))
    startup_page, investor_page = open_page(), open_page(viewport=PHONE)
    sign_in(startup_page, founder, DEMO_PASSWORD)            # startups land on matchmaking
    startup_page.wait_for_selector("body[data-live='socket']", state="attached")
    startup_page.select_option("#rec-kind", "INVESTOR")
    card = f"#rec-list li[data-party='{fund_id}']"
    startup_page.wait_for_selector(card)
    assert startup_page.locator(f"{card} .reasons li").count() > 0, "each recommendation says why"
    startup_page.click(f"{card} button.interest")
    startup_page.wait_for_selector("#notice:has-text('已记录您的意向')")

    sign_in(investor_page, investor, DEMO_PASSWORD)
    investor_page.goto("/pages/matchmaking.html")
    their_card = f"#rec-list li[data-party='{startup_id}']"
    investor_page.wait_for_selector(f"{their_card}:has-text('对方有意向')")
    investor_page.click(f"{their_card} button.interest")
    investor_page.wait_for_selector("#notice:has-text('已建立匹配')")
    # the startup's open page hears of it over the socket
    startup_page.wait_for_selector(f"#notice:has-text('与“{fund_name}”匹配成功')")
    startup_page.wait_for_selector(f"#match-list li:has-text('{fund_name}')")
    shot(startup_page, "matchmaking-matched")

    startup_page.click(f"#match-list li:has-text('{fund_name}') button")
    startup_page.fill("#thread-input", "您好，想约下周详细交流。")
    startup_page.click("#thread-send")
    investor_page.wait_for_selector(f"#match-list li:has-text('{startup_name}')")
    investor_page.click(f"#match-list li:has-text('{startup_name}') button")
    investor_page.wait_for_selector("#thread-list li:has-text('您好，想约下周详细交流。')")
    investor_page.fill("#thread-input", "好的，周三下午可以。")
    investor_page.click("#thread-send")
    startup_page.wait_for_selector("#thread-list li:has-text('好的，周三下午可以。')")
    shot(startup_page, "matchmaking-thread")
    shot(investor_page, "matchmaking-thread-phone")
    assert_accessible(startup_page)
    assert not startup_page.errors and not investor_page.errors


def test_a_startup_edits_its_profile_with_checks_next_to_fields(open_page, live_server):
    live_server.run_coroutine(_seed_and_pick_pair(live_server.state))
    page = open_page(viewport=PHONE)
    sign_in(page, "startup02", DEMO_PASSWORD)
    page.click("#profile-details summary")
    page.fill("#p-askMin", "3000")
    page.fill("#p-askMax", "1000")
    page.click("#profile-save")
    assert page.inner_text("#err-p-askMax") == "上限不能低于下限。"
    page.fill("#p-askMax", "6000")
    page.fill("#p-teamSize", "42")
    page.click("#profile-save")
    page.wait_for_selector("#notice:has-text('档案已保存')")
    stored = live_server.run_coroutine(live_server.state.startups.by_ids(["demo-startup-02"]))[0]
    assert (stored.ask_min, stored.ask_max, stored.team_size) == (3000, 6000, 42)
    shot(page, "matchmaking-profile-phone")
    assert_accessible(page)
    assert not page.errors
