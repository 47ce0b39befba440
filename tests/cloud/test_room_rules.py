"""Room rules beyond the main flow: countdown end, presence pushes, chat limits, hidden questions,
invitation-only rooms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.users.models import Role
from cloud_incubator.rooms.runtime import now, runtime
from tests.cloud.conftest import Park, Sockets, schedule, start


async def _shorten_phase(state: Any, room: str, seconds: float) -> str:
    """Make the running phase end in ``seconds`` (as if its length had been that short)."""
    rt = runtime(state)
    roadshow = await rt.repo.update_if(room, {}, {"$set": {"phase_ends_at": now() + timedelta(seconds=seconds)}})
    assert roadshow is not None and roadshow.phase_ends_at is not None
    rt.remember(roadshow)
    rt.arm_countdown(roadshow)
    return roadshow.phase_ends_at.isoformat()


async def test_countdown_end_is_announced_by_the_server(park: Park, sockets: Sockets) -> None:
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-cd", "Countdown")])
    start(park, host, room)
    mod = await sockets.connect(host)
    viewer = await sockets.connect(park.user("viewer", Role.investor))
    await mod.ok("room.join", {"room_id": room})
    await viewer.ok("room.join", {"room_id": room})
    await mod.ok("pitch.next", {"room_id": room})
    park.run(_shorten_phase(park.live.state, room, 0.3))
    ended = await viewer.event("countdown.ended")
    assert (ended["data"]["pitch_index"], ended["data"]["phase"]) == (0, "pitch") and "seq" in ended
    # Moving on re-arms the countdown for the Q&A (5 minutes), so nothing else is announced meanwhile.
    qa = await mod.ok("pitch.next", {"room_id": room})
    assert qa["phase"] == "qa"


async def test_presence_is_pushed_with_organisations_for_moderators_only(park: Park, sockets: Sockets) -> None:
    park.config(presence_interval=0.2)
    host = park.user("host", Role.manager, incubator_id=park.incubator(), organisation="Park Office")
    room = schedule(park, host, [park.startup("s-pr", "Presence")])
    mod = await sockets.connect(host)
    viewer = await sockets.connect(park.user("viewer", Role.investor, organisation="Seed Fund"))
    await mod.ok("room.join", {"room_id": room})
    await viewer.ok("room.join", {"room_id": room})
    seen = await viewer.event("presence", lambda e: e["data"]["count"] == 2)
    assert seen["data"] == {"count": 2}
    detail = await mod.event("presence.detail", lambda e: e["data"]["count"] == 2)
    assert sorted(p["organisation"] for p in detail["data"]["people"]) == ["Park Office", "Seed Fund"]
    assert not [e for e in viewer.events if e["event"] == "presence.detail"]
    await viewer.close()
    assert (await mod.event("presence", lambda e: e["data"]["count"] == 1))["data"]["count"] == 1


async def test_chat_length_and_rate_limits(park: Park, sockets: Sockets) -> None:
    park.config(chat_max_length=20, chat_rate="3/60 second")
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-ch", "Chatty")])
    mod = await sockets.connect(host)
    viewer = await sockets.connect(park.user("viewer", Role.investor))
    await mod.ok("room.join", {"room_id": room})
    await viewer.ok("room.join", {"room_id": room})
    long = await viewer.request("chat.send", {"room_id": room, "text": "x" * 21})
    assert long["code"] == "chat.too_long" and long["details"] == {"limit": 20, "length": 21}
    assert (await viewer.request("chat.send", {"room_id": room, "text": "   "}))["code"] == "chat.empty"
    for n in range(3):
        await viewer.ok("chat.send", {"room_id": room, "text": f"hi {n}"})
    assert (await viewer.request("chat.send", {"room_id": room, "text": "hi 3"}))["code"] == "chat.rate_limited"
    for n in range(5):  # moderators are not rate-limited
        await mod.ok("chat.send", {"room_id": room, "text": f"mod {n}"})


async def test_hidden_questions_leave_snapshots_except_for_moderators(park: Park, sockets: Sockets) -> None:
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-qa", "Questions")])
    mod = await sockets.connect(host)
    asker = await sockets.connect(park.user("asker", Role.investor))
    await mod.ok("room.join", {"room_id": room})
    await asker.ok("room.join", {"room_id": room})
    assert (await asker.request("qa.ask", {"room_id": room, "text": "no pitch yet?"}))["code"] == "qa.no_pitch"
    keep = await asker.ok("qa.ask", {"room_id": room, "text": "Fair question", "pitch_index": 0})
    spam = await asker.ok("qa.ask", {"room_id": room, "text": "Spam question", "pitch_index": 0})
    await mod.ok("qa.hide", {"room_id": room, "question_id": spam["question_id"]})
    assert (await asker.event("qa.hidden"))["data"] == {"question_id": spam["question_id"], "hidden": True}
    late = await sockets.connect(park.user("late", Role.investor))
    snap = (await late.ok("room.join", {"room_id": room}))["snapshot"]
    assert [q["question_id"] for q in snap["questions"]] == [keep["question_id"]]
    assert (await late.request("qa.upvote", {"room_id": room, "question_id": spam["question_id"]}))["code"] == \
        "qa.not_found"
    mod_again = await sockets.connect(host)
    mod_snap = (await mod_again.ok("room.join", {"room_id": room}))["snapshot"]
    assert [(q["text"], q["hidden"]) for q in mod_snap["questions"]] == [("Fair question", False),
                                                                         ("Spam question", True)]


async def test_invitation_only_room(park: Park, sockets: Sockets) -> None:
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    guest = park.user("guest", Role.investor)
    room = schedule(park, host, [park.startup("s-inv", "Invited")], audience="invited", invited_user_ids=[guest.id])
    stranger = await sockets.connect(park.user("stranger", Role.investor))
    refused = await stranger.request("room.join", {"room_id": room})
    assert refused["code"] == "room.forbidden" and refused["details"] == {"audience": "invited"}
    invited = await sockets.connect(guest)
    assert (await invited.ok("room.join", {"room_id": room}))["snapshot"]["roadshow"]["audience"] == "invited"


async def test_reactions_count_for_the_pitch_they_were_sent_in(park: Park, sockets: Sockets) -> None:
    """Two claps during pitch 0, then the moderator moves to pitch 1 before the aggregation interval
    ends: the claps still belong to pitch 0 (event and analytics), one fire sent later to pitch 1."""
    park.config(reaction_interval=3600)  # flushed by hand
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-r0", "React Zero"), park.startup("s-r1", "React One")])
    start(park, host, room)
    mod = await sockets.connect(host)
    viewer = await sockets.connect(park.user("viewer", Role.investor))
    await mod.ok("room.join", {"room_id": room})
    await viewer.ok("room.join", {"room_id": room})
    await mod.ok("pitch.next", {"room_id": room})
    for _ in range(2):
        await viewer.ok("reaction.send", {"room_id": room, "kind": "clap"})
    await mod.ok("pitch.start", {"room_id": room, "index": 1})
    await viewer.ok("reaction.send", {"room_id": room, "kind": "fire"})
    park.run(runtime(park.live.state)._reaction_tick())
    events = [await viewer.event("reactions"), await viewer.event("reactions")]
    assert sorted((e["data"]["pitch_index"], e["data"]["counts"]) for e in events) == [  # type: ignore[type-var]
        (0, {"clap": 2}), (1, {"fire": 1})]
    stored = park.run(runtime(park.live.state).repo.roadshows.find_one({"_id": room}))
    assert stored["reactions"] == {"0": {"clap": 2}, "1": {"fire": 1}}


async def test_a_presenter_transcript_names_only_the_investors_interested_in_it(park: Park, sockets: Sockets) -> None:
    """In the room only moderators learn which investor is interested (``interest.detail``); after the
    event the organiser's transcript lists both investors' interest, startup A's only the one in A, and
    startup B's only the one in B."""
    incubator = park.incubator()
    host = park.user("host", Role.manager, incubator_id=incubator)
    a, b = park.startup("s-ta", "Transcript A", incubator), park.startup("s-tb", "Transcript B", incubator)
    alpha = park.user("alpha", Role.startup, startup_id=a, incubator_id=incubator)
    beta = park.user("beta", Role.startup, startup_id=b, incubator_id=incubator)
    fund_a = park.user("fund_a", Role.investor, display_name="Fund A")
    fund_b = park.user("fund_b", Role.investor, display_name="Fund B")
    room = schedule(park, host, [a, b])
    start(park, host, room)
    for investor, index in ((fund_a, 0), (fund_b, 1)):
        client = await sockets.connect(investor)
        await client.ok("room.join", {"room_id": room})
        await client.ok("interest.signal", {"room_id": room, "pitch_index": index})
    assert "errors" not in await park.op("EndRoadshow", {"id": room}, host)

    async def interest(user: Any) -> list[tuple[str, int]]:
        result = await park.op("RoadshowTranscript", {"id": room}, user)
        assert "errors" not in result, result
        return sorted((e["authorName"], e["pitchIndex"]) for e in result["data"]["roadshowTranscript"]["entries"]
                      if e["kind"] == "interest")

    assert await interest(host) == [("Fund A", 0), ("Fund B", 1)]
    assert await interest(alpha) == [("Fund A", 0)]
    assert await interest(beta) == [("Fund B", 1)]


