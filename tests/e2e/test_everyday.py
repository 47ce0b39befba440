"""Everyday expectations, in the browser: a favicon on every page; the quarterly form keeps what was
typed across a language switch and asks before unsaved changes are left; admins search accounts by name
and role; dates are typed and read back in the page's language, not the browser's."""

from __future__ import annotations

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


def test_every_page_has_a_favicon(open_page, make_user, live_server):
    make_user("e2e-fav-admin", Role.admin)
    page = open_page()
    page.goto("/index.html")
    for path in ("/favicon.ico", "/favicon.svg"):
        response = page.request.get(path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith("image/"), path
    assert page.request.get("/favicon.ico").body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    sign_in(page, "e2e-fav-admin")
    for name in ("dashboard", "scorecard", "submit", "roadshows", "room", "matchmaking", "sessions", "bookings",
                 "workstations", "admin"):
        html = page.request.get(f"/pages/{name}.html").text()
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in html, name
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/favicon.svg")


def test_the_quarterly_form_keeps_typing_across_a_language_switch_and_guards_unsaved_changes(
        open_page, make_user, make_incubator):
    incubator = make_incubator("Draft Incubator", name_zh="草稿测试孵化器")
    make_user("e2e-draft-manager", Role.manager, incubator_id=incubator)
    page = open_page(viewport=PHONE)
    sign_in(page, "e2e-draft-manager")
    page.goto("/pages/submit.html")
    page.wait_for_selector("#f-tenants")
    quarter = page.input_value("#quarter")
    page.fill("#f-tenants", "123")
    page.fill("#f-staff", "17")

    # the language switch keeps both values, without asking
    dialogs: list[str] = []

    def record(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", record)
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='en'] #f-tenants")
    page.wait_for_selector("#notice:has-text('What you typed before switching the language is kept')")
    assert page.input_value("#f-tenants") == "123" and page.input_value("#f-staff") == "17"
    assert dialogs == []
    page.remove_listener("dialog", record)
    shot(page, "submit-kept-after-language-switch-en-phone")

    # another quarter: asked first; refusing keeps the quarter and the typing
    other = page.eval_on_selector("#quarter", "s => [...s.options].map(o => o.value).find(v => v !== s.value)")
    page.once("dialog", lambda dialog: dialog.dismiss())   # refuse at once (the select waits for the page)
    with page.expect_event("dialog") as asked:
        page.select_option("#quarter", other)
    assert asked.value.type == "confirm" and "unsaved changes" in asked.value.message
    page.wait_for_function(f"() => document.querySelector('#quarter').value === '{quarter}'")
    assert page.input_value("#f-tenants") == "123"

    # leaving for another page: the browser asks (beforeunload); refusing stays on the form
    page.once("dialog", lambda dialog: dialog.dismiss())
    with page.expect_event("dialog") as asked:
        page.click("nav a[href='/pages/roadshows.html']")
    assert asked.value.type == "beforeunload"
    assert page.url.endswith(f"/pages/submit.html?quarter={quarter}") and page.input_value("#f-tenants") == "123"

    # saved as a draft: nothing to lose, so the page leaves without asking
    page.fill("#f-graduatedTenants", "3")
    page.click("#save-draft")
    page.wait_for_selector("#notice.notice-ok")
    page.on("dialog", record)
    page.click("nav a[href='/pages/roadshows.html']")
    page.wait_for_url("**/pages/roadshows.html")
    assert dialogs == [], "nothing unsaved: no question"
    assert not page.errors


def test_admins_search_accounts_by_name_and_role(open_page, make_user, make_incubator):
    incubator = make_incubator("Search Incubator", name_zh="搜索测试孵化器")
    make_user("e2e-search-admin", Role.admin, display_name="园区管理员")
    make_user("e2e-wang-manager", Role.manager, incubator_id=incubator, display_name="王经理")
    make_user("e2e-wang-investor", Role.investor, display_name="王投资", organisation="Xicheng Fund")
    make_user("e2e-li-investor", Role.investor, display_name="李投资", organisation="Haidian Angels")
    page = open_page()
    sign_in(page, "e2e-search-admin")
    page.goto("/pages/admin.html")
    page.wait_for_selector("#user-table")
    page.fill("#filter-search", "王")
    page.wait_for_function("() => document.querySelectorAll('#user-table tbody tr').length === 2")
    assert sorted(page.eval_on_selector_all("#user-table tbody tr", "rows => rows.map(r => r.dataset.username)")) == [
        "e2e-wang-investor", "e2e-wang-manager"]
    page.select_option("#filter-role", "INVESTOR")
    page.wait_for_function("() => document.querySelectorAll('#user-table tbody tr').length === 1")
    assert page.get_attribute("#user-table tbody tr", "data-username") == "e2e-wang-investor"
    page.fill("#filter-search", "angels")
    page.wait_for_selector("#user-table tbody tr[data-username='e2e-li-investor']")
    page.fill("#filter-search", "没有这个人")
    page.wait_for_selector("#users-none:has-text('没有与“没有这个人”匹配的账号')")
    shot(page, "admin-account-search")
    assert_accessible(page)

    phone = open_page(viewport=PHONE)
    phone.goto("/index.html")
    phone.evaluate("localStorage.setItem('incubench.lang', 'en')")
    sign_in(phone, "e2e-search-admin")
    phone.goto("/pages/admin.html")
    phone.wait_for_selector("#user-table")
    assert phone.get_attribute("#filter-search", "placeholder") == "Username, name or organisation"
    phone.fill("#filter-search", "xicheng")
    phone.wait_for_function("() => document.querySelectorAll('#user-table tbody tr').length === 1")
    assert phone.get_attribute("#user-table tbody tr", "data-username") == "e2e-wang-investor"
    shot(phone, "admin-account-search-en-phone")
    assert not page.errors and not phone.errors


@pytest.mark.parametrize("lang,browser_locale,reads", [
    ("zh", "en-US", "即 2031年3月7日星期五 09:05"),
    ("en", "zh-CN", "Reads as Friday, 7 March 2031 at 09:05"),
])
def test_dates_are_typed_and_read_back_in_the_page_language(open_page, make_user, make_incubator, lang,
                                                            browser_locale, reads):
    incubator = make_incubator(f"Dates Incubator {lang}", name_zh=f"日期测试孵化器{lang}")
    make_user(f"e2e-date-{lang}", Role.manager, incubator_id=incubator)
    page = open_page(locale=browser_locale)
    page.goto("/index.html")
    page.evaluate(f"localStorage.setItem('incubench.lang', '{lang}')")
    sign_in(page, f"e2e-date-{lang}")
    page.goto("/pages/roadshows.html")
    page.click("#schedule summary")
    assert page.get_attribute("#starts_at", "type") == "text", "not the browser's own (locale-bound) picker"
    page.fill("#starts_at", "2031-03-07 9:05")
    assert page.inner_text("#starts_at-hint") == reads
    page.fill("#starts_at", "2031-02-30 10:00")
    assert page.inner_text("#starts_at-hint") == ("不是有效的日期时间，请按“年-月-日 时:分”填写，如 2026-12-04 14:30。" if lang == "zh"
                                                  else "Not a valid date and time: write YYYY-MM-DD HH:MM, e.g. 2026-12-04 14:30.")
    page.click("#schedule-submit")
    assert page.get_attribute("#starts_at", "aria-invalid") == "true"
    shot(page, f"roadshow-date-field-{lang}")
    assert not page.errors
