"""IP workstation: one startup books a slot in its page; another startup's open page shows it taken
(live over /ws/v1, no reload), and the advisor sees the consultation in the day view."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


async def _workstation(state, admin, incubator: str, advisor: str, hours: bool = True) -> str:
    from cloud_incubator.bookings.service import bookings

    service = bookings(state)
    ws = await service.create_workstation(admin, {
        "incubator_id": incubator, "name_zh": "西城知识产权工作站", "name_en": "Xicheng IP Workstation",
        "location": "德胜科技园 A 座 3 层", "languages": ["zh", "en"], "topics": ["patent_filing", "trademarks"],
        "modes": ["online", "on_site"], "slot_minutes": 60, "cutoff_hours": 1, "booking_limit": 2,
        "advisor_ids": [advisor]})
    for weekday in range(7 if hours else 0):
        await service.add_rule(admin, ws.id, advisor, weekday, time(9), time(12), date(2020, 1, 1), None)
    return ws.id


def test_a_slot_booked_in_one_page_shows_taken_in_another(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Booking Incubator", name_zh="预约测试孵化器")
    admin = make_user("e2e-bk-admin", Role.admin)
    advisor = make_user("e2e-bk-advisor", Role.ip_advisor, display_name="赵顾问")
    for n in (1, 2):
        startup = live_server.run_coroutine(live_server.state.startups.insert(
            {"_id": f"e2e-bk-startup-{n}", "name_zh": f"企业{n}", "name_en": f"Startup {n}", "incubator_id": incubator,
             "industry": "fintech"}))
        make_user(f"e2e-bk-startup{n}", Role.startup, incubator_id=incubator, startup_id=startup.id)
    workstation_id = live_server.run_coroutine(_workstation(live_server.state, admin, incubator, advisor.id))

    first, second = open_page(), open_page(viewport=PHONE)
    for page, name in ((first, "e2e-bk-startup1"), (second, "e2e-bk-startup2")):
        sign_in(page, name)
        page.goto("/pages/bookings.html")
        page.wait_for_selector("body[data-live]", state="attached")
        page.click("#next-week")  # next week's slots are all in the future
        page.wait_for_selector(".slot[data-state='free']")
    key = first.get_attribute(".slot[data-state='free']", "data-slot")
    # a slot's accessible name says its day (the column's heading) and workstation, not only time and advisor
    assert first.evaluate("""document.querySelectorAll('.slot').length > 0 && [...document.querySelectorAll('.day')].every(
        d => [...d.querySelectorAll('.slot')].every(s => (s.getAttribute('aria-label') || '').startsWith(
            d.querySelector('h3').textContent + ' ') && s.getAttribute('aria-label').endsWith('西城知识产权工作站')))""")
    assert second.get_attribute(f".slot[data-slot='{key}']", "data-state") == "free"

    first.click(f".slot[data-slot='{key}']")
    first.click("#book-confirm")  # no question yet: the dictionary's message next to the field, dialog still open
    first.wait_for_selector("#err-question:text-is('请简要描述您的问题。')")
    assert first.is_visible("#book-dialog")
    first.select_option("#book-topic", "trademarks")
    first.fill("#book-question", "商标注册类别如何选择？")
    first.click("#book-confirm")
    first.wait_for_selector(f".slot[data-slot='{key}'][data-state='mine']")
    first.wait_for_selector("#my-bookings-list li")
    shot(first, "bookings-booked-desktop")
    # the booking's .ics opens in any calendar: one event at the slot's time
    with first.expect_download() as download:
        first.click("#my-bookings-list li button:has-text('.ics')")
    import icalendar

    calendar = icalendar.Calendar.from_ical(download.value.path().read_bytes())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    from datetime import datetime

    assert events[0].decoded("dtstart") == datetime.fromisoformat(key.split("|")[2].replace("Z", "+00:00"))
    # the other page learns it over the socket, without reloading
    assert second.get_attribute("body", "data-live") == "socket", (
        "the page could not watch the workstation: /ws/v1 action `booking.watch` {workstation_id} is missing")
    second.wait_for_selector(f".slot[data-slot='{key}'][data-state='taken']")
    shot(second, "bookings-taken-phone")

    # the other startup waits for the taken slot
    second.click(f".slot[data-slot='{key}']")
    second.wait_for_selector("#book-title:has-text('加入候补')")
    second.fill("#book-question", "专利布局咨询")
    second.click("#book-confirm")
    second.wait_for_selector("#notice:has-text('当前排第 1 位')")
    second.wait_for_selector("#my-waitlist li")

    # the first startup moves its booking to another day: the freed slot goes to the waiting startup,
    # whose open page is told so live
    other = first.get_attribute(".day:not(:first-child) .slot[data-state='free']", "data-slot")
    first.click("#my-bookings-list li button:has-text('改期')")
    first.wait_for_selector("#reschedule-banner:not([hidden])")
    first.click(f".slot[data-slot='{other}']")
    first.wait_for_selector("#notice:has-text('已改期至')")
    first.wait_for_selector(f".slot[data-slot='{other}'][data-state='mine']")
    second.wait_for_selector("#notice:has-text('候补成功')")
    second.wait_for_selector(f".slot[data-slot='{key}'][data-state='mine']")
    second.wait_for_selector(f".slot[data-slot='{other}'][data-state='taken']")
    first.wait_for_selector(f".slot[data-slot='{key}'][data-state='taken']")
    shot(second, "bookings-promoted-phone")

    # cancelling frees the slot on both pages
    first.on("dialog", lambda dialog: dialog.accept())
    first.click("#my-bookings-list li button:has-text('取消预约')")
    first.wait_for_selector("#notice:has-text('预约已取消')")
    first.wait_for_selector(f".slot[data-slot='{other}'][data-state='free']")
    second.wait_for_selector(f".slot[data-slot='{other}'][data-state='free']")

    # the advisor's day view lists the slot's consultation on that day
    advisor_page = open_page()
    sign_in(advisor_page, "e2e-bk-advisor")
    advisor_page.fill("#day-date", _local_day(key))
    advisor_page.dispatch_event("#day-date", "change")
    advisor_page.wait_for_selector("#day-list li:has-text('专利布局咨询')")  # now the promoted startup's
    shot(advisor_page, "bookings-advisor-day")
    assert_accessible(advisor_page)

    # the advisor takes that day off: the startup's open page is told its booking was cancelled, and why
    from cloud_incubator.bookings.service import bookings

    leave_day = date.fromisoformat(_local_day(key))
    live_server.run_coroutine(bookings(live_server.state).add_exception(advisor, workstation_id, advisor.id, leave_day,
                                                                        None, None, "外出培训"))
    second.wait_for_selector("#notice:has-text('系统取消')")
    second.wait_for_selector("#my-bookings-list li .cancel-reason:has-text('请假')")
    second.wait_for_selector(f".slot[data-slot='{key}']", state="detached")
    first.wait_for_selector(f".slot[data-slot='{key}']", state="detached")
    shot(second, "bookings-cancelled-by-leave-phone")
    assert_accessible(second)
    assert_accessible(first)
    assert not first.errors and not second.errors and not advisor_page.errors


def _local_day(key: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    start = datetime.fromisoformat(key.split("|")[2].replace("Z", "+00:00"))
    return start.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_an_advisor_publishes_weekly_hours_and_leave(open_page, make_user, make_incubator, live_server):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    incubator = make_incubator("Hours Incubator", name_zh="时段测试孵化器")
    admin = make_user("e2e-hours-admin", Role.admin)
    advisor = make_user("e2e-hours-advisor", Role.ip_advisor, display_name="钱顾问")
    live_server.run_coroutine(_workstation(live_server.state, admin, incubator, advisor.id, hours=False))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    next_monday = (today + timedelta(days=7 - today.weekday())).isoformat()

    page = open_page()
    sign_in(page, "e2e-hours-advisor")
    page.wait_for_selector("#rule-form")
    page.click("#next-week")
    page.wait_for_selector(f".day[data-day='{next_monday}']")
    assert page.locator(f".day[data-day='{next_monday}'] .slot").count() == 0
    page.select_option("#rule-weekday", "0")
    page.fill("#rule-startTime", "14:00")
    page.fill("#rule-endTime", "16:00")
    page.click("#rule-add")
    page.wait_for_selector("#rule-list li:has-text('星期一 14:00–16:00')")
    page.wait_for_selector(f".day[data-day='{next_monday}'] .slot:has-text('15:00 钱顾问')")
    assert page.locator(f".day[data-day='{next_monday}'] .slot").count() == 2

    # an overlapping window is refused with a message, nothing added
    page.fill("#rule-startTime", "15:00")
    page.fill("#rule-endTime", "17:00")
    page.click("#rule-add")
    page.wait_for_selector("#rule-form .field-error:text-matches('.+')")
    assert page.locator("#rule-list li").count() == 1

    # leave on that Monday removes its slots
    page.fill("#exception-date", next_monday)
    page.fill("#exception-reason", "年假")
    page.click("#exception-add")
    page.wait_for_selector("#exception-list li:has-text('年假')")
    page.wait_for_function(f"() => document.querySelectorAll(\".day[data-day='{next_monday}'] .slot\").length === 0")
    shot(page, "bookings-advisor-hours")
    # leave entered by mistake is withdrawn: the Monday's slots return
    page.click("#exception-list li:has-text('年假') button")
    page.wait_for_selector("#exception-list", state="detached")
    page.wait_for_function(f"() => document.querySelectorAll(\".day[data-day='{next_monday}'] .slot\").length === 2")
    assert_accessible(page)
    assert not page.errors


def test_advisor_marks_attendance_once_and_a_manager_picks_only_own_advisors(open_page, make_user, make_incubator,
                                                                             live_server):
    """Once marked, a consultation offers no attendance buttons (marking twice can only fail); a manager's
    advisor picker lists only the advisors of its own incubator's workstations."""
    from datetime import UTC, timedelta
    from zoneinfo import ZoneInfo

    ours = make_incubator("Attendance Incubator", name_zh="出席测试孵化器")
    theirs = make_incubator("Elsewhere Incubator", name_zh="别处孵化器")
    admin = make_user("e2e-att-admin", Role.admin)
    make_user("e2e-att-manager", Role.manager, incubator_id=ours)
    advisor = make_user("e2e-att-advisor", Role.ip_advisor, display_name="孙顾问")
    ws_id = live_server.run_coroutine(_workstation(live_server.state, admin, ours, advisor.id, hours=False))
    other = make_user("e2e-att-elsewhere2", Role.ip_advisor, display_name="别处顾问二")
    live_server.run_coroutine(_workstation(live_server.state, admin, theirs, other.id, hours=False))
    # a consultation that began five minutes ago (stored directly: the API books future slots only)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    live_server.run_coroutine(live_server.state.db.ip_bookings.insert_one({
        "_id": "e2e-att-booking", "workstation_id": ws_id, "incubator_id": ours, "advisor_id": advisor.id,
        "startup_id": "e2e-att-startup", "user_id": "e2e-att-startup-user", "start": start,
        "end": start + timedelta(hours=1), "topic": "trademarks", "mode": "online", "question": "商标异议怎么办？",
        "status": "booked", "active": True, "sequence": 0, "hold_id": "h", "note": None, "from_waitlist": False,
        "created_at": start, "updated_at": start}))
    day = start.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()

    page = open_page()
    sign_in(page, "e2e-att-advisor")
    page.goto("/pages/bookings.html")
    page.wait_for_selector("#day-date")
    page.fill("#day-date", day)
    page.dispatch_event("#day-date", "change")
    item = "#day-list li:has-text('商标异议怎么办')"
    page.wait_for_selector(f"{item} button:has-text('标记为已咨询')")
    page.click(f"{item} button:has-text('标记为已咨询')")
    page.wait_for_selector(f"{item} .badge:has-text('已咨询')")
    assert page.locator(f"{item} button:has-text('标记为')").count() == 0
    shot(page, "bookings-attendance-marked")
    assert not page.errors

    manager = open_page()
    sign_in(manager, "e2e-att-manager")
    manager.goto("/pages/bookings.html")
    manager.wait_for_selector("#day-advisor")
    options = manager.eval_on_selector_all("#day-advisor option", "os => os.map(o => o.textContent)")
    assert options == ["孙顾问"]
    assert_accessible(manager)
    assert not manager.errors
