"""``.ics`` downloads (parsed back by ``icalendar``) and attachment uploads, with the bearer token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import icalendar
from bson import Binary

from tests.bookings.conftest import iso, next_weekday

PDF = b"%PDF-1.7\n" + b"0" * 1000


def vevents(body: bytes) -> list[icalendar.cal.Component]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


async def test_booking_ics_then_reschedule_then_cancel_keep_the_uid(gql, park, client):
    startup = await park.startup()
    token = park.token(startup)
    headers = {"Authorization": f"Bearer {token}"}
    tuesday, thursday = next_weekday(1), next_weekday(3)
    booking = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "10:00", question="PCT, 申请; 问题")},
                            token=token))["data"]["bookIpSlot"]
    response = await client.get(booking["icsUrl"], headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    (event,) = vevents(response.content)
    uid = str(event["UID"])
    assert uid == f"booking-{booking['id']}@incubench"
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    # Tuesday 10:00–11:00 Asia/Shanghai = 02:00–03:00 UTC
    assert event.decoded("DTSTART").astimezone(UTC) == datetime.fromisoformat(iso(tuesday, "10:00")).astimezone(UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert "PCT, 申请; 问题" in str(event["DESCRIPTION"]) and "Desheng IP Desk" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "线上 Online"
    assert "专利申请" in str(event["SUMMARY"])

    await gql.op("RescheduleIpBooking", {"bookingId": booking["id"], "start": iso(thursday, "14:00")}, token=token)
    (moved,) = vevents((await client.get(booking["icsUrl"], headers=headers)).content)
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").astimezone(UTC) == datetime.fromisoformat(iso(thursday, "14:00")).astimezone(UTC)

    await gql.op("CancelIpBooking", {"bookingId": booking["id"]}, token=token)
    (cancelled,) = vevents((await client.get(booking["icsUrl"], headers=headers)).content)
    assert str(cancelled["UID"]) == uid and int(cancelled["SEQUENCE"]) == 2 and str(cancelled["STATUS"]) == "CANCELLED"


async def test_advisor_schedule_ics_lists_every_booking_including_cancelled(gql, park, client):
    a, b = await park.startup(), await park.startup()
    tuesday = next_weekday(1)
    b1 = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "09:00")}, token=park.token(a)))["data"]["bookIpSlot"]
    b2 = (await gql.op("BookIpSlot", {"input": park.booking_values(tuesday, "11:00", mode="on_site")},
                       token=park.token(b)))["data"]["bookIpSlot"]
    await gql.op("CancelIpBooking", {"bookingId": b1["id"]}, token=park.token(a))
    url = f"/api/advisors/{park.advisor.id}/schedule.ics"
    response = await client.get(url, headers={"Authorization": f"Bearer {park.token(park.advisor)}"})
    events = {str(e["UID"]): e for e in vevents(response.content)}
    assert set(events) == {f"booking-{b1['id']}@incubench", f"booking-{b2['id']}@incubench"}
    assert str(events[f"booking-{b1['id']}@incubench"]["STATUS"]) == "CANCELLED"
    assert str(events[f"booking-{b2['id']}@incubench"]["LOCATION"]) == "德胜科技园 A 座 3 层"
    assert (await client.get(url)).status_code == 401
    denied = await client.get(url, headers={"Authorization": f"Bearer {park.token(a)}"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "FORBIDDEN"
    other = await client.get(b2["icsUrl"], headers={"Authorization": f"Bearer {park.token(a)}"})
    assert other.status_code == 403


async def test_attachment_upload_checks_size_and_type_and_stores_nothing_on_error(gql, park, client, state):
    startup = await park.startup()
    token = park.token(startup)
    booking = (await gql.op("BookIpSlot", {"input": park.booking_values(next_weekday(1), "09:00")}, token=token))["data"]["bookIpSlot"]
    url = f"/api/bookings/{booking['id']}/attachments"
    headers = {"Authorization": f"Bearer {token}"}
    ok = await client.post(url, headers=headers, files={"file": ("专利草案.pdf", PDF, "application/pdf")})
    assert ok.status_code == 201, ok.text
    too_big = await client.post(url, headers=headers,
                                files={"file": ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf")})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "ATTACHMENT_TOO_LARGE"
    disguised = await client.post(url, headers=headers, files={"file": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")})
    assert disguised.status_code == 415 and disguised.json()["error"]["code"] == "ATTACHMENT_TYPE"
    exe = await client.post(url, headers=headers, files={"file": ("x.exe", b"MZ\x90", "application/octet-stream")})
    assert exe.status_code == 415
    stranger = await park.startup()
    denied = await client.post(url, headers={"Authorization": f"Bearer {park.token(stranger)}"},
                               files={"file": ("a.pdf", PDF, "application/pdf")})
    assert denied.status_code == 403
    assert await state.db.ip_attachments.count_documents({}) == 1
    listed = (await gql.op("IpBooking", {"id": booking["id"]}, token=token))["data"]["ipBooking"]["attachments"]
    assert [(a["filename"], a["size"], a["contentType"]) for a in listed] == [("专利草案.pdf", len(PDF), "application/pdf")]
    download = await client.get(listed[0]["downloadUrl"], headers={"Authorization": f"Bearer {park.token(park.advisor)}"})
    assert download.status_code == 200 and download.content == PDF
    # saved under the name it was uploaded with (UTF-8 per RFC 5987), not the attachment's id
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"____.pdf\"; filename*=UTF-8''%E4%B8%93%E5%88%A9%E8%8D%89%E6%A1%88.pdf")
    assert (await client.get(listed[0]["downloadUrl"],
                             headers={"Authorization": f"Bearer {park.token(stranger)}"})).status_code == 404


async def _booking_for_uploads(gql, park) -> tuple[str, dict[str, str]]:
    startup = await park.startup()
    token = park.token(startup)
    booking = (await gql.op("BookIpSlot", {"input": park.booking_values(next_weekday(1), "10:00")},
                            token=token))["data"]["bookIpSlot"]
    return f"/api/bookings/{booking['id']}/attachments", {"Authorization": f"Bearer {token}"}


async def test_concurrent_uploads_store_exactly_five(gql, park, client, state):
    """12 uploads at once: 5 stored, 7 answered ATTACHMENT_LIMIT (the count is one conditional update)."""
    url, headers = await _booking_for_uploads(gql, park)
    responses = await asyncio.gather(*(client.post(url, headers=headers,
                                                   files={"file": (f"f{n}.pdf", PDF, "application/pdf")})
                                       for n in range(12)))
    assert sorted(r.status_code for r in responses) == [201] * 5 + [409] * 7
    assert {(r.json()["error"]["code"], r.json()["error"]["maxAttachments"], r.json()["error"]["field"])
            for r in responses if r.status_code == 409} == {("ATTACHMENT_LIMIT", 5, "file")}
    booking_id = url.split("/")[3]
    assert await state.db.ip_attachments.count_documents({"booking_id": booking_id}) == 5
    assert (await state.db.ip_bookings.find_one({"_id": booking_id}))["attachment_count"] == 5


async def test_attachments_stored_before_the_counter_existed_are_counted(gql, park, client, state):
    """A booking with 3 attachments and no counter yet (stored by an older version) takes 2 more."""
    url, headers = await _booking_for_uploads(gql, park)
    booking_id = url.split("/")[3]
    await state.db.ip_bookings.update_one({"_id": booking_id}, {"$unset": {"attachment_count": ""}})
    await state.db.ip_attachments.insert_many([
        {"_id": f"old{n}", "booking_id": booking_id, "filename": "old.pdf", "content_type": "application/pdf",
         "size": len(PDF), "uploaded_by": "x", "created_at": datetime.now(UTC), "data": Binary(PDF)} for n in range(3)])
    codes = [(await client.post(url, headers=headers, files={"file": ("n.pdf", PDF, "application/pdf")})).status_code
             for _ in range(3)]
    assert codes == [201, 201, 409]
    assert await state.db.ip_attachments.count_documents({"booking_id": booking_id}) == 5


async def test_a_failed_attachment_insert_gives_its_place_back(gql, park, client, state):
    url, headers = await _booking_for_uploads(gql, park)
    repo = park.service.repo
    original = repo.insert_attachment

    async def broken(document):
        raise RuntimeError("disk full")

    repo.insert_attachment = broken
    try:
        try:
            await client.post(url, headers=headers, files={"file": ("a.pdf", PDF, "application/pdf")})
        except RuntimeError:
            pass
    finally:
        repo.insert_attachment = original
    codes = [(await client.post(url, headers=headers, files={"file": ("a.pdf", PDF, "application/pdf")})).status_code
             for _ in range(6)]
    assert codes == [201] * 5 + [409]
