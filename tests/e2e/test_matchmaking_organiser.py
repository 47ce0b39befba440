"""The other users of matchmaking on the web: an investor edits their own profile (the server's field error
next to the field), a manager posts an open call and organises a session (create, optimal assignment,
grid, lock, swap), and a startup of that session sees its schedule."""

from __future__ import annotations

from typing import Any

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


def _service(live_server: Any) -> Any:
    from cloud_incubator.matchmaking.service import service

    return service(live_server.state)


def test_an_investor_edits_their_profile_with_the_servers_check_next_to_the_field(open_page, live_server, make_user):
    investor = make_user("fund", Role.investor, display_name="Fund Partner")
    fund = live_server.run_coroutine(_service(live_server).save_counterpart(investor, None, "investor", {
        "name_zh": "西城资本", "name_en": "Xicheng Capital", "industries": ["fintech"], "stages": ["series_a"],
        "ticket_min": 300, "ticket_max": 1000}))
    page = open_page(viewport=PHONE)
    sign_in(page, "fund")
    held = []

    def hold_matches(route) -> None:
        if '"operationName":"Matches"' in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_matches)
    page.goto("/pages/matchmaking.html")
    page.wait_for_selector("#matches p:text-is('加载中…')")   # loading, not an empty box
    for route in held:
        route.continue_()
    page.unroute("**/graphql", hold_matches)
    page.wait_for_selector("#matches p:text-is('暂无匹配。')")
    page.click("#investor-profile summary")
    assert page.input_value("#ip-ticketMax") == "1000"
    assert "null" not in page.inner_text("#page")
    page.fill("#ip-ticketMin", "2000")                     # above the stored upper end: the server refuses it
    page.click("#ip-save")
    page.wait_for_selector("#err-ip-ticketMax:has-text('上限不能低于下限。')")
    assert page.get_attribute("#ip-ticketMax", "aria-invalid") == "true"
    assert page.inner_text("#err-ip-ticketMin") == ""
    shot(page, "matchmaking-investor-profile-error-phone")
    page.fill("#ip-ticketMax", "5000")
    page.fill("#ip-nameZh", "西城创投")                    # renamed: the section's heading follows
    page.check("#ip-industries input[value='DIGITAL']")
    page.fill("#ip-tags", "支付, 风控")
    page.fill("#ip-description", "关注金融科技与数字产业的 A 轮企业。")
    page.click("#ip-save")
    page.wait_for_selector("#notice:has-text('“西城创投”已保存')")
    assert page.inner_text("#err-ip-ticketMax") == ""
    assert page.inner_text("#investor-profile summary") == "投资人档案：西城创投"
    stored = live_server.run_coroutine(_service(live_server).counterpart(fund.id))
    assert stored.name_zh == "西城创投"
    assert (stored.ticket_min, stored.ticket_max) == (2000, 5000)
    assert sorted(stored.industries) == ["digital", "fintech"] and stored.tags == ["支付", "风控"]
    assert stored.description == "关注金融科技与数字产业的 A 轮企业。"
    shot(page, "matchmaking-investor-profile-phone")
    assert_accessible(page)
    assert not page.errors


async def _session_parties(state: Any, incubator_id: str, manager: Any, investor: Any) -> dict[str, str]:
    """Startup A (Series A, fintech, asks 500–800) fits both investors; startup B is a seed company and both
    investors name only Series A, so B is excluded from every pair (a hard constraint)."""
    from cloud_incubator.matchmaking.service import service

    mm = service(state)
    a = await mm.create_startup(manager, {"name_zh": "甲科技", "name_en": "Alpha Tech", "incubator_id": incubator_id,
                                          "industry": "fintech", "stage": "series_a", "needs": ["funding"],
                                          "ask_min": 500, "ask_max": 800})
    b = await mm.create_startup(manager, {"name_zh": "乙科技", "name_en": "Beta Tech", "incubator_id": incubator_id,
                                          "industry": "fintech", "stage": "seed", "needs": ["funding"],
                                          "ask_min": 100, "ask_max": 200})
    c1 = await mm.save_counterpart(investor, None, "investor", {
        "name_zh": "一号基金", "name_en": "Fund One", "industries": ["fintech"], "stages": ["series_a"],
        "ticket_min": 300, "ticket_max": 1000})
    c2 = await mm.save_counterpart(manager, None, "investor", {
        "name_zh": "二号基金", "name_en": "Fund Two", "organisation": "二号", "industries": ["fintech"],
        "stages": ["series_a"], "ticket_min": 200, "ticket_max": 900})
    return {"a": a.id, "b": b.id, "c1": c1.id, "c2": c2.id}


