"""A whole roadshow as its users live it: scheduled over GraphQL, slides uploaded, a live room driven
by moderators over /ws/v1 (agenda, countdown, slides, chat, Q&A, reactions, interest, moderation),
ended, then transcript and analytics over GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.users.models import Role
from cloud_incubator.rooms.runtime import runtime
from tests.cloud.conftest import Park, Sockets, token_for
from tests.conftest import error_codes
from tests.pdfs import blank_pdf

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF_2_PAGES = blank_pdf(2)


def iso(value: datetime) -> str:
    return value.isoformat()


def path(url: str) -> str:
    """A slide URL without its signature (which changes every few hours)."""
    return url.split("?")[0]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_full_roadshow_from_schedule_to_transcript(park: Park, sockets: Sockets) -> None:
    park.config(reaction_interval=3600, presence_interval=3600)  # flushed by hand below
    incubator = park.incubator()
    manager = park.user("mgr", Role.manager, incubator_id=incubator, organisation="Room Test Incubator")
    a = park.startup("s-a", "Alpha Robotics", incubator)
    b = park.startup("s-b", "Beta Ledger", incubator)
    park.startup("s-c", "Gamma Idle", incubator)
    startup_a = park.user("alpha", Role.startup, startup_id=a, incubator_id=incubator)
    startup_b = park.user("beta", Role.startup, startup_id=b, incubator_id=incubator)
    startup_c = park.user("gamma", Role.startup, startup_id="s-c", incubator_id=incubator)
    inv1 = park.user("inv1", Role.investor, organisation="Xicheng Fund")
    inv2 = park.user("inv2", Role.investor, organisation="Spam Capital")
    inv3 = park.user("inv3", Role.investor, organisation="Late Angels")

    # -- scheduling (GraphQL) -----------------------------------------------------------------------
    starts = datetime.now(UTC) + timedelta(hours=1)
    result = await park.op("ScheduleRoadshow", {"input": {
        "titleZh": "金融科技路演", "titleEn": "Fintech roadshow", "startsAt": iso(starts),
        "industryFocus": ["fintech"], "audience": "INVESTORS",
        "agenda": [{"startupId": a, "pitchMinutes": 10, "qaMinutes": 5, "streamUrl": "https://live.example.com/a"},
                   {"startupId": b, "pitchMinutes": 8, "qaMinutes": 0}]}}, manager)
    assert "errors" not in result, result
    show = result["data"]["scheduleRoadshow"]
    room = show["id"]
    assert show["status"] == "SCHEDULED" and show["organiserId"] == manager.id and show["canModerate"]
    assert [i["startupNameEn"] for i in show["agenda"]] == ["Alpha Robotics", "Beta Ledger"]

    # -- slides, uploaded beforehand by each presenting startup -----------------------------------
    up = await park.http.post(f"/api/roadshows/{room}/pitches/0/slides",
                              files=[("files", (f"p{n}.png", PNG, "image/png")) for n in (1, 2, 3)],
                              headers={"Authorization": f"Bearer {token_for(startup_a)}"})
    assert up.status_code == 201, up.text
    assert up.json()["pages"] == 3 and up.json()["kind"] == "images"
    up = await park.http.post(f"/api/roadshows/{room}/pitches/1/slides",
                              files=[("files", ("deck.pdf", PDF_2_PAGES, "application/pdf"))],
                              headers={"Authorization": f"Bearer {token_for(startup_b)}"})
    assert up.status_code == 201 and up.json()["pages"] == 2, up.text
    wrong = await park.http.post(f"/api/roadshows/{room}/pitches/1/slides",
                                 files=[("files", ("deck.pdf", PDF_2_PAGES, "application/pdf"))],
                                 headers={"Authorization": f"Bearer {token_for(startup_a)}"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "FORBIDDEN"
    urls = up.json()["urls"]
    served = await park.http.get(urls[0])  # a signed link, as room members get it
    assert served.status_code == 200 and served.content == PDF_2_PAGES
    assert served.headers["content-type"] == "application/pdf"
    tampered = await park.http.get(urls[0].replace("sig=", "sig=0"))
    assert tampered.status_code == 403 and tampered.json()["code"] == "BAD_SIGNATURE"

    # -- joining while scheduled ----------------------------------------------------------------
    mod = await sockets.connect(manager)
    joined = await mod.ok("room.join", {"room_id": room})
    assert joined["snapshot"]["roadshow"]["status"] == "scheduled" and joined["snapshot"]["me"]["moderator"]
    c1 = await sockets.connect(inv1)
    c2 = await sockets.connect(inv2)
    ca = await sockets.connect(startup_a)
    cb = await sockets.connect(startup_b)
    for client in (c1, c2, ca, cb):
        snap = (await client.ok("room.join", {"room_id": room}))["snapshot"]
        assert snap["agenda"][0]["slides"]["pages"] == 3 and snap["agenda"][1]["slides"]["kind"] == "pdf"
        assert snap["agenda"][0]["stream_url"] == "https://live.example.com/a"
        assert not snap["me"]["moderator"]
    outsider = await sockets.connect(startup_c)
    refused = await outsider.request("room.join", {"room_id": room})
    assert refused["type"] == "error" and refused["code"] == "room.forbidden"
    early = await c1.request("pitch.next", {"room_id": room})
    assert early["code"] == "room.not_moderator"

    # -- live ------------------------------------------------------------------------------------
    result = await park.op("StartRoadshow", {"id": room}, manager)
    assert result["data"]["startRoadshow"]["status"] == "LIVE", result
    for client in (mod, c1, c2, ca, cb):
        assert (await client.event("room.status"))["data"]["status"] == "live"
    current = await mod.ok("pitch.next", {"room_id": room})
    assert current["pitch_index"] == 0 and current["phase"] == "pitch"
    # Server-authoritative countdown: ends 10 minutes (the agenda's pitch length) after it started.
    assert parse(current["ends_at"]) - parse(current["started_at"]) == timedelta(minutes=10)
    changed = await c1.event("pitch.changed")
    assert changed["data"]["pitch_index"] == 0 and changed["data"]["stream_url"] == "https://live.example.com/a"
    assert (await c1.event("slide.changed"))["data"]["page"] == 1

    # The presenter changes slide, everyone follows; an investor may not.
    slide = await ca.ok("slide.set", {"room_id": room, "page": 2})
    for client in (mod, c1, c2, cb):
        event = await client.event("slide.changed", lambda e: e["data"]["page"] == 2)
        assert path(event["data"]["url"]) == path(slide["url"]) and event["data"]["pitch_index"] == 0
    assert (await c1.request("slide.set", {"room_id": room, "page": 1}))["code"] == "slide.not_presenter"
    assert (await ca.request("slide.set", {"room_id": room, "page": 4}))["code"] == "slide.out_of_range"

    # Chat reaches everyone with the room's seq.
    sent = await c1.ok("chat.send", {"room_id": room, "text": "很棒的项目 Great project"})
    for client in (mod, c2, ca, cb):
        message = await client.event("chat.message")
        assert message["data"]["text"] == "很棒的项目 Great project" and message["seq"] == sent["seq"]
        assert message["data"]["author"]["organisation"] == "Xicheng Fund"

    # Q&A: ask, upvote once, answer by the presenter, pin by a moderator.
    asked = await c2.ok("qa.ask", {"room_id": room, "text": "What is your revenue model?"})
    qid = asked["question_id"]
    assert (await c1.ok("qa.upvote", {"room_id": room, "question_id": qid}))["upvotes"] == 1
    assert (await c1.request("qa.upvote", {"room_id": room, "question_id": qid}))["code"] == "qa.already_upvoted"
    await ca.ok("qa.answer", {"room_id": room, "question_id": qid, "text": "SaaS licences."})
    await mod.ok("qa.pin", {"room_id": room, "question_id": qid})
    assert (await c1.request("qa.pin", {"room_id": room, "question_id": qid}))["code"] == "room.not_moderator"
    answered = await c2.event("qa.answered")
    assert answered["data"]["answer"]["text"] == "SaaS licences."
    assert (await c2.event("qa.pinned"))["data"]["pinned"] is True

    # A late joiner gets one snapshot with everything needed to render the room.
    c3 = await sockets.connect(inv3)
    late = await c3.ok("room.join", {"room_id": room})
    snap = late["snapshot"]
    assert snap["roadshow"]["status"] == "live" and snap["current"]["pitch_index"] == 0
    assert snap["current"]["phase"] == "pitch" and snap["current"]["ends_at"] == current["ends_at"]
    assert snap["slide"]["page"] == 2 and path(snap["slide"]["url"]) == path(slide["url"])
    assert [m["text"] for m in snap["chat"]] == ["很棒的项目 Great project"]
    [question] = snap["questions"]
    assert question["upvotes"] == 1 and question["pinned"] and question["answer"]["text"] == "SaaS licences."
    assert late["seq"] >= sent["seq"] and "people" not in snap["presence"]

    # Moderators see who is here from which organisation.
    presence = await mod.ok("presence.get", {"room_id": room})
    assert presence["count"] == 6
    assert {p["organisation"] for p in presence["people"]} >= {"Xicheng Fund", "Spam Capital", "Late Angels"}
    assert set(await c1.ok("presence.get", {"room_id": room})) == {"count"}

    # Reactions are aggregated: three clicks, one event.
    for _ in range(3):
        await c3.ok("reaction.send", {"room_id": room, "kind": "clap"})
    await c1.ok("reaction.send", {"room_id": room, "kind": "fire"})
    park.run(runtime(park.live.state)._reaction_tick())
    reactions = await c2.event("reactions")
    assert reactions["data"]["counts"] == {"clap": 3, "fire": 1} and reactions["data"]["pitch_index"] == 0

    # An investor's interest becomes a lead for matchmaking.
    await c1.ok("interest.signal", {"room_id": room})
    assert (await c1.request("interest.signal", {"room_id": room}))["code"] == "interest.duplicate"
    assert (await ca.request("interest.signal", {"room_id": room}))["code"] == "interest.not_investor"
    interest = await mod.event("interest.signalled")
    assert interest["data"] == {"pitch_index": 0, "startup_id": a, "count": 1}
    assert (await mod.event("interest.detail"))["data"]["investor"]["id"] == inv1.id
    leads = park.run(_leads(park, room))
    assert [(x["investor_user_id"], x["startup_id"], x["roadshow_id"], x["pitch_index"]) for x in leads] == [
        (inv1.id, a, room, 0)]

    # Moderation: remove a message, mute, then remove the spammer.
    spam = await c2.ok("chat.send", {"room_id": room, "text": "BUY TOKENS NOW"})
    await mod.ok("message.remove", {"room_id": room, "message_id": spam["message_id"]})
    assert (await c1.event("chat.removed"))["data"]["message_id"] == spam["message_id"]
    again = await mod.request("message.remove", {"room_id": room, "message_id": spam["message_id"]})
    assert again["code"] == "message.not_found"
    await mod.ok("participant.mute", {"room_id": room, "user_id": inv2.id})
    assert (await c2.request("chat.send", {"room_id": room, "text": "hello?"}))["code"] == "room.muted"
    await mod.ok("participant.remove", {"room_id": room, "user_id": inv2.id})
    assert (await c2.event("room.removed"))["data"]["room_id"] == room
    assert (await c2.request("chat.send", {"room_id": room, "text": "x"}))["code"] == "room.not_joined"
    assert (await c2.request("room.join", {"room_id": room}))["code"] == "room.removed"
    assert (await mod.request("participant.mute", {"room_id": room, "user_id": manager.id}))["code"] == \
        "participant.is_moderator"

    # Through the agenda: Q&A of pitch 0 (5 min), pitch 1 (8 min, no Q&A), then done; then end.
    qa = await mod.ok("pitch.next", {"room_id": room})
    assert qa["phase"] == "qa" and parse(qa["ends_at"]) - parse(qa["started_at"]) == timedelta(minutes=5)
    second = await mod.ok("pitch.next", {"room_id": room})
    assert (second["pitch_index"], second["phase"]) == (1, "pitch")
    assert path((await cb.ok("slide.set", {"room_id": room, "page": 2}))["url"]) == path(urls[0])
    await c3.ok("qa.ask", {"room_id": room, "text": "Which banks use it?"})
    done = await mod.ok("pitch.next", {"room_id": room})
    assert done["phase"] == "done"
    assert (await mod.request("pitch.next", {"room_id": room}))["code"] == "pitch.finished"
    locked = await park.http.post(f"/api/roadshows/{room}/pitches/1/slides",
                                  files=[("files", ("deck.pdf", PDF_2_PAGES, "application/pdf"))],
                                  headers={"Authorization": f"Bearer {token_for(startup_b)}"})
    assert locked.status_code == 409 and locked.json()["code"] == "SLIDES_LOCKED"
    result = await park.op("EndRoadshow", {"id": room}, manager)
    assert result["data"]["endRoadshow"]["status"] == "ENDED", result
    assert (await c1.event("room.status", lambda e: e["data"]["status"] == "ended"))
    assert (await c1.request("chat.send", {"room_id": room, "text": "bye"}))["code"] == "room.ended"

    # -- after the event (GraphQL) -------------------------------------------------------------
    transcript = await park.op("RoadshowTranscript", {"id": room}, manager)
    assert "errors" not in transcript, transcript
    entries = transcript["data"]["roadshowTranscript"]["entries"]
    assert [(e["kind"], e["text"], e["pitchIndex"]) for e in entries] == [
        ("chat", "很棒的项目 Great project", 0),
        ("question", "What is your revenue model?", 0),
        ("interest", "", 0),
        ("question", "Which banks use it?", 1),
    ]  # the removed spam message is not in it
    assert entries[1]["answer"] == "SaaS licences." and entries[1]["upvotes"] == 1
    assert (await park.op("RoadshowTranscript", {"id": room}, startup_a))["data"] is not None
    # The record is every participant's (the room was open to investors): an investor reads it with only
    # their own interest in it; a startup the room was not open to may not.
    mine = (await park.op("RoadshowTranscript", {"id": room}, inv1))["data"]["roadshowTranscript"]["entries"]
    assert [(e["kind"], e["authorName"]) for e in mine if e["kind"] == "interest"] == [("interest", "Inv1")]
    theirs = (await park.op("RoadshowTranscript", {"id": room}, inv3))["data"]["roadshowTranscript"]["entries"]
    assert [e["kind"] for e in theirs] == ["chat", "question", "question"], "others' interest stays private"
    assert (await park.op("RoadshowAnalytics", {"id": room}, inv3))["data"]["roadshowAnalytics"]["uniqueViewers"] == 6
    assert error_codes(await park.op("RoadshowTranscript", {"id": room}, startup_c)) == ["FORBIDDEN"]
    assert error_codes(await park.op("RoadshowAnalytics", {"id": room}, startup_c)) == ["FORBIDDEN"]

    analytics = (await park.op("RoadshowAnalytics", {"id": room}, startup_b))["data"]["roadshowAnalytics"]
    # Viewers: mgr, inv1, inv2, alpha, beta were in before the start, inv3 joined during pitch 0 → 6 at
    # the peak; inv2 was removed during pitch 0, so pitch 1 had the other 5. (gamma was refused.)
    assert analytics["uniqueViewers"] == 6 and analytics["peakViewers"] == 6
    assert analytics["questions"] == 2 and analytics["interestCount"] == 1
    assert [(p["index"], p["viewers"], p["questions"], p["interestCount"], p["reactions"])
            for p in analytics["pitches"]] == [(0, 6, 1, 1, 4), (1, 5, 1, 0, 0)]
    assert 0 < analytics["averageViewers"] <= 6


async def _leads(park: Park, room: str) -> list[dict[str, Any]]:
    return [d async for d in park.live.state.db["leads"].find({"roadshow_id": room})]
