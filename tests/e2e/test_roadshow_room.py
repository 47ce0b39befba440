"""Two browser pages in one live roadshow room see each other's chat, questions, upvotes and
interest; the moderator drives the agenda from the page; the calendar lists the roadshow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.users.models import Role
from tests.e2e.conftest import PHONE, assert_accessible, shot, sign_in

pytestmark = pytest.mark.e2e


async def _roadshow(state, organiser, startup_ids: list[str]) -> str:
    from backend.roadshows.service import roadshow_service

    roadshow = await roadshow_service(state).schedule(organiser, {
        "title_zh": "西城园金融科技专场路演", "title_en": "Xicheng Fintech Roadshow",
        "starts_at": datetime.now(UTC) + timedelta(minutes=2), "industry_focus": ["fintech"],
        "agenda": [{"startup_id": s, "pitch_minutes": 10, "qa_minutes": 5, "stream_url": None} for s in startup_ids],
        "audience": "registered"})
    return str(roadshow.id)


def test_two_pages_in_one_room_see_each_others_chat_and_questions(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Roadshow Incubator", name_zh="路演测试孵化器")
    admin = make_user("e2e-rs-admin", Role.admin, display_name="主持人小王")
    make_user("e2e-rs-investor", Role.investor, display_name="西城科创基金", organisation="西城科创基金")
    startups = []
    for n, (zh, en) in enumerate((("链信科技", "ChainTrust"), ("普惠金服", "Inclusive FinServ")), start=1):
        startup = live_server.run_coroutine(live_server.state.startups.insert(
            {"_id": f"e2e-rs-startup-{n}", "name_zh": zh, "name_en": en, "incubator_id": incubator,
             "industry": "fintech"}))
        startups.append(startup.id)
    roadshow_id = live_server.run_coroutine(_roadshow(live_server.state, admin, startups))
    _upload_slides(live_server, roadshow_id, "e2e-rs-admin", [(11, 92, 173), (30, 107, 53)])

    moderator, investor = open_page(), open_page(viewport=PHONE)
    sign_in(moderator, "e2e-rs-admin")
    moderator.goto("/pages/roadshows.html")
    moderator.wait_for_selector(f"[data-roadshow='{roadshow_id}']")
    assert "西城园金融科技专场路演" in moderator.inner_text("#upcoming")
    shot(moderator, "roadshow-calendar")
    moderator.click(f"[data-roadshow='{roadshow_id}'] a.button")
    moderator.wait_for_selector("body[data-joined='true']")
    moderator.click("#mod-start")
    moderator.wait_for_selector("#mod-first")
    moderator.click("#mod-first")
    moderator.wait_for_selector("#current-startup:has-text('链信科技')")

    sign_in(investor, "e2e-rs-investor")
    investor.goto(f"/pages/room.html?id={roadshow_id}")
    investor.wait_for_selector("body[data-joined='true']")
    investor.wait_for_selector("#current-startup:has-text('链信科技')")
    assert investor.locator("#moderator").is_hidden()
    # the slide: the moderator turns the page, the investor's page follows
    investor.wait_for_selector("#slide img[alt='幻灯片第 1 / 2 页']")
    moderator.click("#moderator button:has-text('下一页')")
    investor.wait_for_selector("#slide img[alt='幻灯片第 2 / 2 页']")
    investor.wait_for_function("() => document.querySelector('#slide img').naturalWidth === 64")  # the image itself loads

    # chat both ways
    investor.fill("#chat-input", "请问目前的融资轮次？")
    investor.click("#chat-send")
    moderator.wait_for_selector("#chat-list li:has-text('请问目前的融资轮次？')")
    moderator.fill("#chat-input", "欢迎各位投资人")
    moderator.click("#chat-send")
    investor.wait_for_selector("#chat-list li:has-text('欢迎各位投资人')")

    # a question, upvoted on the other page
    investor.fill("#qa-input", "核心技术是否已申请专利？")
    investor.click("#qa-send")
    moderator.wait_for_selector("#qa-list li:has-text('核心技术是否已申请专利？')")
    moderator.click("#qa-list li:has-text('核心技术是否已申请专利？') .upvote")
    investor.wait_for_selector("#qa-list li:has-text('核心技术是否已申请专利？') .upvote:has-text('1')")

    # the investor's interest reaches the moderator; both see two viewers
    investor.click("#interested")
    moderator.wait_for_selector("#agenda li:has-text('1 位投资人感兴趣')")
    moderator.wait_for_selector("#viewer-count:has-text('2 人在线')")
    investor.wait_for_selector("#viewer-count:has-text('2 人在线')")
    shot(moderator, "roadshow-room-moderator")
    shot(investor, "roadshow-room-investor-phone")
    assert_accessible(moderator)
    assert_accessible(investor)

    # the investor's socket drops: the page says so, reconnects by itself, rejoins with the last seq it
    # saw (a resume, not a fresh snapshot) and keeps receiving, without duplicates
    live_server.run_coroutine(_drop_sockets(live_server.state, f"room:{roadshow_id}", "e2e-rs-investor"))
    investor.wait_for_selector("body[data-disconnects='1']", state="attached")
    moderator.fill("#chat-input", "断线期间的消息")
    moderator.click("#chat-send")
    investor.wait_for_selector("body[data-reconnects='1']", state="attached")
    investor.wait_for_selector("#chat-list li:has-text('断线期间的消息')")
    assert investor.get_attribute("body", "data-last-join") == "resumed"
    assert investor.locator("#offline").is_hidden()
    assert investor.locator("#chat-list li:has-text('欢迎各位投资人')").count() == 1, "no duplicates after resume"

    # the moderator ends it; the room then shows the record: attendance and the transcript
    moderator.once("dialog", lambda dialog: dialog.accept())
    moderator.click("#mod-end")
    investor.wait_for_selector("#room-status:has-text('已结束')")
    moderator.goto(f"/pages/room.html?id={roadshow_id}")
    moderator.wait_for_selector("#transcript li:has-text('请问目前的融资轮次？')")
    assert "共 2 人观看" in moderator.inner_text("#analytics-summary")
    assert "投资意向 1 个" in moderator.inner_text("#analytics-summary")
    shot(moderator, "roadshow-record")
    assert not moderator.errors and not investor.errors


async def _drop_sockets(state, topic: str, username: str) -> None:
    from cloud_incubator.broadcast import broadcaster

    for connection in broadcaster(state).hub.members(topic):
        if connection.user is not None and connection.user.username == username:
            connection.kill(1012, "test.restart")


def _png(rgb: tuple[int, int, int], size: int = 64) -> bytes:
    """A plain one-colour PNG, made by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _upload_slides(live_server, roadshow_id: str, username: str, colours) -> None:
    import httpx

    from tests.conftest import TEST_PASSWORD, operation

    with httpx.Client(base_url=live_server.http_url, timeout=30) as http:
        login = http.post("/graphql", json={"query": operation("Login"), "operationName": "Login",
                                            "variables": {"username": username, "password": TEST_PASSWORD}})
        token = login.json()["data"]["login"]["token"]
        files = [("files", (f"slide{n}.png", _png(c), "image/png")) for n, c in enumerate(colours, start=1)]
        response = http.post(f"/api/roadshows/{roadshow_id}/pitches/0/slides", files=files,
                             headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 201), response.text


