"""Errors reach people as translated sentences: no stack trace, no raw error code, in either language."""

from __future__ import annotations

import re

import pytest

from backend.users.models import Role
from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e
RAW = re.compile(r"Traceback|Error:|\b[A-Z]{3,}_[A-Z_]+\b|\b[a-z]+\.[a-z_]+\b|undefined|null|\[object")


def visible_text(page) -> str:
    return page.inner_text("main")


def test_errors_are_translated_messages(open_page, make_user, make_incubator):
    incubator = make_incubator("Errors Incubator")
    make_user("e2e-err-manager", Role.manager, incubator_id=incubator)
    page = open_page()
    sign_in(page, "e2e-err-manager")

    # a page the role may not use
    page.goto("/pages/dashboard.html")
    page.wait_for_selector("main .notice-error")
    assert visible_text(page).strip() == "您没有执行此操作的权限。"

    # a socket error (no such roadshow)
    page.goto("/pages/room.html?id=no-such-roadshow")
    page.wait_for_selector("#notice:has-text('路演不存在。')")
    assert "无法进入路演间" in visible_text(page)
    assert not RAW.search(visible_text(page)), visible_text(page)
    shot(page, "errors-room-not-found")

    # a quarter with nothing submitted on the scorecard, in English
    page.click("#lang-switch")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    page.goto("/pages/scorecard.html?quarter=2026Q1")
    page.wait_for_selector("#summary .notice")
    assert page.inner_text("#summary") == "No submitted data for 2026Q1 yet."
    assert not RAW.search(visible_text(page)), visible_text(page)

    # an expired session sends the person to sign in with a message, not an error code
    page.evaluate("localStorage.setItem('incubench.token', 'not-a-token')")
    page.goto("/pages/submit.html")
    page.wait_for_selector("#signin-form")
    page.wait_for_selector("#notice:has-text('Your session has expired')")
    shot(page, "errors-session-expired")
    assert not page.errors
