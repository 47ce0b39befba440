"""Managers register workstations; advisors publish availability; startups search slots (GraphQL)."""

from __future__ import annotations

from backend.users.models import Role
from tests.bookings.conftest import TODAY, next_weekday
from tests.conftest import error_codes

NEW_WS = {"nameZh": "北展知识产权工作站", "nameEn": "Beizhan IP Desk", "location": "北展大厦 5 层",
          "languages": ["zh"], "topics": ["trademarks", "ip_financing"], "modes": ["on_site"],
          "slotMinutes": 30, "cutoffHours": 12, "bookingLimit": 1}


async def test_manager_registers_a_workstation_of_own_incubator_only(gql, park, people):
    token = park.token(park.manager)
    created = await gql.op("CreateIpWorkstation", {"input": {**NEW_WS, "incubatorId": park.incubator_id,
                                                             "advisorIds": [park.advisor.id]}}, token=token)
    ws = created["data"]["createIpWorkstation"]
    assert ws["slotMinutes"] == 30 and ws["advisors"][0]["displayName"] == "顾问 Adv"
    other = await people.incubator("Other Incubator")
    denied = await gql.op("CreateIpWorkstation", {"input": {**NEW_WS, "incubatorId": other}}, token=token)
    assert error_codes(denied) == ["FORBIDDEN"]
    listed = await gql.op("IpWorkstations", {"incubatorId": park.incubator_id, "topic": "ip_financing"}, token=token)
    assert [w["nameEn"] for w in listed["data"]["ipWorkstations"]] == ["Beizhan IP Desk"]


async def test_workstation_bad_input_names_fields_and_stores_nothing(gql, park, state):
    before = await state.db.ip_workstations.count_documents({})
    bad = {**NEW_WS, "incubatorId": park.incubator_id, "topics": ["patent_filing", "astrology"], "slotMinutes": 50,
           "bookingLimit": 0, "advisorIds": [park.manager.id]}
    result = await gql.op("CreateIpWorkstation", {"input": bad}, token=park.token(park.manager))
    assert set(error_codes(result)) == {"BAD_USER_INPUT"}
    assert sorted(e["extensions"]["field"] for e in result["errors"]) == ["advisorIds", "bookingLimit", "slotMinutes", "topics"]
    assert await state.db.ip_workstations.count_documents({}) == before


async def test_advisor_adds_rules_overlap_is_refused_and_nothing_changes(gql, park, state):
    token = park.token(park.advisor)
    rule = {"workstationId": park.workstation_id, "weekday": 4, "startTime": "09:00", "endTime": "11:00",
            "validFrom": TODAY.isoformat()}
    ok = await gql.op("AddAvailabilityRule", {"input": rule}, token=token)
    assert ok["data"]["addAvailabilityRule"]["startTime"] == "09:00"
    before = await state.db.ip_schedules.find_one({"_id": park.advisor.id})
    clash = await gql.op("AddAvailabilityRule", {"input": {**rule, "startTime": "10:00", "endTime": "12:00"}}, token=token)
    assert error_codes(clash) == ["AVAILABILITY_OVERLAP"]
    assert clash["errors"][0]["extensions"]["field"] == "startTime"
    # the Tuesday 09:00–12:00 rule from the fixture also clashes with a Tuesday 11:00–13:00 window
    clash2 = await gql.op("AddAvailabilityRule", {"input": {**rule, "weekday": 1, "startTime": "11:00",
                                                            "endTime": "13:00"}}, token=token)
    assert error_codes(clash2) == ["AVAILABILITY_OVERLAP"]
    assert await state.db.ip_schedules.find_one({"_id": park.advisor.id}) == before
    offset = await gql.op("AddAvailabilityRule", {"input": {**rule, "weekday": 5, "startTime": "09:00+08:00"}},
                          token=token)
    assert error_codes(offset) == ["BAD_USER_INPUT"] and offset["errors"][0]["extensions"]["field"] == "startTime"
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id}, token=token))["data"]["advisorSchedule"]
    assert sorted((r["weekday"], r["startTime"], r["endTime"]) for r in schedule["rules"]) == [
        (1, "09:00", "12:00"), (3, "14:00", "16:00"), (4, "09:00", "11:00")]


