"""Browser fixtures: Debian's chromium driven by Python Playwright (never a downloaded browser),
pages pointed at the ``live_server`` app, screenshots under test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.users.models import NewUser, Role, User
from tests.conftest import TEST_PASSWORD, LiveServer
from tests.waiting import PATIENCE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BROWSER_PATIENCE_MS = 2 * PATIENCE * 1000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: sync Playwright keeps an event loop running in this thread while it is
    # open, which would stop pytest-asyncio from running the async tests of the modules that follow.
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """open_page(viewport=DESKTOP) → a new page in its own context (own localStorage = own session).
    Console errors and uncaught page errors are collected on ``page.errors``."""
    contexts: list[Any] = []
    # The page's origin is the live server's own (a free port, not in cors_origins): /ws/v1 admits it as same-origin.

    def make(viewport: dict[str, int] = DESKTOP, locale: str = "zh-CN") -> Any:
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.http_url,
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        # Every wait is for a condition; on a busy 2-core machine sign-in (argon2) or the live ranking
        # (robustness runs) can take many seconds, so the deadline is generous.
        context.set_default_timeout(BROWSER_PATIENCE_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


CHARTS_FIT_JS = """() => {
  const shown = [...document.querySelectorAll("[data-drawn='true']")].filter(c => c.offsetParent !== null);
  return shown.length > 0 && shown.every(c => {
    const svg = c.querySelector('.main-svg');
    return svg && Math.abs(svg.getBoundingClientRect().width - parseFloat(getComputedStyle(c).width)) <= 2;
  });
}"""


def wait_for_charts_to_fit(page: Any) -> None:
    """After a viewport change: until every visible Plotly chart has been redrawn to its container's width."""
    page.wait_for_function(CHARTS_FIT_JS)


def sign_in(page: Any, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto("/index.html")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#signin-submit")
    page.wait_for_selector("#who-name")


@pytest.fixture
def make_user(live_server: LiveServer, test_password_hash: str) -> Callable[..., User]:
    """make_user("name", Role.manager, incubator_id=...) on the server's own loop."""

    def make(username: str, role: Role, **fields: Any) -> User:
        new = NewUser(username=username, display_name=fields.pop("display_name", username), role=role,
                      password=TEST_PASSWORD, **fields)
        return live_server.run_coroutine(  # type: ignore[no-any-return]
            live_server.state.user_service.create_user(new, password_hash=test_password_hash))

    return make


@pytest.fixture
def make_incubator(live_server: LiveServer) -> Callable[..., str]:
    def make(name_en: str = "Test Incubator", **overrides: Any) -> str:
        from datetime import date

        values: dict[str, Any] = {"name_zh": "测试孵化器", "name_en": name_en, "kind": "incubator",
                                  "accreditation": "municipal", "sub_area": "desheng", "industries": ["fintech"],
                                  "founded_on": date(2015, 1, 1), "floor_area": 12000.0, "operator": "测试运营方"}
        values.update(overrides)
        incubator = live_server.run_coroutine(live_server.state.incubator_service.create(values))
        return str(incubator.id)

    return make


UNLABELLED_JS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter(el => {
    const name = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')
      || (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim());
    return !name;
  }).map(el => el.outerHTML.slice(0, 120))"""


def assert_accessible(page: Any) -> None:
    """Basic accessibility: every control and link has an accessible name, the page has one h1 and a lang."""
    assert page.evaluate(UNLABELLED_JS) == []
    assert page.locator("h1").count() == 1
    assert page.get_attribute("html", "lang") in ("zh-CN", "en")
