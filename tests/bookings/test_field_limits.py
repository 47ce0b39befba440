"""One limit per field: a display name has the same limit in every domain (bookings, matchmaking,
the incubator registry)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.core.errors import BadUserInput
from backend.users.models import Role
from cloud_incubator.bookings.service import bookings
from tests.conftest import error_codes


async def test_a_workstation_name_has_the_parks_one_name_limit(gql, people, state):
    incubator = await people.incubator("Names Incubator")
    manager = await people.make("names_mgr", Role.manager, incubator_id=incubator)
    advisor = await people.make("names_adv", Role.ip_advisor)
    values: dict[str, Any] = {"incubator_id": incubator, "name_zh": "工作站", "name_en": "N" * 121, "location": "L" * 200,
                              "languages": ["zh"], "topics": ["patent_filing"], "modes": ["online"],
                              "slot_minutes": 60, "cutoff_hours": 1, "booking_limit": 2, "advisor_ids": [advisor.id]}
    service = bookings(state)
    with pytest.raises(BadUserInput) as refused:
        await service.create_workstation(manager, values)
    assert [(issue.field, issue.message_en) for issue in refused.value.issues] == [
        ("nameEn", "Must be 1–120 characters.")]
    assert await state.db.ip_workstations.count_documents({}) == 0
    counterpart = await gql.op("SaveCounterpart", {"input": {"kind": "PROVIDER", "nameZh": "服务", "nameEn": "N" * 121,
                                                             "organisation": "机构", "services": ["IP"]}},
                               token=await gql.login("names_mgr"))
    assert error_codes(counterpart) == ["BAD_USER_INPUT"]
    assert counterpart["errors"][0]["extensions"]["message_en"] == "Must be 1–120 characters."
