"""Sign in as each role, see who/role/incubator in the header, sign out; switch the language."""

from __future__ import annotations

import re

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, shot, sign_in

pytestmark = pytest.mark.e2e

ROLE_HOME = {
    "admin": "/pages/dashboard.html", "evaluator": "/pages/dashboard.html", "manager": "/pages/submit.html",
    "startup": "/pages/matchmaking.html", "investor": "/pages/roadshows.html", "ip_advisor": "/pages/bookings.html",
}
ROLE_ZH = {"admin": "管理员", "evaluator": "评估专家", "manager": "孵化器管理员", "startup": "创业企业",
           "investor": "投资机构", "ip_advisor": "知识产权顾问"}


def test_each_role_signs_in_sees_itself_in_the_header_and_signs_out(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Header Incubator", name_zh="页眉测试孵化器")
    startup = live_server.run_coroutine(live_server.state.startups.insert(
        {"_id": "e2e-startup", "name_zh": "测试企业", "name_en": "Test Startup", "incubator_id": incubator,
         "industry": "fintech"}))
    extra = {"manager": {"incubator_id": incubator}, "startup": {"incubator_id": incubator, "startup_id": startup.id}}
    page = open_page()
    for role in ROLE_HOME:
        make_user(f"e2e-{role.replace('_', '-')}", Role(role), display_name=f"测试{ROLE_ZH[role]}",
                  **extra.get(role, {}))
        sign_in(page, f"e2e-{role.replace('_', '-')}")
        assert page.url.split("?")[0].endswith(ROLE_HOME[role])
        assert page.inner_text("#who-name") == f"测试{ROLE_ZH[role]}"
        assert page.inner_text("#who-role") == ROLE_ZH[role]
        if role in ("manager", "startup"):
            assert page.inner_text("#who-incubator") == "页眉测试孵化器"
        else:
            assert page.locator("#who-incubator").count() == 0
        shot(page, f"signin-{role}")
        page.click("#sign-out")
        page.wait_for_selector("#signin-form")
    assert not page.errors


def test_wrong_password_shows_a_translated_message(open_page, make_user):
    make_user("e2e-wrong", Role.evaluator)
    page = open_page(viewport=PHONE)
    page.goto("/index.html")
    page.fill("#username", "e2e-wrong")
    page.fill("#password", "not-the-password")
    page.click("#signin-submit")
    page.wait_for_selector("#notice:not([hidden])")
    assert page.inner_text("#notice") == "用户名或密码错误。"
    shot(page, "signin-wrong-password-phone")


def test_switching_the_language_relabels_everything_and_persists(open_page, make_user):
    make_user("e2e-lang", Role.evaluator, display_name="王评估")
    page = open_page()
    sign_in(page, "e2e-lang")
    assert page.inner_text("#who-role") == "评估专家"
    assert page.inner_text("#sign-out") == "退出登录"
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.wait_for_selector("#who-role")
    assert page.inner_text("#who-role") == "Evaluator"
    assert page.inner_text("#sign-out") == "Sign out"
    # persisted: a fresh navigation stays in English, and no Chinese UI label is left in the header
    page.goto("/pages/roadshows.html")
    page.wait_for_selector("#who-role")
    header = page.inner_text("#app-header")
    assert not re.search(r"[\u4e00-\u9fff]", header.replace("王评估", "").replace("中文", "")), header
    shot(page, "language-english")
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.wait_for_selector("#who-role")
    assert page.inner_text("#who-role") == "评估专家"
