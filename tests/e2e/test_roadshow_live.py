"""The live room as the centre of a roadshow, in the browser: the presenter's card (no stray text) with
slide upload and ordering, the stream played in the page (HLS through the vendored hls.js, MP4 natively),
the ended state on an audience member's phone, the record an investor opens from 查看记录, and the
organiser's edit, reschedule and cancel from the calendar with the room told live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.users.models import Role
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, shot, sign_in
from tests.e2e.test_roadshow_room import _png, _upload_slides

pytestmark = pytest.mark.e2e
STREAM_HOST = "https://stream.example.test"
MEDIA_PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nseg0.ts\n#EXT-X-ENDLIST\n"


def _startups(live_server, incubator: str, prefix: str, names) -> list[str]:
    ids = []
    for n, (zh, en) in enumerate(names, start=1):
        startup = live_server.run_coroutine(live_server.state.startups.insert(
            {"_id": f"{prefix}-{n}", "name_zh": zh, "name_en": en, "incubator_id": incubator, "industry": "fintech"}))
        ids.append(startup.id)
    return ids


def _schedule(live_server, organiser, startup_ids: list[str], streams: list[str | None] | None = None,
              audience: str = "registered") -> str:
    from backend.roadshows.service import roadshow_service

    streams = streams or [None] * len(startup_ids)
    roadshow = live_server.run_coroutine(roadshow_service(live_server.state).schedule(organiser, {
        "title_zh": "西城园硬科技专场路演", "title_en": "Xicheng Deep-Tech Roadshow",
        "starts_at": datetime.now(UTC) + timedelta(hours=2), "industry_focus": ["fintech"],
        "agenda": [{"startup_id": s, "pitch_minutes": 10, "qa_minutes": 5, "stream_url": u}
                   for s, u in zip(startup_ids, streams, strict=True)],
        "audience": audience}))
    return str(roadshow.id)


def _english(page) -> None:
    page.goto("/index.html")
    page.evaluate("localStorage.setItem('incubench.lang', 'en')")


def _thumb_widths(page, pitch: int) -> list[int]:
    return page.evaluate(f"[...document.querySelectorAll('#slides-{pitch}-order img')].map((i) => i.naturalWidth)")


def test_the_presenter_uploads_and_orders_slides_from_the_room(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Slides Incubator", name_zh="幻灯片测试孵化器")
    admin = make_user("e2e-sl-admin", Role.admin, display_name="主持人老周")
    first, second = _startups(live_server, incubator, "e2e-sl", (("量子云", "Quantum Cloud"), ("芯桥", "ChipBridge")))
    make_user("e2e-sl-startup", Role.startup, startup_id=first, display_name="量子云路演人")
    room = _schedule(live_server, admin, [first, second])

    presenter = open_page(viewport=PHONE)
    sign_in(presenter, "e2e-sl-startup")
    presenter.goto(f"/pages/room.html?id={room}")
    presenter.wait_for_selector("body[data-joined='true']")
    presenter.wait_for_selector("#moderator h2:has-text('演示控制')")
    assert "null" not in presenter.inner_text("#moderator"), "the presenter's card shows no stray 'null'"
    # only the presenter's own pitch can be given slides
    assert presenter.locator("#slides-0").count() == 1 and presenter.locator("#slides-1").count() == 0
    assert "尚未上传幻灯片" in presenter.inner_text("#slides-0-summary")

    # a wrong file is refused next to the picker, before anything is sent
    presenter.set_input_files("#slides-0-file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    assert "只接受 PDF、PNG、JPEG 或 WebP 文件" in presenter.inner_text("#slides-0-error")

    # two images, the second moved up before uploading
    presenter.set_input_files("#slides-0-file", files=[
        {"name": "cover.png", "mimeType": "image/png", "buffer": _png((11, 92, 173), 64)},
        {"name": "team.png", "mimeType": "image/png", "buffer": _png((30, 107, 53), 32)}])
    assert presenter.inner_text("#slides-0-order li:first-child .slide-name") == "1. cover.png"
    presenter.click("#slides-0-order li:nth-child(2) button[aria-label='上移 team.png']")
    assert presenter.inner_text("#slides-0-order li:first-child .slide-name") == "1. team.png"
    presenter.click("#slides-0-send")
    presenter.wait_for_selector("#slides-0-summary:has-text('已上传 2 张图片')")
    presenter.wait_for_function("() => [...document.querySelectorAll('#slides-0-order img')].every((i) => i.naturalWidth > 0)")
    assert _thumb_widths(presenter, 0) == [32, 64], "uploaded in the order chosen"
    shot(presenter, "room-presenter-slides-phone")
    assert_accessible(presenter)

    # the uploaded deck reordered: the cover back in front
    presenter.click("#slides-0-order li:nth-child(2) button[aria-label='上移 第 2 页']")
    with presenter.expect_response(lambda r: r.url.endswith(f"/api/roadshows/{room}/pitches/0/slides")) as sent:
        presenter.click("#slides-0-send:has-text('保存新顺序')")
    assert sent.value.status == 201 and sent.value.json()["pages"] == 2
    presenter.wait_for_selector("#slides-0-send[disabled]:has-text('保存新顺序')")   # nothing left to save
    presenter.wait_for_function("() => [...document.querySelectorAll('#slides-0-order img')].every((i) => i.naturalWidth > 0)")
    assert _thumb_widths(presenter, 0) == [64, 32]

    # in the room the first slide is the cover
    moderator = open_page()
    sign_in(moderator, "e2e-sl-admin")
    moderator.goto(f"/pages/room.html?id={room}")
    moderator.wait_for_selector("body[data-joined='true']")
    assert "null" not in moderator.inner_text("#moderator")
    moderator.click("#mod-start")
    moderator.click("#mod-first")
    presenter.wait_for_selector("#slide img[alt='幻灯片第 1 / 2 页']")
    presenter.wait_for_function("() => document.querySelector('#slide img').naturalWidth === 64")
    # slides of a pitch under way are locked: its uploader is gone, the next startup's remains for the moderator
    presenter.wait_for_selector("#slides-0", state="detached")
    assert moderator.locator("#slides-1").count() == 1
    assert not presenter.errors and not moderator.errors


def test_the_stream_plays_in_the_page_hls_and_mp4(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Stream Incubator", name_zh="直播测试孵化器")
    admin = make_user("e2e-st-admin", Role.admin, display_name="Host")
    make_user("e2e-st-investor", Role.investor, display_name="Westside Capital", organisation="Westside Capital")
    startups = _startups(live_server, incubator, "e2e-st", (("光年", "Lightyear"), ("星河", "Galaxy")))
    room = _schedule(live_server, admin, startups, [f"{STREAM_HOST}/live/index.m3u8", f"{STREAM_HOST}/vod/pitch.mp4"])

    requested: list[str] = []

    def serve_stream(route) -> None:
        url = route.request.url
        requested.append(url)
        if url.endswith(".m3u8"):
            route.fulfill(status=200, body=MEDIA_PLAYLIST, headers={"Content-Type": "application/vnd.apple.mpegurl",
                                                                     "Access-Control-Allow-Origin": "*"})
        else:
            route.fulfill(status=404, body="", headers={"Access-Control-Allow-Origin": "*"})

    moderator, viewer = open_page(), open_page(viewport=PHONE)
    viewer.route(f"{STREAM_HOST}/**", serve_stream)
    moderator.route(f"{STREAM_HOST}/**", serve_stream)
    _english(moderator)
    sign_in(moderator, "e2e-st-admin")
    moderator.goto(f"/pages/room.html?id={room}")
    moderator.wait_for_selector("body[data-joined='true']")
    moderator.click("#mod-start")
    moderator.click("#mod-first")

    _english(viewer)
    sign_in(viewer, "e2e-st-investor")
    viewer.goto(f"/pages/room.html?id={room}")
    viewer.wait_for_selector("#current-startup:has-text('Lightyear')")
    # HLS: hls.js (served by the app, not a CDN) fetched and parsed the playlist
    viewer.wait_for_selector("#stream-video[data-player='hls.js'][data-levels='1']", state="attached")
    assert f"{STREAM_HOST}/live/index.m3u8" in requested
    assert viewer.get_attribute("#player a", "href") == f"{STREAM_HOST}/live/index.m3u8"
    assert viewer.inner_text("#player a") == "Open the stream in a new tab"
    shot(viewer, "room-player-hls-en-phone")
    assert_accessible(viewer)

    # the next pitch's MP4 plays in the browser's own player
    moderator.click("#mod-next")   # pitch → Q&A
    moderator.click("#mod-next")   # → the second pitch
    viewer.wait_for_selector("#current-startup:has-text('Galaxy')")
    viewer.wait_for_selector("#stream-video[data-player='native']", state="attached")
    assert viewer.evaluate("document.querySelector('#stream-video').src") == f"{STREAM_HOST}/vod/pitch.mp4"
    shot(moderator, "room-player-mp4-en-desktop")
    assert not viewer.errors and not moderator.errors


def _answer_next_dialog(page, text: str) -> None:
    page.once("dialog", lambda dialog: dialog.accept(text))


def test_the_end_reaches_a_phone_and_an_investor_reads_the_record(open_page, make_user, make_incubator, live_server):
    incubator = make_incubator("Record Incubator", name_zh="记录测试孵化器")
    admin = make_user("e2e-rec-admin", Role.admin, display_name="主持人小李")
    make_user("e2e-rec-investor", Role.investor, display_name="中关村天使", organisation="中关村天使基金")
    make_user("e2e-rec-investor2", Role.investor, display_name="Second Fund", organisation="Second Fund")
    startups = _startups(live_server, incubator, "e2e-rec", (("绿能", "GreenPower"), ("医联", "MedLink")))
    room = _schedule(live_server, admin, startups)
    _upload_slides(live_server, room, "e2e-rec-admin", [(11, 92, 173), (30, 107, 53)])

    moderator, investor = open_page(), open_page(viewport=PHONE)
    sign_in(moderator, "e2e-rec-admin")
    moderator.goto(f"/pages/room.html?id={room}")
    moderator.wait_for_selector("body[data-joined='true']")
    moderator.click("#mod-start")
    moderator.click("#mod-first")
    sign_in(investor, "e2e-rec-investor")
    investor.goto(f"/pages/room.html?id={room}")
    investor.wait_for_selector("#current-startup:has-text('绿能')")
    # on the phone the stage comes first, the agenda after it
    assert investor.locator("#stage-title").bounding_box()["y"] < investor.locator("#agenda-title").bounding_box()["y"]
    investor.fill("#chat-input", "储能方案很有意思")
    investor.click("#chat-send")
    investor.fill("#qa-input", "目前的毛利率是多少？")
    investor.click("#qa-send")
    moderator.wait_for_selector("#qa-list li:has-text('目前的毛利率是多少？')")
    _answer_next_dialog(moderator, "约 35%。")
    moderator.click("#qa-list li:has-text('目前的毛利率是多少？') button:has-text('回答')")
    investor.wait_for_selector("#qa-list li:has-text('约 35%。')")
    investor.click("#interested")
    investor.wait_for_selector("#interested[disabled]")
    investor.wait_for_selector("#viewer-count:has-text('2 人在线')")

    # the moderator ends it: the phone says so at once, shows nobody online and accepts nothing more
    moderator.once("dialog", lambda dialog: dialog.accept())
    moderator.click("#mod-end")
    investor.wait_for_selector("#room-status:has-text('已结束')")
    assert investor.locator("#viewer-count").is_hidden()
    assert "项目路演中" not in investor.inner_text("#current-pitch")
    assert "路演已结束" in investor.inner_text("#current-pitch")
    for control in ("#chat-input", "#chat-send", "#qa-input", "#qa-send", "#interested"):
        assert investor.is_disabled(control), control
    assert investor.locator("#reactions button:not([disabled])").count() == 0
    assert investor.locator("#qa-list button:not([disabled])").count() == 0, "no upvotes after the end"
    assert investor.locator("#agenda li[aria-current='true']").count() == 0, "no pitch is under way any more"
    assert "主持人已结束本场路演" in investor.inner_text("#room-ended")
    shot(investor, "room-ended-phone")

    # …and opens the record from there: agenda, Q&A with the answer, chat, their own interest, analytics
    investor.click("#open-record")
    investor.wait_for_selector("#record")
    assert "绿能" in investor.inner_text("#record-agenda") and "医联" in investor.inner_text("#record-agenda")
    assert investor.locator("#record-agenda li[data-pitch='0'] img.slide-thumb").count() == 2   # the slides shown
    investor.wait_for_function("() => [...document.querySelectorAll('#record-agenda img')].every((i) => i.naturalWidth === 64)")
    qa = investor.inner_text("#record-qa")
    assert "目前的毛利率是多少？" in qa and "约 35%。" in qa
    assert "储能方案很有意思" in investor.inner_text("#transcript")
    assert "中关村天使" in investor.inner_text("#record-interest")
    assert "共 2 人观看" in investor.inner_text("#analytics-summary")
    shot(investor, "room-record-phone")
    assert_accessible(investor)

    # another investor, in English, opens "View record" from the calendar and sees the record, not "ended"
    other = open_page(viewport=DESKTOP)
    _english(other)
    sign_in(other, "e2e-rec-investor2")
    other.goto("/pages/roadshows.html")
    other.click(f"[data-roadshow='{room}'] a.button:has-text('View record')")
    other.wait_for_selector("#record")
    assert "What is" not in other.inner_text("#record-qa")  # the question as asked, with its answer
    assert "目前的毛利率是多少？" in other.inner_text("#record-qa") and "约 35%。" in other.inner_text("#record-qa")
    assert "No investor interest to show you." in other.inner_text("#record-interest"), "others' interest stays private"
    assert "2 viewers" in other.inner_text("#analytics-summary")
    shot(other, "room-record-en-desktop")
    assert_accessible(other)
    assert not investor.errors and not other.errors and not moderator.errors


def test_the_organiser_edits_reschedules_and_cancels_and_the_room_is_told(open_page, make_user, make_incubator,
                                                                           live_server):
    incubator = make_incubator("Editing Incubator", name_zh="改期测试孵化器")
    make_user("e2e-ed-manager", Role.manager, incubator_id=incubator, display_name="改期管理员")
    make_user("e2e-ed-investor", Role.investor, display_name="观众投资人")
    _startups(live_server, incubator, "e2e-ed", (("云帆", "CloudSail"), ("数智", "DataWise")))
    park = ZoneInfo("Asia/Shanghai")
    tomorrow = (datetime.now(park) + timedelta(days=1)).strftime("%Y-%m-%d")
    later = (datetime.now(park) + timedelta(days=3)).strftime("%Y-%m-%d")

    manager = open_page(viewport=PHONE)
    sign_in(manager, "e2e-ed-manager")
    manager.goto("/pages/roadshows.html")
    manager.click("#schedule summary")
    manager.fill("#title_zh", "云计算专场路演")
    manager.fill("#title_en", "Cloud Roadshow")
    manager.fill("#starts_at", f"{tomorrow} 9:70")
    assert "不是有效的日期时间" in manager.inner_text("#starts_at-hint")
    manager.fill("#starts_at", f"{tomorrow} 09:30")
    assert manager.inner_text("#starts_at-hint").startswith("即 ") and "9:30" in manager.inner_text("#starts_at-hint")
    manager.click("#schedule-submit")
    manager.wait_for_selector("#upcoming li:has-text('云计算专场路演')")
    # the form is empty again: a second click schedules nothing
    assert manager.input_value("#title_zh") == "" and manager.input_value("#starts_at") == ""
    manager.click("#schedule-submit")
    manager.wait_for_selector("#err-title_zh:has-text('标题不能为空')")
    assert manager.locator("#upcoming li:has-text('云计算专场路演')").count() == 1
    room = manager.get_attribute("#upcoming li:has-text('云计算专场路演')", "data-roadshow")
    from backend.roadshows.repository import RoadshowRepository

    rows = live_server.run_coroutine(RoadshowRepository(live_server.state.db).listing(None, 50, None))
    assert [r.title_zh for r in rows].count("云计算专场路演") == 1

    # an investor waits in the room
    investor = open_page(viewport=PHONE)
    sign_in(investor, "e2e-ed-investor")
    investor.goto(f"/pages/room.html?id={room}")
    investor.wait_for_selector("body[data-joined='true']")

    # edit and reschedule: the investor's room follows live
    manager.click(f"[data-edit='{room}']")
    assert manager.input_value("#title_zh") == "云计算专场路演"
    assert manager.input_value("#starts_at") == f"{tomorrow} 09:30"
    manager.fill("#title_zh", "云计算与数据专场路演")
    manager.fill("#starts_at", f"{later} 15:00")
    manager.click("#schedule-submit")
    manager.wait_for_selector("#upcoming li:has-text('云计算与数据专场路演')")
    assert manager.locator("#upcoming li").count() == 1, "edited in place, not duplicated"
    investor.wait_for_selector("#room-title:has-text('云计算与数据专场路演')")
    investor.wait_for_selector("#notice:has-text('组织方更新了路演安排')")
    assert "15:00" in investor.inner_text("#notice")
    shot(manager, "roadshows-edit-phone")

    # cancel: the room says so and accepts nothing more; the calendar lists it as cancelled
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.click(f"[data-cancel='{room}']")
    manager.wait_for_selector(f"#past [data-roadshow='{room}'] .badge:has-text('已取消')")
    investor.wait_for_selector("#room-ended:has-text('本场路演已取消')")
    assert investor.is_disabled("#chat-input") and investor.is_disabled("#qa-send")
    shot(investor, "room-cancelled-phone")
    investor.reload()
    investor.wait_for_selector("#room-title:has-text('本场路演已取消')")
    assert_accessible(manager)
    assert not manager.errors and not investor.errors
