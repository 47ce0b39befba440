"""Attendance after a crash: an app process that dies leaves its attendance rows open (no leave time).
Each process rewrites its room presence row every couple of seconds, so a row's last proof of presence is
its process's last presence write; rows are closed there when the roadshow ends, when the same user
rejoins, and at start-up, and the analytics never count an open row past it. Crashes are simulated by
writing the dead process's rows directly."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.exceptions import ConnectionClosed

from backend.roadshows.analytics import close_time
from backend.users.models import Role
from cloud_incubator.broadcast import broadcaster
from tests.cloud.conftest import Park, Sockets, schedule, start
from tests.cloud.test_resume import _start_live
from tests.waiting import until


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def crashed(park: Park, room: str, user_id: str, origin: str, joined: datetime, last_presence: datetime | None) -> None:
    """What a process that died leaves behind: an open attendance row and its last presence write."""
    db = park.live.state.db

    async def write() -> None:
        await db["room_attendance"].insert_one({"roadshow_id": room, "user_id": user_id, "origin": origin,
                                                "joined_at": joined, "left_at": None})
        if last_presence is not None:
            await db["room_presence"].replace_one(
                {"_id": f"{room}:{origin}"},
                {"roadshow_id": room, "origin": origin, "at": last_presence,
                 "people": [{"user_id": user_id, "name": user_id, "organisation": "", "role": "investor"}]},
                upsert=True)
    park.run(write())


def rows(park: Park, room: str) -> dict[tuple[str, str], Any]:
    async def read() -> dict[tuple[str, str], Any]:
        return {(d["user_id"], d["origin"]): d["left_at"]
                async for d in park.live.state.db["room_attendance"].find({"roadshow_id": room})}
    return park.run(read())  # type: ignore[no-any-return]


def set_times(park: Park, room: str, **times: datetime) -> None:
    park.run(park.live.state.db["roadshows"].update_one({"_id": room}, {"$set": times}))


async def test_ending_closes_a_crashed_process_attendance_at_its_last_presence(park: Park) -> None:
    """Live from S0 for an hour (times written directly). ghost joined at 10 min on a process whose last
    presence write was at 25 min (it crashed); stayer joined at 50 min on a process still running. At the
    end ghost's row closes at 25 min, stayer's at the end time. A row left open past the end (late: joined at
    30 min, its process last seen at 35 min) counts until 35 min. With the end set at exactly 60 min:
    ghost 10–25, late 30–35, stayer 50–60 never overlap → peak 1, 3 viewers, average (15 + 5 + 10)/60 = 0.5.
    (Counting open rows until the end gave ghost 10–60: peak 2, average 1.0.)"""
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-at", "Attendance")])
    start(park, host, room)
    s0 = whole_seconds(datetime.now(UTC)) - timedelta(hours=1)
    set_times(park, room, started_at=s0)
    crashed(park, room, "ghost", "crashed-proc", s0 + timedelta(minutes=10), s0 + timedelta(minutes=25))
    crashed(park, room, "stayer", "alive-proc", s0 + timedelta(minutes=50), datetime.now(UTC))
    ended = await park.op("EndRoadshow", {"id": room}, host)
    assert "errors" not in ended, ended
    end_time = park.run(park.live.state.db["roadshows"].find_one({"_id": room}))["ended_at"]
    closed = rows(park, room)
    assert closed == {("ghost", "crashed-proc"): s0 + timedelta(minutes=25), ("stayer", "alive-proc"): end_time}

    crashed(park, room, "late", "late-proc", s0 + timedelta(minutes=30), s0 + timedelta(minutes=35))
    set_times(park, room, ended_at=s0 + timedelta(minutes=60))
    result = await park.op("RoadshowAnalytics", {"id": room}, host)
    analytics = result["data"]["roadshowAnalytics"]
    assert (analytics["uniqueViewers"], analytics["peakViewers"], analytics["averageViewers"],
            analytics["durationSeconds"]) == (3, 1, 0.5, 3600.0)


async def test_rejoining_closes_the_users_attendance_left_open_by_a_dead_process(park: Park,
                                                                                  sockets: Sockets) -> None:
    """The viewer's earlier connection was on a process that died 15 min ago (row open, last presence then);
    another of their connections is on a process that is still running. Rejoining closes the dead one at
    its last presence, keeps the running one open and opens this process's own; leaving closes only that."""
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    viewer_user = park.user("viewer", Role.investor)
    room = schedule(park, host, [park.startup("s-rj", "Rejoin")])
    start(park, host, room)
    now = whole_seconds(datetime.now(UTC))
    crashed(park, room, viewer_user.id, "crashed-proc", now - timedelta(minutes=20), now - timedelta(minutes=15))
    crashed(park, room, viewer_user.id, "alive-proc", now - timedelta(minutes=5), datetime.now(UTC))
    viewer = await sockets.connect(viewer_user)
    await viewer.ok("room.join", {"room_id": room})
    here = broadcaster(park.live.state).origin
    after_join = rows(park, room)
    assert after_join == {(viewer_user.id, "crashed-proc"): now - timedelta(minutes=15),
                          (viewer_user.id, "alive-proc"): None, (viewer_user.id, here): None}
    await viewer.ok("room.leave", {"room_id": room})
    after_leave = rows(park, room)
    assert after_leave[(viewer_user.id, "alive-proc")] is None and after_leave[(viewer_user.id, here)] is not None


