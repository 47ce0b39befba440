"""A manager registers the incubator's IP workstation on the web (a refused field is shown next to it),
staffs an advisor picked by name, and once the advisor publishes hours the workstation's slots appear."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.users.models import Role
from tests.e2e.conftest import assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


def test_a_manager_registers_and_staffs_a_workstation(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Workstation Incubator", name_zh="工作站测试孵化器")
    make_user("e2e-ws-manager", Role.manager, incubator_id=incubator)
    advisor = make_user("e2e-ws-advisor", Role.ip_advisor, display_name="周顾问", organisation="西城知识产权中心")

    page = open_page()
    sign_in(page, "e2e-ws-manager")
    page.goto("/pages/bookings.html")
    page.click("#manage-workstations")
    page.wait_for_selector("#ws-form")
    page.wait_for_selector("#ws-empty")
    page.fill("#ws-nameZh", "德胜知识产权工作站")
    page.fill("#ws-nameEn", "Desheng IP Desk")
    page.fill("#ws-location", "德胜科技园 B 座 2 层")
    page.check("#ws-topics input[value='patent_filing']")
    page.check("#ws-topics input[value='ip_navigation']")
    page.fill("#ws-cutoffHours", "500")   # the server allows 0–336 hours
    page.click("#ws-save")
    page.wait_for_selector("#err-ws-cutoffHours:text-is('截止时间须为 0–336 小时。')")
    assert page.text_content("#err-ws-nameEn") == "" and page.text_content("#ws-form-error") == ""
    # the message is tied to its field for assistive technology
    assert page.get_attribute("#ws-cutoffHours", "aria-invalid") == "true"
    assert page.get_attribute("#ws-cutoffHours", "aria-describedby") == "err-ws-cutoffHours"
    assert page.get_attribute("#ws-nameEn", "aria-invalid") is None
    assert page.locator("#ws-list").count() == 0   # nothing stored
    shot(page, "workstations-field-error")

    page.fill("#ws-cutoffHours", "24")
    creates = []
    page.on("request", lambda r: creates.append(r) if "CreateIpWorkstation" in (r.post_data or "") else None)
    page.dblclick("#ws-save")                               # a double-click registers it once
    item = "#ws-list li:has-text('德胜知识产权工作站')"
    page.wait_for_selector(item)
    assert len(creates) == 1 and page.locator("#ws-list li").count() == 1
    assert "24" in page.text_content(f"{item} .muted >> nth=1")
    # Chinese punctuation on the Chinese page (was "语言: 中文 · 咨询主题: 专利申请, …")
    assert page.text_content(f"{item} .muted >> nth=0").startswith("语言：中文 · 咨询主题：专利申请、")
    page.wait_for_selector(f"{item} .ws-advisors:has-text('暂无')")

    # staff the advisor, picked by name
    page.click(f"{item} button:has-text('编辑')")
    page.wait_for_selector("#ws-form-title:has-text('德胜知识产权工作站')")
    assert page.is_disabled("#ws-slotMinutes")
    page.check("#ws-advisorIds label:has-text('周顾问') input")
    page.click("#ws-save")
    page.wait_for_selector(f"{item} .ws-advisors:text-is('驻站顾问：周顾问')")
    page.wait_for_selector("#notice:has-text('已保存')")
    page.click(f"{item} button:has-text('编辑')")
    page.click("#ws-new")                                   # register another instead: typing starts at the name
    assert page.evaluate("document.activeElement.id") == "ws-nameZh"
    shot(page, "workstations-listed")
    assert_accessible(page)
    workstation_id = page.get_attribute(item, "data-workstation")

    # the advisor publishes hours (service call); the workstation's week shows them
    from cloud_incubator.bookings.service import bookings

    async def publish_hours() -> None:
        for weekday in range(7):
            await bookings(live_server.state).add_rule(advisor, workstation_id, None, weekday, time(9), time(11),
                                                       date(2020, 1, 1), None)

    live_server.run_coroutine(publish_hours())
    page.click(f"{item} a:has-text('查看时段')")
    page.wait_for_selector("#week")
    page.wait_for_selector(".slot")
    assert page.input_value("#filter-workstation") == workstation_id   # the week shows this workstation only
    page.click("#next-week")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    next_monday = (today + timedelta(days=7 - today.weekday())).isoformat()
    page.wait_for_selector(f".day[data-day='{next_monday}'] .slot:has-text('09:00 周顾问')")
    page.wait_for_selector(f".day[data-day='{next_monday}'] .slot:has-text('10:00 周顾问')")
    assert page.locator(".slot").count() == 14   # 7 days × two 60-minute slots, all of this workstation
    shot(page, "workstations-slots")
    assert not page.errors