def test_a_manager_posts_a_call_and_organises_a_session_and_the_startup_sees_its_schedule(
        open_page, live_server, make_user, make_incubator):
    incubator = make_incubator("Session Incubator")
    manager = make_user("organiser", Role.manager, incubator_id=incubator)
    investor = make_user("fundone", Role.investor)
    ids = live_server.run_coroutine(_session_parties(live_server.state, incubator, manager, investor))
    make_user("alpha", Role.startup, startup_id=ids["a"], incubator_id=incubator)

    page = open_page()
    sign_in(page, "organiser")
    page.goto("/pages/matchmaking.html")
    # an open call (揭榜挂帅): the deadline is required, the server says so next to the field
    page.click("#post-details summary")
    page.select_option("#post-kind", "FIRM_CALL")
    page.fill("#post-nameZh", "寻找支付安全芯片供应商")
    page.fill("#post-nameEn", "Payment security chip supplier wanted")
    page.fill("#post-organisation", "某大型银行")
    page.fill("#post-description", "需要国产支付安全芯片，年采购量十万片。")
    page.click("#post-save")
    page.wait_for_selector("#err-post-deadline:has-text('揭榜需求须设截止日期。')")
    page.fill("#post-deadline", "2099-06-30")
    page.click("#post-save")
    page.wait_for_selector("#notice:has-text('“寻找支付安全芯片供应商”已发布')")
    page.wait_for_selector("#posting-list li:has-text('寻找支付安全芯片供应商')")
    assert "截止 2099年6月30日" in page.inner_text("#posting-list")   # the deadline through Intl, not ISO
    assert page.input_value("#post-nameZh") == "", "the form is ready for the next posting"

    page.click("#sessions-link")
    page.wait_for_selector("#session-form")
    assert page.get_attribute("#create-details", "open") is not None, "no session yet: the form is open"
    page.fill("#s-title", "十二月投融资对接会")
    page.fill("#s-meetingMinutes", "30")
    slots = page.locator("#s-slots .slot-input")
    assert slots.count() == 2
    slots.nth(0).fill("2099-12-01T09:00")
    slots.nth(1).fill("2099-12-01T09:10")                  # closer than one 30-minute meeting: the server refuses
    page.fill("#s-startupCapacity", "2")
    for key in ("a", "b", "c1", "c2"):
        page.check(f"tr[data-party='{ids[key]}'] .include")
    page.fill(f"tr[data-party='{ids['c2']}'] .capacity", "1")
    page.click("#s-create")                                 # the default 6 meetings per counterpart > 2 slots
    assert page.inner_text("#err-s-counterpartCapacity") == "不能超过时段数（2）。"
    page.fill("#s-counterpartCapacity", "2")
    page.fill(f"tr[data-party='{ids['a']}'] .unavailable", "3")   # only 2 slots: checked here, by name, from 1
    page.click("#s-create")
    assert page.inner_text("#err-s-startups") == "“甲科技”的不可参加时段编号须在 1–2 之间。"
    page.fill(f"tr[data-party='{ids['a']}'] .unavailable", "")
    page.click("#s-create")
    page.wait_for_selector("#err-s-slots:has-text('时段须按时间先后排列，且间隔不少于一场洽谈时长。')")
    assert page.inner_text("#err-s-counterpartCapacity") == ""
    assert live_server.run_coroutine(_service(live_server).repo.sessions_of_parties([ids["a"]])) == []
    slots.nth(1).fill("2099-12-01T09:30")
    page.click("#s-create")
    page.wait_for_selector("#notice:has-text('对接会“十二月投融资对接会”已创建')")
    page.wait_for_selector("#grid-empty")

    page.click("#assign")
    page.wait_for_selector("#grid td.meeting")
    # Worked out by hand: B is excluded from both pairs, A (capacity 2) meets Fund One and Fund Two, and it
    # cannot be in two meetings at once, so one meeting is in each slot (any order has the same total).
    rows = {}
    for slot in (0, 1):
        cells = page.locator(f"#grid tr[data-slot='{slot}'] td.meeting")
        assert cells.count() == 1
        assert "甲科技" in cells.first.inner_text()
        rows[slot] = cells.first.get_attribute("data-meeting")
    header = page.locator("#grid thead th").all_inner_texts()
    assert sorted(header[1:]) == ["一号基金", "二号基金"]
    assert page.locator("#grid td.meeting:has-text('乙科技')").count() == 0
    assert "最优排期" in page.inner_text("#session-status") and "2 场洽谈" in page.inner_text("#session-status")
    shot(page, "sessions-assigned")

    first, second = rows[0], rows[1]
    page.click(f"td[data-meeting='{first}'] button.lock")
    page.wait_for_selector(f"td[data-meeting='{first}'][data-locked='true'] .locked-badge")
    assert page.get_attribute(f"td[data-meeting='{first}'] button.lock", "aria-pressed") == "true"
    assert page.get_attribute(f"td[data-meeting='{second}']", "data-locked") == "false"

    page.check(f"td[data-meeting='{first}'] .pick-swap")
    assert page.is_disabled("#swap")
    page.check(f"td[data-meeting='{second}'] .pick-swap")
    swaps = []
    page.on("request", lambda r: swaps.append(r) if "SwapSessionMeetings" in (r.post_data or "") else None)
    page.dblclick("#swap")                                  # one swap, not a swap and its undoing
    page.wait_for_selector(f"#grid tr[data-slot='1'] td[data-meeting='{first}']")
    assert page.locator(f"#grid tr[data-slot='0'] td[data-meeting='{second}'][data-locked='true']").count() == 1
    assert page.locator(f"td[data-meeting='{first}'][data-locked='true']").count() == 1
    assert "已手动调整" in page.inner_text("#session-status")
    assert len(swaps) == 1

    from cloud_incubator.matchmaking.service import service
    mm = service(live_server.state)
    session = live_server.run_coroutine(mm.repo.sessions_of_parties([ids["a"]]))[0]
    stored_meetings = {m.id: (m.startup_id, m.slot, m.locked) for m in session.meetings}
    assert stored_meetings == {first: (ids["a"], 1, True), second: (ids["a"], 0, True)}
    assert {m.counterpart_id for m in session.meetings} == {ids["c1"], ids["c2"]}
    fund_names = {ids["c1"]: "一号基金", ids["c2"]: "二号基金"}
    in_order = [fund_names[m.counterpart_id] for m in sorted(session.meetings, key=lambda m: m.slot)]
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    shot(page, "sessions-swapped-phone")
    page.click("#create-details summary")                   # the participant tables scroll inside the card
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "sessions-form-phone")
    assert not page.errors

    # the startup's own page lists its two meetings
    founder = open_page(viewport=PHONE)
    sign_in(founder, "alpha")                               # startups land on matchmaking
    founder.wait_for_selector("#schedule li")
    schedule = founder.locator("#schedule")
    assert "十二月投融资对接会" in schedule.inner_text()
    items = founder.locator("#schedule li").all_inner_texts()
    assert len(items) == 2 and all("甲科技" in x for x in items)
    assert [name in item for name, item in zip(in_order, items, strict=True)] == [True, True], "in slot order"
    shot(founder, "sessions-startup-schedule-phone")
    assert not founder.errors


