"""The admin page: an admin adds an incubator (a server field error shows next to its field, the fixed one
is stored and listed, filters and editing work), creates a manager account for it, disables it (the manager
can no longer sign in) and re-enables it; other roles are told they lack access."""

from __future__ import annotations

import re
from datetime import date

import pytest

from backend.incubators.models import IncubatorFilter
from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e
RAW = re.compile(r"Traceback|Error:|\b[A-Z]{3,}_[A-Z_]+\b|\b[a-z]+\.[a-z_]+\b|undefined|null|\[object")
MANAGER_PASSWORD = "manager-pass-2026"


def stored_incubators(live_server) -> list:
    rows, _, _ = live_server.run_coroutine(live_server.state.incubator_service.page(IncubatorFilter(), 50, None))
    return rows


def test_admin_manages_the_registry_and_accounts(open_page, make_user, live_server):
    make_user("e2e-admin", Role.admin, display_name="园区管理员")
    page = open_page()
    sign_in(page, "e2e-admin")
    # the header links the page for admins; while the registry loads it says so, then that it is empty
    held = []

    def hold_registry(route) -> None:
        if '"operationName":"Incubators"' in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_registry)
    page.click("nav.main-nav a[href='/pages/admin.html']")
    page.wait_for_selector("#incubator-list p:text-is('加载中…')")
    for route in held:
        route.continue_()
    page.unroute("**/graphql", hold_registry)
    page.wait_for_selector("#incubator-list p:text-is('没有符合条件的孵化器。')")
    assert page.inner_text("h1") == "平台管理"
    assert page.get_attribute("nav.main-nav a[href='/pages/admin.html']", "aria-current") == "page"

    # 1. a new incubator with a floor area the server refuses: its message shows next to that field
    page.fill("#inc-nameZh", "管理测试孵化器")
    page.fill("#inc-nameEn", "Admin Test Incubator")
    page.select_option("#inc-kind", "MAKER_SPACE")
    page.select_option("#inc-accreditation", "DISTRICT")
    page.select_option("#inc-subArea", "GUANGAN")
    page.check("#inc-industries input[value=DIGITAL]")
    page.check("#inc-industries input[value=RD_DESIGN]")
    page.fill("#inc-foundedOn", "2018-05-20")
    page.fill("#inc-floorArea", "-50")
    page.fill("#inc-operator", "测试运营公司")
    with page.expect_response(lambda r: r.url.endswith("/graphql") and r.request.method == "POST") as sent:
        page.click("#incubator-save")
    assert [e["extensions"]["field"] for e in sent.value.json()["errors"]] == ["floorArea"]
    page.wait_for_selector("#err-inc-floorArea:has-text('场地面积须大于 0 且不超过 1,000,000 平方米。')")
    assert page.get_attribute("#inc-floorArea", "aria-invalid") == "true"
    assert page.inner_text("#err-inc-nameEn") == ""
    assert stored_incubators(live_server) == [], "a refused incubator is not stored"
    shot(page, "admin-incubator-field-error")
    assert_accessible(page)

    # 2. fixed: stored with every field, listed
    page.fill("#inc-floorArea", "3200")
    page.click("#incubator-save")
    page.wait_for_selector("#notice.notice-ok:has-text('管理测试孵化器')")
    assert page.inner_text("#err-inc-floorArea") == ""
    row = page.locator("#incubator-table tbody tr", has_text="管理测试孵化器")
    row.wait_for()
    assert [c.strip() for c in row.locator("th, td").all_inner_texts()[:8]] == [
        "管理测试孵化器", "众创空间", "区级", "广安", "数字产业、研发设计", "2018年5月20日", "3,200 平方米", "测试运营公司"]
    [incubator] = stored_incubators(live_server)
    assert (incubator.name_zh, incubator.name_en, incubator.kind, incubator.accreditation, incubator.sub_area,
            incubator.industries, incubator.founded_on, incubator.floor_area, incubator.operator) == (
        "管理测试孵化器", "Admin Test Incubator", "maker_space", "district", "guangan", ["digital", "rd_design"],
        date(2018, 5, 20), 3200.0, "测试运营公司")
    # the registry's filters
    page.select_option("#filter-kind", "INCUBATOR")
    page.wait_for_selector("#incubator-list p.muted")
    page.select_option("#filter-kind", "MAKER_SPACE")
    row.wait_for()
    page.select_option("#filter-kind", "")
    page.select_option("#filter-subArea", "DESHENG")
    page.wait_for_selector("#incubator-list p.muted")
    page.select_option("#filter-subArea", "GUANGAN")
    row.wait_for()
    # cancelling an edit puts the keyboard focus back on the row's edit button (not lost with the hidden button)
    row.locator("button.edit-incubator").click()
    assert page.evaluate("document.activeElement.id") == "inc-nameZh"
    page.click("#incubator-cancel")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "编辑 管理测试孵化器"
    # edit: the form is filled with the stored values; the change is saved
    row.locator("button.edit-incubator").click()
    assert page.input_value("#inc-floorArea") == "3200"
    assert page.is_checked("#inc-industries input[value=RD_DESIGN]")
    page.fill("#inc-operator", "新运营公司")
    page.click("#incubator-save")
    page.wait_for_selector("#incubator-table tbody tr:has-text('新运营公司')")
    assert stored_incubators(live_server)[0].operator == "新运营公司"

    # 3. a manager account for it
    page.fill("#user-username", "e2e-new-manager")
    page.fill("#user-displayName", "新管理员")
    page.select_option("#user-role", "MANAGER")
    page.fill("#user-password", MANAGER_PASSWORD)
    page.fill("#user-organisation", "测试运营公司")
    page.select_option("#user-incubatorId", incubator.id)
    page.click("#user-save")
    page.wait_for_selector("#notice.notice-ok:has-text('e2e-new-manager')")
    manager_row = page.locator("#user-table tbody tr[data-username='e2e-new-manager']")
    manager_row.wait_for()
    assert "管理测试孵化器" in manager_row.inner_text() and "已启用" in manager_row.inner_text()
    created = live_server.run_coroutine(live_server.state.users.by_username("e2e-new-manager"))
    assert (created.role, created.incubator_id, created.active) == (Role.manager, incubator.id, True)

    # a startup account: bound to a startup profile (the server's message when none is chosen)
    live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-admin-startup", "name_zh": "管理测试企业", "name_en": "Admin Test Startup",
         "incubator_id": incubator.id, "industry": "digital"}))
    page.reload()
    page.wait_for_selector("#user-table")
    page.fill("#user-username", "e2e-new-startup")
    page.fill("#user-displayName", "新企业")
    page.select_option("#user-role", "STARTUP")
    assert page.is_visible("#user-incubatorId") and page.is_visible("#user-startupId")
    page.fill("#user-password", MANAGER_PASSWORD)
    page.click("#user-save")
    page.wait_for_selector("#err-user-startupId:has-text('创业企业账号必须绑定企业档案。')")
    # the profiles offered are the chosen incubator's
    page.select_option("#user-incubatorId", incubator.id)
    page.wait_for_selector("#user-startupId option:has-text('管理测试企业')", state="attached")
    page.select_option("#user-startupId", label="管理测试企业")
    page.click("#user-save")
    page.wait_for_selector("#notice.notice-ok:has-text('e2e-new-startup')")
    created = live_server.run_coroutine(live_server.state.users.by_username("e2e-new-startup"))
    assert (created.role, created.startup_id, created.incubator_id) == (Role.startup, "e2e-admin-startup", incubator.id)

    # an admin cannot disable themself: the server's message shows in their row
    page.select_option("#filter-role", "ADMIN")
    # the filtered list has replaced the full one (the new manager is gone) before the admin's row is used
    page.wait_for_selector("#user-table tr[data-username='e2e-new-manager']", state="detached")
    admin_row = page.locator("#user-table tbody tr[data-username='e2e-admin']")
    admin_row.locator("button.toggle-active").click()
    admin_row.locator(".field-error:has-text('不能停用自己的账号。')").wait_for()

    # 4. disabled: the manager cannot sign in
    page.select_option("#filter-role", "MANAGER")
    manager_row.wait_for()
    manager_row.locator("button.toggle-active").click()
    page.wait_for_selector("#user-table tr[data-username='e2e-new-manager'][data-active=false]")
    assert "已停用" in manager_row.inner_text()
    shot(page, "admin-accounts")
    manager = open_page(viewport=PHONE)
    manager.goto("/index.html")
    manager.fill("#username", "e2e-new-manager")
    manager.fill("#password", MANAGER_PASSWORD)
    manager.click("#signin-submit")
    manager.wait_for_selector("#notice:not([hidden])")
    assert manager.inner_text("#notice") == "用户名或密码错误。"
    shot(manager, "admin-disabled-manager-signin")

    # 5. re-enabled: the manager signs in, has no admin link and is told the page is not theirs
    manager_row.locator("button.toggle-active").click()
    page.wait_for_selector("#user-table tr[data-username='e2e-new-manager'][data-active=true]")
    sign_in(manager, "e2e-new-manager", MANAGER_PASSWORD)
    assert manager.inner_text("#who-incubator") == "管理测试孵化器"
    assert manager.locator("nav.main-nav a[href='/pages/admin.html']").count() == 0
    manager.goto("/pages/admin.html")
    manager.wait_for_selector("main .notice-error")
    assert manager.inner_text("main").strip() == "您没有执行此操作的权限。"
    assert not RAW.search(manager.inner_text("main"))
    shot(manager, "admin-forbidden-phone")

    # in English, on a phone
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.set_viewport_size(PHONE)
    page.wait_for_selector("#incubator-table")
    assert page.inner_text("h1") == "Administration"
    assert page.inner_text("#incubator-table tbody tr th") == "Admin Test Incubator"
    # the name is not squeezed into a narrow column, one word per line (the table scrolls instead)
    assert page.evaluate("""() => { const r = document.createRange();
      r.selectNodeContents(document.querySelector('#incubator-table tbody tr th'));
      return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }""") == 1
    assert page.inner_text("label[for=inc-floorArea]") == "Floor area"
    assert_accessible(page)
    shot(page, "admin-english-phone")
    assert not page.errors and not manager.errors
