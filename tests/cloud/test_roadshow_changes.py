"""Organisers edit, reschedule and cancel a roadshow that has not started (GraphQL); whoever waits in
its room is told live (``room.updated``, ``room.status`` cancelled), and a cancelled room admits no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.users.models import Role
from tests.cloud.conftest import Park, Sockets, schedule, start
from tests.conftest import error_codes


async def test_an_edit_and_a_reschedule_reach_the_room_live(park: Park, sockets: Sockets) -> None:
    host = park.user("edit-host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-ed-1", "Editable One"), park.startup("s-ed-2", "Editable Two")])
    viewer = await sockets.connect(park.user("edit-viewer", Role.investor))
    await viewer.ok("room.join", {"room_id": room})
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    result = await park.op("UpdateRoadshow", {"id": room, "input": {"titleZh": "改期后的路演", "startsAt": later.isoformat()}},
                           host)
    assert result["data"]["updateRoadshow"]["titleZh"] == "改期后的路演", result
    event = await viewer.event("room.updated")
    assert event["data"]["title_zh"] == "改期后的路演" and event["data"]["title_en"] == "Test roadshow"
    assert datetime.fromisoformat(event["data"]["starts_at"].replace("Z", "+00:00")) == later
    assert [a["startup_name_en"] for a in event["data"]["agenda"]] == ["Editable One", "Editable Two"]
    assert isinstance(event["seq"], int), "logged, so a client that resumes gets it too"
    # a late joiner's snapshot has the new values
    other = await sockets.connect(park.user("edit-late", Role.investor))
    snapshot = (await other.ok("room.join", {"room_id": room}))["snapshot"]
    assert snapshot["roadshow"]["title_zh"] == "改期后的路演"


async def test_cancel_tells_the_room_and_closes_it(park: Park, sockets: Sockets) -> None:
    host = park.user("cancel-host", Role.manager, incubator_id=park.incubator())
    outsider = park.user("cancel-outsider", Role.evaluator)   # park staff, not this roadshow's organiser
    room = schedule(park, host, [park.startup("s-cx", "Cancelled Pitch")])
    viewer_user = park.user("cancel-viewer", Role.investor)
    viewer = await sockets.connect(viewer_user)
    await viewer.ok("room.join", {"room_id": room})

    assert error_codes(await park.op("CancelRoadshow", {"id": room}, outsider)) == ["FORBIDDEN"]
    assert error_codes(await park.op("CancelRoadshow", {"id": room}, viewer_user)) == ["FORBIDDEN"]
    result = await park.op("CancelRoadshow", {"id": room}, host)
    assert result["data"]["cancelRoadshow"]["status"] == "CANCELLED", result
    status = await viewer.event("room.status")
    assert status["data"]["status"] == "cancelled"
    assert (await viewer.request("chat.send", {"room_id": room, "text": "hello?"}))["code"] == "room.cancelled"
    late = await sockets.connect(park.user("cancel-late", Role.investor))
    assert (await late.request("room.join", {"room_id": room}))["code"] == "room.cancelled"
    # once cancelled, neither cancelled again nor edited nor started
    assert error_codes(await park.op("CancelRoadshow", {"id": room}, host)) == ["CONFLICT"]
    assert error_codes(await park.op("UpdateRoadshow", {"id": room, "input": {"titleZh": "x"}}, host)) == ["CONFLICT"]
    assert error_codes(await park.op("StartRoadshow", {"id": room}, host)) == ["CONFLICT"]
    # the calendar still lists it, as cancelled
    listed = (await park.op("RoadshowCalendar", {}, viewer_user))["data"]["roadshows"]
    assert [r["status"] for r in listed if r["id"] == room] == ["CANCELLED"]


async def test_a_live_roadshow_is_ended_not_cancelled(park: Park, sockets: Sockets) -> None:
    host = park.user("live-host", Role.manager, incubator_id=park.incubator())
    room = schedule(park, host, [park.startup("s-lv", "Live Pitch")])
    start(park, host, room)
    assert error_codes(await park.op("CancelRoadshow", {"id": room}, host)) == ["CONFLICT"]