async def test_start_up_closes_attendance_of_ended_roadshows_and_of_dead_processes(park: Park, sockets: Sockets,
                                                                                    settings: Any) -> None:
    """Before a restart: roadshow A ended (S0 to S0 + 60 min) with a row of a process last seen at 20 min
    and one of a process still running (someone who stayed connected after the end); roadshow B is live with
    a row of a process last seen 20 min ago and one of a running process. After start-up: A's rows close at
    20 min and at A's end; B's dead row closes at its last presence, the running one stays open. A viewer
    still connected when the server is stopped cleanly has left by the time it is back."""
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    room_a = schedule(park, host, [park.startup("s-sa", "Start A")])
    room_b = schedule(park, host, [park.startup("s-sb", "Start B")])
    for room in (room_a, room_b):
        start(park, host, room)
    assert "errors" not in await park.op("EndRoadshow", {"id": room_a}, host)
    s0 = whole_seconds(datetime.now(UTC)) - timedelta(hours=2)
    set_times(park, room_a, started_at=s0, ended_at=s0 + timedelta(minutes=60))
    now = whole_seconds(datetime.now(UTC))
    crashed(park, room_a, "gone", "crashed-a", s0 + timedelta(minutes=5), s0 + timedelta(minutes=20))
    crashed(park, room_a, "stayed", "alive-a", s0 + timedelta(minutes=50), datetime.now(UTC))
    crashed(park, room_b, "gone", "crashed-b", now - timedelta(minutes=30), now - timedelta(minutes=20))
    crashed(park, room_b, "here", "alive-b", now - timedelta(minutes=3), datetime.now(UTC))
    viewer_user = park.user("viewer", Role.investor)
    viewer = await sockets.connect(viewer_user)
    await viewer.ok("room.join", {"room_id": room_b})
    stopped = broadcaster(park.live.state).origin
    park.live.stop()

    restarted = _start_live(settings)
    try:
        park.live = restarted
        assert rows(park, room_a) == {("gone", "crashed-a"): s0 + timedelta(minutes=20),
                                      ("stayed", "alive-a"): s0 + timedelta(minutes=60)}
        after = rows(park, room_b)
        assert after.pop((viewer_user.id, stopped)) is not None
        assert after == {("gone", "crashed-b"): now - timedelta(minutes=20), ("here", "alive-b"): None}
    finally:
        restarted.stop()


async def test_a_client_that_went_silent_left_when_it_was_last_heard_from(park: Park, sockets: Sockets) -> None:
    """A client whose network vanished sends no close: the server drops it after the heartbeat timeout
    (here 3 s without a frame). Its attendance ends at its last frame (the join), not at the drop."""
    silence = 3.0
    park.config(heartbeat_interval=0.25, heartbeat_timeout=silence)
    host = park.user("host", Role.manager, incubator_id=park.incubator())
    viewer_user = park.user("viewer", Role.investor)
    room = schedule(park, host, [park.startup("s-si", "Silent")])
    start(park, host, room)
    viewer = await sockets.connect(viewer_user)
    await viewer.ok("room.join", {"room_id": room})
    with contextlib.suppress(ConnectionClosed):
        while True:
            await viewer.recv()  # server pings, unanswered
    assert viewer.socket.close_code == 4408

    async def closed_row() -> dict[str, Any] | None:  # the server closes the row just after the socket
        found = await park.live.state.db["room_attendance"].find_one({"roadshow_id": room})
        return found if found and found["left_at"] is not None else None

    closed = await until(lambda: park.run(closed_row()), "the attendance row to be closed")
    # at the join, not at the drop (which came `silence` seconds after the last frame)
    assert closed["left_at"] - closed["joined_at"] < timedelta(seconds=silence / 2)


def test_close_time_by_hand() -> None:
    """Now 11:00, a process counts as gone after 30 s without proof. Row joined 10:00 on process p.
    p last wrote presence at 10:20 → gone, close at 10:20; at 10:59:50 → running, keep open; never → 10:00.
    Roadshow ended 10:40: running → 10:40, gone since 10:20 → 10:20. The rejoining process (dead_origin)
    holds no connection of the user: its own row closes at its last presence even though it is running.
    A row joined at 10:50, after an end at 10:40, closes at its join (nothing to count)."""
    def hm(hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(2026, 5, 1, hour, minute, second, tzinfo=UTC)

    row = {"roadshow_id": "r", "origin": "p", "joined_at": hm(10, 0)}
    stale, now = timedelta(seconds=30), hm(11, 0)
    seen = {("r", "p"): hm(10, 20)}
    fresh = {("r", "p"): hm(10, 59, 50)}
    assert close_time(row, seen, now, stale, None) == hm(10, 20)
    assert close_time(row, fresh, now, stale, None) is None
    assert close_time(row, {}, now, stale, None) == hm(10, 0)
    assert close_time(row, fresh, now, stale, hm(10, 40)) == hm(10, 40)
    assert close_time(row, seen, now, stale, hm(10, 40)) == hm(10, 20)
    assert close_time(row, fresh, now, stale, None, dead_origin="p") == hm(10, 59, 50)
    late = {**row, "joined_at": hm(10, 50)}
    assert close_time(late, seen, now, stale, hm(10, 40)) == hm(10, 50)
