"""No traps in bookings, in the browser: rescheduling offers only the booking's own workstation and
shows a refusal next to the slot picked; the advisor's day says who booked and why and takes a meeting
link the startup then sees; removing a weekly window first says how many bookings it would cancel."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e
PARK = ZoneInfo("Asia/Shanghai")


def _next_monday() -> date:
    today = datetime.now(PARK).date()
    return today + timedelta(days=7 - today.weekday())


async def _setup(state, admin, incubator: str, advisor: str, other_advisor: str) -> tuple[str, str]:
    from cloud_incubator.bookings.service import bookings

    service = bookings(state)
    ids = []
    for name_zh, name_en, who in (("西城知识产权工作站", "Xicheng IP Workstation", advisor),
                                  ("什刹海版权工作站", "Shichahai Copyright Desk", other_advisor)):
        ws = await service.create_workstation(admin, {
            "incubator_id": incubator, "name_zh": name_zh, "name_en": name_en, "location": "德胜科技园 A 座",
            "languages": ["zh", "en"], "topics": ["patent_filing", "trademarks"], "modes": ["online", "on_site"],
            "slot_minutes": 60, "cutoff_hours": 1, "booking_limit": 3, "advisor_ids": [who]})
        await service.add_rule(admin, ws.id, who, 0, time(9), time(12), date(2020, 1, 1), None)  # Mondays
        ids.append(ws.id)
    return ids[0], ids[1]


def _book(live_server, user, workstation: str, advisor: str, day: date, hour: int, mode: str, question: str):
    from cloud_incubator.bookings.service import bookings

    start = datetime.combine(day, time(hour), PARK)
    return live_server.run_coroutine(bookings(live_server.state).book(user, workstation, advisor, start,
                                                                       "patent_filing", mode, question))


def test_rescheduling_stays_in_the_workstation_and_a_refusal_sits_by_the_slot(open_page, make_user, make_incubator,
                                                                               live_server):
    incubator = make_incubator("Trap Incubator", name_zh="改期测试孵化器")
    admin = make_user("e2e-trap-admin", Role.admin)
    advisor = make_user("e2e-trap-advisor", Role.ip_advisor, display_name="钱顾问")
    other_advisor = make_user("e2e-trap-advisor2", Role.ip_advisor, display_name="孙顾问")
    profile = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-trap-startup", "name_zh": "星火科技", "name_en": "Spark Tech", "incubator_id": incubator}))
    startup = make_user("e2e-trap-startup", Role.startup, incubator_id=incubator, startup_id=profile.id)
    mine, other = live_server.run_coroutine(_setup(live_server.state, admin, incubator, advisor.id, other_advisor.id))
    monday = _next_monday()
    booking = _book(live_server, startup, mine, advisor.id, monday, 9, "on_site", "专利布局怎么做？")

    page = open_page()
    sign_in(page, "e2e-trap-startup")
    page.goto(f"/pages/bookings.html?week={monday.isoformat()}")
    page.wait_for_selector(f"#my-bookings-list li[data-booking='{booking.id}']")
    page.click(f"#my-bookings-list li[data-booking='{booking.id}'] button:has-text('改期')")
    page.wait_for_selector("#reschedule-banner:has-text('预约只能在“西城知识产权工作站”内改期')")
    # the other workstation's slots are shown but not offered
    elsewhere = page.locator(f".slot[data-slot^='{other}|']")
    assert elsewhere.count() == 3
    assert all(elsewhere.nth(i).is_disabled() for i in range(3))
    assert "其他工作站" in elsewhere.first.inner_text()
    assert page.locator(f".slot[data-slot^='{mine}|'][data-state='free']:not([disabled])").count() == 2

    # the booking changed meanwhile (cancelled elsewhere): the refusal sits next to the slot picked
    from cloud_incubator.bookings.service import bookings

    live_server.run_coroutine(bookings(live_server.state).cancel(admin, booking.id))
    target = page.locator(f".slot[data-slot^='{mine}|'][data-state='free']:not([disabled])").first
    target.click()
    page.wait_for_selector("#reschedule-error:has-text('无法改期到')")
    assert "该预约已不可更改" in page.inner_text("#reschedule-error")
    assert page.locator(".slot[aria-invalid='true']").count() == 1
    assert page.get_attribute(".slot[aria-invalid='true']", "aria-describedby") == "reschedule-error"
    assert page.inner_text("#notice") != "请检查标出的字段。"
    shot(page, "bookings-reschedule-refused")
    assert_accessible(page)
    assert not page.errors


def test_the_advisors_day_shows_who_and_why_and_gives_a_meeting_link(open_page, make_user, make_incubator,
                                                                     live_server):
    incubator = make_incubator("Day Incubator", name_zh="顾问日程孵化器")
    admin = make_user("e2e-day-admin", Role.admin)
    advisor = make_user("e2e-day-advisor", Role.ip_advisor, display_name="Advisor Zhou")
    other_advisor = make_user("e2e-day-advisor2", Role.ip_advisor)
    profile = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-day-startup", "name_zh": "云帆科技", "name_en": "CloudSail", "incubator_id": incubator}))
    startup = make_user("e2e-day-startup", Role.startup, incubator_id=incubator, startup_id=profile.id,
                        display_name="林创始人")
    mine, _ = live_server.run_coroutine(_setup(live_server.state, admin, incubator, advisor.id, other_advisor.id))
    monday = _next_monday()
    online = _book(live_server, startup, mine, advisor.id, monday, 10, "online", "How to file a PCT application?")

    page = open_page(viewport=PHONE)
    page.goto("/index.html")
    page.evaluate("localStorage.setItem('incubench.lang', 'en')")
    sign_in(page, "e2e-day-advisor")
    page.goto("/pages/bookings.html")
    page.fill("#day-date", monday.isoformat())
    page.press("#day-date", "Enter")
    page.wait_for_selector("#day-list li")
    row = page.inner_text("#day-list li")
    assert "Booked by CloudSail (林创始人)" in row and "How to file a PCT application?" in row
    page.fill(f"#meeting-{online.id}", "ftp://not-a-meeting")
    page.click(f"#meeting-{online.id}-save")
    page.wait_for_selector(f"#err-meeting-{online.id}:has-text('http(s)')")
    assert page.get_attribute(f"#meeting-{online.id}", "aria-invalid") == "true"
    page.fill(f"#meeting-{online.id}", "https://meeting.example.com/j/7781")
    page.click(f"#meeting-{online.id}-save")
    page.wait_for_selector("#notice:has-text('Meeting link saved')")
    shot(page, "bookings-advisor-day-en-phone")
    assert_accessible(page)

    startup_page = open_page()
    sign_in(startup_page, "e2e-day-startup")
    startup_page.goto("/pages/bookings.html")
    link = startup_page.wait_for_selector(f"#my-bookings-list li[data-booking='{online.id}'] a.meeting-link")
    assert link.inner_text() == "进入线上会议" and link.get_attribute("href") == "https://meeting.example.com/j/7781"
    assert not page.errors and not startup_page.errors


def test_removing_a_weekly_window_says_first_how_many_bookings_it_cancels(open_page, make_user, make_incubator,
                                                                          live_server):
    incubator = make_incubator("Rule Incubator", name_zh="时段测试孵化器")
    admin = make_user("e2e-rule-admin", Role.admin)
    advisor = make_user("e2e-rule-advisor", Role.ip_advisor, display_name="吴顾问")
    other_advisor = make_user("e2e-rule-advisor2", Role.ip_advisor)
    profile = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-rule-startup", "name_zh": "明德科技", "name_en": "Mingde", "incubator_id": incubator}))
    startup = make_user("e2e-rule-startup", Role.startup, incubator_id=incubator, startup_id=profile.id)
    mine, _ = live_server.run_coroutine(_setup(live_server.state, admin, incubator, advisor.id, other_advisor.id))
    monday = _next_monday()
    _book(live_server, startup, mine, advisor.id, monday, 9, "on_site", "商标怎么注册？")
    _book(live_server, startup, mine, advisor.id, monday + timedelta(days=7), 11, "on_site", "版权登记？")

    page = open_page()
    sign_in(page, "e2e-rule-advisor")
    page.goto("/pages/bookings.html")
    page.wait_for_selector("#rule-list li")
    with page.expect_event("dialog") as asked:
        page.click("#rule-list button[data-remove-rule]")
    assert asked.value.type == "confirm" and "将取消 2 个已有预约" in asked.value.message
    asked.value.dismiss()
    assert page.locator("#rule-list li").count() == 1, "refused: the window stays"
    with page.expect_event("dialog") as asked:
        page.click("#rule-list button[data-remove-rule]")
    asked.value.accept()
    page.wait_for_selector("#notice:has-text('取消了 2 个预约')")
    page.wait_for_selector("#rule-list", state="detached")
    shot(page, "bookings-rule-removed")
    # times are typed on the page's 24-hour clock, checked before sending
    page.fill("#rule-startTime", "25:00")
    assert page.inner_text("#rule-startTime-hint") == "不是有效时间，请按“时:分”填写，如 09:30。"
    page.fill("#rule-startTime", "9:30")
    assert page.inner_text("#rule-startTime-hint") == "即 09:30"
    page.fill("#rule-validFrom", "2031/2/29")
    page.click("#rule-add")
    assert page.inner_text("#err-rule-validFrom") == "不是有效日期，请按“年-月-日”填写，如 2026-12-04。"
    assert page.get_attribute("#rule-validFrom", "aria-invalid") == "true"
    assert not page.errors


def test_leave_over_booked_consultations_says_first_how_many_it_cancels(open_page, make_user, make_incubator,
                                                                        live_server):
    incubator = make_incubator("Leave Incubator", name_zh="休假测试孵化器")
    admin = make_user("e2e-leave-admin", Role.admin)
    advisor = make_user("e2e-leave-advisor", Role.ip_advisor, display_name="Advisor Feng")
    other_advisor = make_user("e2e-leave-advisor2", Role.ip_advisor)
    profile = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-leave-startup", "name_zh": "远航科技", "name_en": "Voyage", "incubator_id": incubator}))
    startup = make_user("e2e-leave-startup", Role.startup, incubator_id=incubator, startup_id=profile.id)
    mine, _ = live_server.run_coroutine(_setup(live_server.state, admin, incubator, advisor.id, other_advisor.id))
    monday = _next_monday()
    _book(live_server, startup, mine, advisor.id, monday, 9, "on_site", "专利检索？")
    _book(live_server, startup, mine, advisor.id, monday, 11, "on_site", "商标异议？")

    page = open_page(viewport=PHONE)
    page.goto("/index.html")
    page.evaluate("localStorage.setItem('incubench.lang', 'en')")
    sign_in(page, "e2e-leave-advisor")
    page.goto("/pages/bookings.html")
    page.wait_for_selector("#exception-form")
    page.fill("#exception-date", monday.isoformat())
    page.fill("#exception-startTime", "08:00")
    page.fill("#exception-endTime", "10:00")
    page.fill("#exception-reason", "Training")
    with page.expect_event("dialog") as asked:
        page.click("#exception-add")
    assert "cancels 1 booking(s)" in asked.value.message
    asked.value.dismiss()
    assert page.locator("#exception-list").count() == 0, "refused: no leave added"
    with page.expect_event("dialog") as asked:
        page.click("#exception-add")
    asked.value.accept()
    page.wait_for_selector("#exception-list li:has-text('Training')")
    shot(page, "bookings-leave-confirmed-en-phone")
    assert not page.errors


def test_taking_an_advisor_off_a_workstation_says_first_how_many_bookings_it_cancels(open_page, make_user,
                                                                                     make_incubator, live_server):
    incubator = make_incubator("Staffing Incubator", name_zh="驻站测试孵化器")
    admin = make_user("e2e-staff-admin", Role.admin)
    make_user("e2e-staff-manager", Role.manager, incubator_id=incubator)
    advisor = make_user("e2e-staff-advisor", Role.ip_advisor, display_name="郑顾问")
    other_advisor = make_user("e2e-staff-advisor2", Role.ip_advisor)
    profile = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-staff-startup", "name_zh": "启明科技", "name_en": "Qiming", "incubator_id": incubator}))
    startup = make_user("e2e-staff-startup", Role.startup, incubator_id=incubator, startup_id=profile.id)
    mine, _ = live_server.run_coroutine(_setup(live_server.state, admin, incubator, advisor.id, other_advisor.id))
    _book(live_server, startup, mine, advisor.id, _next_monday(), 9, "on_site", "专利无效宣告？")

    page = open_page()
    sign_in(page, "e2e-staff-manager")
    page.goto("/pages/workstations.html")
    item = f"#ws-list li[data-workstation='{mine}']"
    page.click(f"{item} button:has-text('编辑')")
    page.uncheck("#ws-advisorIds label:has-text('郑顾问') input")
    with page.expect_event("dialog") as asked:
        page.click("#ws-save")
    assert "将取消其在本工作站的 1 个已有预约" in asked.value.message
    asked.value.dismiss()
    page.wait_for_function("() => !document.querySelector('#ws-save').disabled")
    page.wait_for_selector(f"{item} .ws-advisors:has-text('郑顾问')")   # refused: still staffed
    with page.expect_event("dialog") as asked:
        page.click("#ws-save")
    asked.value.accept()
    page.wait_for_selector("#notice.notice-ok")
    page.wait_for_selector(f"{item} .ws-advisors:not(:has-text('郑顾问'))")
    shot(page, "workstations-advisor-removal-confirmed")
    assert not page.errors