def test_a_manager_schedules_a_roadshow_from_the_calendar(open_page, make_user, make_incubator, live_server):
    from zoneinfo import ZoneInfo

    incubator = make_incubator("Scheduling Incubator", name_zh="排期测试孵化器")
    make_user("e2e-rs-manager", Role.manager, incubator_id=incubator, display_name="排期管理员")
    for n, (zh, en) in enumerate((("云图科技", "Cloud Atlas"), ("数据桥", "DataBridge")), start=1):
        live_server.run_coroutine(live_server.state.startups.insert(
            {"_id": f"e2e-sched-{n}", "name_zh": zh, "name_en": en, "incubator_id": incubator, "industry": "digital"}))
    page = open_page(viewport=PHONE)
    sign_in(page, "e2e-rs-manager")
    page.goto("/pages/roadshows.html")
    page.click("#schedule summary")
    page.fill("#title_zh", "数字产业专场路演")
    page.fill("#title_en", "Digital Industry Roadshow")
    page.fill("#starts_at", "2020-01-01T10:00")          # in the past
    page.fill("#agenda-0-pitch_minutes", "90")           # over 60
    page.click("#schedule-submit")
    page.wait_for_selector("#err-starts_at:has-text('开始时间已过')")
    assert page.inner_text("#err-agenda-0-pitch_minutes") == "路演时长为 1 至 60 分钟。"
    shot(page, "roadshow-schedule-errors-phone")

    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).strftime("%Y-%m-%dT14:30")
    page.fill("#starts_at", tomorrow)
    page.fill("#agenda-0-pitch_minutes", "12")
    page.click("#add-pitch")
    page.select_option("#agenda-1-startup_id", "e2e-sched-2")
    page.check("input[name=industry][value=digital]")
    page.click("#schedule-submit")
    page.wait_for_selector("#upcoming li:has-text('数字产业专场路演')")
    card = page.inner_text("#upcoming li:has-text('数字产业专场路演')")
    assert "14:30" in card and "2 个项目" in card and "云图科技 · 数据桥" in card
    assert_accessible(page)
    assert not page.errors