def test_session_slots_are_beijing_time_in_a_browser_elsewhere(browser, live_server, make_user, make_incubator):
    """An organiser travelling (browser in London) types 09:00 for a slot: the park's 09:00 Beijing time is
    stored (01:00 UTC) and the grid shows 09:00, as on the roadshow form."""
    from datetime import UTC, datetime

    incubator = make_incubator("Travel Incubator")
    manager = make_user("traveller", Role.manager, incubator_id=incubator)
    investor = make_user("travelfund", Role.investor)
    ids = live_server.run_coroutine(_session_parties(live_server.state, incubator, manager, investor))
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.http_url, timezone_id="Europe/London")
    try:
        page = context.new_page()
        sign_in(page, "traveller")
        page.goto("/pages/sessions.html")
        page.wait_for_selector("#session-form")
        page.fill("#s-title", "伦敦出差时排的对接会")
        slots = page.locator("#s-slots .slot-input")
        slots.nth(0).fill("2099-12-01T09:00")
        slots.nth(1).fill("2099-12-01T09:30")
        page.fill("#s-startupCapacity", "2")
        page.fill("#s-counterpartCapacity", "2")
        for key in ("a", "c1"):
            page.check(f"tr[data-party='{ids[key]}'] .include")
        page.click("#s-create")
        page.wait_for_selector("#grid-empty")
        [session] = live_server.run_coroutine(_service(live_server).repo.sessions_of_parties([ids["a"]]))
        assert [s.astimezone(UTC) for s in session.slots] == [datetime(2099, 12, 1, 1, 0, tzinfo=UTC),
                                                               datetime(2099, 12, 1, 1, 30, tzinfo=UTC)]
        page.click("#assign")
        page.wait_for_selector("#grid td.meeting")
        assert "09:00" in page.inner_text("#grid tr[data-slot='0'] th")
    finally:
        context.close()