async def test_hidden_questions_do_not_count_in_the_analytics(park: Park, sockets: Sockets) -> None:
    """Two questions on pitch 0, one hidden by a moderator as spam: the analytics count 1 (as the
    transcript lists 1), for the roadshow and for the pitch."""
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-hq", "Hidden Q")])
    start(park, host, room)
    mod = await sockets.connect(host)
    asker = await sockets.connect(park.user("asker", Role.investor))
    await mod.ok("room.join", {"room_id": room})
    await asker.ok("room.join", {"room_id": room})
    await mod.ok("pitch.next", {"room_id": room})
    await asker.ok("qa.ask", {"room_id": room, "text": "Fair question"})
    spam = await asker.ok("qa.ask", {"room_id": room, "text": "Spam question"})
    await mod.ok("qa.hide", {"room_id": room, "question_id": spam["question_id"]})
    assert "errors" not in await park.op("EndRoadshow", {"id": room}, host)
    result = await park.op("RoadshowAnalytics", {"id": room}, host)
    analytics = result["data"]["roadshowAnalytics"]
    assert analytics["questions"] == 1 and [p["questions"] for p in analytics["pitches"]] == [1]
    transcript = await park.op("RoadshowTranscript", {"id": room}, host)
    assert [e["text"] for e in transcript["data"]["roadshowTranscript"]["entries"] if e["kind"] == "question"] == [
        "Fair question"]