async def test_advisor_cannot_edit_another_advisors_availability(gql, park):
    result = await gql.op("AddAvailabilityRule", {"input": {
        "workstationId": park.workstation_id, "advisorId": park.advisor2.id, "weekday": 5, "startTime": "09:00",
        "endTime": "10:00", "validFrom": TODAY.isoformat()}}, token=park.token(park.advisor))
    assert error_codes(result) == ["FORBIDDEN"]


async def test_slot_search_by_week_topic_language_mode_and_exceptions(gql, park, people):
    startup = await park.startup()
    token = park.token(startup)
    tuesday, thursday = next_weekday(1), next_weekday(3)
    week = {"from": next_weekday(0).isoformat(), "to": next_weekday(6).isoformat()}
    slots = (await gql.op("IpSlots", {"filter": {**week, "workstationId": park.workstation_id}}, token=token))["data"]["ipSlots"]
    # adv: Tue 09,10,11 + Thu 14,15; adv2: Tue 09,10 → 7 slots, ordered by start then advisor id
    got = [(s["localDate"], s["localStart"], s["advisorId"]) for s in slots]
    assert sorted(got) == sorted([(tuesday.isoformat(), h, park.advisor.id) for h in ("09:00", "10:00", "11:00")]
                                 + [(thursday.isoformat(), h, park.advisor.id) for h in ("14:00", "15:00")]
                                 + [(tuesday.isoformat(), h, park.advisor2.id) for h in ("09:00", "10:00")])
    assert slots[0]["start"].endswith("01:00:00+00:00") and not slots[0]["taken"]
    # holiday: adv away all Tuesday, adv2 away 10:00–11:00
    await gql.op("AddAvailabilityException", {"input": {"workstationId": park.workstation_id, "date": tuesday.isoformat(),
                                                        "reason": "年假 leave"}}, token=park.token(park.advisor))
    await gql.op("AddAvailabilityException", {"input": {"workstationId": park.workstation_id, "advisorId": park.advisor2.id,
                                                        "date": tuesday.isoformat(), "startTime": "10:00", "endTime": "11:00"}},
                 token=park.token(park.manager))
    slots = (await gql.op("IpSlots", {"filter": {**week, "workstationId": park.workstation_id}}, token=token))["data"]["ipSlots"]
    assert [(s["localDate"], s["localStart"]) for s in slots] == [
        (tuesday.isoformat(), "09:00"), (thursday.isoformat(), "14:00"), (thursday.isoformat(), "15:00")]
    seen_by_startup = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id}, token=token))["data"]
    assert [(e["date"], e["reason"]) for e in seen_by_startup["advisorSchedule"]["exceptions"]] == [(tuesday.isoformat(), "")]
    seen_by_advisor = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id},
                                    token=park.token(park.advisor)))["data"]["advisorSchedule"]
    assert [e["reason"] for e in seen_by_advisor["exceptions"]] == ["年假 leave"]
    assert (await gql.op("IpSlots", {"filter": {**week, "topic": "infringement"}}, token=token))["data"]["ipSlots"] == []
    assert len((await gql.op("IpSlots", {"filter": {**week, "language": "en", "mode": "on_site"}}, token=token))["data"]["ipSlots"]) == 3
    unknown = await gql.op("IpSlots", {"filter": {**week, "topic": "astrology"}}, token=token)
    assert error_codes(unknown) == ["BAD_USER_INPUT"] and unknown["errors"][0]["extensions"]["field"] == "topic"


async def test_search_spanning_two_weeks_lists_both_weeks(gql, park):
    startup = await park.startup()
    result = await gql.op("IpSlots", {"filter": {"from": next_weekday(0, 1).isoformat(), "to": next_weekday(6, 2).isoformat(),
                                                 "workstationId": park.workstation_id, "includeTaken": False}},
                          token=park.token(startup))
    dates = sorted({s["localDate"] for s in result["data"]["ipSlots"]})
    assert dates == sorted({d.isoformat() for d in (next_weekday(1, 1), next_weekday(3, 1), next_weekday(1, 2),
                                                     next_weekday(3, 2))})


