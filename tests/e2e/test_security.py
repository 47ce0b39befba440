"""Finding 8 in the browser: after signing in, ``next`` leads only to a path on this site, and the pages
run under the strict Content-Security-Policy without violations."""

from __future__ import annotations

import pytest

from backend.users.models import Role

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("number,target", enumerate(["/%5Cevil.example", "/%5C/evil.example", "//evil.example", "/%09/evil.example",
                                    "https://evil.example/"]))
def test_next_never_leaves_the_site(open_page, make_user, live_server, number, target):
    make_user(f"e2e-next{number}", Role.evaluator)
    page = open_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"/index.html?next={target}")
    page.fill("#username", f"e2e-next{number}")
    page.fill("#password", "correct-horse-battery")
    page.click("#signin-submit")
    page.wait_for_selector("#who-name")
    assert page.url.startswith(live_server.http_url + "/"), page.url
    assert not violations and not page.errors


def test_a_same_site_next_is_followed(open_page, make_user, live_server):
    make_user("e2e-next-ok", Role.evaluator)
    page = open_page()
    page.goto("/index.html?next=%2Fpages%2Fbookings.html%3Fweek%3D1")
    page.fill("#username", "e2e-next-ok")
    page.fill("#password", "correct-horse-battery")
    page.click("#signin-submit")
    page.wait_for_url("**/pages/bookings.html?week=1", timeout=60_000)


def test_after_an_admin_reset_the_sign_in_page_asks_for_a_new_password(open_page, make_user, live_server):
    admin = make_user("e2e-reset-admin", Role.admin)
    user = make_user("e2e-reset", Role.evaluator)
    live_server.run_coroutine(live_server.state.user_service.reset_password(admin, user.id, "tangerine-quartz-77"))
    page = open_page()
    page.goto("/index.html")
    page.fill("#username", "e2e-reset")
    page.fill("#password", "tangerine-quartz-77")
    page.click("#signin-submit")
    page.wait_for_selector("#new-password-field:not([hidden])")
    assert page.inner_text("#notice") == "管理员已重置您的密码：请输入临时密码并设置新密码。"
    page.fill("#new-password", "lantern-meadow-copper-9")
    page.click("#signin-submit")
    page.wait_for_selector("#who-name")
    assert not page.errors


def test_an_admin_unlocks_and_resets_a_password_from_the_admin_page(open_page, make_user, live_server):
    import re

    from tests.e2e.conftest import sign_in

    make_user("e2e-root", Role.admin)
    make_user("e2e-forgetful", Role.evaluator)
    page = open_page()
    sign_in(page, "e2e-root")
    page.goto("/pages/admin.html")
    row = page.locator("#user-table tbody tr[data-username='e2e-forgetful']")
    row.wait_for()
    row.locator("button.unlock-account").click()
    page.wait_for_selector("#notice.notice-ok:has-text('e2e-forgetful')")
    row.locator("button.reset-password").click()
    page.wait_for_selector("#notice.notice-ok:has-text('临时密码')")
    temporary = re.search(r"[a-z0-9]{4}(?:-[a-z0-9]{4}){3}", page.inner_text("#notice")).group(0)
    other = open_page()
    other.goto("/index.html")
    other.fill("#username", "e2e-forgetful")
    other.fill("#password", temporary)
    other.click("#signin-submit")
    other.wait_for_selector("#new-password-field:not([hidden])")
    other.fill("#new-password", "lantern-meadow-copper-9")
    other.click("#signin-submit")
    other.wait_for_selector("#who-name")
    assert not page.errors and not other.errors
