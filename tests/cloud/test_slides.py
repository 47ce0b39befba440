"""Slide uploads: who may upload, when, what (sniffed types, sizes), replacing a deck, who may read."""

from __future__ import annotations

from typing import Any

from backend.roadshows import slides
from backend.roadshows.slides import signed_slide_url
from backend.users.models import Role
from tests.cloud.conftest import Park, schedule, start, token_for
from tests.pdfs import blank_pdf, object_stream_pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF_1 = blank_pdf(1)


async def _upload(park: Park, room: str, index: int, user: Any, files: list[tuple[str, bytes, str]]) -> Any:
    return await park.http.post(f"/api/roadshows/{room}/pitches/{index}/slides",
                                files=[("files", f) for f in files],
                                headers={"Authorization": f"Bearer {token_for(user)}"} if user else {})


async def test_upload_rules_and_serving(park: Park, monkeypatch: Any) -> None:
    incubator = park.incubator()
    host = park.user("host", Role.manager, incubator_id=incubator)
    presenter = park.user("pres", Role.startup, startup_id=park.startup("s-up", "Uploader", incubator))
    room = schedule(park, host, [park.startup("s-first", "First"), "s-up"], audience="invited",
                    invited_user_ids=[park.user("guest", Role.investor).id])
    outsider = park.user("nosy", Role.investor)

    assert (await _upload(park, room, 1, None, [("a.png", PNG, "image/png")])).status_code == 401
    assert (await _upload(park, room, 9, presenter, [("a.png", PNG, "image/png")])).status_code == 404
    # Declared image/png but it is text: the bytes decide.
    bad = await _upload(park, room, 1, presenter, [("a.png", b"<html>hi</html>", "image/png")])
    assert bad.status_code == 415 and bad.json()["code"] == "SLIDES_BAD_TYPE" and bad.json()["message_zh"]
    mixed = await _upload(park, room, 1, presenter, [("a.pdf", PDF_1, "application/pdf"), ("b.png", PNG, "image/png")])
    assert mixed.status_code == 400 and mixed.json()["code"] == "SLIDES_MIXED"
    empty_pdf = await _upload(park, room, 1, presenter, [("a.pdf", b"%PDF-1.4 nothing", "application/pdf")])
    assert empty_pdf.json()["code"] == "SLIDES_BAD_PDF" and "cannot be read" in empty_pdf.json()["message_en"]
    no_pages = await _upload(park, room, 1, presenter, [("a.pdf", blank_pdf(0), "application/pdf")])
    assert no_pages.json()["code"] == "SLIDES_BAD_PDF" and no_pages.json()["message_en"] == "The PDF has no pages."
    monkeypatch.setattr(slides, "MAX_FILE_BYTES", 1000)
    big = await _upload(park, room, 1, presenter, [("big.png", PNG + b"\x00" * 2000, "image/png")])
    assert big.status_code == 413 and big.json()["code"] == "SLIDES_TOO_LARGE"
    monkeypatch.undo()

    first = await _upload(park, room, 1, presenter, [("1.png", PNG, "image/png"), ("2.jpg", JPEG, "image/jpeg")])
    assert first.status_code == 201 and first.json()["pages"] == 2
    second = await _upload(park, room, 1, presenter, [("deck.pdf", PDF_1, "application/pdf")])
    assert second.status_code == 201 and second.json() | {"urls": None} == {
        "roadshow_id": room, "pitch_index": 1, "kind": "pdf", "pages": 1, "urls": None}
    # The replaced deck's files are gone; the new one is served to room members only.
    old = await park.http.get(first.json()["urls"][0])
    assert old.status_code == 404
    url = second.json()["urls"][0]
    bare = url.split("?")[0]
    assert (await park.http.get(url)).content == PDF_1                       # signed link
    assert (await park.http.get(bare, headers={"Authorization": f"Bearer {token_for(host)}"})).content == PDF_1
    assert (await park.http.get(bare, headers={"Authorization": f"Bearer {token_for(outsider)}"})).status_code == 403
    assert (await park.http.get(bare)).status_code == 401
    assert (await park.http.get(bare + "?exp=1&sig=abc")).json()["code"] == "BAD_SIGNATURE"
    expired = signed_slide_url(park.live.state, room, bare.rsplit("/", 1)[1], now=0)
    assert (await park.http.get(expired)).json()["code"] == "URL_EXPIRED"
    assert (await park.http.get(f"/api/roadshows/{room}/slides/not-an-id",
                                headers={"Authorization": f"Bearer {token_for(host)}"})).status_code == 404

    # Live, but this pitch has not started yet: uploads still allowed (locking is in test_roadshow_flow).
    start(park, host, room)
    assert (await _upload(park, room, 1, presenter, [("1.png", PNG, "image/png")])).status_code == 201


async def test_a_pdf_whose_pages_sit_in_an_object_stream_counts_them(park: Park) -> None:
    """PDF 1.5 writers pack page objects into compressed object streams: the deck of 3 pages built by
    hand in tests/pdfs.py (no '/Type /Page' in its bytes) is accepted as 3 pages, not refused as empty."""
    incubator = park.incubator()
    host = park.user("host", Role.manager, incubator_id=incubator)
    presenter = park.user("pres", Role.startup, startup_id=park.startup("s-os", "Packed", incubator))
    room = schedule(park, host, ["s-os"])
    answer = await _upload(park, room, 0, presenter, [("deck.pdf", object_stream_pdf(3), "application/pdf")])
    assert answer.status_code == 201, answer.json()
    assert answer.json()["kind"] == "pdf" and answer.json()["pages"] == 3