async def test_only_managers_and_admins_create_workstations(gql, park):
    startup = await park.startup()
    result = await gql.op("CreateIpWorkstation", {"input": {**NEW_WS, "incubatorId": park.incubator_id}},
                          token=park.token(startup))
    assert error_codes(result) == ["FORBIDDEN"]


async def test_manager_updates_staff_and_cutoff_and_removes_a_rule(gql, park, people):
    token = park.token(park.manager)
    extra = await people.make("adv3", Role.ip_advisor)
    updated = await gql.op("UpdateIpWorkstation", {"workstationId": park.workstation_id, "input": {
        "cutoffHours": 48, "advisorIds": [park.advisor.id, extra.id]}}, token=token)
    ws = updated["data"]["updateIpWorkstation"]
    assert ws["cutoffHours"] == 48 and ws["advisorIds"] == [park.advisor.id, extra.id]
    bad = await gql.op("UpdateIpWorkstation", {"workstationId": park.workstation_id, "input": {"cutoffHours": -1}},
                       token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "cutoffHours"
    startup = await park.startup()
    denied = await gql.op("UpdateIpWorkstation", {"workstationId": park.workstation_id, "input": {"cutoffHours": 1}},
                          token=park.token(startup))
    assert error_codes(denied) == ["FORBIDDEN"]
    schedule = (await gql.op("AdvisorSchedule", {"advisorId": park.advisor.id}, token=token))["data"]["advisorSchedule"]
    thursday_rule = next(r for r in schedule["rules"] if r["weekday"] == 3)
    removed = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id, "ruleId": thursday_rule["id"]},
                           token=token)
    assert removed["data"]["removeAvailabilityRule"] == {"removed": True, "cancelledBookings": 0}
    week = {"from": next_weekday(0).isoformat(), "to": next_weekday(6).isoformat(), "workstationId": park.workstation_id}
    slots = (await gql.op("IpSlots", {"filter": week}, token=park.token(startup)))["data"]["ipSlots"]
    assert {s["localDate"] for s in slots} == {next_weekday(1).isoformat()}
    missing = await gql.op("RemoveAvailabilityRule", {"advisorId": park.advisor.id, "ruleId": thursday_rule["id"]},
                           token=token)
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_concurrent_rule_writes_cannot_both_store_overlapping_windows(park, state):
    """Two overlapping Saturday windows submitted at once (first schedule write for adv3 included):
    the versioned schedule document admits exactly one."""
    import asyncio
    from datetime import time

    from backend.core.errors import AppError

    extra = await park.people.make("adv3", Role.ip_advisor)
    await park.service.update_workstation(park.manager, park.workstation_id,
                                          {"advisor_ids": [park.advisor.id, park.advisor2.id, extra.id]})

    async def add(start: int, end: int):
        try:
            await park.service.add_rule(extra, park.workstation_id, None, 5, time(start), time(end), TODAY, None)
            return "ok"
        except AppError as error:
            return error.code

    outcomes = await asyncio.gather(add(9, 11), add(10, 12), add(9, 12), add(10, 11))
    assert outcomes.count("ok") == 1 and set(outcomes) - {"ok"} <= {"AVAILABILITY_OVERLAP", "CONFLICT"}
    stored = await state.db.ip_schedules.find_one({"_id": extra.id})
    assert len(stored["rules"]) == 1


async def test_bad_exception_input_is_refused(gql, park, state):
    before = await state.db.ip_schedules.find_one({"_id": park.advisor.id})
    result = await gql.op("AddAvailabilityException", {"input": {
        "workstationId": park.workstation_id, "date": TODAY.isoformat(), "startTime": "11:00", "endTime": "10:00"}},
        token=park.token(park.advisor))
    assert error_codes(result) == ["BAD_USER_INPUT"] and result["errors"][0]["extensions"]["field"] == "endTime"
    assert await state.db.ip_schedules.find_one({"_id": park.advisor.id}) == before