def test_a_new_investor_creates_their_profile_in_english(open_page, live_server, make_user):
    """No profile yet: the form is open, its button creates a profile (not "Post", the open calls' word), a
    double-click stores one profile, and the stored values are the ones typed."""
    investor = make_user("newfund", Role.investor, display_name="New Fund")
    page = open_page(viewport=PHONE)
    sign_in(page, "newfund")
    page.evaluate("localStorage.setItem('incubench.lang', 'en')")
    page.goto("/pages/matchmaking.html")
    page.wait_for_selector("#investor-profile[open] #ip-form")
    assert page.inner_text("#investor-profile summary") == "Create your investor profile"
    assert page.inner_text("#ip-save") == "Create profile"
    page.fill("#ip-nameZh", "新基金")
    page.fill("#ip-nameEn", "New Fund Capital")
    page.fill("#ip-ticketMin", "100")
    page.fill("#ip-ticketMax", "800")
    page.check("#ip-industries input[value='FINTECH']")
    saves = []
    page.on("request", lambda r: saves.append(r) if "SaveCounterpart" in (r.post_data or "") else None)
    page.dblclick("#ip-save")
    page.wait_for_selector("#notice:text-is('Investor profile “New Fund Capital” created; your recommendations follow.')")
    assert page.inner_text("#investor-profile summary") == "Investor profile: New Fund Capital"
    assert len(saves) == 1
    mine = live_server.run_coroutine(_service(live_server).repo.counterpart_of_user(investor.id))
    assert (mine.name_zh, mine.name_en, mine.ticket_min, mine.ticket_max, mine.industries) == (
        "新基金", "New Fund Capital", 100, 800, ["fintech"])
    assert_accessible(page)
    shot(page, "matchmaking-investor-created-en-phone")
    assert not page.errors
