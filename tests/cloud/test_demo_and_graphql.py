"""Roadshow GraphQL: scheduling validation and permissions, demo data, analytics by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.demo.seed import DemoContext, seed_registry
from backend.roadshows.analytics import attendance_analytics
from backend.roadshows.demo import seed_roadshows
from backend.state import AppState
from backend.users.models import Role
from tests.conftest import error_codes

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_attendance_figures_worked_by_hand() -> None:
    """Live 10:00–10:60. a: 0–60; b: 10–30 and again 40–50 (two connections overlapping 20–25 count once);
    c: 20–? (no leave → until the end); d joins after the end (ignored).
    Concurrent viewers: 0–10: 1, 10–20: 2, 20–30: 3, 30–40: 2, 40–50: 3, 50–60: 2.
    Peak 3; average = (10·1 + 10·2 + 10·3 + 10·2 + 10·3 + 10·2) / 60 = 130/60 = 2.1667.
    Pitch 0 runs 0–25: a, b, c present (3 viewers), peak 3 (20–25), average (10·1 + 10·2 + 5·3)/25 = 1.8.
    Pitch 1 runs 25–60: a, b, c (3 viewers), peak 3, average (5·3 + 10·2 + 10·3 + 10·2)/35 = 85/35 = 2.43."""
    rows = [("a", at(0), at(60)), ("b", at(10), at(25)), ("b", at(20), at(30)), ("b", at(40), at(50)),
            ("c", at(20), None), ("d", at(70), at(80))]
    result = attendance_analytics(rows, at(0), at(60), [(0, at(0), at(25)), (1, at(25), at(60))])
    assert result["unique_viewers"] == 3 and result["peak_viewers"] == 3
    assert result["average_viewers"] == round(130 / 60, 2)
    assert result["pitches"] == [
        {"index": 0, "viewers": 3, "peak_viewers": 3, "average_viewers": 1.8},
        {"index": 1, "viewers": 3, "peak_viewers": 3, "average_viewers": round(85 / 35, 2)},
    ]


def test_a_restarted_pitch_counts_both_of_its_windows() -> None:
    """Pitch 0 ran 0–10 and again 20–30 (a moderator went back to it). a: 0–30; b: 5–8; c: 12–18 (only
    between the two windows, so not a viewer of pitch 0). Viewers 2, peak 2; person-minutes 10 + 3 + 10 =
    23 over 20 minutes → average 1.15."""
    rows = [("a", at(0), at(30)), ("b", at(5), at(8)), ("c", at(12), at(18))]
    result = attendance_analytics(rows, at(0), at(30), [(0, at(0), at(10)), (1, at(10), at(20)),
                                                        (0, at(20), at(30))])
    assert result["pitches"][0] == {"index": 0, "viewers": 2, "peak_viewers": 2, "average_viewers": 1.15}
    assert result["pitches"][1] == {"index": 1, "viewers": 2, "peak_viewers": 2, "average_viewers": 1.6}


def _input(startup: str, **overrides: Any) -> dict[str, Any]:
    values = {"titleZh": "路演", "titleEn": "Roadshow", "startsAt": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
              "audience": "REGISTERED", "agenda": [{"startupId": startup, "pitchMinutes": 10, "qaMinutes": 5}]}
    values.update(overrides)
    return {"input": values}


async def test_schedule_validation_reports_every_bad_field(gql: Any, people: Any, state: AppState) -> None:
    incubator = await people.incubator()
    await people.make("mgr", Role.manager, incubator_id=incubator)
    investor = await people.make("inv", Role.investor)
    await state.startups.insert({"_id": "s-ok", "name_zh": "好", "name_en": "Ok", "incubator_id": incubator})
    token = await gql.login("mgr")
    result = await gql.op("ScheduleRoadshow", _input(
        "s-ok", titleZh="  ", startsAt=(datetime.now(UTC) - timedelta(days=1)).isoformat(), industryFocus=["space"],
        moderatorIds=[investor.id], audience="INVITED",
        agenda=[{"startupId": "s-missing", "pitchMinutes": 0, "qaMinutes": 90, "streamUrl": "javascript:alert(1)"}]),
        token=token)
    # Field paths name the GraphQL input fields (camelCase, list items as [i]), as in every other area.
    fields = sorted(e["extensions"]["field"] for e in result["errors"])
    assert fields == sorted(["titleZh", "startsAt", "industryFocus", "agenda[0].startupId",
                             "agenda[0].pitchMinutes", "agenda[0].qaMinutes", "agenda[0].streamUrl",
                             "moderatorIds[0]", "invitedUserIds"])
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    assert all(e["extensions"]["message_zh"] for e in result["errors"])
    # Nothing was stored.
    assert await state.db["roadshows"].count_documents({}) == 0


async def test_update_validation_names_the_input_fields(gql: Any, people: Any, state: AppState) -> None:
    """UpdateRoadshow reports the same camelCase paths as ScheduleRoadshow (the page marks these fields);
    an invitation-only audience without anyone invited names invitedUserIds; nothing changes."""
    incubator = await people.incubator()
    await people.make("mgr", Role.manager, incubator_id=incubator)
    await state.startups.insert({"_id": "s-ok", "name_zh": "好", "name_en": "Ok", "incubator_id": incubator})
    token = await gql.login("mgr")
    room = (await gql.op("ScheduleRoadshow", _input("s-ok"), token=token))["data"]["scheduleRoadshow"]["id"]
    result = await gql.op("UpdateRoadshow", {"id": room, "input": {
        "titleEn": "", "startsAt": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "audience": "INVITED",
        "agenda": [{"startupId": "s-ok", "pitchMinutes": 10, "qaMinutes": 5},
                   {"startupId": "s-gone", "pitchMinutes": 61, "qaMinutes": 5}],
        "invitedUserIds": ["nobody"]}}, token=token)
    assert sorted(e["extensions"]["field"] for e in result["errors"]) == [
        "agenda[1].pitchMinutes", "agenda[1].startupId", "invitedUserIds[0]", "startsAt", "titleEn"]
    audience_only = await gql.op("UpdateRoadshow", {"id": room, "input": {"audience": "INVITED"}}, token=token)
    assert [e["extensions"]["field"] for e in audience_only["errors"]] == ["invitedUserIds"]
    stored = await state.db["roadshows"].find_one({"_id": room})
    assert stored["title_en"] == "Roadshow" and stored["audience"] == "registered"


async def test_an_unknown_page_cursor_names_the_after_argument(gql: Any, people: Any) -> None:
    await people.make("inv", Role.investor)
    result = await gql.op("RoadshowsPage", {"first": 2, "after": "no-such-roadshow"}, token=await gql.login("inv"))
    assert error_codes(result) == ["NOT_FOUND"] and result["errors"][0]["extensions"]["field"] == "after"


async def test_only_managers_and_admins_schedule_and_only_organisers_edit(gql: Any, people: Any,
                                                                           state: AppState) -> None:
    incubator = await people.incubator()
    await people.make("mgr", Role.manager, incubator_id=incubator)
    await people.make("other", Role.manager, incubator_id=await people.incubator("Other"))
    await people.make("inv", Role.investor)
    await state.startups.insert({"_id": "s-ok", "name_zh": "好", "name_en": "Ok", "incubator_id": incubator})
    assert error_codes(await gql.op("ScheduleRoadshow", _input("s-ok"), token=await gql.login("inv"))) == ["FORBIDDEN"]
    created = await gql.op("ScheduleRoadshow", _input("s-ok"), token=await gql.login("mgr"))
    room = created["data"]["scheduleRoadshow"]["id"]
    other = await gql.login("other")
    assert error_codes(await gql.op("UpdateRoadshow", {"id": room, "input": {"titleEn": "Mine"}}, token=other)) == [
        "FORBIDDEN"]
    assert error_codes(await gql.op("StartRoadshow", {"id": room}, token=other)) == ["FORBIDDEN"]
    mgr = await gql.login("mgr")
    updated = await gql.op("UpdateRoadshow", {"id": room, "input": {"titleEn": "Renamed"}}, token=mgr)
    assert updated["data"]["updateRoadshow"]["titleEn"] == "Renamed"
    assert (await gql.op("StartRoadshow", {"id": room}, token=mgr))["data"]["startRoadshow"]["status"] == "LIVE"
    assert error_codes(await gql.op("StartRoadshow", {"id": room}, token=mgr)) == ["CONFLICT"]
    assert error_codes(await gql.op("UpdateRoadshow", {"id": room, "input": {"titleEn": "x"}}, token=mgr)) == [
        "CONFLICT"]
    assert error_codes(await gql.op("RoadshowAnalytics", {"id": room}, token=mgr)) == ["CONFLICT"]  # not ended


async def test_demo_roadshows_past_with_transcript_and_upcoming(gql: Any, state: AppState) -> None:
    ctx = DemoContext(state)
    await seed_registry(ctx)
    await seed_roadshows(ctx)
    token = await gql.login("manager01", "incubench-demo")
    listed = (await gql.op("Roadshows", {}, token=token))["data"]["roadshows"]
    assert [r["status"] for r in listed] == ["SCHEDULED", "SCHEDULED", "ENDED", "ENDED"]  # newest first
    investor3 = (await gql.op("Roadshows", {}, token=await gql.login("investor03", "incubench-demo")))["data"]
    assert len(investor3["roadshows"]) == 3  # not invited to the closed-door session
    fintech = listed[-1]  # the oldest
    assert fintech["titleEn"] == "Financial Street fintech pitch day"
    transcript = (await gql.op("RoadshowTranscript", {"id": fintech["id"]}, token=token))["data"]["roadshowTranscript"]
    kinds = [e["kind"] for e in transcript["entries"]]
    assert kinds.count("chat") == 4 and kinds.count("question") == 2 and kinds.count("interest") == 3
    analytics = (await gql.op("RoadshowAnalytics", {"id": fintech["id"]}, token=token))["data"]["roadshowAnalytics"]
    assert analytics["uniqueViewers"] == 7 and analytics["interestCount"] == 3 and analytics["questions"] == 2
    assert [p["interestCount"] for p in analytics["pitches"]] == [2, 1]


async def test_roadshow_list_round_trips_do_not_grow_with_roadshows(gql: Any, people: Any, state: AppState) -> None:
    """Listing 8 roadshows costs the same number of database commands as listing 2 (DataLoaders batch
    the startups and slide decks of every roadshow in the list)."""
    from tests.conftest import COUNTER

    incubator = await people.incubator()
    await people.make("mgr", Role.manager, incubator_id=incubator)
    token = await gql.login("mgr")
    for number in range(3):
        await state.startups.insert({"_id": f"s-{number}", "name_zh": f"企{number}", "name_en": f"S{number}",
                                     "incubator_id": incubator})
    database = state.settings.database_name

    async def list_cost(total: int) -> int:
        while await state.db["roadshows"].count_documents({}) < total:
            agenda = [{"startupId": f"s-{n}", "pitchMinutes": 10, "qaMinutes": 5} for n in range(3)]
            assert "errors" not in await gql.op("ScheduleRoadshow", _input("s-0", agenda=agenda), token=token)
        before = COUNTER.counts.get(database, 0)
        result = await gql.op("Roadshows", {"first": 50}, token=token)
        assert len(result["data"]["roadshows"]) == total
        assert all(a["startupNameEn"] for r in result["data"]["roadshows"] for a in r["agenda"])
        return COUNTER.counts.get(database, 0) - before

    assert await list_cost(2) == await list_cost(8)


async def test_roadshow_list_is_newest_first_and_pages_past_roadshows_a_user_may_not_enter(
        gql: Any, people: Any, state: AppState) -> None:
    """Five roadshows a day apart; the 2nd and 4th newest are for invited investors only. An unrelated investor
    paging two at a time sees the other three newest first, with full pages despite the hidden ones."""
    incubator = await people.incubator()
    await people.make("mgr", Role.manager, incubator_id=incubator)
    await people.make("inv", Role.investor)
    guest = await people.make("guest", Role.investor)
    await state.startups.insert({"_id": "s-ok", "name_zh": "好", "name_en": "Ok", "incubator_id": incubator})
    token = await gql.login("mgr")
    base = datetime.now(UTC) + timedelta(days=1)
    for day in range(5):
        invited_only = day in (1, 3)
        result = await gql.op("ScheduleRoadshow", _input(
            "s-ok", titleEn=f"Day {day}", startsAt=(base + timedelta(days=day)).isoformat(),
            audience="INVITED" if invited_only else "REGISTERED",
            invitedUserIds=[guest.id] if invited_only else []), token=token)
        assert "errors" not in result, result
    investor = await gql.login("inv")
    first = (await gql.op("RoadshowsPage", {"first": 2}, token=investor))["data"]["roadshows"]
    assert [r["titleEn"] for r in first] == ["Day 4", "Day 2"]
    rest = (await gql.op("RoadshowsPage", {"first": 2, "after": first[-1]["id"]}, token=investor))["data"]["roadshows"]
    assert [r["titleEn"] for r in rest] == ["Day 0"]
    organiser = (await gql.op("RoadshowsPage", {"first": 10}, token=token))["data"]["roadshows"]
    assert [r["titleEn"] for r in organiser] == ["Day 4", "Day 3", "Day 2", "Day 1", "Day 0"]
