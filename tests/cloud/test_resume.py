"""Reconnecting: resume from the last seq seen (missed events from the room log), a fresh snapshot when
too far behind, and a room that survives a server restart (everything is in MongoDB)."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.users.models import Role
from tests.cloud.conftest import Park, Sockets, schedule, start
from tests.conftest import LiveServer


async def test_reconnect_with_last_seq_receives_missed_events_in_order(park: Park, sockets: Sockets) -> None:
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-r1", "Resume One")])
    viewer = park.user("viewer", Role.investor)
    mod = await sockets.connect(host)
    await mod.ok("room.join", {"room_id": room})
    first = await sockets.connect(viewer)
    seen = (await first.ok("room.join", {"room_id": room}))["seq"]
    await first.close()
    sent = [await mod.ok("chat.send", {"room_id": room, "text": f"missed {n}"}) for n in range(3)]
    again = await sockets.connect(viewer)
    answer = await again.ok("room.join", {"room_id": room, "last_seq": seen})
    assert answer == {"resumed": True, "seq": sent[-1]["seq"], "missed": 3}
    missed = [await again.event("chat.message") for _ in range(3)]
    assert [m["data"]["text"] for m in missed] == ["missed 0", "missed 1", "missed 2"]
    assert [m["seq"] for m in missed] == [s["seq"] for s in sent] == [seen + 1, seen + 2, seen + 3]
    # Live events continue right after, with no duplicate.
    live = await mod.ok("chat.send", {"room_id": room, "text": "live"})
    event = await again.event("chat.message")
    assert (event["data"]["text"], event["seq"]) == ("live", live["seq"])
    assert len([e for e in again.events if e["event"] == "chat.message"]) == 4


async def test_a_resume_never_replays_the_text_of_a_question_hidden_since(park: Park, sockets: Sockets) -> None:
    """While a viewer is away, a spam question is asked, answered and hidden. Its resume carries the hide
    (and the question's id, without text, author or answer); a fair question asked meanwhile arrives whole.
    A moderator resuming from the same point still gets the hidden question's text."""
    host = park.user("host-h", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-rh", "Resume Hidden")])
    viewer_user = park.user("viewer-h", Role.investor)
    mod = await sockets.connect(host)
    seen = (await mod.ok("room.join", {"room_id": room}))["seq"]
    away = await sockets.connect(viewer_user)
    await away.ok("room.join", {"room_id": room})
    await away.close()
    asker = await sockets.connect(park.user("asker-h", Role.investor))
    await asker.ok("room.join", {"room_id": room})
    spam = await asker.ok("qa.ask", {"room_id": room, "text": "Buy SPAMCOIN now", "pitch_index": 0})
    await mod.ok("qa.answer", {"room_id": room, "question_id": spam["question_id"], "text": "re SPAMCOIN: no"})
    fair = await asker.ok("qa.ask", {"room_id": room, "text": "What is your margin?", "pitch_index": 0})
    hidden = await mod.ok("qa.hide", {"room_id": room, "question_id": spam["question_id"]})

    again = await sockets.connect(viewer_user)
    answer = await again.ok("room.join", {"room_id": room, "last_seq": seen})
    assert answer == {"resumed": True, "seq": hidden["seq"], "missed": 4}
    replay = [await again.event(name) for name in ("qa.asked", "qa.answered", "qa.asked", "qa.hidden")]
    assert [e["seq"] for e in replay] == [spam["seq"], spam["seq"] + 1, fair["seq"], hidden["seq"]]
    assert replay[0]["data"]["question_id"] == spam["question_id"] and replay[0]["data"]["hidden"] is True
    assert replay[0]["data"]["text"] == "" and replay[0]["data"]["author"] is None
    assert replay[1]["data"] == {"question_id": spam["question_id"], "answer": None}
    assert replay[2]["data"]["text"] == "What is your margin?" and replay[2]["data"]["hidden"] is False
    assert replay[3]["data"] == {"question_id": spam["question_id"], "hidden": True}
    assert not [f for f in again.frames if "SPAMCOIN" in str(f)]

    mod_again = await sockets.connect(host)
    await mod_again.ok("room.join", {"room_id": room, "last_seq": seen})
    asked = await mod_again.event("qa.asked")
    assert asked["data"]["text"] == "Buy SPAMCOIN now"
    assert (await mod_again.event("qa.answered"))["data"]["answer"]["text"] == "re SPAMCOIN: no"

    # While hidden nobody answers it (a moderator shows it first); shown again, the event carries it whole.
    assert (await mod.request("qa.answer", {"room_id": room, "question_id": spam["question_id"],
                                            "text": "SPAMCOIN again"}))["code"] == "qa.is_hidden"
    await mod.ok("qa.hide", {"room_id": room, "question_id": spam["question_id"], "hidden": False})
    shown = (await again.event("qa.hidden", lambda e: e["data"]["hidden"] is False))["data"]
    assert (shown["question"]["text"], shown["question"]["answer"]["text"]) == ("Buy SPAMCOIN now", "re SPAMCOIN: no")


async def test_a_presenter_cannot_answer_a_hidden_question(park: Park, sockets: Sockets) -> None:
    incubator = park.incubator()
    host = park.user("host-p", Role.manager, incubator_id=incubator)
    startup = park.startup("s-ph", "Presenter Hidden", incubator)
    presenter = park.user("presenter-p", Role.startup, startup_id=startup, incubator_id=incubator)
    room = schedule(park, host, [startup])
    mod = await sockets.connect(host)
    await mod.ok("room.join", {"room_id": room})
    pitcher = await sockets.connect(presenter)
    await pitcher.ok("room.join", {"room_id": room})
    asked = await mod.ok("qa.ask", {"room_id": room, "text": "Off-topic", "pitch_index": 0})
    await mod.ok("qa.hide", {"room_id": room, "question_id": asked["question_id"]})
    refused = await pitcher.request("qa.answer", {"room_id": room, "question_id": asked["question_id"], "text": "x"})
    assert refused["code"] == "qa.not_found"


async def test_too_far_behind_gets_a_fresh_snapshot(park: Park, sockets: Sockets) -> None:
    park.config(resume_max_events=2)
    host = park.user("host2", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-r2", "Resume Two")])
    mod = await sockets.connect(host)
    seen = (await mod.ok("room.join", {"room_id": room}))["seq"]
    for n in range(3):
        await mod.ok("chat.send", {"room_id": room, "text": f"m{n}"})
    viewer = await sockets.connect(park.user("viewer2", Role.investor))
    answer = await viewer.ok("room.join", {"room_id": room, "last_seq": seen})
    assert answer["resumed"] is False and answer["seq"] == seen + 3
    assert [m["text"] for m in answer["snapshot"]["chat"]] == ["m0", "m1", "m2"]


def _start_live(settings: Any) -> LiveServer:
    server = LiveServer(settings)
    original = server.server.startup

    async def startup(*args: Any, **kwargs: Any) -> None:
        server._loop = asyncio.get_running_loop()
        await original(*args, **kwargs)

    server.server.startup = startup  # type: ignore[method-assign]
    server.start()
    return server


async def test_room_survives_a_server_restart(park: Park, sockets: Sockets, settings: Any) -> None:
    host = park.user("host3", Role.manager, incubator_id=park.incubator())
    viewer_user = park.user("viewer3", Role.investor)
    room = schedule(park, host, [park.startup("s-r3", "Restart Co")])
    start(park, host, room)
    mod = await sockets.connect(host)
    await mod.ok("room.join", {"room_id": room})
    await mod.ok("pitch.next", {"room_id": room})
    viewer = await sockets.connect(viewer_user)
    seen = (await viewer.ok("room.join", {"room_id": room}))["seq"]
    said = await viewer.ok("chat.send", {"room_id": room, "text": "before the restart"})
    asked = await viewer.ok("qa.ask", {"room_id": room, "text": "Still there?"})
    await sockets.close_all()
    park.live.stop()

    restarted = _start_live(settings)
    try:
        after = Sockets(restarted.ws_url)
        again = await after.connect(viewer_user)
        resumed = await again.ok("room.join", {"room_id": room, "last_seq": seen})
        assert resumed["resumed"] and resumed["missed"] == asked["seq"] - seen
        events = [await again.event(name) for name in ("chat.message", "qa.asked")]
        assert [e["seq"] for e in events] == [said["seq"], asked["seq"]]
        fresh = await after.connect(host)
        snap = (await fresh.ok("room.join", {"room_id": room}))["snapshot"]
        assert snap["roadshow"]["status"] == "live" and snap["current"]["pitch_index"] == 0
        assert [m["text"] for m in snap["chat"]] == ["before the restart"]
        assert [q["text"] for q in snap["questions"]] == ["Still there?"]
        # Numbering continues after the restart.
        nxt = await fresh.ok("chat.send", {"room_id": room, "text": "after"})
        assert nxt["seq"] == asked["seq"] + 1
        await after.close_all()
    finally:
        restarted.stop()
